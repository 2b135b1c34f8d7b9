package segment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/segkit/segkit/bitmapindex"
)

// Definition is a named segment as a host stores it (see
// Registry.MarshalJSON). It is a plain value; Registry.Get returns a copy.
type Definition struct {
	// Name identifies the segment; rules reference it with inSegment("name").
	Name string `json:"name"`
	// Rule is the segment's rule in the rule language.
	Rule string `json:"rule"`
	// Description is free text for people.
	Description string `json:"description,omitempty"`
	// Static segments freeze their members: the rule is evaluated once (on
	// the first evaluation, or by Registry.Freeze) and the member keys are
	// kept from then on. Dynamic segments (the default) are re-evaluated on
	// every view.
	Static bool `json:"static,omitempty"`
	// Members are the frozen member keys of a static segment, in the order
	// they were frozen (customer ID order); nil when not frozen yet. Only
	// static segments may have members.
	Members []string `json:"members,omitempty"`
}

// Registry holds named segment definitions that may reference each other
// with inSegment. It rejects reference cycles (reporting the path) and
// reference chains longer than Limits.MaxRefDepth, refuses to delete a
// segment others reference, evaluates references before the segments that
// use them and caches results per view and day, so each segment is
// evaluated once per view however many others reference it.
//
// A Registry is safe for concurrent use: evaluations run concurrently with
// each other and with definition changes (an evaluation sees the
// definitions as they were when it started). The zero Registry is empty and
// ready to use with default options.
type Registry struct {
	mu    sync.Mutex // serialises writers
	state atomic.Pointer[regState]
	opts  []Option

	cmu   sync.Mutex
	cache []*evalCache // most recent first
}

// cacheViews is how many (view, day) result sets the registry keeps.
const cacheViews = 4

type regState struct {
	gen  uint64
	defs map[string]*regEntry
}

type regEntry struct {
	def     Definition // Members nil; see members
	rule    *Rule
	members []string            // static and frozen: member keys
	frozen  map[string]struct{} // static and frozen: lookup
}

func (e *regEntry) isFrozen() bool { return e.def.Static && e.frozen != nil }

var emptyState = &regState{defs: map[string]*regEntry{}}

// SchemaSource is anything with a current schema: *bitmapindex.Index and
// *bitmapindex.View.
type SchemaSource interface {
	Schema() []bitmapindex.Attribute
}

// WithSchemaOf checks rules against the schema src has when each rule is
// compiled — for a Registry, when each segment is defined — rather than the
// schema of the moment the option is made. With a Registry over an index
// that models write into, pass the index: after rfm.Update declares
// rfm_segment, `rfm_segment in ["Champions"]` can be defined, which it
// cannot under WithSchema(ix.Schema()) taken before. Evaluation checks rules
// against the view either way.
func WithSchemaOf(src SchemaSource) Option {
	return func(o *options) {
		if src != nil {
			WithSchema(src.Schema())(o)
		}
	}
}

// NewRegistry returns an empty registry; opts (schema, limits) apply to
// every rule it compiles, as each is defined: prefer WithSchemaOf(ix) to
// WithSchema(ix.Schema()), so that attributes the index gains later are
// known to segments defined after. A resolver given with WithResolver is ignored:
// references always resolve within the registry.
func NewRegistry(opts ...Option) *Registry {
	return &Registry{opts: slices.Clone(opts)}
}

func (r *Registry) load() *regState {
	if s := r.state.Load(); s != nil {
		return s
	}
	return emptyState
}

func (r *Registry) limits() Limits { return buildOptions(r.opts).limits }

// Define adds or replaces one definition. See DefineAll.
func (r *Registry) Define(d Definition) error { return r.DefineAll(d) }

// DefineAll adds or replaces several definitions at once, so that
// definitions referencing each other can be added together in any order.
// Either all are accepted or none: a rule that does not compile (its
// ErrorList is wrapped), a reference to an unknown segment, a reference
// cycle (*CycleError) or a reference chain longer than MaxRefDepth rejects
// the whole batch.
func (r *Registry) DefineAll(defs ...Definition) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.build(r.load(), defs)
	if err != nil {
		return err
	}
	r.publish(st)
	return nil
}

func (r *Registry) publish(st *regState) {
	r.state.Store(st)
	r.cmu.Lock()
	r.cache = nil
	r.cmu.Unlock()
}

func (r *Registry) build(base *regState, defs []Definition) (*regState, error) {
	next := &regState{gen: base.gen + 1, defs: make(map[string]*regEntry, len(base.defs)+len(defs))}
	for k, v := range base.defs {
		next.defs[k] = v
	}
	var errs []error
	batch := map[string]bool{}
	for _, d := range defs {
		if err := validName(d.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if batch[d.Name] {
			errs = append(errs, fmt.Errorf("segment: %q defined twice in one batch", d.Name))
			continue
		}
		batch[d.Name] = true
		if !d.Static && d.Members != nil {
			errs = append(errs, fmt.Errorf("segment: %q: members given for a dynamic segment", d.Name))
			continue
		}
		rule, err := Compile(d.Rule, r.opts...)
		if err != nil {
			errs = append(errs, fmt.Errorf("segment: define %q: %w", d.Name, err))
			continue
		}
		e := &regEntry{def: d, rule: rule}
		e.def.Members = nil
		if d.Static && d.Members != nil {
			e.members = slices.Clone(d.Members)
			e.frozen = make(map[string]struct{}, len(d.Members))
			for _, k := range d.Members {
				e.frozen[k] = struct{}{}
			}
		}
		next.defs[d.Name] = e
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Every reference must name a segment.
	for _, name := range sortedKeys(next.defs) {
		e := next.defs[name]
		for _, ref := range e.rule.refs {
			if _, ok := next.defs[ref.name]; !ok {
				el := ErrorList{positions{e.rule.src}.errorAt(ref.pos, "inSegment(%q): no such segment", ref.name)}
				errs = append(errs, fmt.Errorf("segment: define %q: %w", name, el))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if path := findCycle(next.defs); path != nil {
		return nil, &CycleError{Path: path}
	}
	if chain := longestChain(next.defs); len(chain)-1 > r.limits().MaxRefDepth {
		return nil, fmt.Errorf("segment: reference chain %s is %d deep, more than the limit of %d", strings.Join(chain, " → "), len(chain)-1, r.limits().MaxRefDepth)
	}
	return next, nil
}

func validName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("segment: a segment needs a name")
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("segment: name %q has leading or trailing spaces", name)
	}
	return nil
}

func sortedKeys(m map[string]*regEntry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// findCycle returns a reference cycle as a path a → b → a, or nil.
func findCycle(defs map[string]*regEntry) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, ref := range defs[n].rule.refs {
			switch color[ref.name] {
			case grey:
				i := slices.Index(stack, ref.name)
				found = append(slices.Clone(stack[i:]), ref.name)
				return true
			case white:
				if visit(ref.name) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range sortedKeys(defs) {
		if color[n] == white && visit(n) {
			return found
		}
	}
	return nil
}

// longestChain returns the longest reference path in an acyclic graph.
func longestChain(defs map[string]*regEntry) []string {
	memo := map[string][]string{}
	var chain func(n string) []string
	chain = func(n string) []string {
		if c, ok := memo[n]; ok {
			return c
		}
		best := []string{n}
		for _, ref := range defs[n].rule.refs {
			if c := chain(ref.name); len(c)+1 > len(best) {
				best = append([]string{n}, c...)
			}
		}
		memo[n] = best
		return best
	}
	var longest []string
	for _, n := range sortedKeys(defs) {
		if c := chain(n); len(c) > len(longest) {
			longest = c
		}
	}
	return longest
}

// Delete removes a definition. It fails with an *InUseError listing the
// referrers when other segments reference it, and with an error wrapping
// ErrNotFound when there is no such segment.
func (r *Registry) Delete(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.load()
	if _, ok := st.defs[name]; !ok {
		return fmt.Errorf("segment: delete %q: %w", name, ErrNotFound)
	}
	if refs := referrers(st, name); len(refs) > 0 {
		return &InUseError{Name: name, Referrers: refs}
	}
	next := &regState{gen: st.gen + 1, defs: make(map[string]*regEntry, len(st.defs))}
	for k, v := range st.defs {
		if k != name {
			next.defs[k] = v
		}
	}
	r.publish(next)
	return nil
}

func referrers(st *regState, name string) []string {
	var out []string
	for _, n := range sortedKeys(st.defs) {
		for _, ref := range st.defs[n].rule.refs {
			if ref.name == name {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// Referrers returns the names of the segments that reference name, sorted.
func (r *Registry) Referrers(name string) []string { return referrers(r.load(), name) }

// Get returns a definition (with its frozen members, for a frozen static
// segment).
func (r *Registry) Get(name string) (Definition, bool) {
	e, ok := r.load().defs[name]
	if !ok {
		return Definition{}, false
	}
	return e.definition(), true
}

func (e *regEntry) definition() Definition {
	d := e.def
	if e.isFrozen() {
		d.Members = slices.Clone(e.members)
		if d.Members == nil {
			d.Members = []string{}
		}
	}
	return d
}

// Rule returns the compiled rule of a segment.
func (r *Registry) Rule(name string) (*Rule, bool) {
	e, ok := r.load().defs[name]
	if !ok {
		return nil, false
	}
	return e.rule, true
}

// Names returns the defined segment names, sorted.
func (r *Registry) Names() []string { return sortedKeys(r.load().defs) }

// Order returns the segment names in dependency order: every segment comes
// after the segments it references (ties broken by name).
func (r *Registry) Order() []string { return topoOrder(r.load().defs) }

func topoOrder(defs map[string]*regEntry) []string {
	pending := map[string]int{} // unresolved references (distinct)
	users := map[string][]string{}
	for n, e := range defs {
		pending[n] = len(e.rule.refs)
		for _, ref := range e.rule.refs {
			users[ref.name] = append(users[ref.name], n)
		}
	}
	var ready, out []string
	for n, c := range pending {
		if c == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		n := ready[0]
		ready = ready[1:]
		out = append(out, n)
		for _, u := range users[n] {
			pending[u]--
			if pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	return out
}

// ---- evaluation -----------------------------------------------------------------

type evalCache struct {
	v        *bitmapindex.View
	today    int64
	gen      uint64
	mu       sync.Mutex
	sets     map[string]bitmapindex.Set
	inflight map[string]*flight // being evaluated by some goroutine
}

// flight is one evaluation in progress; done is closed when s and err are
// set.
type flight struct {
	done chan struct{}
	s    bitmapindex.Set
	err  error
}

// claim returns the cached result of name (ok), or the evaluation another
// goroutine is running (wait on it), or registers one for the caller to run
// and finish (mine).
func (c *evalCache) claim(name string) (s bitmapindex.Set, ok bool, f *flight, mine bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sets[name]; ok {
		return s, true, nil, false
	}
	if f := c.inflight[name]; f != nil {
		return bitmapindex.Set{}, false, f, false
	}
	if c.inflight == nil {
		c.inflight = map[string]*flight{}
	}
	f = &flight{done: make(chan struct{})}
	c.inflight[name] = f
	return bitmapindex.Set{}, false, f, true
}

// finish records the outcome of a claimed evaluation (a result is cached,
// an error is not) and releases its waiters.
func (c *evalCache) finish(name string, f *flight, s bitmapindex.Set, err error) {
	c.mu.Lock()
	delete(c.inflight, name)
	if err == nil {
		c.sets[name] = s
	}
	c.mu.Unlock()
	f.s, f.err = s, err
	close(f.done)
}

func (r *Registry) cacheFor(v *bitmapindex.View, today int64, gen uint64) *evalCache {
	r.cmu.Lock()
	defer r.cmu.Unlock()
	for i, c := range r.cache {
		if c.v == v && c.today == today && c.gen == gen {
			copy(r.cache[1:i+1], r.cache[:i])
			r.cache[0] = c
			return c
		}
	}
	c := &evalCache{v: v, today: today, gen: gen, sets: map[string]bitmapindex.Set{}}
	r.cache = append([]*evalCache{c}, r.cache...)
	if len(r.cache) > cacheViews {
		r.cache = r.cache[:cacheViews]
	}
	return c
}

// Eval returns the members of the named segment in v at now, evaluating the
// segments it references first. Results are cached per view and day (of now
// in v's Location) until the definitions change. A static segment that is
// not frozen yet is evaluated and frozen.
func (r *Registry) Eval(ctx context.Context, name string, v *bitmapindex.View, now time.Time) (bitmapindex.Set, error) {
	if v == nil {
		return bitmapindex.Set{}, errors.New("segment: nil view")
	}
	st := r.load()
	c := r.cacheFor(v, int64(v.Zone().DayOf(now)), st.gen)
	return r.evalIn(ctx, st, c, name, v, now, 0)
}

func (r *Registry) evalIn(ctx context.Context, st *regState, c *evalCache, name string, v *bitmapindex.View, now time.Time, depth int) (bitmapindex.Set, error) {
	s, ok, f, mine := c.claim(name)
	switch {
	case ok:
		return s, nil
	case !mine: // another goroutine evaluates it (EvalAll's workers)
		select {
		case <-f.done:
			return f.s, f.err
		case <-ctx.Done():
			return bitmapindex.Set{}, ctx.Err()
		}
	}
	s, err := r.evalOnce(ctx, st, c, name, v, now, depth)
	c.finish(name, f, s, err)
	return s, err
}

func (r *Registry) evalOnce(ctx context.Context, st *regState, c *evalCache, name string, v *bitmapindex.View, now time.Time, depth int) (bitmapindex.Set, error) {
	e, ok := st.defs[name]
	if !ok {
		return bitmapindex.Set{}, fmt.Errorf("segment: %q: %w", name, ErrNotFound)
	}
	if depth > r.limits().MaxRefDepth {
		return bitmapindex.Set{}, fmt.Errorf("segment: %q: references nested deeper than %d", name, r.limits().MaxRefDepth)
	}
	var s bitmapindex.Set
	if e.isFrozen() {
		s = membersSet(v, e.members)
	} else {
		refs := func(ctx context.Context, ref string, v *bitmapindex.View, now time.Time) (bitmapindex.Set, error) {
			return r.evalIn(ctx, st, c, ref, v, now, depth+1)
		}
		var err error
		s, err = e.rule.evalWith(ctx, v, now, refs)
		if err != nil {
			return bitmapindex.Set{}, fmt.Errorf("segment %q: %w", name, err)
		}
		if e.def.Static {
			r.storeFrozen(name, e, s, false)
		}
	}
	return s, nil
}

// membersSet maps frozen keys to the view's IDs; keys no longer live are
// skipped.
func membersSet(v *bitmapindex.View, keys []string) bitmapindex.Set {
	bm := roaring.New()
	for _, k := range keys {
		if id, ok := v.ID(k); ok {
			bm.Add(id)
		}
	}
	return v.Wrap(bm)
}

// storeFrozen records the members of a static segment. When replace is
// false it only freezes an entry that is still unfrozen and unchanged.
func (r *Registry) storeFrozen(name string, e *regEntry, s bitmapindex.Set, replace bool) {
	keys := []string{}
	for k := range s.Keys() {
		keys = append(keys, k)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.load()
	cur, ok := st.defs[name]
	if !ok || (!replace && (cur != e || cur.isFrozen())) || (replace && cur.rule != e.rule) {
		return
	}
	ne := &regEntry{def: cur.def, rule: cur.rule, members: keys, frozen: make(map[string]struct{}, len(keys))}
	for _, k := range keys {
		ne.frozen[k] = struct{}{}
	}
	next := &regState{gen: st.gen, defs: make(map[string]*regEntry, len(st.defs))}
	for k, v := range st.defs {
		next.defs[k] = v
	}
	next.defs[name] = ne
	if replace {
		next.gen++
		r.publish(next)
		return
	}
	// Same results as before: keep the generation and the cache.
	r.state.Store(next)
}

// Freeze (re)computes the members of a static segment on v at now and
// freezes them, replacing any frozen before.
func (r *Registry) Freeze(ctx context.Context, name string, v *bitmapindex.View, now time.Time) error {
	if v == nil {
		return errors.New("segment: nil view")
	}
	st := r.load()
	e, ok := st.defs[name]
	if !ok {
		return fmt.Errorf("segment: freeze %q: %w", name, ErrNotFound)
	}
	if !e.def.Static {
		return fmt.Errorf("segment: freeze %q: not a static segment", name)
	}
	c := &evalCache{v: v, today: int64(v.Zone().DayOf(now)), gen: st.gen, sets: map[string]bitmapindex.Set{}}
	refs := func(ctx context.Context, ref string, v *bitmapindex.View, now time.Time) (bitmapindex.Set, error) {
		return r.evalIn(ctx, st, c, ref, v, now, 1)
	}
	s, err := e.rule.evalWith(ctx, v, now, refs)
	if err != nil {
		return fmt.Errorf("segment %q: %w", name, err)
	}
	r.storeFrozen(name, e, s, true)
	return nil
}

// EvalAll evaluates every segment. With GOMAXPROCS above 1 it runs up to
// that many evaluations at once, each segment once (a segment referenced by
// several is evaluated by one goroutine while the others wait for it); the
// result is the same as evaluating them one by one in dependency order.
// The first error stops the others.
func (r *Registry) EvalAll(ctx context.Context, v *bitmapindex.View, now time.Time) (map[string]bitmapindex.Set, error) {
	if v == nil {
		return nil, errors.New("segment: nil view")
	}
	st := r.load()
	order := topoOrder(st.defs)
	c := r.cacheFor(v, int64(v.Zone().DayOf(now)), st.gen)
	sets := make([]bitmapindex.Set, len(order))
	workers := min(runtime.GOMAXPROCS(0), len(order))
	if workers <= 1 {
		for i, name := range order {
			s, err := r.evalIn(ctx, st, c, name, v, now, 0)
			if err != nil {
				return nil, err
			}
			sets[i] = s
		}
	} else {
		ctx, cancel := context.WithCancel(context.WithValue(ctx, noSplitKey{}, true))
		defer cancel()
		var (
			next     atomic.Int64
			wg       sync.WaitGroup
			errOnce  sync.Once
			firstErr error
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(order) || ctx.Err() != nil {
						return
					}
					s, err := r.evalIn(ctx, st, c, order[i], v, now, 0)
					if err != nil {
						errOnce.Do(func() { firstErr = err; cancel() })
						return
					}
					sets[i] = s
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	out := make(map[string]bitmapindex.Set, len(order))
	for i, name := range order {
		out[name] = sets[i]
	}
	return out, nil
}

// Match reports whether the profile is a member of the named segment at
// now. For a static segment it is membership of p.Key in the frozen
// members (an error wrapping ErrNotFrozen before the first freeze).
//
// Each segment is evaluated at most once per call (references shared by
// several segments are remembered), and the rule nodes evaluated in all are
// bounded by Limits.MaxMatchWork (an error wrapping ErrMatchWork).
func (r *Registry) Match(name string, p bitmapindex.Profile, now time.Time) (bool, error) {
	return r.matchIn(r.load(), name, p, now, 0, newMatchMemo(r.limits())) // match.go
}

func (r *Registry) matchIn(st *regState, name string, p bitmapindex.Profile, now time.Time, depth int, memo *matchMemo) (bool, error) {
	if res, ok := memo.done[name]; ok {
		return res.ok, res.err
	}
	ok, err := r.matchOnce(st, name, p, now, depth, memo)
	memo.done[name] = matchResult{ok, err}
	return ok, err
}

func (r *Registry) matchOnce(st *regState, name string, p bitmapindex.Profile, now time.Time, depth int, memo *matchMemo) (bool, error) {
	e, ok := st.defs[name]
	if !ok {
		return false, fmt.Errorf("segment: %q: %w", name, ErrNotFound)
	}
	if depth > r.limits().MaxRefDepth {
		return false, fmt.Errorf("segment: %q: references nested deeper than %d", name, r.limits().MaxRefDepth)
	}
	if e.def.Static {
		if !e.isFrozen() {
			return false, fmt.Errorf("segment: %q: %w", name, ErrNotFrozen)
		}
		_, in := e.frozen[p.Key]
		return in, nil
	}
	if err := memo.spend(name, e.rule); err != nil {
		return false, err
	}
	return e.rule.matchWith(p, now, func(ref string, p bitmapindex.Profile, now time.Time) (bool, error) {
		return r.matchIn(st, ref, p, now, depth+1, memo)
	})
}

// Point is one evaluation of a segment: a view and the time it is
// evaluated at. It is a plain value.
type Point struct {
	View *bitmapindex.View
	Now  time.Time
}

// Diff evaluates a segment at two points and returns who entered, who left
// and who stayed between them, matched by customer key (see
// [bitmapindex.Diff]): the points may be different views of an index.
func (r *Registry) Diff(ctx context.Context, name string, before, after Point) (bitmapindex.Changes, error) {
	a, err := r.Eval(ctx, name, before.View, before.Now)
	if err != nil {
		return bitmapindex.Changes{}, err
	}
	b, err := r.Eval(ctx, name, after.View, after.Now)
	if err != nil {
		return bitmapindex.Changes{}, err
	}
	return bitmapindex.Diff(a, b)
}

// ---- JSON ---------------------------------------------------------------------------

type registryJSON struct {
	Version  int              `json:"version"`
	Segments []definitionJSON `json:"segments"`
}

// definitionJSON keeps "frozen with no members" ("members": []) apart from
// "not frozen yet" (no members field).
type definitionJSON struct {
	Name        string    `json:"name"`
	Rule        string    `json:"rule"`
	Description string    `json:"description,omitempty"`
	Static      bool      `json:"static,omitempty"`
	Members     *[]string `json:"members,omitempty"`
}

// MarshalJSON encodes every definition (with the frozen members of static
// segments) in dependency order:
//
//	{"version":1,"segments":[{"name":"vip","rule":"has(\"vip\")"}, …]}
func (r *Registry) MarshalJSON() ([]byte, error) {
	st := r.load()
	out := registryJSON{Version: 1, Segments: []definitionJSON{}}
	for _, n := range topoOrder(st.defs) {
		d := st.defs[n].definition()
		dj := definitionJSON{Name: d.Name, Rule: d.Rule, Description: d.Description, Static: d.Static}
		if d.Members != nil {
			dj.Members = &d.Members
		}
		out.Segments = append(out.Segments, dj)
	}
	return json.Marshal(out)
}

// UnmarshalJSON replaces the registry's definitions with those encoded by
// MarshalJSON, checked as by DefineAll; on error the registry is unchanged.
func (r *Registry) UnmarshalJSON(data []byte) error {
	var in registryJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("segment: decode registry: %w", err)
	}
	if in.Version != 1 {
		return fmt.Errorf("segment: decode registry: unsupported version %d", in.Version)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	defs := make([]Definition, len(in.Segments))
	for i, dj := range in.Segments {
		defs[i] = Definition{Name: dj.Name, Rule: dj.Rule, Description: dj.Description, Static: dj.Static}
		if dj.Members != nil {
			defs[i].Members = *dj.Members
			if defs[i].Members == nil {
				defs[i].Members = []string{}
			}
		}
	}
	st, err := r.build(&regState{gen: r.load().gen, defs: map[string]*regEntry{}}, defs)
	if err != nil {
		return err
	}
	r.publish(st)
	return nil
}
