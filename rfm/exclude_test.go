package rfm

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
)

// Excluding periods equals analysing the transactions outside them, and
// the counts of what was removed are those of a plain filter.
func TestAnalyzeExcludesPeriods(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 5))
		txns, _ := randomTxns(rng, 100+rng.IntN(300))
		p1, _ := segkit.ParsePeriod("双十一=2026-11-01..2026-11-11")
		p2, _ := segkit.ParsePeriod("618=2026-06-01..2026-06-18")
		now := segkit.Date(2026, 12, 31).Time(nil)
		cfg := DefaultConfig()
		cfg.Exclude = []segkit.Period{p1, p2}
		got, err := Analyze(slices.Values(txns), now, cfg)
		require.NoError(t, err)

		var kept []segkit.Transaction
		removed := []int{0, 0}
		for _, tx := range txns {
			d := segkit.DayOf(tx.At, nil)
			switch {
			case p1.Contains(d):
				removed[0]++
			case p2.Contains(d):
				removed[1]++
			default:
				kept = append(kept, tx)
			}
		}
		want, err := Analyze(slices.Values(kept), now, DefaultConfig())
		require.NoError(t, err)
		require.Equal(t, []segkit.Excluded{{Period: p1, Records: removed[0]}, {Period: p2, Records: removed[1]}}, got.Excluded)
		require.Equal(t, len(want.Customers), len(got.Customers))
		for i := range want.Customers {
			require.Equal(t, want.Customers[i], got.Customers[i])
		}
		require.Nil(t, want.Excluded)
	}
	_, err := Analyze(slices.Values([]segkit.Transaction{{Customer: "a", Amount: 1}}), segkit.Date(2026, 1, 1).Time(nil),
		Config{Exclude: []segkit.Period{{From: 5, To: 1}}})
	require.ErrorContains(t, err, "rfm: segkit: excluded period 0")
}
