package compare

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testN is large enough that every rule has members and small enough that
// loading every engine stays within a few seconds under -race.
const testN = 3000

var testNow = DefaultConfig().Now

// testEngines are the engines that need no server; the postgres layouts join
// when SEGKIT_BENCH_PG_DSN names a server (bench/run.sh and smoke.sh start one).
func testEngines(t *testing.T) ([]string, Options) {
	engines := []string{"duckdb", "duckdb-list", "duckdb-sqlgen", "sqlite"}
	o := Options{Threads: 2, TempDir: t.TempDir()}
	if dsn := os.Getenv("SEGKIT_BENCH_PG_DSN"); dsn != "" {
		engines = append(engines, "postgres", "postgres-gin", "postgres-sqlgen")
		o.PostgresDSN = dsn
	} else {
		t.Log("SEGKIT_BENCH_PG_DSN not set: the PostgreSQL translations are not checked")
	}
	return engines, o
}

// TestCountsAgree is the translation test: every engine (DuckDB in both
// layouts, SQLite, PostgreSQL when reachable), the hand-written roaring floor
// and the expr baseline must return segkit's member count for every rule.
func TestCountsAgree(t *testing.T) {
	engines, o := testEngines(t)
	cfg := Config{
		Customers: []int{testN},
		Engines:   engines,
		Baselines: true,
		Now:       testNow,
		Options:   o,
	}
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, rep.Sizes, 1)
	s := rep.Sizes[0]
	require.Len(t, s.Counts, len(Rules()))
	for i, r := range s.Rules {
		// A translation that matches nothing (or everything) agrees too
		// easily: every rule must split the population.
		assert.Greater(t, s.Counts[i], int64(0), "rule %s has no members at %d customers", r.Name, testN)
		assert.Less(t, s.Counts[i], int64(testN), "rule %s has every customer", r.Name)
	}
	// segkit, roaring, expr and the peers all loaded and checked.
	assert.Len(t, s.Engines, 3+len(engines))
}

// TestCountsAgreeOneAtATime runs the sequential mode, with the expr
// baseline on a sample checked against segkit's counts among the sample.
func TestCountsAgreeOneAtATime(t *testing.T) {
	cfg := Config{
		Customers:  []int{testN},
		Engines:    []string{"sqlite"},
		Baselines:  true,
		Runs:       2,
		ExprRuns:   1,
		ExprSample: testN / 3,
		OneAtATime: true,
		Now:        testNow,
		Options:    Options{Threads: 1, TempDir: t.TempDir()},
	}
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := rep.Sizes[0]
	names := make([]string, len(s.Engines))
	for i, e := range s.Engines {
		names[i] = e.Name
		require.Len(t, e.Times, len(Rules()), e.Name)
	}
	assert.Equal(t, []string{"segkit", "roaring", "expr", "sqlite"}, names)
	assert.Equal(t, testN/3, s.Engines[2].Sample)
	assert.Len(t, s.Engines[2].Times[0].Runs, 1)
	assert.Len(t, s.Engines[3].Times[0].Runs, 2)
	assert.InDelta(t, 3.0, s.Engines[2].Times[0].Scale, 1e-9)
	md := rep.Markdown()
	assert.Contains(t, md, "extrapolated ×3")
	assert.Contains(t, md, "| sqlite |")
}

// TestMismatchStops checks that a wrong translation stops the run with a
// diff naming the rule and the engine, before anything is timed.
func TestMismatchStops(t *testing.T) {
	rules, err := SelectRules([]string{"age_range", "city_list"})
	require.NoError(t, err)
	// The classic mistake DESIGN.md §4 warns about: NOT IN drops customers
	// without an age.
	rules[0].Segkit = `!(age in 26..30)`
	rules[0].SQL = `SELECT count(*) FROM customers WHERE age NOT BETWEEN 26 AND 30`
	cfg := Config{
		Customers: []int{testN},
		Engines:   []string{"sqlite"},
		Runs:      3,
		Rules:     rules,
		Now:       testNow,
		Options:   Options{TempDir: t.TempDir()},
	}
	rep, err := Run(context.Background(), cfg)
	var m *MismatchError
	require.ErrorAs(t, err, &m)
	require.Len(t, m.Diff, 1)
	assert.Equal(t, "age_range", m.Diff[0].Rule)
	assert.Equal(t, "sqlite", m.Diff[0].Engine)
	assert.Greater(t, m.Diff[0].Want, m.Diff[0].Got, "NOT BETWEEN loses the customers without an age")
	assert.Contains(t, err.Error(), "age_range")
	for _, s := range rep.Sizes {
		for _, e := range s.Engines {
			assert.Empty(t, e.Times, "%s was timed despite the mismatch", e.Name)
		}
	}
}

func TestPostgresWithoutServer(t *testing.T) {
	cfg := Config{Customers: []int{10}, Engines: []string{"postgres"}, Now: testNow}
	_, err := Run(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pg-dsn")
}

func TestRunErrors(t *testing.T) {
	_, err := Run(context.Background(), Config{Customers: []int{10}, Engines: []string{"oracle"}})
	require.ErrorContains(t, err, `unknown engine "oracle"`)
	_, err = Run(context.Background(), Config{Engines: []string{"sqlite"}})
	require.ErrorContains(t, err, "no population size")
	_, err = SelectRules([]string{"tags2", "nope"})
	require.ErrorContains(t, err, `unknown rule "nope"`)
	_, err = NewEngine("nope", Options{})
	require.Error(t, err)
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Config{Customers: []int{testN}, Engines: []string{"duckdb"}, Now: testNow})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

// TestRulesComplete checks the rule set against the brief: at least 12
// rules, every class present, every rule with a hand-written floor, and
// every SQL template rendering for every layout.
func TestRulesComplete(t *testing.T) {
	rules := Rules()
	require.GreaterOrEqual(t, len(rules), 12)
	var all strings.Builder
	seen := map[string]bool{}
	p, err := NewPopulation(10, testNow)
	require.NoError(t, err)
	for _, r := range rules {
		assert.False(t, seen[r.Name], "duplicate rule %s", r.Name)
		seen[r.Name] = true
		assert.Contains(t, floorRules, r.Name)
		all.WriteString(r.Segkit + "\n")
		for _, layout := range []string{"duckdb", "duckdb-list", "sqlite", "postgres", "postgres-gin"} {
			_, err := Render(r.SQLFor(layout), p.Params(tsLiteral("TIMESTAMP", "")))
			assert.NoError(t, err, "%s/%s", r.Name, layout)
		}
	}
	for _, form := range []string{"has(", "city in [", "age in ", "daysSince(", "within(", "did(", "didWithin(",
		"countWithin(", "firstWithin(", "!(", "!=", "inSegment(", " in interests",
		`{category: "math"}`, "sumWithin(", "avgWithin(", "didBetween(", "didThen("} {
		assert.Contains(t, all.String(), form, "no rule uses %s", form)
	}
}

// TestSqlgenRendersEveryRule: sqlgen renders every rule of the comparison
// (the -sqlgen engines use no hand-written SQL), each a COUNT over the
// documented tables; the counts are checked in TestCountsAgree.
func TestSqlgenRendersEveryRule(t *testing.T) {
	p, err := NewPopulation(10, testNow)
	require.NoError(t, err)
	qs, err := renderSqlgen(p, Rules())
	require.NoError(t, err)
	require.Len(t, qs, len(Rules()))
	for i, q := range qs {
		assert.Contains(t, q, "count(*)", Rules()[i].Name)
		assert.Contains(t, q, `FROM "customers"`, Rules()[i].Name)
	}
	assert.Contains(t, qs[len(qs)-1], `"events" AS a JOIN "events" AS b`, "didThen joins the events with themselves")
}

func TestAmountString(t *testing.T) {
	assert.Equal(t, "12.34", amountString(1234))
	assert.Equal(t, "0.05", amountString(5))
	assert.Equal(t, "-1.50", amountString(-150))
	assert.Equal(t, "0.00", amountString(0))
}

func TestRender(t *testing.T) {
	p := Params{
		Today:      20634, // 2026-06-30
		Tags:       map[string]int{"vip": 7},
		Events:     map[string]int{"login": 2},
		Interests:  map[string]int{"math": 3},
		Categories: map[string]int{"math": 1, "art": 2},
		Timestamp:  tsLiteral("TIMESTAMPTZ", "+00"),
	}
	tests := []struct {
		name, in, want, err string
	}{
		{name: "plain", in: "SELECT 1", want: "SELECT 1"},
		{name: "tag", in: "tag = {tag:vip}", want: "tag = 7"},
		{name: "event and days", in: "event = {event:login} AND day BETWEEN {day:-29} AND {day:0}", want: "event = 2 AND day BETWEEN 20605 AND 20634"},
		{name: "interest", in: "{interest:math}", want: "3"},
		{name: "category", in: "{category:art}", want: "2"},
		{name: "date", in: "{date:2025-11-11}", want: "20403"},
		{name: "bad date", in: "{date:2025-13-01}", err: "not a date"},
		{name: "timestamp", in: "t < {ts:-30}", want: "t < TIMESTAMPTZ '2026-05-31 00:00:00+00'"},
		{name: "positive offset", in: "{ts:1}", want: "TIMESTAMPTZ '2026-07-01 00:00:00+00'"},
		{name: "unknown tag", in: "{tag:nope}", err: `unknown tag "nope"`},
		{name: "unknown kind", in: "{city:x}", err: `unknown placeholder kind "city"`},
		{name: "no kind", in: "{vip}", err: "has no kind"},
		{name: "bad offset", in: "{day:x}", err: "not an integer"},
		{name: "unterminated", in: "a {tag:vip", err: "unterminated"},
		{name: "stray close", in: "a } b", err: "unmatched"},
		{name: "stray close before open", in: "a } {tag:vip}", err: "unmatched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.in, p)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := Render("{ts:0}", Params{})
	require.ErrorContains(t, err, "no timestamp literal")
}

func FuzzRender(f *testing.F) {
	for _, r := range Rules() {
		f.Add(r.SQL)
	}
	f.Add("{tag:}")
	f.Add("{day:-99999999999999999999}")
	f.Add("}{")
	p := Params{Today: 20634, Tags: map[string]int{"a": 1}, Events: map[string]int{"login": 2},
		Interests: map[string]int{}, Timestamp: tsLiteral("TIMESTAMP", "")}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Render(in, p)
		if err != nil {
			return
		}
		if strings.ContainsAny(out, "{}") {
			t.Fatalf("Render(%q) = %q: braces left", in, out)
		}
		if !strings.ContainsAny(in, "{}") && out != in {
			t.Fatalf("Render(%q) = %q: text without placeholders changed", in, out)
		}
	})
}

func TestDeriveEvents(t *testing.T) {
	// Events arrive in time order; purchase twice on one day.
	day := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm
	}
	code := map[string]int{"login": 2, "purchase": 4}
	evs := eventsOf("c1",
		"login", day("2026-06-01T23:59:59Z"),
		"purchase", day("2026-06-02T08:00:00Z"),
		"login", day("2026-06-02T09:00:00Z"),
		"purchase", day("2026-06-02T21:00:00Z"),
		"purchase", day("2026-06-05T00:00:00Z"),
	)
	daily, first := deriveEvents(evs, code, nil, nil)
	d1 := dayNum(t, "2026-06-01")
	assert.Equal(t, []Daily{
		{Event: 2, Day: d1, N: 1}, {Event: 2, Day: d1 + 1, N: 1},
		{Event: 4, Day: d1 + 1, N: 2}, {Event: 4, Day: d1 + 4, N: 1},
	}, daily)
	assert.Equal(t, []First{{Event: 2, Day: d1}, {Event: 4, Day: d1 + 1}}, first)
	daily, first = deriveEvents(nil, code, daily[:0], first[:0])
	assert.Empty(t, daily)
	assert.Empty(t, first)
}

func TestTiming(t *testing.T) {
	ms := time.Millisecond
	tm := newTiming([]time.Duration{5 * ms, 1 * ms, 3 * ms, 2 * ms}, 0)
	assert.Equal(t, 1.0, tm.Scale)
	assert.Equal(t, 2500*time.Microsecond, tm.Median())
	assert.Equal(t, 1*ms, tm.Min())
	assert.Equal(t, 5*ms, tm.Max())
	tm = newTiming([]time.Duration{4 * ms, 1 * ms, 2 * ms}, 10)
	assert.Equal(t, 20*ms, tm.Median())
	assert.Equal(t, 40*ms, tm.Max())
	assert.False(t, Timing{}.Valid())
	assert.Equal(t, time.Duration(0), Timing{}.Median())
	assert.Equal(t, "–", cell(Timing{}))
	assert.Equal(t, "1,234,567", fmtCount(1234567))
	assert.Equal(t, "-1,000", fmtCount(-1000))
	assert.Equal(t, "0.50", fmtRatio(ms, 2*ms))
	assert.Equal(t, "1/435", fmtRatio(ms, 435*ms))
	assert.Equal(t, "1/24000", fmtRatio(50*time.Microsecond, 1200*ms))
	assert.Equal(t, "1.3", fmtRatio(8*ms, 6*ms))
	assert.Equal(t, "–", fmtRatio(ms, 0))
}
