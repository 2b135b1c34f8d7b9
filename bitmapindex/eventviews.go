package bitmapindex

import (
	"cmp"
	"maps"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) { return maps.Keys(m) }

// DidWhere returns the customers with an occurrence of event matching f on
// a day in [from, to]. With an empty filter it is Did.
func (v *View) DidWhere(event string, from, to segkit.Day, f Filter) Set {
	e := v.st.events[event]
	if e == nil || from > to {
		return Set{v: v}
	}
	if len(f) == 0 {
		return Set{v: v, bm: e.didStop(from, to, v.stop)}
	}
	rf := e.resolveFilter(f)
	return Set{v: v, bm: e.didWhere(from, to, &rf, v.stop)}
}

func (e *event) didWhere(from, to segkit.Day, rf *rfilter, st *stop) *roaring.Bitmap {
	r := roaring.New()
	if rf.never {
		return r
	}
	// Many occurrences in the window: their matching IDs are set as bits in
	// a dense array and converted once (see orSparse); few: a bitmap per
	// day, unioned.
	var occs uint64
	e.scanDays(from, to, nil, func(_ segkit.Day, n *dayNode) {
		if n.occ != nil {
			occs += uint64(len(n.occ.ids))
		} else if !n.one.empty() {
			occs += n.one.b.GetCardinality()
		}
	})
	size := e.idBound()
	var buf []uint32
	if occs >= max(size/1024, 64) {
		words := scatterWords(size)
		e.scanDays(from, to, st, func(_ segkit.Day, n *dayNode) {
			buf = rf.matchingIDs(n, buf[:0])
			for _, id := range buf {
				if w := int(id / 64); w < len(words) {
					words[w] |= 1 << (id % 64)
				}
			}
		})
		return denseToBitmap(words)
	}
	var parts []*roaring.Bitmap
	e.scanDays(from, to, st, func(_ segkit.Day, n *dayNode) {
		buf = rf.matchingIDs(n, buf[:0])
		if len(buf) > 0 {
			parts = append(parts, roaring.BitmapOf(buf...)) // ascending: built container by container
		}
	})
	if len(parts) == 0 {
		return r
	}
	return orAllStop(st, parts...)
}

// CountWhere returns the live customers whose number of occurrences of
// event matching f on days in [from, to] satisfies `count op n` (customers
// without any count 0). With an empty filter it is Count.
func (v *View) CountWhere(event string, from, to segkit.Day, f Filter, op Op, n int64) Set {
	if len(f) == 0 {
		return v.Count(event, from, to, op, n)
	}
	if !op.valid() {
		return Set{v: v}
	}
	live := v.live()
	zeroOK := cmpHolds(cmp.Compare(0, n), op)
	e := v.st.events[event]
	r, touched := roaring.New(), roaring.New()
	if e != nil && from <= to {
		rf := e.resolveFilter(f)
		r, touched = e.sums(from, to, &rf, sumQuery{kind: qCount, op: op, c: n, touched: zeroOK, st: v.stop})
	}
	if zeroOK {
		r.Or(roaring.AndNot(live, touched))
	}
	return Set{v: v, bm: r}
}

// FirstWhere returns the customers whose first-ever occurrence of event
// matching f (over all recorded data) falls on a day in [from, to]. With an
// empty filter it is FirstIn.
func (v *View) FirstWhere(event string, from, to segkit.Day, f Filter) Set {
	if len(f) == 0 {
		return v.FirstIn(event, from, to)
	}
	e := v.st.events[event]
	if e == nil || from > to {
		return Set{v: v}
	}
	rf := e.resolveFilter(f)
	in := e.didWhere(from, to, &rf, v.stop)
	if !in.IsEmpty() && e.has && from > e.minDay {
		in.AndNot(e.didWhere(e.minDay, from-1, &rf, v.stop))
	}
	return Set{v: v, bm: in}
}

// accChunk is the number of customers sums accumulates at a time: its
// per-customer counters (12 bytes each) stay in the CPU's cache while the
// window's days are merged into them.
const accChunk = 1 << 15

// sumChunk is the number of customers sums accumulates at a time: its
// per-customer slots (16 bytes each) stay in the CPU's cache while the
// window's days are merged into them.
const sumChunk = 1 << 13

// acc holds sums' per-chunk slots and the set of slots touched, recycled
// between evaluations; they are all zero when returned to the pool.
type acc struct {
	v    [sumChunk]accSlot
	seen [sumChunk / 64]uint64
}

type accSlot struct {
	s int64
	n uint32
}

var accs = sync.Pool{New: func() any { return new(acc) }}

// dayCursor walks one day's occurrences in ID order.
type dayCursor struct {
	ids  []uint32
	vals valCol // absent: all 0
	o    *occCols
	pos  int
}

// sums adds up, per customer, the values and the number of the occurrences
// of event matching rf on days in [from, to]: fn is called once per
// customer with at least one such occurrence, in ascending ID order. The
// days' occurrences (each day's in ID order) are merged a chunk of
// customers at a time into counters that stay in cache, so the cost is
// about one cached add per occurrence in the window. It returns the
// customers sumRange keeps and, when q.touched, those it touched, as
// bitmaps (built on the goroutines of a split sum).
func (e *event) sums(from, to segkit.Day, rf *rfilter, q sumQuery) (keep, touched *roaring.Bitmap) {
	keep, touched = roaring.New(), roaring.New()
	if rf.never {
		return keep, touched
	}
	var curs []dayCursor
	lo, hi := uint32(math.MaxUint32), uint32(0)
	e.scanDays(from, to, q.st, func(_ segkit.Day, dn *dayNode) {
		var c dayCursor
		switch {
		case dn.occ != nil:
			c = dayCursor{ids: dn.occ.ids, vals: dn.occ.vals, o: dn.occ}
		case rf.empty() && !dn.one.empty():
			// value 0, no properties: the occurrences from the bitmaps
			extra := len(dn.extra) > 0
			for id := range roaring.Values(dn.one.b) {
				k := uint64(1)
				if extra {
					k += readBits(dn.extra, id)
				}
				for range k {
					c.ids = append(c.ids, id)
				}
			}
		}
		if len(c.ids) == 0 {
			return
		}
		lo, hi = min(lo, c.ids[0]), max(hi, c.ids[len(c.ids)-1])
		curs = append(curs, c)
	})
	if len(curs) == 0 {
		return keep, touched
	}
	hiBase := uint64(hi)&^(sumChunk-1) + sumChunk
	loBase := uint64(lo) &^ (sumChunk - 1)
	var occs int
	for _, c := range curs {
		occs += len(c.ids)
	}
	chunks := int((hiBase - loBase) / sumChunk)
	parts := min(runtime.GOMAXPROCS(0), occs/sumParallelOccs, chunks)
	// the lists of IDs a range keeps and touches, as bitmaps
	sets := func(cs []dayCursor, from, to uint64) (keep, touched *roaring.Bitmap) {
		k := getIDs()
		var t []uint32
		if q.touched {
			t = getIDs()
		}
		k, t = e.sumRange(cs, from, to, rf, q, k, t)
		keep, touched = roaring.BitmapOf(k...), roaring.BitmapOf(t...)
		putIDs(k)
		putIDs(t)
		return keep, touched
	}
	if parts <= 1 {
		return sets(curs, loBase, hiBase)
	}
	// Large sums are split by ranges of customers over up to GOMAXPROCS
	// goroutines, each with its own cursors (positioned by binary search),
	// accumulator and lists, which it turns into bitmaps; they are joined
	// in ID order (joinRanges).
	keeps, toucheds := make([]*roaring.Bitmap, parts), make([]*roaring.Bitmap, parts)
	eachRange(parts, chunks, loBase, sumChunk, func(p int, from, to uint64) {
		cs := make([]dayCursor, len(curs))
		for i, c := range curs {
			c.pos = sort.Search(len(c.ids), func(j int) bool { return uint64(c.ids[j]) >= from })
			cs[i] = c
		}
		keeps[p], toucheds[p] = sets(cs, from, to)
	})
	return joinRanges(keeps), joinRanges(toucheds)
}

// joinRanges joins bitmaps of increasing ID ranges, taking their
// containers without copying them (only two that share a container's
// range, at a boundary, are merged). The parts are owned by the caller
// and not used after.
func joinRanges(parts []*roaring.Bitmap) *roaring.Bitmap {
	out := roaring.New()
	out.SetCopyOnWrite(true)
	for _, p := range parts {
		p.SetCopyOnWrite(true)
		out.Or(p)
	}
	out.SetCopyOnWrite(false)
	return out
}

// eachRange cuts chunks chunks of size IDs from base into parts ranges
// of whole chunks and calls f(p, lo, hi) for range p, [lo, hi), on a
// goroutine of its own; it returns when every call has.
func eachRange(parts, chunks int, base, size uint64, f func(p int, lo, hi uint64)) {
	var wg sync.WaitGroup
	for p := range parts {
		lo := base + uint64(chunks*p/parts)*size
		hi := base + uint64(chunks*(p+1)/parts)*size
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(p, lo, hi)
		}()
	}
	wg.Wait()
}

// sumParallelOccs is the fewest occurrences per goroutine of a split sum.
var sumParallelOccs = 1 << 18

// sumRange accumulates the occurrences of curs (from their positions) of
// customers in [loBase, hiBase), chunk by chunk, appending to keep and
// touched as sums describes.
func (e *event) sumRange(curs []dayCursor, loBase, hiBase uint64, rf *rfilter, q sumQuery, keep, touched []uint32) ([]uint32, []uint32) {
	holds := holdsTable(q.op)
	small := q.c <= 1<<31 && q.c >= -1<<31 // c × n fits an int64 for every n < 2^32
	a := accs.Get().(*acc)
	defer accs.Put(a)
	all := len(rf.terms) == 0
	for base := loBase; base < hiBase; base += sumChunk {
		if q.st.done() { // between chunks: the accumulator is clean for the pool
			return keep, touched
		}
		limit := base + sumChunk
		for ci := range curs {
			c := &curs[ci]
			i := c.pos
			switch {
			case !all:
				for ; i < len(c.ids) && uint64(c.ids[i]) < limit; i++ {
					if !rf.matches(c.o, i) {
						continue
					}
					k := (c.ids[i] - uint32(base)) & (sumChunk - 1)
					sl := &a.v[k]
					sl.n++
					if c.vals.has() {
						sl.s = addSat(sl.s, c.vals.at(i))
					}
					a.seen[k/64] |= 1 << (k % 64)
				}
			case c.vals.v32 != nil:
				i = addVals(a, c.ids, c.vals.v32, i, base, limit)
			case c.vals.v64 != nil:
				i = addVals(a, c.ids, c.vals.v64, i, base, limit)
			default:
				ids := c.ids
				for ; i < len(ids) && uint64(ids[i]) < limit; i++ {
					k := (ids[i] - uint32(base)) & (sumChunk - 1)
					a.v[k].n++
					a.seen[k/64] |= 1 << (k % 64)
				}
			}
			c.pos = i
		}
		for w, x := range a.seen {
			if x == 0 {
				continue
			}
			a.seen[w] = 0
			for ; x != 0; x &= x - 1 {
				k := w*64 + bits.TrailingZeros64(x)
				sl := &a.v[k]
				id, n, sum := uint32(base)+uint32(k), sl.n, sl.s
				*sl = accSlot{}
				if q.touched {
					touched = append(touched, id)
				}
				var r int
				switch {
				case q.kind == qCount:
					r = cmp.Compare(int64(n), q.c)
				case q.kind == qSum:
					r = cmp.Compare(sum, q.c)
				case small:
					r = cmp.Compare(sum, q.c*int64(n))
				default:
					r = CompareAvg(Amount(sum), int64(n), Amount(q.c))
				}
				if holds[r+1] {
					keep = append(keep, id)
				}
			}
		}
	}
	return keep, touched
}

// addVals adds to a the occurrences ids[i:] (with their values) of
// customers below limit, and returns the position after them.
func addVals[T int32 | int64](a *acc, ids []uint32, vals []T, i int, base, limit uint64) int {
	vals = vals[:len(ids)]
	for ; i < len(ids) && uint64(ids[i]) < limit; i++ {
		k := (ids[i] - uint32(base)) & (sumChunk - 1)
		sl := &a.v[k]
		sl.n++
		sl.s = addSat(sl.s, int64(vals[i]))
		a.seen[k/64] |= 1 << (k % 64)
	}
	return i
}

// colSum returns the sum of id's values in the days' columns: exact while
// it fits the fixed-point int64, else a float64 sum of the values in day
// order (the same figure eachColSum gives).
func (e *event) colSum(id uint32) float64 {
	var sum int64
	for _, n := range e.days {
		o := n.occ
		if o == nil || !o.vals.has() {
			continue
		}
		i, _ := slices.BinarySearch(o.ids, id)
		for ; i < len(o.ids) && o.ids[i] == id; i++ {
			sum = addSat(sum, o.vals.at(i))
		}
	}
	if sum == math.MaxInt64 || sum == math.MinInt64 {
		return e.colSumFloat(id)
	}
	return Amount(sum).Float64()
}

// colSumFloat is colSum's float64 sum, for a sum beyond the int64.
func (e *event) colSumFloat(id uint32) float64 {
	var f float64
	for _, d := range slices.Sorted(mapsKeys(e.days)) {
		o := e.days[d].occ
		if o == nil || !o.vals.has() {
			continue
		}
		i, _ := slices.BinarySearch(o.ids, id)
		for ; i < len(o.ids) && o.ids[i] == id; i++ {
			f += Amount(o.vals.at(i)).Float64()
		}
	}
	return f
}

// eachColSum calls fn, in ascending ID order, with every customer whose
// values in the days' columns add up to a sum other than 0 (as colSum
// gives it), a chunk of customers at a time as sums does.
func (e *event) eachColSum(fn func(id uint32, sum float64)) {
	var curs []dayCursor
	lo, hi := uint32(math.MaxUint32), uint32(0)
	for _, dn := range e.days {
		if o := dn.occ; o != nil && o.vals.has() && len(o.ids) > 0 {
			curs = append(curs, dayCursor{ids: o.ids, vals: o.vals, o: o})
			lo, hi = min(lo, o.ids[0]), max(hi, o.ids[len(o.ids)-1])
		}
	}
	if len(curs) == 0 {
		return
	}
	a := accs.Get().(*acc)
	defer accs.Put(a)
	for base := uint64(lo) &^ (sumChunk - 1); base <= uint64(hi); base += sumChunk {
		limit := base + sumChunk
		for ci := range curs {
			c := &curs[ci]
			if c.vals.v32 != nil {
				c.pos = addVals(a, c.ids, c.vals.v32, c.pos, base, limit)
			} else {
				c.pos = addVals(a, c.ids, c.vals.v64, c.pos, base, limit)
			}
		}
		for w, x := range a.seen {
			if x == 0 {
				continue
			}
			a.seen[w] = 0
			for ; x != 0; x &= x - 1 {
				k := w*64 + bits.TrailingZeros64(x)
				sum := a.v[k].s
				a.v[k] = accSlot{}
				id := uint32(base) + uint32(k)
				switch sum {
				case 0:
				case math.MaxInt64, math.MinInt64:
					fn(id, e.colSumFloat(id))
				default:
					fn(id, Amount(sum).Float64())
				}
			}
		}
	}
}

// idBufs recycles sums' ID lists (a large window keeps millions of IDs;
// allocating them anew on every evaluation costs garbage collection on a
// large heap).
var idBufs sync.Pool

func getIDs() []uint32 {
	if p, _ := idBufs.Get().(*[]uint32); p != nil {
		return (*p)[:0]
	}
	return nil
}

func putIDs(ids []uint32) {
	if cap(ids) > 0 {
		idBufs.Put(&ids)
	}
}

// sumQuery says what sums keeps: the customers whose count, sum or mean
// satisfies `op c`, and (touched) every customer it saw.
type sumQuery struct {
	kind    uint8
	op      Op
	c       int64
	touched bool
	st      *stop // checked per day and per chunk of customers; stopped, sums returns an incomplete result
}

const (
	qCount uint8 = iota
	qSum
	qAvg
)

// holdsTable returns, by comparison result + 1, whether op holds.
func holdsTable(op Op) [3]bool {
	return [3]bool{cmpHolds(-1, op), cmpHolds(0, op), cmpHolds(1, op)}
}

// SumWhere returns the live customers whose sum of the values of event's
// occurrences matching f on days in [from, to] satisfies `sum op c` (the
// sum is 0 for customers without any).
func (v *View) SumWhere(event string, from, to segkit.Day, f Filter, op Op, c Amount) Set {
	if !op.valid() {
		return Set{v: v}
	}
	live := v.live()
	zeroOK := cmpHolds(cmp.Compare(0, int64(c)), op)
	e := v.st.events[event]
	r, touched := roaring.New(), roaring.New()
	if e != nil && from <= to {
		rf := e.resolveFilter(f)
		r, touched = e.sums(from, to, &rf, sumQuery{kind: qSum, op: op, c: int64(c), touched: zeroOK, st: v.stop})
	}
	if zeroOK {
		r.Or(roaring.AndNot(live, touched))
	}
	return Set{v: v, bm: r}
}

// AvgWhere returns the customers with at least one occurrence of event
// matching f on days in [from, to] whose mean value satisfies `mean op c`,
// compared exactly (sum op c × count). Customers without such occurrences
// have no mean and are never included (write !(… == c) for their
// complement).
func (v *View) AvgWhere(event string, from, to segkit.Day, f Filter, op Op, c Amount) Set {
	e := v.st.events[event]
	if !op.valid() || e == nil || from > to {
		return Set{v: v}
	}
	rf := e.resolveFilter(f)
	r, _ := e.sums(from, to, &rf, sumQuery{kind: qAvg, op: op, c: int64(c), st: v.stop})
	return Set{v: v, bm: r}
}

// DidThen returns the customers with an occurrence of a matching fa on some
// day da and an occurrence of b matching fb on some day db with
// 0 ≤ db − da < within, both on days up to `to`. The same occurrence may
// serve both sides when a == b and it matches both filters.
func (v *View) DidThen(a, b string, fa, fb Filter, within int, to segkit.Day) Set {
	ea, eb := v.st.events[a], v.st.events[b]
	if ea == nil || eb == nil || within <= 0 || !ea.has || !eb.has {
		return Set{v: v}
	}
	ra, rb := ea.resolveFilter(fa), eb.resolveFilter(fb)
	if ra.never || rb.never {
		return Set{v: v}
	}
	from := max(ea.minDay, eb.minDay-segkit.Day(within-1))
	to = min(to, eb.maxDay)
	if from > to {
		return Set{v: v}
	}
	// the matching occurrences of both events per day, as ID lists
	var days []thenDay
	var fromBits []int // days listed from their bitmaps, below
	var bitsCard int
	lists := func(e *event, rf *rfilter, isA bool) {
		e.scanDays(from, to, v.stop, func(d segkit.Day, n *dayNode) {
			var ids []uint32
			switch {
			case !rf.empty():
				ids = rf.matchingIDs(n, nil)
			case n.occ != nil:
				ids = n.occ.ids
			case !n.one.empty():
				fromBits = append(fromBits, len(days))
				bitsCard += n.one.card()
				days = append(days, thenDay{d: d, bits: n.one.b, isA: isA})
				return
			}
			if len(ids) > 0 {
				days = append(days, thenDay{d: d, ids: ids, isA: isA})
			}
		})
	}
	lists(ea, &ra, true)
	lists(eb, &rb, false)
	// the lists of days without columns, on up to GOMAXPROCS goroutines
	// when they are long
	toArrays := func(_ int, lo, hi uint64) {
		for _, i := range fromBits[lo:hi] {
			days[i].ids = days[i].bits.ToArray()
		}
	}
	if workers := min(runtime.GOMAXPROCS(0), len(fromBits)); workers > 1 && bitsCard >= thenParallelOccs {
		eachRange(workers, len(fromBits), 0, 1, toArrays)
	} else {
		toArrays(0, 0, uint64(len(fromBits)))
	}
	if len(days) == 0 {
		return Set{v: v}
	}
	// by day, a's list before b's: a same-day pair counts
	slices.SortStableFunc(days, func(x, y thenDay) int {
		if c := cmp.Compare(x.d, y.d); c != 0 {
			return c
		}
		if x.isA == y.isA {
			return 0
		}
		if x.isA {
			return -1
		}
		return 1
	})
	lo, hi := uint32(math.MaxUint32), uint32(0)
	occs := 0
	for _, dl := range days {
		lo, hi = min(lo, dl.ids[0]), max(hi, dl.ids[len(dl.ids)-1])
		occs += len(dl.ids)
	}
	loBase := uint64(lo) &^ (accChunk - 1)
	hiBase := uint64(hi)&^(accChunk-1) + accChunk
	chunks := int((hiBase - loBase) / accChunk)
	parts := min(runtime.GOMAXPROCS(0), occs/thenParallelOccs, chunks)
	if parts <= 1 {
		return Set{v: v, bm: roaring.BitmapOf(thenRange(days, from, within, loBase, hiBase)...)}
	}
	// Large sweeps are split by ranges of customers over up to GOMAXPROCS
	// goroutines, each with its own cursors (positioned by binary search);
	// each turns its members into a bitmap; they are joined in ID order.
	keeps := make([]*roaring.Bitmap, parts)
	eachRange(parts, chunks, loBase, accChunk, func(p int, lo, hi uint64) {
		ds := slices.Clone(days)
		for i := range ds {
			ids := ds[i].ids
			ds[i].from = sort.Search(len(ids), func(j int) bool { return uint64(ids[j]) >= lo })
		}
		keeps[p] = roaring.BitmapOf(thenRange(ds, from, within, lo, hi)...)
	})
	return Set{v: v, bm: joinRanges(keeps)}
}

// thenParallelOccs is the number of occurrences per goroutine from which
// DidThen splits its sweep (a variable for tests).
var thenParallelOccs = 1 << 18

// thenDay is one day's matching occurrences of one side of DidThen.
type thenDay struct {
	d    segkit.Day
	ids  []uint32
	bits *roaring.Bitmap // the day's customers, when ids are listed from them
	isA  bool
	from int // cursor
}

// thenRange sweeps the customers in [lo, hi) (multiples of accChunk) over
// days (by day, a's before b's; each cursor at its first ID ≥ lo) and
// returns, in order, those with an a on some day and a b on the same day or
// fewer than within days later.
//
// One sweep over the days per chunk of customers: last holds each
// customer's latest day of a (as days since from, plus 1; 0: none), and a b
// on day d joins the customer when d − last < within. The latest a is the
// closest one before b, so no other pair can do better.
func thenRange(days []thenDay, from segkit.Day, within int, lo, hi uint64) []uint32 {
	last := make([]int32, accChunk)
	member := make([]uint64, accChunk/64)
	var keep []uint32
	for base := lo; base < hi; base += accChunk {
		limit := base + accChunk
		clear(last)
		for i := range days {
			dl := &days[i]
			j := dl.from
			stamp := int32(dl.d-from) + 1
			if dl.isA {
				for ; j < len(dl.ids) && uint64(dl.ids[j]) < limit; j++ {
					last[dl.ids[j]-uint32(base)] = stamp
				}
			} else {
				for ; j < len(dl.ids) && uint64(dl.ids[j]) < limit; j++ {
					k := dl.ids[j] - uint32(base)
					if l := last[k]; l != 0 && stamp-l < int32(within) {
						member[k/64] |= 1 << (k % 64)
					}
				}
			}
			dl.from = j
		}
		for w, x := range member {
			for x != 0 {
				k := uint32(w*64) + uint32(bits.TrailingZeros64(x))
				keep = append(keep, uint32(base)+k)
				x &= x - 1
			}
			member[w] = 0
		}
	}
	return keep
}

// EventProperties returns the property keys recorded with event, sorted.
func (v *View) EventProperties(event string) []string {
	e := v.st.events[event]
	if e == nil || e.dict == nil {
		return nil
	}
	return slices.Sorted(slices.Values(e.dict.keys))
}

// EventPropertyValues returns the values recorded for property key of
// event, sorted, and whether the key was ever recorded.
func (v *View) EventPropertyValues(event, key string) ([]string, bool) {
	e := v.st.events[event]
	if e == nil || e.dict == nil {
		return nil, false
	}
	k, ok := e.dict.keyIdx[key]
	if !ok {
		return nil, false
	}
	return slices.Sorted(slices.Values(e.dict.vals[k])), true
}

// details returns id's occurrences of e with their details, in the order
// occurrences reports them, and whether any has a value or a property.
// days are id's occurrences (as occurrences returns them).
func (e *event) details(id uint32, days []segkit.Day) ([]EventDetail, bool) {
	if len(days) == 0 || e.dict == nil {
		return nil, false
	}
	out := make([]EventDetail, 0, len(days))
	some := false
	for j, d := range days {
		if j > 0 && days[j-1] == d {
			continue // (a day with several occurrences is listed once per occurrence)
		}
		n := e.days[d]
		if o := n.occ; o != nil {
			i, _ := slices.BinarySearch(o.ids, id)
			for ; i < len(o.ids) && o.ids[i] == id; i++ {
				var det EventDetail
				if o.vals.has() {
					det.Value = Amount(o.vals.at(i))
				}
				for k, col := range o.props {
					if x := col.at0(i); x != 0 {
						if det.Props == nil {
							det.Props = map[string]string{}
						}
						det.Props[e.dict.keys[k]] = e.dict.vals[k][x-1]
					}
				}
				some = some || det.Value != 0 || det.Props != nil
				out = append(out, det)
			}
			continue
		}
		k := 1 + readBits(n.extra, id)
		for range k {
			out = append(out, EventDetail{})
		}
	}
	return out, some
}
