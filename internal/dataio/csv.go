package dataio

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// Columns maps the logical fields a reader needs to the header names of a
// CSV file. A zero Columns uses each reader's defaults.
type Columns map[string]string

// ParseColumns parses "id=cust,time=order_date,amount=revenue". Fields must
// be among allowed; an empty string gives an empty mapping.
func ParseColumns(s string, allowed ...string) (Columns, error) {
	c := Columns{}
	if strings.TrimSpace(s) == "" {
		return c, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("dataio: --columns %q: want field=column pairs separated by commas", s)
		}
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("dataio: --columns: unknown field %q (want one of %s)", k, strings.Join(allowed, ", "))
		}
		if _, dup := c[k]; dup {
			return nil, fmt.Errorf("dataio: --columns: field %q given twice", k)
		}
		c[k] = v
	}
	return c, nil
}

// csvTable reads a CSV file with a header and resolves the wanted fields to
// column positions.
type csvTable struct {
	name string
	r    *csv.Reader
	pos  map[string]int // field → column position
}

func openCSV(name string, r io.Reader, cols Columns, defaults map[string]string, required []string) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("dataio: %s: empty file, want a header line", name)
	}
	if err != nil {
		return nil, fmt.Errorf("dataio: %s:1: %v", name, err)
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	t := &csvTable{name: name, r: cr, pos: map[string]int{}}
	for field, def := range defaults {
		col := def
		if c, ok := cols[field]; ok {
			col = c
		}
		i, ok := index[col]
		if !ok {
			if slices.Contains(required, field) {
				return nil, fmt.Errorf("dataio: %s:1: no column %q for field %s (header has %s; map it with --columns %s=NAME)", name, col, field, strings.Join(header, ","), field)
			}
			continue
		}
		t.pos[field] = i
	}
	return t, nil
}

// rows yields (line, record) pairs; on error it yields (-1, nil) after
// storing the error in *errp.
func (t *csvTable) rows(errp *error) iter.Seq2[int, []string] {
	return func(yield func(int, []string) bool) {
		for {
			rec, err := t.r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					*errp = fmt.Errorf("dataio: %s:%d: %v", t.name, pe.Line, pe.Err)
				} else {
					*errp = fmt.Errorf("dataio: %s: %v", t.name, err)
				}
				return
			}
			line, _ := t.r.FieldPos(0) // valid only after a successful Read
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue
			}
			if !yield(line, rec) {
				return
			}
		}
	}
}

func (t *csvTable) field(rec []string, field string) (string, bool) {
	i, ok := t.pos[field]
	if !ok || i >= len(rec) {
		return "", false
	}
	return strings.TrimSpace(rec[i]), true
}

// ReadTransactions decodes a transactions CSV with a header. The default
// columns are customer_id, date and amount; cols maps the fields id, time
// and amount to other header names. Dates are YYYY-MM-DD (midnight in loc,
// UTC when nil) or RFC 3339.
func ReadTransactions(name string, r io.Reader, cols Columns, loc *time.Location) iter.Seq2[segkit.Transaction, error] {
	if loc == nil {
		loc = time.UTC
	}
	return func(yield func(segkit.Transaction, error) bool) {
		t, err := openCSV(name, r, cols, map[string]string{"id": "customer_id", "time": "date", "amount": "amount"}, []string{"id", "time", "amount"})
		if err != nil {
			yield(segkit.Transaction{}, err)
			return
		}
		var rerr error
		for line, rec := range t.rows(&rerr) {
			id, _ := t.field(rec, "id")
			ts, okT := t.field(rec, "time")
			am, okA := t.field(rec, "amount")
			var tx segkit.Transaction
			var ferr error
			switch {
			case id == "":
				ferr = fmt.Errorf("dataio: %s:%d: field id (column %q): empty", name, line, t.colName(cols, "id", "customer_id"))
			case !okT:
				ferr = fmt.Errorf("dataio: %s:%d: field time: missing column", name, line)
			case !okA:
				ferr = fmt.Errorf("dataio: %s:%d: field amount: missing column", name, line)
			}
			if ferr == nil {
				at, ok := parseTime(ts, loc)
				if !ok {
					ferr = fmt.Errorf("dataio: %s:%d: field time (column %q): want YYYY-MM-DD or RFC 3339, got %q", name, line, t.colName(cols, "time", "date"), ts)
				} else {
					a, err := strconv.ParseFloat(am, 64)
					if err != nil || math.IsNaN(a) || math.IsInf(a, 0) {
						ferr = fmt.Errorf("dataio: %s:%d: field amount (column %q): want a finite number, got %q", name, line, t.colName(cols, "amount", "amount"), am)
					}
					tx = segkit.Transaction{Customer: id, At: at, Amount: a}
				}
			}
			if ferr != nil {
				yield(segkit.Transaction{}, ferr)
				return
			}
			if !yield(tx, nil) {
				return
			}
		}
		if rerr != nil {
			yield(segkit.Transaction{}, rerr)
		}
	}
}

func (t *csvTable) colName(cols Columns, field, def string) string {
	if c, ok := cols[field]; ok {
		return c
	}
	return def
}
