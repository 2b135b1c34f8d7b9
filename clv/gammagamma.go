package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is the spend model of Fader & Hardie (2013), "The Gamma-Gamma
// Model of Monetary Value": the value of each of a customer's purchases is
// Gamma(p, ν) distributed, and ν ~ Gamma(q, γ) across customers. It is
// fitted on repeat buyers (Frequency > 0) with the mean value of their
// repeat purchases (Summary.Monetary), and assumes spend is independent of
// purchase frequency.
//
// A GammaGamma is a plain immutable value, safe for concurrent use.
type GammaGamma struct {
	P, Q, Gamma float64
}

var ggNames = []string{"p", "q", "gamma"}

// Name returns "gammagamma".
func (GammaGamma) Name() string { return "gammagamma" }

// Params returns p, q, gamma.
func (g GammaGamma) Params() []Param {
	return []Param{{"p", g.P}, {"q", g.Q}, {"gamma", g.Gamma}}
}

// Validate returns an error wrapping [ErrInvalidParams] unless every
// parameter is finite and positive.
func (g GammaGamma) Validate() error { return checkParams("gammagamma", ggNames, g.P, g.Q, g.Gamma) }

// ggLL returns the log-density of a mean spend m over x purchases,
//
//	Γ(px+q)/(Γ(px)Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q),
//
// adding w times its gradient with respect to p, q, γ to grad when non-nil.
func ggLL(p, q, gamma float64, xi int, m float64, w float64, grad []float64) float64 {
	x := float64(xi)
	px := p * x
	lgm := math.Log(gamma + m*x)
	ll := lgamma(px+q) - lgamma(px) - lgamma(q) + q*math.Log(gamma) + (px-1)*math.Log(m) + px*math.Log(x) - (px+q)*lgm
	if grad != nil {
		psi := mathext.Digamma(px + q)
		grad[0] += w * x * (psi - mathext.Digamma(px) + math.Log(m) + math.Log(x) - lgm)
		grad[1] += w * (psi - mathext.Digamma(q) + math.Log(gamma) - lgm)
		grad[2] += w * (q/gamma - (px+q)/(gamma+m*x))
	}
	return ll
}

// LogLikelihood returns the log-density of a repeat buyer's mean spend; NaN
// for customers without repeat purchases or with a non-positive Monetary.
func (g GammaGamma) LogLikelihood(s Summary) float64 {
	if g.Validate() != nil || s.Frequency <= 0 || !(s.Monetary > 0) || math.IsInf(s.Monetary, 0) {
		return math.NaN()
	}
	return ggLL(g.P, g.Q, g.Gamma, s.Frequency, s.Monetary, 0, nil)
}

// MeanSpend returns the population mean of the expected spend per
// purchase, pγ/(q−1); NaN unless q > 1 (the mean does not exist otherwise).
func (g GammaGamma) MeanSpend() float64 {
	if g.Validate() != nil || !(g.Q > 1) {
		return math.NaN()
	}
	return g.P * g.Gamma / (g.Q - 1)
}

// ExpectedSpend returns E[M | x, m̄], the expected value of the customer's
// future purchases: a weighted mean of the population mean and the
// customer's own mean of x repeat purchases,
//
//	(q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄ = p(γ + x m̄)/(px+q−1).
//
// Customers without repeat purchases get the population mean. It is NaN
// unless q > 1, or for a negative or non-finite Monetary.
func (g GammaGamma) ExpectedSpend(s Summary) float64 {
	if g.Validate() != nil || !(g.Q > 1) || s.Frequency < 0 || !(s.Monetary >= 0) || math.IsInf(s.Monetary, 0) {
		return math.NaN()
	}
	x := float64(s.Frequency)
	if s.Frequency == 0 {
		return g.MeanSpend()
	}
	return g.P * (g.Gamma + x*s.Monetary) / (g.P*x + g.Q - 1)
}

// FitGammaGamma estimates the model by maximum likelihood (see
// [FitConfig]) on the repeat buyers of data (customers with Frequency 0 are
// skipped; FitReport.N counts the others). A repeat buyer with a Monetary
// that is not positive is a [*DataError]; data without repeat buyers fails
// with [ErrNoRepeatBuyers].
func FitGammaGamma(data []Summary, cfg FitConfig) (GammaGamma, FitReport, error) {
	if err := ValidateSummaries(data); err != nil {
		return GammaGamma{}, FitReport{Model: "gammagamma"}, err
	}
	type obs struct {
		x int
		m float64
	}
	idx := make(map[obs]int)
	var groups []obs
	var weights []float64
	for i, s := range data {
		if s.Frequency == 0 {
			continue
		}
		if !(s.Monetary > 0) {
			return GammaGamma{}, FitReport{Model: "gammagamma"}, &DataError{Row: i, Customer: s.Customer, Field: "monetary", Value: s.Monetary, Reason: "a repeat buyer needs a positive mean spend"}
		}
		o := obs{s.Frequency, s.Monetary}
		if j, ok := idx[o]; ok {
			weights[j]++
			continue
		}
		idx[o] = len(groups)
		groups = append(groups, o)
		weights = append(weights, 1)
	}
	n := 0
	for _, w := range weights {
		n += int(w)
	}
	if n == 0 {
		rep := FitReport{Model: "gammagamma"}
		return GammaGamma{}, rep, &FitError{Model: "gammagamma", Report: rep, Err: ErrNoRepeatBuyers}
	}
	pr := problem{model: "gammagamma", names: ggNames, n: n, analytic: true}
	pr.loglik = func(p, grad []float64) float64 {
		if grad != nil {
			clear(grad)
		}
		total := 0.0
		for i, o := range groups {
			total += weights[i] * ggLL(p[0], p[1], p[2], o.x, o.m, weights[i], grad)
		}
		return total
	}
	p, rep, err := pr.fit([]float64{1, 1, 1}, cfg)
	if err != nil {
		return GammaGamma{}, rep, err
	}
	return GammaGamma{P: p[0], Q: p[1], Gamma: p[2]}, rep, nil
}
