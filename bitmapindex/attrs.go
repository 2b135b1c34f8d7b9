package bitmapindex

import (
	"cmp"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/segkit/segkit"
)

// maxValueBitmaps is the number of distinct values up to which a numeric
// attribute also keeps one bitmap per value (equality encoding). Range
// queries then OR at most half of them (or subtract the other half from the
// presence bitmap), which for low-cardinality attributes such as age is an
// order of magnitude faster than a bit-sliced comparison. Past this many
// distinct values the value bitmaps are dropped and the bit-sliced index
// answers alone. A variable so tests can exercise both paths.
var maxValueBitmaps = 256

// maxValueOr is the largest number of value bitmaps a comparison ORs (or
// subtracts from the presence bitmap); a query that would need more uses the
// bit-sliced comparison, whose cost does not grow with the number of values.
// Ages (about 80 values) answer a five-year range from five bitmaps, and
// "age >= 40" from the ones below 40 subtracted.
var maxValueOr = 32

// attr is one attribute's index (a copy-on-write node).
type attr struct {
	gen     uint64
	def     Attribute
	present *bm

	// category and set: one bitmap per value.
	dict map[string]*bm

	// numeric kinds: the bit-sliced index, and value bitmaps keyed by the
	// ordered form u while the attribute has few distinct values.
	hasRef bool
	ref    uint64
	slices [64]*bm
	vals   map[uint64]*bm
	wide   bool // vals dropped for good (too many distinct values)

	// time attributes: the customers per day of their value, in loc (the
	// index's time zone). Rules ask for whole days (within, daysSince,
	// date literals), which a few day bitmaps answer where the bit slices
	// of a second-precision instant need 30-odd whole-population
	// operations. nil when not kept (an attribute read from a snapshot
	// written before day bitmaps existed): the bit slices answer alone.
	days map[segkit.Day]*bm
	tz   *segkit.Zone

	// numeric kinds: the interleaved columns of wide comparisons, built by
	// readers of this version (widecols.go); every version has its own.
	wcache *wideCache
}

func newAttr(w wctx, def Attribute) *attr {
	a := &attr{gen: w.gen, def: def}
	if def.Kind == KindTime {
		a.days, a.tz = map[segkit.Day]*bm{}, w.tz
		if a.tz == nil {
			a.tz = segkit.NewZone(time.UTC)
		}
	}
	if def.Kind.numeric() {
		a.vals = map[uint64]*bm{}
		a.wcache = &wideCache{}
	} else {
		a.dict = map[string]*bm{}
	}
	return a
}

// attr returns the writable attribute node, creating it.
func (w wctx) attr(st *state, def Attribute) *attr {
	m := w.mutAttrs(st)
	a := m[def.Name]
	switch {
	case a == nil:
		a = newAttr(w, def)
		m[def.Name] = a
	case a.gen != w.gen:
		c := *a
		c.gen = w.gen
		c.dict = maps.Clone(a.dict)
		c.vals = maps.Clone(a.vals)
		c.days = maps.Clone(a.days)
		if a.wcache != nil {
			c.wcache = &wideCache{}
		}
		a = &c
		m[def.Name] = a
	}
	return a
}

// fixed returns the int64 form of a numeric value for attribute def; the
// value must have been validated.
func fixedOf(def Attribute, v Value) int64 {
	if def.Kind == KindDecimal {
		m, _ := toFixed(v.f, def.Scale)
		return m
	}
	return v.n
}

// valueOf converts a stored int64 back to a Value.
func valueOf(def Attribute, m int64) Value {
	switch def.Kind {
	case KindInt:
		return Int(m)
	case KindDecimal:
		return Decimal(fromFixed(m, def.Scale))
	case KindTime:
		return Value{k: KindTime, n: m}
	case KindBool:
		return Bool(m != 0)
	}
	return Value{}
}

// ---- writes ----------------------------------------------------------------

// set writes v (already validated, of the attribute's kind) for id.
func (a *attr) set(w wctx, id uint32, v Value) {
	switch a.def.Kind {
	case KindCategory:
		a.setCategory(w, id, v.s)
	case KindSet:
		var vs []string
		eachString(v.s, func(s string) { vs = append(vs, s) })
		if len(vs) == 0 {
			a.clear(w, id)
			return
		}
		a.setStrings(w, id, vs)
	default:
		a.setNumeric(w, id, ordered(fixedOf(a.def, v)))
	}
}

func (a *attr) setCategory(w wctx, id uint32, s string) {
	if a.present.contains(id) {
		old, _ := a.categoryOf(id)
		if old == s {
			return
		}
		a.dictRemove(w, old, id)
	} else {
		w.own(&a.present).Add(id)
	}
	a.dictAdd(w, s, id)
}

func (a *attr) setStrings(w wctx, id uint32, vs []string) {
	if a.present.contains(id) {
		for _, old := range a.stringsOf(id) {
			if _, keep := slices.BinarySearch(vs, old); !keep {
				a.dictRemove(w, old, id)
			}
		}
	} else {
		w.own(&a.present).Add(id)
	}
	for _, s := range vs {
		a.dictAdd(w, s, id)
	}
}

func (a *attr) dictAdd(w wctx, s string, id uint32) {
	if !a.dict[s].contains(id) {
		addTo(w, a.dict, s, id)
	}
}

func (a *attr) dictRemove(w wctx, s string, id uint32) { removeFrom(w, a.dict, s, id) }

func (a *attr) setNumeric(w wctx, id uint32, u uint64) {
	if !a.hasRef {
		a.ref, a.hasRef = u, true
	}
	x := u ^ a.ref
	if a.present.contains(id) {
		old := a.bitsOf(id)
		if old == x {
			return
		}
		setBits(w, &a.slices, id, old, x)
		a.valRemove(w, old^a.ref, id)
		a.dayRemove(w, old^a.ref, id)
	} else {
		setBits(w, &a.slices, id, 0, x)
		w.own(&a.present).Add(id)
	}
	a.valAdd(w, u, id)
	a.dayAdd(w, u, id)
}

// freshVals are first values for customers that have none, by ascending
// ID: numeric values in ordered form, or the strings of a category or a
// set.
type freshVals struct {
	ids  []uint32
	us   []uint64   // numeric kinds
	strs []string   // category
	sets [][]string // set: each value's strings, in any order, repeats allowed
}

func (f *freshVals) reset() {
	f.ids, f.us, f.strs, f.sets = f.ids[:0], f.us[:0], f.strs[:0], f.sets[:0]
}

// add adds id's value v (valid, not empty, of def's kind).
func (f *freshVals) add(def Attribute, id uint32, v Value) {
	f.ids = append(f.ids, id)
	switch def.Kind {
	case KindCategory:
		f.strs = append(f.strs, v.s)
	case KindSet:
		var ss []string
		eachString(v.s, func(s string) { ss = append(ss, s) })
		f.sets = append(f.sets, ss)
	default:
		f.us = append(f.us, ordered(fixedOf(def, v)))
	}
}

// setFresh writes first values for customers that have none, with one
// bulk operation per bitmap touched, each bitmap built at its exact size
// (exact.go) from sc's reused buffers.
func (a *attr) setFresh(w wctx, sc *bulkScratch, f *freshVals) {
	eb := &sc.eb
	eb.orInto(w.own(&a.present), f.ids)
	if a.def.Kind == KindCategory || a.def.Kind == KindSet {
		g := &sc.strs
		g.reset()
		for k, id := range f.ids {
			if a.def.Kind == KindCategory {
				g.add(f.strs[k], id)
				continue
			}
			row := append(sc.row[:0], f.sets[k]...)
			if len(row) > 1 {
				slices.Sort(row)
				row = slices.Compact(row)
			}
			for _, s := range row {
				g.add(s, id)
			}
			sc.row = row
		}
		orGroups(g, a.dict, w, eb)
		return
	}
	// the bit slices, eight at a time: their IDs gathered in one buffer,
	// slice after slice
	var count [64]int32
	for _, u := range f.us {
		if !a.hasRef {
			a.ref, a.hasRef = u, true
		}
		for x := u ^ a.ref; x != 0; x &= x - 1 {
			count[bits.TrailingZeros64(x)]++
		}
	}
	for base := 0; base < 64; base += 8 {
		var end [8]int32
		total := int32(0)
		for b, n := range count[base : base+8] {
			end[b] = total // the start, advanced to the end while placing
			total += n
		}
		if total == 0 {
			continue
		}
		sc.bits = resize(sc.bits, int(total))
		for k, u := range f.us {
			for x := (u ^ a.ref) >> base & 0xff; x != 0; x &= x - 1 {
				b := bits.TrailingZeros64(x)
				sc.bits[end[b]] = f.ids[k]
				end[b]++
			}
		}
		for b, n := range count[base : base+8] {
			if n > 0 {
				eb.orInto(w.own(&a.slices[base+b]), sc.bits[end[b]-n:end[b]])
			}
		}
	}
	if a.days != nil {
		g := &sc.days
		g.reset()
		for k, id := range f.ids {
			g.add(a.dayOf(f.us[k]), id)
		}
		orGroups(g, a.days, w, eb)
	}
	if a.wide {
		return
	}
	g := &sc.nums
	g.reset()
	for k, u := range f.us {
		if !g.has(u) {
			if _, ok := a.vals[u]; !ok && len(a.vals)+g.len() >= maxValueBitmaps {
				a.wide, a.vals = true, nil // too many distinct values
				return
			}
		}
		g.add(u, f.ids[k])
	}
	orGroups(g, a.vals, w, eb)
}

// dayOf returns the day (in the attribute's location) of a time value in
// ordered form.
func (a *attr) dayOf(u uint64) segkit.Day {
	return a.tz.DayOf(time.Unix(unordered(u), 0))
}

func (a *attr) dayAdd(w wctx, u uint64, id uint32) {
	if a.days != nil {
		addTo(w, a.days, a.dayOf(u), id)
	}
}

func (a *attr) dayRemove(w wctx, u uint64, id uint32) {
	if a.days != nil {
		removeFrom(w, a.days, a.dayOf(u), id)
	}
}

func (a *attr) valAdd(w wctx, u uint64, id uint32) {
	if a.wide {
		return
	}
	if a.vals[u] == nil && len(a.vals) >= maxValueBitmaps {
		a.wide, a.vals = true, nil
		return
	}
	addTo(w, a.vals, u, id)
}

// addTo adds id to the bitmap of k in m (created when missing).
func addTo[K comparable](w wctx, m map[K]*bm, k K, id uint32) {
	p := m[k]
	w.own(&p).Add(id)
	m[k] = p
}

// removeAll removes del from every bitmap of m, dropping those that become
// empty.
func removeAll[K comparable](w wctx, m map[K]*bm, del *roaring.Bitmap) {
	for k, p := range m {
		if p.b.Intersects(del) {
			w.own(&p).AndNot(del)
			if p.b.IsEmpty() {
				delete(m, k)
			} else {
				m[k] = p
			}
		}
	}
}

// removeFrom removes id from the bitmap of k in m, dropping the bitmap
// when it becomes empty.
func removeFrom[K comparable](w wctx, m map[K]*bm, k K, id uint32) {
	p := m[k]
	if !p.contains(id) {
		return
	}
	w.own(&p).Remove(id)
	if p.b.IsEmpty() {
		delete(m, k)
	} else {
		m[k] = p
	}
}

func (a *attr) valRemove(w wctx, u uint64, id uint32) {
	if !a.wide {
		removeFrom(w, a.vals, u, id)
	}
}

// clear removes id's value.
func (a *attr) clear(w wctx, id uint32) {
	if !a.present.contains(id) {
		return
	}
	switch a.def.Kind {
	case KindCategory, KindSet:
		for _, s := range a.stringsOf(id) {
			a.dictRemove(w, s, id)
		}
	default:
		old := a.bitsOf(id)
		setBits(w, &a.slices, id, old, 0)
		a.valRemove(w, old^a.ref, id)
		a.dayRemove(w, old^a.ref, id)
	}
	w.own(&a.present).Remove(id)
}

// removeIDs removes deleted customers from every bitmap of the attribute.
// It returns the node to store (a copy when something changed).
func (a *attr) removeIDs(w wctx, st *state, del *roaring.Bitmap) {
	if a.present == nil || !a.present.b.Intersects(del) {
		return
	}
	a = w.attr(st, a.def)
	w.own(&a.present).AndNot(del)
	removeAll(w, a.dict, del)
	removeAll(w, a.vals, del)
	removeAll(w, a.days, del)
	for i := range a.slices {
		if a.slices[i] != nil && a.slices[i].b.Intersects(del) {
			w.own(&a.slices[i]).AndNot(del)
		}
	}
}

// ---- reads -----------------------------------------------------------------

// bitsOf returns the stored bits (u XOR ref) of a present id.
func (a *attr) bitsOf(id uint32) uint64 {
	var x uint64
	for i, s := range a.slices {
		if s.contains(id) {
			x |= 1 << uint(i)
		}
	}
	return x
}

// numberOf returns the int64 form of id's value.
func (a *attr) numberOf(id uint32) (int64, bool) {
	if !a.present.contains(id) {
		return 0, false
	}
	return unordered(a.bitsOf(id) ^ a.ref), true
}

// categoryOf returns id's category value.
func (a *attr) categoryOf(id uint32) (string, bool) {
	for s, p := range a.dict {
		if p.contains(id) {
			return s, true
		}
	}
	return "", false
}

// stringsOf returns id's set values (or category value), sorted.
func (a *attr) stringsOf(id uint32) []string {
	var out []string
	for s, p := range a.dict {
		if p.contains(id) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// valueAt returns id's value as a Value.
func (a *attr) valueAt(id uint32) (Value, bool) {
	if !a.present.contains(id) {
		return Value{}, false
	}
	switch a.def.Kind {
	case KindCategory:
		s, ok := a.categoryOf(id)
		return Category(s), ok
	case KindSet:
		return SetOf(a.stringsOf(id)...), true
	}
	m, _ := a.numberOf(id)
	return valueOf(a.def, m), true
}

// uop is a comparison in the ordered unsigned domain; all and none are the
// trivial outcomes of constants outside the int64 range.
type uop struct {
	op        Op
	c         uint64
	all, none bool
}

// toUop turns `m op C` (C given as a bound) into one comparison on u.
// op is never Ne here.
func toUop(b bound, op Op) uop {
	if b.above || b.below {
		if b.holds(0, op) { // the outcome is the same for every m
			return uop{all: true}
		}
		return uop{none: true}
	}
	switch op {
	case Eq:
		if !b.exact {
			return uop{none: true}
		}
		return uop{op: Eq, c: ordered(b.floor)}
	case Lt:
		return uop{op: Lt, c: ordered(b.ceil)}
	case Le:
		return uop{op: Le, c: ordered(b.floor)}
	case Gt:
		return uop{op: Gt, c: ordered(b.floor)}
	case Ge:
		return uop{op: Ge, c: ordered(b.ceil)}
	}
	return uop{none: true}
}

// boundOf returns the comparison constant of c for the attribute (c has the
// attribute's kind and is valid).
func (a *attr) boundOf(c Value) (bound, bool) {
	if a.def.Kind == KindDecimal {
		return decimalBound(c.f, a.def.Scale)
	}
	return intBound(c.n), true
}

// compareNumeric returns the present customers satisfying `x op c`, op ≠ Ne.
// st (nil: never) stops it early with an incomplete result.
func (a *attr) compareNumeric(op Op, c Value, st *stop) *roaring.Bitmap {
	b, ok := a.boundOf(c)
	if !ok {
		return roaring.New()
	}
	return a.rangeU(st, nil, toUop(b, op))
}

// bounds returns the comparisons of lo ≤ x ≤ hi in the ordered domain
// (none when the range is empty; an empty list is every present value).
func (a *attr) bounds(lo, hi Value) (qs []uop, none bool) {
	bl, ok1 := a.boundOf(lo)
	bh, ok2 := a.boundOf(hi)
	if !ok1 || !ok2 {
		return nil, true
	}
	ql, qh := toUop(bl, Ge), toUop(bh, Le)
	if ql.none || qh.none {
		return nil, true
	}
	if !ql.all {
		qs = append(qs, ql)
	}
	if !qh.all {
		qs = append(qs, qh)
	}
	if len(qs) == 2 && ql.c > qh.c {
		return nil, true
	}
	return qs, false
}

// betweenNumeric returns the present customers with lo ≤ x ≤ hi.
func (a *attr) betweenNumeric(lo, hi Value, st *stop) *roaring.Bitmap {
	qs, none := a.bounds(lo, hi)
	if none {
		return roaring.New()
	}
	return a.rangeU(st, nil, qs...)
}

// disjoint is an answer made of disjoint value or day bitmaps: their union,
// or (complement) the present customers minus their union.
type disjoint struct {
	parts      []*roaring.Bitmap
	complement bool
}

// pick answers the conjunction qs (each op ≠ Ne, none trivial) from day or
// value bitmaps when they need at most maxValueOr of them.
func (a *attr) pick(qs []uop) (disjoint, bool) {
	if len(qs) == 0 {
		return disjoint{complement: true}, true
	}
	if lo, hi, ok := a.dayRange(qs[0], qs[len(qs)-1]); ok {
		return pickParts(a.days, func(d segkit.Day) bool { return d >= lo && d <= hi })
	}
	if a.wide {
		return disjoint{}, false
	}
	return pickParts(a.vals, func(u uint64) bool {
		for _, q := range qs {
			if !cmpHolds(cmp.Compare(u, q.c), q.op) {
				return false
			}
		}
		return true
	})
}

// pickParts splits disjoint bitmaps by keep and returns the smaller side,
// declining past maxValueOr bitmaps (the bit-sliced comparison, whose cost
// does not grow with the number of values, answers then).
func pickParts[K comparable](m map[K]*bm, keep func(K) bool) (disjoint, bool) {
	var in, out []*roaring.Bitmap
	for k, p := range m {
		if keep(k) {
			in = append(in, p.b)
		} else {
			out = append(out, p.b)
		}
	}
	if min(len(in), len(out)+1) > maxValueOr {
		return disjoint{}, false
	}
	if len(in) <= len(out)+1 {
		return disjoint{parts: in}, true
	}
	return disjoint{parts: out, complement: true}, true
}

// rangeU returns the present customers whose value satisfies every
// comparison of qs (at most one lower and one upper bound, op ≠ Ne), among
// those of within when it is not nil. A bit-sliced comparison then starts
// from within's customers, so its operations touch only them. st (nil:
// never) stops it early with an incomplete result.
func (a *attr) rangeU(st *stop, within *roaring.Bitmap, qs ...uop) *roaring.Bitmap {
	pres := orEmpty(a.present.bits())
	var keep []uop
	for _, q := range qs {
		switch {
		case q.none:
			return roaring.New()
		case !q.all:
			keep = append(keep, q)
		}
	}
	if d, ok := a.pick(keep); ok {
		var r *roaring.Bitmap
		switch {
		case !d.complement:
			r = orAll(d.parts...)
			if within != nil {
				r.And(within)
			}
			return r
		case within != nil:
			r = roaring.And(pres, within)
		default:
			r = pres.Clone()
		}
		if len(d.parts) > 0 {
			r.AndNot(orAll(d.parts...))
		}
		return r
	}
	// Over most of the present customers, the interleaved columns answer
	// (widecols.go), and over all but the fewest the binned index, once
	// built (widebins.go); from a small within, the bit-sliced comparison
	// touches only within's customers.
	if within == nil || within.GetCardinality() >= pres.GetCardinality()/a.wideWithinShare() {
		if r, ok := a.wideRange(keep, st); ok {
			if within != nil {
				r.And(within)
			}
			return r
		}
	}
	r := pres
	if within != nil {
		r = roaring.And(pres, within)
	}
	sl := a.sliceBitmaps()
	for _, q := range keep {
		r = oneil(r, sl, a.ref, q.op, q.c, st)
	}
	if r == pres {
		r = pres.Clone()
	}
	return r
}

// countU returns the number of present customers satisfying qs, summing
// the sizes of disjoint value or day bitmaps when they answer.
func (a *attr) countU(st *stop, qs ...uop) uint64 {
	var keep []uop
	for _, q := range qs {
		switch {
		case q.none:
			return 0
		case !q.all:
			keep = append(keep, q)
		}
	}
	d, ok := a.pick(keep)
	if !ok {
		if n, ok := a.wideCount(keep, st); ok {
			return n
		}
		return a.rangeU(st, nil, keep...).GetCardinality()
	}
	var n uint64
	for _, p := range d.parts {
		n += p.GetCardinality()
	}
	if d.complement {
		n = orEmpty(a.present.bits()).GetCardinality() - n
	}
	return n
}

// dayRange turns the bounds of a comparison on a time attribute (ql the
// lower bound, qh the upper; the same uop for a one-sided comparison) into
// whole days: lo ≤ day(x) ≤ hi, with minDay/maxDay for an open side. It
// declines (false) when the attribute keeps no day bitmaps, for equality,
// and when a bound is not the first (lower) or last (upper) second of its
// day in the index's time zone.
func (a *attr) dayRange(ql, qh uop) (lo, hi segkit.Day, ok bool) {
	if a.days == nil {
		return 0, 0, false
	}
	lo, hi = minDay, maxDay
	for _, q := range []uop{ql, qh} {
		s := unordered(q.c)
		if s < -1<<40 || s > 1<<40 {
			return 0, 0, false // beyond any calendar the day bitmaps hold
		}
		switch q.op {
		case Ge, Gt:
			if q.op == Gt {
				s++
			}
			d := a.tz.DayOf(time.Unix(s, 0))
			if a.tz.DayOf(time.Unix(s-1, 0)) == d {
				return 0, 0, false // not the first second of d
			}
			lo = max(lo, d)
		case Le, Lt:
			if q.op == Lt {
				s--
			}
			d := a.tz.DayOf(time.Unix(s, 0))
			if a.tz.DayOf(time.Unix(s+1, 0)) == d {
				return 0, 0, false // not the last second of d
			}
			hi = min(hi, d)
		default:
			return 0, 0, false
		}
	}
	return lo, hi, true
}

// The open ends of a day range.
const (
	minDay segkit.Day = -1 << 31
	maxDay segkit.Day = 1<<31 - 1
)

func (a *attr) sliceBitmaps() []*roaring.Bitmap {
	top := 0
	for i, s := range a.slices {
		if !s.empty() {
			top = i + 1
		}
	}
	out := make([]*roaring.Bitmap, top)
	for i := range out {
		out[i] = a.slices[i].bits()
	}
	return out
}

// compareStrings returns the present customers whose category value
// satisfies `x op c` (op ≠ Ne), evaluated over the dictionary.
func (a *attr) compareStrings(op Op, c string) *roaring.Bitmap {
	if op == Eq {
		if p := a.dict[c]; p != nil {
			return p.b.Clone()
		}
		return roaring.New()
	}
	return a.dictWhere(func(s string) bool { return cmpHolds(strings.Compare(s, c), op) })
}

func (a *attr) dictWhere(keep func(string) bool) *roaring.Bitmap {
	var in []*roaring.Bitmap
	for s, p := range a.dict {
		if keep(s) {
			in = append(in, p.b)
		}
	}
	return orAll(in...)
}

// distinct returns the number of distinct values, or -1 when unknown (a
// numeric attribute with too many distinct values to track).
func (a *attr) distinct() int {
	switch {
	case a.dict != nil:
		return len(a.dict)
	case a.wide:
		return -1
	}
	return len(a.vals)
}

// bitsLen is the number of non-empty bit slices.
func (a *attr) bitsLen() int {
	n := 0
	for _, s := range a.slices {
		if !s.empty() {
			n++
		}
	}
	return n
}
