package bitmapindex

import (
	"cmp"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Applying a chunk.
//
// A chunk that is its batch's only write (every Chunk.Commit, and every
// chunk the log replays) is applied field by field straight from its
// columns: no Value per value, no map per row; the IDs of each bitmap to
// change are gathered into buffers reused from one chunk to the next
// (bulkScratch), and the bitmaps are built at their exact size and merged
// without copying (exact.go). So a bulk load allocates little more than
// the index it builds, and the collector, which lets the heap grow to
// twice what was live at its last cycle, keeps the peak near the index's
// size. A chunk within a batch of other writes (only a crafted log record
// holds one) goes through the batch's buffers instead (Chunk.apply).

// bulkScratch holds the buffers a chunk's application reuses (about 15
// MB for chunks of 65,536 customers with a year of events). Commits hold
// the index's lock, so an index uses one at a time; they are pooled
// (bulkPool) rather than kept on the index, which would hold them for its
// lifetime after a single bulk load.
type bulkScratch struct {
	eb    exactBuilder
	found []bool    // resolve
	ids   []uint32  // a tag's IDs
	ents  []attrEnt // an attribute's writes
	fresh freshVals // an attribute's first values
	row   []string  // one set value's strings
	bits  []uint32  // bit slices' IDs, slice after slice
	strs  groups[string]
	nums  groups[uint64]
	days  groups[segkit.Day]
	ev    evScratch
	// linkFields
	fields map[field]fieldEnds
	next   []int32
	first  []bool
}

var bulkPool = sync.Pool{New: func() any { return new(bulkScratch) }}

func getScratch() *bulkScratch { return bulkPool.Get().(*bulkScratch) }

// putScratch returns sc to the pool without the strings and slices of the
// caller's it refers to.
func putScratch(sc *bulkScratch) {
	clear(sc.row[:cap(sc.row)])
	clear(sc.fresh.strs[:cap(sc.fresh.strs)])
	clear(sc.fresh.sets[:cap(sc.fresh.sets)])
	sc.strs.reset()
	clear(sc.strs.keys[:cap(sc.strs.keys)])
	clear(sc.ev.cols[:cap(sc.ev.cols)])
	sc.ev.ids = nil
	clear(sc.fields)
	bulkPool.Put(sc)
}

// groups gathers IDs by key: add them, then finish; each group's IDs keep
// the order they were added in, and groups are numbered in the order their
// keys were first added.
type groups[K comparable] struct {
	index map[K]int32
	keys  []K
	end   []int32 // per group: its count, then (finish) the end of its IDs in out
	gid   []int32 // per ID added: its group
	in    []uint32
	out   []uint32
}

func (g *groups[K]) reset() {
	if g.index == nil {
		g.index = map[K]int32{}
	} else {
		clear(g.index)
	}
	g.keys, g.end, g.gid, g.in = g.keys[:0], g.end[:0], g.gid[:0], g.in[:0]
}

func (g *groups[K]) len() int { return len(g.keys) }

func (g *groups[K]) has(k K) bool {
	_, ok := g.index[k]
	return ok
}

func (g *groups[K]) add(k K, id uint32) {
	j, ok := g.index[k]
	if !ok {
		j = int32(len(g.keys))
		g.index[k] = j
		g.keys = append(g.keys, k)
		g.end = append(g.end, 0)
	}
	g.end[j]++
	g.gid = append(g.gid, j)
	g.in = append(g.in, id)
}

// finish places the IDs by group (a counting sort).
func (g *groups[K]) finish() {
	var sum int32
	for j, n := range g.end {
		g.end[j] = sum // the start, advanced to the end while placing
		sum += n
	}
	g.out = resize(g.out, int(sum))
	for i, j := range g.gid {
		g.out[g.end[j]] = g.in[i]
		g.end[j]++
	}
}

// group returns group j's key and IDs (after finish).
// orGroups finishes g and adds each group's IDs to the bitmap of its key
// in m (created or made writable as needed).
func orGroups[K comparable](g *groups[K], m map[K]*bm, w wctx, eb *exactBuilder) {
	g.finish()
	for j := range g.len() {
		k, ids := g.group(j)
		p := m[k]
		eb.orInto(w.own(&p), ids)
		m[k] = p
	}
}

func (g *groups[K]) group(j int) (K, []uint32) {
	lo := int32(0)
	if j > 0 {
		lo = g.end[j-1]
	}
	return g.keys[j], g.out[lo:g.end[j]]
}

// resize returns s with length n, reallocated (contents lost) when its
// capacity is short, then with room for chunks a little larger.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/8)
	}
	return s[:n]
}

// sortedUnique returns ids sorted without repeats, in place unless aliased
// (a caller's slice, then copied when it has to change).
func sortedUnique(ids []uint32, aliased bool) []uint32 {
	sorted, unique := true, true
	for i := 1; i < len(ids) && sorted; i++ {
		sorted = ids[i] >= ids[i-1]
		unique = unique && ids[i] != ids[i-1]
	}
	if sorted && unique {
		return ids
	}
	if aliased {
		ids = slices.Clone(ids)
	}
	if !sorted {
		slices.Sort(ids)
	}
	return slices.Compact(ids)
}

// applyBulk applies a chunk that is its batch's only write, given the IDs
// of its rows, and returns what it touched when track is set.
func (c *Chunk) applyBulk(w wctx, st *state, ids []uint32, tz *segkit.Zone, track bool) *Touched {
	sc := getScratch()
	defer putScratch(sc)
	var tc *Touched
	if track {
		tc = &Touched{Tags: map[string]*roaring.Bitmap{}, Attrs: map[string]*roaring.Bitmap{},
			Events: map[string]*roaring.Bitmap{}, Days: map[string][]segkit.Day{}}
	}
	c.linkFields(sc)
	for ci := range c.cols {
		if !sc.first[ci] {
			continue // applied with the first column of its field
		}
		switch c.cols[ci].kind {
		case colTag:
			c.applyTag(w, st, ci, ids, sc, tc)
		case colEvent:
			c.applyEventCols(w, st, ci, ids, tz, sc, tc)
		default:
			c.applyAttr(w, st, ci, ids, sc, tc)
		}
	}
	return tc
}

// field names what a column writes: a tag, an event or an attribute.
type field struct {
	name  string
	class colKind // colTag, colEvent, or colInt for every attribute kind
}

// fieldEnds are the first and the last column of a field.
type fieldEnds struct{ first, last int32 }

// linkFields links the columns that write one field, in order: sc.next[ci]
// is the next column of ci's field (−1: none), and sc.first[ci] is set on
// the first. An attribute column without values writes nothing (as in a
// batch, it does not even declare the attribute) and is in no field.
func (c *Chunk) linkFields(sc *bulkScratch) {
	if sc.fields == nil {
		sc.fields = map[field]fieldEnds{}
	}
	m := sc.fields
	clear(m)
	sc.next, sc.first = resize(sc.next, len(c.cols)), resize(sc.first, len(c.cols))
	for ci := range c.cols {
		col := &c.cols[ci]
		sc.next[ci], sc.first[ci] = -1, false
		f := field{name: col.name, class: col.kind}
		switch col.kind {
		case colTag, colEvent:
		default:
			if col.values() == 0 {
				continue
			}
			f.class = colInt
		}
		if e, ok := m[f]; ok {
			sc.next[e.last] = int32(ci)
			m[f] = fieldEnds{e.first, int32(ci)}
		} else {
			sc.first[ci] = true
			m[f] = fieldEnds{int32(ci), int32(ci)}
		}
	}
}

// applyTag adds the customers of the tag columns named as column ci.
func (c *Chunk) applyTag(w wctx, st *state, ci int, ids []uint32, sc *bulkScratch, tc *Touched) {
	name := c.cols[ci].name
	tids := sc.ids[:0]
	for cj := int32(ci); cj >= 0; cj = sc.next[cj] {
		col := &c.cols[cj]
		if col.every {
			tids = append(tids, ids...)
			continue
		}
		for _, r := range col.rows {
			tids = append(tids, ids[r])
		}
	}
	sc.ids = tids
	tids = sortedUnique(tids, false)
	if tc != nil {
		tc.Tags[name] = roaring.BitmapOf(tids...)
	}
	addTagIDs(w, st, name, tids, &sc.eb)
}

// addTagIDs tags the customers of ids (ascending, no repeats).
func addTagIDs(w wctx, st *state, name string, ids []uint32, eb *exactBuilder) {
	if len(ids) <= smallTagAdd {
		// a few IDs (small batches, spread over many tags): adding them one
		// by one moves a container's tail once each, where Or would merge
		// every container it touches element by element
		for _, id := range ids {
			if !st.tags[name].contains(id) {
				w.tag(st, name).Add(id)
			}
		}
		return
	}
	if cur := st.tags[name]; !cur.empty() && ids[0] <= cur.b.Maximum() {
		add := eb.build(ids)
		if cur.b.AndCardinality(add) == uint64(len(ids)) {
			return // nothing new
		}
		w.tag(st, name).Or(add)
		return
	}
	eb.orInto(w.tag(st, name), ids)
}

// attrEnt is a chunk's write of an attribute: row i's value of column col
// for the customer id.
type attrEnt struct {
	id     uint32
	col, i int32
}

// applyAttr writes the attribute of column ci from every column of that
// attribute (a later column wins for a customer written twice).
func (c *Chunk) applyAttr(w wctx, st *state, ci int, ids []uint32, sc *bulkScratch, tc *Touched) {
	name := c.cols[ci].name
	def, ok := st.schema[name]
	if !ok {
		def = inferAttr(name, c.cols[ci].value(0))
		w.mutSchema(st)[name] = def
	}
	a := w.attr(st, def)
	ents := sc.ents[:0]
	for cj := int32(ci); cj >= 0; cj = sc.next[cj] {
		col := &c.cols[cj]
		for i := range col.values() {
			ents = append(ents, attrEnt{id: ids[col.row(i)], col: cj, i: int32(i)})
		}
	}
	sc.ents = ents
	ascending := true
	for k := 1; k < len(ents) && ascending; k++ {
		ascending = ents[k].id > ents[k-1].id
	}
	if !ascending {
		// the last write per customer wins
		slices.SortStableFunc(ents, func(x, y attrEnt) int { return cmp.Compare(x.id, y.id) })
		out := ents[:0]
		for k, e := range ents {
			if k+1 < len(ents) && ents[k+1].id == e.id {
				continue
			}
			out = append(out, e)
		}
		ents = out
	}
	if tc != nil {
		b := roaring.New()
		for _, e := range ents {
			b.Add(e.id)
		}
		tc.Attrs[name] = b
	}
	allFresh := a.present.empty() || ents[0].id > a.present.b.Maximum()
	f := &sc.fresh
	f.reset()
	for _, e := range ents {
		col := &c.cols[e.col]
		switch {
		case col.kind == colSet && len(col.sets[e.i]) == 0:
			a.clear(w, e.id) // an empty set clears
			continue
		case !allFresh && a.present.contains(e.id):
			a.set(w, e.id, col.value(int(e.i)))
			continue
		}
		f.ids = append(f.ids, e.id)
		switch col.kind {
		case colCategory:
			f.strs = append(f.strs, col.strs[e.i])
		case colSet:
			f.sets = append(f.sets, col.sets[e.i])
		default:
			f.us = append(f.us, col.ordered(def, int(e.i)))
		}
	}
	if len(f.ids) > 0 {
		a.setFresh(w, sc, f)
	}
}

// ordered returns the ordered form of a numeric column's i-th value for
// attribute def (validated).
func (col *chunkCol) ordered(def Attribute, i int) uint64 {
	switch col.kind {
	case colDecimal:
		m, _ := toFixed(col.floats[i], def.Scale)
		return ordered(m)
	case colBool:
		if col.bools[i] {
			return ordered(1)
		}
		return ordered(0)
	}
	return ordered(col.ints[i]) // int; time in seconds
}
