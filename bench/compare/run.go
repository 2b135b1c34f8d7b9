package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Config is one comparison run. It is a plain value; start from
// DefaultConfig.
type Config struct {
	// Customers are the population sizes, run one after another.
	Customers []int
	// Engines to compare, by name (see EngineNames). segkit is always run
	// first (added when missing): its counts are the reference.
	Engines []string
	// Baselines adds the hand-written roaring floor and the expr baseline.
	Baselines bool
	// Runs is the number of timed runs per rule and engine (after the
	// untimed checking run). 0 means check only.
	Runs int
	// ExprRuns caps the timed runs of the expr baseline (it is slow);
	// 0 means Runs.
	ExprRuns int
	// ExprSample is the number of customers the expr baseline evaluates;
	// its times are extrapolated to the population. 0 means all.
	ExprSample int
	// Now is the evaluation instant of every rule.
	Now time.Time
	// Rules are the rules to compare; nil means Rules(). SelectRules picks
	// some by name.
	Rules []Rule
	// OneAtATime loads, checks, times and closes the engines one after
	// another (segkit first) instead of loading all of them before the
	// check, so that only one engine's data is in memory at a time.
	OneAtATime bool
	// GenTime measures one pass of the generator alone, to read the load
	// times against.
	GenTime bool
	// Reference, when set, supplies the reference member counts (a saved
	// report of an earlier run with segkit, same rules and now): segkit is
	// then not loaded, and every engine is checked against those counts.
	// The expr baseline needs segkit's counts among its sample, so with a
	// reference it must evaluate the whole population or be off.
	Reference *Report
	// Save, when set, receives the report so far after each engine is
	// timed, so a long run that fails late keeps what it measured.
	Save func(*Report) error
	// Options reach the engines.
	Options Options
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// DefaultConfig returns the run of issue 9: 1,000,000 customers, segkit
// against DuckDB, SQLite and PostgreSQL with both baselines, 5 runs, now =
// 2026-06-30T12:00:00Z (the last day of synth's event window), 2 threads.
func DefaultConfig() Config {
	return Config{
		Customers:  []int{1_000_000},
		Engines:    []string{"segkit", "duckdb", "sqlite", "postgres"},
		Baselines:  true,
		Runs:       5,
		ExprRuns:   3,
		ExprSample: 1_000_000,
		Now:        time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC),
		GenTime:    true,
		Options:    Options{Threads: 2},
	}
}

// Report is what a run measured. It is a plain value.
type Report struct {
	Machine Machine
	Now     time.Time
	Runs    int
	Sizes   []SizeReport
}

// SizeReport is the run at one population size.
type SizeReport struct {
	N int
	// Gen is one pass of the generator alone (0 when not measured).
	Gen   time.Duration
	Rules []Rule
	// Counts are the reference member counts (segkit's), by rule.
	Counts  []int64
	Engines []EngineReport
	// LoadAvg is /proc/loadavg at the start and the end of the size's run.
	LoadAvg [2]string
	// Notes are printed under the heading (Merge says there which engines
	// came from which run).
	Notes []string `json:",omitempty"`
}

// EngineReport is one engine at one size.
type EngineReport struct {
	Name, Describe string
	Load           time.Duration
	Memory         Memory
	// Sample is the number of customers evaluated (the population unless
	// the engine was sampled).
	Sample int
	// Times by rule; empty when not timed.
	Times []Timing
}

// MismatchError is returned when an engine's member count differs from
// segkit's for some rule: the run stops before timing anything.
type MismatchError struct {
	N    int
	Diff []Mismatch
}

// Mismatch is one differing count.
type Mismatch struct {
	Rule, Engine string
	Want, Got    int64
	// Sample is the number of customers the engine evaluated (Want is then
	// segkit's count among them).
	Sample int
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "compare: member counts differ at %d customers (want = segkit):\n", e.N)
	fmt.Fprintf(&b, "  %-16s %-14s %12s %12s %10s\n", "rule", "engine", "want", "got", "diff")
	for _, m := range e.Diff {
		extra := ""
		if m.Sample != e.N {
			extra = fmt.Sprintf("  (first %d customers)", m.Sample)
		}
		fmt.Fprintf(&b, "  %-16s %-14s %12d %12d %+10d%s\n", m.Rule, m.Engine, m.Want, m.Got, m.Got-m.Want, extra)
	}
	return b.String()
}

// preparer is implemented by engines that prepare each timed run (untimed).
type preparer interface{ PrepareRun(i int) error }

// sampler is implemented by engines that evaluate a prefix of the population.
type sampler interface{ Sampled() int }

// Run executes the comparison. It stops with a *MismatchError, before any
// timing of the engines concerned, when counts differ.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	rules := cfg.Rules
	if rules == nil {
		rules = Rules()
	}
	names := slices.DeleteFunc(slices.Clone(cfg.Engines), func(s string) bool { return s == "segkit" })
	for _, n := range names {
		if _, ok := engineFactories[n]; !ok {
			return nil, fmt.Errorf("compare: unknown engine %q (known: %s)", n, strings.Join(EngineNames(), ", "))
		}
	}
	if len(cfg.Customers) == 0 {
		return nil, errors.New("compare: no population size")
	}
	rep := &Report{Machine: ThisMachine(), Now: cfg.Now, Runs: cfg.Runs}
	if cfg.Reference != nil && !cfg.Reference.Now.Equal(cfg.Now) {
		return nil, fmt.Errorf("compare: the reference was measured at now = %s, not %s", cfg.Reference.Now.Format(time.RFC3339), cfg.Now.Format(time.RFC3339))
	}
	for _, n := range cfg.Customers {
		save := func(cur *SizeReport) {
			if cfg.Save == nil {
				return
			}
			snap := *rep
			snap.Sizes = append(slices.Clone(rep.Sizes), *cur)
			if err := cfg.Save(&snap); err != nil {
				fmt.Fprintf(cfg.Log, "compare: saving the report: %v\n", err)
			}
		}
		sr, err := runSize(ctx, cfg, n, rules, names, save)
		if sr != nil {
			rep.Sizes = append(rep.Sizes, *sr)
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// SelectRules returns the rules of Rules() with the given names, in that
// order; no names means all of them.
func SelectRules(names []string) ([]Rule, error) {
	all := Rules()
	if len(names) == 0 {
		return all, nil
	}
	var out []Rule
	for _, n := range names {
		i := slices.IndexFunc(all, func(r Rule) bool { return r.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("compare: unknown rule %q", n)
		}
		out = append(out, all[i])
	}
	return out, nil
}

type loaded struct {
	e      Engine
	rep    *EngineReport
	counts []int64
}

// referenceCounts returns the counts of rules at size n from a saved report.
func referenceCounts(ref *Report, n int, rules []Rule) ([]int64, error) {
	i := slices.IndexFunc(ref.Sizes, func(s SizeReport) bool { return s.N == n })
	if i < 0 {
		return nil, fmt.Errorf("compare: the reference has no run at %d customers", n)
	}
	s := ref.Sizes[i]
	out := make([]int64, len(rules))
	for k, r := range rules {
		j := slices.IndexFunc(s.Rules, func(x Rule) bool { return x.Name == r.Name })
		if j < 0 || j >= len(s.Counts) {
			return nil, fmt.Errorf("compare: the reference has no count of rule %s at %d customers", r.Name, n)
		}
		if s.Rules[j].Segkit != r.Segkit {
			return nil, fmt.Errorf("compare: rule %s differs from the reference's (%q, now %q)", r.Name, s.Rules[j].Segkit, r.Segkit)
		}
		out[k] = s.Counts[j]
	}
	return out, nil
}

func runSize(ctx context.Context, cfg Config, n int, rules []Rule, peers []string, save func(*SizeReport)) (_ *SizeReport, err error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "[%s] n=%d: %s\n", time.Now().Format("15:04:05"), n, fmt.Sprintf(format, args...))
	}
	p, err := NewPopulation(n, cfg.Now)
	if err != nil {
		return nil, err
	}
	sr := &SizeReport{N: n, Rules: rules}
	sr.LoadAvg[0] = LoadAverage()
	defer func() { sr.LoadAvg[1] = LoadAverage() }()
	if cfg.GenTime {
		start := time.Now()
		k := 0
		for range p.Rows() {
			k++
		}
		sr.Gen = time.Since(start)
		logf("generator alone: %d customers in %v", k, sr.Gen.Round(time.Millisecond))
	}

	// The engines in order: segkit (the reference), the baselines, the peers.
	type spec struct {
		name string
		make func() Engine
	}
	var specs []spec
	if cfg.Reference == nil {
		specs = append(specs, spec{"segkit", func() Engine { return newSegkitEngine() }})
	} else {
		if sr.Counts, err = referenceCounts(cfg.Reference, n, rules); err != nil {
			return nil, err
		}
		if cfg.Baselines && cfg.ExprSample > 0 && cfg.ExprSample < n {
			return nil, errors.New("compare: with a reference, the expr baseline must evaluate the whole population (--expr-sample) or be off (--baselines=false)")
		}
	}
	if cfg.Baselines {
		specs = append(specs,
			spec{"roaring", func() Engine { return newRoaringEngine() }},
			spec{"expr", func() Engine { return newExprEngine(cfg.ExprSample) }})
	}
	for _, name := range peers {
		f := engineFactories[name]
		specs = append(specs, spec{name, func() Engine { return f(cfg.Options) }})
	}

	var open []*loaded
	defer func() {
		for _, l := range open {
			err = errors.Join(err, l.e.Close())
		}
	}()
	load := func(s spec) (*loaded, error) {
		e := s.make()
		l := &loaded{e: e, rep: &EngineReport{Name: e.Name(), Describe: e.Describe(), Sample: n}}
		open = append(open, l)
		logf("loading %s", e.Name())
		start := time.Now()
		if err := e.Load(ctx, p, rules); err != nil {
			return nil, fmt.Errorf("compare: load %s: %w", e.Name(), err)
		}
		l.rep.Load = time.Since(start)
		l.rep.Describe = e.Describe() // some engines name their version once loaded
		if sm, ok := e.(sampler); ok {
			l.rep.Sample = sm.Sampled()
		}
		mem, err := e.Memory(ctx)
		if err != nil {
			// A footprint the engine cannot report is no reason to lose the run.
			logf("%s: %v", e.Name(), err)
			mem = Memory{How: "unavailable: " + err.Error()}
		}
		l.rep.Memory = mem
		logf("loaded %s in %v (%s)", e.Name(), l.rep.Load.Round(time.Millisecond), fmtBytes(mem.Bytes))
		return l, nil
	}
	closeEngine := func(l *loaded) error {
		i := slices.Index(open, l)
		open = slices.Delete(open, i, i+1)
		return l.e.Close()
	}
	var ref *loaded
	// prefix holds segkit's counts among the first k customers, for sampled engines.
	prefix := map[int][]int64{}
	check := func(l *loaded) error {
		counts := make([]int64, len(rules))
		var diff []Mismatch
		for i := range rules {
			if err := prepare(l.e, i); err != nil {
				return err
			}
			c, err := l.e.Count(ctx, i)
			if err != nil {
				return fmt.Errorf("compare: %s: rule %s: %w", l.e.Name(), rules[i].Name, err)
			}
			counts[i] = c
			want := sr.Counts
			if l.rep.Sample != n {
				want = prefix[l.rep.Sample]
			}
			if l != ref && c != want[i] {
				diff = append(diff, Mismatch{Rule: rules[i].Name, Engine: l.e.Name(), Want: want[i], Got: c, Sample: l.rep.Sample})
			}
		}
		l.counts = counts
		if diff != nil {
			return &MismatchError{N: n, Diff: diff}
		}
		logf("%s: all %d counts agree", l.e.Name(), len(rules))
		return nil
	}
	timeEngine := func(l *loaded) error {
		runs := cfg.Runs
		if l.e.Name() == "expr" && cfg.ExprRuns > 0 {
			runs = min(runs, cfg.ExprRuns)
		}
		if runs <= 0 {
			return nil
		}
		scale := float64(n) / float64(l.rep.Sample)
		l.rep.Times = make([]Timing, len(rules))
		for i, r := range rules {
			ds := make([]time.Duration, 0, runs)
			for range runs {
				if err := prepare(l.e, i); err != nil {
					return err
				}
				start := time.Now()
				c, err := l.e.Count(ctx, i)
				d := time.Since(start)
				if err != nil {
					return fmt.Errorf("compare: %s: rule %s: %w", l.e.Name(), r.Name, err)
				}
				if c != l.counts[i] {
					return fmt.Errorf("compare: %s: rule %s: count changed between runs: %d, then %d", l.e.Name(), r.Name, l.counts[i], c)
				}
				ds = append(ds, d)
			}
			l.rep.Times[i] = newTiming(ds, scale)
		}
		logf("timed %s", l.e.Name())
		return nil
	}
	var all []*loaded
	if cfg.Reference == nil {
		// The reference first, with segkit's counts among the expr sample.
		ref, err = load(specs[0])
		if err != nil {
			return sr, err
		}
		if err := check(ref); err != nil {
			return sr, err
		}
		sr.Counts = ref.counts
		all = append(all, ref)
		specs = specs[1:]
	}
	if ref != nil && cfg.Baselines && cfg.ExprSample > 0 && cfg.ExprSample < n {
		sk := ref.e.(*segkitEngine)
		pc := make([]int64, len(rules))
		for i := range rules {
			if pc[i], err = sk.CountPrefix(ctx, i, cfg.ExprSample); err != nil {
				return sr, err
			}
		}
		prefix[cfg.ExprSample] = pc
	}
	if cfg.OneAtATime {
		if ref != nil {
			if err := timeEngine(ref); err != nil {
				return sr, err
			}
			sr.Engines = append(sr.Engines, *ref.rep)
			save(sr)
			if err := closeEngine(ref); err != nil {
				return sr, err
			}
		}
		for _, s := range specs {
			l, err := load(s)
			if err != nil {
				return sr, err
			}
			if err := check(l); err != nil {
				return sr, err
			}
			if err := timeEngine(l); err != nil {
				return sr, err
			}
			sr.Engines = append(sr.Engines, *l.rep)
			save(sr)
			if err := closeEngine(l); err != nil {
				return sr, err
			}
		}
		return sr, nil
	}
	for _, s := range specs {
		l, err := load(s)
		if err != nil {
			return sr, err
		}
		all = append(all, l)
	}
	var mismatch *MismatchError
	for _, l := range all {
		if l == ref {
			continue
		}
		if err := check(l); err != nil {
			var m *MismatchError
			if !errors.As(err, &m) {
				return sr, err
			}
			if mismatch == nil {
				mismatch = m
			} else {
				mismatch.Diff = append(mismatch.Diff, m.Diff...)
			}
		}
	}
	if mismatch != nil {
		return sr, mismatch
	}
	for _, l := range all {
		if err := timeEngine(l); err != nil {
			return sr, err
		}
		sr.Engines = append(sr.Engines, *l.rep)
		save(sr)
	}
	return sr, nil
}

func prepare(e Engine, i int) error {
	if p, ok := e.(preparer); ok {
		return p.PrepareRun(i)
	}
	return nil
}
