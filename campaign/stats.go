package campaign

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Proportion is a count of successes (conversions) out of trials (exposed
// customers). It is a plain comparable value; the zero Proportion has no
// trials and every statistic of it is an [ErrNoExposures] error.
type Proportion struct {
	Successes int
	Trials    int
}

// Rate returns Successes/Trials, or NaN when there are no trials.
func (p Proportion) Rate() float64 {
	if p.Trials <= 0 {
		return math.NaN()
	}
	return float64(p.Successes) / float64(p.Trials)
}

func (p Proportion) validate() error {
	if p.Trials <= 0 {
		return fmt.Errorf("%w: %d trials", ErrNoExposures, p.Trials)
	}
	if p.Successes < 0 || p.Successes > p.Trials {
		return fmt.Errorf("%w: %d successes out of %d trials", ErrOutcome, p.Successes, p.Trials)
	}
	return nil
}

// Interval is a confidence interval [Lo, Hi], a plain comparable value. An
// interval that cannot be computed (a ratio with a zero count) has NaN
// bounds; [Interval.Valid] tells.
type Interval struct {
	Lo, Hi float64
}

// Valid reports whether both bounds are numbers.
func (i Interval) Valid() bool { return !math.IsNaN(i.Lo) && !math.IsNaN(i.Hi) }

// Contains reports whether Lo ≤ x ≤ Hi.
func (i Interval) Contains(x float64) bool { return i.Lo <= x && x <= i.Hi }

func (i Interval) String() string {
	if !i.Valid() {
		return "[n/a]"
	}
	return fmt.Sprintf("[%.4f, %.4f]", i.Lo, i.Hi)
}

var nanInterval = Interval{math.NaN(), math.NaN()}

// zFor returns the two-sided normal critical value for a confidence level.
func zFor(level float64) (float64, error) {
	if !(level > 0 && level < 1) {
		return 0, fmt.Errorf("%w: confidence level %v is not in (0, 1)", ErrConfig, level)
	}
	return distuv.UnitNormal.Quantile(1 - (1-level)/2), nil
}

// Wilson returns the Wilson score interval for a proportion (Wilson 1927;
// method 3 of Newcombe, Statistics in Medicine 17:857–872, 1998), without
// continuity correction:
//
//	(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
//
// Unlike the Wald interval it stays inside [0, 1] and behaves well near 0
// and 1, which is where conversion rates live.
func Wilson(p Proportion, level float64) (Interval, error) {
	if err := p.validate(); err != nil {
		return Interval{}, err
	}
	z, err := zFor(level)
	if err != nil {
		return Interval{}, err
	}
	return wilson(p, z), nil
}

func wilson(p Proportion, z float64) Interval {
	n := float64(p.Trials)
	r := float64(p.Successes) / n
	z2 := z * z
	den := 1 + z2/n
	center := (r + z2/(2*n)) / den
	half := z / den * math.Sqrt(r*(1-r)/n+z2/(4*n*n))
	lo, hi := center-half, center+half
	// The bounds are exactly 0 and 1 at the extremes; keep rounding from
	// leaving them outside.
	if p.Successes == 0 {
		lo = 0
	}
	if p.Successes == p.Trials {
		hi = 1
	}
	return Interval{math.Max(0, lo), math.Min(1, hi)}
}

// DiffInterval returns a confidence interval for the difference of rates
// a − b by Newcombe's hybrid score method (method 10 of Newcombe, "Interval
// estimation for the difference between independent proportions: comparison
// of eleven methods", Statistics in Medicine 17:873–890, 1998), which
// combines the two Wilson intervals (l₁,u₁), (l₂,u₂):
//
//	Lo = d − √((p₁−l₁)² + (u₂−p₂)²),  Hi = d + √((u₁−p₁)² + (p₂−l₂)²)
//
// It is chosen over the Wald interval d ± z·SE because it keeps its coverage
// for small counts and rates near 0, and never leaves [−1, 1].
func DiffInterval(a, b Proportion, level float64) (Interval, error) {
	if err := a.validate(); err != nil {
		return Interval{}, err
	}
	if err := b.validate(); err != nil {
		return Interval{}, err
	}
	z, err := zFor(level)
	if err != nil {
		return Interval{}, err
	}
	return newcombe(a, b, z), nil
}

func newcombe(a, b Proportion, z float64) Interval {
	p1, p2 := a.Rate(), b.Rate()
	w1, w2 := wilson(a, z), wilson(b, z)
	d := p1 - p2
	return Interval{
		Lo: d - math.Hypot(p1-w1.Lo, w2.Hi-p2),
		Hi: d + math.Hypot(w1.Hi-p1, p2-w2.Lo),
	}
}

// RatioInterval returns a confidence interval for the rate ratio a/b by the
// log method of Katz et al. (1978), as given by Gardner & Altman,
// "Statistics with Confidence" (BMJ, 1989), ch. 7:
//
//	exp(ln(p₁/p₂) ± z·√(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂))
//
// Subtract 1 from both bounds for the relative lift. When either count of
// successes is zero the interval is undefined and has NaN bounds.
func RatioInterval(a, b Proportion, level float64) (Interval, error) {
	if err := a.validate(); err != nil {
		return Interval{}, err
	}
	if err := b.validate(); err != nil {
		return Interval{}, err
	}
	z, err := zFor(level)
	if err != nil {
		return Interval{}, err
	}
	return katz(a, b, z), nil
}

func katz(a, b Proportion, z float64) Interval {
	if a.Successes == 0 || b.Successes == 0 {
		return nanInterval
	}
	x1, n1 := float64(a.Successes), float64(a.Trials)
	x2, n2 := float64(b.Successes), float64(b.Trials)
	lr := math.Log((x1 / n1) / (x2 / n2))
	se := math.Sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)
	return Interval{math.Exp(lr - z*se), math.Exp(lr + z*se)}
}

// ZTest is the two-sided two-proportion z-test of H₀: the rates of a and b
// are equal, with the pooled standard error
//
//	z = (p₁ − p₂) / √(p(1−p)(1/n₁ + 1/n₂)),  p = (x₁+x₂)/(n₁+n₂)
//
// and P = 2·(1 − Φ(|z|)). z² equals Pearson's χ² for the 2×2 table (R's
// prop.test with correct = FALSE). When both groups convert all or none of
// their customers the test is degenerate: z is 0 and P is 1.
func ZTest(a, b Proportion) (z, p float64, err error) {
	if err := a.validate(); err != nil {
		return 0, 0, err
	}
	if err := b.validate(); err != nil {
		return 0, 0, err
	}
	z, p = ztest(a, b)
	return z, p, nil
}

func ztest(a, b Proportion) (z, p float64) {
	n1, n2 := float64(a.Trials), float64(b.Trials)
	pooled := float64(a.Successes+b.Successes) / (n1 + n2)
	se := math.Sqrt(pooled * (1 - pooled) * (1/n1 + 1/n2))
	if se == 0 {
		return 0, 1
	}
	z = (a.Rate() - b.Rate()) / se
	return z, 2 * distuv.UnitNormal.Survival(math.Abs(z))
}

// holm returns Holm's step-down adjustment of p-values (Holm 1979): sorted
// ascending, p₍ᵢ₎ is multiplied by m−i+1, made monotone and capped at 1.
// NaN entries are skipped and stay NaN.
func holm(ps []float64) []float64 {
	type ip struct {
		i int
		p float64
	}
	var s []ip
	for i, p := range ps {
		if !math.IsNaN(p) {
			s = append(s, ip{i, p})
		}
	}
	// insertion sort: the number of groups is small, and it is stable
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].p < s[j-1].p; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	out := make([]float64, len(ps))
	for i := range out {
		out[i] = math.NaN()
	}
	m := len(s)
	running := 0.0
	for k, e := range s {
		adj := math.Min(1, float64(m-k)*e.p)
		running = math.Max(running, adj)
		out[e.i] = running
	}
	return out
}

// chiSquareGOF is Pearson's goodness-of-fit test of observed counts against
// expected shares (which sum to 1); cells with a zero share are skipped and
// must be empty, otherwise the statistic is +Inf and P is 0.
func chiSquareGOF(observed []int, shares []float64) (stat float64, df int, p float64) {
	total := 0
	for _, o := range observed {
		total += o
	}
	cells := 0
	for i, o := range observed {
		if shares[i] == 0 {
			if o > 0 {
				return math.Inf(1), len(observed) - 1, 0
			}
			continue
		}
		cells++
		e := shares[i] * float64(total)
		d := float64(o) - e
		stat += d * d / e
	}
	df = cells - 1
	if df < 1 || total == 0 {
		return 0, df, 1
	}
	return stat, df, distuv.ChiSquared{K: float64(df)}.Survival(stat)
}
