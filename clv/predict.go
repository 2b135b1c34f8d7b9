package clv

import (
	"errors"
	"fmt"
	"math"
)

// PurchaseModel is a fitted model of purchase counts: [BGNBD], [MBGNBD] or
// [ParetoNBD] (a host may implement its own). Times are in the unit of the
// data the model was fitted on. Implementations in this package are plain
// values, safe for concurrent use; their methods return NaN for invalid
// input, while the batch functions ([Predict], [CLVAll]) return errors.
type PurchaseModel interface {
	Name() string
	Params() []Param
	// Validate reports whether the parameters are usable.
	Validate() error
	LogLikelihood(s Summary) float64
	// PAlive returns P(alive | x, t_x, T).
	PAlive(s Summary) float64
	// ExpectedPurchases returns E[X(t)] for a customer picked at random.
	ExpectedPurchases(t float64) float64
	// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T].
	ConditionalExpectedPurchases(s Summary, t float64) float64
	// Predict returns P(alive) and E[Y(t) | x, t_x, T].
	Predict(s Summary, t float64) (pAlive, expected float64)
	// PurchaseProbability returns P(X(t) = n) for a customer picked at random.
	PurchaseProbability(n int, t float64) float64
}

var (
	_ PurchaseModel = BGNBD{}
	_ PurchaseModel = MBGNBD{}
	_ PurchaseModel = ParetoNBD{}
)

// Prediction is one customer's model output, a plain value.
type Prediction struct {
	Customer string
	// PAlive is P(alive | x, t_x, T) at the end of the calibration period.
	PAlive float64
	// ExpectedPurchases is E[Y(t) | x, t_x, T] over the next t time units.
	ExpectedPurchases float64
}

func checkHorizon(t float64) error {
	if !(t >= 0) || math.IsInf(t, 0) {
		return fmt.Errorf("clv: horizon %v must be finite and non-negative", t)
	}
	return nil
}

// Predict returns P(alive) and E[Y(t)] for every customer of data, in
// order. It returns an error for invalid parameters, a negative or
// non-finite t, or a [*DataError] naming the first invalid summary.
//
// For the BG/NBD and MBG/NBD, whose E[Y(t)] needs a hypergeometric function
// of x and T only, values are shared between customers with the same (x, T)
// (up to 1<<18 distinct pairs), which makes populations summarised in whole
// days or weeks fast.
func Predict(m PurchaseModel, data []Summary, t float64) ([]Prediction, error) {
	out := make([]Prediction, len(data))
	if err := PredictInto(out, m, data, t); err != nil {
		return nil, err
	}
	return out, nil
}

// PredictInto is [Predict] writing into dst, which must have len(data)
// elements; it allocates nothing else for the models of this package beyond
// the shared-value cache.
func PredictInto(dst []Prediction, m PurchaseModel, data []Summary, t float64) (err error) {
	defer guard(&err, "predict")
	if m == nil {
		return errors.New("clv: predict: nil model")
	}
	if len(dst) != len(data) {
		return fmt.Errorf("clv: predict: %d results for %d customers", len(dst), len(data))
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkHorizon(t); err != nil {
		return err
	}
	if err := ValidateSummaries(data); err != nil {
		return err
	}
	switch mm := m.(type) {
	case BGNBD:
		predictBG(dst, false, mm.R, mm.Alpha, mm.A, mm.B, data, t)
	case MBGNBD:
		predictBG(dst, true, mm.R, mm.Alpha, mm.A, mm.B, data, t)
	default:
		for i := range data {
			pa, e := m.Predict(data[i], t)
			dst[i] = Prediction{Customer: data[i].Customer, PAlive: pa, ExpectedPurchases: e}
		}
	}
	return nil
}

type xtKey struct {
	x int
	T float64
}

func predictBG(dst []Prediction, modified bool, r, alpha, a, b float64, data []Summary, t float64) {
	// The cache pays only when customers share (x, T); with continuous
	// times it would only cost, so it is dropped when early lookups rarely
	// hit.
	const maxCache, probe = 1 << 18, 4096
	cache := make(map[xtKey]float64)
	useCache, hits := true, 0
	p := a + b - 1 - r
	c0 := a + b - 1
	if modified {
		p, c0 = a+b-r, a+b
	}
	for i := range data {
		s := &data[i]
		pa := bgPAlive(modified, r, alpha, a, b, *s)
		var v float64
		ok := false
		k := xtKey{s.Frequency, s.T}
		if useCache {
			v, ok = cache[k]
			if ok {
				hits++
			}
			if i == probe && hits < probe/4 {
				useCache, cache = false, nil
			}
		}
		if !ok {
			c := c0 + float64(s.Frequency)
			v = c * tailRatio(p, a-1, c, t/(alpha+s.T+t))
			if useCache && len(cache) < maxCache {
				cache[k] = v
			}
		}
		dst[i] = Prediction{Customer: s.Customer, PAlive: pa, ExpectedPurchases: v * pa}
	}
}

// CLVConfig says how [CLV] discounts expected value over a horizon. It is a
// plain value.
type CLVConfig struct {
	// Periods is the number of periods in the horizon; at least 1.
	Periods int
	// PeriodLength is the length of one period in the model's time unit
	// (for a model fitted in weeks, 30.0/7 is a 30-day month). Positive.
	PeriodLength float64
	// DiscountRate is the discount rate per period (0.01 = 1 %); ≥ 0.
	DiscountRate float64
}

// DefaultCLVConfig returns twelve 30-day months at 1 % a month, for a model
// fitted in unit u.
func DefaultCLVConfig(u Unit) CLVConfig {
	return CLVConfig{Periods: 12, PeriodLength: 30 / u.Days(), DiscountRate: 0.01}
}

func (c CLVConfig) check() error {
	switch {
	case c.Periods < 1:
		return fmt.Errorf("clv: lifetime value: periods %d must be at least 1", c.Periods)
	case !(c.PeriodLength > 0) || math.IsInf(c.PeriodLength, 0):
		return fmt.Errorf("clv: lifetime value: period length %v must be finite and positive", c.PeriodLength)
	case !(c.DiscountRate >= 0) || math.IsInf(c.DiscountRate, 0):
		return fmt.Errorf("clv: lifetime value: discount rate %v must be finite and non-negative", c.DiscountRate)
	}
	return nil
}

// CLV returns a customer's discounted expected value over the horizon of
// cfg: the purchases the model expects in each period, valued at the
// Gamma-Gamma expected spend and discounted per period,
//
//	Σ_{k=1..K} (E[Y(kL)] − E[Y((k−1)L)]) · E[M | x, m̄] / (1+d)^k.
func CLV(m PurchaseModel, g GammaGamma, s Summary, cfg CLVConfig) (float64, error) {
	v, err := CLVAll(m, g, []Summary{s}, cfg)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// CLVAll returns [CLV] for every customer of data, in order, or an error
// for invalid models, config or a [*DataError] naming the first bad row.
func CLVAll(m PurchaseModel, g GammaGamma, data []Summary, cfg CLVConfig) (_ []float64, err error) {
	defer guard(&err, "lifetime value")
	if m == nil {
		return nil, errors.New("clv: lifetime value: nil purchase model")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if !(g.Q > 1) {
		return nil, fmt.Errorf("%w: gammagamma q=%v: the expected spend needs q > 1", ErrInvalidParams, g.Q)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := ValidateSummaries(data); err != nil {
		return nil, err
	}
	out := make([]float64, len(data))
	disc := make([]float64, cfg.Periods)
	for k := range disc {
		disc[k] = math.Pow(1+cfg.DiscountRate, -float64(k+1))
	}
	for i, s := range data {
		spend := g.ExpectedSpend(s)
		prev, v := 0.0, 0.0
		for k := range cfg.Periods {
			cur := m.ConditionalExpectedPurchases(s, float64(k+1)*cfg.PeriodLength)
			v += (cur - prev) * disc[k]
			prev = cur
		}
		out[i] = v * spend
	}
	return out, nil
}
