// Package tier models membership tiers (会员等级), points and agent levels:
// a [Program] defined as data, an [Engine] that replays each customer's
// history into a level timeline with the reason for every change, a points
// ledger with expiry, and an adapter that writes the current level into a
// bitmap index so that segment rules can select on it.
//
// Where to start: [ParseProgram] reads a program, [Compile] makes its
// [Engine], [Engine.EvaluateAll] gives every customer's [Status] as of an
// instant (grouped into histories by [Group]), and [Update] writes the
// levels into a bitmap index; [Engine.Replay] explains one customer.
//
// # Programs
//
// A program lists levels from the base level up. Each level has entry
// criteria and optional, lower, retention criteria over named metrics —
// spend, orders, items and points from purchases and the ledger; nights,
// stays, fees and any counter the host declares from [Activity] records —
// combined with any-of and all-of, and measured over a qualification window:
// the calendar year, a rolling number of months, or the membership year from
// the join date. Policies say when levels rise (immediately, or at the end of
// the review period) and fall (never, at period end, or after a grace
// period; at most k levels per review with a soft landing); how long earned
// status is guaranteed (e.g. through the end of the following calendar
// year); lifetime status after years at a level; and manual overrides with
// an expiry. [ParseProgram] reads a program from JSON strictly and rejects
// inconsistent ones with messages naming the level and field.
//
// # Replay
//
// [Engine.Replay] replays a [History] in time order — records given out of
// order are sorted stably, so the same records always give the same
// timeline — through an explicit as-of day (the package never reads the
// clock) and returns a [Timeline]: the [Status], every decision as an
// [Entry] with its reason ("Gold since 2026-03-04: spend 12,400 ≥ 10,000
// over rolling 12 months"), and the points ledger. [Engine.Evaluate] and
// [Engine.EvaluateAll] compute statuses without the audit trail, for whole
// customer bases; [Engine.Progress] reports what a member needs for the next
// level and to keep the current one at the next review.
//
// Refunds (negative transaction amounts) whose Order matches an earlier
// purchase reverse that order: its spend, its count once fully refunded, and
// the points it earned, all dated on the order's day but known only from the
// refund on. Decisions already taken are never rewritten: a refund after a
// review changes the next review, not the past one (unless the program
// revokes unconfirmed upgrades on refunds).
//
// Criteria are "at least" thresholds (spend ≥ 10,000) or, for metrics where
// lower is better, "at most" ones (complaints ≤ 2; [AtMost]).
//
// # Growth value
//
// A program may have a growth value (成长值, [Growth]): a balance separate
// from points, earned per unit of purchase amount and per activity (check-in,
// review, referral) by its own rules, never spent, optionally decayed or reset
// when a calendar year ends, with every change in [Timeline.GrowthLog].
// Criteria name it as the metric "growth", measured as the balance on the
// evaluation day: levels by growth value (V1 … V6) as Chinese loyalty
// programs define them.
//
// # Points
//
// Purchases earn points at a base rate per unit of amount times the level's
// multiplier, plus rule bonuses; activities can earn too; point events add
// bonuses, redemptions and adjustments. Points are consumed first in, first
// out and expire by age (a fixed number of days after earning), after months
// of inactivity, or never. Refunds take back what the order earned, from its
// own remaining points first.
//
// # Index
//
// [Apply] writes each status into a bitmap index batch: the level's name as
// the category attribute "tier" and the points balance as the int attribute
// "points" ([DefaultAdapterConfig]), so that segment rules select on them
// (tier == "Gold" && points >= 1000) like on any other attribute.
//
// Usage:
//
//	prog, err := tier.ParseProgram(jsonBytes)
//	if err != nil { … }
//	eng, err := tier.Compile(prog)
//	if err != nil { … }
//	tl, err := eng.Replay(history, time.Date(2026, 12, 31, 18, 0, 0, 0, eng.Location()))
//	fmt.Println(tl.Explain())
//	for st, err := range eng.EvaluateAll(slices.Values(histories), asOf) { … }
package tier
