package tier_test

import (
	"fmt"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// Levels by growth value (成长值): 1 per yuan and 5 per check-in, half of
// it gone when a year ends, and V3 only for members with at most one
// complaint over the rolling 12 months.
func ExampleGrowth() {
	prog, err := tier.ParseProgram([]byte(`{
	  "metrics": ["checkin", "complaints"],
	  "window": {"kind": "rolling", "months": 12},
	  "review": {"months": 1},
	  "growth": {"per_unit": 1, "rules": [{"name": "check-in", "metric": "checkin", "bonus": 5}],
	             "year_end": "decay", "decay_percent": 50},
	  "levels": [
	    {"name": "V1"},
	    {"name": "V2", "entry": {"metric": "growth", "min": 500}},
	    {"name": "V3", "entry": {"all": [{"metric": "growth", "min": 2000}, {"metric": "complaints", "max": 1}]}}
	  ]
	}`))
	if err != nil {
		panic(err)
	}
	eng, err := tier.Compile(prog)
	if err != nil {
		panic(err)
	}
	at := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t.Add(12 * time.Hour) }
	h := tier.History{Customer: "ann",
		Transactions: []segkit.Transaction{{At: at("2026-03-01"), Amount: 2000, Order: "A1"}},
		Activities: []tier.Activity{
			{At: at("2026-03-02"), Metric: "checkin", Value: 1},
			{At: at("2026-04-02"), Metric: "checkin", Value: 1},
		},
	}
	tl, err := eng.Replay(h, at("2027-02-15"))
	if err != nil {
		panic(err)
	}
	for _, g := range tl.GrowthLog {
		fmt.Printf("%s %-6s %+5d = %4d %s\n", g.Day, g.Kind, g.Growth, g.Balance, g.Note)
	}
	for en := range tl.Changes() {
		fmt.Printf("%s %s → %s: %s\n", en.Day, eng.Name(en.From), eng.Name(en.To), en.Reason)
	}
	// Output:
	// 2026-03-01 earn   +2000 = 2000 order A1
	// 2026-03-02 earn      +5 = 2005 checkin 1
	// 2026-04-02 earn      +5 = 2010 checkin 1
	// 2027-01-01 decay  -1005 = 1005 year end 2026: decay 50%
	// 2026-03-01 V1 → V3: growth 2,000 ≥ 2,000, complaints 0 ≤ 1 over rolling 12 months
	// 2027-02-01 V3 → V2: review 2027-01-31: V3 not retained: growth 1,005 < 2,000 over rolling 12 months; V2 retained: growth 1,005 ≥ 500
}
