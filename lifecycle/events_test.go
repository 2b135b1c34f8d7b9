package lifecycle_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/lifecycle"
)

// Stages from an event stream equal the stages from transactions on the
// same days, with reasons that name the event instead of purchases; other
// events are ignored.
func TestStagesFromEvents(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var txns []segkit.Transaction
	var evs []segkit.Event
	for c := range 300 {
		key := fmt.Sprintf("c%03d", c)
		for range rng.IntN(12) {
			at := segkit.Date(2025, 1, 1).AddDays(rng.IntN(540)).Time(nil)
			txns = append(txns, segkit.Transaction{Customer: key, At: at, Amount: 10})
			evs = append(evs, segkit.Event{Customer: key, Name: "login", At: at})
			evs = append(evs, segkit.Event{Customer: key, Name: "view", At: at.AddDate(0, 0, 3)})
		}
	}
	byTx, err := lifecycle.NewHistories(slices.Values(txns), nil, nil)
	require.NoError(t, err)
	byEv, err := lifecycle.Build(lifecycle.Source{Events: slices.Values(evs), Activity: "login"})
	require.NoError(t, err)
	require.Equal(t, "login", byEv.Activity())
	asOf := segkit.Date(2026, 6, 30)
	for _, cfg := range []lifecycle.Config{lifecycle.DefaultConfig(), func() lifecycle.Config {
		c := lifecycle.DefaultConfig()
		c.Family = lifecycle.Fixed
		return c
	}()} {
		a, err := byTx.Stages(asOf.Time(nil), cfg)
		require.NoError(t, err)
		b, err := byEv.Stages(asOf.Time(nil), cfg)
		require.NoError(t, err)
		require.Equal(t, len(a.Assignments), len(b.Assignments))
		for i := range a.Assignments {
			x, y := a.Assignments[i], b.Assignments[i]
			require.Equal(t, x.Stage, y.Stage)
			require.Equal(t, "login", y.Reason.Activity)
			y.Reason.Activity = ""
			require.Equal(t, x.Reason, y.Reason)
			want := strings.ReplaceAll(x.Reason.String(), "purchase", "login")
			y.Reason.Activity = "login"
			require.Equal(t, want, y.Reason.String())
		}
	}
	// An example reason.
	h, err := lifecycle.Build(lifecycle.Source{Activity: "login", Events: slices.Values([]segkit.Event{
		{Customer: "u", Name: "login", At: segkit.Date(2026, 1, 1).Time(nil)},
		{Customer: "u", Name: "login", At: segkit.Date(2026, 1, 8).Time(nil)},
		{Customer: "u", Name: "login", At: segkit.Date(2026, 1, 15).Time(nil)},
	})})
	require.NoError(t, err)
	cfg := lifecycle.DefaultConfig()
	cfg.Family = lifecycle.Fixed
	snap, err := h.Stages(segkit.Date(2026, 5, 1).Time(nil), cfg)
	require.NoError(t, err)
	require.Regexp(t, `^no login for 106 days \(> `, snap.Assignments[0].Reason.String())

	_, err = lifecycle.Build(lifecycle.Source{Events: slices.Values(evs)})
	require.ErrorContains(t, err, "Activity")
	_, err = lifecycle.Build(lifecycle.Source{Activity: "login", Events: slices.Values([]segkit.Event{{Name: "login"}})})
	var ee *lifecycle.EventError
	require.ErrorAs(t, err, &ee)
}

// Excluded periods drop the transactions in them and say how many.
func TestHistoriesExclude(t *testing.T) {
	p, _ := segkit.ParsePeriod("双十一=2026-11-01..2026-11-11")
	txns := []segkit.Transaction{
		{Customer: "a", At: segkit.Date(2026, 10, 31).Time(nil), Amount: 5},
		{Customer: "a", At: segkit.Date(2026, 11, 1).Time(nil), Amount: 5},
		{Customer: "b", At: segkit.Date(2026, 11, 11).Time(nil), Amount: 5},
		{Customer: "b", At: segkit.Date(2026, 11, 12).Time(nil), Amount: 5},
	}
	h, err := lifecycle.Build(lifecycle.Source{Transactions: slices.Values(txns), Exclude: []segkit.Period{p}})
	require.NoError(t, err)
	require.Equal(t, []segkit.Excluded{{Period: p, Records: 2}}, h.Excluded())
	d, _ := h.Days("a")
	require.Equal(t, []segkit.Day{segkit.Date(2026, 10, 31)}, d)
	d, _ = h.Days("b")
	require.Equal(t, []segkit.Day{segkit.Date(2026, 11, 12)}, d)
}
