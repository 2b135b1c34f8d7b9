// Package rfm computes the classic purchase-based customer models: RFM
// (recency, frequency, monetary) metrics and scores, named segments, the
// value (spend) model and the loyalty (frequency, purchase cycle) model.
//
// Where to start: [Analyze] scores the customers of a transaction stream as
// of now, [Preset] gives a segment scheme (rfm10, cn8, quadrant)
// whose [Scheme.Configure] sets the scoring it is written for,
// [Result.Segment] names each customer's segment, and [Update] writes it all
// into a bitmap index.
//
// The models are pure: [Analyze] reads a stream of [segkit.Transaction]
// values with an explicit analysis date and time zone (it never reads the
// clock) and returns a [Result] of plain Go values. An adapter ([Update],
// [Apply]) writes the outcome into a bitmapindex as attributes, so that
// segment rules select on it like on any other attribute:
//
//	res, err := rfm.Analyze(slices.Values(txns), now, rfm.DefaultConfig())
//	if err != nil { … }
//	scheme, _ := rfm.Preset("rfm10")
//	segs, _ := res.Segment(scheme)        // Champions, Loyal Customers, …, Lost
//	segs.Summary().WriteText(os.Stdout)  // customers, orders, revenue, AOV, shares
//	err = rfm.Update(ix, rfm.Output{Result: res, Segments: segs}, rfm.DefaultIndexConfig())
//
// # Metrics
//
// Per customer, over the transactions dated on or before the analysis day
// (later ones are left out and counted in Result.Future): recency =
// day(now) − day(last purchase) in whole days of Config.Location, frequency =
// purchase transactions (or distinct purchase days), monetary = net revenue
// (or its mean per transaction), first purchase and tenure. Refunds
// (negative amounts) are netted into revenue by default, or rejected.
//
// # Scores
//
// Each dimension scores 1..n (n = 5 by default, at most 9), higher is better,
// so a recent purchase scores a high R. [Binning] selects the rule; every
// rule records its breakpoints and bin counts in a [Cuts]:
//
//   - [Quantile] (default): breakpoints at the type-7 quantiles k/n.
//   - [RCompat]: the R package rfm 0.3.0 rule (quantile + 1, bins
//     [b_{k−1}, b_k)), which reproduces R's scores exactly.
//   - [Rank]: equal-count bins, ties broken by customer key.
//   - [Explicit]: breakpoints given per dimension.
//   - [SplitMean], [SplitMedian]: two bins split at the mean or median, for
//     the cn8 and quadrant schemes.
//
// Ties: with every rule but Rank, equal values always share a score, so on
// skewed data (most customers buying once) some scores can be empty; the
// Counts in [Cuts] show it. Rank never leaves a score empty when there are
// at least n customers, and instead splits equal values by key.
//
// # Segments
//
// Segment schemes are data ([SchemeDef]): ordered rules over score ranges,
// patterns ("5[45]*") or explicit cells, first match winning, with a
// catch-all. Load your own with [LoadScheme] (JSON) or [LoadCellMap] (CSV);
// [NewScheme] rejects a rule that can never match. Built-in presets
// ([Preset]): rfm10 (the R rfm documentation table), cn8 (重要价值客户 …
// 一般挽留客户 with English aliases) and quadrant (frequency × average order
// value). The 11-segment cell map (Champions … Lost) is published as a CSV
// cell map: load it with [LoadCellMap].
//
// # The A–E groups
//
// [Result.AEGroups] puts buyers in the four quadrants of frequency × average
// order value (B 低频低客单 … E 高频高客单) and known customers without a
// purchase in A (潜在客户, prospects); [TransitionReport] compares two days
// with the first day's thresholds, as a table and a heatmap.
//
// # Excluded periods
//
// Config.Exclude leaves out the transactions of named periods such as
// 双十一, so that scores describe normal behaviour; Result.Excluded says how
// many each period removed.
//
// # Other models
//
// [Result.Value] cuts customers into spend tiers by quantile or by ABC
// revenue share; [Result.Loyalty] gives frequency tiers, each customer's
// purchase cycle (mean and median gap) and expected next purchase.
// [Assignment.Summary] and [Result.Grid] give the per-segment table and the
// R × F heatmap a marketer reads.
package rfm
