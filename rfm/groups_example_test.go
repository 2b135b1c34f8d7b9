package rfm_test

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/rfm"
)

// The A–E groups on two days and how customers moved between them: fay
// never bought (A, a prospect), eve bought for the first time, bob came
// back for more small orders.
func ExampleTransitionReport() {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	txns := []segkit.Transaction{
		{Customer: "ann", At: day(1, 5), Amount: 500}, {Customer: "ann", At: day(2, 5), Amount: 500},
		{Customer: "bob", At: day(3, 1), Amount: 20}, {Customer: "bob", At: day(9, 1), Amount: 30},
		{Customer: "cat", At: day(4, 1), Amount: 900},
		{Customer: "eve", At: day(9, 1), Amount: 60},
	}
	customers := []string{"ann", "bob", "cat", "eve", "fay"}
	tr, _, after, err := rfm.TransitionReport(slices.Values(txns), day(6, 30), day(12, 31), customers,
		rfm.DefaultConfig(), rfm.AEConfig{FrequencyAbove: 1, OrderValueAbove: 100})
	if err != nil {
		panic(err)
	}
	g, _ := after.Of("bob")
	fmt.Println("bob:", g)
	for _, m := range tr.Moves() {
		fmt.Printf("%s → %s: %d\n", m.From.Letter(), m.To.Letter(), m.Customers)
	}
	_ = tr.WriteText(os.Stdout) // WriteSVG draws the same as a heatmap
	// Output:
	// bob: D 高频低客单 (Frequent)
	// A → B: 1
	// B → D: 1
	// A–E groups from 2026-06-30 (rows) to 2026-12-31 (columns)
	// from \ to     A  B  C  D  E  gone
	// A 潜在客户    1  1  0  0  0  0
	// B 低频低客单  0  0  0  1  0  0
	// C 低频高客单  0  0  1  0  0  0
	// D 高频低客单  0  0  0  0  0  0
	// E 高频高客单  0  0  0  0  1  0
	// new           0  0  0  0  0
	// moves: A→B 1, B→D 1
}
