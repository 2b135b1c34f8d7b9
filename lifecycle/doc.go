// Package lifecycle models where customers are in their lifecycle and what
// they are worth: explainable lifecycle stages, the AARRR funnel, and the
// probabilistic models of the customer-base literature (BG/NBD, MBG/NBD,
// Pareto/NBD, Gamma-Gamma) with probability alive, expected purchases and
// customer lifetime value.
//
// The package is pure: it computes from plain Go values (transactions,
// events, summaries) and returns plain Go values. [Apply] writes results into
// a bitmap index as the attributes lifecycle_stage, p_alive,
// expected_purchases and clv, so that segment rules can select on them.
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
//	snap, _ := h.Stages(segkit.Date(2025, 6, 30), lifecycle.DefaultConfig())
//	for _, a := range snap.Assignments {
//		fmt.Println(a.Customer, a.Stage, a.Reason) // c42 at_risk no purchase for 70 days (> 60 days = 2 × typical gap 30 days)
//	}
//
// # Models
//
// [Summarize] reduces transactions to each customer's [Summary] (x, t_x, T
// and the mean repeat-purchase value) in days or weeks up to a calibration
// end, with optional holdout counts. [FitBGNBD], [FitMBGNBD],
// [FitParetoNBD] and [FitGammaGamma] estimate the models by maximum
// likelihood with gonum's optimiser in log-parameter space (optionally with
// an L2 penalty) and report the fit ([FitReport]). On the CDNOW data they
// reproduce the published estimates of Fader, Hardie & Lee (2005) and Fader
// & Hardie (2013).
//
//	tab, _ := lifecycle.Summarize(slices.Values(txns), lifecycle.SummaryConfig{CalibrationEnd: end, Unit: lifecycle.Weeks})
//	m, rep, err := lifecycle.FitBGNBD(tab.Customers, lifecycle.FitConfig{})
//	preds, _ := lifecycle.Predict(m, tab.Customers, 52) // P(alive), E[purchases in the next 52 weeks]
//
// # Funnel
//
// [Funnel] maps events to the AARRR steps (acquisition, activation,
// retention, revenue, referral) and counts each signup cohort's customers
// per step with step conversions.
//
// # Errors and concurrency
//
// Invalid input is reported as errors naming the row or transaction
// ([*DataError], [*TransactionError], [*EventError], [*ParseError]); fits
// that fail return a [*FitError] with their diagnostics. Nothing panics on
// user input, and nothing reads the wall clock: as-of dates are parameters.
// Models, configs, summaries and results are plain values, safe for
// concurrent use once built.
package lifecycle
