package bitmapindex

import (
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Recency ranks.
//
// For k = 1..rankK, the customers are partitioned by the day of their k-th
// most recent occurrence of the event (k = 1: the last occurrence; two
// occurrences on one day give two ranks that day). When a window [from, to]
// reaches the event's last recorded day (to ≥ maxDay, the usual case of a
// window ending now), a customer has at least k occurrences in it exactly
// when its k-th most recent occurrence is on or after from. So
//
//	did(e, from..to)          = ⋃ rank1[d] for d ≥ from
//	count(e, from..to) ≥ k    = ⋃ rankk[d] for d ≥ from      (k ≤ rankK)
//
// and their sizes are sums of per-day cardinalities (a binary search in
// prefix sums: microseconds). The union is taken over the days at or after
// from, or as the rank's whole set minus the days before from, whichever
// holds fewer customers.
//
// The ranks are derived from the day bitmaps: built on first use (one sweep
// over the days, newest first) with as many levels as the queries so far
// needed (did: 1, count ≥ 3: 3) and the suffix sets only once a did asked
// for them, updated customer by customer after small batches and deletes,
// and dropped (rebuilt on next use) after large ones.
// Snapshots do not store them. The bitmaps of a built ranks value are never
// modified: an update makes new bitmaps for the days it changes.

// useRanks enables answering did and counts over windows that reach the
// last recorded day from the ranks, and rankUpdates updating built ranks
// after small batches (else they are rebuilt on next use). Variables so
// tests can exercise every path.
var useRanks, rankUpdates = true, true

// rankK is the number of most recent occurrences ranked per customer.
const rankK = 4

type rankDay struct {
	d segkit.Day
	b *roaring.Bitmap
}

// rankLevel is one rank's partition: days ascending, each non-empty, and
// cum[i] the customers on days[:i].
type rankLevel struct {
	days []rankDay
	cum  []uint64 // len(days)+1
	all  *roaring.Bitmap
}

type ranks struct {
	depth int // levels built: lv[:depth]
	lv    [rankK]rankLevel
	// suf[s] (when hasSuf): the customers with an occurrence on a day ≥ s,
	// for the days s of pts: the block starts after minDay's block up to
	// maxDay's, and every sufStep days within sufFine days of maxDay, where
	// did windows ending now mostly start (below pts[0]: everyone,
	// lv[0].all; above maxDay: no one).
	suf            map[segkit.Day]*roaring.Bitmap
	pts            []segkit.Day // ascending
	hasSuf         bool
	minDay, maxDay segkit.Day
}

// Suffix sets finer than blocks: every sufStep days in the blocks within
// sufFine days of the last day, and every other day within sufFiner days,
// so that a did window ending now has at most one day outside a suffix set
// up to a month back and at most three up to 100 days (90-day windows).
const (
	sufStep  = 4
	sufFine  = 100
	sufFiner = 32
)

// sufPoints returns the days that have suffix sets for events from minDay
// to maxDay.
func sufPoints(minDay, maxDay segkit.Day) []segkit.Day {
	var pts []segkit.Day
	for b := blockOf(minDay); b <= blockOf(maxDay); b++ {
		if b > blockOf(minDay) {
			pts = append(pts, blockStart(b))
		}
		step := segkit.Day(0)
		switch end := blockStart(b) + blockDays - 1; {
		case end >= maxDay-sufFiner:
			step = 2
		case end >= maxDay-sufFine:
			step = sufStep
		}
		for d := blockStart(b) + step; step > 0 && d < blockStart(b)+blockDays && d <= maxDay; d += step {
			if d > minDay {
				pts = append(pts, d)
			}
		}
	}
	return pts
}

// sufAt returns the customers with an occurrence on a day ≥ s, for s one
// of r.pts, at most minDay (everyone) or after maxDay (no one); nil for
// another day.
func (r *ranks) sufAt(s segkit.Day) *roaring.Bitmap {
	switch {
	case s <= r.minDay:
		return r.lv[0].all
	case s > r.maxDay:
		return emptyBitmap
	}
	return r.suf[s]
}

// rankSlot holds an event's ranks, built on first use. A slot belongs to
// one version of the event: writers replace it, never change it.
type rankSlot struct {
	mu sync.Mutex
	r  *ranks
	// Pending (r nil, base set): base, the ranks of an earlier version,
	// with the customers of stale to be ranked again from this version's
	// days. Writes only note their customers; the first query that needs
	// the ranks brings them up to date, once for all the batches since.
	base  *ranks
	stale *roaring.Bitmap
}

// rankBase is what a writer carries forward from an earlier version: its
// ranks, built or pending, and the customers they have stale.
type rankBase struct {
	r     *ranks
	stale *roaring.Bitmap // nil: none
}

func (s *rankSlot) state() rankBase {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r != nil {
		return rankBase{r: s.r}
	}
	return rankBase{r: s.base, stale: s.stale}
}

// ranksFor returns the event's ranks with at least k levels and, when suf
// is set, the suffix sets, building them when needed. Only what queries
// asked for is built (and kept up to date), so the memory follows the
// rules in use: a did needs one level, countWithin(…) >= 3 three.
func (e *event) ranksFor(k int, suf bool) *ranks {
	s := e.rk
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil && s.base != nil {
		s.r = s.base.update(e, s.stale)
		s.base, s.stale = nil, nil
	}
	if r := s.r; r == nil || r.depth < k || suf && !r.hasSuf {
		if r != nil {
			k, suf = max(k, r.depth), suf || r.hasSuf
		}
		s.r = buildRanks(e, k, suf)
	}
	return s.r
}

// heldRanks returns the ranks the event holds, built or pending (for
// Stats), nil when none.
func (e *event) heldRanks() *ranks {
	s := e.rk
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r != nil {
		return s.r
	}
	return s.base
}

// prevRanks returns the ranks a writer updates: its own version's if
// built or pending, else those of the version it copied.
func (e *event) prevRanks() rankBase {
	b := e.rk.state()
	if b.r == nil {
		b = e.rkPrev
	}
	e.rkPrev = rankBase{}
	return b
}

// staleAfter notes the customers of t as stale in the ranks a writer
// carries forward, or drops the ranks (rebuilt on next use) when too many
// are.
func (e *event) staleAfter(t *roaring.Bitmap) {
	prev := e.prevRanks()
	if prev.r == nil || !rankUpdates {
		e.rk = &rankSlot{}
		return
	}
	if prev.stale != nil {
		t.Or(prev.stale)
	}
	if int(t.GetCardinality()) > e.rankUpdateLimit() {
		e.rk = &rankSlot{}
		return
	}
	e.rk = &rankSlot{base: prev.r, stale: t}
}

// rankable reports whether windows ending at or after to can use the
// ranks.
func (e *event) rankable(to segkit.Day) bool { return useRanks && e.has && to >= e.maxDay }

func (lv *rankLevel) finish() {
	lv.cum = make([]uint64, len(lv.days)+1)
	for i, rd := range lv.days {
		lv.cum[i+1] = lv.cum[i] + rd.b.GetCardinality()
	}
	if lv.all == nil {
		bs := make([]*roaring.Bitmap, len(lv.days))
		for i, rd := range lv.days {
			bs[i] = rd.b
		}
		lv.all = roaring.FastOr(bs...)
	}
}

// at returns the index of the first day ≥ from.
func (lv *rankLevel) at(from segkit.Day) int {
	return sort.Search(len(lv.days), func(i int) bool { return lv.days[i].d >= from })
}

// countFrom returns the number of customers whose rank day is ≥ from.
func (lv *rankLevel) countFrom(from segkit.Day) uint64 {
	return lv.cum[len(lv.days)] - lv.cum[lv.at(from)]
}

// from returns the customers whose rank day is ≥ from (size bounds the
// IDs). The result may be the level's own bitmap (shared): callers only
// read it.
func (lv *rankLevel) from(from segkit.Day, size uint64, st *stop) (r *roaring.Bitmap, shared bool) {
	i := lv.at(from)
	n := len(lv.days)
	switch {
	case i == 0:
		return lv.all, true
	case i == n:
		return roaring.New(), false
	}
	after, before := lv.cum[n]-lv.cum[i], lv.cum[i]
	if after <= before {
		return orScatter(st, size, lv.bitmaps(i, n)...), false
	}
	return roaring.AndNot(lv.all, orScatter(st, size, lv.bitmaps(0, i)...)), false
}

// bitmaps returns the bitmaps of days[i:j].
func (lv *rankLevel) bitmaps(i, j int) []*roaring.Bitmap {
	xs := make([]*roaring.Bitmap, 0, j-i)
	for _, rd := range lv.days[i:j] {
		xs = append(xs, rd.b)
	}
	return xs
}

// buildRanks derives the ranks from the day bitmaps: the days are swept
// newest first keeping, for j = 1..rankK−1, the customers seen exactly j
// times so far; a day's customers seen j times get rank j+1 on that day.
func buildRanks(e *event, depth int, withSuf bool) *ranks {
	r := &ranks{depth: depth, hasSuf: withSuf}
	days := make([]segkit.Day, 0, len(e.days))
	for d, n := range e.days {
		if !n.one.empty() {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	var level [rankK]*roaring.Bitmap // level[j]: seen exactly j times (1 ≤ j < rankK)
	for j := 1; j < depth; j++ {
		level[j] = roaring.New()
	}
	seen := roaring.New()
	everN := e.ever.card()
	per := [rankK][]rankDay{}
	for i := len(days) - 1; i >= 0; i-- {
		d := days[i]
		dn := e.days[d]
		x := dn.one.b
		var multi *roaring.Bitmap
		if len(dn.extra) > 0 {
			multi = orAll(bitmapsOf(dn.extra)...)
			x = roaring.AndNot(x, multi)
		}
		var got [rankK]*roaring.Bitmap
		got[0] = roaring.AndNot(x, seen)
		for j := 1; j < depth; j++ {
			if !level[j].IsEmpty() {
				got[j] = roaring.And(x, level[j])
			}
		}
		for j := depth - 1; j >= 1; j-- {
			if got[j] != nil {
				level[j].AndNot(got[j])
			}
			if got[j-1] != nil {
				level[j].Or(got[j-1])
			}
		}
		seen.Or(x)
		if multi != nil {
			var add [rankK][]uint32
			for id := range roaring.Values(multi) {
				j := 0
				if seen.Contains(id) {
					j = depth
					for k := 1; k < depth; k++ {
						if level[k].Contains(id) {
							j = k
							level[k].Remove(id)
							break
						}
					}
				}
				m := int(1 + readBits(dn.extra, id))
				for k := j; k < min(j+m, depth); k++ {
					add[k] = append(add[k], id)
				}
				if j+m < depth {
					level[j+m].Add(id)
				}
				seen.Add(id)
			}
			for k := range add {
				if len(add[k]) == 0 {
					continue
				}
				b := roaring.BitmapOf(add[k]...)
				if got[k] == nil {
					got[k] = b
				} else {
					got[k].Or(b)
				}
			}
		}
		for k, b := range got {
			if b != nil && !b.IsEmpty() {
				per[k] = append(per[k], rankDay{d, b})
			}
		}
		if int(seen.GetCardinality()) == everN {
			done := true
			for j := 1; j < depth && done; j++ {
				done = level[j].IsEmpty()
			}
			if done {
				break // everyone has depth occurrences ranked
			}
		}
	}
	for k := range per[:depth] {
		slices.Reverse(per[k])
		r.lv[k].days = per[k]
		r.lv[k].finish()
	}
	r.minDay, r.maxDay = e.minDay, e.maxDay
	if !withSuf {
		return r
	}
	r.pts = sufPoints(e.minDay, e.maxDay)
	r.suf = make(map[segkit.Day]*roaring.Bitmap, len(r.pts))
	acc := roaring.New()
	next := e.maxDay + 1 // acc: the customers with an occurrence on a day ≥ next
	for i := len(r.pts) - 1; i >= 0; i-- {
		s := r.pts[i]
		var xs []*roaring.Bitmap
		for next > s { // whole blocks from their unions, the rest day by day
			if b := blockOf(next - 1); blockStart(b) >= s && next == blockStart(b)+blockDays {
				if n := e.blocks[b]; n != nil && !n.any.empty() {
					xs = append(xs, n.any.b)
				}
				next = blockStart(b)
				continue
			}
			if n := e.days[next-1]; n != nil && !n.one.empty() {
				xs = append(xs, n.one.b)
			}
			next--
		}
		if len(xs) > 0 {
			acc = roaring.FastOr(append(xs, acc)...) // a new bitmap: the stored ones are never modified
		}
		r.suf[s] = acc
	}
	return r
}

// rankUpdateLimit returns the number of customers up to which a batch
// updates built ranks customer by customer; larger batches drop them.
func (e *event) rankUpdateLimit() int { return 4096 + e.ever.card()/64 }

// afterRecord notes the customers of a batch's occurrences as stale in
// the ranks (updated on next use). e belongs to the writer's generation.
func (e *event) afterRecord(days map[segkit.Day]*dayBuf) {
	t := roaring.New()
	for _, db := range days {
		t.AddMany(db.ids)
	}
	e.staleAfter(t)
}

// afterRemove notes deleted customers as stale in the ranks (they have no
// occurrences left, so ranking them again removes them).
func (e *event) afterRemove(del *roaring.Bitmap) {
	e.staleAfter(del.Clone())
}

// update returns r with the customers of t ranked again from e's days,
// suffix sets included.
func (r *ranks) update(e *event, t *roaring.Bitmap) *ranks {
	out, last := r.recompute(e, t)
	out.minDay, out.maxDay = e.minDay, e.maxDay
	if !r.hasSuf {
		return out
	}
	// the suffix sets: the old ones without t, plus the customers of t
	// whose last occurrence is on or after the day
	out.pts = sufPoints(e.minDay, e.maxDay)
	out.suf = make(map[segkit.Day]*roaring.Bitmap, len(out.pts))
	lastDays := slices.Sorted(maps.Keys(last))
	for _, s := range out.pts {
		x := r.sufAt(s)
		if x == nil { // no set for this day before (not reached: the finer points move forward)
			out.suf, out.pts, out.hasSuf = nil, nil, false // built again on next use
			return out
		}
		var add []uint32
		for i := len(lastDays) - 1; i >= 0 && lastDays[i] >= s; i-- {
			add = append(add, last[lastDays[i]]...)
		}
		if len(add) > 0 || x.Intersects(t) {
			x = roaring.AndNot(x, t)
			x.AddMany(add)
		}
		out.suf[s] = x
	}
	return out
}

// without returns the ranks without the customers of t, plus add[k][d]
// (ascending IDs) on rank k+1 at day d.
func (r *ranks) without(t *roaring.Bitmap, add *[rankK]map[segkit.Day][]uint32) *ranks {
	out := &ranks{depth: r.depth, hasSuf: r.hasSuf, minDay: r.minDay, maxDay: r.maxDay}
	for k := range r.lv[:r.depth] {
		lv := &r.lv[k]
		var extra map[segkit.Day][]uint32
		if add != nil {
			extra = add[k]
		}
		if !lv.all.Intersects(t) && len(extra) == 0 {
			out.lv[k] = *lv
			continue
		}
		all := roaring.AndNot(lv.all, t)
		for _, ids := range extra {
			all.AddMany(ids)
		}
		nl := rankLevel{days: make([]rankDay, 0, len(lv.days)+len(extra)), all: all}
		for _, rd := range lv.days {
			b := rd.b
			if b.Intersects(t) {
				b = roaring.AndNot(b, t)
			}
			if ids := extra[rd.d]; len(ids) > 0 {
				if b == rd.b {
					b = b.Clone()
				}
				b.AddMany(ids)
				delete(extra, rd.d)
			}
			if !b.IsEmpty() {
				nl.days = append(nl.days, rankDay{rd.d, b})
			}
		}
		for d, ids := range extra {
			nl.days = append(nl.days, rankDay{d, roaring.BitmapOf(ids...)})
		}
		if len(extra) > 0 {
			slices.SortFunc(nl.days, func(a, b rankDay) int { return int(a.d) - int(b.d) })
		}
		nl.finish()
		out.lv[k] = nl
	}
	return out
}

// recompute returns the ranks with the customers of t ranked again from
// the event's days (newest first until rankK occurrences are found), and
// the day of the last occurrence of each of them that has one.
func (r *ranks) recompute(e *event, t *roaring.Bitmap) (*ranks, map[segkit.Day][]uint32) {
	var add [rankK]map[segkit.Day][]uint32
	for k := range add {
		add[k] = map[segkit.Day][]uint32{}
	}
	var days []segkit.Day // newest first, when the blocks are too sparse to walk
	lo, hi := blockOf(e.minDay), blockOf(e.maxDay)
	sparse := !e.has || int64(hi)-int64(lo) >= 4*int64(len(e.blocks))
	if sparse {
		days = slices.Collect(maps.Keys(e.days))
		slices.Sort(days)
		slices.Reverse(days)
	}
	for id := range roaring.Values(t) {
		if !e.ever.contains(id) {
			continue
		}
		k := 0
		visit := func(d segkit.Day) {
			n := e.days[d]
			if n == nil || !n.one.contains(id) {
				return
			}
			m := 1 + int(readBits(n.extra, id))
			for ; m > 0 && k < r.depth; m-- {
				add[k][d] = append(add[k][d], id)
				k++
			}
		}
		if sparse {
			for _, d := range days {
				if visit(d); k == r.depth {
					break
				}
			}
			continue
		}
		for b := hi; b >= lo && k < r.depth; b-- { // the blocks it has occurrences in
			if n := e.blocks[b]; n == nil || !n.any.contains(id) {
				continue
			}
			for d := min(blockStart(b)+blockDays-1, e.maxDay); d >= max(blockStart(b), e.minDay) && k < r.depth; d-- {
				visit(d)
			}
		}
	}
	last := maps.Clone(add[0]) // (without consumes add)
	return r.without(t, &add), last
}

// bytes is the ranks' in-memory size and number of bitmaps.
func (r *ranks) bytes() (int64, int) {
	var n int64
	var c int
	for k := range r.lv[:r.depth] {
		lv := &r.lv[k]
		for _, rd := range lv.days {
			n += int64(rd.b.GetSizeInBytes()) + 48 + 16
			c++
		}
		n += int64(len(lv.cum)) * 8
		if lv.all != nil {
			n += int64(lv.all.GetSizeInBytes()) + 48
			c++
		}
	}
	var prev *roaring.Bitmap
	for _, s := range r.pts { // (consecutive days with no occurrence between share a set)
		if x := r.suf[s]; x != nil && x != prev {
			n += int64(x.GetSizeInBytes()) + 48 + 16
			c++
			prev = x
		}
	}
	return n, c
}

// ---- reads -----------------------------------------------------------------

// rankedGe returns the customers with at least k occurrences on days in
// [from, to] (1 ≤ k ≤ rankK, e.rankable(to)). The result may be shared:
// callers only read it.
func (e *event) rankedGe(k int, from segkit.Day, st *stop) (*roaring.Bitmap, bool) {
	return e.ranksFor(k, false).lv[k-1].from(from, e.idBound(), st)
}

// idBound is one more than the largest ID with an occurrence.
func (e *event) idBound() uint64 {
	if e.ever.empty() {
		return 0
	}
	return uint64(e.ever.b.Maximum()) + 1
}

// rankedGeCount is the size of rankedGe.
func (e *event) rankedGeCount(k int, from segkit.Day) uint64 {
	return e.ranksFor(k, false).lv[k-1].countFrom(from)
}

// rankedCount answers `count op n` over [from, to] from the ranks: the
// customers with at least lo occurrences and, when hi > 0, fewer than hi;
// neg: the live customers not in that set. false when the ranks do not
// apply (the window ends before the last recorded day, or the threshold
// is beyond rankK).
func rankedTerms(op Op, n int64) (lo, hi int, neg, ok bool) {
	switch op {
	case Ge:
		lo = int(n)
	case Gt:
		lo = int(n) + 1
	case Lt:
		lo, neg = int(n), true
	case Le:
		lo, neg = int(n)+1, true
	case Eq:
		lo, hi = int(n), int(n)+1
	case Ne:
		lo, hi, neg = int(n), int(n)+1, true
	default:
		return 0, 0, false, false
	}
	if n < 1 || n > rankK || lo > rankK || hi > rankK {
		return 0, 0, false, false
	}
	return lo, hi, neg, true
}

// countRanked returns the live customers whose number of occurrences on
// days in [from, to] satisfies `count op n` (n ≥ 1), and false when the
// ranks do not answer it.
func (e *event) countRanked(from, to segkit.Day, op Op, n int64, live *roaring.Bitmap, st *stop) (*roaring.Bitmap, bool) {
	lo, hi, neg, ok := rankedTerms(op, n)
	if !ok || !e.rankable(to) {
		return nil, false
	}
	e.ranksFor(max(lo, hi), false)
	r, shared := e.rankedGe(lo, from, st)
	if hi > 0 {
		h, _ := e.rankedGe(hi, from, st)
		r, shared = roaring.AndNot(r, h), false
	}
	switch {
	case neg:
		return roaring.AndNot(live, r), true
	case shared:
		return r.Clone(), true
	}
	return r, true
}

// countRankedSize is the size of countRanked's set.
func (e *event) countRankedSize(from, to segkit.Day, op Op, n int64, live uint64) (uint64, bool) {
	lo, hi, neg, ok := rankedTerms(op, n)
	if !ok || !e.rankable(to) {
		return 0, false
	}
	e.ranksFor(max(lo, hi), false)
	c := e.rankedGeCount(lo, from)
	if hi > 0 {
		c -= e.rankedGeCount(hi, from)
	}
	if neg {
		c = live - c
	}
	return c, true
}

// DidCount returns the number of customers Did returns: when the window
// reaches the event's last recorded day, a sum of per-day counts of the
// customers' last occurrences, without building the set.
func (v *View) DidCount(event string, from, to segkit.Day) int {
	e := v.st.events[event]
	if e == nil || from > to {
		return 0
	}
	if e.rankable(to) {
		return int(e.rankedGeCount(1, from))
	}
	return int(e.didStop(from, to, v.stop).GetCardinality())
}

// CountCount returns the number of customers Count returns, from per-day
// counts of the customers' k-th most recent occurrences when the window
// reaches the event's last recorded day and n ≤ 4.
func (v *View) CountCount(event string, from, to segkit.Day, op Op, n int64) int {
	e := v.st.events[event]
	if e != nil && from <= to && op.valid() {
		if c, ok := e.countRankedSize(from, to, op, n, v.live().GetCardinality()); ok {
			return int(c)
		}
	}
	return v.Count(event, from, to, op, n).Len()
}

// didRanked returns the customers with an occurrence on a day in
// [from, maxDay] (e.rankable, minDay < from ≤ maxDay). Of three equal
// answers it takes the one that touches the fewest customers in
// per-day bitmaps (a dense operation over all customers counts as
// |ever|/32 of them):
//   - the customers whose last occurrence is on a day ≥ from (or everyone
//     but those whose last occurrence is earlier);
//   - the suffix set of the next block plus the days from..its start;
//   - the suffix set of from's block minus the customers whose last
//     occurrence is on a day of that block before from.
//
// The result may be shared: callers only read it.
func (e *event) didRanked(from segkit.Day, st *stop) *roaring.Bitmap {
	r := e.ranksFor(1, true)
	lv := &r.lv[0]
	// the suffix sets around from: lo ≤ from < hi
	k := sort.Search(len(r.pts), func(i int) bool { return r.pts[i] > from })
	lo, hi := e.minDay, e.maxDay+1
	if k > 0 {
		lo = r.pts[k-1]
	}
	if k < len(r.pts) {
		hi = r.pts[k]
	}
	if from <= e.minDay || k > 0 && lo == from {
		return r.sufAt(max(from, e.minDay))
	}
	dense := uint64(e.ever.card())/32 + 1
	i, j, n := lv.at(from), lv.at(lo), len(lv.days)
	after, before := lv.cum[n]-lv.cum[i], lv.cum[i]
	minus := lv.cum[i] - lv.cum[j] + dense // sufAt(lo) without the last occurrences in [lo, from)
	plus := dense                          // sufAt(hi) with the occurrences in [from, hi)
	for d := from; d < hi; d++ {
		if dn := e.days[d]; dn != nil && !dn.one.empty() {
			plus += dn.one.b.GetCardinality()
		}
	}
	switch {
	case min(after, before+dense) <= min(plus, minus):
		x, _ := lv.from(from, e.idBound(), st)
		return x
	case plus <= minus: // the set of hi plus the days in [from, hi), in place in a copy
		x := r.sufAt(hi).Clone()
		for d := from; d < hi && !st.done(); d++ {
			if dn := e.days[d]; dn != nil && !dn.one.empty() {
				x.Or(dn.one.b)
			}
		}
		return x
	}
	x := r.sufAt(lo).Clone() // the set of lo minus the last occurrences in [lo, from)
	for _, b := range lv.bitmaps(j, i) {
		if st.done() {
			break
		}
		x.AndNot(b)
	}
	return x
}

// scatterBufs recycles orScatter's dense word arrays (all zero when put
// back).
var scatterBufs sync.Pool

// orScatter returns the union of many small bitmaps by setting their bits
// in a dense word array and converting it once (array containers where
// sparse): about 1.5 ns per member plus a pass over one bit per customer,
// where roaring's FastOr over hundreds of small bitmaps pays per container
// of every bitmap. size bounds the IDs (max + 1).
func orScatter(st *stop, size uint64, xs ...*roaring.Bitmap) *roaring.Bitmap {
	if len(xs) < 4 {
		return orAllStop(st, xs...)
	}
	words := scatterWords(size)
	var buf [1024]uint32
	for _, x := range xs {
		if st.done() {
			break
		}
		it := x.ManyIterator()
		for k := it.NextMany(buf[:]); k > 0; k = it.NextMany(buf[:]) {
			for _, id := range buf[:k] {
				if w := int(id / 64); w < len(words) {
					words[w] |= 1 << (id % 64)
				}
			}
		}
	}
	return denseToBitmap(words)
}

// scatterWords returns a zeroed dense word array for IDs below size, from
// scatterBufs when one is big enough.
func scatterWords(size uint64) []uint64 {
	n := int(size+63) / 64
	if p, _ := scatterBufs.Get().(*[]uint64); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint64, n)
}

// denseToBitmap converts words (from scatterWords) into a bitmap and gives
// them back to scatterBufs, zeroed.
func denseToBitmap(words []uint64) *roaring.Bitmap {
	r := roaring.FromDense(words, true)
	clear(words)
	scatterBufs.Put(&words)
	return r
}
