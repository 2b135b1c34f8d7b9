package compare

import (
	"context"
	"fmt"
	"runtime"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/synth"
)

// segkitEngine is the library under test: a bitmapindex loaded with
// synth's Generator.Load (the bulk path: one bitmapindex.Chunk of typed
// columns and event columns per 65,536 customers, each one atomic commit),
// rules compiled once against the view's schema and
// counted with Rule.Count. Rules that reference segments are evaluated
// through a segment.Registry; each timed run gets a fresh registry so the
// registry's per-view result cache cannot answer it.
type segkitEngine struct {
	ix    *bitmapindex.Index
	view  *bitmapindex.View
	p     *Population
	rules []Rule
	plain []*segment.Rule // nil for rules with references
	// next holds, for rules with references, the rule compiled against a
	// fresh registry, prepared untimed before each run.
	next      []*segment.Rule
	heapDelta int64
	stats     bitmapindex.Stats
}

func newSegkitEngine() *segkitEngine { return &segkitEngine{} }

func (e *segkitEngine) Name() string { return "segkit" }

func (e *segkitEngine) Describe() string {
	return "bitmapindex loaded by synth.Generator.Load (one bitmapindex.Chunk per 65,536 customers); Rule.Count on one goroutine; inSegment through a fresh segment.Registry per run"
}

func (e *segkitEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	before := heapAfterGC()
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		return err
	}
	if err := p.Gen.Load(ctx, ix, synth.LoadConfig{BatchCustomers: loadChunk}); err != nil {
		return err
	}
	e.ix, e.view, e.p, e.rules = ix, ix.View(), p, rules
	// Customer i must have ID i, as the SQL engines and the baselines number them.
	if id, ok := e.view.ID(synth.Key(0)); !ok || id != 0 {
		return fmt.Errorf("compare: segkit: the first customer has ID %d, want 0", id)
	}
	if id, ok := e.view.ID(synth.Key(p.N - 1)); !ok || int(id) != p.N-1 {
		return fmt.Errorf("compare: segkit: the last customer has ID %d, want %d", id, p.N-1)
	}
	e.plain = make([]*segment.Rule, len(rules))
	e.next = make([]*segment.Rule, len(rules))
	for i, r := range rules {
		rule, err := segment.Compile(r.Segkit, segment.WithSchema(e.view.Schema()))
		if err != nil {
			return fmt.Errorf("compare: segkit: rule %s: %w", r.Name, err)
		}
		if len(rule.References()) == 0 {
			e.plain[i] = rule
		}
	}
	e.heapDelta = heapAfterGC() - before
	e.stats = e.view.Stats()
	return nil
}

// loadChunk is the number of customers per bulk-load chunk.
const loadChunk = 65_536

// PrepareRun compiles a rule with references against a fresh registry.
func (e *segkitEngine) PrepareRun(i int) error {
	if e.plain[i] != nil {
		return nil
	}
	reg := segment.NewRegistry(segment.WithSchema(e.view.Schema()))
	for name, src := range Segments {
		if err := reg.Define(segment.Definition{Name: name, Rule: src}); err != nil {
			return fmt.Errorf("compare: segkit: segment %s: %w", name, err)
		}
	}
	rule, err := segment.Compile(e.rules[i].Segkit, segment.WithSchema(e.view.Schema()), segment.WithResolver(reg))
	if err != nil {
		return fmt.Errorf("compare: segkit: rule %s: %w", e.rules[i].Name, err)
	}
	e.next[i] = rule
	return nil
}

func (e *segkitEngine) rule(i int) (*segment.Rule, error) {
	if r := e.plain[i]; r != nil {
		return r, nil
	}
	if e.next[i] == nil {
		if err := e.PrepareRun(i); err != nil {
			return nil, err
		}
	}
	r := e.next[i]
	e.next[i] = nil
	return r, nil
}

func (e *segkitEngine) Count(ctx context.Context, i int) (int64, error) {
	r, err := e.rule(i)
	if err != nil {
		return 0, err
	}
	n, err := r.Count(ctx, e.view, e.p.Now)
	return int64(n), err
}

// CountPrefix returns the number of members of rules[i] among the first n
// customers (IDs below n): the reference for a sampled baseline.
func (e *segkitEngine) CountPrefix(ctx context.Context, i, n int) (int64, error) {
	r, err := e.rule(i)
	if err != nil {
		return 0, err
	}
	set, err := r.Eval(ctx, e.view, e.p.Now)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	return int64(set.Bitmap().Rank(uint32(n - 1))), nil
}

func (e *segkitEngine) Memory(context.Context) (Memory, error) {
	return Memory{
		Bytes: e.heapDelta,
		How: fmt.Sprintf("Go heap after GC, before vs after load (View.Stats: %s estimated, %s of bitmaps in portable form, %s key table)",
			fmtBytes(e.stats.MemoryBytes), fmtBytes(e.stats.PortableBytes), fmtBytes(e.stats.KeyBytes)),
	}, nil
}

func (e *segkitEngine) Close() error {
	e.ix, e.view, e.plain, e.next = nil, nil, nil, nil
	runtime.GC()
	return nil
}

func heapAfterGC() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
