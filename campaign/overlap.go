package campaign

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/textwidth"
)

// Segment is a named member set, the input of [Overlap]; a plain value
// (the Set it holds is immutable).
type Segment struct {
	Name    string
	Members bitmapindex.Set
}

// OverlapMatrix holds the pairwise overlaps of segments and the warnings of
// the size checks. It is immutable and safe for concurrent reads.
type OverlapMatrix struct {
	// Names and Sizes are in the order given.
	Names []string
	Sizes []int
	// Shared[i][j] is the number of customers in both segment i and j; the
	// diagonal holds the sizes.
	Shared [][]int
	// Jaccard[i][j] is Shared[i][j] / |i ∪ j|, in [0, 1]; 1 on the diagonal,
	// and 0 when both segments are empty.
	Jaccard [][]float64
	// Warnings lists segments smaller than Config.MinSize, then pairs whose
	// Jaccard index exceeds Config.NearDuplicate.
	Warnings []Warning
}

// WarningKind says what a [Warning] is about; a comparable value.
type WarningKind uint8

// Warning kinds; the zero WarningKind is not a warning.
const (
	// TooSmall: the segment has fewer than Config.MinSize members.
	TooSmall WarningKind = iota + 1
	// NearlyIdentical: the Jaccard index of two segments exceeds
	// Config.NearDuplicate, so they select nearly the same customers.
	NearlyIdentical
)

func (k WarningKind) String() string {
	switch k {
	case TooSmall:
		return "too small"
	case NearlyIdentical:
		return "nearly identical"
	}
	return "WarningKind(" + strconv.Itoa(int(k)) + ")"
}

// Warning is one finding of the segment checks. It is a plain value.
type Warning struct {
	Kind    WarningKind
	Segment string
	// Other is the second segment of a NearlyIdentical pair.
	Other string
	// Size is the segment's size (TooSmall).
	Size int
	// Jaccard is the pair's Jaccard index (NearlyIdentical).
	Jaccard float64
}

func (w Warning) String() string {
	switch w.Kind {
	case TooSmall:
		return fmt.Sprintf("segment %q is too small: %s members", w.Segment, thousands(w.Size))
	case NearlyIdentical:
		return fmt.Sprintf("segments %q and %q are nearly identical: Jaccard %.3f", w.Segment, w.Other, w.Jaccard)
	}
	return w.Kind.String()
}

// Overlap computes the overlap matrix of the segments (counts of shared
// customers and Jaccard indexes, by cardinality-only bitmap intersections,
// so nothing is materialised) and checks them against cfg. All segments
// must be Sets of one view. A segment name that is empty or used twice is an
// [ErrSegmentName] error; a bad cfg an [ErrConfig] error.
func Overlap(segments []Segment, cfg Config) (*OverlapMatrix, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := len(segments)
	m := &OverlapMatrix{
		Names:   make([]string, n),
		Sizes:   make([]int, n),
		Shared:  make([][]int, n),
		Jaccard: make([][]float64, n),
	}
	seen := make(map[string]bool, n)
	for i, s := range segments {
		if s.Name == "" {
			return nil, fmt.Errorf("%w: segment %d has an empty name", ErrSegmentName, i)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%w: segment %q appears twice", ErrSegmentName, s.Name)
		}
		seen[s.Name] = true
		m.Names[i] = s.Name
		m.Sizes[i] = s.Members.Len()
		m.Shared[i] = make([]int, n)
		m.Jaccard[i] = make([]float64, n)
	}
	for i := range segments {
		m.Shared[i][i] = m.Sizes[i]
		if m.Sizes[i] > 0 {
			m.Jaccard[i][i] = 1
		}
		bi := segments[i].Members.Bitmap()
		for j := i + 1; j < n; j++ {
			shared := int(bi.AndCardinality(segments[j].Members.Bitmap()))
			union := m.Sizes[i] + m.Sizes[j] - shared
			jac := 0.0
			if union > 0 {
				jac = float64(shared) / float64(union)
			}
			m.Shared[i][j], m.Shared[j][i] = shared, shared
			m.Jaccard[i][j], m.Jaccard[j][i] = jac, jac
		}
	}
	if cfg.MinSize > 0 {
		for i, size := range m.Sizes {
			if size < cfg.MinSize {
				m.Warnings = append(m.Warnings, Warning{Kind: TooSmall, Segment: m.Names[i], Size: size})
			}
		}
	}
	if cfg.NearDuplicate > 0 {
		for i := range n {
			for j := i + 1; j < n; j++ {
				if m.Jaccard[i][j] > cfg.NearDuplicate {
					m.Warnings = append(m.Warnings, Warning{Kind: NearlyIdentical, Segment: m.Names[i], Other: m.Names[j], Jaccard: m.Jaccard[i][j]})
				}
			}
		}
	}
	return m, nil
}

// Index returns the position of the named segment.
func (m *OverlapMatrix) Index(name string) (int, bool) {
	for i, n := range m.Names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// WriteTo writes the matrix for people: sizes, the shared counts, the
// Jaccard indexes and the warnings.
func (m *OverlapMatrix) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "segment overlap: %d segments\n", len(m.Names))
	width := len("jaccard")
	for _, n := range m.Names {
		width = max(width, textwidth.Width(n))
	}
	table := func(title string, cell func(i, j int) string) {
		// Numbers align right; the row labels, padded to one width, left.
		tw := textwidth.NewTabWriter(&buf, 2, true)
		fmt.Fprintf(tw, "%s\t", textwidth.Pad(title, width))
		for _, n := range m.Names {
			fmt.Fprintf(tw, "%s\t", n)
		}
		fmt.Fprintln(tw)
		for i, n := range m.Names {
			fmt.Fprintf(tw, "%s\t", textwidth.Pad(n, width))
			for j := range m.Names {
				fmt.Fprintf(tw, "%s\t", cell(i, j))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	buf.WriteString("\n")
	table("shared", func(i, j int) string { return thousands(m.Shared[i][j]) })
	buf.WriteString("\n")
	table("jaccard", func(i, j int) string { return strconv.FormatFloat(m.Jaccard[i][j], 'f', 3, 64) })
	if len(m.Warnings) == 0 {
		buf.WriteString("\nno warnings\n")
	} else {
		buf.WriteString("\nwarnings:\n")
		for _, w := range m.Warnings {
			fmt.Fprintf(&buf, "- %s\n", w)
		}
	}
	return writeTrimmed(w, buf.Bytes())
}
