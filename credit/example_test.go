package credit_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/credit"
)

func ExampleModel_Score() {
	sc, err := credit.ParseScorecard([]byte(`{
	  "base": 600,
	  "characteristics": [
	    {"name": "late_payments", "kind": "count", "event": "late_payment", "days": 365,
	     "monotonic": "decreasing",
	     "bins": [{"max": 1, "points": 20}, {"min": 1, "max": 3, "points": -15}, {"min": 3, "points": -60}]},
	    {"name": "verified", "kind": "attribute", "attribute": "verified", "missing": -20,
	     "bins": [{"values": ["true"], "points": 15}, {"values": ["false"], "points": -20}]}
	  ],
	  "bands": [
	    {"name": "good", "min": 600, "restrictions": {"credit_days": 30}},
	    {"name": "fair", "min": 560, "restrictions": {"cash_on_delivery": true, "order_limit": 5000}},
	    {"name": "poor", "restrictions": {"prepay": true, "manual_review": true}}
	  ]
	}`))
	if err != nil {
		panic(err)
	}
	m, err := credit.Compile(sc)
	if err != nil {
		panic(err)
	}
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	r, err := m.Score(credit.Customer{
		Key:        "ann",
		Attributes: map[string]bitmapindex.Value{"verified": bitmapindex.Bool(true)},
		Events: []segkit.Event{
			{Name: "late_payment", At: day("2026-03-02")},
			{Name: "late_payment", At: day("2026-09-14")},
		},
	}, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Print(r.Explain())
	// Output:
	// ann: score 600, band "good" (credit 30 days)
	//   late_payments = 2 (1–3): -15 points, 35 below the best
	//   verified = true (true): +15 points
}

// Fit learns points from outcomes: here a single characteristic, verified
// identity, whose customers default 20 times in 620 against 80 in 380.
func ExampleFit() {
	sc := credit.Scorecard{
		Characteristics: []credit.Characteristic{{
			Name: "verified", Kind: credit.Attribute, Attribute: "verified",
			Bins: []credit.Bin{{Values: []string{"true"}}, {Values: []string{"false"}}},
		}},
		Bands: []credit.Band{{Name: "all"}},
	}
	var samples []credit.Sample
	add := func(verified bool, n int, bad bool) {
		cu := credit.Customer{Attributes: map[string]bitmapindex.Value{"verified": bitmapindex.Bool(verified)}}
		for range n {
			samples = append(samples, credit.Sample{Customer: cu, Bad: bad})
		}
	}
	add(true, 600, false)
	add(true, 20, true)
	add(false, 300, false)
	add(false, 80, true)
	f, err := credit.Fit(sc, slices.Values(samples), segkit.Date(2026, 1, 1).Time(nil), credit.DefaultFitConfig())
	if err != nil {
		panic(err)
	}
	for _, b := range f.Stats[0].Bins {
		fmt.Printf("%-5s goods %d bads %d WoE %+.4f IV %.4f\n", b.Bin, b.Goods, b.Bads, b.WoE, b.IV)
	}
	c := f.Scorecard.Characteristics[0]
	fmt.Printf("IV %.4f; base %d, verified %+d, unverified %+d\n", f.Stats[0].IV, f.Scorecard.Base, c.Bins[0].Points, c.Bins[1].Points)
	// Output:
	// true  goods 600 bads 20 WoE +1.2040 IV 0.5619
	// false goods 300 bads 80 WoE -0.8755 IV 0.4086
	// IV 0.9704; base 551, verified +35, unverified -25
}

func ExampleUpdate() {
	ix, err := bitmapindex.New(bitmapindex.Config{})
	if err != nil {
		panic(err)
	}
	results := []credit.Result{{Customer: "ann", Score: 640, Band: "good"}, {Customer: "bob", Score: 530, Band: "poor"}}
	if err := credit.Update(ix, credit.Output{Results: credit.Results(results)}, credit.DefaultIndexConfig()); err != nil {
		panic(err)
	}
	v := ix.View()
	poor, _ := v.WithValue("credit_band", "poor")
	low, _ := v.Compare("credit_score", bitmapindex.Lt, bitmapindex.Int(600))
	fmt.Println(slices.Collect(poor.Keys()), low.Len())
	// Output:
	// [bob] 1
}
