package tier_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// hotelJSON is a hotel-style program: any of nights, stays or points
// qualifies; status lasts through the end of the following calendar year.
const hotelJSON = `{
  "name": "Hotel Rewards",
  "window": {"kind": "calendar_year"},
  "validity": {"kind": "following_year"},
  "downgrade": {"max_drop": 1},
  "points": {"per_unit": 10},
  "levels": [
    {"name": "Member"},
    {"name": "Silver", "multiplier": 1.1,
     "entry": {"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": 4}, {"metric": "points", "min": 25000}]}},
    {"name": "Gold", "multiplier": 1.25,
     "entry": {"any": [{"metric": "nights", "min": 40}, {"metric": "stays", "min": 20}, {"metric": "points", "min": 75000}]}},
    {"name": "Diamond", "multiplier": 1.5,
     "entry": {"any": [{"metric": "nights", "min": 60}, {"metric": "stays", "min": 30}, {"metric": "points", "min": 120000}]}}
  ]
}`

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

// A hotel guest's stays replayed into a level timeline with the reason for
// every change.
func Example() {
	prog, err := tier.ParseProgram([]byte(hotelJSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	eng := tier.MustCompile(prog)

	h := tier.History{Customer: "guest-42"}
	stay := func(day string, nights int, amount float64, booking string) {
		h.Activities = append(h.Activities,
			tier.Activity{At: date(day), Metric: tier.MetricNights, Value: float64(nights), Ref: booking},
			tier.Activity{At: date(day), Metric: tier.MetricStays, Value: 1, Ref: booking})
		h.Transactions = append(h.Transactions, segkit.Transaction{At: date(day), Amount: amount, Order: booking})
	}
	stay("2026-02-01", 3, 420, "B-1")
	stay("2026-03-04", 7, 1150, "B-2")
	stay("2026-06-20", 55, 9800, "B-3")

	tl, err := eng.Replay(h, time.Date(2028, 6, 30, 18, 0, 0, 0, eng.Location()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for e := range tl.Changes() {
		fmt.Printf("%s %s → %s: %s\n", e.Day, eng.Name(e.From), eng.Name(e.To), e.Reason)
	}
	fmt.Println(tl.Explain())
	fmt.Println("points:", tl.Points)
	// Output:
	// 2026-03-04 Member → Silver: nights 10 ≥ 10 in calendar year 2026; valid through 2027-12-31
	// 2026-06-20 Silver → Diamond: points 123,500 ≥ 120,000 in calendar year 2026; valid through 2027-12-31
	// 2028-01-01 Diamond → Gold: review 2027-12-31: Diamond not retained: nights 0 < 60, stays 0 < 30, points 0 < 120,000 in calendar year 2027; soft landing: at most 1 level per review
	// Gold since 2028-01-01: review 2027-12-31: Diamond not retained: nights 0 < 60, stays 0 < 30, points 0 < 120,000 in calendar year 2027; soft landing: at most 1 level per review
	// points: 123500
}

// Agent and channel levels (A/B/C) are bought by fees and earned by purchase
// volume: the same engine with all-of criteria. The benefits (discount,
// training) are named values of each level.
func Example_agentLevels() {
	prog := tier.Program{
		Name:      "Channel Partners",
		Window:    tier.Window{Kind: tier.CalendarYear},
		Downgrade: tier.Downgrade{MaxDrop: 1},
		Levels: []tier.LevelSpec{
			{Name: "C", Benefits: map[string]any{"discount": 0.05, "training": "online"}},
			{Name: "B",
				Entry:    tier.AllOf(tier.AtLeast(tier.MetricFees, 2000), tier.AtLeast(tier.MetricSpend, 50000)),
				Retain:   tier.AllOf(tier.AtLeast(tier.MetricFees, 2000), tier.AtLeast(tier.MetricSpend, 30000)),
				Benefits: map[string]any{"discount": 0.10, "training": "regional"}},
			{Name: "A",
				Entry:    tier.AllOf(tier.AtLeast(tier.MetricFees, 5000), tier.AtLeast(tier.MetricSpend, 200000)),
				Retain:   tier.AllOf(tier.AtLeast(tier.MetricFees, 5000), tier.AtLeast(tier.MetricSpend, 150000)),
				Benefits: map[string]any{"discount": 0.15, "training": "headquarters"}},
		},
	}
	eng, err := tier.Compile(prog)
	if err != nil {
		fmt.Println(err)
		return
	}
	fee := func(agent, day string, v float64) tier.Activity {
		return tier.Activity{Customer: agent, At: date(day), Metric: tier.MetricFees, Value: v}
	}
	order := func(agent, day string, v float64) segkit.Transaction {
		return segkit.Transaction{Customer: agent, At: date(day), Amount: v}
	}
	histories := tier.Group(tier.Sources{
		Activities: slices.Values([]tier.Activity{
			fee("shanghai-01", "2026-01-05", 5000), fee("hangzhou-07", "2026-01-09", 2000), fee("suzhou-03", "2026-02-01", 500),
		}),
		Transactions: slices.Values([]segkit.Transaction{
			order("shanghai-01", "2026-03-01", 120000), order("shanghai-01", "2026-05-10", 95000),
			order("hangzhou-07", "2026-04-12", 64000), order("suzhou-03", "2026-04-20", 80000),
		}),
	})
	for st, err := range eng.EvaluateAll(slices.Values(histories), time.Date(2026, 12, 31, 18, 0, 0, 0, eng.Location())) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		discount, _ := eng.Benefit(st.Level, "discount")
		training, _ := eng.Benefit(st.Level, "training")
		fmt.Printf("%-12s %s since %s  discount %.0f%%  training %s\n", st.Customer, eng.Name(st.Level), st.Since, discount.(float64)*100, training)
	}
	// Output:
	// hangzhou-07  B since 2026-04-12  discount 10%  training regional
	// shanghai-01  A since 2026-05-10  discount 15%  training headquarters
	// suzhou-03    C since 2026-02-01  discount 5%  training online
}

// Progress tells a member how far the next level is and what keeps the
// current one at the next review that can take it away.
func ExampleEngine_Progress() {
	prog, _ := tier.ParseProgram([]byte(hotelJSON))
	eng := tier.MustCompile(prog)
	h := tier.History{Customer: "guest-7", Activities: []tier.Activity{
		{At: date("2026-03-10"), Metric: tier.MetricNights, Value: 12},
		{At: date("2026-03-10"), Metric: tier.MetricStays, Value: 1},
		{At: date("2027-05-02"), Metric: tier.MetricNights, Value: 4},
		{At: date("2027-05-02"), Metric: tier.MetricStays, Value: 1},
	}}
	p, err := eng.Progress(h, time.Date(2027, 6, 1, 18, 0, 0, 0, eng.Location()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("level:", eng.Name(p.Earned))
	fmt.Println("to", eng.Name(p.Next)+":", p.ToNext)
	fmt.Println("to keep it by", p.KeepBy.String()+":", p.ToKeep)
	// Output:
	// level: Silver
	// to Gold: nights 4 of 40 (36 more) or stays 1 of 20 (19 more) or points 0 of 75,000 (75,000 more)
	// to keep it by 2027-12-31: nights 4 of 10 (6 more) or stays 1 of 4 (3 more) or points 0 of 25,000 (25,000 more)
}

// Inconsistent programs are rejected with every problem, each naming the
// level and the field.
func ExampleParseProgram() {
	_, err := tier.ParseProgram([]byte(`{
	  "window": {"kind": "rolling", "months": 12},
	  "levels": [
	    {"name": "Member"},
	    {"name": "Gold", "entry": {"metric": "spend", "min": 10000}, "retain": {"metric": "spend", "min": 12000}},
	    {"name": "Platinum", "entry": {"metric": "spend", "min": 8000}}
	  ]
	}`))
	fmt.Println(err)
	// Output:
	// tier: invalid program: level "Gold": retain.min: retention spend threshold 12,000 is above the entry threshold 10,000; level "Platinum": entry.min: spend threshold 8,000 does not increase over level "Gold" (10,000)
}

// The points ledger: earning, redemption, a refund that takes back what its
// order earned, and expiry after 24 months without activity.
func ExampleTimeline_BalanceAt() {
	eng := tier.MustCompile(tier.Program{
		Window: tier.Window{Kind: tier.CalendarYear},
		Points: tier.Points{PerUnit: 1, InactivityMonths: 24},
		Levels: []tier.LevelSpec{{Name: "Member"}},
	})
	h := tier.History{Customer: "p-1",
		Transactions: []segkit.Transaction{
			{At: date("2025-01-10"), Amount: 800, Order: "A"},
			{At: date("2025-02-01"), Amount: -200, Order: "A"},
		},
		Points: []tier.PointEvent{{At: date("2025-03-01"), Kind: tier.Redeem, Points: 100, Note: "coupon"}},
	}
	tl, _ := eng.Replay(h, time.Date(2025, 12, 31, 18, 0, 0, 0, eng.Location()))
	for _, d := range []string{"2025-01-31", "2025-02-01", "2025-03-01", "2027-02-28", "2027-03-01"} {
		day, _ := segkit.ParseDay(d)
		fmt.Println(d, tl.BalanceAt(day))
	}
	// Output:
	// 2025-01-31 800
	// 2025-02-01 600
	// 2025-03-01 500
	// 2027-02-28 500
	// 2027-03-01 0
}
