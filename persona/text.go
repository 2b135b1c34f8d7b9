package persona

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/segkit/segkit/internal/textwidth"
)

// WriteText renders the report for people: the persona table, then each
// persona's distinguishing traits, then the overlaps.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Personas: %s customers, %s assigned (%s), %s unassigned\n\n",
		thousands(r.Customers), thousands(r.Assigned), percent(r.Coverage), thousands(r.Unassigned))
	rows := [][]string{{"persona", "members", "share", "eligible", "description"}}
	for _, p := range r.Personas {
		rows = append(rows, []string{p.Name, thousands(p.Members), percent(p.Share), thousands(p.Eligible), p.Description})
	}
	table(bw, "", rows, []bool{false, true, true, true, false})
	for _, p := range r.Personas {
		fmt.Fprintf(bw, "\n%s: %s members (%s), %s eligible\n", p.Name, thousands(p.Members), percent(p.Share), thousands(p.Eligible))
		writeTraits(bw, p.Traits, "in persona")
	}
	bw.WriteString("\nOverlap of eligible customers:\n")
	if len(r.Overlap) == 0 {
		bw.WriteString("  none\n")
	} else {
		rows = [][]string{{"persona", "persona", "both", "jaccard"}}
		for _, o := range r.Overlap {
			rows = append(rows, []string{o.A, o.B, thousands(o.Both), strconv.FormatFloat(o.Jaccard, 'f', 3, 64)})
		}
		table(bw, "  ", rows, []bool{false, false, true, true})
	}
	return bw.Flush()
}

// WriteProfiles renders cluster profiles for people: per cluster its size,
// a one-line summary, the feature table and the traits.
func WriteProfiles(w io.Writer, profiles []ClusterProfile) error {
	bw := bufio.NewWriter(w)
	for i, p := range profiles {
		if i > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "cluster %d: %s customers (%s)\n  %s\n", p.Cluster, thousands(p.Size), percent(p.Share), p.Summary())
		rows := [][]string{{"feature", "mean", "population", "z", "level"}}
		for _, f := range p.Features {
			rows = append(rows, []string{f.Name, number(f.Mean), number(f.PopulationMean), sigma(f.Z), f.Level()})
		}
		table(bw, "  ", rows, []bool{false, true, true, true, false})
		writeTraits(bw, p.Traits, "in cluster")
	}
	return bw.Flush()
}

func writeTraits(w *bufio.Writer, ls []Lift, in string) {
	if len(ls) == 0 {
		w.WriteString("  no distinguishing traits\n")
		return
	}
	rows := [][]string{{"trait", "count", in, "population", "lift"}}
	for _, l := range ls {
		rows = append(rows, []string{l.String(), thousands(l.Count), percent(l.Share), percent(l.PopulationShare), strconv.FormatFloat(l.Lift, 'f', 2, 64)})
	}
	table(w, "  ", rows, []bool{false, true, true, true, true})
}

// table writes aligned columns (right-aligned where right[i]), the first row
// as a header; widths are display columns, so Chinese names (two columns a
// character) line up.
func table(w *bufio.Writer, indent string, rows [][]string, right []bool) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], textwidth.Width(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-textwidth.Width(c))
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " "))
		w.WriteString("\n")
	}
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

func number(f float64) string {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return thousands(int(f))
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// thousands formats an integer with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
