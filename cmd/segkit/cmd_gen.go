package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/segkit/segkit/synth"
)

func init() {
	register(&command{
		name:    "gen",
		summary: "generate a seeded synthetic population: customers, events, transactions and a schema file",
		usage:   "--out DIR [--customers N] [--seed S] [--end DATE]",
		example: "segkit gen --out data --customers 10000 --seed 1 --end 2026-11-22",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			out := fs.String("out", "", "output `DIR` (created): customers.jsonl, events.jsonl, transactions.csv, schema.json")
			n := fs.Int("customers", 10_000, "number of customers `N`")
			seed := fs.Uint64("seed", 1, "random `SEED`: the same seed gives the same population")
			end := fs.String("end", "", "end `DATE` of the observation period (YYYY-MM-DD, exclusive; default the generator's 2026-07-01)")
			prog := fs.Bool("progress", false, "report progress on stderr even when it is not a terminal")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				if *out == "" {
					return usagef("--out is required")
				}
				if *n <= 0 {
					return usagef("--customers must be positive")
				}
				cfg := synth.Reference(*n)
				cfg.Seed = *seed
				if *end != "" {
					t, err := time.Parse(time.DateOnly, *end)
					if err != nil {
						return usagef("--end %q: want YYYY-MM-DD", *end)
					}
					cfg.End = t
				}
				g, err := synth.New(cfg)
				if err != nil {
					return err
				}
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return err
				}
				p := newProgress(e, *prog)
				start := time.Now()
				if _, err := writeAtomic(filepath.Join(*out, "schema.json"), func(w *bufio.Writer) (int, error) {
					return 1, synth.WriteSchema(w, g.Location())
				}); err != nil {
					return err
				}
				// One pass generates all three files; each is written to a
				// temporary file and renamed only when all succeeded.
				names := []string{"customers.jsonl", "events.jsonl", "transactions.csv"}
				tmps := make([]*os.File, len(names))
				bufs := make([]*bufio.Writer, len(names))
				defer func() {
					for _, f := range tmps {
						if f != nil {
							f.Close()
							os.Remove(f.Name())
						}
					}
				}()
				for i, n := range names {
					f, err := os.CreateTemp(*out, "."+n+".*")
					if err != nil {
						return err
					}
					tmps[i], bufs[i] = f, bufio.NewWriterSize(f, 1<<20)
				}
				counts, err := g.Write(bufs[0], bufs[1], bufs[2])
				if err != nil {
					return err
				}
				for i, n := range names {
					if err := bufs[i].Flush(); err != nil {
						return err
					}
					if err := tmps[i].Close(); err != nil {
						return err
					}
					if err := os.Rename(tmps[i].Name(), filepath.Join(*out, n)); err != nil {
						return err
					}
					tmps[i] = nil
				}
				p.printf("generated %d customers in %v", counts.Customers, time.Since(start).Round(time.Millisecond))
				fmt.Fprintf(e.stdout, "%s\t1\n", filepath.Join(*out, "schema.json"))
				fmt.Fprintf(e.stdout, "%s\t%d\n", filepath.Join(*out, "customers.jsonl"), counts.Customers)
				fmt.Fprintf(e.stdout, "%s\t%d\n", filepath.Join(*out, "events.jsonl"), counts.Events)
				fmt.Fprintf(e.stdout, "%s\t%d\n", filepath.Join(*out, "transactions.csv"), counts.Transactions)
				return nil
			}
		},
	})
}

// writeAtomic writes a file through a temporary file renamed into place, so
// an interrupted run leaves no half-written file under the final name.
func writeAtomic(path string, write func(*bufio.Writer) (int, error)) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	n, err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return n, os.Rename(tmp.Name(), path)
}
