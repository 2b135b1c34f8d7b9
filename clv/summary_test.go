package clv

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// TestSummarizeCDNOW reproduces cdnow_summary_with_monetary.csv from the raw
// transactions. The calibration end 1997-09-30 is inclusive: the file has
// customers whose last calibration purchase is on that day with t_x = T
// (e.g. customer 59: 1997-01-04 and 1997-09-30 give x = 1, t_x = T = 38.43),
// and T of a customer who first bought on 1997-01-01 is 272 days = 38.86
// weeks, the day difference to 1997-09-30.
func TestSummarizeCDNOW(t *testing.T) {
	txns, err := ReadCDNOW(openData(t, "cdnow_sample.txt"))
	require.NoError(t, err)
	require.Len(t, txns, 6919)
	tab, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(1997, 9, 30), Unit: Weeks})
	require.NoError(t, err)
	want := cdnowMonetary(t)
	require.Len(t, tab.Customers, len(want))
	assert.Zero(t, tab.Late)
	got := make(map[string]Summary, len(tab.Customers))
	for _, s := range tab.Customers {
		got[s.Customer] = s
	}
	bad := 0
	for _, w := range want {
		g, ok := got[w.Customer]
		if !assert.True(t, ok, "customer %s missing", w.Customer) {
			continue
		}
		if g.Frequency != w.Frequency || round2(g.Recency) != w.Recency || round2(g.T) != w.T || math.Abs(g.Monetary-w.Monetary) > 0.01 {
			bad++
			if bad <= 10 {
				t.Errorf("customer %s: got x=%d t_x=%.4f T=%.4f m=%.4f, want %d %.2f %.2f %.2f", w.Customer, g.Frequency, g.Recency, g.T, g.Monetary, w.Frequency, w.Recency, w.T, w.Monetary)
			}
		}
	}
	assert.Zero(t, bad, "customers that differ")
	// Transactions after the calibration end are ignored without a holdout.
	ignored := 0
	for _, tx := range txns {
		if segkit.DayOf(tx.At, nil) > segkit.Date(1997, 9, 30) {
			ignored++
		}
	}
	assert.Equal(t, ignored, tab.Ignored)
}

func TestSummarizeHoldout(t *testing.T) {
	d := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 10, 0, 0, 0, time.UTC) }
	txns := []segkit.Transaction{
		{Customer: "a", At: d(2024, 1, 1), Amount: 10},
		{Customer: "a", At: d(2024, 1, 1), Amount: 5}, // same day: merged
		{Customer: "a", At: d(2024, 1, 8), Amount: 20},
		{Customer: "a", At: d(2024, 1, 15), Amount: 40},
		{Customer: "a", At: d(2024, 2, 2), Amount: 7}, // holdout
		{Customer: "a", At: d(2024, 2, 2), Amount: 3}, // holdout, same day
		{Customer: "a", At: d(2024, 2, 5), Amount: 1}, // holdout
		{Customer: "b", At: d(2024, 1, 31), Amount: 9},
		{Customer: "c", At: d(2024, 2, 3), Amount: 9},  // first purchase in holdout: late
		{Customer: "a", At: d(2024, 3, 1), Amount: 99}, // after holdout: ignored
	}
	tab, err := Summarize(slices.Values(txns), SummaryConfig{
		CalibrationEnd: segkit.Date(2024, 1, 31), HoldoutEnd: segkit.Date(2024, 2, 29),
	})
	require.NoError(t, err)
	assert.Equal(t, 1, tab.Ignored)
	assert.Equal(t, 1, tab.Late)
	assert.InDelta(t, 29.0, tab.HoldoutLength, 1e-12)
	require.Len(t, tab.Customers, 2)
	a := tab.Customers[0]
	assert.Equal(t, Summary{
		Customer: "a", Frequency: 2, Recency: 14, T: 30, Monetary: 30,
		First: segkit.Date(2024, 1, 1), Last: segkit.Date(2024, 1, 15),
		HoldoutFrequency: 2, HoldoutValue: 11,
	}, a)
	b := tab.Customers[1]
	assert.Equal(t, Summary{Customer: "b", T: 0, First: segkit.Date(2024, 1, 31), Last: segkit.Date(2024, 1, 31)}, b)
}

func TestSummarizeTimeZone(t *testing.T) {
	// 23:30 UTC on Jan 1 is Jan 2 in Shanghai: one purchase day in UTC, two in Shanghai.
	sh := time.FixedZone("CST", 8*3600)
	txns := []segkit.Transaction{
		{Customer: "a", At: time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC), Amount: 1},
		{Customer: "a", At: time.Date(2024, 1, 1, 23, 30, 0, 0, time.UTC), Amount: 1},
	}
	utc, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(2024, 1, 10)})
	require.NoError(t, err)
	assert.Equal(t, 0, utc.Customers[0].Frequency)
	cst, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(2024, 1, 10), Location: sh})
	require.NoError(t, err)
	assert.Equal(t, 1, cst.Customers[0].Frequency)
	assert.Equal(t, 1.0, cst.Customers[0].Recency)
}

func TestSummarizeErrors(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		tx   segkit.Transaction
		want string
	}{
		{"empty key", segkit.Transaction{At: at, Amount: 1}, `clv: transaction 1 (customer "", 2024-01-01T00:00:00Z): empty customer key`},
		{"zero time", segkit.Transaction{Customer: "x", Amount: 1}, `clv: transaction 1 (customer "x", zero time): zero time`},
		{"NaN", segkit.Transaction{Customer: "x", At: at, Amount: math.NaN()}, `amount NaN is not a finite number`},
		{"Inf", segkit.Transaction{Customer: "x", At: at, Amount: math.Inf(1)}, `amount +Inf is not a finite number`},
		{"refund", segkit.Transaction{Customer: "x", At: at, Amount: -3}, `negative amount -3`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			txns := []segkit.Transaction{{Customer: "ok", At: at, Amount: 1}, c.tx}
			_, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(2024, 2, 1)})
			var te *segkit.TransactionError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, 1, te.Pos)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := Summarize(slices.Values([]segkit.Transaction{}), SummaryConfig{CalibrationEnd: 10, HoldoutEnd: 5})
	assert.ErrorContains(t, err, "holdout end")
	_, err = Summarize(slices.Values([]segkit.Transaction{}), SummaryConfig{Unit: 9})
	assert.ErrorContains(t, err, "unknown unit")
}

func TestValidateSummaries(t *testing.T) {
	cases := []struct {
		name string
		s    Summary
		want string // "" = valid
	}{
		{"ok repeat", Summary{Frequency: 2, Recency: 3, T: 5, Monetary: 1}, ""},
		{"ok one-time", Summary{T: 5}, ""},
		{"ok tx equals T", Summary{Frequency: 1, Recency: 5, T: 5}, ""},
		{"negative x", Summary{Frequency: -1, T: 1}, "frequency -1: must not be negative"},
		{"NaN recency", Summary{Frequency: 1, Recency: math.NaN(), T: 1}, "recency NaN: is not a finite number"},
		{"negative recency", Summary{Frequency: 1, Recency: -1, T: 1}, "recency -1: must not be negative"},
		{"Inf T", Summary{T: math.Inf(1)}, "T +Inf: is not a finite number"},
		{"negative T", Summary{T: -2}, "T -2: must not be negative"},
		{"tx > T", Summary{Frequency: 1, Recency: 6, T: 5}, "recency 6: exceeds T 5"},
		{"x=0 with recency", Summary{Recency: 1, T: 5}, "recency 1: must be 0 for a customer without repeat purchases"},
		{"NaN monetary", Summary{Frequency: 1, Recency: 1, T: 5, Monetary: math.NaN()}, "monetary NaN: is not a finite number"},
		{"negative monetary", Summary{Frequency: 1, Recency: 1, T: 5, Monetary: -1}, "monetary -1: must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.s.Customer = "c7"
			err := ValidateSummaries([]Summary{{T: 1}, c.s})
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			var de *DataError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, 1, de.Row)
			assert.Equal(t, fmt.Sprintf(`clv: row 1 (customer "c7"): %s`, c.want), err.Error())
		})
	}
}

func TestSummarizeExcludes(t *testing.T) {
	p, _ := segkit.ParsePeriod("双十一=2025-11-01..2025-11-11")
	day := func(m time.Month, d int) time.Time { return segkit.Date(2025, m, d).Time(nil) }
	txns := []segkit.Transaction{
		{Customer: "a", At: day(10, 1), Amount: 10},
		{Customer: "a", At: day(11, 5), Amount: 300},
		{Customer: "a", At: day(12, 1), Amount: 20},
		{Customer: "b", At: day(11, 11), Amount: 50},
	}
	tab, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(2025, 12, 31), Exclude: []segkit.Period{p}})
	require.NoError(t, err)
	require.Equal(t, []segkit.Excluded{{Period: p, Records: 2}}, tab.Excluded)
	require.Len(t, tab.Customers, 1)
	require.Equal(t, 1, tab.Customers[0].Frequency)
	require.Equal(t, 20.0, tab.Customers[0].Monetary)
}
