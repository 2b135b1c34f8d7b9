package audience

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/synth"
)

var testNow = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)

var (
	popOnce sync.Once
	popView *bitmapindex.View
)

// population is a small synthetic population (the reference workload's
// shape at 4,000 customers).
func population(t testing.TB) *bitmapindex.View {
	popOnce.Do(func() {
		cfg := synth.Reference(4000)
		cfg.Tags = 60
		g, err := synth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Load(context.Background(), ix, synth.DefaultLoadConfig()); err != nil {
			t.Fatal(err)
		}
		popView = ix.View()
	})
	if popView == nil {
		t.Fatal("population not built")
	}
	return popView
}

func eval(t testing.TB, v *bitmapindex.View, rule string) bitmapindex.Set {
	t.Helper()
	s, err := segment.MustCompile(rule).Eval(context.Background(), v, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// naive is the reference: every figure from a loop over the members'
// profiles.
type naive struct {
	n      int
	traits map[string]int       // Trait.Name() → members with it
	values map[string][]float64 // numeric attribute → sorted values
	active map[string]int       // event/window → members active
	occ    map[string]int       // event/window → occurrences
}

func naiveOf(v *bitmapindex.View, s bitmapindex.Set, windows []int) naive {
	r := naive{traits: map[string]int{}, values: map[string][]float64{}, active: map[string]int{}, occ: map[string]int{}}
	today := segkit.DayOf(testNow, v.Location())
	for k := range s.Keys() {
		p, _ := v.Profile(k)
		r.n++
		for tag := range p.Tags {
			r.traits[Trait{Field: tag, Kind: "tag"}.Name()]++
		}
		for name, x := range p.Attrs {
			switch x.Kind() {
			case bitmapindex.KindCategory:
				c, _ := x.AsString()
				r.traits[Trait{Field: name, Kind: "category", Value: c}.Name()]++
			case bitmapindex.KindSet:
				vs, _ := x.AsStrings()
				for _, c := range vs {
					r.traits[Trait{Field: name, Kind: "set", Value: c}.Name()]++
				}
			case bitmapindex.KindBool:
				if b, _ := x.AsBool(); b {
					r.traits[Trait{Field: name, Kind: "bool", Value: "true"}.Name()]++
				}
			default:
				r.values[name] = append(r.values[name], number(x))
			}
		}
		for e, ats := range p.Events {
			for _, w := range windows {
				key := fmt.Sprintf("%s/%d", e, w)
				n := 0
				for _, at := range ats {
					if d := segkit.DayOf(at, v.Location()); d <= today && d > today.AddDays(-w) {
						n++
					}
				}
				r.occ[key] += n
				if n > 0 {
					r.active[key]++
				}
			}
		}
	}
	for _, vs := range r.values {
		slices.Sort(vs)
	}
	return r
}

func type7(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := float64(len(sorted)-1) * q
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[lo]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func meanSD(vs []float64) (float64, float64) {
	if len(vs) == 0 {
		return math.NaN(), math.NaN()
	}
	var s float64
	for _, x := range vs {
		s += x
	}
	m := s / float64(len(vs))
	var ss float64
	for _, x := range vs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(vs)))
}

// TestDescribeMatchesNaive checks every figure of a profile against a loop
// over the members, for segments inside the base and beside it.
func TestDescribeMatchesNaive(t *testing.T) {
	v := population(t)
	cases := []struct{ seg, base string }{
		{`occupation == "student"`, ``},
		{`age >= 40 && has("app_user")`, ``},
		{`didWithin("purchase", "90d")`, `!didWithin("purchase", "90d")`},
		{`"math" in interests || city == "Beijing"`, `age < 30`},
	}
	cfg := DefaultConfig()
	for _, c := range cases {
		t.Run(c.seg, func(t *testing.T) {
			seg := eval(t, v, c.seg)
			base := v.All()
			if c.base != "" {
				base = eval(t, v, c.base)
			}
			p, err := Describe(context.Background(), v, seg, base, testNow, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ns, nb := naiveOf(v, seg, cfg.Windows), naiveOf(v, base, cfg.Windows)
			if p.Segment != ns.n || p.Base != nb.n {
				t.Fatalf("sizes %d/%d, want %d/%d", p.Segment, p.Base, ns.n, nb.n)
			}
			seen := 0
			for _, tr := range p.Traits {
				name := tr.Name()
				if tr.InSegment != ns.traits[name] || tr.InBase != nb.traits[name] {
					t.Fatalf("%s: %d/%d, want %d/%d", name, tr.InSegment, tr.InBase, ns.traits[name], nb.traits[name])
				}
				ps, pb := float64(ns.traits[name])/float64(ns.n), float64(nb.traits[name])/float64(nb.n)
				if !near(tr.Segment, ps) || !near(tr.Base, pb) || !near(tr.StdDiff, stdDiffShares(ps, pb)) {
					t.Fatalf("%s: shares %v/%v", name, tr.Segment, tr.Base)
				}
				if pb > 0 && !near(tr.Lift, ps/pb) {
					t.Fatalf("%s: lift %v, want %v", name, tr.Lift, ps/pb)
				}
				if tr.LiftInterval.Valid() && !(tr.LiftInterval.Lo <= tr.Lift && tr.Lift <= tr.LiftInterval.Hi) {
					t.Fatalf("%s: lift %v outside %v", name, tr.Lift, tr.LiftInterval)
				}
				seen++
			}
			// every trait someone has appears
			union := map[string]bool{}
			for k := range ns.traits {
				union[k] = true
			}
			for k := range nb.traits {
				union[k] = true
			}
			if seen != len(union) {
				t.Fatalf("%d traits, want %d", seen, len(union))
			}
			for i := 1; i < len(p.Traits); i++ {
				if math.Abs(p.Traits[i].StdDiff) > math.Abs(p.Traits[i-1].StdDiff) {
					t.Fatalf("traits not sorted at %d", i)
				}
			}
			if len(p.Numbers) != 4 { // age, spend, signup_at, last_login_at
				t.Fatalf("%d numbers", len(p.Numbers))
			}
			for _, n := range p.Numbers {
				for j, d := range []Distribution{n.Segment, n.Base} {
					ref := [2]naive{ns, nb}[j]
					vs := ref.values[n.Field]
					m, sd := meanSD(vs)
					if d.N != len(vs) || !near(d.Mean, m) || !near(d.SD, sd) || !near(d.Missing, 1-float64(len(vs))/float64(ref.n)) {
						t.Fatalf("%s side %d: %+v, want n %d mean %v sd %v", n.Field, j, d, len(vs), m, sd)
					}
					for qi, q := range cfg.Quantiles {
						if !near(d.Quantiles[qi], type7(vs, q)) {
							t.Fatalf("%s side %d: q%v = %v, want %v", n.Field, j, q, d.Quantiles[qi], type7(vs, q))
						}
					}
					// bin counts
					want := make([]int, len(n.Edges)+1)
					for _, x := range vs {
						i, _ := slices.BinarySearch(n.Edges, x)
						if i < len(n.Edges) && n.Edges[i] == x {
							i++
						}
						want[i]++
					}
					if !slices.Equal(d.Counts, want) {
						t.Fatalf("%s side %d: counts %v, want %v (edges %v)", n.Field, j, d.Counts, want, n.Edges)
					}
				}
				if len(n.Edges) < 2 {
					t.Fatalf("%s: %d edges", n.Field, len(n.Edges))
				}
			}
			if len(p.Events) == 0 {
				t.Fatal("no events")
			}
			for _, e := range p.Events {
				for _, w := range e.Windows {
					key := fmt.Sprintf("%s/%d", e.Event, w.Days)
					if w.InSegment != ns.active[key] || w.InBase != nb.active[key] ||
						w.OccurrencesSegment != ns.occ[key] || w.OccurrencesBase != nb.occ[key] {
						t.Fatalf("%s: %+v, want active %d/%d occurrences %d/%d", key, w, ns.active[key], nb.active[key], ns.occ[key], nb.occ[key])
					}
				}
			}
		})
	}
}

func TestDescribeErrors(t *testing.T) {
	v := population(t)
	if _, err := Describe(context.Background(), v, bitmapindex.Set{}, v.All(), testNow, DefaultConfig()); err == nil {
		t.Fatal("empty segment: no error")
	}
	bad := DefaultConfig()
	bad.Bins = 0
	if _, err := Describe(context.Background(), v, v.All(), v.All(), testNow, bad); err == nil {
		t.Fatal("0 bins: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Describe(ctx, v, v.All(), v.All(), testNow, DefaultConfig()); err == nil {
		t.Fatal("cancelled: no error")
	}
}
