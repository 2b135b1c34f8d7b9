package retention_test

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/retention"
)

func ExampleFromTransactions() {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	txs := []segkit.Transaction{
		{Customer: "ann", At: day(1, 5), Amount: 30},
		{Customer: "ann", At: day(2, 9), Amount: 12},
		{Customer: "bob", At: day(1, 20), Amount: 8},
		{Customer: "bob", At: day(3, 1), Amount: 25},
		{Customer: "cid", At: day(2, 14), Amount: 40},
		{Customer: "cid", At: day(3, 30), Amount: 40},
		{Customer: "dan", At: day(2, 28), Amount: 5},
	}
	m, _ := retention.FromTransactions(context.Background(), slices.Values(txs), retention.Month, time.UTC)
	_ = m.WriteCSV(os.Stdout)
	// Output:
	// cohort,size,period,retained,share
	// 2026-01,2,1,1,0.500000
	// 2026-01,2,2,1,0.500000
	// 2026-02,2,1,1,0.500000
}
