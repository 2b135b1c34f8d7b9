// Package segment is segkit's rule language: it compiles a segment rule
// once and evaluates it two ways that always agree — over a whole
// bitmapindex.View as set algebra on bitmaps ([Rule.Eval], [Rule.Count]),
// and against one customer's profile ([Rule.Match]) — and keeps named
// segments that reference each other in a [Registry].
//
//	rule := segment.MustCompile(`has("undergrad") && firstWithin("trial_class", "7d") && !did("purchase")`)
//	members, err := rule.Eval(ctx, index.View(), time.Now())
//	n, err := rule.Count(ctx, index.View(), now)
//	ok, err := rule.Match(profile, now)
//	fmt.Print(rule.Explain(ctx, view, now)) // the plan with each node's member count
//
// # The language
//
// Rules use expr's syntax (github.com/expr-lang/expr): && or and, || or or,
// ! or not, parentheses, comparisons, in, integer ranges a..b, string and
// list literals, arithmetic on constants (folded at compile time). A rule is
// parsed with expr's parser and compiled by this package into a plan of set
// operations; anything the plan cannot express (field access, ternaries,
// expr's builtins such as len or count, arithmetic on attributes) is a
// compile-time error at the node's position.
//
//	has("t")  hasAny("a", "b")  hasAll(…)  hasNone(…)   tags (also hasAny(["a", "b"]))
//	x == v  x != v  x < v  x <= v  x > v  x >= v        int, decimal, time, category, bool attributes
//	x in ["a", "b"]  x not in […]  x in 26..30          lists and integer ranges
//	between(x, lo, hi)                                   inclusive range
//	"math" in interests                                  a set attribute holds a value
//	city startsWith "Bei"  endsWith  contains  matches   over the attribute's value dictionary
//	exists(x)  missing(x)  x == nil  x != nil            presence
//	daysSince(t) > 30  within(t, "7d")  t < date("2025-01-01")
//	did("e")  didWithin("e", "30d")  countWithin("e", "90d") >= 3  firstWithin("e", "7d")
//	inSegment("name")                                    another named segment
//	vip  !vip                                            a bool attribute: vip == true
//
// Comparisons may have the constant on either side (3 <= countWithin(…))
// and may be chained (26 <= age <= 30). The string operators accept not
// (city not startsWith "B"). matches takes Go regexp syntax, checked at
// compile time.
//
// # Semantics
//
// Missing values: a positive predicate on a customer without a value is
// false. Negations — !p, !=, not in, hasNone, missing — are complements over
// all live customers, so they include customers without a value: write
// exists(x) && x != v to exclude them.
//
// Time is measured in whole days in the view's Location (the profile's
// Location for Match) relative to the now given to the evaluation; the
// library never reads the clock. daysSince(t) is day(now) − day(t);
// within(t, "Nd") holds when 0 ≤ daysSince(t) < N. date("YYYY-MM-DD") is a
// calendar day, and a time attribute compared with it compares calendar
// days: t <= date("2025-01-31") includes all of 31 January, t ==
// date("2025-01-31") is any time that day. date("2025-01-31T08:00:00Z")
// (RFC 3339) is an instant, compared at second precision. Durations are
// whole days: "7d", "2w" (14 days), "3mo" (90 days: a month is 30 days),
// "1y" (365 days).
//
// Events: didWithin(e, "Nd") holds when e happened on one of the N days
// ending today (today included); countWithin(e, "Nd") is the number of
// occurrences in that window (two on one day count 2) and is defined for
// every customer (0 without any); firstWithin(e, "Nd") holds when the
// customer's first-ever e falls in the window; did(e) holds when e happened
// on any day up to today.
//
// Integer comparisons normalise fractional constants (age > 25.5 is age >=
// 26); decimal attributes compare exactly at their scale (see
// bitmapindex.Holds, which Match calls for every scalar comparison).
//
// Types are checked against a schema given with [WithSchema] at compile
// time (unknown attributes, city > 3), otherwise against the view (or the
// profile) at evaluation; either way every problem is reported at once as an
// [ErrorList] of [*Error] values with line, column and a caret snippet. An
// unknown tag is simply an empty set; [Rule.Warnings] reports it, with
// unknown events and category values no one holds.
//
// inSegment references resolve through the [Registry] a rule is defined in,
// or, for a rule evaluated on its own, through the [Resolver] given with
// [WithResolver] (a *Registry is one); without either, evaluation fails
// with an error wrapping [ErrNoResolver] that names the reference.
//
// [Limits] bound the size of a rule (its length in bytes, checked before
// anything else, nodes, nesting depth, list items, regex programs), of
// reference chains and of the work of one [Registry.Match], which evaluates
// each referenced segment once. Evaluation honours its context's
// cancellation inside long operations (bitmapindex.View.WithContext): a
// done context gives its error, never an incomplete result.
//
// Cores: a rule combining large sets the index keeps whole (tags, category
// and set values, presence) is evaluated and counted on up to GOMAXPROCS
// goroutines, stripe by stripe of the index's bitmaps
// (bitmapindex.Set.Stripes), once its operands hold a few MiB (a 5-tag rule
// at 10M customers); [Registry.EvalAll] runs segments on up to GOMAXPROCS
// goroutines and each of them whole. Any number of goroutines may evaluate
// rules on one view at once.
//
// Live segments: a [Watcher] keeps every segment of a Registry current as
// the index is written ([Watcher.Sync]) and as time passes
// ([Watcher.Advance]), and emits a [Change] per customer entering or
// leaving a segment to its [Subscription]s. [OpenWatcher] makes it durable
// next to a durable index: changes are logged before delivery, a restarted
// host resumes with [Watcher.SubscribeFrom] its acknowledged cursor, and
// [Watcher.History] answers who entered or left a segment on which days and
// its size by day, from a file in the Watcher's directory (24 bytes of
// memory per segment and day). Sync costs the distinct conditions the
// written fields reach per touched customer, not the index: the segments'
// plans run on bitsets over the touched customers.
package segment
