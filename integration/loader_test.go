package integration

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/dbload"
)

func pgLoader(db *sql.DB, pgSchema string) *dbload.Loader {
	var cols []dbload.Column
	for _, a := range schema {
		cols = append(cols, dbload.Column{Column: a.Name, Attribute: a})
	}
	return &dbload.Loader{
		DB: db,
		Customers: &dbload.Customers{
			Query: "SELECT * FROM " + pgSchema + ".customers",
			Key:   "id", Tags: "tags", Attributes: cols, Watermark: "updated_at", Deleted: "deleted",
		},
		Events: &dbload.Events{Query: "SELECT * FROM " + pgSchema + ".events", Key: "id", Name: "name", At: "at", Value: "value", Props: "props", Watermark: "seq"},
	}
}

// sameProfiles fails on the first customer whose profiles differ
// (testify's diff of whole populations takes minutes).
func sameProfiles(t *testing.T, want, got map[string]bitmapindex.Profile, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: number of customers", msg)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !reflect.DeepEqual(want[k], got[k]) {
			t.Fatalf("%s: customer %q differs\nwant %+v\ngot  %+v", msg, k, want[k], got[k])
		}
	}
}

// profiles of every live customer, without the fields that do not depend on
// how the data came in.
func profilesOf(v *bitmapindex.View) map[string]bitmapindex.Profile {
	out := map[string]bitmapindex.Profile{}
	for k := range v.All().Keys() {
		p, _ := v.Profile(k)
		p.Schema, p.Location = nil, nil
		// occurrences of one day in a canonical order (the load order of
		// rows within a day is not part of the data)
		for name, det := range p.Details {
			ts := p.Events[name]
			idx := make([]int, len(ts))
			for i := range idx {
				idx[i] = i
			}
			key := func(i int) string { return fmt.Sprintf("%d|%d|%v", ts[i].Unix(), det[i].Value, det[i].Props) }
			slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(key(a), key(b)) })
			nd := make([]bitmapindex.EventDetail, len(det))
			for i, j := range idx {
				nd[i] = det[j]
			}
			p.Details[name] = nd
		}
		out[k] = p
	}
	return out
}

// TestLoaderPostgres: an index loaded from PostgreSQL with dbload (pgx's
// database/sql driver) equals the index built directly from the same data;
// after 1% of the customers change (tags, values, NULLs, deletions) and new
// events arrive, a refresh from the watermarks gives the index a full load
// of the changed tables gives.
func TestLoaderPostgres(t *testing.T) {
	pool := pgConnect(t)
	db, err := sql.Open("pgx", os.Getenv("SEGKIT_IT_PG_DSN"))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	p := newPopulation(t, 9, 4000, loc)
	pgLoad(t, pool, p, "segkit_load")
	_, err = pool.Exec(ctx, `ALTER TABLE segkit_load.customers ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2025-01-01', ADD COLUMN deleted boolean NOT NULL DEFAULT false;
		ALTER TABLE segkit_load.events ADD COLUMN seq bigserial`)
	require.NoError(t, err)

	ix, err := bitmapindex.New(bitmapindex.Config{Location: loc})
	require.NoError(t, err)
	l := pgLoader(db, "segkit_load")
	l.BatchSize = 1000
	st, err := l.Load(ctx, ix)
	require.NoError(t, err)
	require.Equal(t, p.v.Len(), st.CustomerRows)
	sameProfiles(t, profilesOf(p.v), profilesOf(ix.View()), "loaded from PostgreSQL vs built directly")
	// events of customers not in the table (deleted ones) were skipped
	require.Positive(t, st.SkippedEvents)

	// 1% of the customers change, a few are soft-deleted, events arrive
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([]string, 0, p.v.Len())
	for k := range p.v.All().Keys() {
		ids = append(ids, k)
	}
	for i := 0; i < len(ids)/100; i++ {
		id := ids[rng.IntN(len(ids))]
		switch i % 4 {
		case 0:
			_, err = pool.Exec(ctx, `UPDATE segkit_load.customers SET tags = ARRAY['t9', 't1'], age = NULL, city = 'Zürich', updated_at = now() WHERE id = $1`, id)
		case 1:
			_, err = pool.Exec(ctx, `UPDATE segkit_load.customers SET tags = '{}', interests = NULL, spend = 12.34, vip = NOT coalesce(vip, false), updated_at = now() WHERE id = $1`, id)
		case 2:
			_, err = pool.Exec(ctx, `UPDATE segkit_load.customers SET deleted = true, updated_at = now() WHERE id = $1`, id)
		default:
			_, err = pool.Exec(ctx, `UPDATE segkit_load.customers SET signup = '2025-03-01 12:00:00+00', interests = ARRAY['new one', 'x"y'], updated_at = now() WHERE id = $1`, id)
		}
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO segkit_load.events (id, name, at, value) VALUES ($1, 'purchase', now() - interval '1 day', 9.5)`, id)
		require.NoError(t, err)
	}
	st2, err := l.Refresh(ctx, ix, st)
	require.NoError(t, err)
	require.Positive(t, st2.CustomerRows)
	require.Less(t, st2.CustomerRows, len(ids)/50, "a refresh reads the changed rows only")

	full, err := bitmapindex.New(bitmapindex.Config{Location: loc})
	require.NoError(t, err)
	_, err = pgLoader(db, "segkit_load").Load(ctx, full)
	require.NoError(t, err)
	sameProfiles(t, profilesOf(full.View()), profilesOf(ix.View()), "refresh vs full load")
}

// processCPU is this process's user+system CPU time: on a shared machine
// the loader's own cost, which other processes do not inflate.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLoaderThroughput measures a load from PostgreSQL at
// SEGKIT_IT_LOADER_N customers (default 1,000,000 when set to "1M"; the
// test runs only when the variable is set) and a refresh of 1%.
func TestLoaderThroughput(t *testing.T) {
	nStr := os.Getenv("SEGKIT_IT_LOADER_N")
	if nStr == "" {
		t.Skip("set SEGKIT_IT_LOADER_N (e.g. 1000000) to measure the loader")
	}
	n, err := strconv.Atoi(nStr)
	require.NoError(t, err)
	pool := pgConnect(t)
	ctx := context.Background()
	_, err = pool.Exec(ctx, `DROP SCHEMA IF EXISTS segkit_tp CASCADE; CREATE SCHEMA segkit_tp;
		CREATE TABLE segkit_tp.customers (id text PRIMARY KEY, tags text[] NOT NULL, age bigint, spend numeric(38,2), city text, interests text[], signup timestamptz, vip boolean, updated_at timestamptz NOT NULL DEFAULT '2025-01-01', deleted boolean NOT NULL DEFAULT false)`)
	require.NoError(t, err)
	start := time.Now()
	_, err = pool.Exec(ctx, fmt.Sprintf(`INSERT INTO segkit_tp.customers (id, tags, age, spend, city, interests, signup, vip)
		SELECT 'c' || i, ARRAY['t' || (i %% 7), 't' || (i %% 13 + 7), 't' || (i %% 101 + 20)], 15 + i %% 60, (i %% 30000) / 100.0,
		       'city' || (i %% 300), CASE WHEN i %% 3 = 0 THEN ARRAY['math', 'art'] END, timestamptz '2024-01-01' + (i %% 500) * interval '1 day', i %% 2 = 0
		FROM generate_series(1, %d) AS i; ANALYZE segkit_tp.customers`, n))
	require.NoError(t, err)
	t.Logf("generated %d customers in PostgreSQL in %s", n, time.Since(start).Round(time.Millisecond))
	db, err := sql.Open("pgx", os.Getenv("SEGKIT_IT_PG_DSN"))
	require.NoError(t, err)
	defer db.Close()
	var cols []dbload.Column
	for _, a := range schema {
		if a.Name != "score" && a.Name != "last_login" {
			cols = append(cols, dbload.Column{Column: a.Name, Attribute: a})
		}
	}
	l := &dbload.Loader{DB: db, Customers: &dbload.Customers{Query: "SELECT * FROM segkit_tp.customers", Key: "id", Tags: "tags", Attributes: cols, Watermark: "updated_at", Deleted: "deleted"}}
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	start = time.Now()
	cpu0 := processCPU()
	st, err := l.Load(ctx, ix)
	require.NoError(t, err)
	el := time.Since(start)
	cpu := processCPU() - cpu0
	require.Equal(t, n, ix.View().Len())
	t.Logf("load: %d customers in %s: %.0f customers/s (loader process CPU %s: %.0f customers per CPU-second)", n, el.Round(time.Millisecond), float64(n)/el.Seconds(), cpu.Round(time.Millisecond), float64(n)/cpu.Seconds())
	_, err = pool.Exec(ctx, fmt.Sprintf(`UPDATE segkit_tp.customers SET tags = ARRAY['t1', 'changed'], age = NULL, updated_at = now() WHERE ('x' || substr(md5(id), 1, 8))::bit(32)::int %% 100 = 0`))
	require.NoError(t, err)
	start = time.Now()
	st2, err := l.Refresh(ctx, ix, st)
	require.NoError(t, err)
	el = time.Since(start)
	t.Logf("refresh: %d changed customers (%.1f%%) in %s", st2.CustomerRows, 100*float64(st2.CustomerRows)/float64(n), el.Round(time.Millisecond))
	require.Equal(t, st2.CustomerRows, ix.View().Tag("changed").Len())
}
