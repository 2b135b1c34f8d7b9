package persona

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)

var (
	testTags      = []string{"undergrad", "job_seeking", "mother", "side_income", "office", "photography", "vip", "trial"}
	testCities    = []string{"Beijing", "Shanghai", "Chengdu", "Hangzhou"}
	testInterests = []string{"math", "art", "cooking", "finance"}
	testEvents    = []string{"login", "purchase", "job_fair"}
)

// randomIndex builds a population with tags, attributes (some missing) and
// events over the last 60 days.
func randomIndex(t testing.TB, rng *rand.Rand, n int) *bitmapindex.Index {
	t.Helper()
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "city", Kind: bitmapindex.KindCategory},
		{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
		{Name: "interests", Kind: bitmapindex.KindSet},
		{Name: "student", Kind: bitmapindex.KindBool},
	}})
	require.NoError(t, err)
	b := ix.NewBatch()
	for i := range n {
		key := fmt.Sprintf("c%04d", i)
		b.Add(key)
		for j, tag := range testTags {
			if rng.Float64() < 0.5/float64(j+1)+0.05 {
				b.AddTag(key, tag)
			}
		}
		if rng.IntN(8) != 0 {
			b.Set(key, "age", bitmapindex.Int(int64(16+rng.IntN(50))))
		}
		if rng.IntN(6) != 0 {
			b.Set(key, "city", bitmapindex.Category(testCities[rng.IntN(len(testCities))]))
		}
		if rng.IntN(3) != 0 {
			b.Set(key, "spend", bitmapindex.Decimal(float64(rng.IntN(100000))/100))
		}
		if rng.IntN(2) == 0 {
			b.Set(key, "interests", bitmapindex.SetOf(testInterests[rng.IntN(4)], testInterests[rng.IntN(4)]))
		}
		if rng.IntN(4) != 0 {
			b.Set(key, "student", bitmapindex.Bool(rng.IntN(3) == 0))
		}
		for _, ev := range testEvents {
			for range rng.IntN(4) {
				at := testNow.Add(-time.Duration(rng.IntN(60*24)) * time.Hour)
				b.Record(key, ev, at, 0)
			}
		}
	}
	require.NoError(t, b.Commit())
	// a few deleted customers, so live IDs have holes
	for i := 0; i < n; i += 17 {
		ix.Delete(fmt.Sprintf("c%04d", i))
	}
	return ix
}

// randomRule draws a rule from most forms of the rule language.
func randomRule(rng *rand.Rand, depth int) string {
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	if depth > 0 && rng.IntN(3) == 0 {
		a, b := randomRule(rng, depth-1), randomRule(rng, depth-1)
		switch rng.IntN(3) {
		case 0:
			return "(" + a + " && " + b + ")"
		case 1:
			return "(" + a + " || " + b + ")"
		default:
			return "!(" + a + ")"
		}
	}
	switch rng.IntN(14) {
	case 0, 1, 2:
		return fmt.Sprintf("has(%q)", pick(testTags))
	case 3:
		return fmt.Sprintf("hasAny(%q, %q)", pick(testTags), pick(testTags))
	case 4:
		return fmt.Sprintf("hasNone(%q, %q)", pick(testTags), pick(testTags))
	case 5:
		return fmt.Sprintf("age %s %d", pick([]string{"<", "<=", ">", ">=", "==", "!="}), 18+rng.IntN(40))
	case 6:
		lo := 16 + rng.IntN(30)
		return fmt.Sprintf("age in %d..%d", lo, lo+rng.IntN(15))
	case 7:
		return fmt.Sprintf("city in [%q, %q]", pick(testCities), pick(testCities))
	case 8:
		return fmt.Sprintf("city != %q", pick(testCities))
	case 9:
		return fmt.Sprintf("%q in interests", pick(testInterests))
	case 10:
		return pick([]string{"exists(age)", "missing(city)", "student == true", "spend > 500.5"})
	case 11:
		return fmt.Sprintf("didWithin(%q, \"%dd\")", pick(testEvents), 1+rng.IntN(40))
	case 12:
		return fmt.Sprintf("countWithin(%q, \"%dd\") >= %d", pick(testEvents), 5+rng.IntN(50), 1+rng.IntN(3))
	default:
		return fmt.Sprintf("firstWithin(%q, \"%dd\")", pick(testEvents), 1+rng.IntN(60))
	}
}

func randomDefinitions(rng *rand.Rand) []Definition {
	weights := []float64{-2, -1, -0.5, 0.25, 0.5, 1, 1, 1.5, 2, 3}
	defs := make([]Definition, 1+rng.IntN(6))
	for p := range defs {
		d := &defs[p]
		d.Name = fmt.Sprintf("persona_%c", 'a'+p)
		d.Priority = rng.IntN(2)
		for range 1 + rng.IntN(8) {
			d.Conditions = append(d.Conditions, Condition{Rule: randomRule(rng, 2), Weight: weights[rng.IntN(len(weights))]})
		}
		d.MinScore = float64(rng.IntN(20)-4) / 4
	}
	return defs
}

// TestIndexAndProfileAgree is the equivalence property: on random
// populations and random catalogs, assigning over the index and assigning
// each customer's profile give the same personas, scores and order.
func TestIndexAndProfileAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 3))
	trials := 25
	if testing.Short() {
		trials = 5
	}
	for trial := range trials {
		ix := randomIndex(t, rng, 150+rng.IntN(250))
		v := ix.View()
		defs := randomDefinitions(rng)
		cat, err := Compile(defs, DefaultConfig())
		require.NoError(t, err, "trial %d", trial)
		a, err := cat.Assign(context.Background(), v, testNow)
		require.NoError(t, err)

		bulk, bulk2 := map[uint32][]Score{}, map[uint32][]Score{}
		for id, s := range a.Scores(0) {
			bulk[id] = append([]Score(nil), s...)
		}
		for id, s := range a.Scores(2) {
			bulk2[id] = append([]Score(nil), s...)
		}
		assigned := 0
		for key := range v.All().Keys() {
			id, _ := v.ID(key)
			p, ok := v.Profile(key)
			require.True(t, ok)
			want, err := cat.AssignProfile(p, testNow)
			require.NoError(t, err)
			got := a.Top(id, 0)
			require.Equal(t, want, nilIfEmpty(got), "trial %d customer %s\ndefs: %+v", trial, key, defs)
			assert.Equal(t, nilIfEmpty(want), nilIfEmpty(bulk[id]), "trial %d customer %s (Scores)", trial, key)
			assert.Equal(t, nilIfEmpty(want[:min(2, len(want))]), nilIfEmpty(bulk2[id]), "trial %d customer %s (Scores(2))", trial, key)
			if k := 1 + rng.IntN(3); len(want) > k {
				assert.Equal(t, want[:k], a.Top(id, k))
			}
			best, ok := a.Best(id)
			if len(want) == 0 {
				assert.False(t, ok)
				assert.True(t, a.Unassigned().Contains(id))
				continue
			}
			assigned++
			require.True(t, ok)
			assert.Equal(t, want[0], best)
			m, _ := a.Members(best.Persona)
			assert.True(t, m.Contains(id))
			for _, s := range want {
				e, _ := a.Eligible(s.Persona)
				assert.True(t, e.Contains(id))
			}
		}
		assert.Equal(t, assigned, a.Assigned().Len())
		assert.Equal(t, v.Len(), a.Assigned().Len()+a.Unassigned().Len())
	}
}

func nilIfEmpty(s []Score) []Score {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestAssignWorkedExample checks the documented semantics on customers
// whose scores can be worked out by hand.
func TestAssignWorkedExample(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}})
	require.NoError(t, err)
	add := func(key string, age int64, tags ...string) {
		require.NoError(t, ix.Set(key, "age", bitmapindex.Int(age)))
		for _, tg := range tags {
			require.NoError(t, ix.AddTag(key, tg))
		}
	}
	add("ann", 20, "undergrad", "job_seeking")   // student 3+2 = 5
	add("bea", 31, "mother", "side_income")      // mother 2+2 = 4
	add("cai", 21, "undergrad", "mother")        // student 3, mother 2 → student 3 ≥ 3
	add("dan", 45, "office")                     // office 1 < 1.5, nothing else
	add("eve", 22, "undergrad", "office", "vip") // student 3 (age<25 +0.5 = 3.5), office 1+0.5=1.5 → student
	add("fay", 30, "mother", "office", "photography")
	require.NoError(t, ix.RemoveTag("fay", "mother"))
	require.NoError(t, ix.AddTag("fay", "side_income"))
	// fay: mother 2 (side_income) − 0 = 2 ≥ 2; office 1 + 1 (photography) = 2 ≥ 1.5: tie at 2 → priority
	defs := []Definition{
		{Name: "student", Conditions: []Condition{{`has("undergrad")`, 3}, {`has("job_seeking")`, 2}, {`age < 25`, 0.5}, {`has("office")`, -0.5}}, MinScore: 3},
		{Name: "mother", Conditions: []Condition{{`has("mother")`, 2}, {`has("side_income")`, 2}}, MinScore: 2, Priority: 1},
		{Name: "office", Conditions: []Condition{{`has("office")`, 1}, {`has("photography")`, 1}, {`has("vip")`, 0.5}}, MinScore: 1.5},
	}
	cat, err := Compile(defs, DefaultConfig())
	require.NoError(t, err)
	assert.Equal(t, []string{"mother", "office", "student"}, cat.Names())
	v := ix.View()
	a, err := cat.Assign(context.Background(), v, testNow)
	require.NoError(t, err)
	want := map[string][]Score{
		"ann": {{"student", 5.5}},
		"bea": {{"mother", 4}},
		"cai": {{"student", 3.5}, {"mother", 2}},
		"dan": nil,
		"eve": {{"student", 3}, {"office", 1.5}},
		"fay": {{"mother", 2}, {"office", 2}},
	}
	for key, w := range want {
		id, _ := v.ID(key)
		assert.Equal(t, w, nilIfEmpty(a.Top(id, 0)), key)
	}
	members := func(name string) []string {
		s, ok := a.Members(name)
		require.True(t, ok)
		var out []string
		for k := range s.Keys() {
			out = append(out, k)
		}
		return out
	}
	assert.Equal(t, []string{"ann", "cai", "eve"}, members("student"))
	assert.Equal(t, []string{"bea", "fay"}, members("mother"))
	assert.Empty(t, members("office"))
	_, ok := a.Members("nobody")
	assert.False(t, ok)
	assert.Equal(t, 1, a.Unassigned().Len())
}

func TestExactDecimalScores(t *testing.T) {
	// 0.7 + 0.1 ≥ 0.8 in fixed point (it is false in float64).
	x, y := 0.7, 0.1
	require.False(t, x+y >= 0.8)
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ix.AddTag("a", "x"))
	require.NoError(t, ix.AddTag("a", "y"))
	cat, err := Compile([]Definition{{Name: "p", Conditions: []Condition{{`has("x")`, 0.7}, {`has("y")`, 0.1}}, MinScore: 0.8}}, DefaultConfig())
	require.NoError(t, err)
	a, err := cat.Assign(context.Background(), ix.View(), testNow)
	require.NoError(t, err)
	best, ok := a.Best(0)
	require.True(t, ok)
	assert.Equal(t, Score{"p", 0.8}, best)
}

func TestCompileErrors(t *testing.T) {
	good := Condition{`has("a")`, 1}
	tests := []struct {
		name string
		defs []Definition
		cfg  func(*Config)
		want error
		msg  []string
	}{
		{"rule does not compile",
			[]Definition{{Name: "ok", Conditions: []Condition{good}, MinScore: 1},
				{Name: "student", Conditions: []Condition{good, {"has(\"a\") &&\n  hass(\"b\")", 1}}, MinScore: 1}},
			nil, ErrRule, []string{`persona: persona 1 "student": condition 1: rule 2:3: `, "hass", "^"}},
		{"NaN weight", []Definition{{Name: "p", Conditions: []Condition{{`has("a")`, math.NaN()}}, MinScore: 1}}, nil, ErrInvalidWeight, []string{`persona 0 "p": condition 0: invalid weight: weight NaN is not a finite number`}},
		{"Inf weight", []Definition{{Name: "p", Conditions: []Condition{{`has("a")`, math.Inf(-1)}}, MinScore: 1}}, nil, ErrInvalidWeight, []string{"weight -Inf is not a finite number"}},
		{"Inf min", []Definition{{Name: "p", Conditions: []Condition{good}, MinScore: math.Inf(1)}}, nil, ErrInvalidWeight, []string{"min_score +Inf"}},
		{"too many decimals", []Definition{{Name: "p", Conditions: []Condition{{`has("a")`, 0.0005}}, MinScore: 1}}, nil, ErrInvalidWeight, []string{"weight 0.0005 has more than 3 decimal places"}},
		{"integer weights only", []Definition{{Name: "p", Conditions: []Condition{{`has("a")`, 1.5}}, MinScore: 1}}, func(c *Config) { c.Decimals = 0 }, ErrInvalidWeight, []string{"more than 0 decimal places"}},
		{"duplicate names", []Definition{{Name: "p", Conditions: []Condition{good}, MinScore: 1}, {Name: "p", Conditions: []Condition{good}, MinScore: 1}}, nil, ErrDuplicateName, []string{`persona 1 "p": duplicate name: "p" is also persona 0`}},
		{"no personas", nil, nil, ErrNoPersonas, []string{"no personas"}},
		{"bad decimals", []Definition{{Name: "p", Conditions: []Condition{good}, MinScore: 1}}, func(c *Config) { c.Decimals = 7 }, ErrInvalidConfig, []string{"decimals 7"}},
		{"too many conditions", []Definition{{Name: "p", Conditions: make([]Condition, MaxConditions+1), MinScore: 1}}, nil, ErrTooManyConditions, []string{"65, at most 64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := Compile(tt.defs, cfg)
			require.ErrorIs(t, err, tt.want, "%v", err)
			for _, m := range tt.msg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestCompileErrorPositions(t *testing.T) {
	defs := []Definition{
		{Name: "a", Conditions: []Condition{{`has("x")`, 1}, {`age >`, 1}}, MinScore: 1},
		{Name: "b", Conditions: []Condition{{`has("x") && city ~ 3`, 1}}, MinScore: 1},
	}
	_, err := Compile(defs, DefaultConfig())
	var list ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 2)
	assert.Equal(t, "a", list[0].Persona)
	assert.Equal(t, 1, list[0].Condition)
	assert.Equal(t, "b", list[1].Persona)
	assert.Equal(t, 0, list[1].Condition)
	for _, e := range list {
		assert.Positive(t, e.Line)
		assert.Positive(t, e.Column)
		assert.ErrorIs(t, e, ErrRule)
		var segErrs segment.ErrorList
		assert.True(t, errors.As(e, &segErrs), "the rule compiler's error is reachable")
		assert.Contains(t, e.Error(), fmt.Sprintf("rule %d:%d: ", e.Line, e.Column))
	}
}

func TestAssignCancelled(t *testing.T) {
	ix := randomIndex(t, rand.New(rand.NewPCG(1, 1)), 50)
	cat, err := Compile([]Definition{{Name: "p", Conditions: []Condition{{`has("vip")`, 1}}, MinScore: 1}}, DefaultConfig())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = cat.Assign(ctx, ix.View(), testNow)
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, strings.HasPrefix(err.Error(), "persona: "))
}

func TestAssignEvalErrorNamesCondition(t *testing.T) {
	// Without a schema the rule compiles; comparing a category with a number
	// fails at evaluation, and both evaluators report the condition.
	ix := randomIndex(t, rand.New(rand.NewPCG(1, 2)), 30)
	cat, err := Compile([]Definition{{Name: "p", Conditions: []Condition{{`has("vip")`, 1}, {`city > 3`, 1}}, MinScore: 1}}, DefaultConfig())
	require.NoError(t, err)
	_, err = cat.Assign(context.Background(), ix.View(), testNow)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "p", pe.Persona)
	assert.Equal(t, 1, pe.Condition)
	assert.ErrorIs(t, err, ErrRule)
	p, _ := ix.View().Profile("c0001")
	_, err = cat.AssignProfile(p, testNow)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 1, pe.Condition)

	// With the schema, it is a compile-time error.
	_, err = Compile([]Definition{{Name: "p", Conditions: []Condition{{`city > 3`, 1}}, MinScore: 1}},
		Config{Decimals: 3, Rules: []segment.Option{segment.WithSchema(ix.Schema())}})
	require.ErrorIs(t, err, ErrRule)
}

func TestWriteAttribute(t *testing.T) {
	ix := randomIndex(t, rand.New(rand.NewPCG(4, 4)), 200)
	cat, err := Compile(randomDefinitions(rand.New(rand.NewPCG(9, 9))), DefaultConfig())
	require.NoError(t, err)
	// a stale value from an earlier run must be cleared
	require.NoError(t, ix.Set("c0001", DefaultAttribute, bitmapindex.Category("stale")))
	v := ix.View()
	a, err := cat.Assign(context.Background(), v, testNow)
	require.NoError(t, err)
	ix.Delete("c0002") // deleted after the view: must not come back
	require.NoError(t, Update(ix, Output{Assignment: a}, DefaultIndexConfig()))
	after := ix.View()
	_, ok := after.ID("c0002")
	assert.False(t, ok, "Write must not re-create deleted customers")
	for _, name := range cat.Names() {
		m, _ := a.Members(name)
		got, err := after.WithValue(DefaultAttribute, name)
		require.NoError(t, err)
		want := 0
		for k := range m.Keys() {
			if k != "c0002" {
				want++
				assert.True(t, got.ContainsKey(k), "%s should have persona %s", k, name)
			}
		}
		assert.Equal(t, want, got.Len(), name)
	}
	present, err := after.Present(DefaultAttribute)
	require.NoError(t, err)
	for k := range a.Unassigned().Keys() {
		assert.False(t, present.ContainsKey(k), "unassigned %s has no persona", k)
	}
	stale, err := after.WithValue(DefaultAttribute, "stale")
	require.NoError(t, err)
	assert.Equal(t, 0, stale.Len())

	// and rules select on it
	r := segment.MustCompile(fmt.Sprintf("persona == %q", cat.Names()[0]))
	sel, err := r.Eval(context.Background(), after, testNow)
	require.NoError(t, err)
	direct, _ := after.WithValue(DefaultAttribute, cat.Names()[0])
	assert.Equal(t, direct.Len(), sel.Len())
}

func TestAssignEmptyIndex(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	cat := MustCompile([]Definition{{Name: "p", Conditions: []Condition{{`has("x")`, -1}}, MinScore: -1}}, DefaultConfig())
	a, err := cat.Assign(context.Background(), ix.View(), testNow)
	require.NoError(t, err)
	assert.Equal(t, 0, a.Assigned().Len())
	assert.Equal(t, 0, a.Unassigned().Len())
	r, err := a.Report(DefaultReportConfig())
	require.NoError(t, err)
	assert.Equal(t, 0, r.Customers)
	assert.Equal(t, 0.0, r.Coverage)
	for range a.Scores(1) {
		t.Fatal("no customers to yield")
	}
}

func TestPreferencesApply(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	recs := []Behavior{
		{"ann", "yoga", "purchase", testNow}, {"ann", "books", "browse", testNow}, {"ann", "golf", "browse", testNow.AddDate(0, -3, 0)},
		{"bo", "golf", "search", testNow},
	}
	cfg := DefaultPreferenceConfig()
	cfg.Top = 2
	p, err := ComputePreferences(slices.Values(recs), testNow, cfg)
	require.NoError(t, err)
	b := ix.NewBatch()
	require.NoError(t, Apply(b, Output{Preferences: p}, IndexConfig{Preferences: "preferred"}))
	require.NoError(t, b.Commit())
	v := ix.View()
	ann, _ := v.Profile("ann")
	got, ok := ann.Attrs["preferred"].AsStrings()
	require.True(t, ok)
	assert.Equal(t, []string{"books", "yoga"}, got)
	golf, err := v.WithValue("preferred", "golf")
	require.NoError(t, err)
	assert.Equal(t, []string{"bo"}, slices.Collect(golf.Keys()))

	// Update clears the preferences of customers no longer in the output.
	p2, err := ComputePreferences(slices.Values(recs[3:]), testNow, cfg)
	require.NoError(t, err)
	require.NoError(t, Update(ix, Output{Preferences: p2}, IndexConfig{Preferences: "preferred"}))
	ann, _ = ix.View().Profile("ann")
	assert.NotContains(t, ann.Attrs, "preferred")
	assert.Error(t, Apply(nil, Output{Preferences: p2}, DefaultIndexConfig()))
	assert.Error(t, Update(nil, Output{Preferences: p2}, DefaultIndexConfig()))
}
