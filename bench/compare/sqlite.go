package compare

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/mattn/go-sqlite3"
)

// sqliteEngine is SQLite (mattn/go-sqlite3) on a temporary file with the
// settings SQLite's documentation recommends: WAL journal with
// synchronous=NORMAL (wal.html, pragma.html#pragma_synchronous), a page
// cache large enough to hold the whole database (cache_size), memory-mapped
// I/O (mmap.html), in-memory temp storage, and ANALYZE then PRAGMA optimize
// after the indexes are built (lang_analyze.html, pragma.html#pragma_optimize).
// It is loaded with prepared INSERTs in one transaction, the WAL is
// checkpointed into the database file before the rules run, then:
// customers(id INTEGER PRIMARY KEY, …) with indexes on city, age,
// last_login_at and signup_at (times as Unix seconds), customer_tags and
// customer_interests with (tag, customer) indexes, events_daily with
// (event, day, customer, n) and event_first with (event, first_day,
// customer). SQLite runs a query on one thread.
type sqliteEngine struct {
	o       Options
	path    string
	db      *sql.DB
	conn    *sql.Conn
	queries []string
}

func newSQLite(o Options) *sqliteEngine { return &sqliteEngine{o: o} }

func (e *sqliteEngine) Name() string { return "sqlite" }

func (e *sqliteEngine) Describe() string {
	v, _, _ := sqlite3.Version()
	return "SQLite " + v + ", temp file, WAL + synchronous=NORMAL, 4 GiB cache + mmap, ANALYZE + optimize; (tag, customer), (event, day, customer, n), (event, first_day, customer), (day, category, customer, cents) covering indexes"
}

func (e *sqliteEngine) Load(ctx context.Context, p *Population, rules []Rule) (err error) {
	f, err := os.CreateTemp(e.o.TempDir, "segkit-bench-*.sqlite")
	if err != nil {
		return fmt.Errorf("compare: sqlite: %w", err)
	}
	e.path = f.Name()
	if err := f.Close(); err != nil {
		return fmt.Errorf("compare: sqlite: %w", err)
	}
	if e.db, err = sql.Open("sqlite3", "file:"+e.path); err != nil {
		return fmt.Errorf("compare: sqlite: %w", err)
	}
	if e.conn, err = e.db.Conn(ctx); err != nil {
		return fmt.Errorf("compare: sqlite: %w", err)
	}
	exec := func(qs ...string) error {
		for _, q := range qs {
			if _, err := e.conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("compare: sqlite: %s: %w", q, err)
			}
		}
		return nil
	}
	if err := exec(
		`PRAGMA journal_mode = WAL`,
		`PRAGMA synchronous = NORMAL`,
		`PRAGMA cache_size = -4194304`, // KiB: 4 GiB, more than the database
		`PRAGMA mmap_size = 17179869184`,
		`PRAGMA temp_store = MEMORY`,
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, age INTEGER, gender TEXT, city TEXT NOT NULL,
			occupation TEXT, source TEXT, spend REAL NOT NULL, signup_at INTEGER NOT NULL,
			last_login_at INTEGER NOT NULL, vip INTEGER NOT NULL)`,
		`CREATE TABLE customer_tags (tag INTEGER NOT NULL, customer INTEGER NOT NULL)`,
		`CREATE TABLE customer_interests (interest INTEGER NOT NULL, customer INTEGER NOT NULL)`,
		`CREATE TABLE events_daily (event INTEGER NOT NULL, day INTEGER NOT NULL, customer INTEGER NOT NULL, n INTEGER NOT NULL)`,
		`CREATE TABLE event_first (event INTEGER NOT NULL, first_day INTEGER NOT NULL, customer INTEGER NOT NULL)`,
		`CREATE TABLE purchases (day INTEGER NOT NULL, category INTEGER NOT NULL, customer INTEGER NOT NULL, cents INTEGER NOT NULL)`,
	); err != nil {
		return err
	}
	if err := e.insertAll(ctx, p); err != nil {
		return err
	}
	if err := exec(
		`CREATE INDEX customers_city ON customers (city)`,
		`CREATE INDEX customers_age ON customers (age)`,
		`CREATE INDEX customers_last_login ON customers (last_login_at)`,
		`CREATE INDEX customers_signup ON customers (signup_at)`,
		`CREATE INDEX customer_tags_tag ON customer_tags (tag, customer)`,
		`CREATE INDEX customer_interests_interest ON customer_interests (interest, customer)`,
		`CREATE INDEX events_daily_event_day ON events_daily (event, day, customer, n)`,
		`CREATE INDEX event_first_event_day ON event_first (event, first_day, customer)`,
		`CREATE INDEX event_first_event_customer ON event_first (event, customer, first_day)`,
		`CREATE INDEX purchases_day ON purchases (day, category, customer, cents)`,
		`ANALYZE`,
		`PRAGMA optimize`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	); err != nil {
		return err
	}
	e.queries, err = renderAll(rules, "sqlite", p.Params(func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }))
	if err != nil {
		return fmt.Errorf("compare: sqlite: %w", err)
	}
	return nil
}

func (e *sqliteEngine) insertAll(ctx context.Context, p *Population) (err error) {
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("compare: sqlite: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("compare: sqlite: load: %w", err), tx.Rollback())
		}
	}()
	var stmts [6]*sql.Stmt
	for i, q := range []string{
		`INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO customer_tags VALUES (?, ?)`,
		`INSERT INTO customer_interests VALUES (?, ?)`,
		`INSERT INTO events_daily VALUES (?, ?, ?, ?)`,
		`INSERT INTO event_first VALUES (?, ?, ?)`,
		`INSERT INTO purchases VALUES (?, ?, ?, ?)`,
	} {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		defer stmts[i].Close()
	}
	for row := range p.Rows() {
		c := &row.Rec.Customer
		var age any
		if c.Age != 0 {
			age = c.Age
		}
		if _, err := stmts[0].ExecContext(ctx, row.ID, age, nullStr(c.Gender), c.City, nullStr(c.Occupation), nullStr(c.Source),
			float64(row.SpendCents)/100, c.SignupAt.Unix(), c.LastLoginAt.Unix(), c.VIP); err != nil {
			return err
		}
		for _, t := range row.Tags {
			if _, err := stmts[1].ExecContext(ctx, t, row.ID); err != nil {
				return err
			}
		}
		for _, s := range row.Interests {
			if _, err := stmts[2].ExecContext(ctx, s, row.ID); err != nil {
				return err
			}
		}
		for _, d := range row.Daily {
			if _, err := stmts[3].ExecContext(ctx, d.Event, int(d.Day), row.ID, d.N); err != nil {
				return err
			}
		}
		for _, f := range row.First {
			if _, err := stmts[4].ExecContext(ctx, f.Event, int(f.Day), row.ID); err != nil {
				return err
			}
		}
		for _, pu := range row.Purchases {
			if _, err := stmts[5].ExecContext(ctx, int(pu.Day), pu.Category, row.ID, pu.Cents); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

func (e *sqliteEngine) Count(ctx context.Context, i int) (int64, error) {
	var n int64
	if err := e.conn.QueryRowContext(ctx, e.queries[i]).Scan(&n); err != nil {
		return 0, fmt.Errorf("compare: sqlite: %w", err)
	}
	return n, nil
}

func (e *sqliteEngine) Memory(ctx context.Context) (Memory, error) {
	var pages, size int64
	if err := e.conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return Memory{}, fmt.Errorf("compare: sqlite: %w", err)
	}
	if err := e.conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return Memory{}, fmt.Errorf("compare: sqlite: %w", err)
	}
	return Memory{Bytes: pages * size, How: "page_count × page_size (file, held in the page cache)"}, nil
}

func (e *sqliteEngine) Close() error {
	var err error
	if e.conn != nil {
		err = e.conn.Close()
	}
	if e.db != nil {
		err = errors.Join(err, e.db.Close())
	}
	if e.path != "" {
		for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
			if rmErr := os.Remove(e.path + suffix); rmErr != nil && !os.IsNotExist(rmErr) {
				err = errors.Join(err, rmErr)
			}
		}
	}
	e.conn, e.db, e.path = nil, nil, ""
	return err
}

// CountSQL runs a count query given as SQL (for trying translations).
func (e *sqliteEngine) CountSQL(ctx context.Context, q string) (int64, error) {
	var n int64
	err := e.conn.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}
