package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/synth"
)

// TestRun runs the example on a smaller population and checks its figures
// against naive counts from the generator's records.
func TestRun(t *testing.T) {
	const n = 4000
	var buf bytes.Buffer
	got, err := run(&buf, n)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), `filter {category: "math"}`)
	assert.Contains(t, buf.String(), `event "purchase" has no property "colour"`)

	cfg := synth.Reference(n)
	cfg.End = now
	g, err := synth.New(cfg)
	require.NoError(t, err)
	today := segkit.DayOf(now, time.UTC)
	in := func(d, from, to segkit.Day) bool { return d >= from && d <= to }
	var math14, double11, trials, converted int
	for r := range g.Records() {
		var buyDays, trialDays []segkit.Day
		m, d11, tr := false, false, false
		for _, e := range r.Events {
			d := segkit.DayOf(e.At, time.UTC)
			if d > today {
				continue
			}
			switch e.Name {
			case synth.EventPurchase:
				buyDays = append(buyDays, d)
				m = m || (e.Props[synth.PropCategory] == "math" && in(d, today-13, today))
				d11 = d11 || in(d, segkit.Date(2026, 11, 1), segkit.Date(2026, 11, 11))
			case synth.EventTrialClass:
				trialDays = append(trialDays, d)
				tr = tr || in(d, today-89, today)
			}
		}
		conv := false
		for _, a := range trialDays {
			for _, b := range buyDays {
				conv = conv || (b >= a && b-a < 7)
			}
		}
		if m {
			math14++
		}
		if d11 {
			double11++
		}
		if tr {
			trials++
			if conv {
				converted++
			}
		}
	}
	assert.Equal(t, math14, got["math buyers, last 14 days"])
	assert.Equal(t, double11, got["双十一 buyers (Nov 1–11)"])
	assert.Equal(t, trials, got["trial takers, last 90 days"])
	assert.Equal(t, converted, got["… who bought within 7 days of a trial (converted)"])
	assert.Greater(t, converted, 0)
	assert.Equal(t, got["充值 500 this month"], got["recharged ≥ 500 in total this month"], "two recharges below 500 never reach 500")
}
