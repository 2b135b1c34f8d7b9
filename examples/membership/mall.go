package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/credit"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/tier"
)

// mallJSON is an online mall's member levels V1–V4 by growth value (成长值):
// 1 growth per yuan spent, 2 per daily check-in, 20 per review, 200 per
// referred friend; 30% of it decays when a year ends. The two top levels
// also ask for few complaints over the last 12 months, a criterion where
// lower is better.
const mallJSON = `{
  "name": "Segkit Mall 成长值",
  "time_zone": "Asia/Shanghai",
  "metrics": ["checkin", "review", "referral", "complaints"],
  "window": {"kind": "rolling", "months": 12},
  "review": {"months": 1},
  "growth": {
    "per_unit": 1,
    "rules": [
      {"name": "daily check-in", "metric": "checkin", "bonus": 2},
      {"name": "product review", "metric": "review", "bonus": 20},
      {"name": "referred friend", "metric": "referral", "bonus": 200}
    ],
    "year_end": "decay",
    "decay_percent": 30
  },
  "levels": [
    {"name": "V1"},
    {"name": "V2", "entry": {"metric": "growth", "min": 2000}},
    {"name": "V3", "entry": {"all": [{"metric": "growth", "min": 8000}, {"metric": "complaints", "max": 3}]}},
    {"name": "V4", "entry": {"all": [{"metric": "growth", "min": 20000}, {"metric": "complaints", "max": 1}]}}
  ]
}`

// scorecardJSON is the mall's credit scorecard (信誉模型): late payments of
// pay-later orders, refunds, complaints, tenure and a verified identity,
// and bands whose restrictions the checkout reads.
const scorecardJSON = `{
  "name": "Segkit Mall pay-later",
  "time_zone": "Asia/Shanghai",
  "base": 600,
  "characteristics": [
    {"name": "late_payments_12m", "description": "late payments in the last 12 months",
     "kind": "count", "event": "late_payment", "days": 365, "monotonic": "decreasing",
     "bins": [{"max": 1, "points": 20}, {"min": 1, "max": 3, "points": -15}, {"min": 3, "points": -60}]},
    {"name": "refunds_90d", "description": "refunds in the last 90 days",
     "kind": "count", "event": "refund", "days": 90, "monotonic": "decreasing",
     "bins": [{"max": 2, "points": 5}, {"min": 2, "points": -25}]},
    {"name": "complaints", "description": "days since the last complaint",
     "kind": "days_since", "event": "complaint", "monotonic": "increasing", "missing": 10,
     "bins": [{"max": 30, "points": -30}, {"min": 30, "points": 0}]},
    {"name": "tenure", "description": "days as a member", "kind": "tenure", "monotonic": "increasing",
     "bins": [{"max": 180, "points": -10}, {"min": 180, "max": 720, "points": 5}, {"min": 720, "points": 25}]},
    {"name": "verified", "description": "verified identity", "kind": "attribute", "attribute": "verified", "missing": -20,
     "bins": [{"values": ["true"], "points": 15}, {"values": ["false"], "points": -20}]}
  ],
  "bands": [
    {"name": "excellent", "min": 650, "restrictions": {"credit_days": 60, "cash_on_delivery": true}},
    {"name": "good", "min": 600, "restrictions": {"credit_days": 30, "cash_on_delivery": true, "order_limit": 20000}},
    {"name": "fair", "min": 540, "restrictions": {"cash_on_delivery": true, "order_limit": 5000}},
    {"name": "poor", "restrictions": {"prepay": true, "order_limit": 1000, "manual_review": true, "flags": ["no_pay_later"]}}
  ]
}`

// member is a generated mall member: the tier history (purchases,
// check-ins, reviews, referrals, complaints) and the credit view (events,
// verified identity) of the same person, with both results.
type member struct {
	History  tier.History
	Credit   credit.Customer
	Status   tier.Status
	Score    credit.Result
	Verified bool
}

// mallRules select on the level and the credit band together.
var mallRules = []struct{ why, src string }{
	{"top members the checkout makes prepay", `tier in ["V3", "V4"] && credit_band == "poor"`},
	{"newcomers trusted with 60-day terms", `tier == "V1" && credit_band == "excellent"`},
	{"growth of 10,000 or more, good credit or better", `growth >= 10000 && credit_band in ["excellent", "good"]`},
}

func generateMembers(n int, loc *time.Location) []member {
	rng := rand.New(rand.NewPCG(19, 2027))
	day := func(back int) time.Time {
		return asOf.AddDays(-back).Time(loc).Add(time.Duration(9+rng.IntN(12)) * time.Hour)
	}
	out := make([]member, n)
	for i := range out {
		key := fmt.Sprintf("m%05d", i+1)
		m := &out[i]
		m.History.Customer = key
		joined := 30 + rng.IntN(1500)
		m.History.Joined = day(joined)
		m.Credit = credit.Customer{Key: key, Joined: m.History.Joined, Attributes: map[string]bitmapindex.Value{}}
		m.Verified = rng.IntN(5) > 0
		m.Credit.Attributes["verified"] = bitmapindex.Bool(m.Verified)
		span := min(joined, 730)
		heavy := rng.IntN(6) == 0 // a sixth buy and engage much more
		orders := rng.IntN(12)
		if heavy {
			orders += 20 + rng.IntN(40)
		}
		for k := range orders {
			amount := float64(50 + rng.IntN(1500))
			m.History.Transactions = append(m.History.Transactions, segkit.Transaction{
				Customer: key, At: day(rng.IntN(span + 1)), Amount: amount, Order: fmt.Sprintf("%s-%d", key, k)})
		}
		activity := func(metric string, count, within int) {
			for range count {
				m.History.Activities = append(m.History.Activities, tier.Activity{Customer: key, At: day(rng.IntN(within + 1)), Metric: metric, Value: 1})
			}
		}
		checkins := rng.IntN(40)
		if heavy {
			checkins += 200
		}
		activity("checkin", checkins, span)
		activity("review", rng.IntN(8), span)
		activity("referral", rng.IntN(4)/3, span)
		complaints := rng.IntN(6) / 2
		for range complaints {
			t := day(rng.IntN(min(span, 365) + 1))
			m.History.Activities = append(m.History.Activities, tier.Activity{Customer: key, At: t, Metric: "complaints", Value: 1})
			m.Credit.Events = append(m.Credit.Events, segkit.Event{Customer: key, Name: "complaint", At: t})
		}
		for range rng.IntN(9) / 2 {
			m.Credit.Events = append(m.Credit.Events, segkit.Event{Customer: key, Name: "late_payment", At: day(rng.IntN(min(span, 500) + 1))})
		}
		for range rng.IntN(4) {
			m.Credit.Events = append(m.Credit.Events, segkit.Event{Customer: key, Name: "refund", At: day(rng.IntN(min(span, 200) + 1))})
		}
	}
	return out
}

// mall replays the members' growth value and levels, scores their credit,
// writes both into one index, and selects on them together.
func mall(w io.Writer, n int, out *figures) error {
	eng, err := compile(mallJSON)
	if err != nil {
		return err
	}
	sc, err := credit.ParseScorecard([]byte(scorecardJSON))
	if err != nil {
		return err
	}
	model, err := credit.Compile(sc)
	if err != nil {
		return err
	}
	loc := eng.Location()
	members := generateMembers(n, loc)
	results := make([]credit.Result, len(members))
	for i := range members {
		m := &members[i]
		if m.Status, err = eng.Evaluate(m.History, evening(eng)); err != nil {
			return err
		}
		if m.Score, err = model.Score(m.Credit, evening(eng)); err != nil {
			return err
		}
		results[i] = m.Score
		out.MallLevels[eng.Name(m.Status.Level)]++
		out.Bands[m.Score.Band]++
	}
	out.Members = members

	fmt.Fprintf(w, "\n== %s mall members: growth value (成长值) levels and credit bands ==\n", thousands(n))
	// One member's growth audit trail and credit reasons.
	story := members[0]
	for _, m := range members {
		if m.Status.Level == 3 && len(m.Credit.Events) > 0 {
			story = m
			break
		}
	}
	tl, err := eng.Replay(story.History, evening(eng))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %s, growth %s; the year-end decays and the last changes of the growth value:\n", story.History.Customer, eng.Name(tl.Level), thousands(int(tl.Growth)))
	for i, g := range tl.GrowthLog {
		if g.Kind == tier.GrowthDecay || i >= len(tl.GrowthLog)-2 {
			fmt.Fprintf(w, "  %s %-6s %+7d = %7d  %s\n", g.Day, g.Kind, g.Growth, g.Balance, g.Note)
		}
	}
	for en := range tl.Changes() {
		fmt.Fprintf(w, "  %s %s → %s: %s\n", en.Day, eng.Name(en.From), eng.Name(en.To), en.Reason)
	}
	fmt.Fprint(w, story.Score.Explain())

	fmt.Fprintln(w, "\nlevels × credit bands:")
	fmt.Fprintf(w, "  %-4s", "")
	for _, b := range sc.Bands {
		fmt.Fprintf(w, " %9s", b.Name)
	}
	fmt.Fprintln(w)
	cross := map[[2]string]int{}
	for _, m := range members {
		cross[[2]string{eng.Name(m.Status.Level), m.Score.Band}]++
	}
	for l := range eng.Levels() {
		name := eng.Name(tier.Level(l))
		fmt.Fprintf(w, "  %-4s", name)
		for _, b := range sc.Bands {
			fmt.Fprintf(w, " %9s", thousands(cross[[2]string{name, b.Name}]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "band restrictions the checkout reads:")
	for _, b := range sc.Bands {
		fmt.Fprintf(w, "  %-9s %s\n", b.Name, b.Restrictions)
	}

	// Levels, growth and credit in one index.
	tcfg, ccfg := tier.DefaultIndexConfig(), credit.DefaultIndexConfig()
	schema := append(tcfg.Attributes(tier.Output{Engine: eng}), ccfg.Attributes(credit.Output{})...)
	ix, err := bitmapindex.New(bitmapindex.Config{Location: loc, Schema: schema, Strict: true})
	if err != nil {
		return err
	}
	b := ix.NewBatch()
	statuses := make([]tier.Status, len(members))
	for i := range members {
		statuses[i] = members[i].Status
	}
	if err := tier.Apply(b, tier.Output{Engine: eng, Statuses: tier.Statuses(statuses)}, tcfg); err != nil {
		return err
	}
	if err := credit.Apply(b, credit.Output{Results: credit.Results(results)}, ccfg); err != nil {
		return err
	}
	if err := b.Commit(); err != nil {
		return err
	}
	v := ix.View()
	now := asOf.Time(loc).Add(20 * time.Hour)
	fmt.Fprintf(w, "\nrules as of %s:\n", asOf)
	for _, r := range mallRules {
		rule, err := segment.Compile(r.src, segment.WithSchema(v.Schema()))
		if err != nil {
			return err
		}
		set, err := rule.Eval(context.Background(), v, now)
		if err != nil {
			return err
		}
		out.MallRules[r.src] = set.Len()
		fmt.Fprintf(w, "  %5s  %-48s %s\n", thousands(set.Len()), r.why, r.src)
	}
	return nil
}
