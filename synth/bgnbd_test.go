package synth

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hyp2f1 is the Gauss hypergeometric series 2F1(a, b; c; z) for 0 ≤ z < 1.
func hyp2f1(a, b, c, z float64) float64 {
	sum, term := 1.0, 1.0
	for n := 0.0; n < 200_000; n++ {
		term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
		sum += term
		if math.Abs(term) < 1e-15*math.Abs(sum) {
			break
		}
	}
	return sum
}

// bgnbdExpected is E[X(t)], the expected number of repeat purchases in
// (0, t] of a BG/NBD customer (Fader, Hardie & Lee 2005, eq. 7).
func bgnbdExpected(p BGNBD, t float64) float64 {
	z := t / (p.Alpha + t)
	return (p.A + p.B - 1) / (p.A - 1) *
		(1 - math.Pow(p.Alpha/(p.Alpha+t), p.R)*hyp2f1(p.R, p.B, p.A+p.B-1, z))
}

// bgnbdZero is P(X(t) = 0) = (α/(α+t))^r.
func bgnbdZero(p BGNBD, t float64) float64 { return math.Pow(p.Alpha/(p.Alpha+t), p.R) }

func TestHyp2f1(t *testing.T) {
	// Closed forms: 2F1(1,1;2;z) = −log(1−z)/z; 2F1(a,b;b;z) = (1−z)^−a.
	assert.InDelta(t, -math.Log(1-0.5)/0.5, hyp2f1(1, 1, 2, 0.5), 1e-12)
	assert.InDelta(t, math.Pow(1-0.9, -0.7), hyp2f1(0.7, 3, 3, 0.9), 1e-9)
	// E[X(t)] in closed form agrees with direct integration of
	// E[X(t) | λ, p] = (1 − e^(−λpt))/p over the Gamma and Beta mixing laws.
	for _, p := range []BGNBD{{0.243, 4.414, 0.793, 2.426}, {0.75, 12, 0.8, 5}, {2, 30, 1.5, 3}} {
		for _, tt := range []float64{1, 39, 365, 1095} {
			assert.InDelta(t, bgnbdIntegrated(p, tt), bgnbdExpected(p, tt), 1e-5*(1+bgnbdIntegrated(p, tt)), "%+v t=%v", p, tt)
		}
	}
}

// bgnbdIntegrated is E[X(t)] = E_p[(1 − (α/(α+pt))^r)/p] with p ~ Beta(a,b),
// by Simpson's rule after substituting p = u^(1/a), which removes the
// singularity of the Beta density at 0.
func bgnbdIntegrated(p BGNBD, t float64) float64 {
	f := func(u float64) float64 {
		q := math.Pow(u, 1/p.A)
		var g float64
		if q == 0 {
			g = p.R * t / p.Alpha
		} else {
			g = -math.Expm1(p.R*math.Log(p.Alpha/(p.Alpha+q*t))) / q
		}
		return g * math.Pow(1-q, p.B-1)
	}
	const n = 20_000
	h := 1.0 / n
	sum := f(0) + f(1)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(float64(i)*h)
	}
	lbeta, _ := math.Lgamma(p.A)
	lb, _ := math.Lgamma(p.B)
	lab, _ := math.Lgamma(p.A + p.B)
	return sum * h / 3 / (p.A * math.Exp(lbeta+lb-lab))
}

// TestBGNBDMoments checks the generated transactions against the analytic
// expectations of the model they are drawn from: the mean number of repeat
// purchases E[X(T)] and P(X(T)=0) given each buyer's observation length T,
// and the Gamma-Gamma mean transaction value p·γ/(q−1).
func TestBGNBDMoments(t *testing.T) {
	for _, tc := range []struct {
		name string
		bg   BGNBD
		gg   GammaGamma
	}{
		{"reference", DefaultConfig().BGNBD, DefaultConfig().GammaGamma},
		{"CDNOW-like in days", BGNBD{R: 0.243, Alpha: 4.414 * 7, A: 0.793, B: 2.426}, GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Reference(30_000)
			cfg.BGNBD, cfg.GammaGamma = tc.bg, tc.gg
			cfg.Workers = 2
			g := mustNew(t, cfg)
			end := float64(g.endUnix)

			var n, zeros, sumRes, sumRes2, sumZero float64
			var first, firstSq, ratio float64
			wrong := []BGNBD{ // the test must be able to tell these apart
				{tc.bg.R * 1.15, tc.bg.Alpha, tc.bg.A, tc.bg.B},
				{tc.bg.R, tc.bg.Alpha, tc.bg.A, tc.bg.B * 1.3},
			}
			wrongRes := make([]float64, len(wrong))
			g.run(0, cfg.Customers, needTx, func(r *Record) bool {
				if !r.Latent.Buyer {
					return true
				}
				txs := r.Transactions
				T := (end - float64(txs[0].At.Unix())) / daySeconds
				x := float64(len(txs) - 1)
				e := bgnbdExpected(tc.bg, T)
				n++
				sumRes += x - e
				sumRes2 += (x - e) * (x - e)
				for i, w := range wrong {
					wrongRes[i] += x - bgnbdExpected(w, T)
				}
				if x == 0 {
					zeros++
				}
				sumZero += bgnbdZero(tc.bg, T)
				z := txs[0].Amount
				first += z
				firstSq += z * z
				ratio += z * r.Latent.Nu / tc.gg.P
				return true
			})
			require.Greater(t, n, 5000.0)
			se := math.Sqrt(sumRes2/n) / math.Sqrt(n)
			within(t, "mean repeat purchases − E[X(T)]", sumRes/n, 0, se, 4)
			for i := range wrong {
				assert.Greater(t, math.Abs(wrongRes[i]/n), 4*se, "wrong parameters %+v would not be detected", wrong[i])
			}
			pz := sumZero / n
			within(t, "share with no repeat purchase", zeros/n, pz, math.Sqrt(pz*(1-pz)/n), 4)

			mean := tc.gg.P * tc.gg.Gamma / (tc.gg.Q - 1)
			sd := math.Sqrt(firstSq/n - (first/n)*(first/n))
			within(t, "mean transaction value", first/n, mean, sd/math.Sqrt(n), 4)
			within(t, "value relative to the customer's mean p/ν", ratio/n, 1, 1/math.Sqrt(tc.gg.P*n), 4)
		})
	}
}

// TestLatentAlive checks the dropout process: buyers alive at End are those
// who never dropped, and every repeat purchase risks dropping with the
// customer's p.
func TestLatentAlive(t *testing.T) {
	_, recs := population()
	var dead, expect float64
	for _, r := range recs {
		l := r.Latent
		if !l.Buyer {
			assert.Zero(t, l.Lambda)
			continue
		}
		assert.Positive(t, l.Lambda)
		assert.True(t, l.DropoutP >= 0 && l.DropoutP <= 1)
		if l.Repeat == 0 {
			assert.True(t, l.Alive, "no repeat purchase, no chance to drop")
		}
		// Each repeat purchase is a Bernoulli(p) dropout trial; the last one
		// ends the sequence if the customer died.
		expect += float64(l.Repeat) * l.DropoutP
		if !l.Alive {
			dead++
		}
	}
	within(t, "dropouts", dead, expect, math.Sqrt(expect), 5)
}
