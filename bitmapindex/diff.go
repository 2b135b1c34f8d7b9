package bitmapindex

import (
	"errors"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// ErrForeignSet is returned when a Set's members are not what its view says
// they are: a Set with members but no view, or one combined from views of
// different indexes, whose IDs its view does not know.
var ErrForeignSet = errors.New("bitmapindex: set does not belong to its view")

// Changes is the membership difference of a segment between two
// evaluations: who entered, who left and who stayed. Each part is a Set, so
// it gives the members by ID (IDs, Bitmap) and by key (Keys, Members), and
// combines with other Sets of its view. It is immutable and safe for
// concurrent reads.
type Changes struct {
	// Entered are members now that were not before: a Set of the after
	// view.
	Entered Set
	// Left are members before that are not now (including customers
	// deleted since): a Set of the before view, which still knows them.
	Left Set
	// Stayed are members in both: a Set of the after view.
	Stayed Set
}

// Diff compares segment was with segment is, matching customers by key, so
// the two may be Sets of different views of one index (a customer deleted
// and added again has a new ID but the same key), or of different indexes.
// Each Set is read in its own view; a Set with members but no view, or with
// IDs its view does not know, is an [ErrForeignSet] error.
//
// When both Sets belong to the same view it is three bitmap operations.
// Otherwise each member of was is looked up in is's view: by its ID first (a
// customer keeps its ID across views of one index, which the lookup
// confirms by comparing keys), and by key when the ID now names someone
// else or nobody, so views of the same index cost one key comparison per
// member and unrelated indexes one key lookup per member.
func Diff(was, is Set) (Changes, error) {
	before, after := was.v, is.v
	for _, s := range []Set{was, is} {
		if s.Len() > 0 && s.v == nil {
			return Changes{}, fmt.Errorf("%w: a set of %d members has no view", ErrForeignSet, s.Len())
		}
	}
	switch {
	case before == nil && after == nil:
		return Changes{}, nil
	case before == nil:
		return Changes{Entered: is, Left: Set{v: after}, Stayed: Set{v: after}}, nil
	case after == nil:
		return Changes{Entered: Set{v: before}, Left: was, Stayed: Set{v: before}}, nil
	case before == after:
		return Changes{Entered: is.AndNot(was), Left: was.AndNot(is), Stayed: is.And(was)}, nil
	}
	isBM := is.Bitmap()
	// same: IDs of was that denote the same customer in after (identity);
	// moved: after-IDs of members of was whose ID changed; gone: before-IDs
	// of members of was that are not live in after, or moved out of is.
	same := roaring.New()
	var moved, gone []uint32
	const chunk = 4096
	buf := make([]uint32, 0, chunk)
	seen := 0
	for id, key := range was.Members() {
		seen++
		if k, ok := after.Key(id); ok && k == key {
			buf = append(buf, id)
			if len(buf) == chunk {
				same.AddMany(buf)
				buf = buf[:0]
			}
			continue
		}
		if nid, ok := after.ID(key); ok && isBM.Contains(nid) {
			moved = append(moved, nid)
			continue
		}
		gone = append(gone, id)
	}
	if seen != was.Len() {
		return Changes{}, fmt.Errorf("%w: the set has %d members but its view knows %d of them", ErrForeignSet, was.Len(), seen)
	}
	same.AddMany(buf)
	slices.Sort(moved)
	// Members of was in after's ID space that are still members.
	stayed := roaring.And(same, isBM)
	stayed.AddMany(moved)
	left := roaring.AndNot(same, isBM) // same IDs, so also before's ID space
	left.AddMany(gone)
	entered := roaring.AndNot(isBM, stayed)
	for _, bm := range []*roaring.Bitmap{stayed, left, entered} {
		bm.RunOptimize()
	}
	return Changes{
		Entered: after.Wrap(entered),
		Left:    before.Wrap(left),
		Stayed:  after.Wrap(stayed),
	}, nil
}
