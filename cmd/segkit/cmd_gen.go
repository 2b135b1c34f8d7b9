package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/segkit/segkit/internal/atomicfile"
	"github.com/segkit/segkit/synth"
)

// genCmd generates a synthetic population.
type genCmd struct {
	out      string
	n        int
	seed     uint64
	end      string
	progress bool
}

func (*genCmd) doc() doc {
	return doc{
		name:    "gen",
		summary: "generate a seeded synthetic population: customers, events, transactions and a schema file",
		usage:   "--out DIR [--customers N] [--seed S] [--end DATE]",
		example: "segkit gen --out data --customers 10000 --seed 1 --end 2026-11-22",
	}
}

func (c *genCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.out, "out", "", "output `DIR` (created): customers.jsonl, events.jsonl, transactions.csv, schema.json")
	fs.IntVar(&c.n, "customers", 10_000, "number of customers `N`")
	fs.Uint64Var(&c.seed, "seed", 1, "random `SEED`: the same seed gives the same population")
	fs.StringVar(&c.end, "end", "", "end `DATE` of the observation period (YYYY-MM-DD, exclusive; default the generator's 2026-07-01)")
	fs.BoolVar(&c.progress, "progress", false, "report progress on stderr even when it is not a terminal")
}

func (c *genCmd) run(ctx context.Context, e *env, args []string) error {
	if c.out == "" {
		return usagef("--out is required")
	}
	if c.n <= 0 {
		return usagef("--customers must be positive")
	}
	cfg := synth.Reference(c.n)
	cfg.Seed = c.seed
	if c.end != "" {
		t, err := time.Parse(time.DateOnly, c.end)
		if err != nil {
			return usagef("--end %q: want YYYY-MM-DD", c.end)
		}
		cfg.End = t
	}
	g, err := synth.New(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	p := newProgress(e, c.progress)
	start := time.Now()
	if err := atomicfile.WriteFile(filepath.Join(c.out, "schema.json"), func(w io.Writer) error {
		return synth.WriteSchema(w, g.Location())
	}); err != nil {
		return err
	}
	// One pass generates all three files; each is written atomically and
	// published only when all succeeded.
	names := []string{"customers.jsonl", "events.jsonl", "transactions.csv"}
	files := make([]*atomicfile.File, len(names))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Abort()
			}
		}
	}()
	for i, n := range names {
		if files[i], err = atomicfile.Create(filepath.Join(c.out, n)); err != nil {
			return err
		}
	}
	counts, err := g.Write(files[0], files[1], files[2])
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := f.Commit(); err != nil {
			return err
		}
	}
	p.printf("generated %d customers in %v", counts.Customers, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "%s\t1\n", filepath.Join(c.out, "schema.json"))
	fmt.Fprintf(e.stdout, "%s\t%d\n", filepath.Join(c.out, "customers.jsonl"), counts.Customers)
	fmt.Fprintf(e.stdout, "%s\t%d\n", filepath.Join(c.out, "events.jsonl"), counts.Events)
	fmt.Fprintf(e.stdout, "%s\t%d\n", filepath.Join(c.out, "transactions.csv"), counts.Transactions)
	return nil
}
