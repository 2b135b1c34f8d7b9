package dbload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// Column maps a result column to an attribute of the index.
type Column struct {
	Column    string
	Attribute bitmapindex.Attribute
}

// Customers describes the customer rows: the query and which of its
// columns hold the key, the tags and the attributes. Columns not named are
// ignored.
type Customers struct {
	// Query returns one row per customer. Args are its arguments.
	Query string
	Args  []any
	// Key is the column with the customer key (required).
	Key string
	// Tags is the column with the customer's tags (an array, see the
	// package doc); empty when the rows carry no tags.
	Tags string
	// Separator splits tag and set text that is neither a PostgreSQL nor a
	// JSON array; "," when empty.
	Separator string
	// Attributes are read from their columns; they are declared in the
	// index before the first row.
	Attributes []Column
	// Deleted, when set, is a boolean column: a row where it is true
	// deletes the customer (soft-deleted rows of a refresh).
	Deleted string
	// Watermark, when set, is a column (a time, a number or a string that
	// orders) that grows when a row changes; Refresh reads the rows whose
	// watermark is greater than the highest one seen before.
	Watermark string
}

// Events describes the event rows.
type Events struct {
	Query string
	Args  []any
	// Key, Name and At are the columns with the customer key, the event
	// name and its time (required); Value the event's amount (optional, at
	// most 4 fractional digits: bitmapindex.Amount); Props its properties
	// (optional: a JSON object, or a map, of string values).
	Key, Name, At, Value, Props string
	// Watermark as for Customers; usually the event time or an insertion
	// sequence.
	Watermark string
	// AddCustomers records events of keys the index does not hold, adding
	// those customers. By default such events are skipped (and counted in
	// State.SkippedEvents): events of deleted customers stay out.
	AddCustomers bool
}

// Progress reports a load as it goes: rows read so far of customers or
// events, and the time since the load started.
type Progress struct {
	Source  string // "customers" or "events"
	Rows    int
	Elapsed time.Duration
	Done    bool
}

// Loader loads from one database. It is a plain configuration: set the
// fields, then call Load and Refresh (not concurrently on one index).
type Loader struct {
	DB        *sql.DB
	Customers *Customers // nil: no customer rows
	Events    *Events    // nil: no event rows
	// BatchSize is the number of rows committed to the index together
	// (default 50,000): a view sees a load batch by batch.
	BatchSize int
	// Placeholder is the driver's bind parameter for the watermark in a
	// refresh query: "$1" (PostgreSQL, the default), "?" (MySQL, SQLite) or
	// "@p1" (SQL Server).
	Placeholder string
	// Progress, when set, is called after every batch and at the end.
	Progress func(Progress)
}

// State is what a load has seen: the highest watermark of each source
// (nil when the source has no watermark column or no rows). Pass it to
// Refresh.
type State struct {
	Customers any
	Events    any
	// Rows counts the rows read by the load that returned this State.
	CustomerRows, EventRows int
	// SkippedEvents counts event rows of customers the index does not hold
	// (see Events.AddCustomers).
	SkippedEvents int
}

// RowError is a problem with one row: its number in the result (1-based),
// the customer key when known, the column and what was wrong.
type RowError struct {
	Source string // "customers" or "events"
	Row    int
	Key    string
	Column string
	Err    error
}

func (e *RowError) Error() string {
	key := ""
	if e.Key != "" {
		key = fmt.Sprintf(" (key %q)", e.Key)
	}
	return fmt.Sprintf("dbload: %s row %d%s, column %q: %v", e.Source, e.Row, key, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Load reads every row of the configured sources into ix.
func (l *Loader) Load(ctx context.Context, ix *bitmapindex.Index) (State, error) {
	return l.run(ctx, ix, State{}, false)
}

// Refresh reads the rows whose watermark is greater than since's (sources
// without a watermark are read in full again) and applies them: changed
// customers get their row's tags and attributes, deleted ones are removed,
// new events are recorded. It returns the new state.
func (l *Loader) Refresh(ctx context.Context, ix *bitmapindex.Index, since State) (State, error) {
	return l.run(ctx, ix, since, true)
}

func (l *Loader) run(ctx context.Context, ix *bitmapindex.Index, since State, refresh bool) (State, error) {
	if l.DB == nil {
		return since, errors.New("dbload: Loader.DB is nil")
	}
	if ix == nil {
		return since, errors.New("dbload: nil index")
	}
	st := since
	st.CustomerRows, st.EventRows = 0, 0
	if c := l.Customers; c != nil {
		mark, n, err := l.customers(ctx, ix, c, since.Customers, refresh)
		if err != nil {
			return since, err
		}
		st.Customers, st.CustomerRows = mark, n
	}
	if e := l.Events; e != nil {
		mark, n, skipped, err := l.events(ctx, ix, e, since.Events, refresh)
		if err != nil {
			return since, err
		}
		st.Events, st.EventRows, st.SkippedEvents = mark, n, skipped
	}
	return st, nil
}

func (l *Loader) batchSize() int {
	if l.BatchSize > 0 {
		return l.BatchSize
	}
	return 50_000
}

// query runs the source query, or for a refresh with a watermark the
// query restricted to rows past it.
func (l *Loader) query(ctx context.Context, q string, args []any, watermark string, since any, refresh bool) (*sql.Rows, error) {
	if refresh && watermark != "" && since != nil {
		ph := l.Placeholder
		if ph == "" {
			ph = "$1"
		}
		q = "SELECT * FROM (" + q + ") AS dbload_src WHERE dbload_src." + quoteIdent(watermark) + " > " + ph
		args = append(append([]any{}, args...), since)
	}
	return l.DB.QueryContext(ctx, q, args...)
}

// quoteIdent quotes a column name the SQL standard way ("…" with ""
// doubled), which PostgreSQL, SQLite and (in ANSI mode) MySQL read.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// columnIndex maps the required and optional column names to positions in
// the result.
func columnIndex(source string, cols []string, names map[string]bool, required ...string) (map[string]int, error) {
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c] = i
	}
	for _, r := range required {
		if r == "" {
			return nil, fmt.Errorf("dbload: %s: a required column name is empty", source)
		}
	}
	for n := range names {
		if n == "" {
			continue
		}
		if _, ok := idx[n]; !ok {
			return nil, fmt.Errorf("dbload: %s: the query returns no column %q (it returns %s)", source, n, strings.Join(cols, ", "))
		}
	}
	return idx, nil
}

func (l *Loader) customers(ctx context.Context, ix *bitmapindex.Index, c *Customers, since any, refresh bool) (any, int, error) {
	for _, a := range c.Attributes {
		if err := ix.Declare(a.Attribute); err != nil {
			return since, 0, fmt.Errorf("dbload: customers column %q: %w", a.Column, err)
		}
	}
	rows, err := l.query(ctx, c.Query, c.Args, c.Watermark, since, refresh)
	if err != nil {
		return since, 0, fmt.Errorf("dbload: customers query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return since, 0, fmt.Errorf("dbload: customers query: %w", err)
	}
	names := map[string]bool{c.Key: true, c.Tags: true, c.Deleted: true, c.Watermark: true}
	for _, a := range c.Attributes {
		names[a.Column] = true
	}
	idx, err := columnIndex("customers", cols, names, c.Key)
	if err != nil {
		return since, 0, err
	}
	sep := c.Separator
	if sep == "" {
		sep = ","
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	start := time.Now()
	mark := since
	// Reading and parsing rows overlaps with writing the previous batch
	// into the index: batches go to a writer goroutine, and two sets of
	// row buffers take turns.
	bufs := make(chan *customerWriter, 2)
	bufs <- newCustomerWriter(ix, c)
	bufs <- newCustomerWriter(ix, c)
	type job struct {
		w    *customerWriter
		n    int
		done bool
	}
	jobs := make(chan job)
	werr := make(chan error, 1)
	go func() {
		var err error
		for j := range jobs {
			if err == nil {
				if err = j.w.flush(); err != nil {
					err = fmt.Errorf("dbload: customers rows up to %d: %w", j.n, err)
				} else if l.Progress != nil {
					l.Progress(Progress{Source: "customers", Rows: j.n, Elapsed: time.Since(start), Done: j.done})
				}
			}
			bufs <- j.w
		}
		werr <- err
	}()
	n := 0
	w := <-bufs
	fail := func(err error) (any, int, error) {
		close(jobs)
		<-werr
		return since, n, err
	}
	for rows.Next() {
		n++
		if err := rows.Scan(ptrs...); err != nil {
			return fail(&RowError{Source: "customers", Row: n, Err: err})
		}
		rowErr := func(col string, err error, key string) error {
			return &RowError{Source: "customers", Row: n, Key: key, Column: col, Err: err}
		}
		key, err := asString(vals[idx[c.Key]])
		if err != nil {
			return fail(rowErr(c.Key, err, ""))
		}
		if c.Watermark != "" {
			if wm := watermark(vals[idx[c.Watermark]]); wm != nil && greater(wm, mark) {
				mark = wm
			}
		}
		r := w.next(key)
		if c.Deleted != "" {
			raw := vals[idx[c.Deleted]]
			del, err := asBool(raw)
			if err != nil && raw != nil {
				return fail(rowErr(c.Deleted, err, key))
			}
			if del {
				r.deleted = true
				continue
			}
		}
		if c.Tags != "" {
			r.tags, err = asStrings(vals[idx[c.Tags]], sep, r.tags[:0])
			if err != nil {
				return fail(rowErr(c.Tags, err, key))
			}
		}
		for i, a := range c.Attributes {
			v, ok, err := convert(a.Attribute, vals[idx[a.Column]], sep, ix.Location())
			if err != nil {
				return fail(rowErr(a.Column, err, key))
			}
			r.vals[i], r.has[i] = v, ok
		}
		if w.len() >= l.batchSize() {
			jobs <- job{w: w, n: n}
			if err := ctx.Err(); err != nil {
				return fail(fmt.Errorf("dbload: customers: %w", err))
			}
			w = <-bufs
		}
	}
	if err := rows.Err(); err != nil {
		return fail(fmt.Errorf("dbload: customers rows: %w", err))
	}
	jobs <- job{w: w, n: n, done: true}
	close(jobs)
	if err := <-werr; err != nil {
		return since, n, err
	}
	return mark, n, nil
}

// customerRow is one parsed customer row.
type customerRow struct {
	key     string
	deleted bool
	tags    []string
	vals    []bitmapindex.Value
	has     []bool
}

// customerWriter applies parsed rows in batches through the index's bulk
// path: the keys are added first (one batch), then tags and attributes are
// written by ID, one bitmap operation per tag and attribute. Customers that
// existed before get their row exactly: tags they no longer have are
// removed and NULL attributes cleared.
type customerWriter struct {
	ix   *bitmapindex.Index
	c    *Customers
	rows []customerRow
	n    int
}

func newCustomerWriter(ix *bitmapindex.Index, c *Customers) *customerWriter {
	return &customerWriter{ix: ix, c: c}
}

func (w *customerWriter) len() int { return w.n }

// next returns the row to fill for key (reusing the buffers of earlier
// batches).
func (w *customerWriter) next(key string) *customerRow {
	if w.n == len(w.rows) {
		k := len(w.c.Attributes)
		w.rows = append(w.rows, customerRow{vals: make([]bitmapindex.Value, k), has: make([]bool, k)})
	}
	r := &w.rows[w.n]
	w.n++
	r.key, r.deleted, r.tags = key, false, r.tags[:0]
	clear(r.has)
	return r
}

func (w *customerWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	rows := w.rows[:w.n]
	w.n = 0
	before := w.ix.View()
	existed := make([]bool, len(rows))
	keys := w.ix.NewBatch()
	for i := range rows {
		r := &rows[i]
		_, existed[i] = before.ID(r.key)
		if r.deleted {
			keys.Delete(r.key)
		} else {
			keys.Add(r.key)
		}
	}
	if err := keys.Commit(); err != nil {
		return err
	}
	after := w.ix.View()
	b := w.ix.NewBatch()
	tagIDs := map[string][]uint32{}
	attrIDs := make([][]uint32, len(w.c.Attributes))
	attrVals := make([][]bitmapindex.Value, len(w.c.Attributes))
	var knownTags []string
	for i := range rows {
		r := &rows[i]
		if r.deleted {
			continue
		}
		id, ok := after.ID(r.key)
		if !ok {
			continue // deleted later in the same batch
		}
		for _, t := range r.tags {
			tagIDs[t] = append(tagIDs[t], id)
		}
		for j := range w.c.Attributes {
			switch {
			case r.has[j]:
				attrIDs[j] = append(attrIDs[j], id)
				attrVals[j] = append(attrVals[j], r.vals[j])
			case existed[i]:
				b.Clear(r.key, w.c.Attributes[j].Attribute.Name)
			}
		}
		if existed[i] && w.c.Tags != "" {
			if knownTags == nil {
				for _, tc := range before.Tags() {
					knownTags = append(knownTags, tc.Name)
				}
			}
			for _, t := range knownTags {
				if !containsString(r.tags, t) && before.Tag(t).Contains(id) {
					b.RemoveTag(r.key, t)
				}
			}
		}
	}
	for t, ids := range tagIDs {
		b.AddTagIDs(t, ids)
	}
	for j, a := range w.c.Attributes {
		if len(attrIDs[j]) > 0 {
			b.SetIDs(a.Attribute.Name, attrIDs[j], attrVals[j])
		}
	}
	return b.Commit()
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (l *Loader) events(ctx context.Context, ix *bitmapindex.Index, e *Events, since any, refresh bool) (any, int, int, error) {
	mark, n, skipped, err := l.eventsRows(ctx, ix, e, since, refresh)
	if err != nil {
		return since, n, skipped, err
	}
	return mark, n, skipped, nil
}

func (l *Loader) eventsRows(ctx context.Context, ix *bitmapindex.Index, e *Events, since any, refresh bool) (mark any, n, skipped int, err error) {
	rows, err := l.query(ctx, e.Query, e.Args, e.Watermark, since, refresh)
	if err != nil {
		return since, 0, 0, fmt.Errorf("dbload: events query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return since, 0, 0, fmt.Errorf("dbload: events query: %w", err)
	}
	idx, err := columnIndex("events", cols, map[string]bool{e.Key: true, e.Name: true, e.At: true, e.Value: true, e.Props: true, e.Watermark: true}, e.Key, e.Name, e.At)
	if err != nil {
		return since, 0, 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	start := time.Now()
	mark = since
	live := ix.View() // customers as the customers phase left them
	b := ix.NewBatch()
	pending := 0
	commit := func(done bool) error {
		if pending > 0 {
			if err := b.Commit(); err != nil {
				return fmt.Errorf("dbload: events rows up to %d: %w", n, err)
			}
			b = ix.NewBatch()
			pending = 0
		}
		if l.Progress != nil {
			l.Progress(Progress{Source: "events", Rows: n, Elapsed: time.Since(start), Done: done})
		}
		return nil
	}
	for rows.Next() {
		n++
		if err := rows.Scan(ptrs...); err != nil {
			return since, n, skipped, &RowError{Source: "events", Row: n, Err: err}
		}
		key, err := asString(vals[idx[e.Key]])
		if err != nil {
			return since, n, skipped, &RowError{Source: "events", Row: n, Column: e.Key, Err: err}
		}
		rowErr := func(col string, err error) error {
			return &RowError{Source: "events", Row: n, Key: key, Column: col, Err: err}
		}
		name, err := asString(vals[idx[e.Name]])
		if err != nil {
			return since, n, skipped, rowErr(e.Name, err)
		}
		at, err := asTime(vals[idx[e.At]], ix.Location())
		if err != nil {
			return since, n, skipped, rowErr(e.At, err)
		}
		var d bitmapindex.EventDetail
		if e.Value != "" && vals[idx[e.Value]] != nil {
			d.Value, err = asAmount(vals[idx[e.Value]])
			if err != nil {
				return since, n, skipped, rowErr(e.Value, err)
			}
		}
		if e.Props != "" {
			d.Props, err = asProps(vals[idx[e.Props]])
			if err != nil {
				return since, n, skipped, rowErr(e.Props, err)
			}
		}
		if e.Watermark != "" {
			if w := watermark(vals[idx[e.Watermark]]); w != nil && greater(w, mark) {
				mark = w
			}
		}
		if !e.AddCustomers {
			if _, ok := live.ID(key); !ok {
				skipped++
				continue
			}
		}
		b.RecordEvent(key, name, at, d)
		pending++
		if pending >= l.batchSize() {
			if err := commit(false); err != nil {
				return since, n, skipped, err
			}
			if err := ctx.Err(); err != nil {
				return since, n, skipped, fmt.Errorf("dbload: events: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return since, n, skipped, fmt.Errorf("dbload: events rows: %w", err)
	}
	if err := commit(true); err != nil {
		return since, n, skipped, err
	}
	return mark, n, skipped, nil
}

// watermark keeps a driver value as a watermark: bytes become a string.
func watermark(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// greater reports whether watermark a is past b (nil b: always).
func greater(a, b any) bool {
	if b == nil {
		return true
	}
	switch x := a.(type) {
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.After(y)
		}
	case int64:
		if y, ok := b.(int64); ok {
			return x > y
		}
	case float64:
		if y, ok := b.(float64); ok {
			return x > y
		}
	case []byte:
		return greater(string(x), b)
	case string:
		switch y := b.(type) {
		case string:
			return x > y
		case []byte:
			return x > string(y)
		}
	}
	// mixed kinds: compare as text (numbers by value when both parse)
	xa, xb := fmt.Sprint(a), fmt.Sprint(b)
	fa, ea := strconv.ParseFloat(xa, 64)
	fb, eb := strconv.ParseFloat(xb, 64)
	if ea == nil && eb == nil {
		return fa > fb
	}
	return xa > xb
}
