package campaign

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"

	"github.com/segkit/segkit/internal/textwidth"
	"gonum.org/v1/gonum/stat/distuv"
)

// MetricKind says how a metric is measured per customer.
type MetricKind uint8

const (
	// Rate is a yes/no metric per customer (clicked, converted): its
	// values are 0 or 1, compared as proportions (Newcombe interval,
	// pooled z-test).
	Rate MetricKind = iota
	// Mean is a numeric metric per customer (revenue, orders), including
	// the zeros of customers without any: compared as means (Welch's
	// interval and t-test, which do not assume equal variances).
	Mean
)

func (k MetricKind) String() string {
	if k == Mean {
		return "mean"
	}
	return "rate"
}

// Metric names one measured quantity of an experiment. It is a plain value.
type Metric struct {
	Name string
	Kind MetricKind
}

// Observation is one exposed customer's values, one per metric in the
// order of [Experiment.Metrics]. It is a plain value.
type Observation struct {
	Key    string
	Group  string // empty: filled in by Experiment.Assign
	Values []float64
}

// Experiment reads several metrics of one experiment in one run: every
// non-control group is compared with the control on every metric. It is a
// plain value; Run may be called concurrently as long as Assign may be.
//
// Correction across metrics: every p-value is adjusted by Holm's step-down
// method over all metric × group comparisons of the run together (Holm
// 1979), which controls the family-wise error rate at α whatever the
// dependence between the metrics (clicks and conversions are strongly
// dependent). Intervals are at the nominal level, not adjusted.
type Experiment struct {
	Control string
	Metrics []Metric
	// Assign, when set, gives the group of observations whose Group is
	// empty (for example [Splitter.Assign]).
	Assign func(key string) string
}

// MetricResults are the comparisons of an [Experiment]. Immutable once
// returned, safe for concurrent reads.
type MetricResults struct {
	Control   string
	Level     float64
	Customers int
	Groups    []string // control first, then the others by name
	Metrics   []MetricResult
}

// MetricResult is one metric in every group. It is a plain value.
type MetricResult struct {
	Metric Metric
	// Groups are the per-group summaries, in the order of
	// MetricResults.Groups.
	Groups []MetricSummary
	// Comparisons are the non-control groups against the control, in the
	// order of MetricResults.Groups (control excluded).
	Comparisons []Comparison
}

// MetricSummary is one group's figure for a metric: the rate or the mean
// of its customers, with its standard deviation.
type MetricSummary struct {
	Group    string
	N        int
	Estimate float64 // rate or mean
	SD       float64 // sample standard deviation (n − 1)
}

// Comparison is one group against the control on one metric.
type Comparison struct {
	Group string
	// Difference is group − control; Interval its interval (Newcombe for
	// rates, Welch for means).
	Difference float64
	Interval   Interval
	// Statistic is z (rates) or Welch's t (means) with DF degrees of
	// freedom (0 for z); P is two-sided; PHolm is P adjusted across all
	// metric × group comparisons of the run.
	Statistic float64
	DF        float64
	P, PHolm  float64
}

// Run reads the observations and compares every group with the control on
// every metric. A customer observed twice is an error, and so are values
// that are not finite, rate values other than 0 and 1, and an observation
// with a number of values different from the number of metrics.
func (x Experiment) Run(obs iter.Seq[Observation], level float64) (*MetricResults, error) {
	z, err := zFor(level)
	if err != nil {
		return nil, err
	}
	if x.Control == "" {
		return nil, fmt.Errorf("%w: the experiment names no control group", ErrNoControl)
	}
	if len(x.Metrics) == 0 {
		return nil, fmt.Errorf("%w: the experiment has no metrics", ErrConfig)
	}
	type acc struct {
		n        int
		sum, ssq []float64 // per metric; ssq about the running mean (Welford)
		mean     []float64
	}
	groups := map[string]*acc{}
	seen := map[string]bool{}
	nm := len(x.Metrics)
	for o := range obs {
		if o.Key == "" {
			return nil, fmt.Errorf("%w: an observation without a key", ErrOutcome)
		}
		if seen[o.Key] {
			return nil, fmt.Errorf("%w: customer %q observed twice", ErrOutcome, o.Key)
		}
		seen[o.Key] = true
		g := o.Group
		if g == "" && x.Assign != nil {
			g = x.Assign(o.Key)
		}
		if g == "" {
			return nil, fmt.Errorf("%w: customer %q has no group", ErrOutcome, o.Key)
		}
		if len(o.Values) != nm {
			return nil, fmt.Errorf("%w: customer %q has %d values for %d metrics", ErrOutcome, o.Key, len(o.Values), nm)
		}
		a := groups[g]
		if a == nil {
			a = &acc{sum: make([]float64, nm), ssq: make([]float64, nm), mean: make([]float64, nm)}
			groups[g] = a
		}
		a.n++
		for i, v := range o.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: customer %q: metric %q is %v", ErrOutcome, o.Key, x.Metrics[i].Name, v)
			}
			if x.Metrics[i].Kind == Rate && v != 0 && v != 1 {
				return nil, fmt.Errorf("%w: customer %q: rate metric %q is %v (want 0 or 1)", ErrOutcome, o.Key, x.Metrics[i].Name, v)
			}
			a.sum[i] += v
			d := v - a.mean[i]
			a.mean[i] += d / float64(a.n)
			a.ssq[i] += d * (v - a.mean[i])
		}
	}
	ctrl := groups[x.Control]
	if ctrl == nil {
		return nil, fmt.Errorf("%w: control group %q has no observations", ErrNoControl, x.Control)
	}
	r := &MetricResults{Control: x.Control, Level: level, Customers: len(seen), Groups: []string{x.Control}}
	var others []string
	for g := range groups {
		if g != x.Control {
			others = append(others, g)
		}
	}
	slices.Sort(others)
	r.Groups = append(r.Groups, others...)
	var ps []float64
	for i, m := range x.Metrics {
		mr := MetricResult{Metric: m}
		for _, g := range r.Groups {
			a := groups[g]
			sd := math.NaN()
			if a.n > 1 {
				sd = math.Sqrt(a.ssq[i] / float64(a.n-1))
			}
			mr.Groups = append(mr.Groups, MetricSummary{Group: g, N: a.n, Estimate: a.sum[i] / float64(a.n), SD: sd})
		}
		c := mr.Groups[0]
		for _, s := range mr.Groups[1:] {
			cmp := Comparison{Group: s.Group, Difference: s.Estimate - c.Estimate}
			if m.Kind == Rate {
				pa := Proportion{Successes: int(math.Round(groups[s.Group].sum[i])), Trials: s.N}
				pc := Proportion{Successes: int(math.Round(ctrl.sum[i])), Trials: c.N}
				cmp.Interval = newcombe(pa, pc, z)
				cmp.Statistic, cmp.P = ztest(pa, pc)
			} else {
				cmp.Interval, cmp.Statistic, cmp.DF, cmp.P = welch(s, c, level)
			}
			ps = append(ps, cmp.P)
			mr.Comparisons = append(mr.Comparisons, cmp)
		}
		r.Metrics = append(r.Metrics, mr)
	}
	adj := holm(ps)
	k := 0
	for i := range r.Metrics {
		for j := range r.Metrics[i].Comparisons {
			r.Metrics[i].Comparisons[j].PHolm = adj[k]
			k++
		}
	}
	return r, nil
}

// welch is Welch's two-sample t interval and test of mean(a) − mean(b):
// se = √(s₁²/n₁ + s₂²/n₂), with Welch–Satterthwaite degrees of freedom
// (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)). NaN when a
// group has fewer than two customers or both have no variance.
func welch(a, b MetricSummary, level float64) (Interval, float64, float64, float64) {
	if a.N < 2 || b.N < 2 {
		return nanInterval, math.NaN(), math.NaN(), math.NaN()
	}
	va, vb := a.SD*a.SD/float64(a.N), b.SD*b.SD/float64(b.N)
	se := math.Sqrt(va + vb)
	if se == 0 {
		return nanInterval, math.NaN(), math.NaN(), math.NaN()
	}
	df := (va + vb) * (va + vb) / (va*va/float64(a.N-1) + vb*vb/float64(b.N-1))
	d := a.Estimate - b.Estimate
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	q := t.Quantile(1 - (1-level)/2)
	return Interval{d - q*se, d + q*se}, d / se, df, 2 * t.Survival(math.Abs(d/se))
}

// WriteTo writes the results as a plain-text table: per metric and group
// the estimate, and against the control the difference with its interval,
// the statistic, P and the Holm-adjusted P.
func (r *MetricResults) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "experiment: control %q, %s customers, %s intervals; P adjusted by Holm over all %d metric × group comparisons\n",
		r.Control, thousands(r.Customers), pct(r.Level, 0), len(r.Metrics)*(len(r.Groups)-1))
	tw := textwidth.NewTabWriter(&buf, 2, false)
	fmt.Fprintln(tw, "metric\tgroup\tcustomers\testimate\tdifference\tinterval\tstatistic\tP\tP (Holm)\t")
	for _, m := range r.Metrics {
		for i, g := range m.Groups {
			est := pct(g.Estimate, 2)
			if m.Metric.Kind == Mean {
				est = fmt.Sprintf("%.2f", g.Estimate)
			}
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t(control)\t\t\t\t\t\n", m.Metric.Name, g.Group, thousands(g.N), est)
				continue
			}
			c := m.Comparisons[i-1]
			diff, ci := signedPct(c.Difference), ciPct(c.Interval)
			stat := fmt.Sprintf("z %.2f", c.Statistic)
			if m.Metric.Kind == Mean {
				diff = fmt.Sprintf("%+.2f", c.Difference)
				ci = "n/a"
				if c.Interval.Valid() {
					ci = fmt.Sprintf("[%+.2f, %+.2f]", c.Interval.Lo, c.Interval.Hi)
				}
				stat = fmt.Sprintf("t %.2f (df %.0f)", c.Statistic, c.DF)
			}
			fmt.Fprintf(tw, "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", g.Group, thousands(g.N), est, diff, ci, stat, pvalue(c.P), pvalue(c.PHolm))
		}
	}
	tw.Flush()
	return writeTrimmed(w, buf.Bytes())
}
