package rfm

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// Cuts are the breakpoints one dimension was scored with, and how many
// customers got each score. A Cuts is a plain value; treat its slices as
// read-only (a [Result] shares them).
type Cuts struct {
	// Binning is the rule the cuts came from.
	Binning Binning
	// Bins is the number of scores, 1..Bins.
	Bins int
	// Points are the breakpoints in ascending value order (Bins−1 of them,
	// non-decreasing; strictly increasing for Explicit). For Rank they are
	// informational: the largest value of each value-ordered bin but the
	// last, and a customer whose value equals a point may be on either side.
	Points []float64
	// Inclusive says a value equal to a point belongs to the bin above it
	// (RCompat, Explicit, and recency for the splits); otherwise it belongs
	// to the bin below.
	Inclusive bool
	// Reversed says that lower values score higher: true for recency.
	Reversed bool
	// Counts[s−1] is the number of customers with score s.
	Counts []int
}

// Score returns the score these cuts give a value v, as Analyze scored the
// customers. It reports false for Rank cuts, which depend on the order of
// the customers rather than on values alone, and for NaN.
func (c Cuts) Score(v float64) (int, bool) {
	if c.Binning == Rank || math.IsNaN(v) || c.Bins < 1 {
		return 0, false
	}
	return c.score(v), true
}

// score is Score without the checks, for the hot loop.
func (c *Cuts) score(v float64) int {
	b := 1
	if c.Inclusive {
		for _, p := range c.Points {
			if p <= v {
				b++
			}
		}
	} else {
		for _, p := range c.Points {
			if p < v {
				b++
			}
		}
	}
	if c.Reversed {
		return c.Bins + 1 - b
	}
	return b
}

// cut computes the cuts of one dimension and writes each customer's score
// into out. vals are the metric values; scratch, when len(vals) long, is
// working space for the quantiles (nil allocates); keys break Rank ties;
// reversed is true for recency. explicit holds the points for Explicit
// binning.
func cut(vals, scratch []float64, keys func(i int) string, n int, b Binning, reversed bool, explicit []float64, out []uint8) Cuts {
	c := Cuts{Binning: b, Bins: n, Reversed: reversed}
	switch b {
	case Quantile:
		c.Points = type7(vals, n, scratch)
	case RCompat:
		c.Points = rType7(vals, n, scratch)
		for i := range c.Points {
			c.Points[i]++
		}
		c.Inclusive = true
	case Explicit:
		c.Points = slices.Clone(explicit)
		c.Inclusive = true
	case SplitMean:
		c.Points = []float64{mean(vals)}
		c.Inclusive = reversed
	case SplitMedian:
		c.Points = type7(vals, 2, scratch)
		c.Inclusive = reversed
	case Rank:
		rankScores(vals, keys, n, reversed, out)
		c.Points = rankPoints(vals, out, n, reversed)
		c.Counts = counts(out, n)
		return c
	}
	for i, v := range vals {
		out[i] = uint8(c.score(v))
	}
	c.Counts = counts(out, n)
	return c
}

func counts(scores []uint8, n int) []int {
	cs := make([]int, n)
	for _, s := range scores {
		cs[s-1]++
	}
	return cs
}

// mean is the arithmetic mean with Neumaier-compensated summation, so that
// the threshold does not depend on the input order beyond rounding. Sums
// that would overflow are taken over v/N instead.
func mean(vals []float64) float64 {
	N := float64(len(vals))
	if m := neumaier(vals, 1) / N; !math.IsInf(m, 0) && !math.IsNaN(m) {
		return m
	}
	return neumaier(vals, 1/N)
}

func neumaier(vals []float64, scale float64) float64 {
	var sum, comp float64
	for _, v := range vals {
		v *= scale
		t := sum + v
		if math.Abs(sum) >= math.Abs(v) {
			comp += (sum - t) + v
		} else {
			comp += (v - t) + sum
		}
		sum = t
	}
	return sum + comp
}

// type7 returns the type-7 quantiles at k/n, k = 1..n−1, of vals (not
// modified), computed exactly: the position (N−1)·k/n is split into its
// integer and fractional parts in integer arithmetic.
func type7(vals []float64, n int, scratch []float64) []float64 {
	N := len(vals)
	pos := make([]int, 0, 2*(n-1))
	for k := 1; k < n; k++ {
		lo := (N - 1) * k / n
		pos = append(pos, lo)
		if lo+1 < N {
			pos = append(pos, lo+1)
		}
	}
	os := orderStats(vals, pos, scratch)
	qs := make([]float64, n-1)
	for k := 1; k < n; k++ {
		lo := (N - 1) * k / n
		rem := (N - 1) * k % n
		q := os[lo]
		if rem != 0 {
			q = interpolate(q, os[lo+1], float64(rem)/float64(n))
		}
		qs[k-1] = q
	}
	return qs
}

// interpolate returns lo + (hi−lo)·h, avoiding the overflow of hi−lo for
// values near the float64 limits.
func interpolate(lo, hi, h float64) float64 {
	if d := hi - lo; !math.IsInf(d, 0) {
		return lo + d*h
	}
	return lo*(1-h) + hi*h
}

// rType7 returns the type-7 quantiles at k/n exactly as R's quantile()
// computes them for probs = seq(0, 1, length.out = n + 1): p_k = k·(1/n) in
// floating point, index = 1 + (N−1)·p_k, lo = floor(index),
// q = (1−h)·x[lo] + h·x[hi] with h = index − lo. The explicit conversions
// keep the compiler from fusing multiply-adds, so every rounding happens
// where R's does.
func rType7(vals []float64, n int, scratch []float64) []float64 {
	N := len(vals)
	step := 1 / float64(n)
	type at struct {
		lo, hi int
		h      float64
	}
	ats := make([]at, n-1)
	pos := make([]int, 0, 2*(n-1))
	for k := 1; k < n; k++ {
		p := float64(float64(k) * step)
		index := float64(1 + float64(float64(N-1)*p))
		lo := math.Floor(index)
		hi := math.Ceil(index)
		a := at{lo: int(lo) - 1, hi: int(hi) - 1, h: index - lo}
		if a.hi >= N { // p rounded above 1; R would read NA, we clamp
			a.hi = N - 1
		}
		if a.lo >= N {
			a.lo = N - 1
		}
		ats[k-1] = a
		pos = append(pos, a.lo, a.hi)
	}
	os := orderStats(vals, pos, scratch)
	qs := make([]float64, n-1)
	for k, a := range ats {
		q := os[a.lo]
		if a.h > 0 && os[a.hi] != q {
			q = float64((1-a.h)*q) + float64(a.h*os[a.hi])
		}
		qs[k] = q
	}
	return qs
}

// orderStats returns the order statistics of vals at the given 0-based
// positions, as a map from position to value, without sorting all of vals.
// It works in scratch when that is long enough, else in a copy.
func orderStats(vals []float64, pos []int, scratch []float64) map[int]float64 {
	var x []float64
	if len(scratch) >= len(vals) {
		x = scratch[:len(vals)]
		copy(x, vals)
	} else {
		x = slices.Clone(vals)
	}
	ks := slices.Clone(pos)
	slices.Sort(ks)
	ks = slices.Compact(ks)
	multiSelect(x, ks, 0, 2*bits.Len(uint(len(x)))+8)
	out := make(map[int]float64, len(ks))
	for _, k := range ks {
		out[k] = x[k]
	}
	return out
}

// multiSelect partially orders x so that x[k] holds the k-th smallest value
// for every k in ks (sorted, positions relative to x): quickselect for
// several ranks at once with a three-way partition, so long runs of equal
// values (one-order customers) cost one pass. Past the depth budget it falls
// back to sorting, which bounds the worst case by O(N log N).
func multiSelect(x []float64, ks []int, off int, depth int) {
	for len(ks) > 0 && len(x) > 1 {
		if len(x) <= 16 || depth == 0 {
			slices.Sort(x)
			return
		}
		depth--
		p := median3(x[0], x[len(x)/2], x[len(x)-1])
		// Dutch national flag: [0,lt) < p, [lt,gt) == p, [gt,len) > p.
		lt, i, gt := 0, 0, len(x)
		for i < gt {
			switch v := x[i]; {
			case v < p:
				x[lt], x[i] = x[i], x[lt]
				lt++
				i++
			case v > p:
				gt--
				x[gt], x[i] = x[i], x[gt]
			default:
				i++
			}
		}
		// Split the ranks into those left of lt, inside [lt,gt) (done) and
		// right of gt.
		a := 0
		for a < len(ks) && ks[a]-off < lt {
			a++
		}
		b := a
		for b < len(ks) && ks[b]-off < gt {
			b++
		}
		left, right := ks[:a], ks[b:]
		// Recurse into the smaller side, loop on the larger.
		if lt < len(x)-gt {
			multiSelect(x[:lt], left, off, depth)
			x, ks, off = x[gt:], right, off+gt
		} else {
			multiSelect(x[gt:], right, off+gt, depth)
			x, ks = x[:lt], left
		}
	}
}

func median3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}

// rankScores writes equal-count scores: customers ordered from worst to best
// (ascending value, or descending for recency), ties broken by key, the i-th
// of N gets 1 + ⌊i·n/N⌋.
func rankScores(vals []float64, keys func(int) string, n int, reversed bool, out []uint8) {
	N := len(vals)
	idx := make([]int32, N)
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		va, vb := vals[a], vals[b]
		if reversed {
			va, vb = vb, va
		}
		if c := cmp.Compare(va, vb); c != 0 {
			return c
		}
		return cmp.Compare(keys(int(a)), keys(int(b)))
	})
	for i, j := range idx {
		out[j] = uint8(1 + i*n/N)
	}
}

// rankPoints records, in ascending value order, the largest value of each
// value-ordered bin but the last; an empty bin repeats the point before it
// (or the smallest value).
func rankPoints(vals []float64, scores []uint8, n int, reversed bool) []float64 {
	hi := make([]float64, n+1)
	seen := make([]bool, n+1)
	lo := math.Inf(1)
	for i, v := range vals {
		b := int(scores[i])
		if reversed {
			b = n + 1 - b
		}
		if !seen[b] || v > hi[b] {
			hi[b], seen[b] = v, true
		}
		lo = min(lo, v)
	}
	pts := make([]float64, n-1)
	prev := lo
	for j := 1; j < n; j++ {
		if seen[j] {
			prev = max(prev, hi[j])
		}
		pts[j-1] = prev
	}
	return pts
}
