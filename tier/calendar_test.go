package tier

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func refAddMonths(d segkit.Day, n int) segkit.Day {
	t := d.Time(time.UTC)
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return segkit.DayOf(time.Date(first.Year(), first.Month(), min(t.Day(), last), 0, 0, 0, 0, time.UTC), time.UTC)
}

func TestAddMonthsClampsToMonthEnd(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2026-03-31", -1, "2026-02-28"},
		{"2026-12-15", 1, "2027-01-15"},
		{"2026-01-15", -13, "2024-12-15"},
	}
	for _, tc := range tests {
		from, _ := segkit.ParseDay(tc.from)
		require.Equal(t, tc.want, addMonths(from, tc.n).String(), "%s %+d months", tc.from, tc.n)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 20000 {
		d := segkit.Date(1900, 1, 1).AddDays(rng.IntN(80000))
		n := rng.IntN(400) - 200
		require.Equal(t, refAddMonths(d, n), addMonths(d, n), "%s %+d", d, n)
	}
}

func TestNextReviewAndWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for range 100 {
		months := []int{1, 2, 3, 4, 6, 12}[rng.IntN(6)]
		join := segkit.Date(2020, 1, 1).AddDays(rng.IntN(3000))
		for _, anchorJoin := range []bool{false, true} {
			e := &Engine{reviewMonths: months, reviewJoin: anchorJoin}
			// Brute force: the review days are the eves of period starts.
			isStart := func(d segkit.Day) bool {
				if anchorJoin {
					for k := -100; k <= 100; k++ {
						if refAddMonths(join, k*months) == d {
							return true
						}
					}
					return false
				}
				tm := d.Time(time.UTC)
				return tm.Day() == 1 && (int(tm.Month())-1)%months == 0
			}
			d := join.AddDays(rng.IntN(1000) - 500)
			want := d
			for !isStart(want + 1) {
				want++
			}
			require.Equal(t, want, e.nextReview(d, join), "from %s, %d months, join %s anchored %v", d, months, join, anchorJoin)
		}
		// Anniversary windows start on the last anniversary.
		d := join.AddDays(rng.IntN(2000) - 700)
		st := anniversaryStart(join, d, 12)
		require.LessOrEqual(t, st, d)
		require.Greater(t, refAddMonths(st, 12), d)
		found := false
		for k := -10; k <= 10; k++ {
			found = found || refAddMonths(join, 12*k) == st
		}
		require.True(t, found, "start %s is an anniversary of %s", st, join)
	}
}

func TestWindowStartCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, w := range []Window{{Kind: CalendarYear}, {Kind: AnniversaryYear}, {Kind: Rolling, Months: 1}, {Kind: Rolling, Months: 12}, {Kind: Rolling, Months: 13}} {
		e := &Engine{window: w.Kind, windowMonths: w.Months}
		s := &state{}
		join := segkit.Date(2020, 1, 31).AddDays(rng.IntN(800))
		s.reset(e, &History{}, 0, false)
		s.join = join
		d := segkit.Date(2019, 1, 1)
		for range 5000 {
			d = d.AddDays(rng.IntN(9))
			require.Equal(t, e.windowStart(d, join), s.windowStart(d), "%v at %s (join %s)", w, d, join)
		}
	}
}

// TestStateDayOf: the engine counts record days in its program's zone
// (segkit.Zone, tested there) and rejects days outside years 1..9999.
func TestStateDayOf(t *testing.T) {
	loc, err := time.LoadLocation("Australia/Lord_Howe")
	require.NoError(t, err)
	e := &Engine{loc: loc, tz: segkit.NewZone(loc)}
	s := &state{}
	s.reset(e, &History{}, 0, false)
	for _, c := range []struct {
		at   time.Time
		want string // "" when rejected
	}{
		{time.Date(2026, 4, 5, 0, 10, 0, 0, loc), "2026-04-05"},
		{time.Date(2026, 4, 4, 13, 50, 0, 0, time.UTC), "2026-04-05"}, // 00:50 +11:00 (or +10:30)
		{time.Date(2026, 10, 3, 23, 59, 59, 0, loc), "2026-10-03"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, loc), "0001-01-01"},
		{time.Date(9999, 12, 31, 23, 0, 0, 0, loc), "9999-12-31"},
		{time.Date(-1, 6, 1, 0, 0, 0, 0, loc), ""},
		{time.Date(10000, 1, 1, 12, 0, 0, 0, loc), ""},
		{time.Time{}, ""},
	} {
		d, ok := s.dayOf(c.at)
		if c.want == "" {
			assert.False(t, ok, "%s", c.at)
			continue
		}
		require.True(t, ok, "%s", c.at)
		assert.Equal(t, c.want, d.String(), "%s", c.at)
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		x    float64
		want string
	}{
		{0, "0"}, {12400, "12,400"}, {1234.5, "1,234.5"}, {-9400, "-9,400"}, {999, "999"},
		{1000000, "1,000,000"}, {0.1 + 0.2, "0.3"}, {-0.00001, "0"}, {2044.39, "2,044.39"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, formatNumber(tc.x), "%v", tc.x)
	}
	require.Equal(t, "-1,234,567", formatPoints(-1234567))
	require.Equal(t, "0", formatPoints(0))
}
