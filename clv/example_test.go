package clv_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/clv"
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
	tab, err := clv.Summarize(slices.Values(txns), clv.SummaryConfig{
		CalibrationEnd: segkit.Date(2025, 3, 31),
		HoldoutEnd:     segkit.Date(2025, 4, 30),
		Unit:           clv.Weeks,
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
	m := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	c := clv.Summary{Frequency: 3, Recency: 28, T: 39} // a made-up customer
	fmt.Printf("P(alive) = %.3f\n", m.PAlive(c))
	fmt.Printf("E[Y(39)] = %.3f\n", m.ConditionalExpectedPurchases(c, 39))
	fmt.Printf("E[X(39)] = %.3f\n", m.ExpectedPurchases(39))
	fmt.Printf("P(X(39) = 0) = %.4f\n", m.PurchaseProbability(0, 39))
	// Output:
	// P(alive) = 0.684
	// E[Y(39)] = 1.638
	// E[X(39)] = 1.197
	// P(X(39) = 0) = 0.5738
}

func ExampleFitBGNBD() {
	// A made-up summary file (here inline): repeat purchases, recency and
	// age in weeks.
	const csv = `ID,frequency,recency,T
c01,1,23.7,40.0
c02,5,15.4,40.0
c03,1,3.5,40.0
c04,5,38.3,40.0
c05,0,0,40.0
c06,3,33.3,40.0
c07,2,34.5,40.0
c08,2,4.6,40.0
c09,1,0.8,40.0
c10,3,4.9,40.0
c11,1,10.8,40.0
c12,1,2.1,40.0
c13,4,6.6,40.0
c14,1,30.7,40.0
c15,1,0.3,40.0
c16,1,1.5,40.0
c17,1,35.7,40.0
c18,5,34.7,40.0
c19,1,7.1,40.0
c20,2,12.8,40.0
c21,2,0.7,40.0
c22,8,33.4,40.0
c23,1,25.0,40.0
c24,0,0,40.0
c25,0,0,40.0
c26,3,36.1,40.0
c27,0,0,40.0
c28,2,2.1,40.0
c29,1,9.9,40.0
c30,1,0.3,40.0
`
	data, err := clv.ReadSummaryCSV(strings.NewReader(csv), clv.DefaultSummaryColumns())
	if err != nil {
		panic(err)
	}
	m, rep, err := clv.FitBGNBD(data, clv.FitConfig{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("converged=%v n=%d loglik=%.2f\n", rep.Converged, rep.N, rep.LogLik)
	fmt.Printf("E[X(52)] = %.2f purchases a year\n", m.ExpectedPurchases(52))
	// Output:
	// converged=true n=30 loglik=-213.01
	// E[X(52)] = 2.35 purchases a year
}

func ExampleCLV() {
	purchases := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426} // weeks
	spend := clv.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	c := clv.Summary{Frequency: 3, Recency: 28, T: 39, Monetary: 20} // a made-up customer, spending 20 a purchase
	// Twelve 30-day months, 1 % discount a month.
	v, err := clv.CLV(purchases, spend, c, clv.DefaultCLVConfig(clv.Weeks))
	if err != nil {
		panic(err)
	}
	fmt.Printf("expected spend per purchase %.2f, CLV %.2f\n", spend.ExpectedSpend(c), v)
	// Output:
	// expected spend per purchase 21.94, CLV 42.51
}
