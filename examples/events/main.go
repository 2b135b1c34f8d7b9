// Events: segments about what customers bought — categories, amounts,
// fixed promotion windows and sequences — on a generated population of an
// online-course company:
//
//	go run ./examples/events
//
// It loads 20,000 generated customers with a year of logins, trial classes
// and purchases (each purchase with its amount and course category), adds
// recharges of the prepaid wallet at the tiers 100 / 200 / 500 (充值档位),
// and selects:
//
//   - the buyers of a category in the last 14 days (math buyers for a
//     follow-up math course),
//   - the 客单价 (average order value) segment: customers whose mean order in
//     the last half-year is at least 40,
//   - 双十一 buyers (Nov 1–11) and their spend in the promotion,
//   - each recharge tier this month,
//   - the trial-then-purchase conversion: trial takers of the last 90 days
//     who bought within 7 days of a trial class, and those who did not.
//
// Everything is generated from fixed seeds and "now" is fixed, so every run
// prints the same numbers.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/synth"
)

// customers is the size of the generated population.
const customers = 20_000

// now is the moment of the analysis: the end of the generated year.
var now = time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)

// segments are the rules this example evaluates, in the order printed.
var segments = []struct{ name, rule string }{
	{"math buyers, last 14 days", `didWithin("purchase", "14d", {category: "math"})`},
	{"art or coding buyers, last 14 days", `didWithin("purchase", "14d", {category: ["art", "coding"]})`},
	{"new math buyers this month (first math purchase)", `firstWithin("purchase", "30d", {category: "math"})`},
	{"客单价 ≥ 40 over the last half-year", `avgWithin("purchase", "180d") >= 40`},
	{"spent ≥ 100 in the last 90 days", `sumWithin("purchase", "90d") >= 100`},
	{"双十一 buyers (Nov 1–11)", `didBetween("purchase", date("2026-11-01"), date("2026-11-11"))`},
	{"双十一 spend ≥ 50", `sumBetween("purchase", date("2026-11-01"), date("2026-11-11")) >= 50`},
	{"充值 100 this month", `didWithin("recharge", "30d", {tier: "100"})`},
	{"充值 200 this month", `didWithin("recharge", "30d", {tier: "200"})`},
	{"充值 500 this month", `didWithin("recharge", "30d", {tier: "500"})`},
	{"recharged ≥ 500 in total this month", `sumWithin("recharge", "30d") >= 500`},
	{"trial takers, last 90 days", `didWithin("trial_class", "90d")`},
	{"… who bought within 7 days of a trial (converted)", `didWithin("trial_class", "90d") && didThen("trial_class", "purchase", "7d")`},
	{"… who did not (follow-up call list)", `didWithin("trial_class", "90d") && !didThen("trial_class", "purchase", "7d")`},
}

func main() {
	if _, err := run(os.Stdout, customers); err != nil {
		log.Fatal(err)
	}
}

// build generates the population into a new index and adds the recharges.
func build(ctx context.Context, n int) (*bitmapindex.Index, error) {
	cfg := synth.Reference(n)
	cfg.End = now
	g, err := synth.New(cfg)
	if err != nil {
		return nil, err
	}
	ix, err := bitmapindex.New(bitmapindex.Config{
		Location: time.UTC,
		// declared properties: a rule naming another one is a compile error
		Events: map[string][]string{"purchase": {"category"}, "recharge": {"tier"}},
	})
	if err != nil {
		return nil, err
	}
	if err := g.Load(ctx, ix, synth.DefaultLoadConfig()); err != nil {
		return nil, err
	}
	// recharges: a fifth of the customers top up their wallet once or
	// twice in the last 60 days, at 100, 200 or 500
	rng := rand.New(rand.NewPCG(15, 11))
	b := ix.NewBatch()
	tiers := []int64{100, 200, 500}
	for i := 0; i < n; i++ {
		if rng.IntN(5) != 0 {
			continue
		}
		key := fmt.Sprintf("c%08d", i)
		for range 1 + rng.IntN(2) {
			tier := tiers[rng.IntN(len(tiers))]
			at := now.Add(-time.Duration(rng.IntN(60*24)) * time.Hour)
			b.RecordEvent(key, "recharge", at, bitmapindex.EventDetail{
				Value: bitmapindex.Amount(tier * 10000),
				Props: map[string]string{"tier": fmt.Sprint(tier)},
			})
		}
	}
	return ix, b.Commit()
}

// run prints every segment's size and returns them by name.
func run(w io.Writer, n int) (map[string]int, error) {
	ctx := context.Background()
	ix, err := build(ctx, n)
	if err != nil {
		return nil, err
	}
	v := ix.View()
	opts := []segment.Option{segment.WithEventSchema(v.EventSchema())}
	fmt.Fprintf(w, "%d customers, now %s\n\n", v.Len(), now.Format(time.DateOnly))
	sizes := map[string]int{}
	for _, s := range segments {
		r, err := segment.Compile(s.rule, opts...)
		if err != nil {
			return nil, err
		}
		k, err := r.Count(ctx, v, now)
		if err != nil {
			return nil, err
		}
		sizes[s.name] = k
		fmt.Fprintf(w, "%-52s %6d   %s\n", s.name, k, s.rule)
	}
	trials := sizes["trial takers, last 90 days"]
	if trials > 0 {
		fmt.Fprintf(w, "\ntrial → purchase conversion within 7 days: %.1f%% of %d trial takers\n",
			100*float64(sizes["… who bought within 7 days of a trial (converted)"])/float64(trials), trials)
	}
	// the plan of one segment, with each node's size and its filter
	r := segment.MustCompile(`didWithin("purchase", "14d", {category: "math"}) && avgWithin("purchase", "180d") >= 40`, opts...)
	plan, err := r.Explain(ctx, v, now)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\n%s", plan)
	// an undeclared property is a compile error
	if _, err := segment.Compile(`didWithin("purchase", "14d", {colour: "red"})`, opts...); err != nil {
		fmt.Fprintf(w, "\n%v\n", err)
	}
	return sizes, nil
}
