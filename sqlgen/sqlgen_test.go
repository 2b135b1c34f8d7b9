package sqlgen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), got, "golden file %s differs (-want +got); rerun with -update after checking", path)
}

var testSchema = []bitmapindex.Attribute{
	{Name: "age", Kind: bitmapindex.KindInt},
	{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
	{Name: "city", Kind: bitmapindex.KindCategory},
	{Name: "interests", Kind: bitmapindex.KindSet},
	{Name: "signup", Kind: bitmapindex.KindTime},
	{Name: "vip", Kind: bitmapindex.KindBool},
}

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func testRegistry(t testing.TB) *segment.Registry {
	reg := segment.NewRegistry(segment.WithSchema(testSchema))
	require.NoError(t, reg.DefineAll(
		segment.Definition{Name: "adults", Rule: `age >= 30 || has("t1")`},
		segment.Definition{Name: "recent", Rule: `inSegment("adults") && didWithin("login", "30d")`},
		segment.Definition{Name: "frozen", Rule: `has("t2")`, Static: true, Members: []string{"c1", "c'2"}},
	))
	return reg
}

// goldenRules use every form of the rule language.
var goldenRules = []string{
	`has("vip") && hasNone("a", "b") || hasAny("c", "d") || hasAll("e", "f")`,
	`age in 20..30 && age != 25 && age not in [40, 41] && missing(signup)`,
	`spend > 100.555 && spend <= 20 && spend == 1.005 && between(spend, 0.5, 99.999) && spend < 1e30`,
	`city == "Beijing" || city in ["Boston", "O'Hare"] || city < "B" || exists(city)`,
	`city startsWith "Bei" || city endsWith "g_%" || city contains "\\" || !(city matches "(?i)^bei.*g$")`,
	`"math" in interests && interests startsWith "ma" && interests matches "^[[:alpha:]]{4}$" && exists(interests)`,
	`vip && !vip || vip == false`,
	`within(signup, "7d") || daysSince(signup) > 30 || signup < date("2025-01-01") || between(signup, date("2025-01-01"), date("2025-01-31T12:00:00Z"))`,
	`did("login") && didWithin("purchase", "30d") && !firstWithin("trial", "7d")`,
	`countWithin("purchase", "90d") >= 3 || countWithin("login", "1w") < 2 || countWithin("login", "2w") == 0`,
	`inSegment("recent") || inSegment("frozen") || inSegment("adults")`,
	`true || has("x")`,
	`did("purchase", {category: ["math", "it's"]}) && countWithin("login", "30d", {channel: "app"}) < 2 && firstWithin("trial", "7d", {channel: "web"})`,
	`sumWithin("purchase", "90d") >= 500 || sumWithin("purchase", "30d", {channel: "app"}) < 12.5 || avgWithin("purchase", "1y") > 99.9999`,
	`didBetween("purchase", date("2025-01-01"), date("2025-01-31")) && countBetween("login", date("2025-02-01"), date("2025-02-28")) >= 3 && sumBetween("purchase", date("2025-03-01"), date("2025-03-31"), {category: "math"}) > 0`,
	`didThen("trial", "purchase", "7d") || didThen("login", "login", "2d", {channel: "app"}, {channel: "web"})`,
}

func TestGolden(t *testing.T) {
	reg := testRegistry(t)
	for _, c := range []struct {
		file   string
		opts   Options
		counts bool
	}{
		{file: "postgres.golden", opts: Options{Dialect: Postgres}},
		{file: "postgres_params.golden", opts: Options{Dialect: Postgres, Params: true}},
		{file: "clickhouse.golden", opts: Options{Dialect: ClickHouse, Layout: Layout{Customers: "customers", Events: "events_local"}}},
		{file: "clickhouse_global.golden", opts: Options{Dialect: ClickHouse, Layout: Layout{GlobalIn: true, Columns: map[string]string{"city": "home city"}}}, counts: true},
	} {
		t.Run(c.file, func(t *testing.T) {
			c.opts.Schema, c.opts.Segments = testSchema, reg
			c.opts.Location, _ = time.LoadLocation("Asia/Shanghai")
			g, err := New(c.opts)
			require.NoError(t, err)
			var b strings.Builder
			for _, src := range goldenRules {
				r := segment.MustCompile(src)
				q, err := g.Select(r, testNow)
				require.NoError(t, err, src)
				fmt.Fprintf(&b, "-- %s\n%s;\n", src, q.SQL)
				if len(q.Args) > 0 {
					fmt.Fprintf(&b, "-- args: %#v\n", q.Args)
				}
				if c.counts {
					q, err := g.Count(r, testNow)
					require.NoError(t, err, src)
					fmt.Fprintf(&b, "%s;\n", q.SQL)
				}
				b.WriteString("\n")
			}
			golden(t, c.file, b.String())
		})
	}
}

func TestDDLGolden(t *testing.T) {
	var b strings.Builder
	for _, d := range []Dialect{Postgres, ClickHouse} {
		stmts, err := DDL(d, testSchema, Layout{})
		require.NoError(t, err)
		fmt.Fprintf(&b, "-- %s\n%s;\n\n", d, strings.Join(stmts, ";\n"))
	}
	local, dist, err := ShardedDDL(testSchema, Layout{}, "segkit", "default")
	require.NoError(t, err)
	fmt.Fprintf(&b, "-- clickhouse sharded: every shard\n%s;\n-- clickhouse sharded: query servers\n%s;\n", strings.Join(local, ";\n"), strings.Join(dist, ";\n"))
	golden(t, "ddl.golden", b.String())

	_, err = DDL(Postgres, testSchema, Layout{Columns: map[string]string{"age": "city"}})
	require.ErrorContains(t, err, `share the column "city"`)
}

func TestErrors(t *testing.T) {
	reg := testRegistry(t)
	pg, err := New(Options{Dialect: Postgres, Schema: testSchema, Segments: reg})
	require.NoError(t, err)
	ch, err := New(Options{Dialect: ClickHouse, Schema: testSchema})
	require.NoError(t, err)
	cases := []struct {
		g    *Generator
		rule string
		want string
	}{
		{pg, `has("a") && city matches "(?m)^B"`, `1:18: postgres: multi-line anchors ((?m) with ^ or $) are not supported on PostgreSQL`},
		{pg, `city matches "a{300}"`, `1:6: postgres: counted repetition {300,300} is not supported on PostgreSQL (at most 255)`},
		{pg, `inSegment("nope")`, `1:1: postgres: inSegment("nope"): no such segment`},
		{pg, `citty == "x"`, `unknown attribute "citty" (did you mean city?)`},
		{ch, `inSegment("a")`, `clickhouse: inSegment("a") needs the registry that defines it`},
	}
	for _, c := range cases {
		_, err := c.g.Select(segment.MustCompile(c.rule), testNow)
		require.Error(t, err, c.rule)
		var el segment.ErrorList
		require.True(t, errors.As(err, &el), "%T", err)
		assert.Contains(t, err.Error(), c.want, c.rule)
	}
	// a referenced segment that cannot be rendered names the segment
	reg2 := segment.NewRegistry()
	require.NoError(t, reg2.Define(segment.Definition{Name: "m", Rule: `city matches "(?m)^B"`}))
	g2, err := New(Options{Dialect: Postgres, Schema: testSchema, Segments: reg2})
	require.NoError(t, err)
	_, err = g2.Select(segment.MustCompile(`inSegment("m")`), testNow)
	require.ErrorContains(t, err, "in segment m: ")
	require.ErrorContains(t, err, "multi-line anchors")

	reg3 := segment.NewRegistry()
	require.NoError(t, reg3.Define(segment.Definition{Name: "s", Rule: `has("a")`, Static: true}))
	g3, err := New(Options{Dialect: Postgres, Schema: testSchema, Segments: reg3})
	require.NoError(t, err)
	_, err = g3.Select(segment.MustCompile(`inSegment("s")`), testNow)
	require.ErrorContains(t, err, "not frozen")

	_, err = New(Options{})
	require.Error(t, err)
}

func TestDecimalBound(t *testing.T) {
	for _, c := range []struct {
		f            float64
		scale        int
		floor, ceil  string
		exact        bool
		fixedOfFloor string
	}{
		{100.555, 2, "10055", "10056", false, "100.55"},
		{100.55, 2, "10055", "10055", true, "100.55"},
		{-0.005, 2, "-1", "0", false, "-0.01"},
		{1.005, 2, "100", "101", false, "1.00"},
		{3, 0, "3", "3", true, "3"},
		{0.1, 9, "100000000", "100000000", true, "0.100000000"},
		{1e30, 2, "100000000000000000000000000000000", "100000000000000000000000000000000", true, "1000000000000000000000000000000.00"},
	} {
		b, err := newDecimalBound(c.f, c.scale)
		require.NoError(t, err)
		assert.Equal(t, c.floor, b.floor.String(), "%v", c.f)
		assert.Equal(t, c.ceil, b.ceil.String(), "%v", c.f)
		assert.Equal(t, c.exact, b.exact, "%v", c.f)
		assert.Equal(t, c.fixedOfFloor, fixedString(b.floor, c.scale), "%v", c.f)
	}
}

// TestDecimalAgainstHolds: the rendered bound decides every stored value
// as bitmapindex.Holds does.
func TestDecimalAgainstHolds(t *testing.T) {
	a := bitmapindex.Attribute{Name: "x", Kind: bitmapindex.KindDecimal, Scale: 2}
	consts := []float64{100.555, 100.55, -0.005, 0, 1.005, 99.999, -3.14159, 0.01}
	for _, c := range consts {
		b, err := newDecimalBound(c, 2)
		require.NoError(t, err)
		for m := int64(-400); m <= 10100; m += 7 {
			stored := bitmapindex.Decimal(float64(m) / 100)
			for _, op := range []bitmapindex.Op{bitmapindex.Eq, bitmapindex.Lt, bitmapindex.Le, bitmapindex.Gt, bitmapindex.Ge} {
				want := bitmapindex.Holds(a, stored, op, bitmapindex.Decimal(c))
				var got bool
				switch op {
				case bitmapindex.Eq:
					got = b.exact && b.floor.Int64() == m
				case bitmapindex.Lt:
					got = m < b.ceil.Int64()
				case bitmapindex.Le:
					got = m <= b.floor.Int64()
				case bitmapindex.Gt:
					got = m > b.floor.Int64()
				case bitmapindex.Ge:
					got = m >= b.ceil.Int64()
				}
				require.Equal(t, want, got, "%d/100 %s %v", m, op, c)
			}
		}
	}
}

func TestQuoting(t *testing.T) {
	assert.Equal(t, `E'it\'s \\ \x0a'`, quoteString(Postgres, "it's \\ \n"))
	assert.Equal(t, `'it\'s \\ \x00'`, quoteString(ClickHouse, "it's \\ \x00"))
	assert.Equal(t, `"a""b"."c"`, quoteIdent(Postgres, `a"b.c`))
	assert.Equal(t, "`a\\`b`", quoteIdent(ClickHouse, "a`b"))
	assert.True(t, closesAtEnd(`(a = 'x)' AND "y(" = 1)`))
	assert.False(t, closesAtEnd(`(a) OR (b)`))
}

func TestParseDialect(t *testing.T) {
	for s, want := range map[string]Dialect{"postgres": Postgres, "PG": Postgres, "clickhouse": ClickHouse, "ch": ClickHouse} {
		d, ok := ParseDialect(s)
		require.True(t, ok)
		require.Equal(t, want, d)
		require.NotEqual(t, "invalid", d.String())
	}
	_, ok := ParseDialect("mysql")
	require.False(t, ok)
}

// TestTreeOfEveryTestRule: every golden rule renders for both dialects on
// an index built with the same schema (the rules are valid there too).
func TestRenderMatchesIndexSchema(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: testSchema})
	require.NoError(t, err)
	reg := testRegistry(t)
	for _, src := range goldenRules {
		r := segment.MustCompile(src, segment.WithResolver(reg))
		_, err := r.Eval(context.Background(), ix.View(), testNow)
		require.NoError(t, err, src)
	}
}
