package rfm_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/rfm"
)

// shop is a small shop's purchase history: twelve customers, one to six
// orders each, one refund and one order after the analysis date.
func shop() []segkit.Transaction {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	var txns []segkit.Transaction
	add := func(c string, amount float64, days ...string) {
		for _, s := range days {
			txns = append(txns, segkit.Transaction{Customer: c, At: d(s), Amount: amount})
		}
	}
	add("ann", 120, "2025-01-05", "2025-02-10", "2025-03-02", "2025-03-20", "2025-03-28", "2025-03-30")
	add("bob", 35, "2025-03-25", "2025-03-29")
	add("cai", 410, "2024-11-02", "2024-12-12", "2025-01-20")
	add("dan", 18, "2024-10-01")
	add("eve", 60, "2025-03-31")
	add("fei", 95, "2024-12-01", "2025-01-03", "2025-02-01", "2025-03-01")
	add("gus", 22, "2024-09-15", "2024-10-15")
	add("hua", 250, "2025-02-14", "2025-03-14", "2025-03-24")
	add("ida", 15, "2025-01-12")
	add("jon", 75, "2024-08-20", "2024-12-24", "2025-03-10")
	add("kai", 300, "2024-07-01")
	add("lin", 45, "2025-03-15", "2025-03-22", "2025-03-27", "2025-03-30")
	add("bob", -35, "2025-03-30") // a refund, netted
	add("eve", 60, "2025-04-02")  // after the analysis date: left out
	return txns
}

var now = time.Date(2025, 3, 31, 18, 0, 0, 0, time.UTC)

func Example() {
	res, err := rfm.Analyze(slices.Values(shop()), now, rfm.DefaultConfig())
	if err != nil {
		panic(err)
	}
	scheme, _ := rfm.Preset("rfm10")
	segs, err := res.Segment(scheme)
	if err != nil {
		panic(err)
	}
	for key, seg := range segs.All() {
		c, _ := res.Lookup(key)
		fmt.Printf("%s %s %-4d %d %6.0f  %s\n", key, c.Score, c.Recency, c.Frequency, c.Monetary, seg)
	}
	fmt.Println("left out:", res.Future, "future,", res.Refunds, "refund netted")
	// Output:
	// ann 555 1    6    720  Champions
	// bob 421 2    2     35  New Customers
	// cai 235 70   3   1230  Can't Lose Them
	// dan 111 181  1     18  Lost
	// eve 512 0    1     60  New Customers
	// fei 354 30   4    380  Potential Loyalist
	// gus 122 167  2     44  Lost
	// hua 435 7    3    750  Potential Loyalist
	// ida 211 78   1     15  About To Sleep
	// jon 333 21   3    225  Potential Loyalist
	// kai 114 273  1    300  Lost
	// lin 553 1    4    180  Potential Loyalist
	// left out: 1 future, 1 refund netted
}

func ExampleAnalyze() {
	cfg := rfm.DefaultConfig()
	cfg.Frequency = rfm.Days // distinct purchase days
	res, err := rfm.Analyze(slices.Values(shop()), now, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("customers:", res.Len(), "analysis day:", res.Now)
	fmt.Printf("R cuts (days): %.1f counts: %v\n", res.R.Points, res.R.Counts)
	fmt.Printf("F cuts: %.1f counts: %v\n", res.F.Points, res.F.Counts)
	c, _ := res.Lookup("ann")
	fmt.Printf("ann: first %s, last %s, recency %d, tenure %d, frequency %d, monetary %.0f, score %s\n",
		c.First, c.Last, c.Recency, c.Tenure, c.Frequency, c.Monetary, c.Score)
	// Output:
	// customers: 12 analysis day: 2025-03-31
	// R cuts (days): [1.2 12.6 54.0 149.2] counts: [3 2 2 2 3]
	// F cuts: [1.0 2.0 3.0 3.8] counts: [4 2 3 0 3]
	// ann: first 2025-01-05, last 2025-03-30, recency 1, tenure 85, frequency 6, monetary 720, score 555
}

// Scores from the R package rfm 0.3.0 (rfm_table_order) are reproduced with
// RCompat binning.
func ExampleRCompat() {
	cfg := rfm.DefaultConfig()
	cfg.Binning = rfm.RCompat
	res, err := rfm.Analyze(slices.Values(shop()), now, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Printf("R breaks: %.1f\n", res.R.Points)
	fmt.Printf("M breaks: %.1f\n", res.M.Points)
	// Output:
	// R breaks: [2.2 13.6 55.0 150.2]
	// M breaks: [37.8 109.0 271.0 653.0]
}

func ExampleResult_Segment() {
	res, _ := rfm.Analyze(slices.Values(shop()), now, rfm.DefaultConfig())
	scheme, _ := rfm.Preset("rfm10")
	segs, _ := res.Segment(scheme)
	_ = segs.Summary().WriteText(os.Stdout)
	// Output:
	// segment             customers   share  orders  revenue   share     AOV
	// Champions                   1    8.3%       6      720   18.2%  120.00
	// Potential Loyalist          4   33.3%      14    1,535   38.8%  109.64
	// Loyal Customers             0    0.0%       0        0    0.0%    0.00
	// Promising                   0    0.0%       0        0    0.0%    0.00
	// New Customers               2   16.7%       3       95    2.4%   31.67
	// Can't Lose Them             1    8.3%       3    1,230   31.1%  410.00
	// At Risk                     0    0.0%       0        0    0.0%    0.00
	// Need Attention              0    0.0%       0        0    0.0%    0.00
	// About To Sleep              1    8.3%       1       15    0.4%   15.00
	// Lost                        3   25.0%       4      362    9.1%   90.50
	// Others                      0    0.0%       0        0    0.0%    0.00
	// total                      12  100.0%      31    3,957  100.0%  127.65
}

// The Chinese eight-class model splits each metric at its mean; the preset
// carries that scoring, and Configure puts it into the config.
func ExamplePreset_cn8() {
	cn8, _ := rfm.Preset("cn8")
	res, _ := rfm.Analyze(slices.Values(shop()), now, cn8.Configure(rfm.DefaultConfig()))
	segs, _ := res.Segment(cn8)
	fmt.Printf("mean recency %.1f days, frequency %.2f, monetary %.2f\n", res.R.Points[0], res.F.Points[0], res.M.Points[0])
	for _, name := range segs.Names() {
		fmt.Printf("%s (%s): %d %v\n", name, segs.Alias(name), segs.Count(name), slices.Collect(segs.Members(name)))
	}
	// Output:
	// mean recency 69.2 days, frequency 2.58, monetary 329.75
	// 重要价值客户 (Important Value): 3 [ann fei hua]
	// 重要发展客户 (Important Development): 0 []
	// 重要保持客户 (Important Retention): 1 [cai]
	// 重要挽留客户 (Important Win-back): 0 []
	// 一般价值客户 (General Value): 2 [jon lin]
	// 一般发展客户 (General Development): 2 [bob eve]
	// 一般保持客户 (General Retention): 0 []
	// 一般挽留客户 (General Win-back): 4 [dan gus ida kai]
}

// Users bring their own thresholds and labels as JSON.
func ExampleLoadScheme() {
	scheme, err := rfm.LoadScheme(strings.NewReader(`{
	  "name": "three", "bins": 3, "default": "Everyone else",
	  "rules": [
	    {"name": "Stars", "alias": "明星", "pattern": "33*"},
	    {"name": "Slipping", "r": [1, 1], "f": [2, 3]},
	    {"name": "Slipping", "cells": ["213"]}
	  ]}`))
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"332", "123", "213", "111"} {
		sc, _ := rfm.ParseScore(s)
		name, _ := scheme.Assign(sc)
		fmt.Println(s, name)
	}
	_, err = rfm.LoadScheme(strings.NewReader(`{"name": "bad", "rules": [
	    {"name": "Loyal", "r": [2, 5], "f": [2, 5]},
	    {"name": "Champions", "r": [5, 5], "f": [5, 5], "m": [5, 5]}]}`))
	fmt.Println(err)
	// Output:
	// 332 Stars
	// 123 Slipping
	// 213 Slipping
	// 111 Everyone else
	// rfm: scheme "bad" rule 2 ("Champions"): unreachable: every cell it matches is taken by earlier rules (e.g. 555 by rule 1 "Loyal")
}

func ExampleCuts_Score() {
	res, _ := rfm.Analyze(slices.Values(shop()), now, rfm.DefaultConfig())
	// Score a new customer against the population's cuts, in real time.
	r, _ := res.R.Score(3)   // bought 3 days ago
	f, _ := res.F.Score(2)   // twice
	m, _ := res.M.Score(500) // for 500
	fmt.Println(rfm.Score{R: uint8(r), F: uint8(f), M: uint8(m)})
	// Output:
	// 424
}

func ExampleResult_Value() {
	res, _ := rfm.Analyze(slices.Values(shop()), now, rfm.DefaultConfig())
	abc, _ := res.Value(rfm.ValueConfig{Method: rfm.ValueABC}) // 80% / 95% of revenue
	for _, g := range abc.Summary().Groups {
		fmt.Printf("%s: %d customers, %.0f%% of revenue\n", g.Name, g.Customers, 100*g.RevenueShare)
	}
	fmt.Println("A starts at", abc.Thresholds[0])
	// Output:
	// A: 5 customers, 85% of revenue
	// B: 2 customers, 10% of revenue
	// C: 5 customers, 4% of revenue
	// A starts at 300
}

func ExampleResult_Loyalty() {
	cfg := rfm.DefaultConfig()
	cfg.Cycles = true
	res, _ := rfm.Analyze(slices.Values(shop()), now, cfg)
	lt, _ := res.Loyalty(rfm.DefaultLoyaltyConfig())
	for i, c := range res.Customers {
		if next, ok := lt.Next(i); ok {
			over, _ := lt.Overdue(i)
			fmt.Printf("%s %-8s every %4.1f days, next %s (%+d)\n", c.Key, lt.Label(i), must(lt.Gap(i)), next, over)
		}
	}
	// Output:
	// ann loyal    every 16.8 days, next 2025-04-16 (-16)
	// bob repeat   every  4.0 days, next 2025-04-02 (-2)
	// cai repeat   every 39.5 days, next 2025-03-01 (+30)
	// fei loyal    every 30.0 days, next 2025-03-31 (+0)
	// gus repeat   every 30.0 days, next 2024-11-14 (+137)
	// hua repeat   every 19.0 days, next 2025-04-12 (-12)
	// jon repeat   every 101.0 days, next 2025-06-19 (-80)
	// lin loyal    every  5.0 days, next 2025-04-04 (-4)
}

func must[T any](v T, _ bool) T { return v }

// The adapter writes the model's output into an index as attributes, so
// that segment rules select on it.
func ExampleUpdate() {
	res, _ := rfm.Analyze(slices.Values(shop()), now, rfm.DefaultConfig())
	scheme, _ := rfm.Preset("rfm10")
	segs, _ := res.Segment(scheme)
	value, _ := res.Value(rfm.DefaultValueConfig())

	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	out := rfm.Output{Result: res, Segments: segs, Value: value.Assignment}
	if err := rfm.Update(ix, out, rfm.DefaultIndexConfig()); err != nil {
		panic(err)
	}
	v := ix.View()
	champions, _ := v.WithValue("rfm_segment", "Champions")
	recent, _ := v.Compare("rfm_r", bitmapindex.Ge, bitmapindex.Int(4))
	high, _ := v.WithValue("value_tier", "high")
	fmt.Println("champions:", slices.Collect(champions.Keys()))
	fmt.Println("recent and high value:", slices.Collect(recent.And(high).Keys()))
	// Output:
	// champions: [ann]
	// recent and high value: [ann hua]
}
