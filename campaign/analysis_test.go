package campaign

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	assert.Equal(t, string(want), string(got), "(-want +got); rerun with -update if the change is intended")
}

// outcomes builds a deterministic campaign: per group, n customers of whom
// conv convert, each converting customer worth value.
func outcomes(spec ...gspec) []Outcome {
	var out []Outcome
	for _, s := range spec {
		for i := range s.n {
			o := Outcome{Key: fmt.Sprintf("%s-%05d", s.group, i), Group: s.group, Converted: i < s.conv}
			if o.Converted {
				o.Value = s.value
			}
			out = append(out, o)
		}
	}
	return out
}

type gspec struct {
	group   string
	n, conv int
	value   float64
}

func TestAnalysisMatchesNaiveAndStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	groups := []string{"control", "A", "B", "C"}
	rates := []float64{0.05, 0.06, 0.05, 0.09}
	var outs []Outcome
	type agg struct {
		converted bool
		group     string
		value     float64
	}
	naive := map[string]*agg{}
	for i := range 20_000 {
		g := rng.IntN(len(groups))
		key := fmt.Sprintf("k%d", i)
		conv := rng.Float64() < rates[g]
		val := 0.0
		if conv {
			val = math.Round(rng.Float64()*10000) / 100
		}
		o := Outcome{Key: key, Group: groups[g], Converted: conv, Value: val}
		outs = append(outs, o)
		naive[key] = &agg{conv, groups[g], val}
		if rng.IntN(10) == 0 { // the same customer reported again
			extra := Outcome{Key: key, Group: groups[g], Converted: rng.IntN(3) == 0, Value: 1}
			outs = append(outs, extra)
			naive[key].converted = naive[key].converted || extra.Converted
			naive[key].value += 1
		}
	}
	rng.Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })

	res, err := Analysis{Control: "control"}.Run(slices.Values(outs), DefaultConfig())
	require.NoError(t, err)
	assert.Equal(t, len(naive), res.Customers)
	var names []string
	for _, g := range res.Groups {
		names = append(names, g.Name)
	}
	assert.Equal(t, []string{"control", "A", "B", "C"}, names, "control first, then by name")

	want := map[string]*tally{}
	for _, a := range naive {
		if want[a.group] == nil {
			want[a.group] = &tally{}
		}
		w := want[a.group]
		w.exposed++
		if a.converted {
			w.converted++
		}
		w.value += a.value
	}
	control, ok := res.Group("control")
	require.True(t, ok)
	var ps []float64
	for _, g := range res.Groups {
		w := want[g.Name]
		assert.Equal(t, w.exposed, g.Exposed, g.Name)
		assert.Equal(t, w.converted, g.Converted, g.Name)
		assert.InDelta(t, w.value, g.Value, 1e-6, g.Name)
		assert.InDelta(t, w.value/float64(w.exposed), g.ValuePerExposed, 1e-9, g.Name)
		assert.Equal(t, float64(w.converted)/float64(w.exposed), g.Rate)
		ci, err := Wilson(g.Proportion(), 0.95)
		require.NoError(t, err)
		assert.Equal(t, ci, g.RateCI)
		if g.Name == "control" {
			assert.Nil(t, g.Lift)
			continue
		}
		require.NotNil(t, g.Lift)
		d, _ := DiffInterval(g.Proportion(), control.Proportion(), 0.95)
		r, _ := RatioInterval(g.Proportion(), control.Proportion(), 0.95)
		z, p, _ := ZTest(g.Proportion(), control.Proportion())
		assert.InDelta(t, g.Rate-control.Rate, g.Lift.Absolute, 1e-15)
		assert.Equal(t, d, g.Lift.AbsoluteCI)
		assert.InDelta(t, g.Rate/control.Rate-1, g.Lift.Relative, 1e-12)
		assert.InDelta(t, r.Lo-1, g.Lift.RelativeCI.Lo, 1e-15)
		assert.InDelta(t, r.Hi-1, g.Lift.RelativeCI.Hi, 1e-15)
		assert.Equal(t, z, g.Lift.Z)
		assert.Equal(t, p, g.Lift.P)
		ps = append(ps, p)
	}
	adj := holm(ps)
	for i, g := range res.Groups[1:] {
		assert.Equal(t, adj[i], g.Lift.PHolm)
		assert.GreaterOrEqual(t, g.Lift.PHolm, g.Lift.P)
	}
	assert.Nil(t, res.SampleRatio)
	assert.Nil(t, res.Slices)
}

func TestAnalysisBadInput(t *testing.T) {
	ok := []Outcome{{Key: "a", Group: "control"}, {Key: "b", Group: "T", Converted: true}}
	tests := []struct {
		name string
		a    Analysis
		outs []Outcome
		cfg  Config
		want error
	}{
		{"no control named", Analysis{}, ok, DefaultConfig(), ErrNoControl},
		{"control not among outcomes", Analysis{Control: "holdout"}, ok, DefaultConfig(), ErrNoControl},
		{"control not among groups", Analysis{Control: "X", Groups: []Group{{"control", 0.5}, {"T", 0.5}}}, ok, DefaultConfig(), ErrNoControl},
		{"control without exposures", Analysis{Control: "control", Groups: []Group{{"control", 0.5}, {"T", 0.5}}},
			[]Outcome{{Key: "b", Group: "T"}}, DefaultConfig(), ErrNoControl},
		{"no outcomes", Analysis{Control: "control"}, nil, DefaultConfig(), ErrNoExposures},
		{"expected group without exposures", Analysis{Control: "control", Groups: []Group{{"control", 0.4}, {"T", 0.3}, {"U", 0.3}}},
			ok, DefaultConfig(), ErrNoExposures},
		{"bad ratios", Analysis{Control: "control", Groups: []Group{{"control", 0.4}, {"T", 0.4}}}, ok, DefaultConfig(), ErrRatio},
		{"duplicate group", Analysis{Control: "control", Groups: []Group{{"control", 0.5}, {"control", 0.5}}}, ok, DefaultConfig(), ErrGroupName},
		{"empty key", Analysis{Control: "control"}, []Outcome{{Key: "", Group: "control"}}, DefaultConfig(), ErrOutcome},
		{"no group", Analysis{Control: "control"}, []Outcome{{Key: "a"}}, DefaultConfig(), ErrOutcome},
		{"unexpected group", Analysis{Control: "control", Groups: []Group{{"control", 0.5}, {"T", 0.5}}},
			append(ok, Outcome{Key: "c", Group: "Z"}), DefaultConfig(), ErrOutcome},
		{"customer in two groups", Analysis{Control: "control"}, append(ok, Outcome{Key: "a", Group: "T"}), DefaultConfig(), ErrOutcome},
		{"NaN value", Analysis{Control: "control"}, append(ok, Outcome{Key: "c", Group: "T", Value: math.NaN()}), DefaultConfig(), ErrOutcome},
		{"infinite value", Analysis{Control: "control"}, append(ok, Outcome{Key: "c", Group: "T", Value: math.Inf(1)}), DefaultConfig(), ErrOutcome},
		{"level 1", Analysis{Control: "control"}, ok, Config{Level: 1}, ErrConfig},
		{"level NaN", Analysis{Control: "control"}, ok, Config{Level: math.NaN()}, ErrConfig},
		{"near duplicate above 1", Analysis{Control: "control"}, ok, Config{NearDuplicate: 2}, ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.a.Run(slices.Values(tc.outs), tc.cfg)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, res)
			assert.Regexp(t, "^campaign: ", err.Error())
		})
	}
}

func TestSplitterAnalysis(t *testing.T) {
	sp := MustSplitter("readout", Group{"holdout", 0.2}, Group{"A", 0.4}, Group{"B", 0.4})
	var outs []Outcome
	for i := range 5000 {
		k := keyOf(i)
		// The outcomes carry no group: the splitter assigns them.
		outs = append(outs, Outcome{Key: k, Converted: i%17 == 0})
	}
	res, err := sp.Analysis("holdout").Run(slices.Values(outs), DefaultConfig())
	require.NoError(t, err)
	require.Len(t, res.Groups, 3)
	assert.Equal(t, []string{"holdout", "A", "B"}, []string{res.Groups[0].Name, res.Groups[1].Name, res.Groups[2].Name})
	total := 0
	for _, g := range res.Groups {
		total += g.Exposed
		n := 0
		for _, o := range outs {
			if sp.Assign(o.Key) == g.Name {
				n++
			}
		}
		assert.Equal(t, n, g.Exposed)
	}
	assert.Equal(t, 5000, total)
	require.NotNil(t, res.SampleRatio)
	assert.Equal(t, 2, res.SampleRatio.DF)
	assert.Greater(t, res.SampleRatio.P, 0.001, "an unbiased split passes the ratio check")

	// Dropping most of A's exposures is a sample ratio mismatch.
	var biased []Outcome
	for i, o := range outs {
		if sp.Assign(o.Key) != "A" || i%2 == 0 {
			biased = append(biased, o)
		}
	}
	res, err = sp.Analysis("holdout").Run(slices.Values(biased), DefaultConfig())
	require.NoError(t, err)
	assert.Less(t, res.SampleRatio.P, 1e-6)
}

func TestAnalysisBreakdown(t *testing.T) {
	outs := outcomes(
		gspec{group: "control", n: 400, conv: 20},
		gspec{group: "T", n: 400, conv: 40},
	)
	// Labels: every customer with an index below 100 is "student", 100..299
	// "mother", the rest unlabelled, except that no control customer is a
	// "retiree" while 10 treated ones are.
	label := func(key string) (string, bool) {
		i, err := strconv.Atoi(key[len(key)-5:])
		require.NoError(t, err)
		switch {
		case strings.HasPrefix(key, "T-") && i >= 390:
			return "retiree", true
		case i < 100:
			return "student", true
		case i < 300:
			return "mother", true
		}
		return "", false
	}
	res, err := Analysis{Control: "control", Label: label}.Run(slices.Values(outs), DefaultConfig())
	require.NoError(t, err)
	var got []string
	for _, s := range res.Slices {
		got = append(got, fmt.Sprintf("%s/%v/%d", s.Label, s.Labeled, s.Results.Customers))
	}
	assert.Equal(t, []string{"mother/true/400", "retiree/true/10", "student/true/200", "/false/190"}, got)
	sum := 0
	for _, s := range res.Slices {
		sum += s.Results.Customers
		if s.Label == "retiree" {
			assert.ErrorIs(t, s.Err, ErrNoControl)
			require.Len(t, s.Results.Groups, 1)
			assert.Nil(t, s.Results.Groups[0].Lift)
			continue
		}
		require.NoError(t, s.Err)
		tg, ok := s.Results.Group("T")
		require.True(t, ok)
		require.NotNil(t, tg.Lift)
	}
	assert.Equal(t, res.Customers, sum, "the slices partition the customers")
	st := res.Slices[2].Results
	c, _ := st.Group("control")
	tr, _ := st.Group("T")
	assert.Equal(t, Proportion{20, 100}, c.Proportion(), "control students: indexes 0..99, the first 20 convert")
	assert.Equal(t, Proportion{40, 100}, tr.Proportion())
}

func TestResultsReportGolden(t *testing.T) {
	outs := outcomes(
		gspec{group: "holdout", n: 2000, conv: 60, value: 30},
		gspec{group: "A", n: 4000, conv: 168, value: 31.5},
		gspec{group: "B", n: 3900, conv: 121, value: 29},
	)
	a := Analysis{
		Control: "holdout",
		Groups:  []Group{{"holdout", 0.2}, {"A", 0.4}, {"B", 0.4}},
		Label: func(key string) (string, bool) {
			switch key[len(key)-1] {
			case '0', '1', '2':
				return "college student", true
			case '3', '4', '5', '6':
				return "young mother", true
			case '7', '8':
				return "office worker", true
			}
			return "", false
		},
	}
	res, err := a.Run(slices.Values(outs), DefaultConfig())
	require.NoError(t, err)
	var buf bytes.Buffer
	n, err := res.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	golden(t, "results.golden", buf.Bytes())

	// Without values and with a control that never converts.
	res, err = Analysis{Control: "control"}.Run(slices.Values(outcomes(
		gspec{group: "control", n: 50, conv: 0},
		gspec{group: "treatment", n: 50, conv: 3},
	)), Config{Level: 0.9})
	require.NoError(t, err)
	buf.Reset()
	_, err = res.WriteTo(&buf)
	require.NoError(t, err)
	golden(t, "results_zero_control.golden", buf.Bytes())
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 12: "12", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		assert.Equal(t, want, thousands(n))
	}
	assert.Equal(t, "+0.00", signed(-0.001, 2))
	assert.Equal(t, "-1.50", signed(-1.5, 2))
}
