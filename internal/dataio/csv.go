package dataio

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
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
			return nil, fmt.Errorf("dataio: --columns %s: want field=column pairs separated by commas", Quote(s))
		}
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("dataio: --columns: unknown field %s (want one of %s)", Quote(k), strings.Join(allowed, ", "))
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
	pos  map[string]int    // field → column position
	col  map[string]string // field → column name, for messages
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
		return nil, csvErr(name, err)
	}
	index := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.TrimSpace(h)
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	t := &csvTable{name: name, r: cr, pos: map[string]int{}, col: map[string]string{}}
	fields := make([]string, 0, len(defaults))
	for f := range defaults {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	for _, field := range fields {
		col := defaults[field]
		if c, ok := cols[field]; ok {
			col = c
		}
		t.col[field] = col
		i, ok := index[col]
		if !ok {
			if slices.Contains(required, field) {
				h := strings.Join(header, ",")
				return nil, fmt.Errorf("dataio: %s:1: no column %s for field %s (header is %s; map it with --columns %s=NAME)", name, Quote(col), field, Quote(h), field)
			}
			continue
		}
		t.pos[field] = i
	}
	return t, nil
}

// csvErr turns a csv.ParseError into "file:line: message". An unclosed quote
// is reported at the line where its record starts (the reader only notices
// it at the end of the file, or at the next stray quote).
func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("dataio: %s: %v", name, err)
	}
	if errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != 0 && pe.StartLine != pe.Line {
		return fmt.Errorf("dataio: %s:%d: a quoted field opened in the record starting here is not closed (the reader gave up at line %d)", name, pe.StartLine, pe.Line)
	}
	if errors.Is(pe.Err, csv.ErrQuote) {
		return fmt.Errorf("dataio: %s:%d: column %d: a quoted field is not closed, or a quote stands inside a quoted field without being doubled", name, pe.Line, pe.Column)
	}
	if errors.Is(pe.Err, csv.ErrBareQuote) {
		return fmt.Errorf("dataio: %s:%d: column %d: a quote inside an unquoted field (quote the field and double the quote)", name, pe.Line, pe.Column)
	}
	return fmt.Errorf("dataio: %s:%d: %v", name, pe.Line, pe.Err)
}

// each reads every data row, skipping blank lines, and calls fn with its
// line number. It stops at the first error.
func (t *csvTable) each(fn func(line int, rec []string) error) error {
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(t.name, err)
		}
		line, _ := t.r.FieldPos(0) // valid only after a successful Read
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if err := fn(line, rec); err != nil {
			return err
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

// errf formats an error about a field of the row at line.
func (t *csvTable) errf(line int, field, format string, a ...any) error {
	return fmt.Errorf("dataio: %s:%d: field %s (column %q): %s", t.name, line, field, t.col[field], fmt.Sprintf(format, a...))
}

// when reads the time field of a row, checked to lie in the years segkit
// accepts for records (see checkRecordTime).
func (t *csvTable) when(line int, rec []string, loc *time.Location) (time.Time, error) {
	ts, ok := t.field(rec, "time")
	if !ok {
		return time.Time{}, t.errf(line, "time", "missing (the row has %d columns)", len(rec))
	}
	at, ok := parseTime(ts, loc)
	if !ok {
		return time.Time{}, t.errf(line, "time", "want %s, got %s", timeForms, Quote(ts))
	}
	if err := checkRecordTime(at); err != nil {
		return time.Time{}, t.errf(line, "time", "%s: %v", Quote(ts), err)
	}
	return at, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ReadTransactions decodes a transactions CSV with a header. The default
// columns are customer_id, date and amount; cols maps the fields id, time
// and amount to other header names. Times are read by the rule of
// parseTime: YYYY-MM-DD is midnight in loc (UTC when nil), a date and time
// without an offset ("2026-01-01 10:00:00") is that wall-clock time in loc,
// RFC 3339 carries its own offset; years before 1900 or after 2199 are
// errors. Amounts are finite numbers (negative for refunds).
func ReadTransactions(name string, r io.Reader, cols Columns, loc *time.Location) iter.Seq2[segkit.Transaction, error] {
	return func(yield func(segkit.Transaction, error) bool) {
		stopped := false
		err := readTransactions(name, r, cols, loc, func(_ int, tx segkit.Transaction) bool {
			if !yield(tx, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(segkit.Transaction{}, err)
		}
	}
}

var errStop = errors.New("stop")

func readTransactions(name string, r io.Reader, cols Columns, loc *time.Location, fn func(line int, tx segkit.Transaction) bool) error {
	if loc == nil {
		loc = time.UTC
	}
	t, err := openCSV(name, r, cols, map[string]string{"id": "customer_id", "time": "date", "amount": "amount"}, []string{"id", "time", "amount"})
	if err != nil {
		return err
	}
	err = t.each(func(line int, rec []string) error {
		id, _ := t.field(rec, "id")
		if id == "" {
			return t.errf(line, "id", "empty")
		}
		at, err := t.when(line, rec, loc)
		if err != nil {
			return err
		}
		am, ok := t.field(rec, "amount")
		if !ok {
			return t.errf(line, "amount", "missing (the row has %d columns)", len(rec))
		}
		a, err := strconv.ParseFloat(am, 64)
		if err != nil || !finite(a) {
			return t.errf(line, "amount", "want a finite number, got %s", Quote(am))
		}
		if !fn(line, segkit.Transaction{Customer: id, At: at, Amount: a}) {
			return errStop
		}
		return nil
	})
	if err == errStop {
		return nil
	}
	return err
}

// Transactions is a transactions file read whole: its records in file order
// and the line of each, so that errors a model reports by position can name
// the line (Locate).
type Transactions struct {
	Name    string
	Records []segkit.Transaction
	Lines   []int
}

// ReadTransactionsFile reads the transactions file at path (see
// ReadTransactions). A file with a header and no rows is an error.
func ReadTransactionsFile(path string, cols Columns, loc *time.Location) (*Transactions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := &Transactions{Name: path}
	err = readTransactions(path, f, cols, loc, func(line int, tx segkit.Transaction) bool {
		out.Records = append(out.Records, tx)
		out.Lines = append(out.Lines, line)
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(out.Records) == 0 {
		return nil, fmt.Errorf("dataio: %s: no transactions: the file has only a header", path)
	}
	return out, nil
}
