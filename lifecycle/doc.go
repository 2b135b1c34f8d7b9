// Package lifecycle models where customers are in their lifecycle:
// explainable lifecycle stages, the transitions between two dates, and the
// AARRR funnel. The purchase models (BG/NBD and its kin, P(alive), lifetime
// value) are in package clv; the Model rule family uses a clv model's
// P(alive) through the small [AliveModel] interface.
//
// Where to start: [NewHistories] groups transactions into purchase days,
// [Histories.Stages] assigns every customer a stage as of a date, and
// [Update] writes the stages (and clv predictions) into a bitmap index.
//
// The package is pure: it computes from plain Go values (transactions,
// events) and returns plain Go values. [Apply] writes results into a bitmap
// index as the attributes lifecycle_stage, p_alive, expected_purchases and
// clv, so that segment rules can select on them.
//
// # Stages
//
// [NewHistories] groups transactions into each customer's purchase days;
// [Histories.Stages] assigns every customer a [Stage] as of a date, with no
// look-ahead, and records the [Reason] (the rule that fired and the values
// it compared). The rule families ([Config].Family) are fixed day windows,
// the customer's own purchase rhythm (with a population fallback for
// customers with too few purchases), and a purchase model's P(alive).
// [Histories.Transitions] compares two dates: a stage-to-stage matrix and
// the customers who moved.
//
//	h, _ := lifecycle.NewHistories(slices.Values(txns), nil, nil)
//	snap, _ := h.Stages(time.Date(2025, 6, 30, 18, 0, 0, 0, time.UTC), lifecycle.DefaultConfig())
//	for _, a := range snap.Assignments {
//		fmt.Println(a.Customer, a.Stage, a.Reason) // c42 at_risk no purchase for 70 days (> 60 days = 2 × typical gap 30 days)
//	}
//
// # Funnel
//
// [Funnel] maps events to the AARRR steps (acquisition, activation,
// retention, revenue, referral) and counts each signup cohort's customers
// per step with step conversions.
//
// # Errors and concurrency
//
// Invalid input is reported as errors naming the transaction or event
// ([*segkit.TransactionError], [*EventError]). Nothing panics on user input,
// and nothing reads the wall clock: as-of dates are parameters. Configs,
// snapshots and results are plain values, safe for concurrent use once
// built.
package lifecycle
