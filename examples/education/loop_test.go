package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/synth"
)

// TestLoop runs the example at its full size and checks the loop: the
// design's baseline against a count over the generated records, the
// multi-metric readout against the campaign results, the responder
// analysis finding the simulated finance interest and the 618 overlap, the
// refined persona and the second campaign.
func TestLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("the loop needs the full population to find the responders")
	}
	got, err := run(io.Discard, customers)
	require.NoError(t, err)

	// the design's baseline, counted from the generated records
	g, err := synth.New(population(customers))
	require.NoError(t, err)
	day := segkit.DayOf(sendAt, time.UTC)
	start := day.AddDays(-measureDays)
	eligible, bought := 0, 0
	for r := range g.Records() {
		before, after := false, false
		for _, e := range r.Events {
			if e.Name != synth.EventPurchase {
				continue
			}
			d := segkit.DayOf(e.At, time.UTC)
			if d >= start.AddDays(-29) && d <= start {
				before = true
			}
			if d > start && d <= day {
				after = true
			}
		}
		if !before {
			eligible++
			if after {
				bought++
			}
		}
	}
	want, err := campaign.Design{Baseline: float64(bought) / float64(eligible), MDE: 0.03, Ratio: 2}.SampleSize()
	require.NoError(t, err)
	require.NotEmpty(t, got.Designs)
	assert.Equal(t, want, got.Designs[0])

	// conversions read as one of several metrics agree with the campaign results
	require.NotNil(t, got.Metrics)
	for _, c := range got.Metrics.Metrics[0].Comparisons {
		g, ok := got.Results.Group(c.Group)
		require.True(t, ok)
		assert.InDelta(t, g.Lift.Absolute, c.Difference, 1e-12)
		assert.InDelta(t, g.Lift.P, c.P, 1e-12)
	}

	// the responders: the simulated interest, and the 618 overlap
	rep := got.Responders
	require.NotNil(t, rep)
	var top campaign.Proportion
	var topRule string
	for _, tr := range rep.Traits {
		if !strings.Contains(tr.Rule, "&&") {
			top, topRule = tr.With, tr.Rule
			assert.True(t, tr.Significant(rep.FDR), tr.Label)
			break
		}
	}
	assert.Equal(t, `"finance" in interests`, topRule, "the strongest single trait")
	assert.Greater(t, top.Trials, 0)
	assert.Contains(t, strings.Join(rep.Warnings, "\n"), "618")
	assert.Contains(t, strings.Join(rep.Suggestions, "\n"), `add to persona 宝妈 (only`)

	// the refined persona and the second campaign
	assert.Equal(t, topRule, got.Refined.Conditions[len(got.Refined.Conditions)-1].Rule)
	assert.Greater(t, got.SecondSize, got.Audience)
	require.NotNil(t, got.Second)
	a, ok := got.Second.Group(armA)
	require.True(t, ok)
	require.NotNil(t, a.Lift)
	assert.Greater(t, a.Lift.Absolute, 0.0)
	assert.Less(t, a.Lift.P, 0.01)
}
