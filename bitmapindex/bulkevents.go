package bitmapindex

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Recording a chunk's occurrences of one event.
//
// When every customer of the occurrences comes after every customer the
// event has recorded (a bulk load of new customers), no bitmap of the
// event holds any of them: the days, the block counters and the first
// days only gain new members, with no carry to propagate and nobody's
// first day to move, and the detail columns of each day are appended to.
// The chunk's occurrences are then recorded with one exact bitmap per day,
// per block counter slice and per first day (recordFresh). Otherwise they
// go through the batch's day buffers (recordDays), as single writes do.

// evScratch is what recording one event of a chunk reuses. Its buffers
// per occurrence take 6 bytes (a chunk of 65,536 customers with a year of
// logins has over a million); the rest is per day or per customer.
type evScratch struct {
	cols   []*chunkCol // the event's columns
	starts []int       // per column: its first occurrence; then the total
	ids    []uint32    // the chunk's IDs by row (the caller's)
	day0   segkit.Day  // off is relative to it
	off    []uint16    // per occurrence: its day − day0 + dayBias
	ord    []int32     // the occurrences by day, in order within a day
	dayEnd []int32     // per day from the first: the end of its occurrences in ord
	low    uint32      // the lowest ID: seen and cnt are by ID − low
	seen   []bool      // recorded on an earlier day of the chunk
	cnt    []uint32    // occurrences in the current block
	bmin   int         // the range of cnt in use
	bmax   int
	// a day's occurrences by position in its part of ord
	dids   []uint32 // customer
	ddet   []bool   // with a value or a property
	pos    []uint32 // positions by customer, when not already in that order
	codes  []uint32 // codes by key column, k per position
	k      int      // codes per position: a bound on the key columns
	keys   []int    // per column: its properties' indexes sorted by name (flat, from keyAt)
	keyAt  []int    // per column: where its properties start in keys
	nids   []uint32 // the day's occurrences as appended to its columns
	nvals  []int64
	ncodes []uint32 // key column after key column
	uniq   []uint32 // the day's customers
	multi  []idRun  // the day's customers with more than one occurrence
	sel    []uint32 // IDs selected for one bitmap
	bids   []uint32
}

// dayBias centres off: days within 32,767 of the first occurrence's fit.
const dayBias = 1 << 15

type idRun struct {
	id uint32
	n  uint32
}

// src returns the column (its index in cols) and the row of occurrence o.
func (ev *evScratch) src(o int32) (int, int) {
	k := 0
	for k+1 < len(ev.cols) && ev.starts[k+1] <= int(o) {
		k++
	}
	return k, int(o) - ev.starts[k]
}

// detailed reports whether row i of an event column has a value or a
// property.
func (col *chunkCol) detailed(i int) bool {
	if col.amts != nil && col.amts[i] != 0 {
		return true
	}
	for p := range col.props {
		if col.props[p].Values[i] != "" {
			return true
		}
	}
	return false
}

// applyEventCols records the occurrences of the event of column ci from
// every column of that event.
func (c *Chunk) applyEventCols(w wctx, st *state, ci int, ids []uint32, tz *segkit.Zone, sc *bulkScratch, tc *Touched) {
	ev := &sc.ev
	name := c.cols[ci].name
	ev.cols, ev.starts, ev.ids = ev.cols[:0], ev.starts[:0], ids
	n := 0
	for cj := int32(ci); cj >= 0; cj = sc.next[cj] {
		ev.cols = append(ev.cols, &c.cols[cj])
		ev.starts = append(ev.starts, n)
		n += len(c.cols[cj].ints)
	}
	ev.starts = append(ev.starts, n)
	if n == 0 {
		return // as a batch: no occurrence, no event
	}
	ev.off = resize(ev.off, n)
	low, high := uint32(math.MaxUint32), uint32(0)
	lo, hi := segkit.Day(math.MaxInt32), segkit.Day(math.MinInt32)
	spread := false // a day too far from the first for off
	o := 0
	for _, col := range ev.cols {
		for i, at := range col.ints {
			id, d := ids[col.rows[i]], tz.DayOf(time.Unix(at, 0))
			if o == 0 {
				ev.day0 = d
			}
			rel := int64(d) - int64(ev.day0) + dayBias
			spread = spread || rel < 0 || rel > math.MaxUint16
			ev.off[o] = uint16(rel)
			low, high = min(low, id), max(high, id)
			lo, hi = min(lo, d), max(hi, d)
			o++
		}
	}
	if tc != nil {
		b := roaring.New()
		var days []segkit.Day
		for _, col := range ev.cols {
			for i, at := range col.ints {
				b.Add(ids[col.rows[i]])
				days = append(days, tz.DayOf(time.Unix(at, 0)))
			}
		}
		tc.Events[name] = b
		slices.Sort(days)
		tc.Days[name] = slices.Compact(days)
	}
	e := st.events[name]
	fresh := e == nil || e.ever.empty() || low > e.ever.b.Maximum()
	if !fresh || spread || int64(high-low) >= int64(max(n, 1<<16)) || int64(hi)-int64(lo) >= int64(n)+1024 {
		// customers with earlier occurrences, or IDs or days too spread
		// for the dense buffers: as a batch records them
		days := map[segkit.Day]*dayBuf{}
		ca := chunkApply{dayBufOf: func(_ string, d segkit.Day) *dayBuf {
			b := days[d]
			if b == nil {
				b = &dayBuf{}
				days[d] = b
			}
			return b
		}}
		for _, col := range ev.cols {
			c.applyEvent(col, ids, tz, ca)
		}
		recordDays(w, st, name, days)
		return
	}
	ev.recordFresh(w.event(st, name), w, &sc.eb, n, low, high, lo, hi)
}

// recordFresh records the gathered occurrences (n, of customers low..high
// none of whom the event has recorded, on days lo..hi) into e.
func (ev *evScratch) recordFresh(e *event, w wctx, eb *exactBuilder, n int, low, high uint32, lo, hi segkit.Day) {
	// the occurrences by day (a counting sort, stable)
	span := int(hi-lo) + 1
	first := uint16(int64(lo) - int64(ev.day0) + dayBias) // lo's off
	ev.dayEnd = resize(ev.dayEnd, span)
	clear(ev.dayEnd)
	for _, x := range ev.off[:n] {
		ev.dayEnd[x-first]++
	}
	sum := int32(0)
	for j, m := range ev.dayEnd {
		ev.dayEnd[j] = sum // the start, advanced to the end while placing
		sum += m
	}
	ev.ord = resize(ev.ord, n)
	for o, x := range ev.off[:n] {
		ev.ord[ev.dayEnd[x-first]] = int32(o)
		ev.dayEnd[x-first]++
	}
	// dense buffers by ID, all zero between uses
	ids := int(high-low) + 1
	ev.low = low
	if cap(ev.seen) < ids {
		ev.seen, ev.cnt = make([]bool, ids), make([]uint32, ids)
	}
	ev.seen, ev.cnt = ev.seen[:ids], ev.cnt[:ids]
	ev.bmin, ev.bmax = ids, -1
	ev.propKeys()
	start, block := int32(0), int32(0)
	for j, end := range ev.dayEnd {
		os := ev.ord[start:end]
		start = end
		if len(os) == 0 {
			continue
		}
		d := lo + segkit.Day(j)
		if b := blockOf(d); b != block {
			ev.flushBlock(e, w, eb, block) // (nothing counted yet for the first)
			block = b
		}
		ev.recordDay(e, w, eb, d, os)
	}
	ev.flushBlock(e, w, eb, block)

	// everyone of the chunk: ever, and stale in the ranks
	all := ev.bids[:0]
	for x, s := range ev.seen {
		if s {
			all = append(all, low+uint32(x))
			ev.seen[x] = false
		}
	}
	ev.bids = all
	b := eb.build(all)
	w.own(&e.ever).Or(b)
	stale := roaring.New()
	stale.SetCopyOnWrite(true)
	stale.Or(b)
	e.staleAfter(stale) // eventrank.go
	if !e.has || hi > e.maxDay {
		e.maxDay = hi
	}
	if !e.has || lo < e.minDay {
		e.minDay = lo
	}
	e.has = true
}

// propKeys sorts each column's properties by name: an occurrence's
// properties get their codes in that order, as a batch gives them.
func (ev *evScratch) propKeys() {
	ev.keys, ev.keyAt = ev.keys[:0], ev.keyAt[:0]
	ev.k = 0
	for _, col := range ev.cols {
		ev.keyAt = append(ev.keyAt, len(ev.keys))
		at := len(ev.keys)
		for p := range col.props {
			ev.keys = append(ev.keys, p)
		}
		slices.SortFunc(ev.keys[at:], func(a, b int) int { return cmp.Compare(col.props[a].Name, col.props[b].Name) })
		ev.k += len(col.props)
	}
	ev.keyAt = append(ev.keyAt, len(ev.keys))
}

// recordDay records day d's occurrences os (in the order the chunk gives
// them).
func (ev *evScratch) recordDay(e *event, w wctx, eb *exactBuilder, d segkit.Day, os []int32) {
	m := len(os)
	ev.dids, ev.ddet = resize(ev.dids, m), resize(ev.ddet, m)
	// the customers
	anyDet := false
	for j, o := range os {
		c, i := ev.src(o)
		col := ev.cols[c]
		id, det := ev.ids[col.rows[i]], col.detailed(i)
		ev.dids[j], ev.ddet[j] = id, det
		anyDet = anyDet || det
	}
	dn := e.day(w, d)
	details := anyDet || dn.occ != nil
	k := 0 // codes per position
	if details {
		if e.dict == nil {
			e.dict = &propDict{keyIdx: map[string]int{}}
		}
		// the properties' codes, assigned in occurrence order
		k = len(e.dict.keys) + ev.k
		ev.codes = resize(ev.codes, m*k)
		clear(ev.codes)
		for j, o := range os {
			if !ev.ddet[j] || k == 0 {
				continue
			}
			c, i := ev.src(o)
			col := ev.cols[c]
			for _, p := range ev.keys[ev.keyAt[c]:ev.keyAt[c+1]] {
				if v := col.props[p].Values[i]; v != "" {
					kc, code := e.dict.code(col.props[p].Name, v)
					ev.codes[j*k+kc] = code
				}
			}
		}
	}
	// by customer, a customer's occurrences with details before its plain
	// ones (the order of a day's columns)
	key := func(j uint32) uint64 {
		x := uint64(ev.dids[j]) << 1
		if !ev.ddet[j] {
			x |= 1
		}
		return x
	}
	sorted := true
	for j := 1; j < m && sorted; j++ {
		sorted = key(uint32(j)) >= key(uint32(j-1))
	}
	if !sorted {
		ev.pos = resize(ev.pos, m)
		for j := range ev.pos {
			ev.pos[j] = uint32(j)
		}
		slices.SortStableFunc(ev.pos, func(a, b uint32) int { return cmp.Compare(key(a), key(b)) })
	}
	at := func(t int) int { // the position of the t-th by customer
		if sorted {
			return t
		}
		return int(ev.pos[t])
	}
	if details {
		nkeys := len(e.dict.keys)
		ev.nids, ev.nvals, ev.ncodes = resize(ev.nids, m), resize(ev.nvals, m), resize(ev.ncodes, m*nkeys)
		for t := range m {
			j := at(t)
			ev.nids[t], ev.nvals[t] = ev.dids[j], 0
			if c, i := ev.src(os[j]); ev.cols[c].amts != nil {
				ev.nvals[t] = int64(ev.cols[c].amts[i])
			}
			for kc := range nkeys {
				ev.ncodes[kc*m+t] = ev.codes[j*k+kc]
			}
		}
		base := dn.occ
		if base == nil {
			// the day's earlier occurrences are plain (before the first
			// with details): their rows come from its bitmaps
			base = &occCols{}
			for _, r := range dn.rows() {
				base.ids = append(base.ids, r.id)
			}
		}
		dn.occ = appendOcc(base, ev.nids, ev.nvals, ev.ncodes, nkeys)
	}
	// the customers, and how often each did it
	uniq, multi := ev.uniq[:0], ev.multi[:0]
	for t := 0; t < m; {
		id := ev.dids[at(t)]
		u := t + 1
		for u < m && ev.dids[at(u)] == id {
			u++
		}
		uniq = append(uniq, id)
		if u-t > 1 {
			multi = append(multi, idRun{id, uint32(u - t)})
		}
		x := int(id - ev.low)
		ev.cnt[x] += uint32(u - t)
		ev.bmin, ev.bmax = min(ev.bmin, x), max(ev.bmax, x)
		t = u
	}
	ev.uniq, ev.multi = uniq, multi
	eb.orInto(w.own(&dn.one), uniq)
	// (occurrences − 1) of who did it more than once
	for b := 0; ; b++ {
		sel, more := ev.sel[:0], false
		for _, r := range multi {
			if x := (r.n - 1) >> b; x != 0 {
				more = true
				if x&1 != 0 {
					sel = append(sel, r.id)
				}
			}
		}
		ev.sel = sel
		if !more {
			break
		}
		if len(sel) > 0 {
			eb.orInto(slice(w, &dn.extra, b), sel)
		}
	}
	// first occurrences: who was not recorded on an earlier day
	sel := ev.sel[:0]
	for _, id := range uniq {
		if x := id - ev.low; !ev.seen[x] {
			ev.seen[x] = true
			sel = append(sel, id)
		}
	}
	ev.sel = sel
	if len(sel) > 0 {
		p := e.first[d]
		eb.orInto(w.own(&p), sel)
		e.first[d] = p
	}
}

// flushBlock adds the occurrences counted in cnt to block b's union and
// counter, and clears cnt.
func (ev *evScratch) flushBlock(e *event, w wctx, eb *exactBuilder, b int32) {
	if ev.bmax < 0 {
		return
	}
	bids, top := ev.bids[:0], uint32(0)
	for x := ev.bmin; x <= ev.bmax; x++ {
		if c := ev.cnt[x]; c > 0 {
			bids = append(bids, ev.low+uint32(x))
			top = max(top, c)
		}
	}
	ev.bids = bids
	bn := e.block(w, b)
	eb.orInto(w.own(&bn.any), bids)
	cnt := bn.countsOrNil() // (the chunk's customers are new to the event: their counts are ORed in)
	for k := 0; cnt != nil && top>>k != 0; k++ {
		sel := ev.sel[:0]
		for _, id := range bids {
			if ev.cnt[id-ev.low]>>k&1 != 0 {
				sel = append(sel, id)
			}
		}
		ev.sel = sel
		if len(sel) > 0 {
			eb.orInto(slice(w, cnt, k), sel)
		}
	}
	for _, id := range bids {
		ev.cnt[id-ev.low] = 0
	}
	ev.bmin, ev.bmax = len(ev.cnt), -1
}

// slice returns bit slice b of a counter, writable, adding empty slices up
// to it (readers expect no nil slice below the top).
func slice(w wctx, s *[]*bm, b int) *roaring.Bitmap {
	for len(*s) <= b {
		*s = append(*s, nil)
		w.own(&(*s)[len(*s)-1])
	}
	return w.own(&(*s)[b])
}
