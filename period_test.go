package segkit_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
)

func TestParsePeriod(t *testing.T) {
	p, err := segkit.ParsePeriod("双十一=2026-11-01..2026-11-11")
	require.NoError(t, err)
	require.Equal(t, segkit.Period{Name: "双十一", From: segkit.Date(2026, 11, 1), To: segkit.Date(2026, 11, 11)}, p)
	require.Equal(t, 11, p.Days())
	require.Equal(t, "双十一=2026-11-01..2026-11-11", p.String())
	back, err := segkit.ParsePeriod(p.String())
	require.NoError(t, err)
	require.Equal(t, p, back)

	p, err = segkit.ParsePeriod("2026-06-18")
	require.NoError(t, err)
	require.Equal(t, segkit.Period{From: segkit.Date(2026, 6, 18), To: segkit.Date(2026, 6, 18)}, p)
	require.Equal(t, "2026-06-18..2026-06-18", p.Label())

	for _, bad := range []string{"", "=2026-01-01", "2026-01-05..2026-01-01", "2026-13-01", "x..2026-01-01", "2026-01-01..y"} {
		_, err := segkit.ParsePeriod(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "segkit: period")
	}
}

func TestExclusion(t *testing.T) {
	var none *segkit.Exclusion
	require.False(t, none.Active())
	require.False(t, none.Drop(0))
	require.Nil(t, none.Report())

	a := segkit.Period{Name: "618", From: segkit.Date(2026, 6, 1), To: segkit.Date(2026, 6, 18)}
	b := segkit.Period{Name: "late june", From: segkit.Date(2026, 6, 15), To: segkit.Date(2026, 6, 30)}
	ex, err := segkit.NewExclusion([]segkit.Period{a, b})
	require.NoError(t, err)
	dropped := 0
	for d := segkit.Date(2026, 5, 25); d <= segkit.Date(2026, 7, 5); d++ {
		if ex.Drop(d) {
			dropped++
		}
	}
	require.Equal(t, 30, dropped)
	// Days in both periods count in the first.
	require.Equal(t, []segkit.Excluded{{Period: a, Records: 18}, {Period: b, Records: 12}}, ex.Report())
	require.Equal(t, "excluded 618 (2026-06-01..2026-06-18): 18 transactions removed; excluded late june (2026-06-15..2026-06-30): 12 transactions removed",
		segkit.ExclusionSummary(ex.Report(), "transactions"))

	_, err = segkit.NewExclusion([]segkit.Period{{From: 5, To: 4}})
	require.Error(t, err)
}

func ExampleExclusion() {
	p, err := segkit.ParsePeriod("双十一=2026-11-01..2026-11-11")
	if err != nil {
		panic(err)
	}
	ex, _ := segkit.NewExclusion([]segkit.Period{p})
	zone := segkit.NewZone(nil)
	txns := []segkit.Transaction{
		{Customer: "ann", At: segkit.Date(2026, 10, 30).Time(nil), Amount: 20},
		{Customer: "ann", At: segkit.Date(2026, 11, 11).Time(nil), Amount: 999},
		{Customer: "bob", At: segkit.Date(2026, 11, 12).Time(nil), Amount: 35},
	}
	for t := range ex.Transactions(slices.Values(txns), zone) {
		fmt.Println(t.Customer, t.Amount)
	}
	fmt.Println(segkit.ExclusionSummary(ex.Report(), "transactions"))
	// Output:
	// ann 20
	// bob 35
	// excluded 双十一 (2026-11-01..2026-11-11): 1 transactions removed
}
