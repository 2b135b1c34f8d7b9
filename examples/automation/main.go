// Automation: a coupon the day a high-value customer falls asleep, with a
// holdout to measure what the coupon did:
//
//	go run ./examples/automation
//
// A simulated shop of 5,000 customers buys for two months. The trigger
// segment is "high value and no purchase in 30 days". A segment.Watcher
// follows the shop day by day (the purchases of each day are committed,
// then Advance moves to the next day: the library never reads the clock);
// every customer who enters the segment during the second month is split
// by key into coupon (90%) and holdout (10%). The simulation makes a coupon
// raise the chance of buying again, and campaign.Analysis measures the
// conversion within 14 days of entering against the holdout.
//
// Everything is generated from a fixed seed, so every run prints the same
// numbers.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/segment"
)

var start = time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)

func main() {
	if _, err := run(os.Stdout, 5000); err != nil {
		log.Fatal(err)
	}
}

// result is what the test checks.
type result struct {
	Triggered int // entries into the trigger segment during the campaign month
	Coupons   int
	Results   *campaign.Results
}

func run(w io.Writer, n int) (*result, error) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(17, 2026))
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		return nil, err
	}
	// customers: a daily purchase probability; a fifth are high value
	rate := make([]float64, n)
	b := ix.NewBatch()
	for i := range n {
		key := fmt.Sprintf("c%05d", i)
		b.Add(key)
		rate[i] = 0.01 + 0.05*rng.Float64()
		if rng.IntN(5) == 0 {
			b.AddTag(key, "high_value")
		}
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	reg := segment.NewRegistry()
	if err := reg.Define(segment.Definition{
		Name: "sleeping_high_value",
		Rule: `has("high_value") && did("purchase") && !didWithin("purchase", "30d")`,
	}); err != nil {
		return nil, err
	}
	watcher, err := segment.NewWatcher(ctx, reg, ix, start)
	if err != nil {
		return nil, err
	}
	defer watcher.Close()
	sub := watcher.Subscribe(1 << 20)
	split, err := campaign.NewSplitter("sleeping-coupon-2026-10",
		campaign.Group{Name: "coupon", Ratio: 0.9}, campaign.Group{Name: "holdout", Ratio: 0.1})
	if err != nil {
		return nil, err
	}
	const days, month, window = 61, 31, 14
	couponUntil := map[int]int{} // customer → last day the coupon works
	entered := map[int]int{}     // customer → day it entered (first entry in the month)
	bought := map[int][]int{}    // customer → days with a purchase
	res := &result{}
	for day := range days {
		now := start.AddDate(0, 0, day)
		b := ix.NewBatch()
		for i := range n {
			p := rate[i]
			if until, ok := couponUntil[i]; ok && day <= until {
				p = min(1, p*4) // what the coupon does, in this simulation
			}
			if rng.Float64() < p {
				b.Record(fmt.Sprintf("c%05d", i), "purchase", now, float64(20+rng.IntN(200)))
				bought[i] = append(bought[i], day)
			}
		}
		if err := b.Commit(); err != nil {
			return nil, err
		}
		if err := watcher.Advance(ctx, now.AddDate(0, 0, 1)); err != nil { // the next morning
			return nil, err
		}
		changes, err := sub.Next(0)
		if err != nil {
			return nil, err
		}
		for _, c := range changes {
			if c.Kind != segment.Entered || day+1 < days-month {
				continue
			}
			i, err := strconv.Atoi(c.Key[1:]) // keys are c00000…
			if err != nil {
				return nil, err
			}
			if _, again := entered[i]; again {
				continue
			}
			entered[i] = day + 1
			res.Triggered++
			if split.Assign(c.Key) == "coupon" {
				res.Coupons++
				couponUntil[i] = day + window
			}
		}
	}
	var outcomes []campaign.Outcome
	for i, d := range entered {
		conv := slices.ContainsFunc(bought[i], func(x int) bool { return x >= d && x < d+window })
		outcomes = append(outcomes, campaign.Outcome{Key: fmt.Sprintf("c%05d", i), Converted: conv})
	}
	slices.SortFunc(outcomes, func(a, b campaign.Outcome) int {
		if a.Key < b.Key {
			return -1
		}
		return 1
	})
	r, err := split.Analysis("holdout").Run(slices.Values(outcomes), campaign.DefaultConfig())
	if err != nil {
		return nil, err
	}
	res.Results = r
	fmt.Fprintf(w, "%d customers entered sleeping_high_value in the campaign month; %d got a coupon\n\n", res.Triggered, res.Coupons)
	if _, err := r.WriteTo(w); err != nil {
		return nil, err
	}
	return res, nil
}
