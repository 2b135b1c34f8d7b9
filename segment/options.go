package segment

import (
	"context"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// Limits bound what one rule may contain, so that rules from untrusted
// sources (a marketer's form, an API) cannot exhaust memory or stack. A
// field that is zero or negative means its default (see DefaultLimits).
// Limits is a plain value.
type Limits struct {
	// MaxNodes is the number of syntax nodes in a rule, not counting the
	// items of list literals and of hasAny/hasAll/hasNone (those count
	// against MaxListItems). Default 256.
	MaxNodes int
	// MaxDepth is the nesting depth of a rule (and of its brackets).
	// Default 32.
	MaxDepth int
	// MaxListItems is the number of items in one list literal or one
	// hasAny/hasAll/hasNone call. Default 1,000.
	MaxListItems int
	// MaxRefDepth is the length of the longest chain of inSegment references
	// a Registry accepts (a → b → c is 2). Default 8.
	MaxRefDepth int
	// MaxRuleBytes is the length of a rule's text, checked before anything
	// else. Default 64 KiB.
	MaxRuleBytes int
	// MaxRegexInsts bounds the program a matches pattern compiles to
	// (instructions, repetitions expanded). Default 10,000.
	MaxRegexInsts int
	// MaxMatchWork bounds the work of one Registry.Match: the number of
	// rule nodes evaluated over the segment and everything it references
	// (each referenced segment once). Default 100,000.
	MaxMatchWork int
}

// DefaultLimits returns the default limits: 256 nodes, depth 32, 1,000 list
// items, reference depth 8, rules of 64 KiB, regex programs of 10,000
// instructions, Match work of 100,000 nodes.
func DefaultLimits() Limits {
	return Limits{MaxNodes: 256, MaxDepth: 32, MaxListItems: 1000, MaxRefDepth: 8,
		MaxRuleBytes: 64 << 10, MaxRegexInsts: 10_000, MaxMatchWork: 100_000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxListItems <= 0 {
		l.MaxListItems = d.MaxListItems
	}
	if l.MaxRefDepth <= 0 {
		l.MaxRefDepth = d.MaxRefDepth
	}
	if l.MaxRuleBytes <= 0 {
		l.MaxRuleBytes = d.MaxRuleBytes
	}
	if l.MaxRegexInsts <= 0 {
		l.MaxRegexInsts = d.MaxRegexInsts
	}
	if l.MaxMatchWork <= 0 {
		l.MaxMatchWork = d.MaxMatchWork
	}
	return l
}

// Resolver resolves inSegment references of a Rule evaluated on its own
// (outside a Registry). A *Registry is a Resolver. Implementations must be
// safe for concurrent use when the Rule is used concurrently.
type Resolver interface {
	// Eval returns the members of the named segment in v at now.
	Eval(ctx context.Context, name string, v *bitmapindex.View, now time.Time) (bitmapindex.Set, error)
	// Match reports whether the profile is a member of the named segment at now.
	Match(name string, p bitmapindex.Profile, now time.Time) (bool, error)
}

// Option configures Compile (and NewRegistry, which passes its options to
// every rule it compiles). Options are applied once, at compile time; the
// values they carry (a schema slice is copied) are not modified.
type Option func(*options)

type options struct {
	schema     map[string]bitmapindex.Attribute // nil: no schema, types checked at evaluation
	limits     Limits
	resolver   Resolver
	eventProps map[string][]string // nil: no event schema (events.go)
}

func buildOptions(opts []Option) options {
	o := options{limits: DefaultLimits()}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	o.limits = o.limits.withDefaults()
	return o
}

// WithSchema declares the attributes rules may use, so that unknown
// attributes and comparisons of the wrong kind (city > 3) are compile-time
// errors. Pass View.Schema() or Index.Schema(). Without a schema, the same
// checks happen at evaluation, against the view (or the profile).
func WithSchema(attrs []bitmapindex.Attribute) Option {
	m := make(map[string]bitmapindex.Attribute, len(attrs))
	for _, a := range attrs {
		m[a.Name] = a
	}
	return func(o *options) { o.schema = m }
}

// WithLimits replaces the default limits; zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(o *options) { o.limits = l }
}

// WithResolver sets how inSegment references resolve when the Rule is
// evaluated with Rule.Eval, Count, Explain or Match. Without it, evaluating a
// rule that uses inSegment fails with an error wrapping ErrNoResolver that
// names the reference. Rules defined in a Registry always resolve through
// that Registry.
func WithResolver(r Resolver) Option {
	return func(o *options) { o.resolver = r }
}
