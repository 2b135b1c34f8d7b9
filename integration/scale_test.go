package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/sqlgen"
)

// scaleRules are the rule classes of the comparison module (bench/), over
// the population segkit gen writes.
var scaleRules = []struct{ name, rule string }{
	{"tags2", `has("app_user") && has("wechat_follower")`},
	{"tags5", `has("app_user") && has("wechat_follower") && (has("coupon_user") || has("newsletter")) && !has("mobile_only")`},
	{"city_list", `city in ["Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Hangzhou", "Xi'an"]`},
	{"age_range", `age in 26..30`},
	{"inactive_30d", `daysSince(last_login_at) > 30`},
	{"new_30d", `within(signup_at, "30d")`},
	{"login_30d", `didWithin("login", "30d")`},
	{"trial_no_buy", `did("trial_class") && !did("purchase")`},
	{"purchases_90d", `countWithin("purchase", "90d") >= 3`},
	{"first_trial_14d", `firstWithin("trial_class", "14d")`},
	{"not_city_or_young", `!(city in ["Beijing", "Shanghai"] || age in 18..25)`},
	{"ne_pair", `occupation != "teacher" && gender != "F"`},
	{"repeat_not_vip", `inSegment("repeat_buyers") && !vip`},
	{"mixed", `has("app_user") && age in 18..30 && city in ["Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Chongqing", "Hangzhou", "Wuhan", "Xi'an", "Suzhou"] && didWithin("login", "30d")`},
	{"set_and_decimal", `"english" in interests && spend >= 500`},
	{"spend_90d", `sumWithin("purchase", "90d") >= 300`},
	{"math_buyers", `did("purchase", {category: "math"})`},
	{"trial_then_buy", `didThen("trial_class", "purchase", "14d")`},
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestQueryTimes is a by-hand measurement (SEGKIT_IT_SCALE=N customers, e.g.
// 1000000): segkit gen, export and load into PostgreSQL and the two-shard
// ClickHouse, then the median time of every rule's COUNT on the index, on
// PostgreSQL and on ClickHouse, checking that the three counts agree.
func TestQueryTimes(t *testing.T) {
	nStr := os.Getenv("SEGKIT_IT_SCALE")
	if nStr == "" {
		t.Skip("set SEGKIT_IT_SCALE (e.g. 1000000) to measure rendered queries at scale")
	}
	pool := pgConnect(t)
	ch := chConnect(t)
	ctx := context.Background()
	bin := segkitBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	step := func(what string, f func()) {
		start := time.Now()
		f()
		t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	}
	in := func(n string) string { return filepath.Join(data, n) }
	step("gen", func() {
		runSegkit(t, bin, "gen", "--out", data, "--customers", nStr, "--seed", "1", "--end", "2026-07-01")
	})
	snap := filepath.Join(dir, "crm.segkit")
	step("index build", func() {
		runSegkit(t, bin, "index", "build", "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--out", snap)
	})
	pgOut, chOut := filepath.Join(dir, "pg"), filepath.Join(dir, "ch")
	step("export", func() {
		runSegkit(t, bin, "export", "--layout", "postgres", "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--out", pgOut)
		runSegkit(t, bin, "export", "--layout", "clickhouse", "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--out", chOut)
	})
	ix, err := bitmapindex.Load(snap)
	require.NoError(t, err)
	v := ix.View()

	step("PostgreSQL load (COPY, then indexes and ANALYZE)", func() {
		_, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS segkit_scale CASCADE; CREATE SCHEMA segkit_scale")
		require.NoError(t, err)
		stmts, err := sqlgen.DDL(sqlgen.Postgres, v.Schema(), sqlgen.Layout{Customers: "segkit_scale.customers", Events: "segkit_scale.events"})
		require.NoError(t, err)
		conn, err := pool.Acquire(ctx)
		require.NoError(t, err)
		defer conn.Release()
		for _, s := range stmts {
			if strings.HasPrefix(s, "CREATE TABLE") {
				_, err := conn.Exec(ctx, s)
				require.NoError(t, err, s)
			}
		}
		for _, tbl := range []string{"customers", "events"} {
			f, err := os.Open(filepath.Join(pgOut, tbl+".csv"))
			require.NoError(t, err)
			opts := "(FORMAT csv)"
			if tbl == "customers" {
				opts = "(FORMAT csv, HEADER true)"
			}
			_, err = conn.Conn().PgConn().CopyFrom(ctx, f, "COPY segkit_scale."+tbl+" FROM STDIN WITH "+opts)
			f.Close()
			require.NoError(t, err)
		}
		for _, s := range stmts {
			if strings.HasPrefix(s, "CREATE INDEX") {
				_, err := conn.Exec(ctx, s)
				require.NoError(t, err, s)
			}
		}
		for _, tbl := range []string{"customers", "events"} {
			_, err = conn.Exec(ctx, "VACUUM ANALYZE segkit_scale."+tbl)
			require.NoError(t, err)
		}
	})
	step("ClickHouse load (two shards, through the Distributed tables)", func() {
		local, dist, err := sqlgen.ShardedDDL(v.Schema(), sqlgen.Layout{}, "segkit", "segkit_scale")
		require.NoError(t, err)
		for s := range ch.shards {
			_, err := ch.query(s, "DROP DATABASE IF EXISTS segkit_scale")
			require.NoError(t, err)
			_, err = ch.query(s, "CREATE DATABASE segkit_scale")
			require.NoError(t, err)
			for _, stmt := range append(local, dist...) {
				_, err := ch.query(s, strings.Replace(stmt, "CREATE TABLE `", "CREATE TABLE segkit_scale.`", 1))
				require.NoError(t, err, stmt)
			}
		}
		for _, tbl := range []string{"customers", "events"} {
			f, err := os.Open(filepath.Join(chOut, tbl+".jsonl"))
			require.NoError(t, err)
			_, err = ch.exec(0, "INSERT INTO segkit_scale."+tbl+" FORMAT JSONEachRow", f, "insert_distributed_sync=1")
			f.Close()
			require.NoError(t, err)
		}
		for s := range ch.shards {
			_, err := ch.query(s, "OPTIMIZE TABLE segkit_scale.events_local FINAL")
			require.NoError(t, err)
		}
	})

	reg := segment.NewRegistry(segment.WithSchema(v.Schema()))
	require.NoError(t, reg.Define(segment.Definition{Name: "repeat_buyers", Rule: `countWithin("purchase", "1y") >= 2`}))
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	pg, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: v.Schema(), Location: v.Location(), Segments: reg, Params: true,
		Layout: sqlgen.Layout{Customers: "segkit_scale.customers", Events: "segkit_scale.events"}})
	require.NoError(t, err)
	chg, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.ClickHouse, Schema: v.Schema(), Location: v.Location(), Segments: reg,
		Layout: sqlgen.Layout{Customers: "segkit_scale.customers", Events: "segkit_scale.events_local"}})
	require.NoError(t, err)
	var table strings.Builder
	fmt.Fprintf(&table, "| rule | members | segkit index ms | PostgreSQL 15 ms | ClickHouse 18.16, 2 shards ms |\n|---|---:|---:|---:|---:|\n")
	for _, sr := range scaleRules {
		r, err := segment.Compile(sr.rule, segment.WithSchema(v.Schema()), segment.WithResolver(reg))
		require.NoError(t, err, sr.rule)
		var ixT, pgT, chT []time.Duration
		var want int
		for i := 0; i < 5; i++ {
			start := time.Now()
			want, err = r.Count(ctx, v, now)
			require.NoError(t, err)
			ixT = append(ixT, time.Since(start))
		}
		qp, err := pg.Count(r, now)
		require.NoError(t, err)
		qc, err := chg.Count(r, now)
		require.NoError(t, err)
		for i := 0; i < 4; i++ {
			start := time.Now()
			var k int
			require.NoError(t, pool.QueryRow(ctx, qp.SQL, qp.Args...).Scan(&k), qp.SQL)
			if i > 0 {
				pgT = append(pgT, time.Since(start))
			}
			require.Equal(t, want, k, "PostgreSQL count of %s", sr.name)
			start = time.Now()
			out, err := ch.query(0, qc.SQL)
			require.NoError(t, err, qc.SQL)
			if i > 0 {
				chT = append(chT, time.Since(start))
			}
			require.Equal(t, strconv.Itoa(want), strings.TrimSpace(out), "ClickHouse count of %s", sr.name)
		}
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
		fmt.Fprintf(&table, "| %s | %d | %s | %s | %s |\n", sr.name, want, ms(median(ixT)), ms(median(pgT)), ms(median(chT)))
	}
	t.Logf("%d customers, now %s:\n%s", v.Len(), now.Format(time.RFC3339), table.String())
}
