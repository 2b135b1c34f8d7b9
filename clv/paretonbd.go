package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ParetoNBD is the Pareto/NBD model of Schmittlein, Morrison & Colombo
// (1987), in the formulation of Fader & Hardie (2005), "A Note on Deriving
// the Pareto/NBD Model and Related Expressions": while alive a customer buys
// as a Poisson process with rate λ ~ Gamma(r, α); its lifetime is
// exponential with rate μ ~ Gamma(s, β), so it may drop out at any time.
//
// A ParetoNBD is a plain immutable value, safe for concurrent use. Methods
// return NaN for invalid summaries or parameters, as for [BGNBD].
type ParetoNBD struct {
	R, Alpha, S, Beta float64
}

var paretoNames = []string{"r", "alpha", "s", "beta"}

// Name returns "paretonbd".
func (ParetoNBD) Name() string { return "paretonbd" }

// Params returns r, alpha, s, beta.
func (m ParetoNBD) Params() []Param {
	return []Param{{"r", m.R}, {"alpha", m.Alpha}, {"s", m.S}, {"beta", m.Beta}}
}

// Validate returns an error wrapping [ErrInvalidParams] unless every
// parameter is finite and positive.
func (m ParetoNBD) Validate() error {
	return checkParams("paretonbd", paretoNames, m.R, m.Alpha, m.S, m.Beta)
}

func (m ParetoNBD) ok(s *Summary) bool {
	_, _, reason := checkSummary(s)
	return reason == "" && m.Validate() == nil
}

// paretoLogA0 returns log A₀ of Fader & Hardie (2005), eqs. (19)–(20):
//
//	A₀ = 2F1(r+s+x, b'; r+s+x+1; |α−β|/(m+t_x)) / (m+t_x)^(r+s+x)
//	   − 2F1(r+s+x, b'; r+s+x+1; |α−β|/(m+T))   / (m+T)^(r+s+x)
//
// with m = max(α, β) and b' = s+1 when α ≥ β, b' = r+x otherwise. Both terms
// are formed as logarithms (see logHyp2f1Plus1) and subtracted in log space,
// so frequent buyers do not overflow; A₀ = 0 (log −Inf) when t_x = T.
func paretoLogA0(r, alpha, s, beta float64, x, tx, T float64) float64 {
	mx, bp := beta, r+x
	if alpha >= beta {
		mx, bp = alpha, s+1
	}
	d := math.Abs(alpha - beta)
	rsx := r + s + x
	l1 := logHyp2f1Plus1(rsx, bp, d/(mx+tx)) - rsx*math.Log(mx+tx)
	l2 := logHyp2f1Plus1(rsx, bp, d/(mx+T)) - rsx*math.Log(mx+T)
	return logDiffExp(l1, l2)
}

// paretoParts returns the two log-terms of the likelihood (alive at T, and
// dropped out in (t_x, T]) without the common factor Γ(r+x)α^rβ^s/Γ(r).
func paretoParts(r, alpha, s, beta float64, xi int, tx, T float64) (alive, dead float64) {
	x := float64(xi)
	alive = -(r+x)*math.Log(alpha+T) - s*math.Log(beta+T)
	dead = math.Log(s) - math.Log(r+s+x) + paretoLogA0(r, alpha, s, beta, x, tx, T)
	return alive, dead
}

func paretoLL(r, alpha, s, beta float64, xi int, tx, T float64) float64 {
	x := float64(xi)
	alive, dead := paretoParts(r, alpha, s, beta, xi, tx, T)
	return lgamma(r+x) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta) + logAddExp(alive, dead)
}

// LogLikelihood returns the log-likelihood of one customer's history
// (eq. 18 of the note).
func (m ParetoNBD) LogLikelihood(s Summary) float64 {
	if !m.ok(&s) {
		return math.NaN()
	}
	return paretoLL(m.R, m.Alpha, m.S, m.Beta, s.Frequency, s.Recency, s.T)
}

// PAlive returns P(alive | x, t_x, T) (eq. 36 of the note). Unlike the
// BG/NBD it is below 1 for customers without repeat purchases.
func (m ParetoNBD) PAlive(s Summary) float64 {
	if !m.ok(&s) {
		return math.NaN()
	}
	return m.pAlive(s)
}

func (m ParetoNBD) pAlive(s Summary) float64 {
	alive, dead := paretoParts(m.R, m.Alpha, m.S, m.Beta, s.Frequency, s.Recency, s.T)
	return 1 / (1 + math.Exp(dead-alive))
}

// ExpectedPurchases returns E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)]
// (eq. 27; its limit rβ/α · ln(1 + t/β) at s = 1).
func (m ParetoNBD) ExpectedPurchases(t float64) float64 {
	if m.Validate() != nil || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	return m.R * m.Beta / m.Alpha * powTail(m.S-1, math.Log(m.Beta/(m.Beta+t)))
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T] (eq. 41).
func (m ParetoNBD) ConditionalExpectedPurchases(s Summary, t float64) float64 {
	_, e := m.Predict(s, t)
	return e
}

// Predict returns P(alive) and E[Y(t) | x, t_x, T] =
// (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive).
func (m ParetoNBD) Predict(s Summary, t float64) (pAlive, expected float64) {
	if !m.ok(&s) || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN(), math.NaN()
	}
	pa := m.pAlive(s)
	x := float64(s.Frequency)
	bt := m.Beta + s.T
	e := (m.R + x) * bt / (m.Alpha + s.T) * powTail(m.S-1, math.Log(bt/(bt+t)))
	return pa, e * pa
}

// PurchaseProbability returns P(X(t) = n) for a customer picked at random:
// the probability of n purchases while alive through t, plus that of n
// purchases and a dropout before t,
//
//	E[μλⁿ/(λ+μ)ⁿ⁺¹] − Σ_{i=0..n} tⁱ/i! · E[μλⁿ/(λ+μ)ⁿ⁺¹⁻ⁱ e^−(λ+μ)t],
//
// whose expectations over the gamma mixing distributions are Euler
// integrals, i.e. Gauss hypergeometric functions (Fader & Hardie's note on
// P(X(t) = x) under the Pareto/NBD).
func (m ParetoNBD) PurchaseProbability(n int, t float64) float64 {
	if m.Validate() != nil || n < 0 || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	if t == 0 {
		if n == 0 {
			return 1
		}
		return 0
	}
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	fn := float64(n)
	alive := logNegBin(n, r, math.Log(t/(alpha+t)), math.Log(alpha/(alpha+t))) + s*math.Log(beta/(beta+t))
	mx, bp := beta, r+fn
	if alpha > beta {
		mx, bp = alpha, s+1
	}
	d := math.Abs(alpha - beta)
	c := r + s + fn + 1
	logK := r*math.Log(alpha) + s*math.Log(beta) + mathext.Lbeta(r+fn, s+1) - lgamma(r) - lgamma(s)
	logC := func(i int, tt float64) float64 {
		a := r + s + float64(i)
		return logK + lgamma(a) - a*math.Log(mx+tt) + logHyp2f1(a, bp, c, d/(mx+tt))
	}
	total := logC(0, 0)
	sub := math.Inf(-1)
	lt := math.Log(t)
	for i := 0; i <= n; i++ {
		fi := float64(i)
		sub = logAddExp(sub, fi*lt-lgamma(fi+1)+logC(i, t))
	}
	p := math.Exp(alive) + math.Exp(logDiffExp(total, sub))
	return math.Min(p, 1)
}

// FitParetoNBD estimates a Pareto/NBD model by maximum likelihood (see
// [FitConfig] and [FitBGNBD]). The gradient is taken by central finite
// differences (gonum's diff/fd), as the likelihood's derivatives with
// respect to the hypergeometric parameters have no convenient closed form.
//
// The likelihood is very flat along β on typical data, so β is the least
// precisely determined parameter.
func FitParetoNBD(data []Summary, cfg FitConfig) (ParetoNBD, FitReport, error) {
	groups, n, err := checkFitInput("paretonbd", data)
	if err != nil {
		var rep FitReport
		if fe, ok := err.(*FitError); ok {
			rep = fe.Report
		}
		return ParetoNBD{}, rep, err
	}
	pr := problem{model: "paretonbd", names: paretoNames, n: n}
	pr.loglik = func(p, _ []float64) float64 {
		total := 0.0
		for _, g := range groups {
			total += g.weight * paretoLL(p[0], p[1], p[2], p[3], g.x, g.tx, g.T)
		}
		return total
	}
	start := bgStart(groups)
	p, rep, err := pr.fit([]float64{start[0], start[1], 1, start[1]}, cfg)
	if err != nil {
		return ParetoNBD{}, rep, err
	}
	return ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}, rep, nil
}
