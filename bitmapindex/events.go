package bitmapindex

import (
	"cmp"
	"encoding/binary"
	"maps"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

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
//     days, and cnt, a bit-sliced counter of the occurrences in the block,
//     built on first use (blockCount);
//   - first: per day, the customers whose first-ever occurrence is that day,
//     and ever, everyone with an occurrence;
//   - totals: per customer, a sum of values not held by any occurrence
//     (float64, in chunks of chunkSize customers): what a version-1
//     snapshot, written before occurrences had values, kept. Values
//     recorded since are in the days' columns (eventdata.go), and a
//     customer's sum is computed from them (View.EventSum).
//
// A window [from, to] of whole days is answered from the blocks it covers
// entirely and from single days at its edges; a partly covered block is
// either the sum of its covered days or the block minus its uncovered days,
// whichever touches fewer days. So "count in the last 90 days" sums about
// six block counters and at most eight days per edge instead of 90 days.
// Blocks and first-occurrence bitmaps are derived data: snapshots write
// them so that a load can check them against the days (block counters
// that are not held are summed for the write), and a load keeps the
// unions and first occurrences but not the counters.

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
	dict   *propDict         // property keys and values (eventdata.go); nil: none recorded
	rk     *rankSlot         // recency ranks (eventrank.go), built on first use
	rkPrev rankBase          // the ranks of the version this one was copied from, if any
}

type dayNode struct {
	gen   uint64
	one   *bm
	extra []*bm
	occ   *occCols // values and properties (eventdata.go); nil: all 0, none
}

type blockNode struct {
	gen uint64
	any *bm
	cnt *blockCount // never nil; a copy of the node gets its own
}

// blockCount holds a block's counter once built. Most count windows are
// answered from the recency ranks (eventrank.go) and never read a
// counter, so counters are summed from the block's days when a query
// first needs one (held for every block, they took 14 of 157 bytes a
// customer of synth's reference population). Readers of an immutable
// view build it under mu; a writer carries a built counter into its copy
// of the node and keeps it up to date, and leaves an unbuilt one
// unbuilt. A snapshot load holds none.
type blockCount struct {
	mu sync.Mutex
	s  atomic.Pointer[[]*bm] // nil: not built
}

// built returns the block's counter, nil when it is not built.
func (n *blockNode) built() []*bm {
	if p := n.cnt.s.Load(); p != nil {
		return *p
	}
	return nil
}

// counts returns the counter of block b, n's node in e, summing it from
// the block's days on first use.
func (n *blockNode) counts(e *event, b int32) []*bm {
	if p := n.cnt.s.Load(); p != nil {
		return *p
	}
	n.cnt.mu.Lock()
	defer n.cnt.mu.Unlock()
	if p := n.cnt.s.Load(); p != nil {
		return *p
	}
	s := e.sumBlock(b)
	n.cnt.s.Store(&s)
	return s
}

// countsOrNil returns the counter of block b for a writer that keeps it
// up to date: a pointer to the slice of n (owned by w) when it is built,
// nil when it is not (the writer leaves it unbuilt).
func (n *blockNode) countsOrNil() *[]*bm { return n.cnt.s.Load() }

// countsOrSum returns the counter of block b, n's node in e: the one held,
// else one summed from the days for the caller only (a snapshot write
// leaves the counters held as the queries left them).
func (n *blockNode) countsOrSum(e *event, b int32) []*bm {
	if p := n.cnt.s.Load(); p != nil {
		return *p
	}
	return e.sumBlock(b)
}

// sumBlock returns the counter of block b summed from its days. Its
// bitmaps have generation 0: a writer copies them before changing them.
func (e *event) sumBlock(b int32) []*bm {
	var terms [][]*roaring.Bitmap
	var volume uint64
	small := true // every day's counter fits sumBlockDense's uint16 counts
	for d := blockStart(b); d < blockStart(b)+blockDays; d++ {
		n := e.days[d]
		if n == nil || n.one.empty() {
			continue
		}
		terms = append(terms, []*roaring.Bitmap{n.one.b})
		volume += n.one.b.GetCardinality()
		if len(n.extra) > 0 {
			terms = append(terms, bitmapsOf(n.extra))
			small = small && len(n.extra) <= 11
		}
	}
	var sum []*roaring.Bitmap
	ok := false
	if n := e.blocks[b]; small && volume >= minDenseVolume && n != nil && !n.any.empty() {
		sum, ok = e.sumBlockDense(b, n.any.b)
	}
	if !ok {
		sum = sumTerms(terms, nil).s
	}
	for len(sum) > 0 && (sum[len(sum)-1] == nil || sum[len(sum)-1].IsEmpty()) {
		sum = sum[:len(sum)-1]
	}
	out := make([]*bm, len(sum))
	for i, x := range sum {
		if x == nil {
			x = roaring.New()
		}
		out[i] = &bm{b: x}
	}
	return out
}

// sumBlockDense is sumBlock for large blocks: the days' bitmaps and
// counter slices are added into an array of counts, one range of 65536
// IDs at a time (as checkBlock does), and the counts of the block's
// customers (any) are spread into one dense word array per bit. That
// reads each member once, where the bit-sliced adder rewrites bitmaps at
// every level of its tree (2 ms against 7 for a block of 440k members). A
// day adds at most 2^11 (its counter has at most 11 slices), so the
// counts of 16 days fit a uint16. It declines (false) should the days
// hold a customer that any does not (a count left behind in the array).
func (e *event) sumBlockDense(b int32, any *roaring.Bitmap) ([]*roaring.Bitmap, bool) {
	var srcs []*countSource
	lo, hi := any.Minimum(), any.Maximum() // (then over the days: each range with a member is checked)
	for d := blockStart(b); d < blockStart(b)+blockDays; d++ {
		n := e.days[d]
		if n == nil || n.one.empty() {
			continue
		}
		lo, hi = min(lo, n.one.b.Minimum()), max(hi, n.one.b.Maximum())
		srcs = append(srcs, &countSource{it: n.one.b.ManyIterator(), add: 1})
		for j, x := range n.extra {
			if !x.empty() {
				srcs = append(srcs, &countSource{it: x.b.ManyIterator(), add: 1 << uint(j)})
			}
		}
	}
	size := uint64(hi) + 1
	var words [16][]uint64 // by bit
	cnt := make([]uint16, 1<<16)
	members := &countSource{it: any.ManyIterator()}
	for c := uint64(lo) >> 16; c <= uint64(hi)>>16; c++ {
		end := (c + 1) << 16
		for _, s := range srcs {
			s.run(cnt, nil, end)
		}
		for members.next() && uint64(members.buf[members.pos]) < end {
			for ; members.pos < members.n && uint64(members.buf[members.pos]) < end; members.pos++ {
				id := members.buf[members.pos]
				v := cnt[id&0xffff]
				cnt[id&0xffff] = 0
				for ; v != 0; v &= v - 1 {
					k := bits.TrailingZeros16(v)
					if words[k] == nil {
						words[k] = scatterWords(size)
					}
					words[k][id/64] |= 1 << (id % 64)
				}
			}
		}
		if !allZero(cnt) {
			for _, w := range words {
				if w != nil {
					clear(w)
					scatterBufs.Put(&w)
				}
			}
			return nil, false
		}
	}
	top := len(words)
	for top > 0 && words[top-1] == nil {
		top--
	}
	out := make([]*roaring.Bitmap, top)
	for k, w := range words[:top] {
		if w == nil {
			out[k] = roaring.New()
			continue
		}
		out[k] = denseToBitmap(w) // (gives w back to the pool, cleared)
	}
	return out, true
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
		rk:     &rankSlot{},
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
		c.dict = e.dict.clone()
		c.rk, c.rkPrev = &rankSlot{}, e.rk.state()
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
		n = &blockNode{gen: w.gen, cnt: &blockCount{}}
		e.blocks[b] = n
	case n.gen != w.gen:
		c := &blockNode{gen: w.gen, any: n.any, cnt: &blockCount{}}
		if s := n.built(); s != nil {
			s = slices.Clone(s)
			c.cnt.s.Store(&s)
		}
		n = c
		e.blocks[b] = n
	}
	return n
}

// dayBuf holds a batch's occurrences of one event on one day.
type dayBuf struct {
	ids     []uint32
	det     []occIn // occurrences with a value or properties
	aliased bool    // ids is a caller's slice: never modified
}

type idValue struct {
	id uint32
	f  float64
}

// recordMany adds the occurrences of one day (an ID appears once per
// occurrence) with whole-bitmap operations. old holds the customers of the
// batch that had occurrences before it (nil: none); the batch's days are
// recorded in ascending order.
func (e *event) recordMany(w wctx, d segkit.Day, buf *dayBuf, old *roaring.Bitmap) {
	ids := buf.ids
	if !slices.IsSorted(ids) {
		if buf.aliased {
			ids = slices.Clone(ids)
		}
		slices.Sort(ids)
	}
	type idCount struct {
		id uint32
		n  int
	}
	var multi []idCount
	strict := true
	for i := 1; i < len(ids) && strict; i++ {
		strict = ids[i] > ids[i-1]
	}
	uniq := ids
	if !strict {
		uniq = make([]uint32, 0, len(ids))
	}
	for i := 0; i < len(ids) && !strict; {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		uniq = append(uniq, ids[i])
		if j-i > 1 {
			multi = append(multi, idCount{ids[i], j - i})
		}
		i = j
	}
	g := roaring.BitmapOf(uniq...)

	// the day: who did it, and (occurrences − 1) for who did it more often
	dn := e.day(w, d)
	if len(buf.det) > 0 || dn.occ != nil {
		e.mergeDetails(dn, ids, buf.det)
	}
	if !dn.one.empty() {
		if again := roaring.And(dn.one.b, g); !again.IsEmpty() {
			for id := range roaring.Values(again) {
				incr(w, &dn.extra, id) // the existing first occurrence makes this one extra
			}
		}
	}
	for _, m := range multi {
		for range m.n - 1 {
			incr(w, &dn.extra, m.id)
		}
	}
	w.own(&dn.one).Or(g)

	// the block: union and counter
	bn := e.block(w, blockOf(d))
	w.own(&bn.any).Or(g)
	add := []*roaring.Bitmap{g}
	if len(multi) > 0 {
		counts := make(map[uint32]int, len(multi))
		for _, m := range multi {
			counts[m.id] = m.n
		}
		add = countSlices(uniq, counts)
	}
	if cnt := bn.countsOrNil(); cnt != nil {
		addOwned(w, cnt, add)
	}

	// first occurrences
	fresh := g
	if !e.ever.empty() {
		fresh = roaring.AndNot(g, e.ever.b)
	}
	if e.has && d < e.maxDay && old != nil && old.Intersects(g) {
		// customers seen before the batch may have had their first
		// occurrence later
		if seen := roaring.And(roaring.AndNot(g, fresh), old); !seen.IsEmpty() {
			for _, fd := range slices.Sorted(maps.Keys(e.first)) {
				if fd <= d || !e.first[fd].intersects(seen) {
					continue
				}
				p := e.first[fd]
				moved := roaring.And(p.b, seen)
				w.own(&p).AndNot(moved)
				e.first[fd] = p
				q := e.first[d]
				w.own(&q).Or(moved)
				e.first[d] = q
			}
		}
	}
	if !fresh.IsEmpty() {
		w.own(&e.ever).Or(fresh)
		p := e.first[d]
		w.own(&p).Or(fresh)
		e.first[d] = p
	}
	if !e.has || d > e.maxDay {
		e.maxDay = d
	}
	if !e.has || d < e.minDay {
		e.minDay = d
	}
	e.has = true
}

// countSlices returns the bit slices of per-customer counts: 1 for every ID
// of uniq (ascending) except those in counts.
func countSlices(uniq []uint32, counts map[uint32]int) []*roaring.Bitmap {
	var perBit [][]uint32
	for _, id := range uniq {
		n, ok := counts[id]
		if !ok {
			n = 1
		}
		for b := 0; n != 0; b++ {
			if b == len(perBit) {
				perBit = append(perBit, nil)
			}
			if n&1 != 0 {
				perBit[b] = append(perBit[b], id)
			}
			n >>= 1
		}
	}
	out := make([]*roaring.Bitmap, len(perBit))
	for i, ids := range perBit {
		out[i] = roaring.BitmapOf(ids...)
	}
	return out
}

// addOwned adds bit-sliced values to a counter held in copy-on-write nodes.
func addOwned(w wctx, cnt *[]*bm, x []*roaring.Bitmap) {
	c := counter{s: make([]*roaring.Bitmap, len(*cnt))}
	for i := range *cnt {
		if (*cnt)[i] != nil {
			c.s[i] = w.own(&(*cnt)[i])
		}
	}
	c.add(x)
	for i, b := range c.s {
		if i == len(*cnt) {
			*cnt = append(*cnt, nil)
		}
		if b == nil {
			continue
		}
		if (*cnt)[i] == nil || (*cnt)[i].b != b {
			(*cnt)[i] = &bm{b: b, gen: w.gen}
		}
	}
}

func (e *event) addTotal(w wctx, id uint32, f float64) {
	i := id / chunkSize
	c := e.totals[i]
	switch {
	case c == nil:
		c = &chunk{gen: w.gen}
		e.totals[i] = c
	case c.gen != w.gen:
		c = c.clone(w.gen)
		e.totals[i] = c
	}
	c.add(id%chunkSize, f) // totals.go
}

// total returns id's sum of values not held by occurrences (see totals).
func (e *event) total(id uint32) float64 {
	c := e.totals[id/chunkSize]
	if c == nil {
		return 0
	}
	return c.get(id % chunkSize)
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
			if n.occ != nil {
				n.occ = n.occ.without(del.Contains)
			}
		}
	}
	for b, n := range e.blocks {
		if n.any.intersects(del) {
			n = e.block(w, b)
			w.own(&n.any).AndNot(del)
			if cnt := n.countsOrNil(); cnt != nil {
				for i := range *cnt {
					if (*cnt)[i].intersects(del) {
						w.own(&(*cnt)[i]).AndNot(del)
					}
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
	e.afterRemove(del)
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

// didStop returns the customers with an occurrence in [from, to]. The result
// may be the event's own bitmap: callers only read it.
// It stops early (an incomplete result) when st is done (cancel.go).
func (e *event) didStop(from, to segkit.Day, st *stop) *roaring.Bitmap {
	if e.has && from <= e.minDay && to >= e.maxDay && !e.ever.empty() {
		return e.ever.b // the window holds every recorded day: did("e")
	}
	from, to, ok := e.clamp(from, to)
	if !ok {
		return roaring.New()
	}
	if e.rankable(to) {
		return e.didRanked(from, st) // eventrank.go
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
	return orSparse(st, e.idBound(), xs...)
}

// orSparse is the union of xs. Several bitmaps that together hold between
// one in 1,024 and one in 8 of the IDs below size are unioned by setting
// bits in a dense array (orScatter): FastOr would merge their small array
// containers into one another again and again. Fewer members make the
// dense pass not worth it, more make FastOr's containers dense early.
func orSparse(st *stop, size uint64, xs ...*roaring.Bitmap) *roaring.Bitmap {
	if len(xs) >= 4 {
		var n uint64
		for _, x := range xs {
			n += x.GetCardinality()
		}
		if n >= size/1024 && n < size/8 {
			return orScatter(st, size, xs...)
		}
	}
	return orAllStop(st, xs...)
}

// countStop returns the per-customer number of occurrences in [from, to].
//
// The window is split into whole blocks and single days at its edges (a
// partly covered block is the block minus its uncovered days when that
// touches fewer days). The terms are summed pairwise in a balanced tree, so
// small edge days are added to each other before they meet the large block
// sums, and the subtracted days are summed first and subtracted once.
// It stops early (an incomplete result) when st is done (cancel.go).
func (e *event) countStop(from, to segkit.Day, st *stop) *counter {
	from, to, ok := e.clamp(from, to)
	if !ok {
		return &counter{}
	}
	var plus, minus [][]*roaring.Bitmap
	day := func(terms *[][]*roaring.Bitmap, d segkit.Day) {
		n := e.days[d]
		if n == nil || n.one.empty() {
			return
		}
		*terms = append(*terms, []*roaring.Bitmap{n.one.b})
		if len(n.extra) > 0 {
			*terms = append(*terms, bitmapsOf(n.extra))
		}
	}
	for b := blockOf(from); b <= blockOf(to); b++ {
		n := e.blocks[b]
		if n == nil || n.any.empty() {
			continue
		}
		bs, be := blockStart(b), blockStart(b)+blockDays-1
		lo, hi := max(from, bs), min(to, be)
		inside := int(hi - lo + 1)
		switch {
		case inside == blockDays:
			plus = append(plus, bitmapsOf(n.counts(e, b)))
		case inside <= blockDays/2:
			for d := lo; d <= hi; d++ {
				day(&plus, d)
			}
		default:
			plus = append(plus, bitmapsOf(n.counts(e, b)))
			for d := bs; d <= be; d++ {
				if d < lo || d > hi {
					day(&minus, d)
				}
			}
		}
	}
	c := sumTerms(plus, st)
	if len(minus) > 0 {
		c.sub(sumTerms(minus, st).s)
	}
	return c
}

// sumTerms adds bit-sliced values pairwise in a balanced tree. The terms are
// only read; the result owns its bitmaps.
func sumTerms(terms [][]*roaring.Bitmap, st *stop) *counter {
	if len(terms) == 0 {
		return &counter{}
	}
	type node struct {
		s     []*roaring.Bitmap
		owned bool
	}
	level := make([]node, len(terms))
	for i, t := range terms {
		level[i] = node{s: t}
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			if st.done() {
				return &counter{}
			}
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			a, b := level[i], level[i+1]
			c := &counter{}
			if a.owned {
				c.s = a.s
			} else {
				c.add(a.s)
			}
			c.add(b.s)
			next = append(next, node{s: c.s, owned: true})
		}
		level = next
	}
	if level[0].owned {
		return &counter{s: level[0].s}
	}
	c := &counter{}
	c.add(level[0].s)
	return c
}

// firstIn returns the customers whose first occurrence is in [from, to].
func (e *event) firstIn(from, to segkit.Day) *roaring.Bitmap {
	var xs []*roaring.Bitmap
	for d, p := range e.first {
		if d >= from && d <= to && !p.empty() {
			xs = append(xs, p.b)
		}
	}
	return orAll(xs...)
}

// occurrences returns id's occurrences as days, ascending, each repeated by
// its count.
func (e *event) occurrences(id uint32, from segkit.Day) []segkit.Day {
	if !e.ever.contains(id) {
		return nil
	}
	var out []segkit.Day
	day := func(d segkit.Day) int {
		n := e.days[d]
		if n == nil || !n.one.contains(id) {
			return 0
		}
		k := 1 + int(readBits(n.extra, id))
		for range k {
			out = append(out, d)
		}
		return k
	}
	// the blocks the customer has occurrences in, then their days: a block
	// test skips blockDays days, and the block's count of the customer's
	// occurrences ends its walk at the last of them
	lo, hi := blockOf(max(e.minDay, from)), blockOf(e.maxDay)
	if !e.has || int64(hi)-int64(lo) >= 4*int64(len(e.blocks)) { // sparse blocks: in key order
		for _, d := range slices.Sorted(maps.Keys(e.days)) {
			if d >= from {
				day(d)
			}
		}
		return out
	}
	for b := lo; b <= hi; b++ {
		n := e.blocks[b]
		if n == nil || !n.any.contains(id) {
			continue
		}
		start := max(blockStart(b), e.minDay)
		left := -1 // unknown: a block partly before from counts occurrences not read, or no counter held
		if cnt := n.built(); start >= from && cnt != nil {
			left = int(readBits(cnt, id))
		}
		for d := max(start, from); d < blockStart(b)+blockDays && d <= e.maxDay && left != 0; d++ {
			left -= day(d)
		}
	}
	return out
}

// checkLoaded checks the aggregates read from a snapshot against the days
// and derives ever: there is a block for exactly the blocks that have days,
// and the first occurrences (each within its day, checked when read) are
// disjoint and cover everyone with an occurrence.
func (e *event) checkLoaded(name string) error {
	want := map[int32]bool{}
	for d, n := range e.days {
		if !n.one.empty() {
			want[blockOf(d)] = true
		}
	}
	if len(want) != len(e.blocks) {
		return corruptf("event %q: %d blocks for %d blocks of days", name, len(e.blocks), len(want))
	}
	var anys []*roaring.Bitmap
	for b, n := range e.blocks {
		if !want[b] {
			return corruptf("event %q: block %d has no days", name, b)
		}
		anys = append(anys, n.any.b)
	}
	var firsts []*roaring.Bitmap
	var total uint64
	for _, p := range e.first {
		firsts = append(firsts, p.b)
		total += p.b.GetCardinality()
	}
	ever := roaring.FastOr(firsts...)
	if ever.GetCardinality() != total || !ever.Equals(roaring.FastOr(anys...)) {
		return corruptf("event %q: first occurrences do not partition its customers", name)
	}
	e.ever = &bm{b: ever, gen: 1}
	return nil
}

// denseCount enables counting occurrences per customer in a byte array
// (countDense) when that touches less data than summing bit-sliced
// counters. A variable so tests can exercise both paths.
var denseCount = true

// maxDenseN is the largest threshold countDense answers: its per-customer
// counts saturate at 255, and `count op n` is exact for n up to 253.
const maxDenseN = 250

// denseBufs recycles countDense's per-customer byte arrays.
var denseBufs sync.Pool

// countDense answers `count op n` over [from, to] (1 ≤ n ≤ maxDenseN) by
// adding every customer's occurrences into one byte per customer: the
// bit slices of the blocks the window covers whole (a slice of bit i adds
// 2^i), and the days at its edges. Its cost is the number of set bits it
// reads plus one pass over the bytes, so it declines (false) when the
// window holds more than twice as many bits as there are customers, where
// the bit-sliced adder over whole bitmaps is cheaper. Customers with no
// occurrence are not included; the caller adds them when zero satisfies op.
func (e *event) countDense(from, to segkit.Day, op Op, n int64, st *stop) (*roaring.Bitmap, bool) {
	if !denseCount || n < 1 || n > maxDenseN {
		return nil, false
	}
	from, to, ok := e.clamp(from, to)
	if !ok || e.ever.empty() {
		return roaring.New(), true
	}
	type term struct {
		b     *roaring.Bitmap
		shift uint
	}
	var terms []term
	var volume uint64
	addSlices := func(first *roaring.Bitmap, slices []*bm, firstBit uint) {
		if first != nil {
			terms = append(terms, term{first, 0})
			volume += first.GetCardinality()
		}
		for i, s := range slices {
			if !s.empty() {
				terms = append(terms, term{s.b, uint(i) + firstBit})
				volume += s.b.GetCardinality()
			}
		}
	}
	for b := blockOf(from); b <= blockOf(to); b++ {
		nb := e.blocks[b]
		if nb == nil || nb.any.empty() {
			continue
		}
		bs, be := blockStart(b), blockStart(b)+blockDays-1
		if from <= bs && be <= to {
			addSlices(nil, nb.counts(e, b), 0)
			continue
		}
		for d := max(from, bs); d <= min(to, be); d++ {
			if dn := e.days[d]; dn != nil && !dn.one.empty() {
				addSlices(dn.one.b, dn.extra, 0) // occurrences = 1 + extra
			}
		}
	}
	size := uint64(e.ever.b.Maximum()) + 1
	if volume > 2*size {
		return nil, false
	}
	var counts []uint8
	if p, _ := denseBufs.Get().(*[]uint8); p != nil && uint64(cap(*p)) >= size {
		counts = (*p)[:size]
	} else {
		counts = make([]uint8, size)
	}
	defer func() {
		clear(counts)
		denseBufs.Put(&counts)
	}()
	var buf [1024]uint32
	for _, t := range terms {
		add := 1 << t.shift
		if t.shift >= 8 {
			add = 255
		}
		if st.done() {
			return roaring.New(), true
		}
		it := t.b.ManyIterator()
		for k := it.NextMany(buf[:]); k > 0; k = it.NextMany(buf[:]) {
			if k == len(buf) && buf[0]&0xffff < 1024 && st.done() { // about once per 64K IDs
				return roaring.New(), true
			}
			for _, id := range buf[:k] {
				c := int(counts[id]) + add
				counts[id] = uint8(min(c, 255))
			}
		}
	}
	var keep [256]bool // keep[c]: a count of c satisfies op (0 never: see above)
	for c := 1; c < 256; c++ {
		keep[c] = cmpHolds(cmp.Compare(int64(c), n), op)
	}
	words := make([]uint64, (len(counts)+63)/64)
	for i := 0; i < len(counts); i += 8 {
		if i+8 <= len(counts) && binary.LittleEndian.Uint64(counts[i:]) == 0 {
			continue
		}
		for j := uint(i); j < uint(min(i+8, len(counts))); j++ {
			if keep[counts[j]] {
				words[j/64] |= 1 << (j % 64)
			}
		}
	}
	return roaring.FromDense(words, false), true
}
