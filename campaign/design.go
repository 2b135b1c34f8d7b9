package campaign

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Design is a two-group conversion experiment planned before sending: a
// control group (the holdout or the current message) with a known baseline
// rate and a treatment group whose rate should differ by at least MDE. It
// is a plain value.
//
// Sample sizes come from the normal approximation for comparing two
// independent proportions with a two-sided test, pooled variance under
// the null hypothesis (Fleiss, Levin & Paik, "Statistical Methods for Rates
// and Proportions", 3rd ed. 2003, §4.2, eq. 4.14 and 4.19), for a control
// group of n₁ and a treatment group of n₂ = k·n₁:
//
//	n₁ = (z₁₋α/₂·√(p̄q̄(1 + 1/k)) + z₁₋β·√(p₁q₁ + p₂q₂/k))² / (p₂ − p₁)²
//	p̄ = (p₁ + k·p₂)/(1 + k),  q = 1 − p
//
// and with Fleiss's continuity correction
//
//	n₁′ = n₁/4 · (1 + √(1 + 2(k + 1)/(k·n₁·|p₂ − p₁|)))²
//
// rounded up. For a baseline of 10%, +2 points, α 0.05 and power 0.8 in
// equal groups this is 3,841 per group (3,941 with the correction), the
// figure of the published tables; the package's tests also check the power
// by simulation.
type Design struct {
	// Baseline is the control group's expected conversion rate, in (0, 1).
	Baseline float64
	// MDE is the minimum detectable effect: the smallest absolute
	// difference of rates (treatment − control, e.g. 0.02 for +2 points)
	// the test should detect. Negative values plan for a decrease. The
	// treatment rate Baseline + MDE must be in (0, 1). Ignored by
	// [Design.DetectableEffect].
	MDE float64
	// Alpha is the two-sided significance level, in (0, 1). Zero means 0.05.
	Alpha float64
	// Power is the probability of detecting an effect of MDE, in (0, 1).
	// Zero means 0.8.
	Power float64
	// Ratio is the size of the treatment group per control customer (k):
	// 1 for equal groups, 9 for a 10% holdout as the control. Zero means 1.
	Ratio float64
	// ContinuityCorrection applies Fleiss's correction, which matches the
	// exact (Fisher) test more closely and asks for a few percent more.
	ContinuityCorrection bool
}

// SampleSize is what a [Design] needs: the size of each group and their
// total. It is a plain value.
type SampleSize struct {
	Control   int
	Treatment int
	Total     int
}

func (d Design) alpha() float64 {
	if d.Alpha == 0 {
		return 0.05
	}
	return d.Alpha
}

func (d Design) power() float64 {
	if d.Power == 0 {
		return 0.8
	}
	return d.Power
}

func (d Design) ratio() float64 {
	if d.Ratio == 0 {
		return 1
	}
	return d.Ratio
}

func (d Design) validate(needMDE bool) error {
	open01 := func(x float64) bool { return x > 0 && x < 1 }
	switch {
	case !open01(d.Baseline):
		return fmt.Errorf("%w: baseline rate %v is not in (0, 1)", ErrConfig, d.Baseline)
	case !open01(d.alpha()):
		return fmt.Errorf("%w: alpha %v is not in (0, 1)", ErrConfig, d.Alpha)
	case !open01(d.power()):
		return fmt.Errorf("%w: power %v is not in (0, 1)", ErrConfig, d.Power)
	case !(d.ratio() > 0) || math.IsInf(d.ratio(), 0):
		return fmt.Errorf("%w: group ratio %v is not a positive number", ErrConfig, d.Ratio)
	}
	if needMDE {
		if d.MDE == 0 || math.IsNaN(d.MDE) {
			return fmt.Errorf("%w: minimum detectable effect %v (want a non-zero difference of rates)", ErrConfig, d.MDE)
		}
		if !open01(d.Baseline + d.MDE) {
			return fmt.Errorf("%w: baseline %v + effect %v = %v is not a rate in (0, 1)", ErrConfig, d.Baseline, d.MDE, d.Baseline+d.MDE)
		}
	}
	return nil
}

// controlSize is n₁ (not rounded) for an effect delta.
func (d Design) controlSize(delta float64) float64 {
	p1, p2, k := d.Baseline, d.Baseline+delta, d.ratio()
	za := distuv.UnitNormal.Quantile(1 - d.alpha()/2)
	zb := distuv.UnitNormal.Quantile(d.power())
	pbar := (p1 + k*p2) / (1 + k)
	a := za * math.Sqrt(pbar*(1-pbar)*(1+1/k))
	b := zb * math.Sqrt(p1*(1-p1)+p2*(1-p2)/k)
	n := (a + b) * (a + b) / (delta * delta)
	if d.ContinuityCorrection {
		s := 1 + math.Sqrt(1+2*(k+1)/(k*n*math.Abs(delta)))
		n = n / 4 * s * s
	}
	return n
}

// SampleSize returns the group sizes the design needs: the control group
// rounded up, the treatment group Ratio times it (rounded up).
func (d Design) SampleSize() (SampleSize, error) {
	if err := d.validate(true); err != nil {
		return SampleSize{}, err
	}
	n1 := math.Ceil(d.controlSize(d.MDE) - 1e-9)
	n2 := math.Ceil(n1*d.ratio() - 1e-9)
	if n1+n2 > math.MaxInt32 {
		return SampleSize{}, fmt.Errorf("%w: effect %v needs more than %d customers", ErrConfig, d.MDE, math.MaxInt32)
	}
	return SampleSize{Control: int(n1), Treatment: int(n2), Total: int(n1 + n2)}, nil
}

// DetectableEffect returns the smallest increase of the rate (a positive
// absolute difference) that a test of total customers, split by Ratio,
// detects with the design's power: the inverse of [Design.SampleSize],
// solved by bisection. MDE is ignored. It is an error when even the
// largest possible increase (to a rate of 1) is not detectable.
func (d Design) DetectableEffect(total int) (float64, error) {
	if err := d.validate(false); err != nil {
		return 0, err
	}
	if total < 2 {
		return 0, fmt.Errorf("%w: %d customers cannot form two groups", ErrConfig, total)
	}
	n1 := float64(total) / (1 + d.ratio())
	lo, hi := 0.0, 1-d.Baseline
	if d.controlSize(hi*(1-1e-9)) > n1 {
		return 0, fmt.Errorf("%w: %d customers cannot detect any increase of a %v rate", ErrConfig, total, d.Baseline)
	}
	for range 100 { // to the precision of a float64
		mid := (lo + hi) / 2
		if d.controlSize(mid) > n1 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// PowerFor returns the power of the design's two-sided test to detect an
// effect of MDE with the given group sizes, from the same normal
// approximation (without continuity correction): Φ((|Δ|·√n₁ −
// z₁₋α/₂·√(p̄q̄(1 + 1/k))) / √(p₁q₁ + p₂q₂/k)), with k = treatment/control.
func (d Design) PowerFor(control, treatment int) (float64, error) {
	if err := d.validate(true); err != nil {
		return 0, err
	}
	if control < 1 || treatment < 1 {
		return 0, fmt.Errorf("%w: groups of %d and %d customers", ErrConfig, control, treatment)
	}
	p1, p2 := d.Baseline, d.Baseline+d.MDE
	k := float64(treatment) / float64(control)
	za := distuv.UnitNormal.Quantile(1 - d.alpha()/2)
	pbar := (p1 + k*p2) / (1 + k)
	num := math.Abs(d.MDE)*math.Sqrt(float64(control)) - za*math.Sqrt(pbar*(1-pbar)*(1+1/k))
	return distuv.UnitNormal.CDF(num / math.Sqrt(p1*(1-p1)+p2*(1-p2)/k)), nil
}
