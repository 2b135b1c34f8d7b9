package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

func init() {
	register(&command{
		name:    "index build",
		summary: "build a bitmap index from customers and events files and save it as a snapshot",
		usage:   "--customers FILE [--events FILE] [--schema FILE] --out SNAPSHOT",
		example: "segkit index build --customers customers.jsonl --events events.jsonl --schema schema.json --out crm.segkit",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var d dataFlags
			d.register(fs)
			out := fs.String("out", "", "snapshot `FILE` to write (atomically)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				if *out == "" {
					return usagef("--out is required")
				}
				if d.index != "" {
					return usagef("index build reads --customers/--events, not --index")
				}
				ix, err := d.load(ctx, e)
				if err != nil {
					return err
				}
				start := time.Now()
				if err := ix.Save(*out); err != nil {
					return err
				}
				newProgress(e, d.progress).printf("saved %s in %v", *out, time.Since(start).Round(time.Millisecond))
				fmt.Fprintf(e.stdout, "%d customers indexed into %s\n", ix.Len(), *out)
				return nil
			}
		},
	})
	register(&command{
		name:    "index stats",
		summary: "print the size of an index: customers, fields and their cardinalities, memory",
		usage:   "(--index SNAPSHOT | --customers FILE [--events FILE] [--schema FILE]) [--format text|json]",
		example: "segkit index stats --index crm.segkit --format json",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var d dataFlags
			d.register(fs)
			format := fs.String("format", "text", "output `format`: text or json")
			return func(ctx context.Context, e *env, args []string) error {
				if err := checkFormat(*format, "text", "json"); err != nil {
					return err
				}
				ix, err := d.load(ctx, e)
				if err != nil {
					return err
				}
				v := ix.View()
				st := v.Stats()
				if *format == "json" {
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(st)
				}
				return writeStatsText(e, v, st)
			}
		},
	})
}

func writeStatsText(e *env, v *bitmapindex.View, st bitmapindex.Stats) error {
	w := e.stdout
	fmt.Fprintf(w, "customers   %d\n", v.Len())
	fmt.Fprintf(w, "time zone   %s\n", v.Location())
	tags := v.Tags()
	fmt.Fprintf(w, "tags        %d\n", len(tags))
	fmt.Fprintf(w, "attributes  %d\n", len(v.Schema()))
	for _, a := range v.Schema() {
		present, err := v.Present(a.Name)
		if err != nil {
			return err
		}
		kind := a.Kind.String()
		if a.Kind == bitmapindex.KindDecimal {
			kind = fmt.Sprintf("decimal(%d)", a.Scale)
		}
		line := fmt.Sprintf("  %-20s %-11s present %d", a.Name, kind, present.Len())
		if a.Kind == bitmapindex.KindCategory || a.Kind == bitmapindex.KindSet {
			vals, err := v.Values(a.Name)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(", %d distinct values", len(vals))
		}
		fmt.Fprintln(w, line)
	}
	evs := v.Events()
	fmt.Fprintf(w, "events      %d\n", len(evs))
	for _, name := range evs {
		fmt.Fprintf(w, "  %s\n", name)
	}
	fmt.Fprintf(w, "memory      %s (estimate)\n", humanBytes(st.MemoryBytes))
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
