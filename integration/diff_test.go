package integration

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/sqlgen"
)

func registry(t *testing.T, p *population) *segment.Registry {
	reg := segment.NewRegistry(segment.WithSchema(schema))
	require.NoError(t, reg.DefineAll(
		segment.Definition{Name: "adults", Rule: `age >= 30 || has("t1")`},
		segment.Definition{Name: "recent", Rule: `inSegment("adults") && didWithin("login", "30d")`},
		segment.Definition{Name: "b_cities", Rule: `city startsWith "B"`, Static: true},
	))
	require.NoError(t, reg.Freeze(context.Background(), "b_cities", p.v, p.now))
	return reg
}

func rulesCount() int {
	if n, err := strconv.Atoi(os.Getenv("SEGKIT_IT_RULES")); err == nil && n > 0 {
		return n
	}
	return 600
}

func diffSets(want, got map[string]bool) (missing, extra []string) {
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}

// TestDifferential renders random rules of every form for PostgreSQL and
// for the two-shard ClickHouse and requires the member sets of the index,
// PostgreSQL and ClickHouse to be identical, rule by rule; the COUNT
// variants must agree too.
func TestDifferential(t *testing.T) {
	pool := pgConnect(t)
	ch := chConnect(t)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	t.Run("America/New_York", func(t *testing.T) { differential(t, pool, ch, ny, 42, rulesCount()) })
	t.Run("fixed-03:30", func(t *testing.T) {
		differential(t, pool, ch, time.FixedZone("fixed-03:30", -(3*3600+30*60)), 43, rulesCount()/4)
	})
}

func differential(t *testing.T, pool *pgxpool.Pool, ch *clickhouse, loc *time.Location, seed uint64, n int) {
	p := newPopulation(t, seed, 3000, loc)
	reg := registry(t, p)
	pgLayout := pgLoad(t, pool, p, "segkit_diff")
	chLayout := chLoad(t, ch, p, "segkit_diff")
	chGlobal := chLayout
	chGlobal.Events, chGlobal.GlobalIn = "segkit_diff.events", true // the Distributed events table

	pgGen, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: schema, Layout: pgLayout, Location: loc, Segments: reg, Params: true})
	require.NoError(t, err)
	pgLit, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: schema, Layout: pgLayout, Location: loc, Segments: reg})
	require.NoError(t, err)
	chGen, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.ClickHouse, Schema: schema, Layout: chLayout, Location: loc, Segments: reg})
	require.NoError(t, err)
	chGlobalGen, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.ClickHouse, Schema: schema, Layout: chGlobal, Location: loc, Segments: reg})
	require.NoError(t, err)

	g := &ruleGen{rng: rand.New(rand.NewPCG(seed, 11)), now: p.now}
	ctx := context.Background()
	for i := 0; i < n; i++ {
		src := g.rule(3)
		// now moves around the day, so day edges and DST matter
		now := p.now.Add(time.Duration(g.rng.IntN(3*86400)-86400) * time.Second)
		r, err := segment.Compile(src, segment.WithSchema(schema), segment.WithResolver(reg))
		require.NoError(t, err, src)
		set, err := r.Eval(ctx, p.v, now)
		require.NoError(t, err, src)
		want := map[string]bool{}
		for k := range set.Keys() {
			want[k] = true
		}
		check := func(engine string, q sqlgen.Query, run func(sqlgen.Query) (map[string]bool, error)) {
			got, err := run(q)
			require.NoError(t, err, "%s\nrule: %s\nSQL:\n%s", engine, src, q.SQL)
			if missing, extra := diffSets(want, got); len(missing)+len(extra) > 0 {
				t.Fatalf("%s disagrees with the index (%d members)\nrule: %s\nnow: %s\nmissing: %v\nextra: %v\nSQL:\n%s", engine, len(want), src, now, missing, extra, q.SQL)
			}
		}
		qp, err := pgGen.Select(r, now)
		require.NoError(t, err, src)
		check("PostgreSQL", qp, func(q sqlgen.Query) (map[string]bool, error) { return pgIDs(t, pool, q) })
		if i%5 == 0 { // literals instead of bind parameters
			ql, err := pgLit.Select(r, now)
			require.NoError(t, err, src)
			require.Empty(t, ql.Args)
			check("PostgreSQL (literals)", ql, func(q sqlgen.Query) (map[string]bool, error) { return pgIDs(t, pool, q) })
		}
		qc, err := chGen.Select(r, now)
		require.NoError(t, err, src)
		check("ClickHouse", qc, func(q sqlgen.Query) (map[string]bool, error) { return chIDs(ch, q) })
		if i%4 == 0 { // GLOBAL IN over the Distributed events table
			qg, err := chGlobalGen.Select(r, now)
			require.NoError(t, err, src)
			check("ClickHouse (GLOBAL IN)", qg, func(q sqlgen.Query) (map[string]bool, error) { return chIDs(ch, q) })
		}
		if i%10 == 0 {
			cq, err := pgGen.Count(r, now)
			require.NoError(t, err)
			var k int
			require.NoError(t, pool.QueryRow(ctx, cq.SQL, cq.Args...).Scan(&k), cq.SQL)
			require.Equal(t, len(want), k, "PostgreSQL count: %s", src)
			cc, err := chGen.Count(r, now)
			require.NoError(t, err)
			out, err := ch.query(0, cc.SQL)
			require.NoError(t, err, cc.SQL)
			require.Equal(t, strconv.Itoa(len(want)), strings.TrimSpace(out), "ClickHouse count: %s", src)
		}
	}
	t.Logf("%d random rules: index, PostgreSQL and two-shard ClickHouse agree on every member set", n)
}

// TestInjection: a rule whose strings try to close the literal and drop
// the table selects what the index selects and leaves the tables intact.
func TestInjection(t *testing.T) {
	pool := pgConnect(t)
	ch := chConnect(t)
	p := newPopulation(t, 5, 300, time.UTC)
	reg := registry(t, p)
	pgLayout := pgLoad(t, pool, p, "segkit_inj")
	chLayout := chLoad(t, ch, p, "segkit_inj")
	rules := []string{
		`has("'; DROP TABLE customers; --")`,
		`city == "'; DROP TABLE customers; --" || city in ["x'); DROP TABLE segkit_inj.customers; --", "O'Hare; DROP"]`,
		`city startsWith "'; DROP TABLE customers; --" || city contains "\\'; DROP TABLE customers; --"`,
		`city matches "'; DROP TABLE customers; --" || "\\'); DROP TABLE customers; --" in interests`,
		`did("'; DROP TABLE customers; --") || countWithin("\\'; DROP TABLE customers; --", "7d") > 1`,
		`city == "back\\slash" || city == "O'Hare; DROP"`,
	}
	for _, params := range []bool{true, false} {
		pgGen, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: schema, Layout: pgLayout, Segments: reg, Params: params})
		require.NoError(t, err)
		chGen, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.ClickHouse, Schema: schema, Layout: chLayout, Segments: reg})
		require.NoError(t, err)
		for _, src := range rules {
			r := segment.MustCompile(src, segment.WithSchema(schema))
			set, err := r.Eval(context.Background(), p.v, p.now)
			require.NoError(t, err)
			want := map[string]bool{}
			for k := range set.Keys() {
				want[k] = true
			}
			q, err := pgGen.Select(r, p.now)
			require.NoError(t, err)
			got, err := pgIDs(t, pool, q)
			require.NoError(t, err, q.SQL)
			require.Equal(t, want, got, src)
			qc, err := chGen.Select(r, p.now)
			require.NoError(t, err)
			gotc, err := chIDs(ch, qc)
			require.NoError(t, err, qc.SQL)
			require.Equal(t, want, gotc, src)
		}
	}
	var k int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM segkit_inj.customers").Scan(&k))
	require.Equal(t, p.v.Len(), k)
	out, err := ch.query(0, "SELECT count() FROM segkit_inj.customers")
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(p.v.Len()), strings.TrimSpace(out))
	require.NotZero(t, len(p.v.Tag("'; DROP TABLE customers; --").Bitmap().ToArray()))
}
