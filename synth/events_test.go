package synth

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// TestPurchaseCategories: every purchase carries a category; overall shares
// are near 40/30/20/10 %; the index built by Load answers sums and category
// filters exactly as the records say.
func TestPurchaseCategories(t *testing.T) {
	cfg := Reference(3000)
	cfg.Workers = 2
	g := mustNew(t, cfg)
	ix := newIndex(t)
	require.NoError(t, g.Load(context.Background(), ix, LoadConfig{BatchCustomers: 500}))
	v := ix.View()
	today := segkit.DayOf(cfg.End.Add(-time.Second), nil)
	from := today.AddDays(-89)
	counts := map[string]int{}
	total := 0
	math14 := map[string]bool{}
	sum90 := map[string]bitmapindex.Amount{}
	for r := range g.Records() {
		for _, e := range r.Events {
			if e.Name != EventPurchase {
				continue
			}
			c := e.Props[PropCategory]
			require.NotEmpty(t, c, "purchase without a category")
			counts[c]++
			total++
			d := segkit.DayOf(e.At, nil)
			if c == "math" && d > today.AddDays(-14) && d <= today {
				math14[e.Customer] = true
			}
			if d >= from && d <= today {
				a, err := bitmapindex.AmountFromFloat(e.Value)
				require.NoError(t, err)
				sum90[e.Customer] += a
			}
		}
	}
	require.Greater(t, total, 1000)
	for i, c := range PurchaseCategories() {
		share := float64(counts[c]) / float64(total)
		want := float64(purchaseCategories[i].share) / 100
		assert.InDelta(t, want, share, 0.05, "share of %s", c)
	}
	got := v.DidWhere(EventPurchase, today.AddDays(-13), today, bitmapindex.Filter{{Key: PropCategory, Values: []string{"math"}}})
	assert.Equal(t, len(math14), got.Len())
	for k := range math14 {
		assert.True(t, got.ContainsKey(k), k)
	}
	want := 0
	for _, s := range sum90 {
		if s >= 500*10000 {
			want++
		}
	}
	assert.Equal(t, want, v.SumWhere(EventPurchase, from, today, nil, bitmapindex.Ge, 500*10000).Len())
}
