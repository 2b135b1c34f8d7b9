package segment

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// Rule is a compiled segment rule. It is immutable and safe for concurrent
// use by multiple goroutines: compile once, evaluate many times, on any
// number of views and profiles.
type Rule struct {
	src     string
	root    *pnode
	nnodes  int
	opts    options
	refs    []namePos
	tags    []namePos
	events  []namePos
	values  []valuePos
	attrs   []namePos
	scs     []*scalar
	uses    []attrUse
	evProps []evProp // properties and values named in filters (events.go)
	// attrNames are the distinct attributes the rule reads; Match looks
	// each up once per call.
	attrNames []string
	// allResolved: every comparison was resolved against the schema at
	// compile time.
	allResolved bool
}

// indexAttributes numbers the distinct attributes and points every
// comparison, use and attribute node at its number.
func (r *Rule) indexAttributes() {
	idx := map[string]int{}
	get := func(name string) int {
		i, ok := idx[name]
		if !ok {
			i = len(r.attrNames)
			idx[name] = i
			r.attrNames = append(r.attrNames, name)
		}
		return i
	}
	r.allResolved = true
	for _, sc := range r.scs {
		sc.ai = get(sc.attr)
		r.allResolved = r.allResolved && sc.resolvedOK
	}
	for i := range r.uses {
		r.uses[i].ai = get(r.uses[i].name)
	}
	var walk func(n *pnode)
	walk = func(n *pnode) {
		switch n.kind {
		case nSetHas, nStrMatch, nPresent, nIn, nScalar:
			n.ai = get(n.name)
		}
		for _, k := range n.kids {
			walk(k)
		}
		for _, k := range n.neg {
			walk(k)
		}
	}
	walk(r.root)
}

// Compile parses and checks a rule and builds its evaluation plan. On
// failure the error is an ErrorList holding every problem found, each with
// its line, column and a caret snippet.
func Compile(src string, opts ...Option) (*Rule, error) {
	o := buildOptions(opts)
	return compileSafe(src, &o)
}

// compileSafe turns a panic in the compiler (a bug) into an error: no
// input may crash the host.
func compileSafe(src string, o *options) (r *Rule, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, ErrorList{&Error{Line: 1, Column: 1, Msg: fmt.Sprintf("internal error: %v", p), Source: src}}
		}
	}()
	return compile(src, o)
}

// MustCompile is like Compile but panics if the rule does not compile. It
// simplifies the initialisation of package-level rules.
func MustCompile(src string, opts ...Option) *Rule {
	r, err := Compile(src, opts...)
	if err != nil {
		panic(fmt.Sprintf("segment: MustCompile(%q): %v", src, err))
	}
	return r
}

// Source returns the rule text as given to Compile.
func (r *Rule) Source() string { return r.src }

// String returns the rule text.
func (r *Rule) String() string { return r.src }

// References returns the names of the segments the rule references through
// inSegment, sorted and without duplicates.
func (r *Rule) References() []string {
	out := make([]string, len(r.refs))
	for i, ref := range r.refs {
		out[i] = ref.name
	}
	return out
}

// Warnings reports what in the rule has no counterpart in v: tags no
// customer has (an unknown tag is an empty set, often a typo), event names
// never recorded, category or set values no customer holds, and attributes
// the view does not know (evaluating the rule on v will fail). Warnings are
// ordered by position.
func (r *Rule) Warnings(v *bitmapindex.View) []Warning {
	if v == nil {
		return nil
	}
	p := positions{r.src}
	var out []Warning
	add := func(pos int, format string, args ...any) {
		l, c := p.at(pos)
		out = append(out, Warning{Line: l, Column: c, Msg: fmt.Sprintf(format, args...)})
	}
	for _, t := range r.tags {
		if !v.HasTag(t.name) {
			add(t.pos, "unknown tag %q: no customer has it", t.name)
		}
	}
	events := v.Events()
	for _, e := range r.events {
		if _, ok := slices.BinarySearch(events, e.name); !ok {
			add(e.pos, "unknown event %q: never recorded", e.name)
		}
	}
	r.eventWarnings(v, add)
	unknown := map[string]bool{}
	for _, a := range r.attrs {
		if _, ok := v.Attribute(a.name); !ok && !unknown[a.name] {
			unknown[a.name] = true
			add(a.pos, "unknown attribute %q: evaluation will fail", a.name)
		}
	}
	dicts := map[string][]string{}
	for _, val := range r.values {
		def, ok := v.Attribute(val.attr)
		if !ok || (def.Kind != bitmapindex.KindCategory && def.Kind != bitmapindex.KindSet) {
			continue
		}
		d, seen := dicts[val.attr]
		if !seen {
			d, _ = v.Values(val.attr)
			dicts[val.attr] = d
		}
		if _, ok := slices.BinarySearch(d, val.value); !ok {
			add(val.pos, "no customer has %s %q", val.attr, val.value)
		}
	}
	slices.SortStableFunc(out, func(a, b Warning) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return out
}

// Eval returns the customers of v that satisfy the rule at now. Time is
// measured in whole days in v's Location: today is the day of now there.
// Evaluation stops with ctx's error when ctx is cancelled. A rule compiled
// without a schema is type-checked against v first; problems come back as
// an ErrorList. inSegment references resolve through WithResolver.
func (r *Rule) Eval(ctx context.Context, v *bitmapindex.View, now time.Time) (bitmapindex.Set, error) {
	return r.evalWith(ctx, v, now, r.resolverRefs())
}

// Count returns the number of customers Eval would return, without
// materialising the member set where it can: a top-level intersection or
// union of two operands, or a difference, is counted with roaring's
// cardinality-only operations.
func (r *Rule) Count(ctx context.Context, v *bitmapindex.View, now time.Time) (int, error) {
	return r.countWith(ctx, v, now, r.resolverRefs())
}

// Explain evaluates the rule on v at now and renders its plan as a tree,
// each node with its member count, for debugging a segment that is
// unexpectedly small or large.
func (r *Rule) Explain(ctx context.Context, v *bitmapindex.View, now time.Time) (string, error) {
	return r.explainWith(ctx, v, now, r.resolverRefs())
}

// Match reports whether one customer satisfies the rule at now, with the
// same semantics as Eval: scalar comparisons go through bitmapindex.Holds,
// time through whole days in p.Location (UTC when nil). p.Events must be in
// ascending order per event, as View.Profile returns them. Attribute kinds
// come from p.Schema, else the rule's schema, else the stored Value (decimal
// then has scale 2, as an index infers it).
func (r *Rule) Match(p bitmapindex.Profile, now time.Time) (bool, error) {
	var match refMatcher
	if r.opts.resolver != nil {
		match = r.opts.resolver.Match
	}
	return r.matchWith(p, now, match)
}

type refEvaluator func(ctx context.Context, name string, v *bitmapindex.View, now time.Time) (bitmapindex.Set, error)

type refMatcher func(name string, p bitmapindex.Profile, now time.Time) (bool, error)

func (r *Rule) resolverRefs() refEvaluator {
	if r.opts.resolver == nil {
		return nil
	}
	return r.opts.resolver.Eval
}
