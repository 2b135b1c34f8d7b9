package credit

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"

	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// Scaling turns log-odds into points, the standard scorecard scaling: a
// score of BaseScore at good:bad odds of BaseOdds, and PDO more points each
// time the odds double. Score = Offset + Factor × ln(odds), with Factor =
// PDO / ln 2 and Offset = BaseScore − Factor × ln(BaseOdds). It is a plain
// value.
type Scaling struct {
	BaseScore float64
	BaseOdds  float64
	PDO       float64
}

// DefaultScaling is 600 points at odds of 50:1 and 20 points to double the
// odds.
func DefaultScaling() Scaling { return Scaling{BaseScore: 600, BaseOdds: 50, PDO: 20} }

// Factor returns PDO / ln 2.
func (s Scaling) Factor() float64 { return s.PDO / math.Ln2 }

// Offset returns BaseScore − Factor × ln(BaseOdds).
func (s Scaling) Offset() float64 { return s.BaseScore - s.Factor()*math.Log(s.BaseOdds) }

// Score returns the score of good:bad odds.
func (s Scaling) Score(odds float64) float64 { return s.Offset() + s.Factor()*math.Log(odds) }

func (s Scaling) validate() error {
	if !(s.PDO > 0 && s.PDO < 1e6) || !(s.BaseOdds > 0 && s.BaseOdds < 1e12) || !(math.Abs(s.BaseScore) < 1e6) {
		return fmt.Errorf("credit: fit: scaling %+v needs PDO in (0, 1e6), odds in (0, 1e12) and a base score within ±1e6", s)
	}
	return nil
}

// FitConfig holds the settings of [Fit]. It is a plain value; start from
// [DefaultFitConfig].
type FitConfig struct {
	// Scaling of the fitted log-odds to points.
	Scaling Scaling
	// MaxIterations bounds the optimiser's major iterations; 0 means 500.
	MaxIterations int
}

// DefaultFitConfig returns the default scaling and iteration bound.
func DefaultFitConfig() FitConfig { return FitConfig{Scaling: DefaultScaling(), MaxIterations: 500} }

// Sample is a customer with a known outcome: Bad is true when the customer
// went on to default (or whatever outcome the scorecard predicts). It is a
// plain value.
type Sample struct {
	Customer Customer
	Bad      bool
}

// Fitted is the result of [Fit]: the scorecard with the learnt base and
// points, the weight of evidence of every bin, and the regression behind
// them. It is a plain value.
type Fitted struct {
	Scorecard Scorecard
	Stats     []CharacteristicStats
	// Intercept and Coefficients (one per characteristic, on its WoE) of
	// the logistic regression of P(bad); WoE measures goods over bads, so a
	// predictive characteristic gets a negative coefficient near −1.
	Intercept    float64
	Coefficients []float64
	// Samples and Bads count the outcomes; Cells the distinct combinations
	// of bins the regression ran on.
	Samples, Bads, Cells int
	Iterations           int
	// LogLik is the log-likelihood of the outcomes under the fit.
	LogLik float64
	// Warnings name characteristics whose coefficient has the wrong sign
	// (their points run against their evidence, usually because another
	// characteristic carries the same information).
	Warnings []string
}

// Fit learns the points of s from outcomes: it computes every
// characteristic of every sample as of now (the observation point, whose
// calendar day in the scorecard's zone ends the windows; the outcomes come
// after it), the weight of evidence of each bin,
// fits a logistic regression of the outcome on the WoE values with gonum's
// BFGS optimiser, and scales the result: Base = Offset − Factor × intercept,
// and a bin's points = −Factor × coefficient × WoE, rounded. The missing
// points of a characteristic come from the WoE of its samples without a
// value (0 when there are none). Characteristics declared monotonic have
// adjacent bins pooled until their WoE is monotonic, so that their points
// keep the declared order; a wrong-signed coefficient on such a
// characteristic is an error. The bins and bands of s are kept.
func Fit(s Scorecard, samples iter.Seq[Sample], now time.Time, cfg FitConfig) (*Fitted, error) {
	if err := cfg.Scaling.validate(); err != nil {
		return nil, err
	}
	m, err := Compile(s)
	if err != nil {
		return nil, err
	}
	asOf := m.tz.DayOf(now)
	n := len(m.chars)
	// Count goods and bads per bin (index 0 is missing, bin j is j+1) and
	// per distinct combination of bins.
	type cell struct{ goods, bads float64 }
	cells := map[string]*cell{}
	counts := make([][2][]float64, n)
	for i, c := range m.chars {
		counts[i] = [2][]float64{make([]float64, len(c.Bins)+1), make([]float64, len(c.Bins)+1)}
	}
	bins := make([]int, n)
	key := make([]byte, n)
	var total, totalBad int
	for smp := range samples {
		if err := m.bins(bins, nil, &smp.Customer, asOf); err != nil {
			return nil, err
		}
		cls := 0
		if smp.Bad {
			cls = 1
			totalBad++
		}
		total++
		for i, b := range bins {
			key[i] = byte(b + 1)
			counts[i][cls][b+1]++
		}
		c := cells[string(key)]
		if c == nil {
			c = &cell{}
			cells[string(key)] = c
		}
		if smp.Bad {
			c.bads++
		} else {
			c.goods++
		}
	}
	if totalBad == 0 || totalBad == total {
		return nil, ErrOneClass
	}
	G, B := float64(total-totalBad), float64(totalBad)
	f := &Fitted{Samples: total, Bads: totalBad, Cells: len(cells), Stats: make([]CharacteristicStats, n)}
	fitted := make([][]float64, n) // WoE used, index as counts
	for i := range m.chars {
		c := &m.chars[i]
		goods, bads := counts[i][0], counts[i][1]
		used := make([]float64, len(goods))
		used[0], _ = woeOf(goods[0], bads[0], G, B)
		if c.Monotonic != "" {
			copy(used[1:], pooledWoE(goods[1:], bads[1:], G, B, c.Monotonic == Increasing))
		} else {
			for j := 1; j < len(goods); j++ {
				used[j], _ = woeOf(goods[j], bads[j], G, B)
			}
		}
		fitted[i] = used
		st := CharacteristicStats{Characteristic: c.Name}
		for j := 1; j <= len(goods); j++ {
			k := j % len(goods) // bins first, missing last
			if k == 0 && goods[0]+bads[0] == 0 {
				continue
			}
			label := "missing"
			if k > 0 {
				label = c.Bins[k-1].Label()
			}
			w, iv := woeOf(goods[k], bads[k], G, B)
			st.Bins = append(st.Bins, BinStats{Bin: label, Goods: int(goods[k]), Bads: int(bads[k]), WoE: w, IV: iv, Fitted: used[k]})
			st.IV += iv
		}
		f.Stats[i] = st
	}

	// The regression runs on cells: each distinct combination of bins with
	// its counts of goods and bads.
	x := make([]float64, 0, len(cells)*n)
	wg := make([]float64, 0, len(cells))
	wb := make([]float64, 0, len(cells))
	// In key order, so that the same samples always give the same sums.
	for _, k := range slices.Sorted(maps.Keys(cells)) {
		c := cells[k]
		for i := range n {
			x = append(x, fitted[i][k[i]])
		}
		wg = append(wg, c.goods)
		wb = append(wb, c.bads)
	}
	beta0 := make([]float64, n+1)
	beta0[0] = math.Log(B / G)
	for i := 1; i <= n; i++ {
		beta0[i] = -1
	}
	beta, it, ll, err := logistic(x, wg, wb, n, beta0, cfg.MaxIterations)
	if err != nil {
		return nil, err
	}
	f.Intercept, f.Coefficients, f.Iterations, f.LogLik = beta[0], beta[1:], it, ll

	// Scale to points.
	factor, offset := cfg.Scaling.Factor(), cfg.Scaling.Offset()
	out := clone(s)
	base := offset - factor*f.Intercept
	if !(math.Abs(base) <= maxPoints) {
		return nil, fmt.Errorf("credit: fit: base score %v is out of range", base)
	}
	out.Base = int(math.Round(base))
	for i := range out.Characteristics {
		c := &out.Characteristics[i]
		bi := f.Coefficients[i]
		if bi > 0 {
			if c.Monotonic != "" {
				return nil, fmt.Errorf("credit: fit: characteristic %q is declared %s but its coefficient %.3g has the wrong sign; another characteristic probably carries the same information", c.Name, c.Monotonic, bi)
			}
			f.Warnings = append(f.Warnings, fmt.Sprintf("characteristic %q: coefficient %.3g has the wrong sign", c.Name, bi))
		}
		pts := func(w float64) (int, error) {
			p := -factor * bi * w
			if !(math.Abs(p) <= maxPoints) {
				return 0, fmt.Errorf("credit: fit: characteristic %q: points %v are out of range", c.Name, p)
			}
			return int(math.Round(p)), nil
		}
		if c.Missing, err = pts(fitted[i][0]); err != nil {
			return nil, err
		}
		for j := range c.Bins {
			if c.Bins[j].Points, err = pts(fitted[i][j+1]); err != nil {
				return nil, err
			}
		}
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("credit: fit: the fitted scorecard is invalid: %w", err)
	}
	f.Scorecard = out
	return f, nil
}

// logistic fits P(bad) = σ(β0 + Σ βj xj) by maximum likelihood over cells:
// row r of x (dim columns) was seen with wg[r] goods and wb[r] bads.
func logistic(x, wg, wb []float64, dim int, beta0 []float64, maxIter int) (beta []float64, iters int, loglik float64, err error) {
	if maxIter <= 0 {
		maxIter = 500
	}
	var total float64
	for r := range wg {
		total += wg[r] + wb[r]
	}
	nll := func(beta, grad []float64) float64 {
		if grad != nil {
			clear(grad)
		}
		var f float64
		for r := range wg {
			row := x[r*dim : (r+1)*dim]
			z := beta[0]
			for j, v := range row {
				z += beta[j+1] * v
			}
			// −log σ(z) = softplus(−z); −log(1−σ(z)) = softplus(z).
			f += wb[r]*softplus(-z) + wg[r]*softplus(z)
			if grad != nil {
				g := (wg[r]+wb[r])*sigmoid(z) - wb[r]
				grad[0] += g
				for j, v := range row {
					grad[j+1] += g * v
				}
			}
		}
		if grad != nil {
			floats.Scale(1/total, grad)
		}
		return f / total
	}
	prob := optimize.Problem{
		Func: func(b []float64) float64 { return nll(b, nil) },
		Grad: func(g, b []float64) { nll(b, g) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-15, Iterations: 20},
	}
	res, oerr := optimize.Minimize(prob, beta0, settings, &optimize.BFGS{})
	if res == nil {
		return nil, 0, 0, fmt.Errorf("credit: fit: optimiser: %w", oerr)
	}
	g := make([]float64, len(beta0))
	nll(res.X, g)
	if gn := floats.Norm(g, math.Inf(1)); !(gn <= 1e-6) {
		return nil, 0, 0, fmt.Errorf("credit: fit: the regression did not converge (%v, gradient %.3g after %d iterations)", res.Status, gn, res.MajorIterations)
	}
	for _, b := range res.X {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return nil, 0, 0, fmt.Errorf("credit: fit: the regression diverged")
		}
	}
	return res.X, res.MajorIterations, -res.F * total, nil
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus returns log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	if z < -30 {
		return math.Exp(z)
	}
	return math.Log1p(math.Exp(z))
}
