package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD is the beta-geometric/NBD model of Fader, Hardie & Lee (2005),
// "Counting Your Customers the Easy Way": while alive, a customer buys as a
// Poisson process with rate λ ~ Gamma(r, α); after each purchase it drops
// out with probability p ~ Beta(a, b). Rates are per the time unit of the
// data it was fitted on.
//
// A BGNBD is a plain immutable value, safe for concurrent use. Methods
// taking a [Summary] return NaN when the summary or the parameters are
// invalid (see [ValidateSummaries] and [BGNBD.Validate]); [Predict] reports
// such input as errors instead.
type BGNBD struct {
	R, Alpha, A, B float64
}

var bgNames = []string{"r", "alpha", "a", "b"}

// Name returns "bgnbd".
func (BGNBD) Name() string { return "bgnbd" }

// Params returns r, alpha, a, b.
func (m BGNBD) Params() []Param {
	return []Param{{"r", m.R}, {"alpha", m.Alpha}, {"a", m.A}, {"b", m.B}}
}

// Validate returns an error wrapping [ErrInvalidParams] unless every
// parameter is finite and positive.
func (m BGNBD) Validate() error { return checkParams("bgnbd", bgNames, m.R, m.Alpha, m.A, m.B) }

func (m BGNBD) ok(s *Summary) bool {
	_, _, reason := checkSummary(s)
	return reason == "" && m.Validate() == nil
}

// LogLikelihood returns the log-likelihood of one customer's history.
func (m BGNBD) LogLikelihood(s Summary) float64 {
	if !m.ok(&s) {
		return math.NaN()
	}
	return bgFamilyLL(false, m.R, m.Alpha, m.A, m.B, s.Frequency, s.Recency, s.T, nil)
}

// PAlive returns P(alive | x, t_x, T), the probability that the customer
// has not dropped out by T. It is 1 for customers without repeat purchases
// (in the BG/NBD a customer can only drop out right after a purchase).
func (m BGNBD) PAlive(s Summary) float64 {
	if !m.ok(&s) {
		return math.NaN()
	}
	return bgPAlive(false, m.R, m.Alpha, m.A, m.B, s)
}

// ExpectedPurchases returns E[X(t)], the expected number of purchases in a
// period of length t for a customer picked at random (eq. 9 of the paper).
func (m BGNBD) ExpectedPurchases(t float64) float64 {
	if m.Validate() != nil || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	z := t / (m.Alpha + t)
	return (m.A + m.B - 1) * tailRatio(m.A+m.B-1-m.R, m.A-1, m.A+m.B-1, z)
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], the expected
// number of purchases in the next t time units of a customer with the given
// history (eq. 10 of the paper).
func (m BGNBD) ConditionalExpectedPurchases(s Summary, t float64) float64 {
	_, e := m.Predict(s, t)
	return e
}

// Predict returns P(alive) and E[Y(t) | x, t_x, T] together, sharing their
// common work.
func (m BGNBD) Predict(s Summary, t float64) (pAlive, expected float64) {
	if !m.ok(&s) || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN(), math.NaN()
	}
	pa := bgPAlive(false, m.R, m.Alpha, m.A, m.B, s)
	x := float64(s.Frequency)
	z := t / (m.Alpha + s.T + t)
	c := m.A + m.B + x - 1
	return pa, c * tailRatio(m.A+m.B-1-m.R, m.A-1, c, z) * pa
}

// PurchaseProbability returns P(X(t) = n), the probability that a customer
// picked at random makes n purchases in a period of length t (eq. 8 of the
// paper).
func (m BGNBD) PurchaseProbability(n int, t float64) float64 {
	return bgPMF(false, m.R, m.Alpha, m.A, m.B, n, t)
}

// FitBGNBD estimates a BG/NBD model by maximum likelihood (see
// [FitConfig]). The data must contain at least one repeat buyer. On failure
// the error is a [*FitError] (or a [*DataError] for bad input) and the
// report still holds the diagnostics.
func FitBGNBD(data []Summary, cfg FitConfig) (BGNBD, FitReport, error) {
	p, rep, err := fitBGFamily("bgnbd", false, data, cfg)
	if err != nil {
		return BGNBD{}, rep, err
	}
	return BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}, rep, nil
}

// ---- shared by BG/NBD and MBG/NBD ------------------------------------------

// bgFamilyLL returns one history's log-likelihood; with grad non-nil it
// adds the derivatives with respect to r, α, a, b, scaled by w.
//
// BG/NBD (modified = false):
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x)α^r/Γ(r) · [ (α+T)^−(r+x) + δ(x>0) a/(b+x−1) (α+t_x)^−(r+x) ]
//
// MBG/NBD (modified = true), where a customer may also drop out at time 0:
//
//	L = B(a, b+x+1)/B(a, b) · Γ(r+x)α^r/Γ(r) · [ (α+T)^−(r+x) + a/(b+x) (α+t_x)^−(r+x) ]
func bgFamilyLL(modified bool, r, alpha, a, b float64, xi int, tx, T float64, grad []float64) float64 {
	x := float64(xi)
	xb := x // the x in the beta part
	if modified {
		xb = x + 1
	}
	A12 := lgamma(r+x) - lgamma(r) + r*math.Log(alpha) +
		lgamma(a+b) + lgamma(b+xb) - lgamma(b) - lgamma(a+b+xb)
	lAT, lAtx := math.Log(alpha+T), math.Log(alpha+tx)
	A3 := -(r + x) * lAT
	ll := A12 + A3
	die := modified || xi > 0
	var bx, A4 float64
	if die {
		bx = b + x - 1
		if modified {
			bx = b + x
		}
		A4 = math.Log(a) - math.Log(bx) - (r+x)*lAtx
		ll = A12 + logAddExp(A3, A4)
	}
	if grad != nil {
		dr := mathext.Digamma(r+x) - mathext.Digamma(r) + math.Log(alpha)
		dalpha := r / alpha
		psiAB, psiABX := mathext.Digamma(a+b), mathext.Digamma(a+b+xb)
		da := psiAB - psiABX
		db := psiAB + mathext.Digamma(b+xb) - mathext.Digamma(b) - psiABX
		w3, w4 := 1.0, 0.0
		if die {
			w3 = math.Exp(A3 - logAddExp(A3, A4))
			w4 = 1 - w3
		}
		dr += w3*(-lAT) + w4*(-lAtx)
		dalpha += w3*(-(r+x)/(alpha+T)) + w4*(-(r+x)/(alpha+tx))
		if die {
			da += w4 / a
			db -= w4 / bx
		}
		grad[0] += dr
		grad[1] += dalpha
		grad[2] += da
		grad[3] += db
	}
	return ll
}

func bgPAlive(modified bool, r, alpha, a, b float64, s Summary) float64 {
	x := float64(s.Frequency)
	var bx float64
	switch {
	case modified:
		bx = b + x
	case s.Frequency == 0:
		return 1
	default:
		bx = b + x - 1
	}
	odds := math.Exp(math.Log(a) - math.Log(bx) + (r+x)*(math.Log(alpha+s.T)-math.Log(alpha+s.Recency)))
	return 1 / (1 + odds)
}

// bgPMF returns P(X(t) = n). With NB(j) the negative binomial probability
// of j purchases in t while alive and S(n) = P(NB ≥ n):
//
//	BG/NBD:  B(a, b+n)/B(a,b) NB(n) + δ(n>0) B(a+1, b+n−1)/B(a,b) S(n)
//	MBG/NBD: B(a, b+n+1)/B(a,b) NB(n) + B(a+1, b+n)/B(a,b) S(n)
func bgPMF(modified bool, r, alpha, a, b float64, n int, t float64) float64 {
	if checkParams("", bgNames, r, alpha, a, b) != nil || n < 0 || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	if t == 0 {
		if n == 0 {
			return 1
		}
		return 0
	}
	fn := float64(n)
	lp, l1mp := math.Log(t/(alpha+t)), math.Log(alpha/(alpha+t))
	lbAB := mathext.Lbeta(a, b)
	alive := fn
	if modified {
		alive = fn + 1
	}
	p := math.Exp(mathext.Lbeta(a, b+alive) - lbAB + logNegBin(n, r, lp, l1mp))
	switch {
	case modified:
		p += math.Exp(mathext.Lbeta(a+1, b+fn)-lbAB) * negBinSurvival(n, r, t/(alpha+t))
	case n > 0:
		p += math.Exp(mathext.Lbeta(a+1, b+fn-1)-lbAB) * negBinSurvival(n, r, t/(alpha+t))
	}
	return p
}

// bgStart returns starting values from the data: r = 1, α matched to the
// mean purchase rate, a = 1, b = 1.
func bgStart(groups []group) []float64 {
	var xs, ts, w float64
	for _, g := range groups {
		xs += g.weight * float64(g.x)
		ts += g.weight * g.T
		w += g.weight
	}
	alpha := 1.0
	if xs > 0 && ts > 0 {
		alpha = ts / xs
	}
	return []float64{1, alpha, 1, 1}
}

func fitBGFamily(model string, modified bool, data []Summary, cfg FitConfig) ([]float64, FitReport, error) {
	groups, n, err := checkFitInput(model, data)
	if err != nil {
		var rep FitReport
		if fe, ok := err.(*FitError); ok {
			rep = fe.Report
		}
		return nil, rep, err
	}
	// Histories are collapsed into distinct (x, t_x, T) groups with weights
	// (groupSummaries), so the sum runs over far fewer terms than customers.
	pr := problem{model: model, names: bgNames, n: n, analytic: true}
	pr.loglik = func(p, grad []float64) float64 {
		r, alpha, a, b := p[0], p[1], p[2], p[3]
		if grad != nil {
			clear(grad)
		}
		var g4 [4]float64
		total := 0.0
		for _, gr := range groups {
			if grad != nil {
				g4 = [4]float64{}
				total += gr.weight * bgFamilyLL(modified, r, alpha, a, b, gr.x, gr.tx, gr.T, g4[:])
				for i := range g4 {
					grad[i] += gr.weight * g4[i]
				}
				continue
			}
			total += gr.weight * bgFamilyLL(modified, r, alpha, a, b, gr.x, gr.tx, gr.T, nil)
		}
		return total
	}
	return pr.fit(bgStart(groups), cfg)
}
