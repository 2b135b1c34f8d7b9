// Package synth generates seeded, realistic synthetic customer populations
// for segkit's examples, tests and benchmarks: customers with tags and
// attributes, their events, and their transactions, drawn from known model
// parameters so that the models can be checked to recover them.
//
//	g, err := synth.New(synth.Reference(100_000)) // the DESIGN.md §6 workload
//	if err != nil { … }
//	for c := range g.Customers() { … }            // key, tags, attributes
//	for e := range g.Events() { … }               // segkit.Event: signup, login, trial_class, purchase
//	for t := range g.Transactions() { … }         // segkit.Transaction, the whole history
//
//	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
//	err = g.Load(ctx, ix, synth.DefaultLoadConfig())
//
// # The population
//
// Each customer belongs to a latent [Persona] (office workers 上班族,
// college students 大学生, young mothers 宝妈, retirees, freelancers, K-12
// parents, business owners, job seekers) that sets its age range, gender
// mix, occupations, favoured interests, the tags it tends to carry and its
// behaviour rates.
//
// Tags: Config.Tags tags (1,000 in the reference) whose popularity follows a
// Zipf law, share(rank k) = TopTagShare/k^s, with s solved so that customers
// carry MeanTags tags on average (the top tag on half of the customers, 10
// tags each: s ≈ 0.74). A persona fixes P(tag | persona) for the tags it
// drives ("undergrad" for 82% of students); the other personas carry such a
// tag with whatever probability keeps its overall share on the Zipf curve.
//
// Attributes ([Fields]): age, gender, city (Config.Cities values with Zipf
// popularity, real Chinese cities first), occupation, acquisition source,
// spend (the total of the customer's transactions, two decimals), signup_at,
// last_login_at, vip and interests (a set). Age, gender, occupation and
// source are missing with probability Config.MissingShare; interests are
// missing when a customer has none.
//
// Behaviour, all before Config.End and generated relative to it (the wall
// clock is never read): signups over Config.SignupDays with a growing rate;
// a login on the signup day and then, until the customer stops being active,
// on each day with a customer-specific probability scaled so that
// Config.DailyActive of the customers log in on an average day; trial
// classes, after which customers are likelier to buy; and purchases.
//
// Purchases follow the BG/NBD model (Fader, Hardie & Lee 2005) in days from
// each buyer's first purchase: λ ~ Gamma(r, α), p ~ Beta(a, b), Poisson
// purchases at rate λ and a dropout with probability p after each repeat
// purchase. Amounts follow the Gamma-Gamma model (Fader & Hardie 2013):
// ν ~ Gamma(q, γ) per buyer, each amount ~ Gamma(p, ν), rounded to cents.
// [Customer.Latent] exposes each customer's drawn λ, p, ν and whether it is
// still alive, for checking predictions.
//
// The reference configuration gives, at 10M customers, about 500,000 logins
// and 55,000 purchases per day over the year of events.
//
// # Streams and determinism
//
// Customer i depends only on Config (its Seed included) and i: each customer
// draws from its own math/rand/v2 PCG streams seeded from (Seed, i), so the
// output never depends on the consumer's speed or on Config.Workers, and a
// population of n customers is a prefix of every larger one. Streams are
// iter.Seq values that generate as they go (10M customers never sit in
// memory); the values they yield reuse their slices between iterations, like
// bufio.Scanner's buffers ([Customer.Clone], [Record.Clone] keep them).
// Customer keys are [Key](i): "c00000001", "c00000002", …, which sort in
// index order.
//
// # Files and indexes
//
// [WriteCustomers], [WriteEvents], [WriteTransactions] and [WriteSchema]
// write the data contract of the segkit command (JSON Lines, a schema file,
// CSV). [Generator.Load] writes a population into a bitmapindex.Index in
// committed batches.
package synth
