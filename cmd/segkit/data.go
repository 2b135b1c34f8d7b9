package main

import (
	"context"
	"flag"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/dataio"
)

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
	fs.StringVar(&d.index, "index", "", "index `SNAPSHOT` written by 'segkit index build', instead of --customers")
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
		ix, err := bitmapindex.Load(d.index)
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
		f, err := openFile(d.schema)
		if err != nil {
			return nil, err
		}
		schema, err = dataio.ReadSchema(d.schema, f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	ix, err := dataio.NewIndex(schema)
	if err != nil {
		return nil, err
	}
	if d.customers != "" {
		f, err := openFile(d.customers)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		n, err := dataio.LoadCustomers(ctx, ix, dataio.NewCustomerReader(d.customers, f, schema))
		f.Close()
		if err != nil {
			return nil, err
		}
		p.printf("read %d customers from %s in %v", n, d.customers, time.Since(start).Round(time.Millisecond))
	}
	if d.events != "" {
		f, err := openFile(d.events)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		n, err := dataio.LoadEvents(ctx, ix, d.events, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		p.printf("read %d events from %s in %v", n, d.events, time.Since(start).Round(time.Millisecond))
	}
	return ix, nil
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usagef("--format %q: want one of %v", format, allowed)
}
