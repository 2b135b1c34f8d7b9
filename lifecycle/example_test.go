package lifecycle_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/clv"
	"github.com/segkit/segkit/lifecycle"
)

func ExampleHistories_Stages() {
	asOf := segkit.Date(2025, 6, 30)
	var txns []segkit.Transaction
	buy := func(c string, daysAgo ...int) {
		for _, d := range daysAgo {
			txns = append(txns, segkit.Transaction{Customer: c, At: asOf.AddDays(-d).Time(nil), Amount: 10})
		}
	}
	buy("weekly", 3, 10, 17, 24, 31, 38, 45, 52)  // regular, recent
	buy("monthly", 70, 100, 130, 160, 190, 220)   // 70 days > 2 × its 30-day rhythm
	buy("lapsed", 400, 430, 460, 490)             // far beyond its rhythm
	buy("newbie", 5)                              // first purchase 5 days ago
	buy("back", 20, 330, 360, 390, 420, 450, 480) // returned after 310 days away
	h, err := lifecycle.NewHistories(slices.Values(txns), slices.Values([]string{"visitor"}), nil)
	if err != nil {
		panic(err)
	}
	snap, err := h.Stages(asOf.Time(nil), lifecycle.DefaultConfig())
	if err != nil {
		panic(err)
	}
	for _, a := range snap.Assignments {
		fmt.Printf("%-8s %-12s %s\n", a.Customer, a.Stage, a.Reason)
	}
	// Output:
	// back     reactivated  returned on 2025-06-10 after 310 days without a purchase (rhythm: churned beyond 180 days), 20 days ago
	// lapsed   churned      no purchase for 400 days (> 180 days = max(6 × typical gap 30 days, 2 × longest gap 30 days))
	// monthly  at_risk      no purchase for 70 days (> 60 days = 2 × typical gap 30 days)
	// newbie   new          first purchase 5 days ago (< 30)
	// visitor  prospect     no purchase yet
	// weekly   growing      8 purchase days over 52 days, not yet mature
}

func ExampleHistories_Transitions() {
	start := segkit.Date(2025, 1, 1)
	var txns []segkit.Transaction
	buy := func(c string, days ...int) {
		for _, d := range days {
			txns = append(txns, segkit.Transaction{Customer: c, At: start.AddDays(d).Time(nil), Amount: 10})
		}
	}
	buy("a", 0, 14, 28, 42, 56, 70, 84, 98, 112, 126, 140, 154, 168, 182)
	buy("b", 0, 14, 28, 42)
	buy("c", 100) // one purchase, 85 days > 6 × the population's 14-day rhythm
	h, err := lifecycle.NewHistories(slices.Values(txns), nil, nil)
	if err != nil {
		panic(err)
	}
	tr, err := h.Transitions(start.AddDays(60).Time(nil), start.AddDays(185).Time(nil), lifecycle.DefaultConfig())
	if err != nil {
		panic(err)
	}
	for _, m := range tr.Moves {
		fmt.Printf("%s: %s → %s\n", m.Customer, m.From, m.To)
	}
	fmt.Println("stayed growing:", tr.Count(lifecycle.Growing, lifecycle.Growing))
	// Output:
	// a: growing → mature
	// b: growing → churned
	// c: none → churned
	// stayed growing: 0
}

func ExampleFunnel() {
	mon := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	at := func(c, name string, day int) segkit.Event {
		return segkit.Event{Customer: c, Name: name, At: mon.AddDate(0, 0, day)}
	}
	events := []segkit.Event{
		at("u1", "signup", 0), at("u1", "activate", 0), at("u1", "login", 2), at("u1", "purchase", 3), at("u1", "refer", 4),
		at("u2", "signup", 1), at("u2", "activate", 2), at("u2", "login", 5),
		at("u3", "signup", 2), at("u3", "login", 3),
		at("u4", "signup", 8), at("u4", "activate", 9),
	}
	rep, err := lifecycle.Funnel(slices.Values(events), mon.AddDate(0, 0, 14), lifecycle.DefaultFunnelConfig())
	if err != nil {
		panic(err)
	}
	fmt.Print(rep)
	// Output:
	//   cohort  acquisition  activation   retention    revenue    referral
	//   2025-W10            3   2 (66.7%)  2 (100.0%)  1 (50.0%)  1 (100.0%)
	//   2025-W11            1  1 (100.0%)    0 (0.0%)      0 (-)       0 (-)
	//      total            4   3 (75.0%)   2 (66.7%)  1 (50.0%)  1 (100.0%)
}

// The adapter writes stages and model outputs into a bitmap index, where
// segment rules select on them like on any other attribute.
func ExampleUpdate() {
	asOf := segkit.Date(2025, 6, 30)
	var txns []segkit.Transaction
	buy := func(c string, daysAgo ...int) {
		for _, d := range daysAgo {
			txns = append(txns, segkit.Transaction{Customer: c, At: asOf.AddDays(-d).Time(nil), Amount: 10})
		}
	}
	buy("ann", 5, 35, 65, 95)
	buy("bob", 100, 130, 160)
	h, _ := lifecycle.NewHistories(slices.Values(txns), nil, nil)
	snap, _ := h.Stages(asOf.Time(nil), lifecycle.DefaultConfig())
	m := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	preds, _ := clv.Predict(m, []clv.Summary{
		{Customer: "ann", Frequency: 3, Recency: 12.86, T: 13.57},
		{Customer: "bob", Frequency: 2, Recency: 8.57, T: 22.86},
	}, 52)

	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	if err := lifecycle.Update(ix, lifecycle.Output{Stages: snap, Predictions: preds}, lifecycle.DefaultIndexConfig()); err != nil {
		panic(err)
	}
	v := ix.View()
	sleeping, _ := v.WithValue("lifecycle_stage", "sleeping")
	fmt.Println("sleeping:", slices.Collect(sleeping.Keys()))
	alive, _ := v.Compare("p_alive", bitmapindex.Ge, bitmapindex.Decimal(0.5))
	fmt.Println("p_alive >= 0.5:", slices.Collect(alive.Keys()))
	// Output:
	// sleeping: [bob]
	// p_alive >= 0.5: [ann]
}
