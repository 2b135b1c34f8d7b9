package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/atomicfile"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/persona"
	"github.com/segkit/segkit/segment"
)

// timeFlag is a point in time given on the command line (--now, --from):
// YYYY-MM-DD, meaning that day (its midnight in the data's time zone, which
// is only known once the data is loaded), or RFC 3339, an absolute instant.
// It is parsed once, when the flag is set; a bad value is a usage error
// reported by flag parsing.
type timeFlag struct {
	name   string // flag name, for messages
	raw    string
	isDate bool
	y      int
	m      time.Month
	d      int
	abs    time.Time
}

func (f *timeFlag) String() string { return f.raw }

func (f *timeFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		*f = timeFlag{name: f.name, raw: s, isDate: true, y: t.Year(), m: t.Month(), d: t.Day()}
		return nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		*f = timeFlag{name: f.name, raw: s, abs: t}
		return nil
	}
	return fmt.Errorf("want YYYY-MM-DD or RFC 3339 (2026-06-30T12:00:00+08:00), got %s", dataio.Quote(s))
}

func (f *timeFlag) set() bool { return f.raw != "" }

// required returns a usage error when the flag was not given.
func (f *timeFlag) required() error {
	if f.raw == "" {
		return usagef("--%s is required (YYYY-MM-DD or RFC 3339): segkit never reads the clock to decide a window", f.name)
	}
	return nil
}

// in returns the time in loc (nil: UTC): a date is midnight of that day in
// loc, an instant is itself.
func (f *timeFlag) in(loc *time.Location) (time.Time, error) {
	if err := f.required(); err != nil {
		return time.Time{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	if f.isDate {
		return time.Date(f.y, f.m, f.d, 0, 0, 0, 0, loc), nil
	}
	return f.abs, nil
}

// day returns the calendar day of the flag in loc.
func (f *timeFlag) day(loc *time.Location) (segkit.Day, error) {
	t, err := f.in(loc)
	if err != nil {
		return 0, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return segkit.DayOf(t, loc), nil
}

// nowVar declares --now (or another time flag) on fs.
func nowVar(fs *flag.FlagSet, f *timeFlag, name, usage string) {
	f.name = name
	fs.Var(f, name, usage)
}

// dataFlags are the flags of every command that reads customers into an
// index: either files (--customers, --events, --schema) or a snapshot
// (--index).
type dataFlags struct {
	customers, events, schema, index string
	progress                         bool
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.customers, "customers", "", "customers `FILE` (JSON Lines)")
	fs.StringVar(&d.events, "events", "", "events `FILE` (JSON Lines), optional")
	fs.StringVar(&d.schema, "schema", "", "schema `FILE` (JSON), optional: without it kinds are inferred")
	fs.StringVar(&d.index, "index", "", "index `SNAPSHOT` (or durable index directory) written by 'segkit index build', instead of --customers")
	fs.BoolVar(&d.progress, "progress", false, "report progress on stderr even when it is not a terminal")
}

// load builds (or loads) the index the flags name.
func (d *dataFlags) load(ctx context.Context, e *env) (*bitmapindex.Index, error) {
	p := newProgress(e, d.progress)
	switch {
	case d.index != "" && (d.customers != "" || d.events != "" || d.schema != ""):
		return nil, usagef("give either --index or --customers/--events/--schema, not both")
	case d.index != "":
		start := time.Now()
		load := bitmapindex.Load
		if isDir(d.index) {
			load = bitmapindex.LoadDir // a durable index: checkpoint and log, read without locking
		}
		ix, err := load(d.index)
		if err != nil {
			return nil, err
		}
		p.printf("loaded %s: %d customers in %v", d.index, ix.Len(), time.Since(start).Round(time.Millisecond))
		return ix, nil
	case d.customers == "" && d.events == "":
		return nil, usagef("no data: give --customers FILE (and optionally --events, --schema) or --index SNAPSHOT")
	}
	var schema *dataio.Schema
	if d.schema != "" {
		var err error
		if schema, err = dataio.ReadSchemaFile(d.schema); err != nil {
			return nil, err
		}
	}
	ix, err := dataio.NewIndex(schema)
	if err != nil {
		return nil, err
	}
	if d.customers != "" {
		start := time.Now()
		n, err := dataio.LoadCustomersFile(ctx, ix, d.customers, schema)
		if err != nil {
			return nil, err
		}
		p.printf("read %d customers from %s in %v", n, d.customers, time.Since(start).Round(time.Millisecond))
	}
	if d.events != "" {
		start := time.Now()
		n, err := dataio.LoadEventsFile(ctx, ix, d.events)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			fmt.Fprintf(e.stderr, "segkit: note: %s holds no events\n", d.events)
		}
		p.printf("read %d events from %s in %v", n, d.events, time.Since(start).Round(time.Millisecond))
	}
	return ix, nil
}

// loadAt checks that now was given, loads the data and returns its view and
// the time now names in the view's time zone: the preamble of every command
// that evaluates rules.
func (d *dataFlags) loadAt(ctx context.Context, e *env, now *timeFlag) (*bitmapindex.View, time.Time, error) {
	if err := now.required(); err != nil {
		return nil, time.Time{}, err
	}
	ix, err := d.load(ctx, e)
	if err != nil {
		return nil, time.Time{}, err
	}
	v := ix.View()
	t, err := now.in(v.Location())
	return v, t, err
}

// txFlags are the flags of commands that read a transactions CSV.
type txFlags struct {
	path, columns string
}

func (t *txFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.path, "transactions", "", "transactions `CSV` with a header (default columns customer_id,date,amount)")
	fs.StringVar(&t.columns, "columns", "", "map fields to other column names: `id=…,time=…,amount=…`")
}

// read loads all transactions; a data error names file:line and field.
func (t *txFlags) read(loc *time.Location) (*dataio.Transactions, error) {
	if t.path == "" {
		return nil, usagef("--transactions is required")
	}
	cols, err := dataio.ParseColumns(t.columns, "id", "time", "amount")
	if err != nil {
		return nil, usagef("%v", err)
	}
	return dataio.ReadTransactionsFile(t.path, cols, loc)
}

// limitsFlag is --rule-limits: raises (or lowers) the limits rules are
// compiled under, for rules longer than the defaults allow.
type limitsFlag struct {
	raw string
	l   segment.Limits
}

// ruleLimit is one name of --rule-limits and its segment.Limits field.
type ruleLimit struct {
	name  string
	field func(*segment.Limits) *int
}

// ruleLimits maps the names of --rule-limits to segment.Limits fields.
var ruleLimits = []ruleLimit{
	{"nodes", func(l *segment.Limits) *int { return &l.MaxNodes }},
	{"depth", func(l *segment.Limits) *int { return &l.MaxDepth }},
	{"list-items", func(l *segment.Limits) *int { return &l.MaxListItems }},
	{"ref-depth", func(l *segment.Limits) *int { return &l.MaxRefDepth }},
	{"bytes", func(l *segment.Limits) *int { return &l.MaxRuleBytes }},
	{"regex-insts", func(l *segment.Limits) *int { return &l.MaxRegexInsts }},
	{"match-work", func(l *segment.Limits) *int { return &l.MaxMatchWork }},
}

func limitNames() string {
	names := make([]string, len(ruleLimits))
	for i, r := range ruleLimits {
		names[i] = r.name
	}
	return strings.Join(names, ", ")
}

func (f *limitsFlag) String() string { return f.raw }

func (f *limitsFlag) Set(s string) error {
	var l segment.Limits
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n <= 0 {
			return fmt.Errorf("want NAME=N pairs with N > 0 (names: %s), got %s", limitNames(), dataio.Quote(part))
		}
		i := slices.IndexFunc(ruleLimits, func(r ruleLimit) bool { return r.name == k })
		if i < 0 {
			return fmt.Errorf("unknown limit %s (want %s)", dataio.Quote(k), limitNames())
		}
		*ruleLimits[i].field(&l) = n
	}
	f.raw, f.l = s, l
	return nil
}

func (f *limitsFlag) register(fs *flag.FlagSet) {
	d := segment.DefaultLimits()
	var defs []string
	for _, r := range ruleLimits {
		defs = append(defs, fmt.Sprintf("%s (%d)", r.name, *r.field(&d)))
	}
	fs.Var(f, "rule-limits", "raise the limits rules compile and match under: `NAME=N,…`; names and defaults: "+strings.Join(defs, ", "))
}

// options returns the compile options: the view's schema (attributes and
// declared event properties) and the limits.
func (f *limitsFlag) options(v *bitmapindex.View) []segment.Option {
	opts := []segment.Option{segment.WithSchema(v.Schema())}
	if ev := v.EventSchema(); ev != nil {
		opts = append(opts, segment.WithEventSchema(ev))
	}
	if f.raw != "" {
		opts = append(opts, segment.WithLimits(f.l))
	}
	return opts
}

// printWarnings prints a rule's warnings against v on stderr: a tag, event
// or category value with no members there, often a typo.
func printWarnings(e *env, cmdName, label string, r *segment.Rule, v *bitmapindex.View) {
	for _, w := range r.Warnings(v) {
		if label != "" {
			fmt.Fprintf(e.stderr, "segkit %s: warning: %s: %s\n", cmdName, label, clip(w.String()))
		} else {
			fmt.Fprintf(e.stderr, "segkit %s: warning: %s\n", cmdName, clip(w.String()))
		}
	}
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usagef("--format %q: want one of %v", format, allowed)
}

// writeSVG writes a chart to path atomically (mode 0644).
func writeSVG(path string, c interface{ WriteSVG(w io.Writer) error }) error {
	return atomicfile.WriteFile(path, c.WriteSVG)
}

// asRuleError marks rule and definition errors (of segment or persona) as
// rule errors, which exit with 2.
func asRuleError(err error) error {
	var sl segment.ErrorList
	var se *segment.Error
	var ce *segment.CycleError
	var pl persona.ErrorList
	var pe *persona.Error
	if errors.As(err, &sl) || errors.As(err, &se) || errors.As(err, &ce) || errors.As(err, &pl) || errors.As(err, &pe) {
		return &ruleError{err}
	}
	return err
}
