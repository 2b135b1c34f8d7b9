package dbload_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
)

// A tiny database/sql driver over in-memory tables, enough for the loader:
// a query is a table name; the loader's refresh form
//
//	SELECT * FROM (<table>) AS dbload_src WHERE dbload_src."<col>" > $1
//
// filters a table's rows on a column. Values are what real drivers return
// (int64, float64, bool, string, []byte, time.Time, nil).
type fakeTable struct {
	cols []string
	rows [][]driver.Value
}

var (
	fakeMu     sync.Mutex
	fakeTables = map[string]*fakeTable{}
)

func setTable(name string, cols []string, rows [][]driver.Value) {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	fakeTables[name] = &fakeTable{cols: cols, rows: rows}
}

func init() { sql.Register("dbloadtest", fakeDriver{}) }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return fakeConn{}, nil }

type fakeConn struct{}

func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, fmt.Errorf("fake: no Prepare") }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return nil, fmt.Errorf("fake: no transactions") }

var refreshRE = regexp.MustCompile(`^SELECT \* FROM \((.*)\) AS dbload_src WHERE dbload_src\."([^"]+)" > \$1$`)

func (fakeConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	table, col := q, ""
	if m := refreshRE.FindStringSubmatch(q); m != nil {
		table, col = m[1], m[2]
	}
	t, ok := fakeTables[strings.TrimSpace(table)]
	if !ok {
		return nil, fmt.Errorf("fake: no table %q", table)
	}
	rows := t.rows
	if col != "" {
		ci := -1
		for i, c := range t.cols {
			if c == col {
				ci = i
			}
		}
		if ci < 0 || len(args) != 1 {
			return nil, fmt.Errorf("fake: bad refresh query %q", q)
		}
		rows = nil
		for _, r := range t.rows {
			if after(r[ci], args[0].Value) {
				rows = append(rows, r)
			}
		}
	}
	return &fakeRows{cols: t.cols, rows: rows}, nil
}

func after(a, b driver.Value) bool {
	switch x := a.(type) {
	case time.Time:
		return x.After(b.(time.Time))
	case int64:
		return x > b.(int64)
	}
	return fmt.Sprint(a) > fmt.Sprint(b)
}

type fakeRows struct {
	cols []string
	rows [][]driver.Value
	i    int
}

func (r *fakeRows) Columns() []string { return r.cols }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.rows) {
		return io.EOF
	}
	copy(dest, r.rows[r.i])
	r.i++
	return nil
}
