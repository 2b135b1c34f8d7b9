package rfm

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveType7 is the textbook type-7 quantile on a fully sorted copy:
// h = (N−1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
func naiveType7(vals []float64, p float64) float64 {
	x := slices.Clone(vals)
	slices.Sort(x)
	h := float64(len(x)-1) * p
	lo := int(math.Floor(h))
	if lo+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

// naiveQuantileScores scores by the definition: F/M = 1 + #{k : q_k < v},
// R = n − #{k : q_k < v}.
func naiveQuantileScores(vals []float64, n int, reversed bool) []uint8 {
	qs := make([]float64, n-1)
	for k := 1; k < n; k++ {
		qs[k-1] = naiveType7(vals, float64(k)/float64(n))
	}
	out := make([]uint8, len(vals))
	for i, v := range vals {
		c := 0
		for _, q := range qs {
			if q < v {
				c++
			}
		}
		if reversed {
			out[i] = uint8(n - c)
		} else {
			out[i] = uint8(1 + c)
		}
	}
	return out
}

// naiveRCompatScores follows R's rfm_table_order literally: quantile(x,
// probs = seq(0, 1, length.out = n + 1)) on a sorted copy, drop the ends, add
// 1; lower = c(min, bins), upper = c(bins, max + 1); then for i in 1..n the
// customers in [lower_i, upper_i) get score i (rev for recency), later
// intervals overwriting earlier ones.
func naiveRCompatScores(vals []float64, n int, reversed bool) []uint8 {
	x := slices.Clone(vals)
	slices.Sort(x)
	N := len(x)
	by := 1 / float64(n)
	var bins []float64
	for k := 1; k < n; k++ {
		p := float64(k) * by
		index := 1 + float64(N-1)*p
		lo, hi := math.Floor(index), math.Ceil(index)
		q := x[int(lo)-1]
		if index > lo && x[int(hi)-1] != q {
			h := index - lo
			q = (1-h)*q + h*x[int(hi)-1]
		}
		bins = append(bins, q+1)
	}
	lower := append([]float64{x[0]}, bins...)
	upper := append(slices.Clone(bins), x[N-1]+1)
	out := make([]uint8, N)
	for i := range n {
		for j, v := range vals {
			if v >= lower[i] && v < upper[i] {
				if reversed {
					out[j] = uint8(n - i)
				} else {
					out[j] = uint8(i + 1)
				}
			}
		}
	}
	return out
}

// naiveRankScores sorts worst to best with ties by key and deals out equal
// shares.
func naiveRankScores(vals []float64, keys []string, n int, reversed bool) []uint8 {
	idx := make([]int, len(vals))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if vals[a] != vals[b] {
			if (vals[a] < vals[b]) != reversed {
				return -1
			}
			return 1
		}
		return cmp.Compare(keys[a], keys[b])
	})
	out := make([]uint8, len(vals))
	for pos, i := range idx {
		out[i] = uint8(pos*n/len(vals) + 1)
	}
	return out
}

func naiveExplicitScores(vals []float64, pts []float64, reversed bool) []uint8 {
	n := len(pts) + 1
	out := make([]uint8, len(vals))
	for i, v := range vals {
		b := 1
		for _, p := range pts {
			if v >= p {
				b++
			}
		}
		if reversed {
			b = n + 1 - b
		}
		out[i] = uint8(b)
	}
	return out
}

// genValues draws test data of different shapes: few distinct values
// (heavy ties), integers, skewed money, constants.
func genValues(rng *rand.Rand, shape, N int) []float64 {
	v := make([]float64, N)
	for i := range v {
		switch shape {
		case 0: // frequencies: most customers buy once
			v[i] = float64(1 + int(rng.ExpFloat64()*1.2))
		case 1: // recency days
			v[i] = float64(rng.IntN(400))
		case 2: // money, skewed, two decimals
			v[i] = math.Round(rng.ExpFloat64()*10000) / 100
		case 3: // constant
			v[i] = 7
		case 4: // a handful of values, negatives included
			v[i] = float64(rng.IntN(5) - 2)
		}
	}
	return v
}

func keysFor(N int) []string {
	k := make([]string, N)
	for i := range k {
		k[i] = fmt.Sprintf("c%05d", (i*7919)%100003) // keys not in value order
	}
	return k
}

func TestBinningAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, N := range []int{1, 2, 3, 4, 5, 7, 10, 31, 100, 995} {
		for shape := range 5 {
			for _, n := range []int{2, 3, 5, 9} {
				for _, reversed := range []bool{false, true} {
					name := fmt.Sprintf("N=%d/shape=%d/n=%d/rev=%v", N, shape, n, reversed)
					vals := genValues(rng, shape, N)
					keys := keysFor(N)
					kf := func(i int) string { return keys[i] }
					out := make([]uint8, N)

					c := cut(vals, nil, kf, n, Quantile, reversed, nil, out)
					require.Equal(t, naiveQuantileScores(vals, n, reversed), out, "quantile %s", name)
					checkCuts(t, c, out, n, name)

					c = cut(vals, nil, kf, n, RCompat, reversed, nil, out)
					require.Equal(t, naiveRCompatScores(vals, n, reversed), out, "rcompat %s", name)
					checkCuts(t, c, out, n, name)

					c = cut(vals, nil, kf, n, Rank, reversed, nil, out)
					require.Equal(t, naiveRankScores(vals, keys, n, reversed), out, "rank %s", name)
					checkCuts(t, c, out, n, name)
					// Rank: equal-size bins, every bin used when N ≥ n.
					for s := range c.Counts {
						assert.LessOrEqual(t, c.Counts[s], (N+n-1)/n, "rank bin size %s", name)
						assert.GreaterOrEqual(t, c.Counts[s], N/n, "rank bin size %s", name)
					}

					pts := []float64{}
					for k := 1; k < n; k++ {
						pts = append(pts, float64(k*k)-1.5)
					}
					c = cut(vals, nil, kf, n, Explicit, reversed, pts, out)
					require.Equal(t, naiveExplicitScores(vals, pts, reversed), out, "explicit %s", name)
					checkCuts(t, c, out, n, name)
				}
			}
		}
	}
}

// checkCuts holds every value-based strategy to its invariants: scores in
// 1..n, counts add up, equal values share a score, scores are monotone in the
// value (reversed for recency), and Cuts.Score reproduces each score.
func checkCuts(t *testing.T, c Cuts, out []uint8, n int, name string) {
	t.Helper()
	require.Len(t, c.Counts, n)
	total := 0
	for _, k := range c.Counts {
		total += k
	}
	require.Equal(t, len(out), total, name)
	for _, s := range out {
		require.True(t, s >= 1 && int(s) <= n, "score %d out of 1..%d %s", s, n, name)
	}
	if c.Binning == Rank {
		_, ok := c.Score(1)
		require.False(t, ok, "rank cuts cannot score a lone value")
		require.True(t, slices.IsSorted(c.Points), "rank points ascending %s: %v", name, c.Points)
		return
	}
	require.True(t, slices.IsSorted(c.Points), "points ascending %s: %v", name, c.Points)
}

func TestBinningInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 300 {
		N := 1 + rng.IntN(300)
		n := 2 + rng.IntN(8)
		vals := genValues(rng, rng.IntN(5), N)
		reversed := rng.IntN(2) == 0
		keys := keysFor(N)
		out := make([]uint8, N)
		for _, b := range []Binning{Quantile, RCompat, SplitMean, SplitMedian} {
			nn := n
			if b == SplitMean || b == SplitMedian {
				nn = 2
			}
			c := cut(vals, nil, func(i int) string { return keys[i] }, nn, b, reversed, nil, out)
			name := fmt.Sprintf("iter %d %v", iter, b)
			checkCuts(t, c, out, nn, name)
			for i := range vals {
				if s, ok := c.Score(vals[i]); !ok || s != int(out[i]) {
					t.Fatalf("%s: Cuts.Score(%v) = %d, %v; Analyze scored %d", name, vals[i], s, ok, out[i])
				}
			}
			// Adjacent pairs in value order: equal values share a score,
			// larger values never score lower (higher for recency).
			idx := make([]int, N)
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(vals[a], vals[b]) })
			for k := 1; k < N; k++ {
				a, b := idx[k-1], idx[k]
				switch {
				case vals[a] == vals[b] && out[a] != out[b]:
					t.Fatalf("%s: equal values %v scored %d and %d", name, vals[a], out[a], out[b])
				case vals[a] < vals[b] && !reversed && out[a] > out[b]:
					t.Fatalf("%s: %v scored %d above %v scored %d", name, vals[a], out[a], vals[b], out[b])
				case vals[a] < vals[b] && reversed && out[a] < out[b]:
					t.Fatalf("%s: recency %v scored %d below %v scored %d", name, vals[a], out[a], vals[b], out[b])
				}
			}
		}
	}
}

func TestSplitRules(t *testing.T) {
	vals := []float64{1, 2, 3, 4, 10} // mean 4, median 3
	out := make([]uint8, len(vals))
	kf := func(i int) string { return strconv.Itoa(i) }
	tests := []struct {
		name     string
		b        Binning
		reversed bool
		point    float64
		want     []uint8
	}{
		{"mean F: strictly above is high", SplitMean, false, 4, []uint8{1, 1, 1, 1, 2}},
		{"mean R: strictly below is recent", SplitMean, true, 4, []uint8{2, 2, 2, 1, 1}},
		{"median F", SplitMedian, false, 3, []uint8{1, 1, 1, 2, 2}},
		{"median R", SplitMedian, true, 3, []uint8{2, 2, 1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cut(vals, nil, kf, 2, tc.b, tc.reversed, nil, out)
			assert.Equal(t, []float64{tc.point}, c.Points)
			assert.Equal(t, tc.want, out)
		})
	}
}

func TestMultiSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := range 500 {
		N := 1 + rng.IntN(3000)
		vals := genValues(rng, rng.IntN(5), N)
		if iter%7 == 0 { // already sorted and reverse sorted inputs
			slices.Sort(vals)
			if iter%2 == 0 {
				slices.Reverse(vals)
			}
		}
		var pos []int
		for range 1 + rng.IntN(10) {
			pos = append(pos, rng.IntN(N))
		}
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		got := orderStats(vals, pos, make([]float64, N+rng.IntN(3)))
		for _, p := range pos {
			require.Equal(t, sorted[p], got[p], "iter %d position %d", iter, p)
		}
	}
	// The depth budget: an exhausted budget falls back to sorting.
	x := genValues(rng, 2, 1000)
	want := slices.Clone(x)
	slices.Sort(want)
	multiSelect(x, []int{10, 500}, 0, 0)
	assert.Equal(t, want[10], x[10])
	assert.Equal(t, want[500], x[500])
}

func TestType7MatchesR(t *testing.T) {
	// R: quantile(c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), probs = seq(0, 1, 0.2))
	//    0%  20%  40%  60%  80% 100%
	//   1.0  2.8  4.6  6.4  8.2 10.0
	x := []float64{3, 1, 2, 10, 9, 4, 5, 6, 8, 7}
	assert.InDeltaSlice(t, []float64{2.8, 4.6, 6.4, 8.2}, type7(x, 5, nil), 1e-12)
	assert.InDeltaSlice(t, []float64{2.8, 4.6, 6.4, 8.2}, rType7(x, 5, nil), 1e-12)
	// quantile(c(1, 1, 1, 2, 9), c(.25, .5, .75)) = 1 1 2
	assert.Equal(t, []float64{1, 1, 2}, type7([]float64{9, 1, 2, 1, 1}, 4, nil))
	// A single value: every quantile is that value.
	assert.Equal(t, []float64{5, 5, 5, 5}, type7([]float64{5}, 5, nil))
	assert.Equal(t, []float64{5, 5, 5, 5}, rType7([]float64{5}, 5, nil))
}

func TestMeanOverflow(t *testing.T) {
	assert.Equal(t, 2.0, mean([]float64{1, 2, 3}))
	m := mean([]float64{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64})
	assert.False(t, math.IsInf(m, 0) || math.IsNaN(m), "mean of huge values stays finite: %v", m)
	assert.InEpsilon(t, math.MaxFloat64, m, 1e-12)
}
