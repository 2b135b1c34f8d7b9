package campaign

import (
	"fmt"
	"iter"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/segkit/segkit/bitmapindex"
)

// Changes is the membership difference of a segment between two
// evaluations. Customers are matched by key, so the two evaluations may come
// from different views, or different indexes, where IDs differ. It is
// immutable and safe for concurrent reads.
type Changes struct {
	// Entered are members now that were not before: a Set of the after view.
	Entered bitmapindex.Set
	// Left are members before that are not now (including customers deleted
	// since): a Set of the before view.
	Left bitmapindex.Set
	// Stayed are members in both: a Set of the after view.
	Stayed bitmapindex.Set
}

// Diff compares segment was, a Set of view before, with segment is, a Set
// of view after. A nil view, or a Set that does not belong to its view, is
// an [ErrForeignSet] error.
//
// When before and after are the same view it is three bitmap operations.
// Otherwise each member of was is looked up in after: by its ID first (a
// customer keeps its ID across views of one index, which the lookup
// confirms by comparing keys), and by key when the ID now names someone else
// or nobody, so views of the same index cost one key comparison per member
// and unrelated indexes one key lookup per member.
func Diff(before *bitmapindex.View, was bitmapindex.Set, after *bitmapindex.View, is bitmapindex.Set) (*Changes, error) {
	if before == nil || after == nil {
		return nil, fmt.Errorf("%w: nil view", ErrForeignSet)
	}
	if err := owned(after, is); err != nil {
		return nil, err
	}
	if before == after {
		if err := owned(before, was); err != nil {
			return nil, err
		}
		return &Changes{Entered: is.AndNot(was), Left: was.AndNot(is), Stayed: is.And(was)}, nil
	}
	isBM := is.Bitmap()
	// same: IDs of was that denote the same customer in after (identity);
	// moved: after-IDs of members of was whose ID changed; gone: before-IDs
	// of members of was that are not live in after, or moved out of is.
	same := roaring.New()
	var moved, gone []uint32
	buf := make([]uint32, 0, splitChunk)
	ids := was.Bitmap().ManyIterator()
	idbuf := make([]uint32, 1024)
	have, next, seen := 0, 0, 0
	for key := range was.Keys() {
		if next == have {
			have, next = ids.NextMany(idbuf), 0
			if have == 0 {
				return nil, fmt.Errorf("%w: the set yields more keys than IDs", ErrForeignSet)
			}
		}
		id := idbuf[next]
		next++
		if seen == 0 {
			if k, ok := before.Key(id); !ok || k != key {
				return nil, fmt.Errorf("%w: ID %d is %q in the set but %q in the view", ErrForeignSet, id, key, k)
			}
		}
		seen++
		if k, ok := after.Key(id); ok && k == key {
			buf = append(buf, id)
			if len(buf) == cap(buf) {
				same.AddMany(buf)
				buf = buf[:0]
			}
			continue
		}
		if nid, ok := after.ID(key); ok {
			if isBM.Contains(nid) {
				moved = append(moved, nid)
			} else {
				gone = append(gone, id)
			}
			continue
		}
		gone = append(gone, id)
	}
	if seen != was.Len() {
		return nil, fmt.Errorf("%w: the set has %d members but yields %d keys", ErrForeignSet, was.Len(), seen)
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
	return &Changes{
		Entered: after.Wrap(entered),
		Left:    before.Wrap(left),
		Stayed:  after.Wrap(stayed),
	}, nil
}

// owned checks cheaply that s is a Set of v (or of another view of the
// same index): the key s gives its smallest ID is that ID's key in v, and the
// customer at its largest ID in v is a member of s by key.
func owned(v *bitmapindex.View, s bitmapindex.Set) error {
	if s.Len() == 0 {
		return nil
	}
	bm := s.Bitmap()
	lo, hi := bm.Minimum(), bm.Maximum()
	for first := range s.Keys() {
		if k, ok := v.Key(lo); !ok || k != first {
			return fmt.Errorf("%w: ID %d is %q in the set but %q in the view", ErrForeignSet, lo, first, k)
		}
		break
	}
	if k, ok := v.Key(hi); !ok || !s.ContainsKey(k) {
		return fmt.Errorf("%w: the set's ID %d is not a member by key in the view", ErrForeignSet, hi)
	}
	return nil
}

// KeyChanges is the membership difference of two plain key sequences, each
// list sorted; a plain value the caller owns.
type KeyChanges struct {
	Entered, Left, Stayed []string
}

// DiffKeys compares two plain sequences of customer keys (repeats are
// counted once).
func DiffKeys(before, after iter.Seq[string]) KeyChanges {
	was := map[string]bool{}
	for k := range before {
		was[k] = false
	}
	var c KeyChanges
	done := map[string]bool{}
	for k := range after {
		if done[k] {
			continue
		}
		done[k] = true
		if _, ok := was[k]; ok {
			was[k] = true
			c.Stayed = append(c.Stayed, k)
		} else {
			c.Entered = append(c.Entered, k)
		}
	}
	for k, still := range was {
		if !still {
			c.Left = append(c.Left, k)
		}
	}
	slices.Sort(c.Entered)
	slices.Sort(c.Left)
	slices.Sort(c.Stayed)
	return c
}
