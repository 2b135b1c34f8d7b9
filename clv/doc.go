// Package clv holds the probabilistic models of the customer-base
// literature ("buy till you die"): BG/NBD, MBG/NBD and Pareto/NBD for
// purchase counts, Gamma-Gamma for spend, and what they predict —
// probability alive, expected purchases and customer lifetime value.
//
// Where to start: [Summarize] turns transactions into one [Summary] per
// customer (x, t_x, T and the mean repeat-purchase value), [FitBGNBD]
// estimates a model from them, and [Predict] and [CLVAll] give every
// customer's P(alive), expected purchases and lifetime value.
//
//	tab, _ := clv.Summarize(slices.Values(txns), clv.SummaryConfig{CalibrationEnd: end, Unit: clv.Weeks})
//	m, rep, err := clv.FitBGNBD(tab.Customers, clv.FitConfig{})
//	preds, _ := clv.Predict(m, tab.Customers, 52) // P(alive), E[purchases in the next 52 weeks]
//
// # Summaries
//
// [Summarize] reduces transactions to summaries in days or weeks up to a
// calibration end, with optional holdout counts; [ReadSummaryCSV] reads
// summaries a host already has, and [ReadCDNOW] the CDNOW sample the
// published estimates were made on.
//
// # Fits
//
// [FitBGNBD], [FitMBGNBD], [FitParetoNBD] and [FitGammaGamma] estimate the
// models by maximum likelihood with gonum's optimiser in log-parameter
// space (optionally with an L2 penalty) and report the fit ([FitReport]). On
// the CDNOW data they reproduce the published estimates of Fader, Hardie &
// Lee (2005) and Fader & Hardie (2013).
//
// # Predictions and lifetime value
//
// Every purchase model is a [PurchaseModel]: P(alive), conditional and
// unconditional expected purchases, purchase-count probabilities. [Predict]
// and [PredictInto] evaluate whole populations; [CLV] and [CLVAll] combine a
// purchase model with a [GammaGamma] spend model into a discounted lifetime
// value. Package lifecycle uses a model's P(alive) as one of its stage
// rules, and writes predictions into a bitmap index (lifecycle.Apply).
//
// # Errors and concurrency
//
// Invalid input is reported as errors naming the row or transaction
// ([*DataError], [*segkit.TransactionError], [*ParseError]); fits that fail
// return a [*FitError] with their diagnostics. Nothing panics on user input,
// and nothing reads the wall clock: calibration ends are parameters. Models,
// configs, summaries and results are plain values, safe for concurrent use
// once built.
package clv
