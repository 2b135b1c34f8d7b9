// Package persona builds personas (客户画像): virtual customers made of the
// traits that distinguish a group — "college student looking for a job",
// "young mother wanting side income", "office worker with a hobby" — and
// finds the real customers who fit them.
//
// Where to start: [ParseDefinitions] and [Compile] make a [Catalog],
// [Catalog.Assign] gives every customer of an index view its best persona,
// and [Update] writes the personas into the index.
//
// A persona is data ([Definition], loadable from JSON with
// [ParseDefinitions]): a name, a description, weighted conditions written in
// the segment rule language, a minimum score and a priority. [Compile] turns
// definitions into a [Catalog]; [Catalog.Assign] scores every customer of a
// bitmapindex view for every persona and picks each customer's best persona,
// and [Catalog.AssignProfile] does the same for one customer's profile with
// the same result:
//
//	defs, err := persona.ParseDefinitions(jsonBytes)
//	cat, err := persona.Compile(defs, persona.DefaultConfig())
//	a, err := cat.Assign(ctx, ix.View(), now)
//	students, _ := a.Members("student_jobseeker")
//	err = persona.Update(ix, persona.Output{Assignment: a}, persona.DefaultIndexConfig()) // rules can now say persona == "student_jobseeker"
//
// # Scores and ties
//
// A customer's score for a persona is the sum of the weights of the
// conditions it satisfies (weights may be negative); it qualifies when the
// score is at least the persona's MinScore. Its best persona is the
// qualifying one with the highest score; ties go to the higher Priority,
// then to the name that sorts first (byte order); [Catalog.Names] lists the
// personas in that order. A customer who qualifies for no persona is
// unassigned. Weights are exact fixed-point numbers with [Config.Decimals]
// digits after the point, so the two evaluators cannot disagree through
// floating-point rounding.
//
// # How assignment works
//
// Assign never loops over customers with rules. Each distinct rule is
// evaluated once to a bitmap; each persona's scores are accumulated by
// bit-sliced addition (a score is a stack of bitmaps, one per binary digit,
// and adding a weighted condition is a ripple-carry addition of bitmaps); the
// minimum score and the choice of the best persona are bit-sliced
// comparisons. When customer IDs are dense, as the index assigns them, the
// arithmetic runs on uncompressed 64-bit words a block of 16,384 customers at
// a time; otherwise on compressed bitmaps. An [Assignment] keeps two bitmaps
// per persona (who qualifies, whose best it is); per-customer scores (the top
// k personas of each customer) are recomputed from the condition bitmaps on
// demand ([Assignment.Top], [Assignment.Scores]).
//
// # Understanding and discovering personas
//
// [Assignment.Report] gives persona sizes and coverage, how much the
// personas' qualifying customers overlap, and the tags and attribute values
// that distinguish each persona (share in the persona against the
// population, lift). [ComputePreferences] finds each customer's strongest
// tags from behaviour (weighted by type, decayed over time, boosted when
// rare). [KMeans] discovers groups in numeric features (log-transformed RFM,
// age, …) with k-means++, deterministic for a seed, with inertia and
// silhouette ([ChooseK]) to choose k and [Clustering.Profiles] to describe
// each cluster so a person can name it — and then write it down as a
// Definition.
//
// Everything that depends on time takes "now" as a parameter; nothing reads
// the wall clock.
package persona
