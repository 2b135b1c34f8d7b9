package bitmapindex

import "github.com/RoaringBitmap/roaring/v2"

// Copy-on-write with generation marks.
//
// The index's data is a tree of nodes (state → tag map / attribute / event →
// bitmaps). Every node carries the writer generation in which it was created
// or copied. Index.View freezes the current tree by incrementing the writer
// generation: from then on the tree belongs to the view and is never written
// again. A writer that wants to change a node whose generation is older
// copies it first (a shallow copy for structs and maps, a clone for bitmaps)
// and links the copy into its (already copied) parent. So a View costs O(1),
// and the copies a writer makes are proportional to what it changes.

// bm is a bitmap node.
type bm struct {
	b   *roaring.Bitmap
	gen uint64
}

// wctx is a writer's generation.
type wctx struct{ gen uint64 }

// own makes *p writable in this generation and returns its bitmap; a nil *p
// gets a new empty bitmap. p must point into a node owned by this generation.
func (w wctx) own(p **bm) *roaring.Bitmap {
	x := *p
	if x == nil {
		x = &bm{b: roaring.New(), gen: w.gen}
		*p = x
	} else if x.gen != w.gen {
		x = &bm{b: x.b.Clone(), gen: w.gen}
		*p = x
	}
	return x.b
}

// bits returns the bitmap of a possibly nil node.
func (x *bm) bits() *roaring.Bitmap {
	if x == nil {
		return nil
	}
	return x.b
}

func (x *bm) empty() bool { return x == nil || x.b.IsEmpty() }

func (x *bm) contains(id uint32) bool { return x != nil && x.b.Contains(id) }

func (x *bm) card() int {
	if x == nil {
		return 0
	}
	return int(x.b.GetCardinality())
}

// emptyBitmap is shared by read paths that need a non-nil empty bitmap; it
// must never be modified.
var emptyBitmap = roaring.New()

func orEmpty(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return emptyBitmap
	}
	return b
}

func (x *bm) intersects(o *roaring.Bitmap) bool { return x != nil && x.b.Intersects(o) }
