package campaign

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func observations(obs []Observation) iter.Seq[Observation] { return slices.Values(obs) }

// TestWelchPublished reproduces R's t.test(extra ~ group, data = sleep)
// (Student's sleep data, Welch's test, the default of t.test):
// t = −1.8608, df = 17.776, p = 0.07939, 95% CI −3.3654832 … 0.2054832.
func TestWelchPublished(t *testing.T) {
	g1 := []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	g2 := []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	var obs []Observation
	for i, v := range g1 {
		obs = append(obs, Observation{Key: fmt.Sprint("a", i), Group: "one", Values: []float64{v}})
	}
	for i, v := range g2 {
		obs = append(obs, Observation{Key: fmt.Sprint("b", i), Group: "two", Values: []float64{v}})
	}
	r, err := Experiment{Control: "two", Metrics: []Metric{{"extra", Mean}}}.Run(observations(obs), 0.95)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Metrics[0].Comparisons[0]
	for _, x := range []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"t", c.Statistic, -1.8608, 1e-4},
		{"df", c.DF, 17.776, 1e-3},
		{"p", c.P, 0.07939, 1e-5},
		{"lo", c.Interval.Lo, -3.3654832, 1e-6},
		{"hi", c.Interval.Hi, 0.2054832, 1e-6},
	} {
		if math.Abs(x.got-x.want) > x.tol {
			t.Errorf("%s = %v, want %v", x.name, x.got, x.want)
		}
	}
}

// TestExperimentMatchesAnalysis checks the rate metrics against
// Analysis.Run on the same outcomes, the means against a naive
// computation, and the Holm adjustment over all comparisons.
func TestExperimentMatchesAnalysis(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	var obs []Observation
	var outs []Outcome
	rates := map[string][2]float64{"control": {0.2, 0.05}, "A": {0.25, 0.06}, "B": {0.21, 0.08}}
	for i := range 6000 {
		g := []string{"control", "A", "B"}[i%3]
		clicked := r.Float64() < rates[g][0]
		converted := clicked && r.Float64() < rates[g][1]/rates[g][0]
		revenue := 0.0
		if converted {
			revenue = math.Round(r.ExpFloat64()*8000) / 100
		}
		b := func(x bool) float64 {
			if x {
				return 1
			}
			return 0
		}
		k := fmt.Sprintf("c%d", i)
		obs = append(obs, Observation{Key: k, Group: g, Values: []float64{b(clicked), b(converted), revenue}})
		outs = append(outs, Outcome{Key: k, Group: g, Converted: converted, Value: revenue})
	}
	x := Experiment{Control: "control", Metrics: []Metric{{"clicks", Rate}, {"conversions", Rate}, {"revenue", Mean}}}
	res, err := x.Run(observations(obs), 0.95)
	if err != nil {
		t.Fatal(err)
	}
	ana, err := Analysis{Control: "control"}.Run(slices.Values(outs), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	conv := res.Metrics[1]
	for _, c := range conv.Comparisons {
		g, _ := ana.Group(c.Group)
		if c.Difference != g.Lift.Absolute || c.Interval != g.Lift.AbsoluteCI || c.P != g.Lift.P {
			t.Errorf("%s: conversions %+v, Analysis says %+v", c.Group, c, *g.Lift)
		}
	}
	// means and Welch against a direct computation
	rev := res.Metrics[2]
	vals := map[string][]float64{}
	for _, o := range obs {
		vals[o.Group] = append(vals[o.Group], o.Values[2])
	}
	for _, s := range rev.Groups {
		m, sd := meanSD(vals[s.Group])
		if math.Abs(s.Estimate-m) > 1e-9 || math.Abs(s.SD-sd) > 1e-9 {
			t.Errorf("%s: mean %v sd %v, want %v %v", s.Group, s.Estimate, s.SD, m, sd)
		}
	}
	// Holm over all six comparisons
	var ps []float64
	for _, m := range res.Metrics {
		for _, c := range m.Comparisons {
			ps = append(ps, c.P)
		}
	}
	want := naiveHolm(ps)
	k := 0
	for _, m := range res.Metrics {
		for _, c := range m.Comparisons {
			if math.Abs(c.PHolm-want[k]) > 1e-12 {
				t.Errorf("%s/%s: Holm %v, want %v", m.Metric.Name, c.Group, c.PHolm, want[k])
			}
			k++
		}
	}
	var buf bytes.Buffer
	if _, err := res.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "metrics.txt")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(golden, buf.Bytes()) {
		t.Errorf("report differs from %s:\n%s", path, buf.String())
	}
}

func meanSD(xs []float64) (float64, float64) {
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

// naiveHolm: for each p, the max over the sorted prefix of (m−i)·p₍ᵢ₎.
func naiveHolm(ps []float64) []float64 {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	out := make([]float64, len(ps))
	for rank, i := range idx {
		best := 0.0
		for r := 0; r <= rank; r++ {
			best = math.Max(best, math.Min(1, float64(len(ps)-r)*ps[idx[r]]))
		}
		out[i] = best
	}
	return out
}

func TestExperimentErrors(t *testing.T) {
	x := Experiment{Control: "c", Metrics: []Metric{{"clicks", Rate}}}
	for name, obs := range map[string][]Observation{
		"twice":      {{Key: "a", Group: "c", Values: []float64{1}}, {Key: "a", Group: "c", Values: []float64{0}}},
		"not 0/1":    {{Key: "a", Group: "c", Values: []float64{2}}},
		"NaN":        {{Key: "a", Group: "c", Values: []float64{math.NaN()}}},
		"arity":      {{Key: "a", Group: "c", Values: []float64{1, 2}}},
		"no group":   {{Key: "a", Values: []float64{1}}},
		"no control": {{Key: "a", Group: "t", Values: []float64{1}}},
	} {
		if _, err := x.Run(observations(obs), 0.95); !errors.Is(err, ErrOutcome) && !errors.Is(err, ErrNoControl) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
