package rfm

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScore(t *testing.T) {
	s := Score{3, 4, 3}
	assert.Equal(t, "343", s.String())
	assert.Equal(t, 343, s.Int())
	assert.True(t, s.IsValid())
	assert.False(t, Score{}.IsValid())
	assert.Equal(t, "000", Score{}.String())
	assert.Equal(t, "10-1-1", Score{10, 1, 1}.String())
	got, err := ParseScore("555")
	require.NoError(t, err)
	assert.Equal(t, Score{5, 5, 5}, got)
	for _, bad := range []string{"", "55", "5555", "055", "5a5", "９９９"} {
		_, err := ParseScore(bad)
		assert.Error(t, err, bad)
	}
	b, err := json.Marshal(map[Score]int{{1, 2, 3}: 1})
	require.NoError(t, err)
	assert.JSONEq(t, `{"123":1}`, string(b))
	_, err = Score{}.MarshalText()
	assert.Error(t, err)
}

func TestPresets(t *testing.T) {
	assert.Equal(t, []string{"cn8", "quadrant", "rfm10"}, PresetNames())
	_, err := Preset("rfm12")
	require.EqualError(t, err, `rfm: unknown preset scheme "rfm12" (known: cn8, quadrant, rfm10)`)

	rfm10 := mustPreset(t, "rfm10")
	assert.Equal(t, 5, rfm10.Bins())
	tests := []struct {
		scheme string
		score  Score
		want   string
	}{
		{"rfm10", Score{5, 5, 5}, "Champions"},
		{"rfm10", Score{3, 4, 3}, "Potential Loyalist"},
		{"rfm10", Score{5, 5, 4}, "Potential Loyalist"}, // first match: before New Customers
		{"rfm10", Score{2, 2, 2}, "Loyal Customers"},
		{"rfm10", Score{4, 1, 3}, "Promising"},
		{"rfm10", Score{5, 1, 1}, "New Customers"},
		{"rfm10", Score{2, 3, 5}, "Can't Lose Them"},
		{"rfm10", Score{1, 5, 5}, "At Risk"},
		{"rfm10", Score{1, 3, 3}, "Need Attention"},
		{"rfm10", Score{3, 1, 1}, "About To Sleep"},
		{"rfm10", Score{1, 1, 1}, "Lost"},
		{"rfm10", Score{2, 1, 5}, "Others"},
		{"cn8", Score{2, 2, 2}, "重要价值客户"},
		{"cn8", Score{2, 1, 2}, "重要发展客户"},
		{"cn8", Score{1, 2, 2}, "重要保持客户"},
		{"cn8", Score{1, 1, 2}, "重要挽留客户"},
		{"cn8", Score{2, 2, 1}, "一般价值客户"},
		{"cn8", Score{1, 1, 1}, "一般挽留客户"},
		{"quadrant", Score{1, 2, 2}, "High Frequency, High AOV"},
		{"quadrant", Score{2, 1, 2}, "Low Frequency, High AOV"},
		{"quadrant", Score{2, 2, 1}, "High Frequency, Low AOV"},
		{"quadrant", Score{1, 1, 1}, "Low Frequency, Low AOV"},
	}
	for _, tc := range tests {
		t.Run(tc.scheme+"/"+tc.score.String(), func(t *testing.T) {
			got, ok := mustPreset(t, tc.scheme).Assign(tc.score)
			require.True(t, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	cn8 := mustPreset(t, "cn8")
	assert.Equal(t, "Important Value", cn8.Alias("重要价值客户"))
	assert.Equal(t, "General Win-back", cn8.Alias("一般挽留客户"))
	assert.Len(t, cn8.Segments(), 8, "cn8 covers every 2-bin cell: no catch-all")
	_, ok := cn8.Assign(Score{3, 1, 1})
	assert.False(t, ok, "score outside the scheme's bins")
	assert.Equal(t, []Score{{5, 5, 5}}, rfm10.Cells("Champions"))
	// A preset is shared: callers get the same immutable value.
	assert.Same(t, rfm10, mustPreset(t, "rfm10"))
}

func TestSchemeForms(t *testing.T) {
	def := SchemeDef{Name: "forms", Bins: 5, Default: "rest", DefaultAlias: "其他", Rules: []Rule{
		{Name: "top", Pattern: "5[4-5]*"},
		{Name: "cells", Cells: []Score{{1, 1, 1}, {1, 1, 2}}},
		{Name: "range", R: Range{3, 4}},
		{Name: "top", Alias: "最佳", Pattern: "[12]5?"}, // a name may own several rules
	}}
	s, err := NewScheme(def)
	require.NoError(t, err)
	tests := []struct {
		score string
		want  string
	}{
		{"553", "top"}, {"541", "top"}, {"531", "rest"}, {"111", "cells"}, {"112", "cells"}, {"113", "rest"},
		{"311", "range"}, {"455", "range"}, {"153", "top"}, {"251", "top"}, {"241", "rest"},
	}
	for _, tc := range tests {
		sc, _ := ParseScore(tc.score)
		got, _ := s.Assign(sc)
		assert.Equal(t, tc.want, got, tc.score)
	}
	assert.Equal(t, []string{"top", "cells", "range", "rest"}, s.Segments())
	assert.Equal(t, "最佳", s.Alias("top"))
	assert.Equal(t, "其他", s.Alias("rest"))
	// Def returns a copy: editing it does not change the scheme.
	d := s.Def()
	d.Rules[1].Cells[0] = Score{5, 5, 5}
	got, _ := s.Assign(Score{1, 1, 1})
	assert.Equal(t, "cells", got)
}

func TestSchemeErrors(t *testing.T) {
	rule := func(name string, r, f, m Range) Rule { return Rule{Name: name, R: r, F: f, M: m} }
	tests := []struct {
		name string
		def  SchemeDef
		want string
	}{
		{"no rules", SchemeDef{Name: "x"}, `rfm: scheme "x": no rules`},
		{"bins", SchemeDef{Name: "x", Bins: 10, Rules: []Rule{{Name: "a"}}}, `rfm: scheme "x": bins 10 out of range 2..9`},
		{"empty name", SchemeDef{Name: "x", Rules: []Rule{{R: Range{1, 2}}}}, `rfm: scheme "x" rule 1: empty segment name`},
		{"range out of bins", SchemeDef{Name: "x", Rules: []Rule{rule("a", Range{1, 6}, Range{}, Range{})}},
			`rfm: scheme "x" rule 1 ("a"): R range [1, 6] is not within 1..5 with low ≤ high`},
		{"range reversed", SchemeDef{Name: "x", Rules: []Rule{rule("a", Range{}, Range{4, 2}, Range{})}},
			`rfm: scheme "x" rule 1 ("a"): F range [4, 2] is not within 1..5 with low ≤ high`},
		{"range zero low", SchemeDef{Name: "x", Rules: []Rule{rule("a", Range{}, Range{}, Range{0, 3})}},
			`rfm: scheme "x" rule 1 ("a"): M range [0, 3] is not within 1..5 with low ≤ high`},
		{"shadowed", SchemeDef{Name: "x", Rules: []Rule{
			rule("Loyal", Range{2, 5}, Range{2, 5}, Range{2, 5}),
			rule("Champions", Range{5, 5}, Range{5, 5}, Range{5, 5}),
		}}, `rfm: scheme "x" rule 2 ("Champions"): unreachable: every cell it matches is taken by earlier rules (e.g. 555 by rule 1 "Loyal")`},
		{"shadowed by several", SchemeDef{Name: "x", Rules: []Rule{
			rule("a", Range{1, 2}, Range{}, Range{}),
			rule("b", Range{3, 5}, Range{}, Range{}),
			rule("c", Range{2, 3}, Range{}, Range{}),
		}}, `rfm: scheme "x" rule 3 ("c"): unreachable: every cell it matches is taken by earlier rules (e.g. 211 by rule 1 "a")`},
		{"catch-all rule then more", SchemeDef{Name: "x", Rules: []Rule{{Name: "all"}, {Name: "late", Pattern: "5**"}}},
			`rfm: scheme "x" rule 2 ("late"): unreachable`},
		{"mixed forms", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", R: Range{5, 5}, Pattern: "5**"}}},
			`rfm: scheme "x" rule 1 ("a"): mixes forms: give ranges, a pattern or cells, not several`},
		{"duplicate cell", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Cells: []Score{{5, 5, 5}, {5, 5, 5}}}}},
			`rfm: scheme "x" rule 1 ("a"): cell 555 listed twice`},
		{"cell out of bins", SchemeDef{Name: "x", Bins: 2, Rules: []Rule{{Name: "a", Cells: []Score{{3, 1, 1}}}}},
			`rfm: scheme "x" rule 1 ("a"): cell 311: R score 3 out of range 1..2`},
		{"alias conflict", SchemeDef{Name: "x", Rules: []Rule{
			{Name: "a", Alias: "甲", Pattern: "5**"}, {Name: "a", Alias: "乙", Pattern: "4**"},
		}}, `rfm: scheme "x" rule 2 ("a"): alias "乙" differs from alias "甲" given earlier for the same name`},
		{"pattern short", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "55"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "55": 2 positions, want 3 (R, F, M)`},
		{"pattern long", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "5555"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "5555": trailing "5" after three positions`},
		{"pattern out of bins", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "*6*"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "*6*": F score 6 out of range 1..5`},
		{"pattern bad char", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "5x5"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "5x5": 'x', want a digit 1-9, '*', '?' or a [class]`},
		{"pattern unclosed", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "5[45"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "5[45": unclosed [`},
		{"pattern bad range", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "5[5-3]5"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "5[5-3]5": bad range "5-3"`},
		{"pattern empty class", SchemeDef{Name: "x", Rules: []Rule{{Name: "a", Pattern: "[]55"}}},
			`rfm: scheme "x" rule 1 ("a"): pattern "[]55": empty class []`},
		{"too many rules", SchemeDef{Name: "x", Bins: 2, Rules: make([]Rule, 9)},
			`rfm: scheme "x": 9 rules for 8 cells: some rules must be unreachable`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewScheme(tc.def)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), tc.want)
			var se *SchemeError
			assert.True(t, errors.As(err, &se))
		})
	}
	assert.Panics(t, func() { MustScheme(SchemeDef{}) })
}

func TestLoadScheme(t *testing.T) {
	src := `{
	  "name": "mine", "bins": 5, "default": "Others", "default_alias": "其他",
	  "rules": [
	    {"name": "Champions", "r": [5, 5], "f": [4, 5], "m": [4, 5]},
	    {"name": "Big spenders", "alias": "高消费", "pattern": "*[3-5]5"},
	    {"name": "Newcomers", "cells": ["511", "512"]},
	    {"name": "Recent", "r": 5}
	  ]}`
	s, err := LoadScheme(strings.NewReader(src))
	require.NoError(t, err)
	for score, want := range map[string]string{"554": "Champions", "135": "Big spenders", "511": "Newcomers", "513": "Recent", "111": "Others"} {
		sc, _ := ParseScore(score)
		got, _ := s.Assign(sc)
		assert.Equal(t, want, got, score)
	}
	assert.Equal(t, "高消费", s.Alias("Big spenders"))

	// JSON round trip: what MarshalJSON writes, LoadScheme reads back to the
	// same table.
	b, err := json.Marshal(s)
	require.NoError(t, err)
	s2, err := LoadScheme(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, s.table, s2.table)
	assert.Equal(t, s.names, s2.names)

	bad := []struct{ name, src, want string }{
		{"unknown field", `{"name":"x","rules":[{"name":"a","rr":[1,2]}]}`, `rfm: load scheme: json: unknown field "rr"`},
		{"trailing", `{"name":"x","rules":[{"name":"a"}]} {}`, "trailing data"},
		{"range shape", `{"name":"x","rules":[{"name":"a","r":[1,2,3]}]}`, "range [1,2,3]: want [low, high]"},
		{"range type", `{"name":"x","rules":[{"name":"a","r":"5"}]}`, `want [low, high] or one score`},
		{"cell", `{"name":"x","rules":[{"name":"a","cells":["56"]}]}`, `parse score "56"`},
		{"not json", `rules: []`, "rfm: load scheme:"},
		{"empty", ``, "rfm: load scheme: EOF"},
		{"unreachable", `{"name":"x","rules":[{"name":"a"},{"name":"b","r":[1,1]}]}`, `rfm: scheme "x" rule 2 ("b"): unreachable`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadScheme(strings.NewReader(tc.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = LoadScheme(strings.NewReader(`{"name":"` + strings.Repeat("x", maxSchemeBytes) + `"}`))
	assert.ErrorContains(t, err, "input larger than")
}

func TestLoadCellMap(t *testing.T) {
	src := "\ufeffsegment,rfm_cell,alias\nTop,22,\nTop,222,最佳\nLow,111,\n"
	_, err := LoadCellMap(strings.NewReader(src), "tiny", 0)
	require.EqualError(t, err, `rfm: scheme "tiny" line 2: cell "22": want three digits 1-9`)

	src = "\ufeffsegment,rfm_cell,alias\nTop,222,最佳\nLow,111,\n"
	s, err := LoadCellMap(strings.NewReader(src), "tiny", 0)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Bins(), "bins inferred from the largest digit")
	assert.Equal(t, []string{"Top", "Low", "Others"}, s.Segments())
	assert.Equal(t, "最佳", s.Alias("Top"))

	// WriteCellMap lists every cell; reading it back gives the same table.
	var b bytes.Buffer
	require.NoError(t, s.WriteCellMap(&b))
	s2, err := LoadCellMap(&b, "tiny", 2)
	require.NoError(t, err)
	for i := range s.table {
		assert.Equal(t, s.names[s.table[i]], s2.names[s2.table[i]])
	}

	bad := []struct{ name, src, want string }{
		{"empty", "", `rfm: scheme "m": empty cell map: want a header rfm_cell,segment`},
		{"header", "cell,label\n555,x\n", `rfm: scheme "m" line 1: header "cell,label": want columns rfm_cell and segment`},
		{"duplicate", "rfm_cell,segment\n555,a\n554,b\n555,c\n", `rfm: scheme "m" line 4: cell 555 listed twice (lines 2 and 4)`},
		{"short row", "rfm_cell,segment\n555\n", `rfm: scheme "m" line 2: 1 fields, want at least 2`},
		{"bad quote", "rfm_cell,segment\n555,\"a\n", `rfm: scheme "m" line 2:`},
		{"no cells", "rfm_cell,segment\n", `rfm: scheme "m": no cells`},
		{"out of bins", "rfm_cell,segment\n555,a\n161,b\n", `rfm: scheme "m" line 3: cell 161: F score 6 out of range 1..5`},
		{"empty name", "rfm_cell,segment\n555,\n", `rfm: scheme "m" line 2: empty segment name`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			bins := 0
			if tc.name == "out of bins" {
				bins = 5
			}
			_, err := LoadCellMap(strings.NewReader(tc.src), "m", bins)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestSchemeConfigure: a preset carries the scoring it is written for, so a
// library user need not copy the CLI's choices: cn8 splits at the mean in 2
// bins, quadrant also scores the average order value; rfm10 keeps the
// config's binning with its 5 bins. Bad names are scheme errors.
func TestSchemeConfigure(t *testing.T) {
	base := DefaultConfig()
	base.Bins = 7
	for _, c := range []struct {
		name     string
		bins     int
		binning  Binning
		monetary MonetaryMode
	}{{"cn8", 2, SplitMean, Sum}, {"quadrant", 2, SplitMean, Mean}, {"rfm10", 5, Quantile, Sum}} {
		s, err := Preset(c.name)
		require.NoError(t, err)
		got := s.Configure(base)
		assert.Equal(t, c.bins, got.Bins, c.name)
		assert.Equal(t, c.binning, got.Binning, c.name)
		assert.Equal(t, c.monetary, got.Monetary, c.name)
	}
	def := SchemeDef{Name: "x", Bins: 2, Binning: "thirds", Rules: []Rule{{Name: "a", R: Range{1, 2}, F: Range{1, 2}, M: Range{1, 2}}}}
	_, err := NewScheme(def)
	assert.ErrorContains(t, err, "binning")
	def.Binning, def.Monetary = "median", "max"
	_, err = NewScheme(def)
	assert.ErrorContains(t, err, "monetary")
	def.Monetary = "MEAN"
	s, err := NewScheme(def)
	require.NoError(t, err)
	assert.Equal(t, SplitMedian, s.Configure(base).Binning)
	assert.Equal(t, Mean, s.Configure(base).Monetary)
}
