package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/synth"
)

// testCustomers keeps the test fast under -race; the program's logic is the
// same at any size.
const testCustomers = 6_000

// TestRun runs the example on a smaller population and checks its key
// figures against naive counts computed from the generator's records.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	got, err := run(&buf, testCustomers)
	require.NoError(t, err)
	text := buf.String()

	// Naive references from the generated records.
	g, err := synth.New(population(testCustomers))
	require.NoError(t, err)
	today := segkit.DayOf(now, time.UTC)
	sendDay := segkit.DayOf(sendAt, time.UTC)
	want := map[string]int{}
	holdoutBought := 0
	sp := campaign.MustSplitter("side-income-2026-06",
		campaign.Group{Name: armHoldout, Ratio: 0.2},
		campaign.Group{Name: armA, Ratio: 0.4},
		campaign.Group{Name: armB, Ratio: 0.4})
	for r := range g.Records() {
		var firstTrial, firstPurchase segkit.Day = -1, -1
		trials, purchases, boughtAfterSend := 0, 0, false
		var lastLogin segkit.Day = -1
		for _, e := range r.Events {
			d := segkit.DayOf(e.At, time.UTC)
			switch e.Name {
			case synth.EventTrialClass:
				if trials == 0 {
					firstTrial = d
				}
				trials++
			case synth.EventPurchase:
				if purchases == 0 {
					firstPurchase = d
				}
				purchases++
				if d > sendDay && d <= sendDay.AddDays(measureDays) {
					boughtAfterSend = true
				}
			case synth.EventLogin:
				lastLogin = d
			}
		}
		// Every purchase of this one-year-old business is in the index.
		require.Len(t, r.Transactions, purchases, r.Key)
		if trials > 0 {
			want["trial_takers"]++
		}
		if purchases > 0 {
			want["buyers"]++
		}
		if purchases >= 2 {
			want["repeat_buyers"]++
		}
		if firstTrial >= 0 && today.Sub(firstTrial) < 7 {
			want["first_trial_7d"]++
		}
		if firstPurchase >= 0 && today.Sub(firstPurchase) < 30 {
			want["first_purchase_30d"]++
		}
		if lastLogin < 0 || today.Sub(lastLogin) >= 30 {
			want["no_login_30d"]++
		}
		if trials > 0 && purchases == 0 {
			want["trial_not_bought"]++
		}
		// The holdout received nothing, so its conversions are exactly
		// the generated purchases: none is simulated.
		if boughtAfterSend && sp.Assign(r.Key) == armHoldout && got.AudienceSet.ContainsKey(r.Key) {
			holdoutBought++
		}
	}

	assert.Equal(t, testCustomers, got.Customers)
	sum := got.Unassigned
	for _, d := range personas {
		assert.Greater(t, got.PersonaMembers[d.Name], testCustomers/10, d.Name)
		sum += got.PersonaMembers[d.Name]
	}
	assert.Equal(t, testCustomers, sum, "persona members + unassigned")
	for name, n := range want {
		assert.Equal(t, n, got.Segments[name], name)
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+name+` +`+regexp.QuoteMeta(thousands(n))+` `), text, name)
	}

	// The campaign: the arms partition the audience, every exposure is
	// read, and the simulated effect of message A on young mothers is found.
	assert.Equal(t, got.Audience, got.Arms[armHoldout]+got.Arms[armA]+got.Arms[armB])
	res := got.Results
	require.NotNil(t, res)
	assert.Equal(t, got.Audience, res.Customers)
	hold, ok := res.Group(armHoldout)
	require.True(t, ok)
	assert.Equal(t, holdoutBought, hold.Converted)
	assert.Equal(t, got.Arms[armHoldout], hold.Exposed)
	require.NotNil(t, res.SampleRatio)
	assert.Greater(t, res.SampleRatio.P, 0.001)
	var mothers *campaign.Results
	for _, s := range res.Slices {
		if s.Label == "宝妈" {
			mothers = s.Results
		}
	}
	require.NotNil(t, mothers, "slice 宝妈")
	a, ok := mothers.Group(armA)
	require.True(t, ok)
	require.NotNil(t, a.Lift)
	assert.Greater(t, a.Lift.Absolute, 0.0)
	assert.Less(t, a.Lift.P, 0.01)
	assert.Contains(t, text, `campaign results: control "holdout"`)
}
