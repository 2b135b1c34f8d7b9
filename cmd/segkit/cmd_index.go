package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/segkit/segkit/internal/atomicfile"

	"github.com/segkit/segkit/bitmapindex"
)

// indexBuildCmd builds and saves an index.
type indexBuildCmd struct {
	data    dataFlags
	out     string
	durable bool
}

func (*indexBuildCmd) doc() doc {
	return doc{
		name:    "index build",
		summary: "build a bitmap index from customers and events files and save it as a snapshot",
		usage:   "--customers FILE [--events FILE] [--schema FILE] --out SNAPSHOT",
		example: "segkit index build --customers customers.jsonl --events events.jsonl --schema schema.json --out crm.segkit",
	}
}

func (c *indexBuildCmd) flags(fs *flag.FlagSet) {
	c.data.register(fs)
	fs.StringVar(&c.out, "out", "", "snapshot `FILE` to write (atomically), or with --durable a new index directory")
	fs.BoolVar(&c.durable, "durable", false, "write a durable index directory (checkpoint and write-ahead log) for 'segkit index apply'; implied when --out is an existing directory")
}

func (c *indexBuildCmd) run(ctx context.Context, e *env, args []string) error {
	if c.out == "" {
		return usagef("--out is required")
	}
	if c.data.index != "" {
		return usagef("index build reads --customers/--events, not --index")
	}
	ix, err := c.data.load(ctx, e)
	if err != nil {
		return err
	}
	start := time.Now()
	if c.durable || isDir(c.out) {
		if err := bitmapindex.CreateDir(c.out, ix.View()); err != nil {
			return err
		}
		newProgress(e, c.data.progress).printf("wrote %s in %v", c.out, time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(e.stdout, "%d customers indexed into the durable index directory %s\n", ix.Len(), c.out)
		return nil
	}
	// The CLI's one atomic writer: a temporary file renamed into place,
	// mode 0644.
	if err := atomicfile.WriteFile(c.out, func(w io.Writer) error {
		_, err := ix.View().WriteTo(w)
		return err
	}); err != nil {
		return err
	}
	newProgress(e, c.data.progress).printf("saved %s in %v", c.out, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "%d customers indexed into %s\n", ix.Len(), c.out)
	return nil
}

// indexStatsCmd prints the size of an index.
type indexStatsCmd struct {
	data   dataFlags
	format string
}

func (*indexStatsCmd) doc() doc {
	return doc{
		name:    "index stats",
		summary: "print the size of an index: customers, fields and their cardinalities, memory",
		usage:   "(--index SNAPSHOT | --customers FILE [--events FILE] [--schema FILE]) [--format text|json]",
		example: "segkit index stats --index crm.segkit --format json",
	}
}

func (c *indexStatsCmd) flags(fs *flag.FlagSet) {
	c.data.register(fs)
	fs.StringVar(&c.format, "format", "text", "output `format`: text or json")
}

func (c *indexStatsCmd) run(ctx context.Context, e *env, args []string) error {
	if err := checkFormat(c.format, "text", "json"); err != nil {
		return err
	}
	ix, err := c.data.load(ctx, e)
	if err != nil {
		return err
	}
	v := ix.View()
	st := v.Stats()
	rep, durable := ix.Recovery()
	if c.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if durable {
			return enc.Encode(struct {
				bitmapindex.Stats
				Log durableStats `json:"log"`
			}{st, durableStatsOf(rep)})
		}
		return enc.Encode(st)
	}
	if err := writeStatsText(e, v, st); err != nil || !durable {
		return err
	}
	return writeDurableStats(e, rep)
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
