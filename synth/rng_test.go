package synth

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within asserts |got − want| ≤ k standard errors.
func within(t *testing.T, name string, got, want, se, k float64) {
	t.Helper()
	assert.LessOrEqualf(t, math.Abs(got-want), k*se, "%s = %.5g, want %.5g ± %.3g (%g SE)", name, got, want, k*se, k)
}

func TestBernSetMatchesIndependentBernoulli(t *testing.T) {
	zipf := make([]float64, 1000)
	for k := range zipf {
		zipf[k] = 0.5 * math.Pow(float64(k+1), -0.74)
	}
	tests := []struct {
		name string
		q    []float64
	}{
		{"zipf 1000", zipf},
		{"mixed with zeros and certain", []float64{0, 0.3, 1, 0.001, 0, 0.9, 0.5, 1, 0.02}},
		{"all zero", []float64{0, 0, 0}},
		{"empty", nil},
		{"single", []float64{0.25}},
	}
	const n = 20_000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newBernSet(tc.q)
			g := newRNG()
			g.seed(7, 0, 99)
			count := make([]int, len(tc.q))
			pair := 0 // items 1 and 2 together, to check independence
			var out []int32
			for range n {
				out = s.sample(g, out[:0])
				for j := 1; j < len(out); j++ {
					require.Less(t, out[j-1], out[j], "ascending, no duplicates")
				}
				has1, has2 := false, false
				for _, k := range out {
					count[k]++
					has1 = has1 || k == 1
					has2 = has2 || k == 2
				}
				if has1 && has2 {
					pair++
				}
			}
			for k, q := range tc.q {
				se := math.Sqrt(q*(1-q)/n) + 1e-9
				within(t, "frequency", float64(count[k])/n, q, se, 5)
			}
			if len(tc.q) > 2 {
				q := tc.q[1] * tc.q[2]
				within(t, "joint frequency of items 1 and 2", float64(pair)/n, q, math.Sqrt(q*(1-q)/n)+1e-9, 5)
			}
		})
	}
}

func TestAliasFrequencies(t *testing.T) {
	w := []float64{5, 0, 1, 3, 0.5, 0.5}
	a := newAlias(w)
	g := newRNG()
	g.seed(3, 1, 2)
	const n = 100_000
	count := make([]int, len(w))
	for range n {
		count[a.draw(g)]++
	}
	for i, x := range w {
		p := x / 10
		within(t, "alias frequency", float64(count[i])/n, p, math.Sqrt(p*(1-p)/n)+1e-9, 5)
	}
	assert.Zero(t, count[1], "zero weight never drawn")
}

func TestGammaAndBetaMoments(t *testing.T) {
	tests := []struct {
		name string
		k    float64
	}{{"small shape", 0.243}, {"below one", 0.8}, {"one", 1}, {"large", 6.25}}
	const n = 40_000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gd := newGamma(tc.k)
			g := newRNG()
			g.seed(11, 0, 1)
			sum, sumsq, sumLog := 0.0, 0.0, 0.0
			for range n {
				x := gd.draw(g)
				require.GreaterOrEqual(t, x, 0.0)
				sum += x
				sumsq += x * x
			}
			g.seed(11, 0, 2)
			for range n {
				sumLog += gd.logDraw(g)
			}
			mean := sum / n
			// Gamma(k,1): mean k, variance k.
			within(t, "mean", mean, tc.k, math.Sqrt(tc.k/n), 5)
			within(t, "variance", sumsq/n-mean*mean, tc.k, math.Sqrt((2*tc.k*tc.k+6*tc.k)/n)+tc.k*0.01, 5)
			// E[log X] = digamma(k); checked against the sample of draw.
			want := digamma(tc.k)
			within(t, "mean log", sumLog/n, want, math.Sqrt(trigamma(tc.k)/n), 5)
		})
	}
	t.Run("beta", func(t *testing.T) {
		for _, ab := range [][2]float64{{0.8, 5}, {0.05, 0.05}, {2, 3}} {
			bd := newBeta(ab[0], ab[1])
			g := newRNG()
			g.seed(5, 0, 1)
			sum := 0.0
			for range n {
				x := bd.draw(g)
				require.False(t, math.IsNaN(x))
				require.True(t, x >= 0 && x <= 1)
				sum += x
			}
			a, b := ab[0], ab[1]
			m := a / (a + b)
			v := a * b / ((a + b) * (a + b) * (a + b + 1))
			within(t, "beta mean", sum/n, m, math.Sqrt(v/n), 5)
		}
	})
}

// digamma and trigamma by recurrence and asymptotic series (tests only).
func digamma(x float64) float64 {
	r := 0.0
	for x < 6 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f/132))))
}

func trigamma(x float64) float64 {
	r := 0.0
	for x < 6 {
		r += 1 / (x * x)
		x++
	}
	f := 1 / (x * x)
	return r + 1/x + f/2 + f/x*(1.0/6-f*(1.0/30-f*(1.0/42-f/30)))
}

func TestSeedStreamsIndependent(t *testing.T) {
	// Neighbouring customers and streams must not share sequences.
	seen := map[uint64]bool{}
	g := newRNG()
	for i := range 1000 {
		for s := streamAttrs; s <= streamBuys; s++ {
			g.seed(1, i, s)
			x := g.u64()
			require.False(t, seen[x], "customer %d stream %d repeats a first draw", i, s)
			seen[x] = true
		}
	}
	// Same position, same numbers.
	g.seed(42, 17, streamLogins)
	a := []uint64{g.u64(), g.u64()}
	g.seed(42, 17, streamLogins)
	assert.Equal(t, a, []uint64{g.u64(), g.u64()})
	// The low bits of first draws of consecutive customers look uniform.
	ones := 0
	for i := range 10_000 {
		g.seed(1, i, streamAttrs)
		ones += int(g.u64() & 1)
	}
	within(t, "low bit", float64(ones)/10_000, 0.5, 0.005, 5)
}

func TestThresh(t *testing.T) {
	assert.Equal(t, uint64(0), thresh(0))
	assert.Equal(t, uint64(0), thresh(-1))
	assert.Equal(t, uint64(0), thresh(math.NaN()))
	assert.Equal(t, uint64(math.MaxUint64), thresh(1))
	assert.Equal(t, uint64(1)<<63, thresh(0.5))
}
