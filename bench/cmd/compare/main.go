// Command compare runs segkit's comparison benchmark: it loads the same
// synth population into segkit and into DuckDB, SQLite and PostgreSQL, checks
// that every engine returns the same member count for every rule, then times
// the rules and prints one markdown table (also written to --out).
//
//	go run ./cmd/compare --customers 1000000 --engines segkit,duckdb,sqlite,postgres --pg-dsn postgres://…
//
// bench/run.sh starts a throwaway PostgreSQL and runs this command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bench/compare"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	def := compare.DefaultConfig()
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	customers := fs.String("customers", "1000000", "population sizes, comma-separated (k and M suffixes allowed: 1M,10M)")
	engines := fs.String("engines", strings.Join(def.Engines, ","), "engines, comma-separated; known: "+strings.Join(compare.EngineNames(), ", "))
	runs := fs.Int("runs", def.Runs, "timed runs per rule and engine (0: check the counts only)")
	now := fs.String("now", def.Now.Format(time.RFC3339), "evaluation instant of every rule (RFC 3339)")
	out := fs.String("out", "", "also write the table to this file")
	pgDSN := fs.String("pg-dsn", os.Getenv("SEGKIT_BENCH_PG_DSN"), "PostgreSQL connection string (default $SEGKIT_BENCH_PG_DSN)")
	threads := fs.Int("threads", def.Options.Threads, "DuckDB threads and PostgreSQL parallel workers per query")
	baselines := fs.Bool("baselines", def.Baselines, "also run the hand-written roaring floor and the expr-per-customer baseline")
	exprSample := fs.String("expr-sample", strconv.Itoa(def.ExprSample), "customers the expr baseline evaluates (its times are extrapolated)")
	exprRuns := fs.Int("expr-runs", def.ExprRuns, "at most this many timed runs of the expr baseline")
	oneAtATime := fs.Bool("one-at-a-time", false, "load, check, time and drop the engines one after another (less memory)")
	rules := fs.String("rules", "", "only these rules, comma-separated (default all)")
	tmp := fs.String("tmp", "", "directory of the SQLite file (default $TMPDIR)")
	genTime := fs.Bool("gen-time", def.GenTime, "time one pass of the generator alone")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	jsonOut := fs.String("json", "", "also save the report as JSON to this file, after every engine (for --reference and --merge)")
	reference := fs.String("reference", "", "take the reference counts from this saved report instead of loading segkit")
	merge := fs.String("merge", "", "print the table of these saved reports merged (comma-separated, oldest first) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *merge != "" {
		return runMerge(splitList(*merge), *out)
	}
	cfg := def
	var err error
	if cfg.Customers, err = parseSizes(*customers); err != nil {
		return err
	}
	cfg.Engines = splitList(*engines)
	cfg.Runs, cfg.ExprRuns, cfg.Baselines, cfg.OneAtATime, cfg.GenTime = *runs, *exprRuns, *baselines, *oneAtATime, *genTime
	if cfg.Now, err = time.Parse(time.RFC3339, *now); err != nil {
		return fmt.Errorf("compare: --now: %w", err)
	}
	sample, err := parseSizes(*exprSample)
	if err != nil || len(sample) != 1 {
		return fmt.Errorf("compare: --expr-sample %q: want one size", *exprSample)
	}
	cfg.ExprSample = sample[0]
	if cfg.Rules, err = compare.SelectRules(splitList(*rules)); err != nil {
		return err
	}
	cfg.Options = compare.Options{PostgresDSN: *pgDSN, TempDir: *tmp, Threads: *threads}
	if !*quiet {
		cfg.Log = os.Stderr
	}
	if *reference != "" {
		if cfg.Reference, err = compare.ReadReport(*reference); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		path := *jsonOut
		cfg.Save = func(r *compare.Report) error { return compare.WriteReport(path, r) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, runErr := compare.Run(ctx, cfg)
	if rep != nil && *jsonOut != "" && timed(rep) {
		runErr = errors.Join(runErr, compare.WriteReport(*jsonOut, rep))
	}
	if rep != nil && (runErr == nil || timed(rep)) {
		table := rep.Markdown()
		if runErr != nil {
			table += "\n(partial: the run stopped with an error)\n"
		}
		fmt.Print(table)
		if *out != "" {
			if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
				return errors.Join(runErr, fmt.Errorf("compare: --out: %w", err))
			}
		}
	}
	return runErr // a *compare.MismatchError prints the diff
}

// runMerge prints (and writes to out) the table of saved reports merged.
func runMerge(paths []string, out string) error {
	var reps []*compare.Report
	for _, p := range paths {
		r, err := compare.ReadReport(p)
		if err != nil {
			return err
		}
		reps = append(reps, r)
	}
	m, err := compare.Merge(reps...)
	if err != nil {
		return err
	}
	table := m.Markdown()
	fmt.Print(table)
	if out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			return fmt.Errorf("compare: --out: %w", err)
		}
	}
	return nil
}

// timed reports whether any engine of the report has timed runs.
func timed(rep *compare.Report) bool {
	for _, s := range rep.Sizes {
		for _, e := range s.Engines {
			if len(e.Times) > 0 {
				return true
			}
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		mult := 1
		switch {
		case strings.HasSuffix(f, "M"):
			mult, f = 1_000_000, strings.TrimSuffix(f, "M")
		case strings.HasSuffix(f, "k"):
			mult, f = 1_000, strings.TrimSuffix(f, "k")
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("compare: size %q: want a positive integer", f)
		}
		out = append(out, n*mult)
	}
	if len(out) == 0 {
		return nil, errors.New("compare: no size given")
	}
	return out, nil
}
