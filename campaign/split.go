package campaign

import (
	"fmt"
	"iter"
	"math"

	"github.com/cespare/xxhash/v2"
)

// RatioTolerance is how far the sum of a split's ratios may be from 1.
const RatioTolerance = 1e-9

// Group is one arm of a split: a name ("control", "A", "holdout", …) and the
// share of the segment it receives. It is a plain comparable value.
type Group struct {
	Name  string
	Ratio float64
}

// Splitter assigns customers to named groups by ratio, deterministically
// from the customer key and a salt. It is immutable after [NewSplitter] and
// safe for concurrent use by multiple goroutines.
//
// A customer's group depends only on its key and the salt, never on who
// else is in the segment, so a customer stays in its group when the segment
// grows or shrinks, and across index rebuilds (where dense IDs change but
// keys do not). Use a new salt per experiment so that the same customers do
// not land in the control group of every campaign.
//
// The assignment is, precisely: h = XXH64(salt + ":" + key, seed 0) (the
// xxHash64 of ClickHouse and Python's xxhash.xxh64), u = (h >> 11) / 2⁵³ in
// [0, 1), and the customer joins the first group whose cumulative ratio
// (ratios in the order given, divided by their sum) exceeds u. In ClickHouse,
// for example, u is intDiv(xxHash64(concat(salt, ':', key)), 2048) / pow(2, 53).
type Splitter struct {
	salt   string
	prefix []byte // salt + ":"
	groups []Group
	// bounds[i] is the exclusive upper bound of u·2⁵³ for groups[i]; the
	// last group with a positive ratio has bound 2⁵³.
	bounds []uint64
	last   int // index of the last group with a positive ratio
}

const unitBits = 53

// NewSplitter validates the groups and returns a Splitter. Every group needs
// a unique non-empty name and a finite non-negative ratio, and the ratios
// must sum to 1 within [RatioTolerance]. A group with ratio 0 is allowed and
// receives nobody. Errors wrap [ErrNoGroups], [ErrGroupName] or [ErrRatio].
func NewSplitter(salt string, groups ...Group) (*Splitter, error) {
	if len(groups) == 0 {
		return nil, ErrNoGroups
	}
	seen := make(map[string]bool, len(groups))
	sum := 0.0
	for i, g := range groups {
		if g.Name == "" {
			return nil, fmt.Errorf("%w: group %d has an empty name", ErrGroupName, i)
		}
		if seen[g.Name] {
			return nil, fmt.Errorf("%w: group %q appears twice", ErrGroupName, g.Name)
		}
		seen[g.Name] = true
		if math.IsNaN(g.Ratio) || math.IsInf(g.Ratio, 0) {
			return nil, fmt.Errorf("%w: group %q has ratio %v", ErrRatio, g.Name, g.Ratio)
		}
		if g.Ratio < 0 {
			return nil, fmt.Errorf("%w: group %q has negative ratio %v", ErrRatio, g.Name, g.Ratio)
		}
		sum += g.Ratio
	}
	if math.Abs(sum-1) > RatioTolerance {
		return nil, fmt.Errorf("%w: ratios sum to %v, not 1", ErrRatio, sum)
	}
	sp := &Splitter{
		salt:   salt,
		prefix: append([]byte(salt), ':'),
		groups: append([]Group(nil), groups...),
		bounds: make([]uint64, len(groups)),
		last:   -1,
	}
	cum := 0.0
	for i, g := range groups {
		cum += g.Ratio
		if g.Ratio > 0 {
			sp.last = i
		}
		// u·2⁵³ < cum/sum·2⁵³ ⟺ u·2⁵³ < ceil(cum/sum·2⁵³) for integer u·2⁵³;
		// scaling by a power of two is exact.
		b := math.Ceil(math.Ldexp(cum/sum, unitBits))
		sp.bounds[i] = uint64(math.Min(b, math.Ldexp(1, unitBits)))
	}
	sp.bounds[sp.last] = 1 << unitBits
	return sp, nil
}

// MustSplitter is like [NewSplitter] but panics on error; for package-level
// splitters with constant groups.
func MustSplitter(salt string, groups ...Group) *Splitter {
	sp, err := NewSplitter(salt, groups...)
	if err != nil {
		panic(err)
	}
	return sp
}

// Salt returns the salt the Splitter was created with.
func (sp *Splitter) Salt() string { return sp.salt }

// Groups returns a copy of the groups in the order given.
func (sp *Splitter) Groups() []Group { return append([]Group(nil), sp.groups...) }

// Assign returns the name of the group the customer key belongs to. It does
// not allocate for keys up to a few dozen bytes.
func (sp *Splitter) Assign(key string) string {
	return sp.groups[sp.index(key)].Name
}

// Position returns the customer's point u in [0, 1) that decides its group
// (see [Splitter]); exposed so hosts can check an external reimplementation.
func (sp *Splitter) Position(key string) float64 {
	return math.Ldexp(float64(sp.point(key)), -unitBits)
}

func (sp *Splitter) point(key string) uint64 {
	var buf [80]byte
	b := append(buf[:0], sp.prefix...)
	b = append(b, key...)
	return xxhash.Sum64(b) >> (64 - unitBits)
}

func (sp *Splitter) index(key string) int {
	return sp.groupOf(sp.point(key))
}

func (sp *Splitter) groupOf(u uint64) int {
	for i, b := range sp.bounds {
		if u < b {
			return i
		}
	}
	return sp.last // unreachable: the last positive bound is 2⁵³ > u
}

// KeyGroup is one group of a [Splitter.SplitKeys] result; a plain value
// the caller owns.
type KeyGroup struct {
	Group
	// Keys are the members in the order they were first seen.
	Keys []string
}

// SplitKeys splits a plain sequence of customer keys. Repeated keys are
// counted once. A sequence without keys is an [ErrEmptySegment] error. The
// groups come back in the order given to [NewSplitter].
func (sp *Splitter) SplitKeys(keys iter.Seq[string]) ([]KeyGroup, error) {
	out := make([]KeyGroup, len(sp.groups))
	for i, g := range sp.groups {
		out[i].Group = g
	}
	seen := make(map[string]struct{})
	for k := range keys {
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		i := sp.index(k)
		out[i].Keys = append(out[i].Keys, k)
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("%w: no keys to split", ErrEmptySegment)
	}
	return out, nil
}

// deviation is the z-score of a group's size against its expected share:
// (n − N·r) / √(N·r·(1−r)); 0 when the share is 0 or 1 (no variance).
func deviation(n, total int, ratio float64) float64 {
	v := float64(total) * ratio * (1 - ratio)
	if v <= 0 {
		return 0
	}
	return (float64(n) - float64(total)*ratio) / math.Sqrt(v)
}
