package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// TestMall checks the growth value of every generated member against a
// plain recomputation (earn per record, 30% off at each year end), the
// level criteria against the balances and complaint counts, and the rules'
// counts against a direct look at the members.
func TestMall(t *testing.T) {
	var buf bytes.Buffer
	got, err := run(&buf, guests)
	require.NoError(t, err)
	eng, err := compile(mallJSON)
	require.NoError(t, err)
	loc := eng.Location()
	require.Len(t, got.Members, guests)

	direct := make([]int, len(mallRules))
	for _, m := range got.Members {
		// Growth: per year, the year's earnings added, then 30% taken
		// (rounded down) at the year end.
		earned := map[int]int64{}
		for _, tx := range m.History.Transactions {
			y, _, _ := segkit.DayOf(tx.At, loc).Date()
			earned[y] += int64(math.Floor(tx.Amount))
		}
		for _, a := range m.History.Activities {
			y, _, _ := segkit.DayOf(a.At, loc).Date()
			switch a.Metric {
			case "checkin":
				earned[y] += 2
			case "review":
				earned[y] += 20
			case "referral":
				earned[y] += 200
			}
		}
		var bal int64
		for y := 2022; y <= 2027; y++ {
			bal += earned[y]
			if y < 2027 {
				bal -= int64(math.Floor(float64(bal) * 0.3))
			}
		}
		require.Equal(t, bal, m.Status.Growth, m.History.Customer)

		// The balance only grew since the February review, which took
		// anyone below their level's growth down.
		level := eng.Name(m.Status.Level)
		switch level {
		case "V4":
			assert.GreaterOrEqual(t, bal, int64(20000), m.History.Customer)
		case "V3":
			assert.GreaterOrEqual(t, bal, int64(8000), m.History.Customer)
		}
		if level == "V3" || level == "V4" {
			if m.Score.Band == "poor" {
				direct[0]++
			}
		}
		if level == "V1" && m.Score.Band == "excellent" {
			direct[1]++
		}
		if m.Status.Growth >= 10000 && (m.Score.Band == "excellent" || m.Score.Band == "good") {
			direct[2]++
		}
	}
	for i, r := range mallRules {
		assert.Equal(t, direct[i], got.MallRules[r.src], r.src)
		assert.Positive(t, direct[i], r.src)
	}
	for l := range eng.Levels() {
		assert.Positive(t, got.MallLevels[eng.Name(tier.Level(l))], "every level has members")
	}
	for _, b := range []string{"excellent", "good", "fair", "poor"} {
		assert.Positive(t, got.Bands[b], b)
	}
	assert.Contains(t, buf.String(), "decay")
	assert.Contains(t, buf.String(), "complaints 0 ≤ 1")
}
