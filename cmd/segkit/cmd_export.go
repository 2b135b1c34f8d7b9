package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/atomicfile"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/sqlgen"
)

// exportCmd writes customers and events as load-ready files for the
// documented SQL layout.
type exportCmd struct {
	layout    string
	customers string
	events    string
	schema    string
	out       string
}

func (*exportCmd) doc() doc {
	return doc{
		name:    "export",
		summary: "write customers and events as load-ready files for PostgreSQL (CSV, COPY) or ClickHouse (JSONEachRow), with the CREATE statements and a load script",
		usage:   "--layout postgres|clickhouse --customers FILE [--events FILE] [--schema FILE] --out DIR",
		example: `segkit export --layout postgres --customers customers.jsonl --events events.jsonl --schema schema.json --out pg/
psql -d crm -f pg/schema.sql -f pg/load.sql`,
	}
}

func (c *exportCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.layout, "layout", "postgres", "target `layout`: postgres or clickhouse")
	fs.StringVar(&c.customers, "customers", "", "customers `FILE` (JSON Lines)")
	fs.StringVar(&c.events, "events", "", "events `FILE` (JSON Lines), optional")
	fs.StringVar(&c.schema, "schema", "", "schema `FILE` (JSON), optional: without it kinds are inferred (the customers file is read twice)")
	fs.StringVar(&c.out, "out", "", "output `DIR` (created if missing)")
}

func (c *exportCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if c.customers == "" || c.out == "" {
		return usagef("--customers and --out are required")
	}
	d, err := dialectFlag(c.layout)
	if err != nil {
		return usagef("--layout must be postgres or clickhouse, got %s", dataio.Quote(c.layout))
	}
	var schema *dataio.Schema
	if c.schema != "" {
		if schema, err = dataio.ReadSchemaFile(c.schema); err != nil {
			return err
		}
	}
	attrs, loc, err := c.attributes(schema)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	x := &exporter{d: d, attrs: sortedAttrs(attrs), loc: loc}
	ext := "csv"
	if d == sqlgen.ClickHouse {
		ext = "jsonl"
	}
	cpath, epath := filepath.Join(c.out, "customers."+ext), filepath.Join(c.out, "events."+ext)
	cf, err := atomicfile.Create(cpath)
	if err != nil {
		return err
	}
	defer cf.Abort()
	cw := bufio.NewWriterSize(cf, 1<<20)
	if err := x.header(cw); err != nil {
		return err
	}
	seen := map[string]bool{}
	nc, err := x.customers(ctx, cw, c.customers, schema, seen)
	if err != nil {
		return err
	}
	ne, extra := 0, 0
	if c.events != "" {
		ef, err := atomicfile.Create(epath)
		if err != nil {
			return err
		}
		defer ef.Abort()
		ew := bufio.NewWriterSize(ef, 1<<20)
		ne, extra, err = x.eventsFile(ctx, ew, cw, c.events, seen)
		if err != nil {
			return err
		}
		if err := ew.Flush(); err != nil {
			return err
		}
		if err := ef.Commit(); err != nil {
			return err
		}
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := cf.Commit(); err != nil {
		return err
	}
	stmts, err := sqlgen.DDL(d, attrs, sqlgen.Layout{})
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(c.out, "schema.sql"), func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s;\n", strings.Join(stmts, ";\n\n"))
		return err
	}); err != nil {
		return err
	}
	if err := x.loadScript(c.out, c.events != ""); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\t%d customers (%d only in the events file)\n", cpath, nc+extra, extra)
	if c.events != "" {
		fmt.Fprintf(e.stdout, "%s\t%d events\n", epath, ne)
	}
	if d == sqlgen.ClickHouse {
		fmt.Fprintf(e.stdout, "load with: clickhouse-client --multiquery < %s && sh %s\n", filepath.Join(c.out, "schema.sql"), filepath.Join(c.out, "load.sh"))
	} else {
		fmt.Fprintf(e.stdout, "load with: psql -f %s -f %s\n", filepath.Join(c.out, "schema.sql"), filepath.Join(c.out, "load.sql"))
	}
	return nil
}

// attributes returns the declared attributes, or infers them with a first
// pass over the customers file.
func (c *exportCmd) attributes(schema *dataio.Schema) ([]bitmapindex.Attribute, *time.Location, error) {
	if schema != nil {
		loc := schema.Location
		if loc == nil {
			loc = time.UTC
		}
		return schema.Attributes, loc, nil
	}
	f, err := os.Open(c.customers)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cr := dataio.NewCustomerReader(c.customers, f, nil)
	for _, err := range cr.All() {
		if err != nil {
			return nil, nil, err
		}
	}
	return cr.Attributes(), time.UTC, nil
}

func sortedAttrs(attrs []bitmapindex.Attribute) []bitmapindex.Attribute {
	out := append([]bitmapindex.Attribute(nil), attrs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// exporter writes rows in the column order of sqlgen.DDL (id, tags, the
// attributes by name).
type exporter struct {
	d     sqlgen.Dialect
	attrs []bitmapindex.Attribute
	loc   *time.Location
}

func (x *exporter) columns() []string {
	cols := []string{"id", "tags"}
	for _, a := range x.attrs {
		cols = append(cols, a.Name)
		if x.d == sqlgen.ClickHouse && a.Kind == bitmapindex.KindSet {
			cols = append(cols, a.Name+"_present")
		}
	}
	return cols
}

func (x *exporter) header(w *bufio.Writer) error {
	if x.d == sqlgen.ClickHouse {
		return nil
	}
	for i, c := range x.columns() {
		if i > 0 {
			w.WriteByte(',')
		}
		csvField(w, c)
	}
	return w.WriteByte('\n')
}

func (x *exporter) customers(ctx context.Context, w *bufio.Writer, path string, schema *dataio.Schema, seen map[string]bool) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cr := dataio.NewCustomerReader(path, f, schema)
	n := 0
	first := map[string]int{}
	for c, err := range cr.All() {
		if err != nil {
			return n, err
		}
		if line, dup := first[c.ID]; dup {
			return n, fmt.Errorf("%s:%d: customer %s appears twice (first on line %d): give each customer one record", path, c.Line, dataio.Quote(c.ID), line)
		}
		first[c.ID] = c.Line
		seen[c.ID] = true
		if err := x.customer(w, c.ID, c.Tags, c.Attrs); err != nil {
			return n, fmt.Errorf("%s:%d: %w", path, c.Line, err)
		}
		n++
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// customer writes one customer row. Values are written as the index
// stores them: decimals at their scale, times at second precision.
func (x *exporter) customer(w *bufio.Writer, id string, tags []string, attrs map[string]bitmapindex.Value) error {
	if tags == nil {
		tags = []string{}
	}
	if x.d == sqlgen.ClickHouse {
		row := make(map[string]any, len(x.attrs)+2)
		row["id"], row["tags"] = id, tags
		for _, a := range x.attrs {
			v, ok := attrs[a.Name]
			if a.Kind == bitmapindex.KindSet {
				ss, _ := v.AsStrings()
				if ss == nil {
					ss = []string{}
				}
				row[a.Name] = ss
				row[a.Name+"_present"] = b2i(ok && len(ss) > 0)
				continue
			}
			if !ok {
				row[a.Name] = nil
				continue
			}
			val, err := chJSON(a, v)
			if err != nil {
				return err
			}
			row[a.Name] = val
		}
		return writeJSONLine(w, row)
	}
	csvField(w, id)
	w.WriteByte(',')
	csvField(w, pgArray(tags))
	for _, a := range x.attrs {
		w.WriteByte(',')
		v, ok := attrs[a.Name]
		if ss, isSet := v.AsStrings(); !ok || (isSet && len(ss) == 0) {
			continue // unquoted empty: NULL (an empty set is no value, as in the index)
		}
		s, err := pgText(a, v)
		if err != nil {
			return err
		}
		csvField(w, s)
	}
	return w.WriteByte('\n')
}

// eventsFile writes the events and, to cw, a customer row for every key
// seen only in the events (the index adds those customers too).
func (x *exporter) eventsFile(ctx context.Context, w, cw *bufio.Writer, path string, seen map[string]bool) (n, extra int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	for ev, err := range dataio.ReadEvents(path, f, x.loc) {
		if err != nil {
			return n, extra, err
		}
		if !seen[ev.Customer] {
			seen[ev.Customer] = true
			if err := x.customer(cw, ev.Customer, nil, nil); err != nil {
				return n, extra, err
			}
			extra++
		}
		at := ev.At.Unix()
		amount, err := bitmapindex.AmountFromFloat(ev.Value)
		if err != nil {
			return n, extra, fmt.Errorf("%s: event of %s: value: %w", path, dataio.Quote(ev.Customer), err)
		}
		value := amount.String()
		keys := slices.Sorted(maps.Keys(ev.Props))
		if x.d == sqlgen.ClickHouse {
			if at < 0 || at > math.MaxUint32 {
				return n, extra, fmt.Errorf("%s: event of %s at %s is outside ClickHouse's DateTime range (1970 to 2106)", path, dataio.Quote(ev.Customer), ev.At.Format(time.RFC3339))
			}
			vals := make([]string, len(keys))
			for i, k := range keys {
				vals[i] = ev.Props[k]
			}
			if keys == nil {
				keys = []string{}
			}
			err = writeJSONLine(w, map[string]any{"id": ev.Customer, "name": ev.Name, "at": time.Unix(at, 0).UTC().Format(time.DateTime), "value": json.Number(value), "prop_keys": keys, "prop_values": vals})
		} else {
			props := []byte("{}")
			if len(ev.Props) > 0 {
				if props, err = json.Marshal(ev.Props); err != nil {
					return n, extra, err
				}
			}
			csvField(w, ev.Customer)
			w.WriteByte(',')
			csvField(w, ev.Name)
			w.WriteByte(',')
			csvField(w, ev.At.UTC().Format("2006-01-02 15:04:05.999999999Z07:00"))
			w.WriteByte(',')
			csvField(w, value)
			w.WriteByte(',')
			csvField(w, string(props))
			err = w.WriteByte('\n')
		}
		if err != nil {
			return n, extra, err
		}
		n++
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return n, extra, err
			}
		}
	}
	return n, extra, nil
}

func (x *exporter) loadScript(dir string, events bool) error {
	if x.d == sqlgen.ClickHouse {
		return atomicfile.WriteFile(filepath.Join(dir, "load.sh"), func(w io.Writer) error {
			s := "#!/bin/sh\n# Loads the exported files into ClickHouse (run from this directory after schema.sql).\nset -e\nclickhouse-client --query 'INSERT INTO customers FORMAT JSONEachRow' < customers.jsonl\n"
			if events {
				s += "clickhouse-client --query 'INSERT INTO events FORMAT JSONEachRow' < events.jsonl\n"
			}
			_, err := io.WriteString(w, s)
			return err
		})
	}
	return atomicfile.WriteFile(filepath.Join(dir, "load.sql"), func(w io.Writer) error {
		cols := x.columns()
		for i, c := range cols {
			cols[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		s := "-- Loads the exported files with psql (run from this directory after schema.sql).\n"
		s += `\copy "customers" (` + strings.Join(cols, ", ") + ") FROM 'customers.csv' WITH (FORMAT csv, HEADER true)\n"
		if events {
			s += `\copy "events" ("id", "name", "at", "value", "props") FROM 'events.csv' WITH (FORMAT csv)` + "\n"
		}
		s += "ANALYZE \"customers\";\n"
		if events {
			s += "ANALYZE \"events\";\n"
		}
		_, err := io.WriteString(w, s)
		return err
	})
}

// csvField writes a quoted CSV field ("" doubled); NULL is written by
// leaving the field empty and unquoted, so every value is quoted.
func csvField(w *bufio.Writer, s string) {
	w.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			w.WriteByte('"')
		}
		w.WriteByte(s[i])
	}
	w.WriteByte('"')
}

// pgArray writes a PostgreSQL text array literal with every element quoted.
func pgArray(ss []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// decimalText formats a decimal at the attribute's scale, rounded as the
// index rounds when it stores it (half away from zero on the shortest
// representation).
func decimalText(a bitmapindex.Attribute, f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("attribute %s: %v is not a number", a.Name, f)
	}
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	return r.FloatString(a.Scale), nil
}

func pgText(a bitmapindex.Attribute, v bitmapindex.Value) (string, error) {
	switch a.Kind {
	case bitmapindex.KindDecimal:
		f, _ := v.AsDecimal()
		return decimalText(a, f)
	case bitmapindex.KindTime:
		t, _ := v.AsTime()
		return time.Unix(t.Unix(), 0).UTC().Format("2006-01-02 15:04:05Z07:00"), nil
	case bitmapindex.KindBool:
		b, _ := v.AsBool()
		if b {
			return "t", nil
		}
		return "f", nil
	case bitmapindex.KindSet:
		ss, _ := v.AsStrings()
		return pgArray(ss), nil
	}
	return v.String(), nil
}

func chJSON(a bitmapindex.Attribute, v bitmapindex.Value) (any, error) {
	switch a.Kind {
	case bitmapindex.KindInt:
		n, _ := v.AsInt()
		return n, nil
	case bitmapindex.KindDecimal:
		f, _ := v.AsDecimal()
		s, err := decimalText(a, f)
		return json.Number(s), err
	case bitmapindex.KindTime:
		t, _ := v.AsTime()
		if t.Unix() < 0 || t.Unix() > math.MaxUint32 {
			return nil, fmt.Errorf("attribute %s: %s is outside ClickHouse's DateTime range (1970 to 2106)", a.Name, t.Format(time.RFC3339))
		}
		return time.Unix(t.Unix(), 0).UTC().Format(time.DateTime), nil
	case bitmapindex.KindBool:
		b, _ := v.AsBool()
		return b2i(b), nil
	}
	return v.String(), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func writeJSONLine(w *bufio.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Write(data)
	return w.WriteByte('\n')
}
