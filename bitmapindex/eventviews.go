package bitmapindex

import (
	"cmp"
	"maps"
	"slices"
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
		return Set{v: v, bm: e.did(from, to)}
	}
	rf := e.resolveFilter(f)
	return Set{v: v, bm: e.didWhere(from, to, &rf)}
}

func (e *event) didWhere(from, to segkit.Day, rf *rfilter) *roaring.Bitmap {
	r := roaring.New()
	if rf.never {
		return r
	}
	var buf []uint32
	e.scanDays(from, to, func(_ segkit.Day, n *dayNode) {
		buf = rf.matchingIDs(n, buf[:0])
		if len(buf) > 0 {
			r.AddMany(buf)
		}
	})
	return r
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
	var r *roaring.Bitmap
	touched := roaring.New()
	if e != nil && from <= to {
		rf := e.resolveFilter(f)
		if !rf.never {
			acc := getAcc(e)
			var buf []uint32
			e.scanDays(from, to, func(_ segkit.Day, dn *dayNode) {
				buf = rf.matchingIDs(dn, buf[:0])
				for _, id := range buf {
					acc.n[id]++
				}
				touched.AddMany(buf)
			})
			keep := make([]uint32, 0, 1024)
			for id := range roaring.Values(touched) {
				if cmpHolds(cmp.Compare(int64(acc.n[id]), n), op) {
					keep = append(keep, id)
				}
				acc.n[id] = 0
			}
			putAcc(acc)
			r = roaring.BitmapOf(keep...)
		}
	}
	if r == nil {
		r = roaring.New()
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
	in := e.didWhere(from, to, &rf)
	if !in.IsEmpty() && e.has && from > e.minDay {
		in.AndNot(e.didWhere(e.minDay, from-1, &rf))
	}
	return Set{v: v, bm: in}
}

// acc is a dense per-customer accumulator, recycled between evaluations:
// every entry is zero when it is returned to the pool.
type acc struct {
	n []uint32
	s []int64
}

var accs sync.Pool

func getAcc(e *event) *acc {
	size := 1
	if !e.ever.empty() {
		size = int(e.ever.b.Maximum()) + 1
	}
	a, _ := accs.Get().(*acc)
	if a == nil {
		a = &acc{}
	}
	if len(a.n) < size {
		a.n = make([]uint32, size)
		a.s = make([]int64, size)
	}
	return a
}

func putAcc(a *acc) { accs.Put(a) }

// sums adds up, per customer, the values and the number of the occurrences
// of event matching rf on days in [from, to]: fn is called once per
// customer with at least one such occurrence, in ascending ID order.
func (e *event) sums(from, to segkit.Day, rf *rfilter, fn func(id uint32, sum int64, n uint32)) {
	if rf.never {
		return
	}
	a := getAcc(e)
	defer putAcc(a)
	touched := roaring.New()
	var buf []uint32
	e.scanDays(from, to, func(_ segkit.Day, dn *dayNode) {
		o := dn.occ
		if o == nil {
			if !rf.empty() || dn.one.empty() {
				return
			}
			// value 0, no properties: only the number of occurrences counts
			extra := len(dn.extra) > 0
			buf = buf[:0]
			for id := range roaring.Values(dn.one.b) {
				k := uint32(1)
				if extra {
					k += uint32(readBits(dn.extra, id))
				}
				a.n[id] += k
				buf = append(buf, id)
			}
			touched.AddMany(buf)
			return
		}
		buf = buf[:0]
		all := len(rf.terms) == 0
		for i, id := range o.ids {
			if !all && !rf.matches(o, i) {
				continue
			}
			a.n[id]++
			if o.vals != nil {
				a.s[id] = addSat(a.s[id], o.vals[i])
			}
			buf = append(buf, id)
		}
		touched.AddMany(buf)
	})
	for id := range roaring.Values(touched) {
		fn(id, a.s[id], a.n[id])
		a.s[id], a.n[id] = 0, 0
	}
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
	keep := make([]uint32, 0, 1024)
	touched := make([]uint32, 0, 1024)
	if e != nil && from <= to {
		rf := e.resolveFilter(f)
		e.sums(from, to, &rf, func(id uint32, s int64, _ uint32) {
			touched = append(touched, id)
			if cmpHolds(cmp.Compare(s, int64(c)), op) {
				keep = append(keep, id)
			}
		})
	}
	r := roaring.BitmapOf(keep...)
	if zeroOK {
		r.Or(roaring.AndNot(live, roaring.BitmapOf(touched...)))
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
	keep := make([]uint32, 0, 1024)
	e.sums(from, to, &rf, func(id uint32, s int64, n uint32) {
		if cmpHolds(CompareAvg(Amount(s), int64(n), c), op) {
			keep = append(keep, id)
		}
	})
	return Set{v: v, bm: roaring.BitmapOf(keep...)}
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
	// a's days that can start a pair, filtered
	aDays := map[segkit.Day]*roaring.Bitmap{}
	var buf []uint32
	ea.scanDays(from, to, func(d segkit.Day, n *dayNode) {
		if ra.empty() {
			if !n.one.empty() {
				aDays[d] = n.one.b
			}
			return
		}
		buf = ra.matchingIDs(n, buf[:0])
		if len(buf) > 0 {
			aDays[d] = roaring.BitmapOf(buf...)
		}
	})
	if len(aDays) == 0 {
		return Set{v: v}
	}
	var parts []*roaring.Bitmap
	win := make([]*roaring.Bitmap, 0, within)
	eb.scanDays(max(from, eb.minDay), to, func(d segkit.Day, n *dayNode) {
		win = win[:0]
		for da := d - segkit.Day(within-1); da <= d; da++ {
			if x := aDays[da]; x != nil {
				win = append(win, x)
			}
		}
		if len(win) == 0 {
			return
		}
		var bd *roaring.Bitmap
		if rb.empty() {
			if n.one.empty() {
				return
			}
			bd = n.one.b.Clone()
		} else {
			buf = rb.matchingIDs(n, buf[:0])
			if len(buf) == 0 {
				return
			}
			bd = roaring.BitmapOf(buf...)
		}
		bd.AndAny(win...)
		if !bd.IsEmpty() {
			parts = append(parts, bd)
		}
	})
	return Set{v: v, bm: orAll(parts...)}
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
func (e *event) details(id uint32) ([]EventDetail, bool) {
	if !e.ever.contains(id) || e.dict == nil {
		return nil, false
	}
	var out []EventDetail
	some := false
	for _, d := range slices.Sorted(maps.Keys(e.days)) {
		n := e.days[d]
		if !n.one.contains(id) {
			continue
		}
		if o := n.occ; o != nil {
			i, _ := slices.BinarySearch(o.ids, id)
			for ; i < len(o.ids) && o.ids[i] == id; i++ {
				var det EventDetail
				if o.vals != nil {
					det.Value = Amount(o.vals[i])
				}
				for k, col := range o.props {
					if col != nil && col[i] != 0 {
						if det.Props == nil {
							det.Props = map[string]string{}
						}
						det.Props[e.dict.keys[k]] = e.dict.vals[k][col[i]-1]
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
