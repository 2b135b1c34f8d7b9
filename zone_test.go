package segkit_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refDay is the naive reference: the local calendar date of t, counted from
// 1970-01-01 by the time package.
func refDay(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func floorDay(u int64) int64 {
	if u < 0 {
		return (u - 86399) / 86400
	}
	return u / 86400
}

func loadLoc(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s unavailable: %v", name, err)
	}
	return loc
}

// zoneNames are zones with daylight saving time (including Lord Howe's
// half-hour shift and São Paulo's jump at midnight), odd offsets and a
// date-line jump (Apia skipped 2011-12-30).
var zoneNames = []string{"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
	"America/St_Johns", "America/Sao_Paulo", "Asia/Shanghai", "Pacific/Apia"}

func zones(t testing.TB) []*time.Location {
	var out []*time.Location
	for _, n := range zoneNames {
		out = append(out, loadLoc(t, n))
	}
	return append(out, time.FixedZone("odd", -37), time.FixedZone("UTC", 0), time.FixedZone("east", 14*3600))
}

// TestZoneDayOfMatchesTimePackage: random instants, instants around the
// daylight-saving transitions of the 2020s and instants within a minute of
// local midnight, visited in and out of order so that the offset cache is
// both hit and missed, agree with the time package's calendar date.
func TestZoneDayOfMatchesTimePackage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, loc := range zones(t) {
		z := segkit.NewZone(loc)
		tm := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 30000 {
			switch i % 4 {
			case 0: // anywhere in ±60 years
				tm = time.Unix(rng.Int64N(4_000_000_000)-2_000_000_000, int64(rng.IntN(1e9)))
			case 1: // small steps across transitions
				tm = tm.Add(time.Duration(rng.IntN(7200)-1800) * time.Second)
			case 2: // 2024..2025, where the transitions are
				tm = time.Unix(1_704_067_200+rng.Int64N(2*366*86400), 0)
			case 3: // within a minute of local midnight
				y, m, d := tm.In(loc).Date()
				tm = time.Date(y, m, d+rng.IntN(3)-1, 0, 0, 0, 0, loc).Add(time.Duration(rng.IntN(121)-60) * time.Second)
			}
			want := refDay(tm, loc)
			require.Equal(t, want, int64(z.DayOf(tm)), "%s %s", loc, tm.UTC())
			require.Equal(t, want, int64(segkit.DayOf(tm, loc)), "%s %s", loc, tm.UTC())
		}
	}
}

// TestZoneStart: every day of 2010..2030 in every zone starts at an instant
// whose day is that day (or later, for a day the zone skipped) while the
// second before belongs to an earlier day,
// through the cache (days in order) and without it (Day.Time).
func TestZoneStart(t *testing.T) {
	first, last := segkit.Date(2010, time.January, 1), segkit.Date(2030, time.December, 31)
	for _, loc := range zones(t) {
		z := segkit.NewZone(loc)
		for d := first; d <= last; d++ {
			s := z.Start(d)
			// A skipped day (Apia's 2011-12-30) starts where the next one does.
			require.GreaterOrEqual(t, refDay(s, loc), int64(d), "zone %s day %s", loc, d)
			require.Less(t, refDay(s.Add(-time.Second), loc), int64(d), "zone %s day %s", loc, d)
			require.True(t, s.Equal(d.Time(loc)), "zone %s day %s: %s vs %s", loc, d, s, d.Time(loc))
			e := z.End(d)
			require.LessOrEqual(t, refDay(e, loc), int64(d), "zone %s end of %s", loc, d)
			require.Greater(t, refDay(e.Add(time.Second), loc), int64(d), "zone %s end of %s", loc, d)
		}
	}
	sp := loadLoc(t, "America/Sao_Paulo")
	s := segkit.NewZone(sp).Start(segkit.Date(2018, time.November, 4))
	assert.Equal(t, "2018-11-04T01:00:00-02:00", s.Format(time.RFC3339), "midnight did not exist that day")
	apia := loadLoc(t, "Pacific/Apia")
	z := segkit.NewZone(apia)
	assert.Equal(t, "2011-12-31T00:00:00+14:00", z.Start(segkit.Date(2011, time.December, 30)).Format(time.RFC3339), "Apia skipped 2011-12-30")
}

// TestZoneSaturates: far-away instants and days neither overflow nor panic.
func TestZoneSaturates(t *testing.T) {
	for _, loc := range zones(t) {
		z := segkit.NewZone(loc)
		assert.Equal(t, segkit.MaxDay, z.DayOf(time.Unix(math.MaxInt64/2, 0)))
		assert.Equal(t, segkit.MinDay, z.DayOf(time.Unix(math.MinInt64/2, 0)))
		assert.NotPanics(t, func() {
			z.Start(segkit.MaxDay)
			z.Start(segkit.MinDay)
			z.End(segkit.MaxDay)
		})
	}
}

// TestZoneConcurrent: readers on different goroutines, each in its own
// year, share one Zone (run with -race).
func TestZoneConcurrent(t *testing.T) {
	loc := loadLoc(t, "America/New_York")
	z := segkit.NewZone(loc)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			base := time.Date(2000+g, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			for range 20000 {
				tm := time.Unix(base+rng.Int64N(366*86400), 0)
				if got, want := int64(z.DayOf(tm)), refDay(tm, loc); got != want {
					errs <- fmt.Sprintf("%s: %d, want %d", tm, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestDateMatchesTimePackage: the integer calendar conversions agree with
// the time package on every day of 1800..2300 and every 37th day of years
// 1..9999, and Date normalises out-of-range months and days as time.Date.
func TestDateMatchesTimePackage(t *testing.T) {
	minD, maxD := segkit.Date(1, 1, 1), segkit.Date(9999, 12, 31)
	dense0, dense1 := segkit.Date(1800, 1, 1), segkit.Date(2300, 12, 31)
	for d := minD; d <= maxD; d++ {
		if (d < dense0 || d > dense1) && (d-minD)%37 != 0 {
			continue
		}
		y, m, dd := d.Date()
		ty, tm, td := time.Unix(int64(d)*86400, 0).UTC().Date()
		if y != ty || m != tm || dd != td {
			t.Fatalf("Day(%d).Date() = %d-%d-%d, time says %d-%d-%d", d, y, m, dd, ty, tm, td)
		}
		if back := segkit.Date(y, m, dd); back != d {
			t.Fatalf("Date(%d-%d-%d) = %d, want %d", y, m, dd, back, d)
		}
		require.Equal(t, segkit.DaysIn(y, m), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day())
	}
	for _, c := range []struct {
		y     int
		m     time.Month
		d     int
		wantS string
	}{{2026, 2, 29, "2026-03-01"}, {2024, 2, 29, "2024-02-29"}, {2026, 13, 1, "2027-01-01"}, {2026, 0, 1, "2025-12-01"}, {2026, 3, 0, "2026-02-28"}, {2026, 1, 400, "2027-02-04"}} {
		got := segkit.Date(c.y, c.m, c.d)
		assert.Equal(t, c.wantS, got.String())
		assert.Equal(t, floorDay(time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC).Unix()), int64(got))
	}
}

func BenchmarkZoneDayOf(b *testing.B) {
	loc := loadLoc(b, "America/New_York")
	ts := make([]time.Time, 4096)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range ts {
		ts[i] = time.Unix(1_704_067_200+rng.Int64N(366*86400), 0)
	}
	b.Run("Zone", func(b *testing.B) {
		z := segkit.NewZone(loc)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			z.DayOf(ts[i&4095])
		}
	})
	b.Run("DayOf", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			segkit.DayOf(ts[i&4095], loc)
		}
	})
}

func ExampleZone() {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	z := segkit.NewZone(ny)
	now := time.Date(2026, 11, 22, 3, 30, 0, 0, time.UTC) // 22:30 on the 21st in New York
	today := z.DayOf(now)
	fmt.Println(today, "starts at", z.Start(today).Format(time.RFC3339))
	// Output: 2026-11-21 starts at 2026-11-21T00:00:00-05:00
}
