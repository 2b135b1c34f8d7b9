package bitmapindex

import (
	"context"

	"github.com/RoaringBitmap/roaring/v2"
)

// Cancellation of long queries (issue 14 item 8).
//
// A view made by WithContext carries a context that the long loops of its
// queries check between steps (per day bitmap, per block of days, per bit
// slice, per group of bitmaps in a union, per few thousand customers of a
// dense count), so that they return soon after the context is done, within
// milliseconds at 10M customers, instead of running to the end.

// stop is checked by long operations; a nil *stop never stops.
type stop struct{ ctx context.Context }

// done reports whether the operation should stop.
func (s *stop) done() bool { return s != nil && s.ctx.Err() != nil }

// WithContext returns a view of the same data whose queries stop early once
// ctx is done. A query stopped early returns an incomplete result, so a
// caller that cancels must check ctx.Err() after each query and discard its
// result when it is not nil (segment's evaluator does). Views of a context
// that cannot be cancelled are v itself.
func (v *View) WithContext(ctx context.Context) *View {
	if ctx == nil || ctx.Done() == nil {
		return v
	}
	c := *v
	c.stop = &stop{ctx: ctx}
	return &c
}

// orAllStop is orAll in groups of bitmaps, checking st between groups.
func orAllStop(st *stop, xs ...*roaring.Bitmap) *roaring.Bitmap {
	const group = 8
	if st == nil || len(xs) <= group {
		return orAll(xs...)
	}
	acc := roaring.FastOr(xs[:group]...)
	for i := group; i < len(xs); i += group {
		if st.done() {
			return acc
		}
		acc.Or(roaring.FastOr(xs[i:min(i+group, len(xs))]...))
	}
	return acc
}
