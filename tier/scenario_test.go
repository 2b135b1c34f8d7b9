package tier_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hotel-style program, any-of criteria: Silver 10 nights or 4 stays or
// 25,000 points; Gold 40 / 20 / 75,000; Diamond 60 / 30 / 120,000. Status
// begins the day a threshold is reached and lasts through the end of the
// following calendar year.
func TestHotelProgram(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	type check struct{ day, level string }
	tests := []struct {
		name    string
		history func() tier.History
		changes []string
		checks  []check
	}{
		{
			name: "10 nights reach Silver on the day, valid through the end of next year",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-02-01", 3, 0).stay("2026-03-04", 7, 0)
				return h.History
			},
			changes: []string{"2026-03-04 Member→Silver", "2028-01-01 Silver→Member"},
			checks:  []check{{"2026-03-03", "Member"}, {"2026-03-04", "Silver"}, {"2027-12-31", "Silver"}, {"2028-01-01", "Member"}},
		},
		{
			name: "9 nights and 3 stays are not enough",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-02-01", 3, 0).stay("2026-03-04", 3, 0).stay("2026-05-04", 3, 0)
				return h.History
			},
			checks: []check{{"2026-12-31", "Member"}},
		},
		{
			name: "4 one-night stays reach Silver on the fourth",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-01-10", 1, 0).stay("2026-02-10", 1, 0).stay("2026-03-10", 1, 0).stay("2026-04-10", 1, 0)
				return h.History
			},
			changes: []string{"2026-04-10 Member→Silver", "2028-01-01 Silver→Member"},
		},
		{
			name: "25,000 points (2,500 spent at 10 points per unit) reach Silver",
			history: func() tier.History {
				return tier.History{Customer: "c", Transactions: []segkit.Transaction{
					buy("2026-05-01", 1500, "A"), buy("2026-06-01", 999.9, "B"), buy("2026-06-02", 0.1, "C"),
				}}
			},
			changes: []string{"2026-06-02 Member→Silver", "2028-01-01 Silver→Member"},
		},
		{
			name: "40 nights jump straight to Gold, 60 to Diamond",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-03-01", 40, 0).stay("2026-07-01", 20, 0)
				return h.History
			},
			changes: []string{"2026-03-01 Member→Gold", "2026-07-01 Gold→Diamond", "2028-01-01 Diamond→Member"},
		},
		{
			name: "20 stays reach Gold, 30 Diamond",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				for i := range 30 {
					h.stay(day("2026-01-01").AddDays(i*7).String(), 1, 0)
				}
				return h.History
			},
			changes: []string{"2026-01-22 Member→Silver", "2026-05-14 Silver→Gold", "2026-07-23 Gold→Diamond", "2028-01-01 Diamond→Member"},
		},
		{
			name: "requalifying in the following year extends status by a year",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-03-04", 10, 0).stay("2027-10-01", 12, 0)
				return h.History
			},
			changes: []string{"2026-03-04 Member→Silver", "2029-01-01 Silver→Member"},
			checks:  []check{{"2028-12-31", "Silver"}},
		},
		{
			name: "falling short the following year drops straight to the base level",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-03-04", 45, 0).stay("2027-10-01", 5, 0)
				return h.History
			},
			changes: []string{"2026-03-04 Member→Gold", "2028-01-01 Gold→Member"},
		},
		{
			name: "Gold reached in the second year is valid through the third",
			history: func() tier.History {
				h := &hotelHistory{tier.History{Customer: "c"}}
				h.stay("2026-03-04", 10, 0).stay("2027-08-01", 40, 0)
				return h.History
			},
			changes: []string{"2026-03-04 Member→Silver", "2027-08-01 Silver→Gold", "2029-01-01 Gold→Member"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.history()
			tl, err := e.ReplayDay(h, day("2030-06-30"))
			require.NoError(t, err)
			assert.Equal(t, tc.changes, changes(e, tl))
			for _, c := range tc.checks {
				assert.Equal(t, c.level, levelOn(t, e, h, c.day), "on %s", c.day)
			}
		})
	}

	t.Run("a requalification is part of the reason", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "c"}}
		h.stay("2026-03-04", 10, 0).stay("2027-05-10", 10, 0)
		tl, err := e.ReplayDay(h.History, day("2028-06-30"))
		require.NoError(t, err)
		require.Equal(t, "Silver", e.Name(tl.Level))
		assert.Equal(t, day("2028-12-31"), tl.ValidThrough)
		assert.Equal(t, "Silver since 2026-03-04: nights 10 ≥ 10 in calendar year 2026; valid through 2027-12-31; "+
			"requalified 2028-01-01: review 2027-12-31: Silver retained: nights 10 ≥ 10 in calendar year 2027; valid through 2028-12-31", tl.Explain())
	})

	t.Run("reason and validity are reported", func(t *testing.T) {
		h := &hotelHistory{tier.History{Customer: "c"}}
		h.stay("2026-02-01", 3, 0).stay("2026-03-04", 7, 0)
		tl, err := e.ReplayDay(h.History, day("2026-12-31"))
		require.NoError(t, err)
		assert.Equal(t, "Silver since 2026-03-04: nights 10 ≥ 10 in calendar year 2026; valid through 2027-12-31", tl.Explain())
		assert.True(t, tl.Guaranteed)
		assert.Equal(t, day("2027-12-31"), tl.ValidThrough)
		v, ok := e.Benefit(tl.Level, "late_checkout")
		require.True(t, ok)
		assert.Equal(t, "14:00", v)
	})
}

const softLandingHotel = `{
  "name": "Hotel soft landing",
  "window": {"kind": "calendar_year"},
  "validity": {"kind": "following_year"},
  "downgrade": {"policy": "period_end", "max_drop": %d},
  "levels": [
    {"name": "Member"},
    {"name": "Silver", "entry": {"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": 4}]}},
    {"name": "Gold", "entry": {"any": [{"metric": "nights", "min": 40}, {"metric": "stays", "min": 20}]}},
    {"name": "Diamond", "entry": {"any": [{"metric": "nights", "min": 60}, {"metric": "stays", "min": 30}]}}
  ]
}`

func TestSoftLanding(t *testing.T) {
	tests := []struct {
		name    string
		maxDrop int
		extra   func(h *hotelHistory)
		changes []string
	}{
		{
			name:    "Diamond without activity for a year drops to Gold, then a level a year",
			maxDrop: 1,
			changes: []string{"2026-05-01 Member→Diamond", "2028-01-01 Diamond→Gold", "2029-01-01 Gold→Silver", "2030-01-01 Silver→Member"},
		},
		{
			name:    "without a soft landing Diamond drops to the base level",
			maxDrop: 0,
			changes: []string{"2026-05-01 Member→Diamond", "2028-01-01 Diamond→Member"},
		},
		{
			name:    "dropping at most two levels lands on Silver",
			maxDrop: 2,
			changes: []string{"2026-05-01 Member→Diamond", "2028-01-01 Diamond→Silver", "2029-01-01 Silver→Member"},
		},
		{
			name:    "a lower level whose retention is met is kept even within the limit",
			maxDrop: 3,
			extra:   func(h *hotelHistory) { h.stay("2027-06-01", 45, 0) },
			changes: []string{"2026-05-01 Member→Diamond", "2028-01-01 Diamond→Gold", "2029-01-01 Gold→Member"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engineFromJSON(t, sprintf(softLandingHotel, tc.maxDrop))
			h := &hotelHistory{tier.History{Customer: "d"}}
			h.stay("2026-05-01", 60, 0)
			if tc.extra != nil {
				tc.extra(h)
			}
			tl, err := e.ReplayDay(h.History, day("2031-01-01"))
			require.NoError(t, err)
			assert.Equal(t, tc.changes, changes(e, tl))
		})
	}
	t.Run("the reason names the soft landing", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(softLandingHotel, 1))
		h := &hotelHistory{tier.History{Customer: "d"}}
		h.stay("2026-05-01", 60, 0)
		tl, err := e.ReplayDay(h.History, day("2028-01-01"))
		require.NoError(t, err)
		assert.Equal(t, "Gold since 2028-01-01: review 2027-12-31: Diamond not retained: nights 0 < 60, stays 0 < 30 in calendar year 2027; soft landing: at most 1 level per review", tl.Explain())
	})
}

const inactivityProgram = `{
  "window": {"kind": "calendar_year"},
  "points": {"per_unit": 1, "inactivity_months": 24},
  "levels": [{"name": "Member"}]
}`

func TestInactivityExpiry(t *testing.T) {
	e := engineFromJSON(t, inactivityProgram)
	base := tier.History{Customer: "p", Transactions: []segkit.Transaction{buy("2024-03-15", 500, "A")}}
	tests := []struct {
		name     string
		add      func(h *tier.History)
		before   string // last day with the points
		expireOn string // first day without them
		want     int64  // balance before expiry
	}{
		{name: "24 months without activity zero the balance", add: func(*tier.History) {}, before: "2026-03-14", expireOn: "2026-03-15", want: 500},
		{name: "a purchase resets the clock", add: func(h *tier.History) {
			h.Transactions = append(h.Transactions, buy("2025-01-10", 20, "B"))
		}, before: "2027-01-09", expireOn: "2027-01-10", want: 520},
		{name: "a redemption resets the clock", add: func(h *tier.History) {
			h.Points = append(h.Points, tier.PointEvent{At: at("2025-06-01"), Kind: tier.Redeem, Points: 100})
		}, before: "2027-05-31", expireOn: "2027-06-01", want: 400},
		{name: "an activity resets the clock", add: func(h *tier.History) {
			h.Activities = append(h.Activities, tier.Activity{At: at("2025-02-01"), Metric: "nights", Value: 1})
		}, before: "2027-01-31", expireOn: "2027-02-01", want: 500},
		{name: "an adjustment resets the clock", add: func(h *tier.History) {
			h.Points = append(h.Points, tier.PointEvent{At: at("2026-03-01"), Kind: tier.Adjust, Points: -50, Note: "goodwill correction"})
		}, before: "2028-02-29", expireOn: "2028-03-01", want: 450},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := base
			h.Transactions = append([]segkit.Transaction(nil), base.Transactions...)
			tc.add(&h)
			st, err := e.EvaluateDay(h, day(tc.before))
			require.NoError(t, err)
			assert.Equal(t, tc.want, st.Points)
			st, err = e.EvaluateDay(h, day(tc.expireOn))
			require.NoError(t, err)
			assert.Equal(t, int64(0), st.Points)
			// The projection from the earlier replay agrees.
			tl, err := e.ReplayDay(h, day(tc.before))
			require.NoError(t, err)
			assert.Equal(t, tc.want, tl.BalanceAt(day(tc.before)))
			assert.Equal(t, int64(0), tl.BalanceAt(day(tc.expireOn)), "projection")
		})
	}
	t.Run("new points after the expiry start a new balance", func(t *testing.T) {
		h := base
		h.Transactions = append([]segkit.Transaction(nil), base.Transactions...)
		h.Transactions = append(h.Transactions, buy("2026-04-01", 30, "C"))
		tl, err := e.ReplayDay(h, day("2026-04-30"))
		require.NoError(t, err)
		assert.Equal(t, int64(30), tl.Points)
		require.Len(t, tl.Ledger, 3)
		assert.Equal(t, tier.LedgerExpire, tl.Ledger[1].Kind)
		assert.Equal(t, int64(-500), tl.Ledger[1].Points)
		assert.Equal(t, day("2026-03-15"), tl.Ledger[1].Day)
		assert.Equal(t, "no activity since 2024-03-15 (24 months)", tl.Ledger[1].Note)
	})
}

const rollingProgram = `{
  "name": "Shop VIP",
  "window": {"kind": "rolling", "months": 12},
  "levels": [
    {"name": "Member"},
    {"name": "Gold", "entry": {"metric": "spend", "min": 10000} %s}
  ]
}`

func TestRollingWindow(t *testing.T) {
	h := tier.History{Customer: "r", Transactions: []segkit.Transaction{
		buy("2026-01-10", 6000, "A"), buy("2026-03-04", 6400, "B"),
	}}
	t.Run("upgrade on the qualifying purchase, downgrade at the review after it rolls out", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(rollingProgram, ""))
		tl, err := e.ReplayDay(h, day("2027-12-31"))
		require.NoError(t, err)
		// Monthly reviews (the default for rolling windows): the 6,000 leaves
		// the window on 2027-01-10; the January review finds 6,400 < 10,000.
		assert.Equal(t, []string{"2026-03-04 Member→Gold", "2027-02-01 Gold→Member"}, changes(e, tl))
		assert.Equal(t, "Gold since 2026-03-04: spend 12,400 ≥ 10,000 over rolling 12 months", explainOn(t, e, h, "2026-03-04"))
		assert.Equal(t, "Member since 2027-02-01: review 2027-01-31: Gold not retained: spend 6,400 < 10,000 over rolling 12 months", tl.Explain())
		assert.Equal(t, "Gold", levelOn(t, e, h, "2027-01-31"))
	})
	t.Run("lower retention keeps the level until the window falls below it", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(rollingProgram, `, "retain": {"metric": "spend", "min": 6000}`))
		tl, err := e.ReplayDay(h, day("2027-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-03-04 Member→Gold", "2027-04-01 Gold→Member"}, changes(e, tl))
	})
	t.Run("quarterly reviews", func(t *testing.T) {
		js := `{"window": {"kind": "rolling", "months": 12}, "review": {"months": 3},
		  "levels": [{"name": "Member"}, {"name": "Gold", "entry": {"metric": "spend", "min": 10000}}]}`
		e := engineFromJSON(t, js)
		tl, err := e.ReplayDay(h, day("2027-12-31"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-03-04 Member→Gold", "2027-04-01 Gold→Member"}, changes(e, tl))
	})
}

func explainOn(t *testing.T, e *tier.Engine, h tier.History, d string) string {
	t.Helper()
	tl, err := e.ReplayDay(h, day(d))
	require.NoError(t, err)
	return tl.Explain()
}

const refundProgram = `{
  "window": {"kind": "rolling", "months": 12},
  "review": {"months": 12},
  "revoke_on_refund": %t,
  "points": {"per_unit": 1},
  "levels": [
    {"name": "Member"},
    {"name": "Gold", "entry": {"metric": "spend", "min": 10000}}
  ]
}`

func TestRefundAcrossReview(t *testing.T) {
	t.Run("refund before the review: downgrade at the review", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(refundProgram, false))
		h := tier.History{Customer: "f", Transactions: []segkit.Transaction{
			buy("2026-11-15", 12400, "O1"), buy("2026-12-10", -3000, "O1"),
		}}
		tl, err := e.ReplayDay(h, day("2027-06-30"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-11-15 Member→Gold", "2027-01-01 Gold→Member"}, changes(e, tl))
		assert.Equal(t, "Member since 2027-01-01: review 2026-12-31: Gold not retained: spend 9,400 < 10,000 over rolling 12 months", tl.Explain())
		assert.Equal(t, int64(9400), tl.Points, "the refund took back 3,000 of the 12,400 points")
	})
	t.Run("refund before the review with revocation: downgrade at the refund", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(refundProgram, true))
		h := tier.History{Customer: "f", Transactions: []segkit.Transaction{
			buy("2026-11-15", 12400, "O1"), buy("2026-12-10", -3000, "O1"),
		}}
		tl, err := e.ReplayDay(h, day("2027-06-30"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-11-15 Member→Gold", "2026-12-10 Gold→Member"}, changes(e, tl))
		assert.Equal(t, "Member since 2026-12-10: refund of order O1: Gold entry no longer met: spend 9,400 < 10,000 over rolling 12 months", tl.Explain())
	})
	after := tier.History{Customer: "g", Transactions: []segkit.Transaction{
		buy("2026-11-15", 12400, "O1"), buy("2027-01-10", -3000, "O1"), buy("2027-06-01", 10000, "O2"),
	}}
	for _, revoke := range []bool{false, true} {
		t.Run(sprintf("refund after the review does not undo it (revoke %t)", revoke), func(t *testing.T) {
			e := engineFromJSON(t, sprintf(refundProgram, revoke))
			tl, err := e.ReplayDay(after, day("2028-06-30"))
			require.NoError(t, err)
			// The review of 2026-12-31 retained Gold on 12,400; the refund of
			// 2027-01-10 reverses spend dated 2026-11-15, outside the 2027
			// window, which holds the 10,000 of 2027-06-01: Gold is retained.
			assert.Equal(t, []string{"2026-11-15 Member→Gold"}, changes(e, tl))
			assert.Equal(t, "Gold", levelOn(t, e, after, "2027-01-10"))
		})
	}
	t.Run("an unmatched refund counts on its own date", func(t *testing.T) {
		e := engineFromJSON(t, sprintf(refundProgram, false))
		h := tier.History{Customer: "u", Transactions: []segkit.Transaction{
			buy("2026-11-15", 12400, "O1"), buy("2027-01-10", -3000, ""), buy("2027-06-01", 10000, "O2"),
		}}
		tl, err := e.ReplayDay(h, day("2028-06-30"))
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-11-15 Member→Gold", "2028-01-01 Gold→Member"}, changes(e, tl))
		assert.Contains(t, tl.Explain(), "spend 7,000 < 10,000")
	})
}

func TestReplayIsDeterministic(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	h := richHotelHistory()
	a, err := e.ReplayDay(h, day("2029-06-30"))
	require.NoError(t, err)
	b, err := e.ReplayDay(h, day("2029-06-30"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	e2 := loadEngine(t, "testdata/hotel.json")
	c, err := e2.ReplayDay(h, day("2029-06-30"))
	require.NoError(t, err)
	assert.Equal(t, a.String(), c.String())
	assert.Equal(t, a.Entries, c.Entries)
	assert.Equal(t, a.Ledger, c.Ledger)
}

// richHotelHistory exercises upgrades, refunds, redemptions and overrides.
func richHotelHistory() tier.History {
	h := &hotelHistory{tier.History{Customer: "C-1001"}}
	h.stay("2026-01-20", 2, 380).stay("2026-02-14", 3, 720).stay("2026-03-04", 5, 1100)
	h.stay("2026-05-01", 12, 2600).stay("2026-08-18", 20, 4100)
	h.stay("2027-03-03", 4, 900)
	h.Transactions = append(h.Transactions, buy("2026-05-20", -600, "S4"))
	h.Points = append(h.Points,
		tier.PointEvent{At: at("2026-06-01"), Kind: tier.Redeem, Points: 20000, Note: "free night"},
		tier.PointEvent{At: at("2026-07-04"), Kind: tier.Earn, Points: 5000, Qualifying: true, Note: "partner airline"},
		tier.PointEvent{At: at("2027-02-01"), Kind: tier.Adjust, Points: -1000, Note: "duplicate credit"})
	h.Overrides = append(h.Overrides, tier.Override{At: at("2028-02-01"), Level: 2, Until: at("2028-07-31"), Reason: "status match"})
	return h.History
}

func TestOutOfOrderInputIsSortedStably(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	h := richHotelHistory()
	want, err := e.ReplayDay(h, day("2029-06-30"))
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		g := h
		g.Transactions = shuffled(h.Transactions, rng.Perm(len(h.Transactions)))
		g.Activities = shuffled(h.Activities, rng.Perm(len(h.Activities)))
		g.Points = shuffled(h.Points, rng.Perm(len(h.Points)))
		got, err := e.ReplayDay(g, day("2029-06-30"))
		require.NoError(t, err)
		require.Equal(t, want.Entries, got.Entries, "permutation %d", i)
		require.Equal(t, want.Ledger, got.Ledger, "permutation %d", i)
		require.Equal(t, want.Status, got.Status, "permutation %d", i)
	}

	t.Run("records at the same instant: transactions before point events", func(t *testing.T) {
		e := engineFromJSON(t, `{"window": {"kind": "calendar_year"}, "points": {"per_unit": 1}, "levels": [{"name": "M"}]}`)
		h := tier.History{Customer: "x",
			Points:       []tier.PointEvent{{At: at("2026-01-01"), Kind: tier.Redeem, Points: 100}},
			Transactions: []segkit.Transaction{buy("2026-01-01", 100, "A")},
		}
		st, err := e.EvaluateDay(h, day("2026-01-02"))
		require.NoError(t, err)
		assert.Equal(t, int64(0), st.Points)
		// One second earlier, the redemption comes first and fails.
		h.Points[0].At = h.Points[0].At.Add(-1)
		_, err = e.EvaluateDay(h, day("2026-01-02"))
		require.ErrorIs(t, err, tier.ErrInsufficientPoints)
		var re *tier.RecordError
		require.True(t, errors.As(err, &re))
		assert.Equal(t, "point event", re.Record)
		assert.Equal(t, 0, re.Index)
	})
}

func TestBadRecords(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	tests := []struct {
		name string
		h    tier.History
		want error
		msg  string
	}{
		{"zero time", tier.History{Customer: "a", Transactions: []segkit.Transaction{{Amount: 5}}}, tier.ErrInvalidRecord, `transaction 0`},
		{"foreign customer", tier.History{Customer: "a", Transactions: []segkit.Transaction{{Customer: "b", At: at("2026-01-01"), Amount: 5}}}, tier.ErrInvalidRecord, `customer "b" in the history of "a"`},
		{"NaN amount", tier.History{Customer: "a", Transactions: []segkit.Transaction{{At: at("2026-01-01"), Amount: nan()}}}, tier.ErrInvalidRecord, "not finite"},
		{"unknown activity metric", tier.History{Customer: "a", Activities: []tier.Activity{{At: at("2026-01-01"), Metric: "spa", Value: 1}}}, tier.ErrUnknownMetric, `"spa"`},
		{"activity of a purchase metric", tier.History{Customer: "a", Activities: []tier.Activity{{At: at("2026-01-01"), Metric: "spend", Value: 1}}}, tier.ErrUnknownMetric, `"spend"`},
		{"override to a missing level", tier.History{Customer: "a", Overrides: []tier.Override{{At: at("2026-01-01"), Level: 9}}}, tier.ErrInvalidRecord, "4 levels"},
		{"override ending before it starts", tier.History{Customer: "a", Overrides: []tier.Override{{At: at("2026-01-01"), Level: 1, Until: at("2025-01-01")}}}, tier.ErrInvalidRecord, "before its start"},
		{"negative redemption", tier.History{Customer: "a", Points: []tier.PointEvent{{At: at("2026-01-01"), Kind: tier.Redeem, Points: -5}}}, tier.ErrInvalidRecord, "want > 0"},
		{"unknown point kind", tier.History{Customer: "a", Points: []tier.PointEvent{{At: at("2026-01-01"), Points: 5}}}, tier.ErrInvalidRecord, "kind 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.ReplayDay(tc.h, day("2026-12-31"))
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			var re *tier.RecordError
			require.True(t, errors.As(err, &re))
			assert.Equal(t, "a", re.Customer)
		})
	}
	t.Run("records after the as-of day are not replayed, not even checked", func(t *testing.T) {
		h := tier.History{Customer: "a", Transactions: []segkit.Transaction{buy("2026-01-01", 10, ""), {At: at("2027-01-01"), Amount: nan()}}}
		st, err := e.EvaluateDay(h, day("2026-12-31"))
		require.NoError(t, err)
		assert.Equal(t, 1, st.Ignored)
	})
}
