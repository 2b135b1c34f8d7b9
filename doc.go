// Package segkit holds the shared vocabulary of the segkit customer
// segmentation library: the [Transaction] and [Event] records that the models
// and the index consume, and [Day], the whole-day calendar arithmetic that
// every time window in segkit is measured in.
//
// The work is done in the sub-packages:
//
//   - bitmapindex: customers' tags, typed attributes and events in compressed bitmaps;
//   - segment: the rule language, evaluated over an index or one profile, and the segment registry;
//   - rfm, lifecycle, tier, persona: the classic CRM customer models;
//   - campaign: audience splits, overlaps and conversion measurement;
//   - synth: seeded synthetic populations for examples, tests and benchmarks.
//
// Time windows are never decided by the wall clock: every function that needs
// "now" takes it as an argument.
package segkit
