package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/sqlgen"
)

var schema = []bitmapindex.Attribute{
	{Name: "age", Kind: bitmapindex.KindInt},
	{Name: "score", Kind: bitmapindex.KindInt},
	{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
	{Name: "signup", Kind: bitmapindex.KindTime},
	{Name: "last_login", Kind: bitmapindex.KindTime},
	{Name: "city", Kind: bitmapindex.KindCategory},
	{Name: "interests", Kind: bitmapindex.KindSet},
	{Name: "vip", Kind: bitmapindex.KindBool},
}

var (
	cities    = []string{"Beijing", "Shanghai", "Shenzhen", "Berlin", "Boston", "Chengdu", "Bogota", "Hangzhou", "Zürich", "北京", "O'Hare; DROP", "a_b%c", "back\\slash"}
	interests = []string{"math", "art", "music", "sport", "maths", "coding", "Kelvin", "straße"}
	events    = []string{"login", "purchase", "trial"}
)

// need returns the value of an environment variable naming a server, or
// skips the test (fails it when SEGKIT_IT_REQUIRE=1).
func need(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("SEGKIT_IT_REQUIRE") == "1" {
			t.Fatalf("%s is not set (run integration/run.sh)", env)
		}
		t.Skipf("%s is not set: run integration/run.sh to start the servers", env)
	}
	return v
}

type event struct {
	name  string
	at    time.Time
	val   int64 // ten-thousandths (bitmapindex.Amount)
	props map[string]string
}

var (
	categories = []string{"math", "art", "music", "数学", "it's"}
	channels   = []string{"app", "web", "store"}
)

type customer struct {
	id     string
	tags   []string
	attrs  map[string]bitmapindex.Value
	events []event
	live   bool
}

// population is random customers with missing values, times around day
// boundaries in the index zone, events in the past and future (and of
// deleted customers, which must not count), loaded into an index.
type population struct {
	loc       *time.Location
	now       time.Time
	customers []customer
	ix        *bitmapindex.Index
	v         *bitmapindex.View
}

func newPopulation(t testing.TB, seed uint64, n int, loc *time.Location) *population {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	now := time.Date(2025, 3, 9, 0, 0, 0, 0, loc).Add(time.Duration(rng.IntN(86400)) * time.Second) // DST change in New York
	p := &population{loc: loc, now: now}
	for i := 0; i < n; i++ {
		c := customer{id: fmt.Sprintf("c%05d", i), attrs: map[string]bitmapindex.Value{}, live: rng.IntN(25) != 0}
		if i == 7 {
			c.id = "'; DROP TABLE customers; --"
		}
		for tg := 0; tg < 7; tg++ {
			if rng.Float64() < 0.5/float64(tg+1) {
				c.tags = append(c.tags, fmt.Sprintf("t%d", tg))
			}
		}
		if rng.IntN(30) == 0 {
			c.tags = append(c.tags, "'; DROP TABLE customers; --")
		}
		maybe := func(pr float64, attr string, v bitmapindex.Value) {
			if rng.Float64() < pr {
				c.attrs[attr] = v
			}
		}
		maybe(0.8, "age", bitmapindex.Int(int64(15+rng.IntN(50))))
		maybe(0.7, "score", bitmapindex.Int(int64(rng.IntN(21)-10)))
		maybe(0.7, "spend", bitmapindex.Decimal(float64(rng.IntN(30000))/100))
		randTime := func() time.Time { return now.Add(time.Duration(rng.IntN(800*86400)-400*86400) * time.Second) }
		maybe(0.75, "signup", bitmapindex.Time(randTime()))
		if rng.Float64() < 0.7 {
			d := now.AddDate(0, 0, -rng.IntN(40))
			mid := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
			c.attrs["last_login"] = bitmapindex.Time(mid.Add(time.Duration(rng.IntN(5)-2) * time.Second))
		}
		maybe(0.8, "city", bitmapindex.Category(cities[rng.IntN(len(cities))]))
		if rng.Float64() < 0.7 {
			var vs []string
			for _, s := range interests {
				if rng.Float64() < 0.3 {
					vs = append(vs, s)
				}
			}
			if len(vs) > 0 {
				c.attrs["interests"] = bitmapindex.SetOf(vs...)
			}
		}
		maybe(0.7, "vip", bitmapindex.Bool(rng.IntN(2) == 0))
		for _, e := range events {
			if rng.Float64() < 0.25 {
				continue
			}
			m := rng.IntN(8)
			for j := 0; j < m; j++ {
				var at time.Time
				if rng.IntN(3) == 0 { // near a day boundary
					d := now.AddDate(0, 0, -rng.IntN(100))
					at = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Add(time.Duration(rng.IntN(5)-2) * time.Second)
				} else {
					at = now.Add(time.Duration(rng.IntN(200*86400)-180*86400) * time.Second)
				}
				props := func() map[string]string {
					if rng.IntN(4) == 0 {
						return nil
					}
					p := map[string]string{}
					if rng.IntN(3) > 0 {
						p["category"] = categories[rng.IntN(len(categories))]
					}
					if rng.IntN(2) == 0 {
						p["channel"] = channels[rng.IntN(len(channels))]
					}
					return p
				}
				value := func() int64 {
					switch rng.IntN(4) {
					case 0:
						return 0
					case 1:
						return int64(rng.IntN(500)) * 10000
					case 2:
						return int64(125000 * (1 + rng.IntN(4)))
					}
					return int64(rng.IntN(4_000_000) - 100_000)
				}
				c.events = append(c.events, event{name: e, at: at, val: value(), props: props()})
				if rng.Float64() < 0.2 {
					c.events = append(c.events, event{name: e, at: at.Add(time.Duration(rng.IntN(3600)) * time.Second), val: value(), props: props()})
				}
			}
		}
		p.customers = append(p.customers, c)
	}
	p.build(t)
	return p
}

// build loads the customers into an index and deletes those not live.
func (p *population) build(t testing.TB) {
	ix, err := bitmapindex.New(bitmapindex.Config{Location: p.loc, Strict: true, Schema: schema})
	require.NoError(t, err)
	b := ix.NewBatch()
	for _, c := range p.customers {
		b.Add(c.id)
		for _, tg := range c.tags {
			b.AddTag(c.id, tg)
		}
		for a, v := range c.attrs {
			b.Set(c.id, a, v)
		}
		for _, e := range c.events {
			b.RecordEvent(c.id, e.name, e.at, bitmapindex.EventDetail{Value: bitmapindex.Amount(e.val), Props: e.props})
		}
	}
	require.NoError(t, b.Commit())
	for _, c := range p.customers {
		if !c.live {
			ix.Delete(c.id)
		}
	}
	p.ix, p.v = ix, ix.View()
}

// ---- PostgreSQL ---------------------------------------------------------------

func pgConnect(t *testing.T) *pgxpool.Pool {
	dsn := need(t, "SEGKIT_IT_PG_DSN")
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// pgLoad creates the documented layout in a fresh PostgreSQL schema and
// copies the population into it; it returns the layout to render with.
func pgLoad(t *testing.T, pool *pgxpool.Pool, p *population, pgSchema string) sqlgen.Layout {
	ctx := context.Background()
	_, err := pool.Exec(ctx, fmt.Sprintf(`DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s`, pgSchema, pgSchema))
	require.NoError(t, err)
	l := sqlgen.Layout{Customers: pgSchema + ".customers", Events: pgSchema + ".events"}
	stmts, err := sqlgen.DDL(sqlgen.Postgres, schema, l)
	require.NoError(t, err)
	for _, s := range stmts {
		_, err := pool.Exec(ctx, s)
		require.NoError(t, err, s)
	}
	var crow, erow [][]any
	for _, c := range p.customers {
		for _, e := range c.events {
			props := e.props
			if props == nil {
				props = map[string]string{}
			}
			erow = append(erow, []any{c.id, e.name, e.at, bitmapindex.Amount(e.val).String(), props})
		}
		if !c.live {
			continue
		}
		row := []any{c.id, append([]string{}, c.tags...)}
		for _, a := range schema {
			v, ok := c.attrs[a.Name]
			if !ok {
				row = append(row, nil)
				continue
			}
			row = append(row, pgValue(v))
		}
		crow = append(crow, row)
	}
	cols := []string{"id", "tags"}
	for _, a := range schema {
		cols = append(cols, a.Name)
	}
	_, err = pool.CopyFrom(ctx, pgx.Identifier{pgSchema, "customers"}, cols, pgx.CopyFromRows(crow))
	require.NoError(t, err)
	_, err = pool.CopyFrom(ctx, pgx.Identifier{pgSchema, "events"}, []string{"id", "name", "at", "value", "props"}, pgx.CopyFromRows(erow))
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "ANALYZE "+pgSchema+".customers; ANALYZE "+pgSchema+".events")
	require.NoError(t, err)
	return l
}

func pgValue(v bitmapindex.Value) any {
	switch v.Kind() {
	case bitmapindex.KindInt:
		x, _ := v.AsInt()
		return x
	case bitmapindex.KindDecimal:
		x, _ := v.AsDecimal()
		return fmt.Sprintf("%.2f", x)
	case bitmapindex.KindTime:
		x, _ := v.AsTime()
		return x
	case bitmapindex.KindBool:
		x, _ := v.AsBool()
		return x
	case bitmapindex.KindCategory:
		x, _ := v.AsString()
		return x
	case bitmapindex.KindSet:
		x, _ := v.AsStrings()
		return x
	}
	return nil
}

func pgIDs(t *testing.T, pool *pgxpool.Pool, q sqlgen.Query) (map[string]bool, error) {
	rows, err := pool.Query(context.Background(), q.SQL, q.Args...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ---- ClickHouse over HTTP -----------------------------------------------------

type clickhouse struct {
	shards []string // base URLs
	client *http.Client
}

func chConnect(t *testing.T) *clickhouse {
	v := need(t, "SEGKIT_IT_CH_SHARDS")
	return &clickhouse{shards: strings.Split(v, ","), client: &http.Client{Timeout: 2 * time.Minute}}
}

// exec runs a statement on one shard; body (may be nil) is sent after the
// query (INSERT data).
func (ch *clickhouse) exec(shard int, query string, body io.Reader, settings ...string) (string, error) {
	u := ch.shards[shard] + "/?" + url.Values{"query": {query}}.Encode()
	for _, s := range settings {
		u += "&" + s
	}
	if body == nil {
		body = strings.NewReader("")
	}
	resp, err := ch.client.Post(u, "text/plain", body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse: %s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// query sends a SELECT in the POST body (no URL length limit).
func (ch *clickhouse) query(shard int, sql string) (string, error) {
	resp, err := ch.client.Post(ch.shards[shard]+"/", "text/plain", strings.NewReader(sql))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse: %s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// chLoad creates the sharded layout in a fresh database on both shards and
// inserts the population through the Distributed tables (sharded by
// customer id); it returns the layout to render with.
func chLoad(t *testing.T, ch *clickhouse, p *population, db string) sqlgen.Layout {
	l := sqlgen.Layout{Customers: db + ".customers", Events: db + ".events"}
	local, dist, err := sqlgen.ShardedDDL(schema, sqlgen.Layout{}, "segkit", db)
	require.NoError(t, err)
	for s := range ch.shards {
		_, err := ch.query(s, "DROP DATABASE IF EXISTS "+db)
		require.NoError(t, err)
		_, err = ch.query(s, "CREATE DATABASE "+db)
		require.NoError(t, err)
		for _, stmt := range append(local, dist...) {
			stmt = strings.Replace(stmt, "CREATE TABLE `", "CREATE TABLE "+db+".`", 1)
			_, err := ch.query(s, stmt)
			require.NoError(t, err, stmt)
		}
	}
	var cbuf, ebuf bytes.Buffer
	cenc, eenc := json.NewEncoder(&cbuf), json.NewEncoder(&ebuf)
	for _, c := range p.customers {
		for _, e := range c.events {
			keys, vals := []string{}, []string{}
			for k, v := range e.props {
				keys, vals = append(keys, k), append(vals, v)
			}
			require.NoError(t, eenc.Encode(map[string]any{
				"id": c.id, "name": e.name, "at": e.at.UTC().Format(time.DateTime),
				"value": json.Number(bitmapindex.Amount(e.val).String()), "prop_keys": keys, "prop_values": vals,
			}))
		}
		if !c.live {
			continue
		}
		row := map[string]any{"id": c.id, "tags": append([]string{}, c.tags...)}
		for _, a := range schema {
			v, ok := c.attrs[a.Name]
			switch {
			case a.Kind == bitmapindex.KindSet:
				ss, _ := v.AsStrings()
				row[a.Name] = append([]string{}, ss...)
				row[a.Name+"_present"] = b2i(ok)
			case !ok:
				row[a.Name] = nil
			default:
				row[a.Name] = chValue(v)
			}
		}
		require.NoError(t, cenc.Encode(row))
	}
	_, err = ch.exec(0, "INSERT INTO "+db+".customers FORMAT JSONEachRow", &cbuf, "insert_distributed_sync=1")
	require.NoError(t, err)
	_, err = ch.exec(0, "INSERT INTO "+db+".events FORMAT JSONEachRow", &ebuf, "insert_distributed_sync=1")
	require.NoError(t, err)
	// both shards hold customers
	for s := range ch.shards {
		out, err := ch.query(s, "SELECT count() FROM "+db+".customers_local")
		require.NoError(t, err)
		require.NotEqual(t, "0", strings.TrimSpace(out), "shard %d holds no customers", s)
	}
	l.Events = db + ".events_local"
	return l
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func chValue(v bitmapindex.Value) any {
	switch v.Kind() {
	case bitmapindex.KindTime:
		x, _ := v.AsTime()
		return x.UTC().Format(time.DateTime)
	case bitmapindex.KindBool:
		x, _ := v.AsBool()
		return b2i(x)
	case bitmapindex.KindDecimal:
		x, _ := v.AsDecimal()
		return json.Number(fmt.Sprintf("%.2f", x))
	}
	return pgValue(v)
}

func chIDs(ch *clickhouse, q sqlgen.Query) (map[string]bool, error) {
	out, err := ch.query(0, q.SQL+"\nFORMAT JSONEachRow")
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var row map[string]string
		if err := dec.Decode(&row); err != nil {
			return nil, err
		}
		ids[row["id"]] = true
	}
	return ids, nil
}
