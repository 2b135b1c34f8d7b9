package tier_test

import (
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const lifetimeProgram = `{
  "window": {"kind": "calendar_year"},
  "validity": {"kind": "following_year"},
  "lifetime": [{"level": "Gold", "years": 2}],
  "levels": [
    {"name": "Member"},
    {"name": "Silver", "entry": {"metric": "nights", "min": 10}},
    {"name": "Gold", "entry": {"metric": "nights", "min": 40}}
  ]
}`

func TestLifetimeStatus(t *testing.T) {
	e := engineFromJSON(t, lifetimeProgram)
	t.Run("two years at Gold grant it for life", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "l"}}
		h.stay("2025-12-01", 40, 0).stay("2026-06-01", 40, 0)
		tl, err := e.ReplayDay(h.History, day("2035-01-01"))
		require.NoError(t, err)
		// 730 days from 2025-12-01 is 2027-12-01; without activity in 2027
		// Gold would have ended on 2028-01-01.
		assert.Equal(t, []string{"2025-12-01 Member→Gold"}, changes(e, tl))
		assert.Equal(t, level(t, e, "Gold"), tl.Lifetime)
		var life []tier.Entry
		for _, en := range tl.Entries {
			if en.Kind == tier.EntryLifetime {
				life = append(life, en)
			}
		}
		require.Len(t, life, 1)
		assert.Equal(t, day("2027-12-01"), life[0].Day)
		assert.Equal(t, "lifetime Gold: 730 days at Gold or above", life[0].Reason)
	})
	t.Run("721 days are not enough", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "l"}}
		h.stay("2026-01-10", 40, 0)
		tl, err := e.ReplayDay(h.History, day("2030-01-01"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-01-10 Member→Gold", "2028-01-01 Gold→Member"}, changes(e, tl))
		assert.Equal(t, tier.Level(0), tl.Lifetime)
	})
	t.Run("separate stints at Gold add up", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "l"}}
		// Gold 2026-01-10 .. 2027-12-31 (721 days), Member in 2028, Gold
		// again from 2029-03-01: the 9 missing days run out on 2029-03-10.
		h.stay("2026-01-10", 40, 0).stay("2029-03-01", 40, 0)
		tl, err := e.ReplayDay(h.History, day("2040-01-01"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-01-10 Member→Gold", "2028-01-01 Gold→Member", "2029-03-01 Member→Gold"}, changes(e, tl))
		assert.Equal(t, level(t, e, "Gold"), tl.Lifetime)
		var lifeDay segkit.Day
		for _, en := range tl.Entries {
			if en.Kind == tier.EntryLifetime {
				lifeDay = en.Day
			}
		}
		assert.Equal(t, day("2029-03-10"), lifeDay)
	})
	t.Run("a lifetime floor limits a downgrade from a higher level", func(t *testing.T) {
		js := `{"window": {"kind": "calendar_year"}, "validity": {"kind": "following_year"},
		  "lifetime": [{"level": "Silver", "years": 1}],
		  "levels": [{"name": "Member"}, {"name": "Silver", "entry": {"metric": "nights", "min": 10}},
		             {"name": "Gold", "entry": {"metric": "nights", "min": 40}}]}`
		e := engineFromJSON(t, js)
		h := &hotelHistory{tier.History{Customer: "l"}}
		h.stay("2026-01-10", 40, 0)
		tl, err := e.ReplayDay(h.History, day("2030-01-01"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-01-10 Member→Gold", "2028-01-01 Gold→Silver"}, changes(e, tl))
		assert.Contains(t, tl.Explain(), "; lifetime Silver")
	})
}

const graceProgram = `{
  "window": {"kind": "rolling", "months": 12},
  "review": {"months": 12},
  "downgrade": {"policy": "grace", "grace_days": 60},
  "levels": [
    {"name": "Member"},
    {"name": "Gold", "entry": {"metric": "spend", "min": 10000}, "retain": {"metric": "spend", "min": 8000}}
  ]
}`

func TestGracePeriod(t *testing.T) {
	e := engineFromJSON(t, graceProgram)
	t.Run("the level drops when the grace ends", func(t *testing.T) {
		h := tier.History{Customer: "g", Transactions: []segkit.Transaction{buy("2026-02-01", 12000, "A")}}
		// Review 2026-12-31 keeps Gold (12,000 in the window); review
		// 2027-12-31 finds 0 < 8,000: grace through 2028-02-29 (60 days).
		tl, err := e.ReplayDay(h, day("2028-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-02-01 Member→Gold", "2028-03-01 Gold→Member"}, changes(e, tl))
		st, err := e.EvaluateDay(h, day("2028-02-01"))
		require.NoError(t, err)
		assert.True(t, st.Grace)
		assert.Equal(t, day("2028-02-29"), st.GraceEnds)
		assert.Equal(t, "Gold", e.Name(st.Level))
	})
	t.Run("meeting the retention criteria during grace keeps the level", func(t *testing.T) {
		h := tier.History{Customer: "g", Transactions: []segkit.Transaction{
			buy("2026-02-01", 12000, "A"), buy("2028-01-20", 8500, "B"),
		}}
		tl, err := e.ReplayDay(h, day("2028-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-02-01 Member→Gold"}, changes(e, tl))
		var kinds []tier.EntryKind
		for _, en := range tl.Entries {
			kinds = append(kinds, en.Kind)
		}
		assert.Equal(t, []tier.EntryKind{tier.EntryStart, tier.EntryUpgrade, tier.EntryGrace, tier.EntryGraceCleared}, kinds)
		assert.Equal(t, "Gold retained again: spend 8,500 ≥ 8,000 over rolling 12 months", tl.Entries[3].Reason)
		assert.False(t, tl.Grace)
	})
}

func TestOverrides(t *testing.T) {
	e := engineFromJSON(t, `{"window": {"kind": "calendar_year"}, "points": {"per_unit": 1},
	  "levels": [{"name": "Member"}, {"name": "Silver", "multiplier": 2, "entry": {"metric": "spend", "min": 1000}},
	             {"name": "Gold", "multiplier": 3, "entry": {"metric": "spend", "min": 5000}}]}`)
	gold := level(t, e, "Gold")
	t.Run("an override holds until it expires, and earns at its level", func(t *testing.T) {
		h := tier.History{Customer: "o",
			Overrides:    []tier.Override{{At: at("2026-05-01"), Level: gold, Until: at("2026-08-31"), Reason: "status match"}},
			Transactions: []segkit.Transaction{buy("2026-04-01", 100, "A"), buy("2026-06-01", 100, "B")},
		}
		tl, err := e.ReplayDay(h, day("2026-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-05-01 Member→Gold", "2026-09-01 Gold→Member"}, changes(e, tl))
		assert.Equal(t, int64(100+300), tl.Points, "the June purchase earned at Gold's multiplier")
		st, err := e.EvaluateDay(h, day("2026-08-31"))
		require.NoError(t, err)
		assert.True(t, st.Override)
		assert.Equal(t, day("2026-08-31"), st.OverrideUntil)
		assert.Equal(t, gold, st.Level)
		assert.Equal(t, tier.Level(0), st.Earned)
	})
	t.Run("what is earned during an override applies when it ends", func(t *testing.T) {
		h := tier.History{Customer: "o",
			Overrides:    []tier.Override{{At: at("2026-05-01"), Level: gold, Until: at("2026-08-31")}},
			Transactions: []segkit.Transaction{buy("2026-06-01", 1200, "A")},
		}
		tl, err := e.ReplayDay(h, day("2026-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-05-01 Member→Gold", "2026-09-01 Gold→Silver"}, changes(e, tl))
		// The upgrade under the override is in the audit, invisible in the level.
		var up tier.Entry
		for _, en := range tl.Entries {
			if en.Kind == tier.EntryUpgrade {
				up = en
			}
		}
		assert.Equal(t, gold, up.From)
		assert.Equal(t, gold, up.To)
		assert.Equal(t, level(t, e, "Silver"), up.Earned)
	})
	t.Run("a permanent override, a downgrade override and a cancellation", func(t *testing.T) {
		h := tier.History{Customer: "o",
			Transactions: []segkit.Transaction{buy("2026-01-10", 6000, "A")},
			Overrides: []tier.Override{
				{At: at("2026-02-01"), Level: 0, Reason: "fraud review"},
				{At: at("2026-03-01"), Cancel: true, Reason: "cleared"},
			},
		}
		st, err := e.EvaluateDay(h, day("2026-02-15"))
		require.NoError(t, err)
		assert.True(t, st.Override && st.OverridePermanent)
		assert.Equal(t, tier.Level(0), st.Level)
		tl, err := e.ReplayDay(h, day("2026-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-01-10 Member→Gold", "2026-02-01 Gold→Member", "2026-03-01 Member→Gold"}, changes(e, tl))
		assert.Equal(t, "Gold since 2026-03-01: override cancelled: cleared", tl.Explain())
	})
}

func TestUpgradeAtPeriodEndWithAnniversaryYear(t *testing.T) {
	e := engineFromJSON(t, `{"window": {"kind": "anniversary_year"}, "upgrade": "period_end",
	  "levels": [{"name": "Member"}, {"name": "Gold", "entry": {"metric": "spend", "min": 5000}}]}`)
	h := tier.History{Customer: "a", Joined: at("2026-03-15"), Transactions: []segkit.Transaction{
		buy("2026-06-01", 6000, "A"), buy("2027-05-01", 1000, "B"),
	}}
	tl, err := e.ReplayDay(h, day("2029-01-01"))
	require.NoError(t, err)
	// Reviewed on each anniversary's eve: 2027-03-14 upgrades, 2028-03-14
	// finds 1,000 in the membership year from 2027-03-15 and downgrades.
	assert.Equal(t, []string{"2027-03-15 Member→Gold", "2028-03-15 Gold→Member"}, changes(e, tl))
	assert.Equal(t, "Gold since 2027-03-15: review 2027-03-14: spend 6,000 ≥ 5,000 in the membership year from 2026-03-15",
		explainOn(t, e, h, "2027-06-01"))
	assert.Equal(t, "Member", levelOn(t, e, h, "2027-03-14"))
}

func TestNeverDowngrade(t *testing.T) {
	e := engineFromJSON(t, `{"window": {"kind": "rolling", "months": 6}, "downgrade": {"policy": "never"},
	  "levels": [{"name": "Member"}, {"name": "VIP", "entry": {"metric": "orders", "min": 3}}]}`)
	h := tier.History{Customer: "n", Transactions: []segkit.Transaction{
		buy("2026-01-01", 10, "A"), buy("2026-01-02", 10, "B"), buy("2026-01-03", 10, "C"),
	}}
	tl, err := e.ReplayDay(h, day("2036-01-01"))
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-01-03 Member→VIP"}, changes(e, tl))
}

func TestTimeZoneDecidesTheDay(t *testing.T) {
	js := `{"window": {"kind": "calendar_year"}, "time_zone": "%s",
	  "levels": [{"name": "Member"}, {"name": "Gold", "entry": {"metric": "spend", "min": 100}}]}`
	// 2026-12-31 20:00 UTC is already 2027-01-01 in Shanghai.
	h := tier.History{Customer: "z", Transactions: []segkit.Transaction{{At: at("2026-12-31").Add(8 * 3600e9), Amount: 100}}}
	utc := engineFromJSON(t, sprintf(js, "UTC"))
	sh := engineFromJSON(t, sprintf(js, "Asia/Shanghai"))
	tu, err := utc.ReplayDay(h, day("2027-06-30"))
	require.NoError(t, err)
	ts, err := sh.ReplayDay(h, day("2027-06-30"))
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-12-31 Member→Gold"}, changes(utc, tu))
	assert.Equal(t, []string{"2027-01-01 Member→Gold"}, changes(sh, ts))
	assert.Equal(t, "Member", levelOn(t, sh, h, "2026-12-31"))
}

func TestProgress(t *testing.T) {
	hotel := loadEngine(t, "testdata/hotel.json")
	t.Run("distance to the next level, any of three ways", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "p"}}
		h.stay("2026-02-01", 3, 800).stay("2026-04-01", 4, 600)
		p, err := hotel.ProgressDay(h.History, day("2026-05-01"))
		require.NoError(t, err)
		require.True(t, p.HasNext)
		assert.Equal(t, level(t, hotel, "Silver"), p.Next)
		assert.False(t, p.ToNext.Met())
		assert.Equal(t, "nights 7 of 10 (3 more) or stays 2 of 4 (2 more) or points 14,000 of 25,000 (11,000 more)", p.ToNext.String())
		assert.True(t, p.Secure, "the base level cannot be lost")
	})
	t.Run("what keeps Silver at the next review that can take it", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "p"}}
		h.stay("2026-03-04", 10, 0).stay("2027-02-01", 6, 0)
		p, err := hotel.ProgressDay(h.History, day("2027-03-01"))
		require.NoError(t, err)
		assert.False(t, p.Secure)
		// Valid through 2027-12-31, so the 2026 review could not take it;
		// the 2027 review can, on the 2027 calendar year.
		assert.Equal(t, day("2027-12-31"), p.KeepBy)
		assert.Equal(t, "nights 6 of 10 (4 more) or stays 1 of 4 (3 more) or points 0 of 25,000 (25,000 more)", p.ToKeep.String())
		require.Len(t, p.ToKeep.Any, 3)
		assert.Equal(t, 4.0, p.ToKeep.Any[0].Short())
	})
	t.Run("rolling window: only what stays inside the window counts", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(rollingProgram, ""))
		h := tier.History{Customer: "p", Transactions: []segkit.Transaction{
			buy("2026-01-10", 6000, "A"), buy("2026-03-04", 6400, "B"),
		}}
		p, err := e.ProgressDay(h, day("2026-12-20"))
		require.NoError(t, err)
		assert.Equal(t, day("2026-12-31"), p.KeepBy)
		assert.True(t, p.ToKeep.Met())
		p, err = e.ProgressDay(h, day("2027-01-05"))
		require.NoError(t, err)
		assert.Equal(t, day("2027-01-31"), p.KeepBy)
		assert.Equal(t, "spend 6,400 of 10,000 (3,600 more)", p.ToKeep.String())
	})
	t.Run("all-of criteria for agents", func(t *testing.T) {
		e := loadEngine(t, "testdata/agent.json")
		h := tier.History{Customer: "ag",
			Activities:   []tier.Activity{{At: at("2026-01-05"), Metric: "fees", Value: 2000}},
			Transactions: []segkit.Transaction{buy("2026-02-01", 30000, "P1")},
		}
		p, err := e.ProgressDay(h, day("2026-03-01"))
		require.NoError(t, err)
		assert.Equal(t, "fees 2,000 of 2,000 (met) and spend 30,000 of 50,000 (20,000 more)", p.ToNext.String())
	})
	t.Run("upgrades at period end measure the review's window", func(t *testing.T) {
		e := engineFromJSON(t, `{"window": {"kind": "rolling", "months": 3}, "upgrade": "period_end", "review": {"months": 3},
		  "levels": [{"name": "Member"}, {"name": "Gold", "entry": {"metric": "spend", "min": 1000}}]}`)
		h := tier.History{Customer: "p", Transactions: []segkit.Transaction{buy("2026-02-10", 700, "A"), buy("2026-05-10", 400, "B")}}
		p, err := e.ProgressDay(h, day("2026-05-15"))
		require.NoError(t, err)
		assert.Equal(t, day("2026-06-30"), p.UpgradeReview)
		assert.Equal(t, "spend 400 of 1,000 (600 more)", p.ToNext.String())
	})
}
