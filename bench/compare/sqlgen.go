package compare

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/sqlgen"
	"github.com/segkit/segkit/synth"
)

// The "-sqlgen" engines keep the data in sqlgen's documented layout
// (customers(id text, tags text[], one column per attribute), events(id,
// name, at, value numeric(38,4), props jsonb), see sqlgen.Layout) and run
// every rule as sqlgen renders it from the segkit source — no hand-written
// SQL at all: what a team gets by pointing `segkit sql` at its warehouse.
// DuckDB runs sqlgen's PostgreSQL dialect unchanged (E'…' strings, ARRAY
// literals with @>, &&, = ANY, ->> on JSON, timestamptz, CTEs: all
// accepted, and the counts are checked like every engine's).

// synthSchema is the attribute schema of synth's population.
func synthSchema() ([]bitmapindex.Attribute, error) {
	var out []bitmapindex.Attribute
	for _, f := range synth.Fields() {
		k, scale, err := bitmapindex.ParseKind(f.Kind)
		if err != nil {
			return nil, fmt.Errorf("compare: synth field %s: %w", f.Name, err)
		}
		out = append(out, bitmapindex.Attribute{Name: f.Name, Kind: k, Scale: scale})
	}
	return out, nil
}

// renderSqlgen renders every rule's COUNT with sqlgen's PostgreSQL dialect
// and escaped literals (no bind parameters, so DuckDB runs the same text).
func renderSqlgen(p *Population, rules []Rule) ([]string, error) {
	schema, err := synthSchema()
	if err != nil {
		return nil, err
	}
	reg := segment.NewRegistry(segment.WithSchema(schema))
	for name, src := range Segments {
		if err := reg.Define(segment.Definition{Name: name, Rule: src}); err != nil {
			return nil, fmt.Errorf("compare: segment %s: %w", name, err)
		}
	}
	g, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: schema, Location: time.UTC, Segments: reg})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rules))
	for i, r := range rules {
		rule, err := segment.Compile(r.Segkit, segment.WithSchema(schema), segment.WithResolver(reg))
		if err != nil {
			return nil, fmt.Errorf("compare: rule %s: %w", r.Name, err)
		}
		q, err := g.Count(rule, p.Now)
		if err != nil {
			return nil, fmt.Errorf("compare: sqlgen: rule %s: %w", r.Name, err)
		}
		out[i] = q.SQL
	}
	return out, nil
}

// amountString renders cents as a decimal literal ("12.34").
func amountString(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// docCustomer returns a customer's attribute values in the order of
// sqlgen.DDL's columns (the schema sorted by name), nil when missing.
func docCustomer(row *Row) (tags []string, age, city, gender, interests, lastLogin, occupation, signup, source any, spendCents int64, vip bool) {
	c := &row.Rec.Customer
	tags = c.Tags
	if tags == nil {
		tags = []string{}
	}
	if c.Age != 0 {
		age = int64(c.Age)
	}
	city = c.City
	gender, occupation, source = nullStr(c.Gender), nullStr(c.Occupation), nullStr(c.Source)
	if len(c.Interests) > 0 {
		interests = c.Interests
	}
	return tags, age, city, gender, interests, c.LastLoginAt.UTC(), occupation, c.SignupAt.UTC(), source, row.SpendCents, c.VIP
}

// eventCents returns an event's value in cents (synth's values are whole
// cents) or an error when it is not.
func eventCents(e *segkit.Event) (int64, error) {
	c := e.Value * 100
	r := int64(c + 0.5*sign(c))
	if float64(r)/100 != e.Value {
		return 0, fmt.Errorf("compare: event value %v is not a whole number of cents", e.Value)
	}
	return r, nil
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// ---- PostgreSQL ----------------------------------------------------------

// pgSqlgenEngine is PostgreSQL with sqlgen's DDL (GIN on tags, btree
// events(name, at) and events(id)) plus the indexes a DBA adds for these
// rules — btree on city, age, last_login_at, signup_at, and
// events(name, at) INCLUDE (id, value) for index-only window scans — loaded
// with binary COPY and VACUUM ANALYZE, queries rendered by sqlgen.
type pgSqlgenEngine struct {
	pg *pgEngine
}

func newPostgresSqlgen(o Options) *pgSqlgenEngine {
	return &pgSqlgenEngine{pg: newPostgres("postgres-sqlgen", false, o)}
}

func (e *pgSqlgenEngine) Name() string { return "postgres-sqlgen" }

func (e *pgSqlgenEngine) Describe() string {
	return fmt.Sprintf("PostgreSQL, sqlgen's documented layout (text ids, tags text[] + GIN, events with numeric value and jsonb props; btree events (name, at) INCLUDE (id, value), (id)); every rule rendered by sqlgen; %d parallel workers; VACUUM ANALYZE", e.pg.threads())
}

func (e *pgSqlgenEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	pg := e.pg
	var err error
	if pg.conn, err = pg.connect(ctx); err != nil {
		return err
	}
	schema, err := synthSchema()
	if err != nil {
		return err
	}
	ddl, err := sqlgen.DDL(sqlgen.Postgres, schema, sqlgen.Layout{})
	if err != nil {
		return err
	}
	// sqlgen.DDL names the tables without a schema: search_path puts them
	// into this engine's.
	if err := pg.exec(ctx, `DROP SCHEMA IF EXISTS `+pg.schema+` CASCADE`, `CREATE SCHEMA `+pg.schema); err != nil {
		return err
	}
	var indexes []string
	for _, q := range ddl {
		if strings.HasPrefix(q, "CREATE INDEX") {
			indexes = append(indexes, q) // after the load
			continue
		}
		if err := pg.exec(ctx, q); err != nil {
			return err
		}
	}
	pg.tables = []string{"customers", "events"}
	if err := e.copyAll(ctx, p, schema); err != nil {
		return err
	}
	indexes = append(indexes,
		`CREATE INDEX ON customers (city)`,
		`CREATE INDEX ON customers (age)`,
		`CREATE INDEX ON customers (last_login_at)`,
		`CREATE INDEX ON customers (signup_at)`,
		`CREATE INDEX ON events (name, at) INCLUDE (id, value)`,
		`VACUUM ANALYZE customers`,
		`VACUUM ANALYZE events`)
	if err := pg.exec(ctx, indexes...); err != nil {
		return err
	}
	if pg.queries, err = renderSqlgen(p, rules); err != nil {
		return err
	}
	return nil
}

func (e *pgSqlgenEngine) copyAll(ctx context.Context, p *Population, schema []bitmapindex.Attribute) error {
	pg := e.pg
	cols := []string{"id", "tags"}
	for _, a := range sortedAttrs(schema) {
		cols = append(cols, a)
	}
	conns := make([]*pgx.Conn, 2)
	for i := range conns {
		c, err := pg.connect(ctx)
		if err != nil {
			for _, x := range conns[:i] {
				x.Close(context.Background())
			}
			return err
		}
		conns[i] = c
	}
	chs := [2]chan [][]any{make(chan [][]any, 4), make(chan [][]any, 4)}
	g, gctx := errgroup.WithContext(ctx)
	for i, t := range []struct {
		name string
		cols []string
	}{{"customers", cols}, {"events", []string{"id", "name", "at", "value", "props"}}} {
		conn, ch := conns[i], chs[i]
		g.Go(func() error {
			defer conn.Close(context.Background())
			var batch [][]any
			src := pgx.CopyFromFunc(func() ([]any, error) {
				for len(batch) == 0 {
					b, ok := <-ch
					if !ok {
						return nil, nil
					}
					batch = b
				}
				row := batch[0]
				batch = batch[1:]
				return row, nil
			})
			if _, err := conn.CopyFrom(gctx, pgx.Identifier{pg.schema, t.name}, t.cols, src); err != nil {
				return fmt.Errorf("compare: %s: copy %s: %w", e.Name(), t.name, err)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(chs[0])
		defer close(chs[1])
		const batchRows = 8192
		var bufs [2][][]any
		send := func(k int, force bool) error {
			if len(bufs[k]) < batchRows && !(force && len(bufs[k]) > 0) {
				return nil
			}
			select {
			case chs[k] <- bufs[k]:
			case <-gctx.Done():
				return gctx.Err()
			}
			bufs[k] = make([][]any, 0, batchRows)
			return nil
		}
		empty := map[string]string{}
		for row := range p.Rows() {
			tags, age, city, gender, interests, lastLogin, occ, signup, source, spend, vip := docCustomer(row)
			key := row.Rec.Customer.Key
			// The generator reuses its slices: the batch outlives this row.
			tags = slices.Clone(tags)
			if ints, ok := interests.([]string); ok {
				interests = slices.Clone(ints)
			}
			bufs[0] = append(bufs[0], []any{key, tags, age, city, gender, interests, lastLogin, occ, signup, source,
				pgtype.Numeric{Int: big.NewInt(spend), Exp: -2, Valid: true}, vip})
			for i := range row.Rec.Events {
				ev := &row.Rec.Events[i]
				cents, err := eventCents(ev)
				if err != nil {
					return err
				}
				props := ev.Props
				if props == nil {
					props = empty
				}
				bufs[1] = append(bufs[1], []any{key, ev.Name, ev.At, pgtype.Numeric{Int: big.NewInt(cents), Exp: -2, Valid: true}, props})
			}
			for k := range bufs {
				if err := send(k, false); err != nil {
					return err
				}
			}
		}
		for k := range bufs {
			if err := send(k, true); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

func (e *pgSqlgenEngine) Count(ctx context.Context, i int) (int64, error) { return e.pg.Count(ctx, i) }
func (e *pgSqlgenEngine) Memory(ctx context.Context) (Memory, error)      { return e.pg.Memory(ctx) }
func (e *pgSqlgenEngine) Close() error                                    { return e.pg.Close() }

// sortedAttrs returns the attribute names in sqlgen.DDL's column order.
func sortedAttrs(schema []bitmapindex.Attribute) []string {
	names := make([]string, len(schema))
	for i, a := range schema {
		names[i] = a.Name
	}
	slices.Sort(names)
	return names
}

// ---- DuckDB --------------------------------------------------------------

// duckSqlgenEngine is DuckDB (tuned as the duckdb engine) with sqlgen's
// documented layout in DuckDB types — customers(id VARCHAR, tags VARCHAR[],
// age BIGINT, …, spend DECIMAL(38,2), times TIMESTAMPTZ), events(id, name,
// at TIMESTAMPTZ, value DECIMAL(38,4), props JSON) sorted by (name, at) for
// the zonemaps — and every rule as sqlgen's PostgreSQL dialect renders it.
type duckSqlgenEngine struct {
	o       Options
	db      *sql.DB
	conn    *sql.Conn
	queries []string
	rss0    int64
	version string
}

func newDuckSqlgen(o Options) *duckSqlgenEngine { return &duckSqlgenEngine{o: o} }

func (e *duckSqlgenEngine) Name() string { return "duckdb-sqlgen" }

func (e *duckSqlgenEngine) Describe() string {
	return fmt.Sprintf("DuckDB %s in-memory, %d threads, memory_limit %s; sqlgen's documented layout (VARCHAR ids, tags VARCHAR[], events with DECIMAL value and JSON props, sorted by (name, at)); every rule rendered by sqlgen (PostgreSQL dialect)", e.version, max(e.o.Threads, 1), duckMemoryLimit)
}

func (e *duckSqlgenEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	e.rss0 = settledRSS()
	var err error
	if e.db, e.conn, err = openDuck(ctx, max(e.o.Threads, 1)); err != nil {
		return err
	}
	if err := e.conn.QueryRowContext(ctx, `SELECT version()`).Scan(&e.version); err != nil {
		return fmt.Errorf("compare: duckdb-sqlgen: %w", err)
	}
	exec := func(qs ...string) error {
		for _, q := range qs {
			if _, err := e.conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("compare: duckdb-sqlgen: %s: %w", q, err)
			}
		}
		return nil
	}
	// Staging tables take the appender's types (amounts as text, props as
	// JSON text); the final tables cast them exactly.
	if err := exec(
		`CREATE TABLE customers (id VARCHAR NOT NULL, tags VARCHAR[] NOT NULL, age BIGINT, city VARCHAR, gender VARCHAR,
			interests VARCHAR[], last_login_at TIMESTAMPTZ, occupation VARCHAR, signup_at TIMESTAMPTZ, source VARCHAR,
			spend_text VARCHAR NOT NULL, vip BOOLEAN)`,
		`CREATE TABLE events_stage (id VARCHAR NOT NULL, name VARCHAR NOT NULL, "at" TIMESTAMPTZ NOT NULL, value_text VARCHAR NOT NULL, props_text VARCHAR NOT NULL)`,
	); err != nil {
		return err
	}
	if err := e.conn.Raw(func(dc any) error { return e.appendAll(ctx, dc.(driver.Conn), p) }); err != nil {
		return err
	}
	if err := exec(
		`ALTER TABLE customers ADD COLUMN spend DECIMAL(38,2)`,
		`UPDATE customers SET spend = CAST(spend_text AS DECIMAL(38,2))`,
		`ALTER TABLE customers DROP COLUMN spend_text`,
		`CREATE TABLE events AS SELECT id, name, "at", CAST(value_text AS DECIMAL(38,4)) AS value, CAST(props_text AS JSON) AS props
			FROM events_stage ORDER BY name, "at"`,
		`DROP TABLE events_stage`,
		`CHECKPOINT`,
	); err != nil {
		return err
	}
	if e.queries, err = renderSqlgen(p, rules); err != nil {
		return err
	}
	return nil
}

func (e *duckSqlgenEngine) appendAll(ctx context.Context, dc driver.Conn, p *Population) (err error) {
	var apps [2]*duckdb.Appender
	defer func() {
		for _, a := range apps {
			if a != nil {
				err = errors.Join(err, a.Close())
			}
		}
		if err != nil {
			err = fmt.Errorf("compare: duckdb-sqlgen: append: %w", err)
		}
	}()
	for i, t := range []string{"customers", "events_stage"} {
		if apps[i], err = duckdb.NewAppenderFromConn(dc, "", t); err != nil {
			return err
		}
	}
	propsJSON := map[string]string{}
	for row := range p.Rows() {
		tags, age, city, gender, interests, lastLogin, occ, signup, source, spend, vip := docCustomer(row)
		key := row.Rec.Customer.Key
		var ints driver.Value
		if interests != nil {
			ints = interests
		}
		if err := apps[0].AppendRow(key, tags, age, city, gender, ints, lastLogin, occ, signup, source, amountString(spend), vip); err != nil {
			return err
		}
		for i := range row.Rec.Events {
			ev := &row.Rec.Events[i]
			cents, err := eventCents(ev)
			if err != nil {
				return err
			}
			props := "{}"
			if len(ev.Props) > 0 {
				s, ok := propsJSON[fmt.Sprint(ev.Props)]
				if !ok {
					b, err := json.Marshal(ev.Props)
					if err != nil {
						return err
					}
					s = string(b)
					propsJSON[fmt.Sprint(ev.Props)] = s
				}
				props = s
			}
			if err := apps[1].AppendRow(key, ev.Name, ev.At.UTC(), amountString(cents), props); err != nil {
				return err
			}
		}
		if row.ID%32768 == 32767 {
			if err := ctx.Err(); err != nil {
				return err
			}
			for _, a := range apps {
				if err := a.Flush(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (e *duckSqlgenEngine) Count(ctx context.Context, i int) (int64, error) {
	var n int64
	if err := e.conn.QueryRowContext(ctx, e.queries[i]).Scan(&n); err != nil {
		return 0, fmt.Errorf("compare: duckdb-sqlgen: %w", err)
	}
	return n, nil
}

func (e *duckSqlgenEngine) Memory(ctx context.Context) (Memory, error) {
	rss := settledRSS()
	if rss <= 0 || e.rss0 <= 0 {
		return Memory{}, errors.New("compare: duckdb-sqlgen: memory: cannot read VmRSS from /proc/self/status")
	}
	return Memory{Bytes: rss - e.rss0, How: "process RSS growth over the load (DuckDB in-process; Go heap returned to the OS before each reading)"}, nil
}

func (e *duckSqlgenEngine) Close() error {
	var err error
	if e.conn != nil {
		err = e.conn.Close()
	}
	if e.db != nil {
		err = errors.Join(err, e.db.Close())
	}
	e.conn, e.db = nil, nil
	return err
}
