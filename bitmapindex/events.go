package bitmapindex

import (
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Events.
//
// Per event name the index keeps, in the index's time zone:
//   - per day: one, the customers with at least one occurrence that day, and
//     extra, a bit-sliced counter of (occurrences that day − 1), which is
//     empty unless someone did it twice on one day;
//   - per block of blockDays aligned days: any, the union of the block's
//     days, and cnt, a bit-sliced counter of the occurrences in the block;
//   - first: per day, the customers whose first-ever occurrence is that day,
//     and ever, everyone with an occurrence;
//   - totals: per customer, the sum of the values recorded with its
//     occurrences (float64, in chunks of chunkSize customers).
//
// A window [from, to] of whole days is answered from the blocks it covers
// entirely and from single days at its edges; a partly covered block is
// either the sum of its covered days or the block minus its uncovered days,
// whichever touches fewer days. So "count in the last 90 days" sums about
// six block counters and at most eight days per edge instead of 90 days.
// Blocks and first-occurrence bitmaps are derived data: snapshots keep the
// days and totals only and rebuild the rest on load.

// blockDays is the length of an aggregation block.
const blockDays = 16

// chunkSize is the number of customers per totals chunk.
const chunkSize = 1024

type event struct {
	gen    uint64
	days   map[segkit.Day]*dayNode
	blocks map[int32]*blockNode
	first  map[segkit.Day]*bm
	ever   *bm
	has    bool // some occurrence was ever recorded: minDay and maxDay are set
	minDay segkit.Day
	maxDay segkit.Day
	totals map[uint32]*chunk // by id / chunkSize
}

type dayNode struct {
	gen   uint64
	one   *bm
	extra []*bm
}

type blockNode struct {
	gen uint64
	any *bm
	cnt []*bm
}

type chunk struct {
	gen uint64
	v   [chunkSize]float64
}

func blockOf(d segkit.Day) int32 {
	q := int32(d) / blockDays
	if int32(d)%blockDays < 0 {
		q--
	}
	return q
}

func blockStart(b int32) segkit.Day { return segkit.Day(int64(b) * blockDays) }

func newEvent(w wctx) *event {
	return &event{
		gen:    w.gen,
		days:   map[segkit.Day]*dayNode{},
		blocks: map[int32]*blockNode{},
		first:  map[segkit.Day]*bm{},
		totals: map[uint32]*chunk{},
	}
}

// event returns the writable event node, creating it.
func (w wctx) event(st *state, name string) *event {
	m := w.mutEvents(st)
	e := m[name]
	switch {
	case e == nil:
		e = newEvent(w)
		m[name] = e
	case e.gen != w.gen:
		c := *e
		c.gen = w.gen
		c.days = maps.Clone(e.days)
		c.blocks = maps.Clone(e.blocks)
		c.first = maps.Clone(e.first)
		c.totals = maps.Clone(e.totals)
		e = &c
		m[name] = e
	}
	return e
}

func (e *event) day(w wctx, d segkit.Day) *dayNode {
	n := e.days[d]
	switch {
	case n == nil:
		n = &dayNode{gen: w.gen}
		e.days[d] = n
	case n.gen != w.gen:
		c := *n
		c.gen = w.gen
		c.extra = slices.Clone(n.extra)
		n = &c
		e.days[d] = n
	}
	return n
}

func (e *event) block(w wctx, b int32) *blockNode {
	n := e.blocks[b]
	switch {
	case n == nil:
		n = &blockNode{gen: w.gen}
		e.blocks[b] = n
	case n.gen != w.gen:
		c := *n
		c.gen = w.gen
		c.cnt = slices.Clone(n.cnt)
		n = &c
		e.blocks[b] = n
	}
	return n
}

// record adds one occurrence for id on day d with value f.
func (e *event) record(w wctx, id uint32, d segkit.Day, f float64) {
	dn := e.day(w, d)
	if dn.one.contains(id) {
		incr(w, &dn.extra, id)
	} else {
		w.own(&dn.one).Add(id)
	}
	bn := e.block(w, blockOf(d))
	if !bn.any.contains(id) {
		w.own(&bn.any).Add(id)
	}
	incr(w, &bn.cnt, id)

	switch {
	case !e.ever.contains(id):
		w.own(&e.ever).Add(id)
		e.addFirst(w, d, id)
	case d < e.maxDay:
		// an occurrence older than the newest data: it may be a new first
		for fd, p := range e.first {
			if p.contains(id) {
				if d < fd {
					w.own(&p).Remove(id)
					e.first[fd] = p
					e.addFirst(w, d, id)
				}
				break
			}
		}
	}
	if !e.has || d > e.maxDay {
		e.maxDay = d
	}
	if !e.has || d < e.minDay {
		e.minDay = d
	}
	e.has = true
	if f != 0 {
		e.addTotal(w, id, f)
	}
}

func (e *event) addFirst(w wctx, d segkit.Day, id uint32) {
	p := e.first[d]
	w.own(&p).Add(id)
	e.first[d] = p
}

func (e *event) addTotal(w wctx, id uint32, f float64) {
	i := id / chunkSize
	c := e.totals[i]
	switch {
	case c == nil:
		c = &chunk{gen: w.gen}
		e.totals[i] = c
	case c.gen != w.gen:
		cc := *c
		cc.gen = w.gen
		c = &cc
		e.totals[i] = c
	}
	c.v[id%chunkSize] += f
}

// total returns id's sum of values.
func (e *event) total(id uint32) float64 {
	c := e.totals[id/chunkSize]
	if c == nil {
		return 0
	}
	return c.v[id%chunkSize]
}

// removeIDs removes deleted customers from the event's bitmaps and totals.
func (e *event) removeIDs(w wctx, st *state, name string, del *roaring.Bitmap) {
	if !e.ever.intersects(del) {
		return
	}
	e = w.event(st, name)
	w.own(&e.ever).AndNot(del)
	for d, n := range e.days {
		if n.one.intersects(del) {
			n = e.day(w, d)
			w.own(&n.one).AndNot(del)
			for i := range n.extra {
				if n.extra[i].intersects(del) {
					w.own(&n.extra[i]).AndNot(del)
				}
			}
		}
	}
	for b, n := range e.blocks {
		if n.any.intersects(del) {
			n = e.block(w, b)
			w.own(&n.any).AndNot(del)
			for i := range n.cnt {
				if n.cnt[i].intersects(del) {
					w.own(&n.cnt[i]).AndNot(del)
				}
			}
		}
	}
	for d, p := range e.first {
		if p.intersects(del) {
			w.own(&p).AndNot(del)
			e.first[d] = p
		}
	}
	for id := range roaring.Values(del) {
		if t := e.total(id); t != 0 {
			e.addTotal(w, id, -t)
		}
	}
}

// ---- reads -----------------------------------------------------------------

func bitmapsOf(xs []*bm) []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, len(xs))
	for i, x := range xs {
		out[i] = x.bits()
	}
	return out
}

// clamp narrows [from, to] to the days that hold data.
func (e *event) clamp(from, to segkit.Day) (segkit.Day, segkit.Day, bool) {
	if !e.has {
		return 0, 0, false
	}
	from = max(from, e.minDay)
	to = min(to, e.maxDay)
	return from, to, from <= to
}

// did returns the customers with an occurrence in [from, to].
func (e *event) did(from, to segkit.Day) *roaring.Bitmap {
	from, to, ok := e.clamp(from, to)
	if !ok {
		return roaring.New()
	}
	var xs []*roaring.Bitmap
	for b := blockOf(from); b <= blockOf(to); b++ {
		bs, be := blockStart(b), blockStart(b)+blockDays-1
		if from <= bs && be <= to {
			if n := e.blocks[b]; n != nil && !n.any.empty() {
				xs = append(xs, n.any.b)
			}
			continue
		}
		for d := max(from, bs); d <= min(to, be); d++ {
			if n := e.days[d]; n != nil && !n.one.empty() {
				xs = append(xs, n.one.b)
			}
		}
	}
	return roaring.FastOr(xs...)
}

// count returns the per-customer number of occurrences in [from, to].
func (e *event) count(from, to segkit.Day) *counter {
	c := &counter{}
	from, to, ok := e.clamp(from, to)
	if !ok {
		return c
	}
	for b := blockOf(from); b <= blockOf(to); b++ {
		n := e.blocks[b]
		if n == nil || n.any.empty() {
			continue
		}
		bs, be := blockStart(b), blockStart(b)+blockDays-1
		lo, hi := max(from, bs), min(to, be)
		inside := int(hi - lo + 1)
		if inside == blockDays {
			c.add(bitmapsOf(n.cnt))
			continue
		}
		if inside <= blockDays/2 {
			for d := lo; d <= hi; d++ {
				e.addDay(c, d)
			}
			continue
		}
		c.add(bitmapsOf(n.cnt))
		for d := bs; d <= be; d++ {
			if d < lo || d > hi {
				e.subDay(c, d)
			}
		}
	}
	return c
}

func (e *event) addDay(c *counter, d segkit.Day) {
	n := e.days[d]
	if n == nil || n.one.empty() {
		return
	}
	c.add([]*roaring.Bitmap{n.one.b})
	if len(n.extra) > 0 {
		c.add(bitmapsOf(n.extra))
	}
}

func (e *event) subDay(c *counter, d segkit.Day) {
	n := e.days[d]
	if n == nil || n.one.empty() {
		return
	}
	if len(n.extra) > 0 {
		c.sub(bitmapsOf(n.extra))
	}
	c.sub([]*roaring.Bitmap{n.one.b})
}

// firstIn returns the customers whose first occurrence is in [from, to].
func (e *event) firstIn(from, to segkit.Day) *roaring.Bitmap {
	var xs []*roaring.Bitmap
	for d, p := range e.first {
		if d >= from && d <= to && !p.empty() {
			xs = append(xs, p.b)
		}
	}
	return roaring.FastOr(xs...)
}

// occurrences returns id's occurrences as days, ascending, each repeated by
// its count.
func (e *event) occurrences(id uint32) []segkit.Day {
	if !e.ever.contains(id) {
		return nil
	}
	var out []segkit.Day
	for _, d := range slices.Sorted(maps.Keys(e.days)) {
		n := e.days[d]
		if !n.one.contains(id) {
			continue
		}
		k := 1 + readBits(n.extra, id)
		for range k {
			out = append(out, d)
		}
	}
	return out
}

// rebuild derives blocks, first-occurrence bitmaps and ever from the days
// (after a snapshot load).
func (e *event) rebuild(w wctx) {
	e.blocks = map[int32]*blockNode{}
	e.first = map[segkit.Day]*bm{}
	seen := roaring.New()
	days := slices.Sorted(maps.Keys(e.days))
	for i := 0; i < len(days); {
		b := blockOf(days[i])
		c := &counter{}
		var ones []*roaring.Bitmap
		for ; i < len(days) && blockOf(days[i]) == b; i++ {
			d := days[i]
			n := e.days[d]
			if n.one.empty() {
				continue
			}
			if nw := roaring.AndNot(n.one.b, seen); !nw.IsEmpty() {
				e.first[d] = &bm{b: nw, gen: w.gen}
				seen.Or(n.one.b)
			}
			ones = append(ones, n.one.b)
			e.addDay(c, d)
		}
		bn := &blockNode{gen: w.gen, any: &bm{b: roaring.FastOr(ones...), gen: w.gen}}
		for _, s := range c.s {
			if s == nil {
				s = roaring.New()
			}
			bn.cnt = append(bn.cnt, &bm{b: s, gen: w.gen})
		}
		e.blocks[b] = bn
	}
	e.ever = &bm{b: seen, gen: w.gen}
}
