package lifecycle_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/lifecycle"
)

func ExampleSummarize() {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	txns := []segkit.Transaction{
		{Customer: "ann", At: day("2025-01-06"), Amount: 20},
		{Customer: "ann", At: day("2025-01-06"), Amount: 5}, // same day: one purchase of 25
		{Customer: "ann", At: day("2025-02-03"), Amount: 30},
		{Customer: "ann", At: day("2025-03-03"), Amount: 40},
		{Customer: "bob", At: day("2025-02-17"), Amount: 15},
		{Customer: "ann", At: day("2025-04-14"), Amount: 50}, // holdout period
	}
	tab, err := lifecycle.Summarize(slices.Values(txns), lifecycle.SummaryConfig{
		CalibrationEnd: segkit.Date(2025, 3, 31),
		HoldoutEnd:     segkit.Date(2025, 4, 30),
		Unit:           lifecycle.Weeks,
	})
	if err != nil {
		panic(err)
	}
	for _, s := range tab.Customers {
		fmt.Printf("%s x=%d t_x=%.2f T=%.2f mean=%.2f holdout=%d\n", s.Customer, s.Frequency, s.Recency, s.T, s.Monetary, s.HoldoutFrequency)
	}
	// Output:
	// ann x=2 t_x=8.00 T=12.00 mean=35.00 holdout=1
	// bob x=0 t_x=0.00 T=6.00 mean=0.00 holdout=0
}

// The BG/NBD at the parameters Fader, Hardie & Lee (2005) estimated on CDNOW
// (in weeks).
func ExampleBGNBD() {
	m := lifecycle.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	c := lifecycle.Summary{Frequency: 2, Recency: 30.43, T: 38.86}
	fmt.Printf("P(alive) = %.3f\n", m.PAlive(c))
	fmt.Printf("E[Y(39)] = %.3f\n", m.ConditionalExpectedPurchases(c, 39))
	fmt.Printf("E[X(39)] = %.3f\n", m.ExpectedPurchases(39))
	fmt.Printf("P(X(39) = 0) = %.4f\n", m.PurchaseProbability(0, 39))
	// Output:
	// P(alive) = 0.727
	// E[Y(39)] = 1.226
	// E[X(39)] = 1.197
	// P(X(39) = 0) = 0.5738
}

func ExampleFitBGNBD() {
	// A summary file (here inline): repeat purchases, recency and age in weeks.
	const csv = `ID,frequency,recency,T
1,2,30.43,38.86
2,1,1.71,38.86
3,0,0,38.86
4,0,0,38.86
5,0,0,38.86
6,7,29.43,38.86
7,1,5,38.86
8,0,0,38.86
9,2,35.71,38.86
10,0,0,38.86
11,5,24.43,38.86
12,0,0,38.86
13,0,0,38.86
14,0,0,38.86
15,0,0,38.86
16,0,0,38.86
17,10,34.14,38.86
18,1,4.86,38.86
19,3,28.29,38.86
20,0,0,38.86
`
	data, err := lifecycle.ReadSummaryCSV(strings.NewReader(csv), lifecycle.DefaultSummaryColumns())
	if err != nil {
		panic(err)
	}
	m, rep, err := lifecycle.FitBGNBD(data, lifecycle.FitConfig{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("converged=%v n=%d loglik=%.2f\n", rep.Converged, rep.N, rep.LogLik)
	fmt.Printf("E[X(52)] = %.2f purchases a year\n", m.ExpectedPurchases(52))
	// Output:
	// converged=true n=20 loglik=-117.25
	// E[X(52)] = 2.31 purchases a year
}

func ExampleCLV() {
	purchases := lifecycle.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426} // weeks
	spend := lifecycle.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	c := lifecycle.Summary{Frequency: 2, Recency: 30.43, T: 38.86, Monetary: 22.35}
	// Twelve 30-day months, 1 % discount a month.
	v, err := lifecycle.CLV(purchases, spend, c, lifecycle.DefaultCLVConfig(lifecycle.Weeks))
	if err != nil {
		panic(err)
	}
	fmt.Printf("expected spend per purchase %.2f, CLV %.2f\n", spend.ExpectedSpend(c), v)
	// Output:
	// expected spend per purchase 24.66, CLV 35.88
}

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
	snap, err := h.Stages(asOf, lifecycle.DefaultConfig())
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
	tr, err := h.Transitions(start.AddDays(60), start.AddDays(185), lifecycle.DefaultConfig())
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
	snap, _ := h.Stages(asOf, lifecycle.DefaultConfig())
	m := lifecycle.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	preds, _ := lifecycle.Predict(m, []lifecycle.Summary{
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
