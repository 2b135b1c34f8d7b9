package tier_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/tier"
)

// Gold needs spend ≥ 1,000 and at most one complaint over rolling 6
// months; reviews are monthly.
const atMostProgram = `{
  "metrics": ["complaints"],
  "window": {"kind": "rolling", "months": 6},
  "review": {"months": 1},
  "levels": [
    {"name": "Member"},
    {"name": "Gold", "entry": {"all": [{"metric": "spend", "min": 1000}, {"metric": "complaints", "max": 1}]},
     "retain": {"all": [{"metric": "spend", "min": 500}, {"metric": "complaints", "max": 2}]}}
  ]
}`

func complaint(date string, n float64) tier.Activity {
	return tier.Activity{At: at(date), Metric: "complaints", Value: n}
}

func TestAtMostCriteria(t *testing.T) {
	e := engineFromJSON(t, atMostProgram)
	h := tier.History{Customer: "c",
		Activities: []tier.Activity{complaint("2026-01-20", 1), complaint("2026-02-20", 1)},
	}
	h.Transactions = append(h.Transactions, buy("2026-02-25", 1200, "A"))
	// Two complaints keep the member out of Gold although spend is enough.
	require.Equal(t, "Member", levelOn(t, e, h, "2026-02-25"))
	tl, err := e.ReplayDay(h, day("2026-08-31"))
	require.NoError(t, err)
	// The review of June 30 looks at January..June: two complaints; that
	// of July 31 at February..July: one.
	require.Equal(t, []string{"2026-08-01 Member→Gold"}, changes(e, tl))
	var reason string
	for en := range tl.Changes() {
		reason = en.Reason
	}
	require.Contains(t, reason, "complaints 1 ≤ 1")

	// A third complaint later breaks the retention (at most 2) at the next
	// review only when there are three in the window.
	h.Activities = append(h.Activities, complaint("2026-08-05", 1), complaint("2026-08-06", 1))
	h.Transactions = append(h.Transactions, buy("2026-08-10", 600, "B"))
	require.Equal(t, "Gold", levelOn(t, e, h, "2026-08-31"))
	h.Activities = append(h.Activities, complaint("2026-08-07", 1))
	require.Equal(t, "Member", levelOn(t, e, h, "2026-09-01"))

	// Progress says how many complaints too many.
	p, err := e.ProgressDay(tier.History{Customer: "c", Activities: []tier.Activity{complaint("2026-03-01", 3)}}, day("2026-03-02"))
	require.NoError(t, err)
	require.Contains(t, p.ToNext.String(), "complaints 3 of at most 1 (2 too many)")
}

func TestAtMostValidation(t *testing.T) {
	_, err := tier.ParseProgram([]byte(`{
	  "metrics": ["complaints"],
	  "window": {"kind": "calendar_year"},
	  "levels": [
	    {"name": "Member"},
	    {"name": "Silver", "entry": {"all": [{"metric": "spend", "min": 100}, {"metric": "complaints", "max": 2}]},
	     "retain": {"metric": "complaints", "max": 1}},
	    {"name": "Gold", "entry": {"all": [{"metric": "spend", "min": 1000}, {"metric": "complaints", "max": 3, "min": 1}]}},
	    {"name": "Diamond", "entry": {"all": [{"metric": "spend", "min": 5000}, {"metric": "complaints", "max": 4}]}}
	  ]
	}`))
	require.Error(t, err)
	require.Contains(t, err.Error(), `level "Silver": retain.max: retention complaints at-most threshold 1 is below the entry threshold 2`)
	require.Contains(t, err.Error(), `level "Gold": entry.all[1]: set min (at least) or max (at most), not both`)
	require.Contains(t, err.Error(), `level "Diamond": entry.all[1].max: complaints at-most threshold 4 is above level "Gold" (3); a higher level cannot tolerate more`)

	c := tier.AtMost("complaints", 2)
	require.Equal(t, 2.0, *c.Max)
}
