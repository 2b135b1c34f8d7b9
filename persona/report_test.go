package persona

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// naiveTraits recomputes the traits of a group from profiles.
func naiveTraits(profiles map[string]bitmapindex.Profile, group map[string]bool, attrs []string, cfg ReportConfig) []Lift {
	type key struct{ attr, value string }
	pop, in := map[key]int{}, map[key]int{}
	for k, p := range profiles {
		var ts []key
		if !cfg.NoTags {
			for tag := range p.Tags {
				ts = append(ts, key{"", tag})
			}
		}
		for _, a := range attrs {
			v, ok := p.Attrs[a]
			if !ok {
				continue
			}
			if s, ok := v.AsStrings(); ok {
				for _, x := range s {
					ts = append(ts, key{a, x})
				}
			} else if s, ok := v.AsString(); ok {
				ts = append(ts, key{a, s})
			} else if b, ok := v.AsBool(); ok {
				ts = append(ts, key{a, fmt.Sprint(b)})
			}
		}
		for _, t := range ts {
			pop[t]++
			if group[k] {
				in[t]++
			}
		}
	}
	var out []Lift
	for t, n := range in {
		share := float64(n) / float64(len(group))
		popShare := float64(pop[t]) / float64(len(profiles))
		if n >= cfg.MinCount && share >= cfg.MinShare && share/popShare > 1 {
			out = append(out, Lift{Attribute: t.attr, Value: t.value, Count: n, Share: share, PopulationShare: popShare, Lift: share / popShare})
		}
	}
	sortLifts(out)
	if len(out) > cfg.Top {
		out = out[:cfg.Top]
	}
	return out
}

func TestReportAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 1))
	for trial := range 4 {
		ix := randomIndex(t, rng, 400)
		v := ix.View()
		cat, err := Compile(randomDefinitions(rng), DefaultConfig())
		require.NoError(t, err)
		a, err := cat.Assign(context.Background(), v, testNow)
		require.NoError(t, err)
		cfg := DefaultReportConfig()
		cfg.MinCount = 3
		cfg.Top = 4
		if trial == 1 {
			cfg.Attributes = []string{"city"}
		}
		if trial == 2 {
			cfg.NoTags = true
		}
		r, err := a.Report(cfg)
		require.NoError(t, err)

		profiles := map[string]bitmapindex.Profile{}
		best := map[string]string{}
		eligible := map[string]map[string]bool{}
		for k := range v.All().Keys() {
			p, _ := v.Profile(k)
			profiles[k] = p
			ranks, err := cat.AssignProfile(p, testNow)
			require.NoError(t, err)
			if len(ranks) > 0 {
				best[k] = ranks[0].Persona
			}
			for _, s := range ranks {
				if eligible[s.Persona] == nil {
					eligible[s.Persona] = map[string]bool{}
				}
				eligible[s.Persona][k] = true
			}
		}
		assert.Equal(t, len(profiles), r.Customers)
		assert.Equal(t, len(best), r.Assigned)
		assert.Equal(t, len(profiles)-len(best), r.Unassigned)
		assert.InDelta(t, float64(len(best))/float64(len(profiles)), r.Coverage, 1e-12)
		attrs := cfg.Attributes
		if attrs == nil {
			attrs = []string{"city", "interests", "student"}
		}
		require.Equal(t, cat.Names(), func() []string {
			var ns []string
			for _, p := range r.Personas {
				ns = append(ns, p.Name)
			}
			return ns
		}())
		for _, pr := range r.Personas {
			group := map[string]bool{}
			for k, b := range best {
				if b == pr.Name {
					group[k] = true
				}
			}
			assert.Equal(t, len(group), pr.Members, pr.Name)
			assert.Equal(t, len(eligible[pr.Name]), pr.Eligible, pr.Name)
			if len(group) == 0 {
				assert.Empty(t, pr.Traits)
				continue
			}
			want := naiveTraits(profiles, group, attrs, cfg)
			require.Len(t, pr.Traits, len(want), "trial %d persona %s", trial, pr.Name)
			for i := range want {
				assert.Equal(t, want[i].String(), pr.Traits[i].String())
				assert.Equal(t, want[i].Count, pr.Traits[i].Count)
				assert.InDelta(t, want[i].Lift, pr.Traits[i].Lift, 1e-12)
			}
		}
		// overlaps, every pair with a non-empty intersection
		n := 0
		names := cat.Names()
		for i, a := range names {
			for _, b := range names[i+1:] {
				both, either := 0, 0
				for k := range profiles {
					ea, eb := eligible[a][k], eligible[b][k]
					if ea && eb {
						both++
					}
					if ea || eb {
						either++
					}
				}
				if both == 0 {
					continue
				}
				require.Less(t, n, len(r.Overlap))
				o := r.Overlap[n]
				n++
				assert.Equal(t, [2]string{a, b}, [2]string{o.A, o.B})
				assert.Equal(t, both, o.Both)
				assert.InDelta(t, float64(both)/float64(either), o.Jaccard, 1e-12)
			}
		}
		assert.Len(t, r.Overlap, n)
	}
}

func TestReportConfigErrors(t *testing.T) {
	ix := randomIndex(t, rand.New(rand.NewPCG(5, 5)), 40)
	v := ix.View()
	cat := MustCompile([]Definition{{Name: "p", Conditions: []Condition{{`has("vip")`, 1}}, MinScore: 1}}, DefaultConfig())
	a, err := cat.Assign(context.Background(), v, testNow)
	require.NoError(t, err)
	for name, cfg := range map[string]ReportConfig{
		"unknown attribute": {Top: 3, Attributes: []string{"nope"}},
		"numeric attribute": {Top: 3, Attributes: []string{"age"}},
		"negative top":      {Top: -1},
		"share above 1":     {Top: 1, MinShare: 2},
	} {
		_, err := a.Report(cfg)
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
	}
}

// goldenPopulation is a small hand-made population for the human-readable
// report.
func goldenPopulation(t *testing.T) (*bitmapindex.Index, []Definition) {
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "occupation", Kind: bitmapindex.KindCategory},
	}})
	require.NoError(t, err)
	b := ix.NewBatch()
	rng := rand.New(rand.NewPCG(2024, 6))
	for i := range 600 {
		key := fmt.Sprintf("u%03d", i)
		b.Add(key)
		switch i % 4 {
		case 0: // students
			b.Set(key, "age", bitmapindex.Int(int64(18+rng.IntN(6))))
			b.Set(key, "occupation", bitmapindex.Category("student"))
			b.AddTag(key, "undergrad")
			if rng.IntN(3) > 0 {
				b.AddTag(key, "job_seeking")
			}
			if rng.IntN(4) == 0 {
				b.Record(key, "job_fair", testNow.Add(-time.Duration(rng.IntN(20))*24*time.Hour), 0)
			}
			if rng.IntN(8) == 0 {
				b.AddTag(key, "mother")
				b.AddTag(key, "side_income")
			}
		case 1: // young mothers
			b.Set(key, "age", bitmapindex.Int(int64(25+rng.IntN(10))))
			b.Set(key, "occupation", bitmapindex.Category([]string{"homemaker", "part_time", "office"}[rng.IntN(3)]))
			b.AddTag(key, "mother")
			if rng.IntN(2) == 0 {
				b.AddTag(key, "side_income")
			}
		case 2: // office workers with a hobby
			b.Set(key, "age", bitmapindex.Int(int64(26+rng.IntN(20))))
			b.Set(key, "occupation", bitmapindex.Category("office"))
			b.AddTag(key, []string{"photography", "hiking", "baking"}[rng.IntN(3)])
			if rng.IntN(5) == 0 { // evening-class students
				b.AddTag(key, "undergrad")
				b.AddTag(key, "job_seeking")
			}
		default: // everyone else
			b.Set(key, "age", bitmapindex.Int(int64(30+rng.IntN(40))))
		}
		if rng.IntN(10) == 0 {
			b.AddTag(key, "vip")
		}
	}
	require.NoError(t, b.Commit())
	defs, err := ReadDefinitions(mustOpen(t, filepath.Join("testdata", "personas.json")))
	require.NoError(t, err)
	return ix, defs
}

func mustOpen(t *testing.T, path string) *os.File {
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReportGolden(t *testing.T) {
	ix, defs := goldenPopulation(t)
	cat, err := Compile(defs, DefaultConfig())
	require.NoError(t, err)
	a, err := cat.Assign(context.Background(), ix.View(), testNow)
	require.NoError(t, err)
	r, err := a.Report(DefaultReportConfig())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, r.WriteText(&buf))
	golden(t, "report.golden", buf.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff is a minimal line-by-line diff for golden failures.
func lineDiff(want, got string) string {
	w, g := splitLines(want), splitLines(got)
	var b bytes.Buffer
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

func splitLines(s string) []string {
	return slices.Collect(func(yield func(string) bool) {
		start := 0
		for i := range len(s) {
			if s[i] == '\n' {
				if !yield(s[start:i]) {
					return
				}
				start = i + 1
			}
		}
		if start < len(s) {
			yield(s[start:])
		}
	})
}
