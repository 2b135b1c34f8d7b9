package clv

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// ---- published figures -------------------------------------------------------

// Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way".
var paperBG = BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}

func TestBGNBDPublished(t *testing.T) {
	m, rep, err := FitBGNBD(cdnowSummary(t), FitConfig{})
	require.NoError(t, err)
	assert.InDelta(t, 0.243, m.R, 0.005)
	assert.InDelta(t, 4.414, m.Alpha, 0.005)
	assert.InDelta(t, 0.793, m.A, 0.005)
	assert.InDelta(t, 2.426, m.B, 0.005)
	assert.InDelta(t, -9582.4, rep.LogLik, 0.1)
	assert.True(t, rep.Converged)
	assert.Equal(t, 2357, rep.N)
	assert.Equal(t, "bgnbd", rep.Model)
	assert.Positive(t, rep.Iterations)
	r, ok := rep.Param("alpha")
	assert.True(t, ok)
	assert.Equal(t, m.Alpha, r)

	// The paper's example customer is the first of the CDNOW summary file.
	data := cdnowSummary(t)
	i := slices.IndexFunc(data, func(s Summary) bool { return s.Customer == "1" })
	require.GreaterOrEqual(t, i, 0, "customer 1 of cdnow_summary.csv")
	assert.InDelta(t, 1.226, m.ConditionalExpectedPurchases(data[i], 39), 0.001)
	assert.Equal(t, 1.0, m.PAlive(Summary{Frequency: 0, T: 38.86}))
	assert.Equal(t, 1.0, m.PAlive(Summary{Frequency: 0, T: 1}))
}

func TestBGNBDPublishedPMF(t *testing.T) {
	assert.InEpsilon(t, 0.5737864, paperBG.PurchaseProbability(0, 39), 1e-4)
	assert.InEpsilon(t, 1.07869e-7, paperBG.PurchaseProbability(10, 2), 1e-4)
}

func TestParetoNBDPublished(t *testing.T) {
	m, rep, err := FitParetoNBD(cdnowSummary(t), FitConfig{})
	require.NoError(t, err)
	assert.InDelta(t, 0.553, m.R, 0.01)
	assert.InDelta(t, 10.578, m.Alpha, 0.01)
	assert.InDelta(t, 0.606, m.S, 0.01)
	assert.InDelta(t, 11.669, m.Beta, 0.05)
	assert.InDelta(t, -9595.0, rep.LogLik, 0.1)
	assert.True(t, rep.Converged)
}

func TestGammaGammaPublished(t *testing.T) {
	data := cdnowMonetary(t)
	g, rep, err := FitGammaGamma(data, FitConfig{})
	require.NoError(t, err)
	assert.Equal(t, 946, rep.N)
	assert.InDelta(t, 6.25, g.P, 0.01)
	assert.InDelta(t, 3.74, g.Q, 0.01)
	assert.InDelta(t, 15.44, g.Gamma, 0.01)
}

// ---- naive references ----------------------------------------------------------

// naiveHyp2f1 sums the Gauss series term by term (|z| ≤ 0.9).
func naiveHyp2f1(a, b, c, z float64) float64 {
	sum, term := 1.0, 1.0
	for k := 0.0; k < 1e5; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		sum += term
		if math.Abs(term) < 1e-17*math.Abs(sum) {
			break
		}
	}
	return sum
}

// Paper formulas (Fader, Hardie & Lee 2005 eqs. 9, 10; Batislam et al. 2007),
// untransformed, with the naive series.
func naiveBGExpected(m BGNBD, t float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	return (a + b - 1) / (a - 1) * (1 - math.Pow(al/(al+t), r)*naiveHyp2f1(r, b, a+b-1, t/(al+t)))
}

func naiveBGConditional(m BGNBD, s Summary, t float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	x, tx, T := float64(s.Frequency), s.Recency, s.T
	num := (a + b + x - 1) / (a - 1) * (1 - math.Pow((al+T)/(al+T+t), r+x)*naiveHyp2f1(r+x, b+x, a+b+x-1, t/(al+T+t)))
	den := 1.0
	if s.Frequency > 0 {
		den += a / (b + x - 1) * math.Pow((al+T)/(al+tx), r+x)
	}
	return num / den
}

func naiveMBGExpected(m MBGNBD, t float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	return b / (a - 1) * (1 - math.Pow(al/(al+t), r)*naiveHyp2f1(r, b+1, a+b, t/(al+t)))
}

func naiveMBGConditional(m MBGNBD, s Summary, t float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	x, tx, T := float64(s.Frequency), s.Recency, s.T
	num := (a + b + x) / (a - 1) * (1 - math.Pow((al+T)/(al+T+t), r+x)*naiveHyp2f1(r+x, b+x+1, a+b+x, t/(al+T+t)))
	den := 1 + a/(b+x)*math.Pow((al+T)/(al+tx), r+x)
	return num / den
}

// naiveBGPMF is eq. 8 of the paper with gamma functions and 1 − Σ.
func naiveBGPMF(m BGNBD, n int, t float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	B := func(x, y float64) float64 { return math.Gamma(x) * math.Gamma(y) / math.Gamma(x+y) }
	nb := func(j int) float64 {
		return math.Gamma(r+float64(j)) / (math.Gamma(r) * math.Gamma(float64(j)+1)) * math.Pow(al/(al+t), r) * math.Pow(t/(al+t), float64(j))
	}
	p := B(a, b+float64(n)) / B(a, b) * nb(n)
	if n > 0 {
		sum := 0.0
		for j := range n {
			sum += nb(j)
		}
		p += B(a+1, b+float64(n)-1) / B(a, b) * (1 - sum)
	}
	return p
}

// naiveBGLL is the BG/NBD likelihood (paper eq. 6) without logarithms.
func naiveBGLL(m BGNBD, s Summary) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	x, tx, T := float64(s.Frequency), s.Recency, s.T
	B := func(x, y float64) float64 { return math.Gamma(x) * math.Gamma(y) / math.Gamma(x+y) }
	L := B(a, b+x) / B(a, b) * math.Gamma(r+x) * math.Pow(al, r) / math.Gamma(r) / math.Pow(al+T, r+x)
	if s.Frequency > 0 {
		L += B(a+1, b+x-1) / B(a, b) * math.Gamma(r+x) * math.Pow(al, r) / math.Gamma(r) / math.Pow(al+tx, r+x)
	}
	return math.Log(L)
}

// Pareto/NBD quantities as integrals over the dropout time τ, with
// Gauss-Legendre quadrature.
func paretoIntegral(m ParetoNBD, s Summary) (alive, dead float64) {
	r, al, sh, be := m.R, m.Alpha, m.S, m.Beta
	x, tx, T := float64(s.Frequency), s.Recency, s.T
	k := math.Gamma(r+x) * math.Pow(al, r) * math.Pow(be, sh) / math.Gamma(r)
	alive = k * math.Pow(al+T, -(r+x)) * math.Pow(be+T, -sh)
	if T > tx {
		dead = k * sh * quad.Fixed(func(tau float64) float64 {
			return math.Pow(al+tau, -(r+x)) * math.Pow(be+tau, -(sh+1))
		}, tx, T, 400, nil, 0)
	}
	return alive, dead
}

func naiveParetoPMF(m ParetoNBD, n int, t float64) float64 {
	r, al, sh, be := m.R, m.Alpha, m.S, m.Beta
	nb := func(tau float64) float64 {
		return math.Exp(lgamma(r+float64(n))-lgamma(r)-lgamma(float64(n)+1)) * math.Pow(al/(al+tau), r) * math.Pow(tau/(al+tau), float64(n))
	}
	alive := nb(t) * math.Pow(be/(be+t), sh)
	dead := quad.Fixed(func(tau float64) float64 {
		return sh * math.Pow(be, sh) / math.Pow(be+tau, sh+1) * nb(tau)
	}, 0, t, 400, nil, 0)
	return alive + dead
}

var histories = []Summary{
	{Frequency: 0, Recency: 0, T: 38.86},
	{Frequency: 0, Recency: 0, T: 0},
	{Frequency: 1, Recency: 1.5, T: 38.5},
	{Frequency: 2, Recency: 30, T: 38.5},
	{Frequency: 7, Recency: 20, T: 30},
	{Frequency: 15, Recency: 35, T: 35},
	{Frequency: 30, Recency: 5, T: 50},
}

func TestBGNBDAgainstPaperFormulas(t *testing.T) {
	models := []BGNBD{paperBG, {0.5, 10, 2.5, 3}, {1.2, 2, 0.3, 0.8}, {0.243, 4.414, 1.00004, 2.426}}
	for _, m := range models {
		for _, tt := range []float64{0.5, 10, 39, 52} {
			if z := tt / (m.Alpha + tt); z > 0.9 {
				continue
			}
			assert.InEpsilon(t, naiveBGExpected(m, tt), m.ExpectedPurchases(tt), 1e-7, "%+v E[X(%v)]", m, tt)
			for _, s := range histories {
				want := naiveBGConditional(m, s, tt)
				assert.InEpsilon(t, want, m.ConditionalExpectedPurchases(s, tt), 1e-7, "%+v %+v t=%v", m, s, tt)
				assert.InDelta(t, naiveBGLL(m, s), m.LogLikelihood(s), 1e-9, "%+v %+v", m, s)
			}
		}
		for _, n := range []int{0, 1, 2, 5, 10} {
			assert.InEpsilon(t, naiveBGPMF(m, n, 10), m.PurchaseProbability(n, 10), 1e-8, "%+v n=%d", m, n)
		}
	}
}

func TestMBGNBDAgainstPaperFormulas(t *testing.T) {
	for _, m := range []MBGNBD{{0.525, 6.183, 0.891, 1.614}, {0.5, 10, 2.5, 3}, {1.2, 2, 0.3, 0.8}} {
		for _, tt := range []float64{0.5, 10, 39} {
			if z := tt / (m.Alpha + tt); z > 0.9 {
				continue
			}
			assert.InEpsilon(t, naiveMBGExpected(m, tt), m.ExpectedPurchases(tt), 1e-7)
			for _, s := range histories {
				assert.InEpsilon(t, naiveMBGConditional(m, s, tt), m.ConditionalExpectedPurchases(s, tt), 1e-7, "%+v %+v t=%v", m, s, tt)
			}
		}
	}
}

func TestParetoNBDAgainstIntegrals(t *testing.T) {
	models := []ParetoNBD{
		{0.553, 10.578, 0.606, 11.669}, // α < β
		{0.8, 12, 1.5, 6},              // α > β
		{0.5, 5, 0.7, 5},               // α = β
		{2, 3, 1, 40},                  // s = 1
	}
	for _, m := range models {
		for _, s := range histories {
			alive, dead := paretoIntegral(m, s)
			assert.InDelta(t, math.Log(alive+dead), m.LogLikelihood(s), 1e-9, "%+v %+v", m, s)
			assert.InEpsilon(t, alive/(alive+dead), m.PAlive(s), 1e-9, "%+v %+v", m, s)
		}
		for _, tt := range []float64{1, 39} {
			for _, n := range []int{0, 1, 3, 8} {
				assert.InDelta(t, naiveParetoPMF(m, n, tt), m.PurchaseProbability(n, tt), 1e-10, "%+v n=%d t=%v", m, n, tt)
			}
		}
	}
}

// TestPMFProperties: P(X(t) = n) sums to 1 over n and its mean is E[X(t)].
func TestPMFProperties(t *testing.T) {
	models := []PurchaseModel{
		paperBG, BGNBD{1.2, 2, 0.3, 0.8}, BGNBD{0.5, 10, 2.5, 3},
		MBGNBD{0.525, 6.183, 0.891, 1.614}, MBGNBD{1.2, 2, 0.3, 0.8},
		ParetoNBD{0.553, 10.578, 0.606, 11.669}, ParetoNBD{0.8, 12, 1.5, 6},
	}
	for _, m := range models {
		for _, tt := range []float64{0.5, 5, 39, 78} {
			sum, mean := 0.0, 0.0
			for n := 0; n < 3000; n++ {
				p := m.PurchaseProbability(n, tt)
				require.False(t, math.IsNaN(p) || p < 0 || p > 1, "%s %v P(N=%d)=%v", m.Name(), m.Params(), n, p)
				sum += p
				mean += float64(n) * p
				if n > 50 && p < 1e-18 {
					break
				}
			}
			assert.InDelta(t, 1, sum, 1e-9, "%s %v t=%v", m.Name(), m.Params(), tt)
			assert.InEpsilon(t, m.ExpectedPurchases(tt), mean, 1e-7, "%s %v t=%v", m.Name(), m.Params(), tt)
		}
		assert.Equal(t, 1.0, m.PurchaseProbability(0, 0))
		assert.Equal(t, 0.0, m.PurchaseProbability(3, 0))
	}
}

// A customer without history (x = 0, T = 0) is a customer picked at random.
func TestConditionalWithoutHistory(t *testing.T) {
	for _, m := range []PurchaseModel{paperBG, MBGNBD{0.525, 6.183, 0.891, 1.614}, ParetoNBD{0.553, 10.578, 0.606, 11.669}} {
		for _, tt := range []float64{1, 39, 500} {
			assert.InEpsilon(t, m.ExpectedPurchases(tt), m.ConditionalExpectedPurchases(Summary{}, tt), 1e-9, m.Name())
		}
	}
}

func TestPredictionMonotonicity(t *testing.T) {
	models := []PurchaseModel{paperBG, MBGNBD{0.525, 6.183, 0.891, 1.614}, ParetoNBD{0.553, 10.578, 0.606, 11.669}}
	for _, m := range models {
		t.Run(m.Name(), func(t *testing.T) {
			// E[Y(t)] increases with t; E[X(t)] too.
			for _, s := range histories {
				prev, prevX := 0.0, 0.0
				for tt := 1.0; tt <= 400; tt *= 1.5 {
					e := m.ConditionalExpectedPurchases(s, tt)
					assert.Greater(t, e, prev, "%+v t=%v", s, tt)
					prev = e
					x := m.ExpectedPurchases(tt)
					assert.Greater(t, x, prevX)
					prevX = x
				}
			}
			// P(alive) falls as T grows past the last purchase, rises with t_x.
			prev := 2.0
			for T := 10.0; T < 200; T += 10 {
				p := m.PAlive(Summary{Frequency: 3, Recency: 10, T: T})
				assert.Less(t, p, prev, "T=%v", T)
				prev = p
			}
			prev = -1
			for tx := 1.0; tx <= 50; tx += 7 {
				p := m.PAlive(Summary{Frequency: 3, Recency: tx, T: 50})
				assert.Greater(t, p, prev, "t_x=%v", tx)
				prev = p
			}
			// P(N(t) = 0) falls with t.
			prev = 2
			for tt := 0.5; tt < 100; tt *= 2 {
				p := m.PurchaseProbability(0, tt)
				assert.Less(t, p, prev)
				prev = p
			}
		})
	}
}

func TestPAliveOneTimeBuyers(t *testing.T) {
	s := Summary{Frequency: 0, T: 30}
	assert.Equal(t, 1.0, paperBG.PAlive(s))
	mbg := MBGNBD{0.525, 6.183, 0.891, 1.614}
	assert.Less(t, mbg.PAlive(s), 1.0)
	assert.Greater(t, mbg.PAlive(s), 0.0)
	assert.Less(t, ParetoNBD{0.553, 10.578, 0.606, 11.669}.PAlive(s), 1.0)
}

// Large frequencies and long horizons must not overflow.
func TestExtremeHistories(t *testing.T) {
	for _, m := range []PurchaseModel{paperBG, MBGNBD{0.525, 6.183, 0.891, 1.614}, ParetoNBD{0.553, 10.578, 0.606, 11.669}, ParetoNBD{0.8, 12, 1.5, 6}} {
		for _, s := range []Summary{{Frequency: 500, Recency: 99, T: 100}, {Frequency: 2000, Recency: 1000, T: 1000}, {Frequency: 1, Recency: 0.01, T: 5000}} {
			for _, tt := range []float64{1, 1e3, 1e5} {
				pa, e := m.Predict(s, tt)
				assert.False(t, math.IsNaN(pa) || math.IsInf(pa, 0) || pa < 0 || pa > 1, "%s %+v t=%v pa=%v", m.Name(), s, tt, pa)
				assert.False(t, math.IsNaN(e) || math.IsInf(e, 0) || e < 0, "%s %+v t=%v e=%v", m.Name(), s, tt, e)
				assert.False(t, math.IsNaN(m.LogLikelihood(s)), "%s %+v", m.Name(), s)
			}
		}
	}
}

func TestInvalidInputIsNaN(t *testing.T) {
	bad := []Summary{{Frequency: -1, T: 1}, {Frequency: 1, Recency: 2, T: 1}, {Recency: math.NaN()}, {T: math.Inf(1)}}
	for _, m := range []PurchaseModel{paperBG, MBGNBD{1, 1, 1, 1}, ParetoNBD{1, 1, 1, 1}, BGNBD{-1, 1, 1, 1}} {
		for _, s := range bad {
			assert.True(t, math.IsNaN(m.PAlive(s)), "%s %+v", m.Name(), s)
			assert.True(t, math.IsNaN(m.ConditionalExpectedPurchases(s, 1)))
			assert.True(t, math.IsNaN(m.LogLikelihood(s)))
		}
		assert.True(t, math.IsNaN(m.ExpectedPurchases(-1)))
		assert.True(t, math.IsNaN(m.ExpectedPurchases(math.NaN())))
		assert.True(t, math.IsNaN(m.PurchaseProbability(-1, 1)))
		assert.True(t, math.IsNaN(m.PurchaseProbability(1, math.Inf(1))))
		assert.True(t, math.IsNaN(m.ConditionalExpectedPurchases(Summary{T: 1}, -2)))
	}
	assert.ErrorIs(t, BGNBD{R: 1, Alpha: 1, A: math.NaN(), B: 1}.Validate(), ErrInvalidParams)
	assert.ErrorIs(t, ParetoNBD{R: 1, Alpha: 0, S: 1, Beta: 1}.Validate(), ErrInvalidParams)
	assert.ErrorIs(t, GammaGamma{P: 1, Q: math.Inf(1), Gamma: 1}.Validate(), ErrInvalidParams)
}

// ---- gradients ---------------------------------------------------------------

func TestAnalyticGradients(t *testing.T) {
	type llFunc func(p, grad []float64) float64
	bg := func(modified bool) llFunc {
		return func(p, grad []float64) float64 {
			total := 0.0
			for _, s := range histories {
				total += bgFamilyLL(modified, p[0], p[1], p[2], p[3], s.Frequency, s.Recency, s.T, grad)
			}
			return total
		}
	}
	gg := func(p, grad []float64) float64 {
		total := 0.0
		for _, o := range []struct {
			x int
			m float64
		}{{1, 10}, {3, 25.5}, {12, 7}} {
			total += ggLL(p[0], p[1], p[2], o.x, o.m, 1, grad)
		}
		return total
	}
	cases := []struct {
		name string
		f    llFunc
		at   []float64
	}{
		{"bgnbd", bg(false), []float64{0.243, 4.414, 0.793, 2.426}},
		{"bgnbd far", bg(false), []float64{2, 0.5, 3, 0.7}},
		{"mbgnbd", bg(true), []float64{0.525, 6.183, 0.891, 1.614}},
		{"gammagamma", gg, []float64{6.25, 3.74, 15.44}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make([]float64, len(c.at))
			c.f(c.at, got)
			want := fd.Gradient(nil, func(p []float64) float64 { return c.f(p, nil) }, c.at, &fd.Settings{Formula: fd.Central})
			for i := range want {
				assert.InDelta(t, want[i], got[i], 1e-5*math.Max(1, math.Abs(want[i])), "component %d", i)
			}
		})
	}
}

// ---- parameter recovery on simulated data -----------------------------------

type simModel int

const (
	simBG simModel = iota
	simMBG
	simPareto
)

// simulate draws n customers with observation lengths T uniform in [20, 60]
// from the model with parameters p (r, α, a|s, b|β).
func simulate(kind simModel, p [4]float64, n int, seed uint64) []Summary {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	rng := rand.New(src)
	lam := distuv.Gamma{Alpha: p[0], Beta: p[1], Src: src}
	drop := distuv.Beta{Alpha: p[2], Beta: p[3], Src: src}
	life := distuv.Gamma{Alpha: p[2], Beta: p[3], Src: src}
	out := make([]Summary, n)
	for i := range out {
		T := 20 + 40*rng.Float64()
		l := lam.Rand()
		s := Summary{Customer: fmt.Sprint(i), T: T}
		switch kind {
		case simBG, simMBG:
			q := drop.Rand()
			if kind == simMBG && rng.Float64() < q {
				break // dropped out right after the first purchase
			}
			for t := 0.0; ; {
				t += rng.ExpFloat64() / l
				if t > T {
					break
				}
				s.Frequency++
				s.Recency = t
				if rng.Float64() < q {
					break
				}
			}
		case simPareto:
			end := math.Min(T, rng.ExpFloat64()/life.Rand())
			for t := 0.0; ; {
				t += rng.ExpFloat64() / l
				if t > end {
					break
				}
				s.Frequency++
				s.Recency = t
			}
		}
		out[i] = s
	}
	return out
}

// TestFitRecoversSimulatedParameters fits data simulated from known
// parameters. The likelihood-ratio statistic 2(LL(fit) − LL(true)) must be
// non-negative (the fit is a maximum) and below the 99.9 % quantile of
// χ²(4), 18.47; the parameters must be near the truth.
func TestFitRecoversSimulatedParameters(t *testing.T) {
	cases := []struct {
		name string
		kind simModel
		p    [4]float64
		n    int
		// check lists the parameters held to 35 %: the Pareto/NBD likelihood
		// is flat along a ridge in (s, β), so only r and α are checked there.
		check []int
	}{
		{"bgnbd", simBG, [4]float64{0.8, 4, 0.6, 3}, 8000, []int{0, 1, 2, 3}},
		{"mbgnbd", simMBG, [4]float64{0.8, 4, 0.6, 3}, 8000, []int{0, 1, 2, 3}},
		{"paretonbd", simPareto, [4]float64{0.8, 6, 0.9, 20}, 1500, []int{0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := simulate(c.kind, c.p, c.n, 42)
			var fitted, truth PurchaseModel
			var rep FitReport
			var err error
			switch c.kind {
			case simBG:
				truth = BGNBD{c.p[0], c.p[1], c.p[2], c.p[3]}
				fitted, rep, err = FitBGNBD(data, FitConfig{})
			case simMBG:
				truth = MBGNBD{c.p[0], c.p[1], c.p[2], c.p[3]}
				fitted, rep, err = FitMBGNBD(data, FitConfig{})
			case simPareto:
				truth = ParetoNBD{c.p[0], c.p[1], c.p[2], c.p[3]}
				fitted, rep, err = FitParetoNBD(data, FitConfig{})
			}
			require.NoError(t, err)
			llTrue := 0.0
			for _, s := range data {
				llTrue += truth.LogLikelihood(s)
			}
			lr := 2 * (rep.LogLik - llTrue)
			assert.GreaterOrEqual(t, lr, -1e-6)
			assert.Less(t, lr, 18.47)
			for _, i := range c.check {
				p := fitted.Params()[i]
				assert.InEpsilon(t, c.p[i], p.Value, 0.35, "%s", p.Name)
			}
			assert.InEpsilon(t, truth.ExpectedPurchases(52), fitted.ExpectedPurchases(52), 0.05)
		})
	}
}

// ---- fit failures --------------------------------------------------------------

func TestFitErrors(t *testing.T) {
	oneTime := []Summary{{Customer: "a", T: 5}, {Customer: "b", T: 7}}
	repeat := append(slices2(oneTime), Summary{Customer: "c", Frequency: 2, Recency: 3, T: 6, Monetary: 4})

	_, _, err := FitBGNBD(oneTime, FitConfig{})
	assert.ErrorIs(t, err, ErrNoRepeatBuyers)
	var fe *FitError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "bgnbd", fe.Model)
	assert.Equal(t, "clv: bgnbd fit: no repeat buyers in the data", err.Error())

	_, _, err = FitMBGNBD(nil, FitConfig{})
	assert.ErrorIs(t, err, ErrNoData)
	_, _, err = FitParetoNBD(oneTime, FitConfig{})
	assert.ErrorIs(t, err, ErrNoRepeatBuyers)
	_, _, err = FitGammaGamma(oneTime, FitConfig{})
	assert.ErrorIs(t, err, ErrNoRepeatBuyers)

	bad := append(slices2(repeat), Summary{Customer: "d", Frequency: 1, Recency: 9, T: 2})
	_, _, err = FitBGNBD(bad, FitConfig{})
	var de *DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 3, de.Row)
	assert.Equal(t, "d", de.Customer)

	noSpend := []Summary{{Customer: "z", Frequency: 2, Recency: 1, T: 3}}
	_, _, err = FitGammaGamma(noSpend, FitConfig{})
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), `customer "z"`)

	_, _, err = FitBGNBD(repeat, FitConfig{Penalty: -1})
	assert.ErrorContains(t, err, "penalty -1 must be finite and non-negative")
	_, _, err = FitBGNBD(repeat, FitConfig{Init: []float64{1, 2}})
	assert.ErrorContains(t, err, "2 starting values for 4 parameters (r, alpha, a, b)")
	_, _, err = FitBGNBD(repeat, FitConfig{Init: []float64{1, 2, 0, 1}})
	assert.ErrorIs(t, err, ErrInvalidParams)
}

func slices2(s []Summary) []Summary { return append([]Summary(nil), s...) }

func TestFitNotConverged(t *testing.T) {
	data := cdnowSummary(t)
	_, rep, err := FitBGNBD(data, FitConfig{MaxIterations: 2})
	require.ErrorIs(t, err, ErrNotConverged)
	var fe *FitError
	require.True(t, errors.As(err, &fe))
	assert.False(t, rep.Converged)
	assert.Equal(t, rep, fe.Report)
	assert.Equal(t, 2, rep.Iterations)
	assert.Len(t, rep.Params, 4)
	assert.Contains(t, err.Error(), "clv: bgnbd fit: fit did not converge (r=")
	assert.Contains(t, err.Error(), "status IterationLimit")
}

func TestFitPenaltyShrinks(t *testing.T) {
	data := cdnowSummary(t)
	plain, _, err := FitBGNBD(data, FitConfig{})
	require.NoError(t, err)
	pen, rep, err := FitBGNBD(data, FitConfig{Penalty: 0.01})
	require.NoError(t, err)
	norm := func(m BGNBD) float64 { return m.R*m.R + m.Alpha*m.Alpha + m.A*m.A + m.B*m.B }
	assert.Less(t, norm(pen), norm(plain))
	assert.Less(t, rep.LogLik, -9582.4) // a penalised fit has a lower likelihood
	assert.InDelta(t, -rep.LogLik/2357+0.01*norm(pen), rep.Objective, 1e-9)
}

func TestHyp2f1OneMatchesGonum(t *testing.T) {
	for _, z := range []float64{0, 0.01, 0.3, 0.6, 0.79, 0.8, 0.85, 0.95, 0.999} {
		for _, bc := range [][2]float64{{1.606, 4.159}, {0.8, 1.9}, {30, 31}, {1.2, 60}, {0.01, 0.02}} {
			want := mathext.Hypergeo(1, bc[0], bc[1], z)
			assert.InEpsilon(t, want, hyp2f1One(bc[0], bc[1], z), 1e-13, "z=%v b=%v c=%v", z, bc[0], bc[1])
		}
	}
}
