package compare

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/duckdb/duckdb-go/v2"
)

// duckEngine is DuckDB (embedded, in-memory, duckdb-go/v2; the version is
// read from the library at run time) used as its documentation recommends
// for analytics: columnar tables without indexes (its min/max zonemaps do
// the pruning, so the fact tables are rewritten sorted by their filter
// columns after the load), loaded with the Appender, with the settings of
// the performance guide's "Tuning Workloads": threads = the cores it may
// use, an explicit memory_limit, and preserve_insertion_order = false (less
// memory when loading and rewriting tables; every sorted copy says ORDER BY).
//
// Layout "tables": customers(id, age, gender, city, occupation, source,
// spend DECIMAL(12,2), signup_at, last_login_at TIMESTAMP, vip),
// customer_tags(tag, customer) and customer_interests(interest, customer)
// sorted by (tag, customer), events_daily(event, day, customer, n) — one row
// per customer, event and day with the number of occurrences — sorted by
// (event, day, customer), and event_first(event, first_day, customer), each
// customer's first day per event, sorted by (event, first_day).
// Layout "duckdb-list": the same, but tags and interests as INTEGER[] list
// columns of customers instead of the two pair tables.
type duckEngine struct {
	name    string
	list    bool // tags and interests as list columns
	o       Options
	db      *sql.DB
	conn    *sql.Conn
	queries []string
	rss0    int64 // process RSS before the load
	version string
}

// duckMemoryLimit is DuckDB's memory_limit: half the machine of the
// results (24 GiB), leaving the rest to the engines loaded beside it.
const duckMemoryLimit = "12GB"

func newDuckDB(name string, list bool, o Options) *duckEngine {
	return &duckEngine{name: name, list: list, o: o}
}

func (e *duckEngine) Name() string { return e.name }

func (e *duckEngine) Describe() string {
	v := e.version
	if v == "" {
		v = "(duckdb-go/v2)"
	}
	if e.list {
		return fmt.Sprintf("DuckDB %s in-memory, %d threads, memory_limit %s, preserve_insertion_order off; tags/interests as INTEGER[] columns; events_daily sorted by (event, day); event_first; purchases sorted by day", v, e.threads(), duckMemoryLimit)
	}
	return fmt.Sprintf("DuckDB %s in-memory, %d threads, memory_limit %s, preserve_insertion_order off; (tag, customer) tables sorted by tag; events_daily sorted by (event, day); event_first; purchases sorted by day", v, e.threads(), duckMemoryLimit)
}

func (e *duckEngine) threads() int { return max(e.o.Threads, 1) }

func (e *duckEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	e.rss0 = settledRSS()
	var err error
	if e.db, e.conn, err = openDuck(ctx, e.threads()); err != nil {
		return err
	}
	if err := e.conn.QueryRowContext(ctx, `SELECT version()`).Scan(&e.version); err != nil {
		return fmt.Errorf("compare: duckdb: %w", err)
	}
	list := e.list
	ddl := []string{
		`CREATE TABLE customers (id INTEGER NOT NULL, age SMALLINT, gender VARCHAR, city VARCHAR NOT NULL,
			occupation VARCHAR, source VARCHAR, spend DECIMAL(12,2) NOT NULL, signup_at TIMESTAMP NOT NULL,
			last_login_at TIMESTAMP NOT NULL, vip BOOLEAN NOT NULL` + map[bool]string{true: `, tags INTEGER[], interests INTEGER[])`, false: `)`}[list],
		`CREATE TABLE events_daily (event SMALLINT NOT NULL, day INTEGER NOT NULL, customer INTEGER NOT NULL, n INTEGER NOT NULL)`,
		`CREATE TABLE event_first (event SMALLINT NOT NULL, first_day INTEGER NOT NULL, customer INTEGER NOT NULL)`,
		`CREATE TABLE purchases (day INTEGER NOT NULL, category SMALLINT NOT NULL, customer INTEGER NOT NULL, cents BIGINT NOT NULL)`,
	}
	if !list {
		ddl = append(ddl,
			`CREATE TABLE customer_tags (tag SMALLINT NOT NULL, customer INTEGER NOT NULL)`,
			`CREATE TABLE customer_interests (interest SMALLINT NOT NULL, customer INTEGER NOT NULL)`)
	}
	for _, q := range ddl {
		if _, err := e.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("compare: duckdb: %s: %w", q, err)
		}
	}
	err = e.conn.Raw(func(dc any) error {
		return e.appendAll(ctx, dc.(driver.Conn), p, list)
	})
	if err != nil {
		return err
	}
	// Sorted copies: zonemaps then skip every row group outside a filter.
	sorts := []struct{ table, order string }{
		{"events_daily", "event, day, customer"},
		{"event_first", "event, first_day, customer"},
		{"purchases", "day, category, customer"},
	}
	if !list {
		sorts = append(sorts, struct{ table, order string }{"customer_tags", "tag, customer"},
			struct{ table, order string }{"customer_interests", "interest, customer"})
	}
	for _, s := range sorts {
		for _, q := range []string{
			`CREATE TABLE ` + s.table + `_sorted AS SELECT * FROM ` + s.table + ` ORDER BY ` + s.order,
			`DROP TABLE ` + s.table,
			`ALTER TABLE ` + s.table + `_sorted RENAME TO ` + s.table,
		} {
			if _, err := e.conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("compare: duckdb: %s: %w", q, err)
			}
		}
	}
	if _, err := e.conn.ExecContext(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("compare: duckdb: checkpoint: %w", err)
	}
	e.queries, err = renderAll(rules, e.name, p.Params(tsLiteral("TIMESTAMP", "")))
	if err != nil {
		return fmt.Errorf("compare: duckdb: %w", err)
	}
	return nil
}

// openDuck opens an in-memory DuckDB with the tuned settings.
func openDuck(ctx context.Context, threads int) (*sql.DB, *sql.Conn, error) {
	connector, err := duckdb.NewConnector("?threads="+strconv.Itoa(threads)+
		"&memory_limit="+duckMemoryLimit+"&preserve_insertion_order=false", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("compare: duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("compare: duckdb: %w", err), db.Close())
	}
	return db, conn, nil
}

func (e *duckEngine) appendAll(ctx context.Context, dc driver.Conn, p *Population, list bool) (err error) {
	tables := []string{"customers", "events_daily", "event_first", "purchases"}
	if !list {
		tables = append(tables, "customer_tags", "customer_interests")
	}
	apps := make([]*duckdb.Appender, len(tables))
	defer func() {
		for _, a := range apps {
			if a != nil {
				err = errors.Join(err, a.Close())
			}
		}
		if err != nil {
			err = fmt.Errorf("compare: duckdb: append: %w", err)
		}
	}()
	for i, t := range tables {
		if apps[i], err = duckdb.NewAppenderFromConn(dc, "", t); err != nil {
			return err
		}
	}
	cust, daily, first, purch := apps[0], apps[1], apps[2], apps[3]
	var tags, ints []int32
	for row := range p.Rows() {
		c := &row.Rec.Customer
		id := int32(row.ID)
		vals := []driver.Value{id, nullInt16(c.Age), nullStr(c.Gender), c.City, nullStr(c.Occupation), nullStr(c.Source),
			row.SpendCents, c.SignupAt.UTC(), c.LastLoginAt.UTC(), c.VIP}
		if list {
			tags, ints = tags[:0], ints[:0]
			for _, t := range row.Tags {
				tags = append(tags, int32(t))
			}
			for _, s := range row.Interests {
				ints = append(ints, int32(s))
			}
			vals = append(vals, tags, ints)
		}
		if err := cust.AppendRow(vals...); err != nil {
			return err
		}
		if !list {
			for _, t := range row.Tags {
				if err := apps[4].AppendRow(int16(t), id); err != nil {
					return err
				}
			}
			for _, s := range row.Interests {
				if err := apps[5].AppendRow(int16(s), id); err != nil {
					return err
				}
			}
		}
		for _, d := range row.Daily {
			if err := daily.AppendRow(int16(d.Event), int32(d.Day), id, int32(d.N)); err != nil {
				return err
			}
		}
		for _, f := range row.First {
			if err := first.AppendRow(int16(f.Event), int32(f.Day), id); err != nil {
				return err
			}
		}
		for _, pu := range row.Purchases {
			if err := purch.AppendRow(int32(pu.Day), int16(pu.Category), id, pu.Cents); err != nil {
				return err
			}
		}
		// The appender keeps its rows in Go-side chunks until a flush.
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

func nullStr(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

func nullInt16(v int) driver.Value {
	if v == 0 {
		return nil
	}
	return int16(v)
}

func (e *duckEngine) Count(ctx context.Context, i int) (int64, error) {
	var n int64
	if err := e.conn.QueryRowContext(ctx, e.queries[i]).Scan(&n); err != nil {
		return 0, fmt.Errorf("compare: %s: %w", e.name, err)
	}
	return n, nil
}

func (e *duckEngine) Memory(ctx context.Context) (Memory, error) {
	// Not duckdb_memory(): at 10M customers DuckDB 1.1.3 fails an internal
	// cast inside it ("value -8 outside of target range") and invalidates
	// the database. DuckDB runs in this process, so its footprint is the
	// growth of the process's resident set over the load, with the Go heap
	// returned to the OS before both readings.
	rss := settledRSS()
	if rss <= 0 || e.rss0 <= 0 {
		return Memory{}, fmt.Errorf("compare: %s: memory: cannot read VmRSS from /proc/self/status", e.name)
	}
	return Memory{Bytes: rss - e.rss0, How: "process RSS growth over the load (DuckDB in-process; Go heap returned to the OS before each reading)"}, nil
}

func (e *duckEngine) Close() error {
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

// CountSQL runs a count query given as SQL (for trying translations).
func (e *duckEngine) CountSQL(ctx context.Context, q string) (int64, error) {
	var n int64
	err := e.conn.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}
