package bitmapindex

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Distributions within a set, from intersection counts.
//
// A profile of a segment asks, per attribute, for its members' mean,
// spread and quantiles. Reading every member's value is a loop over the
// members; the bit-sliced index answers the same questions with a few
// intersection counts per bit slice: the sum of the values is
// Σ 2^i·|members with bit i|, the sum of squares Σ 2^(i+j)·|members with
// bits i and j|, and the k-th smallest value is found bit by bit from the
// most significant, keeping the half that holds rank k (the descent of
// O'Neil & Quass's bit-sliced quantile).

// Moments are the count, sum, mean and variance of a numeric attribute's
// values among a set's members. Values are in the attribute's unit:
// decimals as numbers, times as Unix seconds, bools as 0 and 1. It is a
// plain value.
type Moments struct {
	N    int     // members with a value
	Sum  float64 // sum of their values
	Mean float64 // Sum/N; NaN when N is 0
	Var  float64 // population variance (divided by N); NaN when N is 0
}

// numericIn returns the attribute node and the members of s with a value
// (a new bitmap), checking that the attribute is numeric.
func (v *View) numericIn(s Set, attr string) (*attr, Attribute, *roaring.Bitmap, error) {
	a, def, err := v.lookupAttr(attr)
	if err != nil {
		return nil, def, nil, err
	}
	if !def.Kind.numeric() {
		return nil, def, nil, fmt.Errorf("bitmapindex: attribute %q is a %s, not numeric", attr, def.Kind)
	}
	if a == nil || a.present == nil || s.bm == nil {
		return a, def, roaring.New(), nil
	}
	return a, def, roaring.And(s.bm, a.present.b), nil
}

// twosBits returns, for each bit i of the values' two's complement form,
// the members of base whose value has bit i set (nil when none). The
// stored slices hold bit i of u XOR ref, where u = m XOR 2^63.
func (a *attr) twosBits(base *roaring.Bitmap) [64]*roaring.Bitmap {
	var out [64]*roaring.Bitmap
	for i := range 64 {
		flip := (a.ref >> uint(i)) & 1
		if i == 63 {
			flip ^= 1
		}
		s := a.slices[i].bits()
		var m *roaring.Bitmap
		switch {
		case s == nil || s.IsEmpty():
			if flip == 1 {
				m = base
			}
		case flip == 1:
			m = roaring.AndNot(base, s)
		default:
			m = roaring.And(base, s)
		}
		if m != nil && !m.IsEmpty() {
			out[i] = m
		}
	}
	return out
}

// bitWeight returns the weight of bit i in two's complement: 2^i, and
// −2^63 for the sign bit.
func bitWeight(i int) *big.Int {
	w := new(big.Int).Lsh(big.NewInt(1), uint(i))
	if i == 63 {
		w.Neg(w)
	}
	return w
}

// MomentsIn returns the moments of a numeric attribute's values among the
// members of s, computed exactly (in integers) from the counts of members
// per bit slice and per pair of bit slices: the cost grows with the square
// of the number of bits the values use, not with the members.
func (v *View) MomentsIn(s Set, attr string) (Moments, error) {
	a, def, base, err := v.numericIn(s, attr)
	if err != nil {
		return Moments{}, err
	}
	n := int(base.GetCardinality())
	if n == 0 {
		return Moments{Mean: math.NaN(), Var: math.NaN()}, nil
	}
	bits := a.twosBits(base)
	sum, sq := new(big.Int), new(big.Int)
	var idx []int
	for i, m := range bits {
		if m != nil {
			idx = append(idx, i)
		}
	}
	pairs, release := pairCounter(base, bits, idx)
	defer release()
	t := new(big.Int)
	for x, i := range idx {
		wi := bitWeight(i)
		ci := big.NewInt(int64(bits[i].GetCardinality()))
		sum.Add(sum, t.Mul(wi, ci))
		// the diagonal: bit i squared is bit i
		sq.Add(sq, t.Mul(t.Mul(wi, wi), ci))
		for y, j := range idx[x+1:] {
			cij := pairs(x, x+1+y)
			if cij == 0 {
				continue
			}
			p := new(big.Int).Mul(wi, bitWeight(j))
			p.Mul(p, big.NewInt(2*cij))
			sq.Add(sq, p)
		}
	}
	// variance = (n·Σx² − (Σx)²) / n², exact before the division
	num := new(big.Int).Mul(sq, big.NewInt(int64(n)))
	num.Sub(num, new(big.Int).Mul(sum, sum))
	unit := 1.0
	if def.Kind == KindDecimal {
		unit = math.Pow10(def.Scale)
	}
	fsum, _ := new(big.Float).SetInt(sum).Float64()
	fnum, _ := new(big.Float).SetInt(num).Float64()
	nn := float64(n)
	return Moments{
		N:    n,
		Sum:  fsum / unit,
		Mean: fsum / nn / unit,
		Var:  fnum / (nn * nn) / (unit * unit),
	}, nil
}

// densePairs is the set size from which pairCounter uses bitsets.
var densePairs uint64 = 1 << 16

// pairCounter returns a function counting the members with both of two
// bits (by position in idx). Large sets are compared as plain bitsets
// over the words their IDs span: the per-bit sets of a large set are
// array containers of a few thousand members each, whose pairwise merges
// would cost far more than AND-popcounts of the words.
func pairCounter(base *roaring.Bitmap, sets [64]*roaring.Bitmap, idx []int) (count func(x, y int) int64, release func()) {
	if base.GetCardinality() < densePairs || len(idx) < 4 {
		return func(x, y int) int64 { return int64(sets[idx[x]].AndCardinality(sets[idx[y]])) }, func() {}
	}
	lo, hi := int(base.Minimum()/64), int(base.Maximum()/64)
	w := hi + 1 // WriteDenseTo writes at absolute word positions
	need := w * len(idx)
	bp, _ := densePool.Get().(*[]uint64)
	if bp == nil || cap(*bp) < need {
		b := make([]uint64, need)
		bp = &b
	}
	buf := (*bp)[:need]
	dense := make([][]uint64, len(idx))
	for x, i := range idx {
		d := buf[x*w : (x+1)*w]
		clear(d[lo:])
		sets[i].WriteDenseTo(d)
		dense[x] = d[lo:]
	}
	return func(x, y int) int64 {
		a, b := dense[x], dense[y]
		n := 0
		for k := range a {
			n += bits.OnesCount64(a[k] & b[k])
		}
		return int64(n)
	}, func() { densePool.Put(bp) }
}

// densePool keeps the bitset buffers of pairCounter between calls (tens
// of megabytes at 10M customers).
var densePool sync.Pool

// NthIn returns, for each k of ks, the k-th smallest (0-based) value of a
// numeric attribute among the members of s that have a value; an invalid
// Value (see [Value.IsValid]) for a k outside [0, number of such members).
//
// It descends the bit slices from the most significant, keeping at each
// bit the members on rank k's side: one intersection count per non-empty
// slice. The descents of all ks share their common prefixes, so the large
// top levels are walked once.
func (v *View) NthIn(s Set, attr string, ks ...int) ([]Value, error) {
	a, def, cand, err := v.numericIn(s, attr)
	if err != nil {
		return nil, err
	}
	out := make([]Value, len(ks))
	n := cand.GetCardinality()
	var items []walkItem
	for i, k := range ks {
		if k >= 0 && uint64(k) < n {
			items = append(items, walkItem{idx: i, rank: uint64(k), nth: true})
		}
	}
	if len(items) > 0 {
		a.walk(cand, 63, 0, items, func(it walkItem, u uint64) {
			out[it.idx] = valueOf(def, unordered(u))
		})
	}
	return out, nil
}

// CountBelowIn returns, for each c of cs, the number of members of s whose
// value of a numeric attribute is less than c (missing values are not), the
// same as CompareIn(s, attr, Lt, c).Len() but counted along the bit slices
// like [View.NthIn], without building the sets.
func (v *View) CountBelowIn(s Set, attr string, cs ...Value) ([]int, error) {
	a, def, cand, err := v.numericIn(s, attr)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(cs))
	n := cand.GetCardinality()
	var items []walkItem
	for i, c := range cs {
		if err := checkConst(def, "comparison", c); err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		b, ok := a.boundOf(c)
		if !ok {
			continue
		}
		q := toUop(b, Lt)
		switch {
		case q.all:
			out[i] = int(n)
		case !q.none:
			items = append(items, walkItem{idx: i, c: q.c})
		}
	}
	if len(items) > 0 {
		a.walk(cand, 63, 0, items, func(it walkItem, _ uint64) {
			out[it.idx] = int(it.below)
		})
	}
	return out, nil
}

// walkItem is one question of a descent: the value of rank `rank` (nth), or
// the number of values below the ordered constant c (accumulated in below).
type walkItem struct {
	idx   int
	nth   bool
	rank  uint64
	c     uint64
	below uint64
}

// walk descends from bit i with the candidates cand (whose ordered values
// share the bits above i, given by prefix), answering items through done.
// cand may be modified.
func (a *attr) walk(cand *roaring.Bitmap, i int, prefix uint64, items []walkItem, done func(walkItem, uint64)) {
	for ; i >= 0; i-- {
		r := (a.ref >> uint(i)) & 1
		sl := a.slices[i].bits()
		if sl == nil || sl.IsEmpty() {
			// every candidate has u bit r here
			prefix |= r << uint(i)
			keep := items[:0]
			for _, it := range items {
				cb := (it.c >> uint(i)) & 1
				if it.nth || cb == r {
					keep = append(keep, it)
					continue
				}
				if cb == 1 { // all candidates are below c
					it.below += cand.GetCardinality()
				}
				done(it, 0)
			}
			items = keep
			if len(items) == 0 {
				return
			}
			continue
		}
		total := cand.GetCardinality()
		inSlice := cand.AndCardinality(sl)
		zeros := inSlice // candidates whose u bit is 0
		if r == 0 {
			zeros = total - inSlice
		}
		var lo, hi []walkItem
		for _, it := range items {
			var up bool
			if it.nth {
				up = it.rank >= zeros
				if up {
					it.rank -= zeros
				}
			} else {
				up = (it.c>>uint(i))&1 == 1
				if up {
					it.below += zeros
				}
			}
			side, size := &lo, zeros
			if up {
				side, size = &hi, total-zeros
			}
			if size == 0 { // nothing left on its side: a count is final
				done(it, 0)
				continue
			}
			*side = append(*side, it)
		}
		// The zeros side has stored bit r (u bit 0 = stored bit r); cand
		// is ours, so the side that continues here is cut in place.
		keepIn := func(inSlice bool) {
			if inSlice {
				cand.And(sl)
			} else {
				cand.AndNot(sl)
			}
		}
		switch {
		case len(lo) > 0 && len(hi) > 0:
			var zerosSide *roaring.Bitmap
			if r == 1 {
				zerosSide = roaring.And(cand, sl)
			} else {
				zerosSide = roaring.AndNot(cand, sl)
			}
			a.walk(zerosSide, i-1, prefix, lo, done)
			keepIn(r == 0)
			items, prefix = hi, prefix|1<<uint(i)
		case len(lo) > 0:
			keepIn(r == 1)
			items = lo
		case len(hi) > 0:
			keepIn(r == 0)
			items, prefix = hi, prefix|1<<uint(i)
		default:
			return
		}
	}
	for _, it := range items {
		done(it, prefix)
	}
}

// EventCountIn returns the number of occurrences of event on days in
// [from, to] by the members of s (two on one day count 2). It adds up
// intersection counts with the window's block counters (those built) and
// day bitmaps instead of building the per-customer counts.
func (v *View) EventCountIn(s Set, event string, from, to segkit.Day) int {
	e := v.st.events[event]
	if e == nil || s.bm == nil || from > to {
		return 0
	}
	from, to, ok := e.clamp(from, to)
	if !ok {
		return 0
	}
	var total uint64
	sliced := func(xs []*bm, weight0 uint64) {
		for i, x := range xs {
			if x.empty() {
				continue
			}
			total += (weight0 << uint(i)) * s.bm.AndCardinality(x.b)
		}
	}
	day := func(d segkit.Day) {
		n := e.days[d]
		if n == nil || n.one.empty() {
			return
		}
		total += s.bm.AndCardinality(n.one.b)
		sliced(n.extra, 1)
	}
	for b := blockOf(from); b <= blockOf(to); b++ {
		n := e.blocks[b]
		if n == nil || n.any.empty() {
			continue
		}
		bs, be := blockStart(b), blockStart(b)+blockDays-1
		if cnt := n.built(); from <= bs && be <= to && cnt != nil {
			sliced(cnt, 1) // (a block whose counter is not held: its days)
			continue
		}
		for d := max(from, bs); d <= min(to, be); d++ {
			day(d)
		}
	}
	return int(total)
}
