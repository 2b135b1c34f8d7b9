package campaign

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cespare/xxhash/v2"

	"github.com/segkit/segkit/bitmapindex"
)

// Split is the result of [Splitter.Split]: the segment's members divided
// into the splitter's groups. It is immutable and safe for concurrent reads.
type Split struct {
	// Groups are in the order given to [NewSplitter], including groups that
	// received nobody.
	Groups []SplitGroup
	// Total is the number of members split.
	Total int
}

// SplitGroup is one group of a [Split]; a plain value, safe to copy and to
// read concurrently.
type SplitGroup struct {
	Group
	// Members is the group's members, a Set of the view passed to Split.
	Members bitmapindex.Set
	// Size is Members.Len().
	Size int
	// Deviation is the z-score of Size against the expected Total·Ratio,
	// (Size − Total·Ratio)/√(Total·Ratio·(1−Ratio)); |Deviation| > 3 is
	// improbable for an unbiased split. Zero when Ratio is 0 or 1.
	Deviation float64
}

// Group returns the members of the named group.
func (s *Split) Group(name string) (bitmapindex.Set, bool) {
	for _, g := range s.Groups {
		if g.Name == name {
			return g.Members, true
		}
	}
	return bitmapindex.Set{}, false
}

// GroupOf returns the group holding the customer key, if any.
func (s *Split) GroupOf(key string) (string, bool) {
	for _, g := range s.Groups {
		if g.Members.ContainsKey(key) {
			return g.Name, true
		}
	}
	return "", false
}

// splitChunk is how many IDs a group collects before they go to its bitmap
// with AddMany; large enough to amortise the call, small enough to stay in
// cache.
const splitChunk = 4096

// Split divides the members of segment s, a Set of view v, into the
// splitter's groups by their keys. The groups are Sets of v. An empty
// segment is an [ErrEmptySegment] error; a nil v, or a Set whose IDs denote
// other customers in v, is an [ErrForeignSet] error (s must come from v or
// from another view of the same index).
//
// It hashes every member's key once and builds each group's bitmap from
// sorted ID buffers; it allocates the group bitmaps and a few buffers, not
// per member.
func (sp *Splitter) Split(v *bitmapindex.View, s bitmapindex.Set) (*Split, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: nil view", ErrForeignSet)
	}
	total := s.Len()
	if total == 0 {
		return nil, fmt.Errorf("%w: the segment to split has no members", ErrEmptySegment)
	}
	bms := make([]*roaring.Bitmap, len(sp.groups))
	bufs := make([][]uint32, len(sp.groups))
	for i := range bms {
		bms[i] = roaring.New()
		if sp.groups[i].Ratio > 0 {
			bufs[i] = make([]uint32, 0, splitChunk)
		}
	}
	hashbuf := make([]byte, 0, 128)
	hashbuf = append(hashbuf, sp.prefix...)
	np := len(sp.prefix)
	seen := 0
	var firstKey, lastKey string
	var firstID, lastID uint32
	for id, key := range s.Members() {
		if seen == 0 {
			firstKey, firstID = key, id
		}
		seen++
		hashbuf = append(hashbuf[:np], key...)
		g := sp.groupOf(xxhash.Sum64(hashbuf) >> (64 - unitBits))
		bufs[g] = append(bufs[g], id)
		if len(bufs[g]) == splitChunk {
			bms[g].AddMany(bufs[g])
			bufs[g] = bufs[g][:0]
		}
		lastKey, lastID = key, id
	}
	if seen != total {
		return nil, fmt.Errorf("%w: the set has %d members but its view knows %d of them", ErrForeignSet, total, seen)
	}
	// A Set from an unrelated view would hand v IDs of other customers;
	// checking the two ends catches that without a pass over the members.
	for _, c := range [...]struct {
		id  uint32
		key string
	}{{firstID, firstKey}, {lastID, lastKey}} {
		if k, ok := v.Key(c.id); !ok || k != c.key {
			return nil, fmt.Errorf("%w: ID %d is %q in the set but %q in the view", ErrForeignSet, c.id, c.key, k)
		}
	}
	out := &Split{Groups: make([]SplitGroup, len(sp.groups)), Total: total}
	for i, g := range sp.groups {
		if len(bufs[i]) > 0 {
			bms[i].AddMany(bufs[i])
		}
		bms[i].RunOptimize()
		size := int(bms[i].GetCardinality())
		out.Groups[i] = SplitGroup{
			Group:     g,
			Members:   v.Wrap(bms[i]),
			Size:      size,
			Deviation: deviation(size, total, g.Ratio),
		}
	}
	return out, nil
}
