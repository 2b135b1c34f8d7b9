package compare

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"
)

// pgEngine is PostgreSQL (15, reached with pgx v5) set up as a DBA would for
// this workload: tables in their own schema, loaded with COPY (binary,
// pgx CopyFrom, one connection per table, all concurrently), indexes built
// after the load, VACUUM ANALYZE (statistics, and the visibility map that
// index-only scans need), work_mem 256MB and Threads parallel workers per
// query. Server settings (shared_buffers, jit, …) are run.sh's.
//
// Layout "tables": customers(id PRIMARY KEY, age, gender, city, occupation,
// source, spend numeric(12,2), signup_at, last_login_at timestamptz, vip)
// with btree indexes on city, age, last_login_at and signup_at;
// customer_tags(tag, customer) and customer_interests(interest, customer)
// with btree (tag, customer); events_daily(event, day, customer, n) with a
// btree on (event, day, customer) INCLUDE (n); event_first(event,
// first_day, customer) with a btree on (event, first_day, customer) and one
// on (event, customer).
// Layout "postgres-gin": tags and interests as int[] columns of customers
// with GIN indexes instead of the two pair tables.
type pgEngine struct {
	name    string
	gin     bool // tags and interests as int[] columns with GIN indexes
	o       Options
	schema  string
	conn    *pgx.Conn
	queries []string
	tables  []string
}

func newPostgres(name string, gin bool, o Options) *pgEngine {
	return &pgEngine{name: name, gin: gin, o: o, schema: "bench_" + strings.ReplaceAll(name, "-", "_")}
}

func (e *pgEngine) Name() string { return e.name }

func (e *pgEngine) Describe() string {
	if e.gin {
		return fmt.Sprintf("PostgreSQL, COPY; tags/interests int[] + GIN; btree (event, day, customer) INCLUDE (n); %d parallel workers; VACUUM ANALYZE", e.threads())
	}
	return fmt.Sprintf("PostgreSQL, COPY; (tag, customer) btree; btree (event, day, customer) INCLUDE (n); %d parallel workers; VACUUM ANALYZE", e.threads())
}

func (e *pgEngine) threads() int { return max(e.o.Threads, 1) }

func (e *pgEngine) connect(ctx context.Context) (*pgx.Conn, error) {
	if e.o.PostgresDSN == "" {
		return nil, errors.New("compare: postgres: no server: pass --pg-dsn (run.sh starts one) or set SEGKIT_BENCH_PG_DSN")
	}
	conn, err := pgx.Connect(ctx, e.o.PostgresDSN)
	if err != nil {
		return nil, fmt.Errorf("compare: postgres: %w", err)
	}
	for _, q := range []string{
		`SET search_path = ` + e.schema,
		`SET TimeZone = 'UTC'`,
		`SET work_mem = '256MB'`,
		`SET maintenance_work_mem = '1GB'`,
		fmt.Sprintf(`SET max_parallel_workers_per_gather = %d`, e.threads()),
		fmt.Sprintf(`SET max_parallel_maintenance_workers = %d`, e.threads()),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("compare: postgres: %s: %w", q, err)
		}
	}
	return conn, nil
}

func (e *pgEngine) exec(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := e.conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("compare: %s: %s: %w", e.name, q, err)
		}
	}
	return nil
}

func (e *pgEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	var err error
	if e.conn, err = e.connect(ctx); err != nil {
		return err
	}
	gin := e.gin
	customers := `CREATE TABLE customers (id integer NOT NULL, age smallint, gender text, city text NOT NULL,
		occupation text, source text, spend numeric(12,2) NOT NULL, signup_at timestamptz NOT NULL,
		last_login_at timestamptz NOT NULL, vip boolean NOT NULL`
	if gin {
		customers += `, tags integer[] NOT NULL, interests integer[] NOT NULL)`
	} else {
		customers += `)`
	}
	if err := e.exec(ctx,
		`DROP SCHEMA IF EXISTS `+e.schema+` CASCADE`,
		`CREATE SCHEMA `+e.schema,
		customers,
		`CREATE TABLE events_daily (event smallint NOT NULL, day integer NOT NULL, customer integer NOT NULL, n smallint NOT NULL)`,
		`CREATE TABLE event_first (event smallint NOT NULL, first_day integer NOT NULL, customer integer NOT NULL)`,
		`CREATE TABLE purchases (day integer NOT NULL, category smallint NOT NULL, customer integer NOT NULL, cents bigint NOT NULL)`,
	); err != nil {
		return err
	}
	e.tables = []string{"customers", "events_daily", "event_first", "purchases"}
	if !gin {
		if err := e.exec(ctx,
			`CREATE TABLE customer_tags (tag smallint NOT NULL, customer integer NOT NULL)`,
			`CREATE TABLE customer_interests (interest smallint NOT NULL, customer integer NOT NULL)`,
		); err != nil {
			return err
		}
		e.tables = append(e.tables, "customer_tags", "customer_interests")
	}
	if err := e.copyAll(ctx, p, gin); err != nil {
		return err
	}
	idx := []string{
		`ALTER TABLE customers ADD PRIMARY KEY (id)`,
		`CREATE INDEX ON customers (city)`,
		`CREATE INDEX ON customers (age)`,
		`CREATE INDEX ON customers (last_login_at)`,
		`CREATE INDEX ON customers (signup_at)`,
		`CREATE INDEX ON events_daily (event, day, customer) INCLUDE (n)`,
		`CREATE INDEX ON event_first (event, first_day, customer)`,
		`CREATE INDEX ON event_first (event, customer)`,
		`CREATE INDEX ON purchases (day, category, customer) INCLUDE (cents)`,
	}
	if gin {
		idx = append(idx, `CREATE INDEX ON customers USING gin (tags)`, `CREATE INDEX ON customers USING gin (interests)`)
	} else {
		idx = append(idx, `CREATE INDEX ON customer_tags (tag, customer)`, `CREATE INDEX ON customer_interests (interest, customer)`)
	}
	for _, t := range e.tables {
		idx = append(idx, `VACUUM ANALYZE `+t)
	}
	if err := e.exec(ctx, idx...); err != nil {
		return err
	}
	e.queries, err = renderAll(rules, e.name, p.Params(tsLiteral("TIMESTAMPTZ", "+00")))
	if err != nil {
		return fmt.Errorf("compare: %s: %w", e.name, err)
	}
	return nil
}

// copyAll streams the population into every table at once: one generator
// pass feeds one COPY per table, each on its own connection.
func (e *pgEngine) copyAll(ctx context.Context, p *Population, gin bool) error {
	type table struct {
		name string
		cols []string
		ch   chan [][]any
	}
	tables := []*table{
		{name: "customers", cols: []string{"id", "age", "gender", "city", "occupation", "source", "spend", "signup_at", "last_login_at", "vip"}},
		{name: "events_daily", cols: []string{"event", "day", "customer", "n"}},
		{name: "event_first", cols: []string{"event", "first_day", "customer"}},
		{name: "purchases", cols: []string{"day", "category", "customer", "cents"}},
	}
	if gin {
		tables[0].cols = append(tables[0].cols, "tags", "interests")
	} else {
		tables = append(tables,
			&table{name: "customer_tags", cols: []string{"tag", "customer"}},
			&table{name: "customer_interests", cols: []string{"interest", "customer"}})
	}
	conns := make([]*pgx.Conn, len(tables))
	for i := range tables {
		conn, err := e.connect(ctx)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close(context.Background())
			}
			return err
		}
		conns[i] = conn
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, t := range tables {
		t.ch = make(chan [][]any, 4)
		conn := conns[i]
		g.Go(func() error {
			defer conn.Close(context.Background())
			var batch [][]any
			src := pgx.CopyFromFunc(func() ([]any, error) {
				for len(batch) == 0 {
					b, ok := <-t.ch
					if !ok {
						return nil, nil
					}
					batch = b
				}
				row := batch[0]
				batch = batch[1:]
				return row, nil
			})
			_, err := conn.CopyFrom(gctx, pgx.Identifier{e.schema, t.name}, t.cols, src)
			if err != nil {
				// The error cancels gctx, which stops the producer.
				return fmt.Errorf("compare: %s: copy %s: %w", e.name, t.name, err)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer func() {
			for _, t := range tables {
				close(t.ch)
			}
		}()
		const batchRows = 8192
		bufs := make([][][]any, len(tables))
		send := func(k int, force bool) error {
			if len(bufs[k]) < batchRows && !(force && len(bufs[k]) > 0) {
				return nil
			}
			select {
			case tables[k].ch <- bufs[k]:
			case <-gctx.Done():
				return gctx.Err()
			}
			bufs[k] = make([][]any, 0, batchRows)
			return nil
		}
		for row := range p.Rows() {
			c := &row.Rec.Customer
			id := int32(row.ID)
			var age any
			if c.Age != 0 {
				age = int16(c.Age)
			}
			cust := []any{id, age, nullStr(c.Gender), c.City, nullStr(c.Occupation), nullStr(c.Source),
				pgtype.Numeric{Int: big.NewInt(row.SpendCents), Exp: -2, Valid: true}, c.SignupAt, c.LastLoginAt, c.VIP}
			if gin {
				tags := make([]int32, len(row.Tags))
				for i, t := range row.Tags {
					tags[i] = int32(t)
				}
				ints := make([]int32, len(row.Interests))
				for i, s := range row.Interests {
					ints[i] = int32(s)
				}
				cust = append(cust, tags, ints)
			}
			bufs[0] = append(bufs[0], cust)
			for _, d := range row.Daily {
				bufs[1] = append(bufs[1], []any{int16(d.Event), int32(d.Day), id, int16(d.N)})
			}
			for _, f := range row.First {
				bufs[2] = append(bufs[2], []any{int16(f.Event), int32(f.Day), id})
			}
			for _, pu := range row.Purchases {
				bufs[3] = append(bufs[3], []any{int32(pu.Day), int16(pu.Category), id, pu.Cents})
			}
			if !gin {
				for _, t := range row.Tags {
					bufs[4] = append(bufs[4], []any{int16(t), id})
				}
				for _, s := range row.Interests {
					bufs[5] = append(bufs[5], []any{int16(s), id})
				}
			}
			for k := range tables {
				if err := send(k, false); err != nil {
					return err
				}
			}
		}
		for k := range tables {
			if err := send(k, true); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

func (e *pgEngine) Count(ctx context.Context, i int) (int64, error) {
	var n int64
	if err := e.conn.QueryRow(ctx, e.queries[i]).Scan(&n); err != nil {
		return 0, fmt.Errorf("compare: %s: %w", e.name, err)
	}
	return n, nil
}

func (e *pgEngine) Memory(ctx context.Context) (Memory, error) {
	var total int64
	for _, t := range e.tables {
		var n int64
		if err := e.conn.QueryRow(ctx, `SELECT pg_total_relation_size($1::regclass)`, e.schema+"."+t).Scan(&n); err != nil {
			return Memory{}, fmt.Errorf("compare: %s: %w", e.name, err)
		}
		total += n
	}
	return Memory{Bytes: total, How: "sum of pg_total_relation_size (tables + indexes; served from shared_buffers/page cache)"}, nil
}

func (e *pgEngine) Close() error {
	if e.conn == nil {
		return nil
	}
	ctx := context.Background()
	_, err := e.conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+e.schema+` CASCADE`)
	err = errors.Join(err, e.conn.Close(ctx))
	e.conn = nil
	return err
}

// CountSQL runs a count query given as SQL (for trying translations).
func (e *pgEngine) CountSQL(ctx context.Context, q string) (int64, error) {
	var n int64
	err := e.conn.QueryRow(ctx, q).Scan(&n)
	return n, err
}
