// Package credit is a credit (reputation, 信誉) model: a scorecard as
// data, scores with their reasons and the business restrictions of the
// score's band, and the fitting of a scorecard's points from outcomes.
//
// Start with [ParseScorecard] and [Compile], then [Model.Score]; to learn
// points from history, [Fit]; to select on scores in segment rules,
// [Update].
//
// # Scorecards
//
// A [Scorecard] lists characteristics computed from what a customer did
// and is: late payments, refunds, cancellations or complaints counted or
// summed in a window of days, days since the last such event, tenure, and
// attributes such as a verified identity. Each characteristic is divided
// into bins — numeric ranges [min, max) or lists of values — with points
// per bin and for a missing value; the score is the base plus the points of
// every characteristic's bin. Bands (excellent / good / fair / poor) divide
// the scores, and each carries the [Restrictions] the host enforces: credit
// days, cash on delivery or prepayment, an order limit, manual review and
// host-defined flags. [ParseScorecard] reads JSON strictly and rejects an
// inconsistent scorecard with a [*ScorecardError] naming every bad field
// ("characteristics[0] \"late\".bins[1].min: 2 leaves a gap or overlap with
// bins[0].max 1").
//
// # Scores and reasons
//
// [Model.Score] computes a [Result] as of an explicit "now" (the package
// never reads the clock; windows end on now's day in the scorecard's zone
// and events after it are ignored, so a history can be scored as of any
// past day): the score, the band and its restrictions,
// and a [Reason] per characteristic — its value, bin and points and the
// penalty, the points short of the best the characteristic gives — largest
// penalties first, like an adverse-action notice. [Result.Explain] formats
// it for people.
//
// # Fitting
//
// Where outcomes are known (a customer defaulted or not after an
// observation day), [Fit] computes each bin's weight of evidence (WoE,
// ln(%goods/%bads)) and each characteristic's information value, fits a
// logistic regression of the outcome on the WoE values with gonum's BFGS
// optimiser, and scales the result to points with the standard scorecard
// scaling ([Scaling]: by default 600 points at good:bad odds of 50:1, and
// 20 more points each time the odds double). Characteristics declared
// monotonic keep their points in order: adjacent bins whose evidence runs
// against the declared direction are pooled.
//
// # Index
//
// [Update] writes each result into a bitmap index through the adapter shape
// every model shares ([IndexConfig], [Output], [Apply], [Update]): the
// score as the int attribute credit_score and the band as the category
// credit_band ([DefaultIndexConfig]), so that segment rules select on them
// (credit_band == "poor", credit_score < 560). [Apply] adds the same to a
// caller's batch; [Update] also clears the attributes of customers no longer
// scored.
//
// Usage:
//
//	sc, err := credit.ParseScorecard(jsonBytes)
//	if err != nil { … }
//	m, err := credit.Compile(sc)
//	if err != nil { … }
//	r, err := m.Score(customer, now) // now: a time.Time; days in the scorecard's zone
//	fmt.Print(r.Explain())
//	if r.Restrictions.Prepay { … }
package credit
