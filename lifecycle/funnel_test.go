package lifecycle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Monday 2025-03-03 starts ISO week 10.
var w10 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func ev(c, name string, days float64) segkit.Event {
	return segkit.Event{Customer: c, Name: name, At: w10.Add(time.Duration(days * 24 * float64(time.Hour)))}
}

func funnelEvents() []segkit.Event {
	return []segkit.Event{
		// u1 goes all the way.
		ev("u1", "signup", 0), ev("u1", "activate", 0.1), ev("u1", "login", 1), ev("u1", "purchase", 2), ev("u1", "refer", 3),
		// u2 activates too late (day 10 ≥ 7).
		ev("u2", "signup", 1), ev("u2", "activate", 11), ev("u2", "login", 12),
		// u3 logs in on the activation day (not retention) and again 3 days later.
		ev("u3", "signup", 2), ev("u3", "activate", 2.1), ev("u3", "login", 2.2), ev("u3", "login", 5),
		// u4 pays before activating, never after: revenue only when unordered.
		ev("u4", "signup", 3), ev("u4", "purchase", 3.5), ev("u4", "activate", 4), ev("u4", "login", 6),
		// u5 has no signup: unattributed.
		ev("u5", "login", 1), ev("u5", "purchase", 2),
		// u6 signs up after the as-of time: ignored.
		ev("u6", "signup", 30),
		// u7 signs up twice; the first one counts (week 10), and page views are not funnel events.
		ev("u7", "pageview", 0), ev("u7", "signup", 6), ev("u7", "signup", 8), ev("u7", "activate", 9),
		// u8 is in week 11.
		ev("u8", "signup", 7), ev("u8", "activate", 7), ev("u8", "login", 9), ev("u8", "purchase", 9.5),
	}
}

func TestFunnel(t *testing.T) {
	events := funnelEvents()
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	asOf := w10.AddDate(0, 0, 20)
	rep, err := Funnel(slices.Values(events), asOf, DefaultFunnelConfig())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Unattributed)
	assert.Equal(t, 1, rep.Ignored)
	require.Len(t, rep.Cohorts, 2)
	w := rep.Cohorts[0]
	assert.Equal(t, "2025-W10", w.Cohort)
	assert.Equal(t, segkit.Date(2025, 3, 3), w.Start)
	//                       acq act ret rev ref
	assert.Equal(t, [5]int{5, 4, 3, 1, 1}, w.Counts, "u1 u2 u3 u4 u7")
	assert.Equal(t, [5]int{1, 1, 1, 1, 0}, rep.Cohorts[1].Counts)
	assert.Equal(t, "2025-W11", rep.Cohorts[1].Cohort)
	assert.Equal(t, [5]int{6, 5, 4, 2, 1}, rep.Total.Counts)
	assert.InDelta(t, 0.8, w.Conversion(StepActivation), 1e-12)
	assert.InDelta(t, 0.75, w.Conversion(StepRetention), 1e-12)
	assert.InDelta(t, 0.2, w.Rate(StepRevenue), 1e-12)
	assert.Equal(t, 1.0, w.Conversion(StepAcquisition))
	assert.Equal(t, 0, rep.Cohorts[1].Count(StepReferral))
	assert.True(t, math.IsNaN(FunnelRow{}.Conversion(StepActivation)))
	assert.True(t, math.IsNaN(FunnelRow{}.Rate(StepRevenue)))
	golden(t, "funnel.golden", rep.String())

	// Unordered: each step on its own, relative to acquisition.
	cfg := DefaultFunnelConfig()
	cfg.Ordered = false
	cfg.Cohort = CohortMonth
	un, err := Funnel(slices.Values(events), asOf, cfg)
	require.NoError(t, err)
	require.Len(t, un.Cohorts, 1)
	assert.Equal(t, "2025-03", un.Cohorts[0].Cohort)
	assert.Equal(t, segkit.Date(2025, 3, 1), un.Cohorts[0].Start)
	// u4 now counts for revenue; u2's late login counts for retention.
	assert.Equal(t, [5]int{6, 5, 5, 3, 1}, un.Total.Counts)

	// Cut before most activity: no look-ahead.
	early, err := Funnel(slices.Values(events), w10.Add(12*time.Hour), DefaultFunnelConfig())
	require.NoError(t, err)
	assert.Equal(t, [5]int{1, 1, 0, 0, 0}, early.Total.Counts)
}

// TestFunnelProperties: ordered counts never increase along the funnel and
// never exceed the unordered ones.
func TestFunnelProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	names := []string{"signup", "activate", "login", "purchase", "refer", "other"}
	var events []segkit.Event
	for i := range 500 {
		c := fmt.Sprintf("c%d", i)
		for range rng.IntN(12) {
			events = append(events, ev(c, names[rng.IntN(len(names))], rng.Float64()*60))
		}
	}
	asOf := w10.AddDate(0, 0, 45)
	ordered, err := Funnel(slices.Values(events), asOf, DefaultFunnelConfig())
	require.NoError(t, err)
	cfg := DefaultFunnelConfig()
	cfg.Ordered = false
	loose, err := Funnel(slices.Values(events), asOf, cfg)
	require.NoError(t, err)
	require.Equal(t, len(ordered.Cohorts), len(loose.Cohorts))
	for i, row := range ordered.Cohorts {
		for s := StepActivation; s < numSteps; s++ {
			assert.LessOrEqual(t, row.Counts[s], row.Counts[s-1], "%s %s", row.Cohort, s)
			assert.LessOrEqual(t, row.Counts[s], loose.Cohorts[i].Counts[s])
		}
		assert.Equal(t, row.Counts[0], loose.Cohorts[i].Counts[0])
		assert.Equal(t, row.Cohort, loose.Cohorts[i].Cohort)
		if i > 0 {
			assert.Less(t, ordered.Cohorts[i-1].Start, row.Start)
		}
	}
	total := 0
	for _, row := range ordered.Cohorts {
		total += row.Counts[0]
	}
	assert.Equal(t, total, ordered.Total.Counts[0])
}

func TestFunnelErrors(t *testing.T) {
	ok := DefaultFunnelConfig()
	cases := []struct {
		name   string
		cfg    func(*FunnelConfig)
		events []segkit.Event
		asOf   time.Time
		want   string
	}{
		{"no acquisition events", func(c *FunnelConfig) { c.Acquisition = nil }, nil, w10, "lifecycle: funnel config Acquisition: at least one event name is needed"},
		{"empty name", func(c *FunnelConfig) { c.Revenue = []string{""} }, nil, w10, "lifecycle: funnel config revenue: empty event name"},
		{"negative window", func(c *FunnelConfig) { c.ActivationDays = -1 }, nil, w10, "lifecycle: funnel config ActivationDays: -1 must not be negative"},
		{"negative retention", func(c *FunnelConfig) { c.RetentionDays = -2 }, nil, w10, "lifecycle: funnel config RetentionDays: -2 must not be negative"},
		{"bad cohort", func(c *FunnelConfig) { c.Cohort = 5 }, nil, w10, "lifecycle: funnel config Cohort: unknown period 5"},
		{"zero as-of", nil, nil, time.Time{}, "lifecycle: funnel: zero as-of time"},
		{"empty customer", nil, []segkit.Event{ev("a", "signup", 0), {Name: "signup", At: w10}}, w10, `lifecycle: event 1 (customer "", "signup"): empty customer key`},
		{"empty name", nil, []segkit.Event{{Customer: "a", At: w10}}, w10, `lifecycle: event 0 (customer "a", ""): empty event name`},
		{"zero time", nil, []segkit.Event{{Customer: "a", Name: "x"}}, w10, `lifecycle: event 0 (customer "a", "x"): zero time`},
		{"NaN value", nil, []segkit.Event{{Customer: "a", Name: "x", At: w10, Value: math.NaN()}}, w10, `lifecycle: event 0 (customer "a", "x"): value NaN is not a finite number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			_, err := Funnel(slices.Values(c.events), c.asOf, cfg)
			assert.EqualError(t, err, c.want)
		})
	}
	assert.Equal(t, "变现", StepRevenue.Chinese())
	assert.Equal(t, "referral", StepReferral.String())
	assert.Equal(t, "Step(9)", Step(9).String())
}
