package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/audience"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/persona"
	"github.com/segkit/segkit/segment"
)

// promotion618 is the 618 shopping festival: purchases in it are not
// typical, so analyses should know when a campaign overlaps it.
var promotion618 = audience.Span{Name: "618 promotion", From: segkit.Date(2026, 6, 1), To: segkit.Date(2026, 6, 18)}

// secondSendAt is when the refined campaign goes out; its outcomes lie
// after the generated data, so they are SIMULATED entirely.
var secondSendAt = time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC)

// writeDesign checks before sending that the audience is big enough for
// arm A (ratio × the holdout) to detect +mde against the holdout, from a
// baseline measured in the data the way the audience is chosen: of the
// customers without a purchase in the 30 days before a day 14 days
// earlier, the share who bought in the 14 days after it.
func writeDesign(w io.Writer, v *bitmapindex.View, aud bitmapindex.Set, at time.Time, mde, ratio float64, out *figures) error {
	day := segkit.DayOf(at, v.Location())
	start := day.AddDays(-measureDays)
	eligible := v.All().AndNot(v.Did("purchase", start.AddDays(-29), start))
	bought := v.Did("purchase", start.AddDays(1), day).And(eligible)
	return writeDesignFor(w, float64(bought.Len())/float64(eligible.Len()), aud.Len(), mde, ratio, out)
}

// writeDesignFor prints the sample size of a design and what the audience
// can detect.
func writeDesignFor(w io.Writer, baseline float64, size int, mde, ratio float64, out *figures) error {
	d := campaign.Design{Baseline: baseline, MDE: mde, Ratio: ratio}
	need, err := d.SampleSize()
	if err != nil {
		return err
	}
	out.Designs = append(out.Designs, need)
	// the holdout and arm A take 1/(1+ratio) and ratio/(1+ratio) of the
	// customers they share
	share := 1.0
	if ratio == 2 {
		share = 0.6 // holdout 20% + A 40% of the audience
	}
	have := int(float64(size) * share)
	detect, err := d.DetectableEffect(have)
	if err != nil {
		return err
	}
	verdict := "enough"
	if have < need.Total {
		verdict = "NOT enough: widen the audience, lengthen the test or accept a larger MDE"
	}
	fmt.Fprintf(w, "design: baseline %.2f%%, MDE %+.1f points, α 0.05 two-sided, power 0.8, A:holdout = %.3g:1\n", baseline*100, mde*100, ratio)
	fmt.Fprintf(w, "  needs %s in the holdout and %s in A (%s); the audience gives %s: %s (it detects %+.2f points)\n",
		thousands(need.Control), thousands(need.Treatment), thousands(need.Total), thousands(have), verdict, detect*100)
	return nil
}

// closeLoop reads the first campaign on several metrics, finds what set its
// responders apart, refines the persona and the audience rule, and runs the
// second campaign.
func closeLoop(ctx context.Context, w io.Writer, ix *bitmapindex.Index, reg *segment.Registry, out *figures) error {
	v := ix.View()

	// Several metrics in one run, with the correction across them stated.
	x := campaign.Experiment{Control: armHoldout, Metrics: []campaign.Metric{
		{Name: "conversion", Kind: campaign.Rate},
		{Name: "revenue/customer", Kind: campaign.Mean},
	}}
	res, err := x.Run(func(yield func(campaign.Observation) bool) {
		for _, o := range out.Outcomes {
			conv := 0.0
			if o.Converted {
				conv = 1
			}
			if !yield(campaign.Observation{Key: o.Key, Group: o.Group, Values: []float64{conv, o.Value}}) {
				return
			}
		}
	}, 0.95)
	if err != nil {
		return err
	}
	out.Metrics = res
	fmt.Fprintln(w, "\n== Measure: conversion and revenue per customer (Welch) ==")
	if _, err := res.WriteTo(w); err != nil {
		return err
	}

	// What set the responders of message A apart?
	sendDay := segkit.DayOf(sendAt, v.Location())
	rc := audience.DefaultResponderConfig()
	rc.Groups = []string{armA}
	rc.Persona = "宝妈"
	rc.Skip = []string{"spend", "vip"} // both include the campaign's own purchases
	rc.MinGroup = 50
	rc.Campaign = audience.Span{Name: "side income", From: sendDay.AddDays(1), To: sendDay.AddDays(measureDays)}
	rc.Excluded = []audience.Span{promotion618}
	rep, err := audience.Responders(ctx, v, slices.Values(out.Outcomes), rc)
	if err != nil {
		return err
	}
	out.Responders = rep
	fmt.Fprintln(w, "\n== Responder analysis: arm A ==")
	if err := rep.WriteText(w, 8); err != nil {
		return err
	}

	// The refined persona: the strongest significant trait that the
	// audience rule does not already select on joins 宝妈 as a condition,
	// and widens the audience of the next campaign.
	var found *audience.ResponderTrait
	for i, t := range rep.Traits {
		if t.Significant(rc.FDR) && t.Difference > 0 && !strings.Contains(t.Rule, "&&") &&
			!strings.Contains(t.Rule, "persona") && !strings.Contains(t.Rule, "mother") {
			found = &rep.Traits[i]
			break
		}
	}
	if found == nil {
		fmt.Fprintln(w, "\nno trait to refine the persona with: the second campaign keeps the audience")
		return nil
	}
	refined := slices.Clone(personas)
	for i, d := range refined {
		if d.Name == rc.Persona {
			d.Conditions = append(slices.Clone(d.Conditions), persona.Condition{Rule: found.Rule, Weight: 1})
			d.Description += ", or drawn to " + found.Label
			refined[i] = d
			out.Refined = d
		}
	}
	pcfg := persona.DefaultConfig()
	pcfg.Rules = []segment.Option{segment.WithSchema(v.Schema())}
	cat, err := persona.Compile(refined, pcfg)
	if err != nil {
		return err
	}
	a, err := cat.Assign(ctx, v, secondSendAt)
	if err != nil {
		return err
	}
	before, err := v.WithValue(persona.DefaultAttribute, rc.Persona)
	if err != nil {
		return err
	}
	after, _ := a.Members(rc.Persona)
	if err := persona.Update(ix, persona.Output{Assignment: a}, persona.DefaultIndexConfig()); err != nil {
		return err
	}
	v = ix.View()
	fmt.Fprintf(w, "\n== Refined persona %s: + %s (weight 1) ==\n", rc.Persona, found.Rule)
	fmt.Fprintf(w, "members %s → %s\n", thousands(before.Len()), thousands(after.Len()))

	// The second campaign: the widened audience, designed from the first
	// campaign's figures, split with a new salt.
	rule := fmt.Sprintf(`(inSegment("office_26_30") || inSegment("young_mothers") || (%s)) && !didWithin("purchase", "30d")`, found.Rule)
	if err := reg.Define(segment.Definition{Name: "side_income_audience_v2", Rule: rule}); err != nil {
		return err
	}
	aud2, err := reg.Eval(ctx, "side_income_audience_v2", v, secondSendAt)
	if err != nil {
		return err
	}
	out.SecondSize = aud2.Len()
	fmt.Fprintf(w, "\n== Second campaign, sent %s (outcomes SIMULATED: they lie after the data) ==\n", secondSendAt.Format(time.DateOnly))
	fmt.Fprintf(w, "audience %s: %s\n", thousands(aud2.Len()), rule)
	hold, _ := out.Results.Group(armHoldout)
	armRes, _ := out.Results.Group(armA)
	baseline := hold.Rate
	mde := max(0.01, (armRes.Rate-hold.Rate)/2)
	if err := writeDesignFor(w, baseline, aud2.Len(), mde, 1, out); err != nil {
		return err
	}
	sp, err := campaign.NewSplitter("side-income-2026-07",
		campaign.Group{Name: armHoldout, Ratio: 0.5},
		campaign.Group{Name: armA, Ratio: 0.5})
	if err != nil {
		return err
	}
	split, err := sp.Split(v, aud2)
	if err != nil {
		return err
	}
	label, err := campaign.AttributeLabels(v, persona.DefaultAttribute)
	if err != nil {
		return err
	}
	interested, err := v.WithValue("interests", simulatedInterest)
	if err != nil {
		return err
	}
	var outcomes []campaign.Outcome
	for _, gr := range split.Groups {
		for id := range gr.Members.IDs() {
			key, _ := v.Key(id)
			who, _ := label(key)
			p := 0.0
			if gr.Name == armA {
				p = simulatedUplift[armA][who]
				if interested.Contains(id) {
					p += simulatedInterestUplift
				}
			}
			converted := uniform("second-base:"+key) < baseline || uniform("second-response:"+key) < p
			outcomes = append(outcomes, campaign.Outcome{Key: key, Group: gr.Name, Converted: converted})
		}
	}
	an := sp.Analysis(armHoldout)
	res2, err := an.Run(slices.Values(outcomes), campaign.DefaultConfig())
	if err != nil {
		return err
	}
	out.Second = res2
	_, err = res2.WriteTo(w)
	return err
}
