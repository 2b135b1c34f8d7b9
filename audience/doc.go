// Package audience describes who is in a segment and who answered a
// campaign: the analyses that close the loop from persona to segment to
// campaign and back.
//
// [Describe] profiles a segment against a base (分群画像): for every tag,
// category value, set value and true bool its share in the segment and in
// the base, the lift with an interval and the standardised difference,
// sorted by how strongly each trait sets the segment apart; for every int,
// decimal and time attribute the quantiles, a histogram over bins shared by
// both sides, the mean, the missing share and the standardised difference;
// for every event the share active and the occurrences per member in the
// last 30 and 90 days. Every figure comes from intersection counts of the
// two member sets with the index's bitmaps ([bitmapindex.View.MomentsIn],
// [bitmapindex.View.NthIn], [bitmapindex.View.EventCountIn]), never from a
// loop over the members, so a 1M-member segment of a 10M index is profiled
// in about a second:
//
//	seg, _ := segment.MustCompile(`occupation == "student"`).Eval(ctx, v, now)
//	p, err := audience.Describe(ctx, v, seg, v.All(), now, audience.DefaultConfig())
//	p.WriteText(os.Stdout, 20) // or WriteJSON, WriteSVG
//
// [Responders] ranks the traits of a campaign's exposed customers by how
// much the conversion rate of those with the trait differs from those
// without it, with intervals, p-values adjusted for the number of traits
// tested (Benjamini–Hochberg), minimum group sizes, suggestions for the
// persona or rule to widen or narrow, and a warning when the campaign ran
// during an excluded or promotion period.
package audience
