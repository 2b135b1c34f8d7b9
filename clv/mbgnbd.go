package clv

import "math"

// MBGNBD is the modified BG/NBD model of Batislam, Denizel & Filiztekin
// (2007): as the BG/NBD, but a customer may also drop out right after the
// first purchase (at time 0), so P(alive) is below 1 for customers without
// repeat purchases.
//
// An MBGNBD is a plain immutable value, safe for concurrent use. Methods
// return NaN for invalid summaries or parameters, as for [BGNBD].
type MBGNBD struct {
	R, Alpha, A, B float64
}

// Name returns "mbgnbd".
func (MBGNBD) Name() string { return "mbgnbd" }

// Params returns r, alpha, a, b.
func (m MBGNBD) Params() []Param {
	return []Param{{"r", m.R}, {"alpha", m.Alpha}, {"a", m.A}, {"b", m.B}}
}

// Validate returns an error wrapping [ErrInvalidParams] unless every
// parameter is finite and positive.
func (m MBGNBD) Validate() error { return checkParams("mbgnbd", bgNames, m.R, m.Alpha, m.A, m.B) }

func (m MBGNBD) ok(s *Summary) bool {
	_, _, reason := checkSummary(s)
	return reason == "" && m.Validate() == nil
}

// LogLikelihood returns the log-likelihood of one customer's history.
func (m MBGNBD) LogLikelihood(s Summary) float64 {
	if !m.ok(&s) {
		return math.NaN()
	}
	return bgFamilyLL(true, m.R, m.Alpha, m.A, m.B, s.Frequency, s.Recency, s.T, nil)
}

// PAlive returns P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x)).
func (m MBGNBD) PAlive(s Summary) float64 {
	if !m.ok(&s) {
		return math.NaN()
	}
	return bgPAlive(true, m.R, m.Alpha, m.A, m.B, s)
}

// ExpectedPurchases returns E[X(t)] = b/(a−1) · [1 − (α/(α+t))^r
// 2F1(r, b+1; a+b; t/(α+t))] for a customer picked at random.
func (m MBGNBD) ExpectedPurchases(t float64) float64 {
	if m.Validate() != nil || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN()
	}
	z := t / (m.Alpha + t)
	return m.B * tailRatio(m.A+m.B-m.R, m.A-1, m.A+m.B, z)
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T].
func (m MBGNBD) ConditionalExpectedPurchases(s Summary, t float64) float64 {
	_, e := m.Predict(s, t)
	return e
}

// Predict returns P(alive) and E[Y(t) | x, t_x, T] =
// (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive).
func (m MBGNBD) Predict(s Summary, t float64) (pAlive, expected float64) {
	if !m.ok(&s) || !(t >= 0) || math.IsInf(t, 0) {
		return math.NaN(), math.NaN()
	}
	pa := bgPAlive(true, m.R, m.Alpha, m.A, m.B, s)
	x := float64(s.Frequency)
	z := t / (m.Alpha + s.T + t)
	c := m.A + m.B + x
	return pa, c * tailRatio(m.A+m.B-m.R, m.A-1, c, z) * pa
}

// PurchaseProbability returns P(X(t) = n) for a customer picked at random.
func (m MBGNBD) PurchaseProbability(n int, t float64) float64 {
	return bgPMF(true, m.R, m.Alpha, m.A, m.B, n, t)
}

// FitMBGNBD estimates an MBG/NBD model by maximum likelihood (see
// [FitConfig] and [FitBGNBD]).
func FitMBGNBD(data []Summary, cfg FitConfig) (MBGNBD, FitReport, error) {
	p, rep, err := fitBGFamily("mbgnbd", true, data, cfg)
	if err != nil {
		return MBGNBD{}, rep, err
	}
	return MBGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}, rep, nil
}
