// Package campaign acts on segments: it splits an audience into A/B/n groups
// and a holdout, checks segments for size and overlap, and measures a
// campaign's conversions per group against the control group with
// confidence intervals and significance tests. (Who entered and left a
// segment between two evaluations is bitmapindex.Diff.)
//
// Where to start: [NewSplitter] and [Splitter.Split] divide a segment's
// members into groups, [Overlap] checks segments before a send, and
// [Analysis.Run] reads the outcomes.
//
// # Splitting
//
// A [Splitter] assigns each customer to a group from its key and a salt
// alone, so the assignment is deterministic, needs no stored state, and
// stays put when the segment grows or shrinks or the index is rebuilt:
//
//	sp, err := campaign.NewSplitter("spring-2026",
//		campaign.Group{Name: "holdout", Ratio: 0.1},
//		campaign.Group{Name: "A", Ratio: 0.45},
//		campaign.Group{Name: "B", Ratio: 0.45})
//	split, err := sp.Split(view, segmentMembers) // groups as bitmapindex.Sets
//	group := sp.Assign("customer-42")           // one customer, in real time
//
// The exact formula (XXH64 of salt + ":" + key) is documented on [Splitter]
// so other systems can reproduce it. [Splitter.SplitKeys] splits plain key
// lists.
//
// # Checking segments
//
// [Overlap] computes the shared-customer counts and Jaccard indexes of named
// segments with cardinality-only bitmap intersections, and warns about
// segments smaller than [Config].MinSize or nearly identical to another
// ([Config].NearDuplicate). Who entered, left and stayed between two
// evaluations is bitmapindex.Diff, which matches customers by key across
// views.
//
// # Measuring results
//
// An [Analysis] reads one [Outcome] per exposed customer (its group,
// whether it converted, an optional value) and returns [Results]: per group
// the conversion rate with its Wilson score interval, and against the
// control the absolute lift with Newcombe's hybrid score interval, the
// relative lift with the Katz log interval, the pooled two-proportion z-test
// and its Holm-adjusted p-value; a sample ratio check when the planned ratios
// are known; and a breakdown by persona or any category attribute
// ([AttributeLabels]). [Results.WriteTo] prints a report. The statistics are
// also available on their own: [Wilson], [DiffInterval], [RatioInterval],
// [ZTest].
//
// # Planning and several metrics
//
// A [Design] gives, before sending, the sample size per group for a
// baseline rate, a minimum detectable effect, α and power with the split
// ratio of the groups (10% → 12% at α 0.05 and power 0.8: 3,841 per
// group), and [Design.DetectableEffect] the effect a given size can
// detect. An [Experiment] reads several metrics at once — rates such as
// clicks and conversions, means such as revenue per customer with Welch's
// interval — and adjusts every P-value by Holm over all metric × group
// comparisons.
//
// Nothing in the package reads the clock or global state; the exported
// types say what is safe to use concurrently.
package campaign
