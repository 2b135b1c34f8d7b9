package bitmapindex

import (
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/internal/knobs"
)

// Stripes (issue 21 item 4).
//
// A query over a few large dense bitmaps (tags held by a third of 100M
// customers) runs at memory speed on one core, and roaring's API offers no
// way to operate on a range of a bitmap's containers without copying them.
// So the index cuts its large dense bitmaps into stripes of 2^22 IDs
// (knobs.StripeBits) when it freezes them (and when it loads them): each
// stripe is a bitmap of its own that shares the original's containers. An
// evaluator can then run the same operations stripe by stripe on as many
// cores as it has, each stripe's result holding only that stripe's IDs, and
// join the results in order.
//
// Sharing is safe because of how frozen bitmaps are kept (cow.go): a
// stripe is cut while the writer still owns the bitmap, from a shallow
// clone with copy-on-write, so every shared container is marked; after that
// nobody writes the frozen bitmap or its stripes, and the writer's successor
// copies a marked container before changing it. A stripe costs its
// container list (about 24 bytes a container), which Stats counts.

// stripeMinDensity: a bitmap is striped when it has members in two
// stripes at least and holds at least one ID in stripeMinDensity of its
// span (then most of its containers are bitmaps of 8 KiB: the work a query
// on it does is worth splitting).
const stripeMinDensity = 16

// stripe cuts x.b into stripes when it is large and dense enough. x.b must
// have copy-on-write on and be owned by the caller (the writer freezing it,
// or the loader before the index is published).
func (x *bm) stripe() {
	x.parts = nil
	b := x.b
	if b.IsEmpty() {
		return
	}
	bits := knobs.StripeBits
	lo, hi := b.Minimum(), b.Maximum()
	first, last := lo>>bits, hi>>bits
	if first == last || b.GetCardinality()*stripeMinDensity < uint64(hi-lo)+1 {
		return
	}
	parts := make([]*roaring.Bitmap, last+1)
	rest := b.Clone() // shallow: marks every container of b shared
	for k := last; k > first; k-- {
		start := uint64(k) << bits
		p := rest.Clone()
		p.RemoveRange(0, start) // whole containers: none is written
		rest.RemoveRange(start, 1<<32)
		if !p.IsEmpty() {
			parts[k] = p
		}
	}
	parts[first] = rest
	for _, p := range parts {
		if p != nil {
			p.SetCopyOnWrite(false) // as frozen bitmaps: a reader's Clone copies
		}
	}
	x.parts = parts
}

// stripeLoaded stripes a bitmap the loader built and nobody else holds.
func (x *bm) stripeLoaded() {
	x.b.SetCopyOnWrite(true)
	x.stripe()
	x.b.SetCopyOnWrite(false)
}

// stripeBytes estimates the memory of x's stripes: their container lists.
func (x *bm) stripeBytes() int64 {
	var n int64
	for _, p := range x.parts {
		if p != nil {
			n += 64 + 24*int64(p.Stats().Containers)
		}
	}
	return n
}

// Stripes returns s's members cut by stripes of 2^22 IDs (element k holds
// the members in [k·2^22, (k+1)·2^22), nil when there are none; stripes
// past the end are empty), sharing s's memory, when the index
// keeps them for s: the large dense bitmaps of tags, attribute values,
// present customers and all live customers. nil otherwise. The bitmaps
// must not be modified.
func (s Set) Stripes() []*roaring.Bitmap { return s.parts }

// setOf is the Set of node x (nil: empty), with its stripes.
func setOf(v *View, x *bm) Set {
	if x == nil {
		return Set{v: v}
	}
	return Set{v: v, bm: x.b, parts: x.parts}
}

// stripeLoaded stripes the bitmaps a query may use whole (see Set.Stripes)
// of a state the loader built and nobody else holds yet.
func (st *state) stripeLoaded() {
	st.eachWhole(func(x *bm) { x.stripeLoaded() })
}

// stripeNew stripes the bitmaps a query may use whole that the writer
// created or copied in generation gen (so still owns, with copy-on-write
// on). It runs just before they are frozen (Index.View); the maps of tags
// and attributes not copied in gen are skipped whole.
func (st *state) stripeNew(gen uint64) {
	if st.gen != gen {
		return
	}
	try := func(x *bm) {
		if x.gen == gen && x.b.GetCopyOnWrite() {
			x.stripe()
		}
	}
	try(st.live)
	if st.tagsGen == gen {
		for _, t := range st.tags {
			try(t)
		}
	}
	if st.attrsGen == gen {
		for _, a := range st.attrs {
			if a.gen != gen {
				continue
			}
			if a.present != nil {
				try(a.present)
			}
			for _, x := range a.dict {
				try(x)
			}
		}
	}
}

// eachWhole calls f for every node a query may use whole: live customers,
// tags, attributes' present customers and category or set values.
func (st *state) eachWhole(f func(x *bm)) {
	if st.live != nil {
		f(st.live)
	}
	for _, t := range st.tags {
		f(t)
	}
	for _, a := range st.attrs {
		if a.present != nil {
			f(a.present)
		}
		for _, x := range a.dict {
			f(x)
		}
	}
}
