// Package segkit holds the shared vocabulary of the segkit customer
// segmentation library: the [Transaction] and [Event] records that the models
// and the index consume, [Day], the whole days every time window in segkit is
// measured in, and [Zone], the one implementation of day arithmetic (the day
// of an instant, the first instant of a day) that the index, the rule
// evaluator and every model count days with.
//
// Where to start: build an index with bitmapindex.New, fill it with a Batch,
// and evaluate rules compiled with segment.Compile on its View; the models
// (rfm, lifecycle, tier, persona) write their results into the same index.
//
// The work is done in the sub-packages:
//
//   - bitmapindex: customers' tags, typed attributes and events in compressed bitmaps;
//   - segment: the rule language, evaluated over an index or one profile, and the segment registry;
//   - rfm, lifecycle, tier, persona: the classic CRM customer models;
//   - clv: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma fits, P(alive) and lifetime value;
//   - credit: credit scorecards with reasons and band restrictions, WoE/IV and logistic fits;
//   - campaign: audience splits, overlaps and conversion measurement;
//   - synth: seeded synthetic populations for examples, tests and benchmarks.
//
// [Period] names a range of days, such as a promotion, that models leave out
// so that they describe normal behaviour; [Exclusion] filters records by
// periods and counts what each removed.
//
// Time windows are never decided by the wall clock: every function that needs
// "now" takes it as an argument.
package segkit
