package segment

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxWindowDays bounds event and time windows: 100 years.
const maxWindowDays = 36500

// parseWindow parses a duration of whole days: "7d", "2w" (14 days), "3mo"
// (90 days), "1y" (365 days).
func parseWindow(s string) (int, error) {
	t := strings.TrimSpace(s)
	unit, mult := "", 0
	for _, u := range []struct {
		suffix string
		days   int
	}{{"mo", 30}, {"d", 1}, {"w", 7}, {"y", 365}} {
		if strings.HasSuffix(t, u.suffix) {
			unit, mult = u.suffix, u.days
			break
		}
	}
	if unit == "" {
		return 0, fmt.Errorf("bad duration %q: want a whole number of days, weeks, months or years such as \"7d\", \"2w\", \"3mo\", \"1y\"", s)
	}
	num := strings.TrimSuffix(t, unit)
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, fmt.Errorf("bad duration %q: want a whole number of days, weeks, months or years such as \"7d\", \"2w\", \"3mo\", \"1y\"", s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n > maxWindowDays {
		return 0, fmt.Errorf("duration %q is longer than %d days", s, maxWindowDays)
	}
	if n == 0 {
		return 0, fmt.Errorf("duration %q is empty: a window needs at least one day", s)
	}
	days := n * mult
	if days > maxWindowDays {
		return 0, fmt.Errorf("duration %q is longer than %d days", s, maxWindowDays)
	}
	return days, nil
}

// Day arithmetic in int64, so that far-away constants cannot overflow; it
// agrees with segkit.DayOf wherever that is defined.

// maxAbsDay bounds day numbers used to build instants (about 270 million
// years either side of 1970), far beyond any stored time.
const maxAbsDay = 100_000_000_000

func clampDay(d int64) int64 {
	if d > maxAbsDay {
		return maxAbsDay
	}
	if d < -maxAbsDay {
		return -maxAbsDay
	}
	return d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dayOf is the calendar day of t in loc, as segkit.DayOf but in int64.
func dayOf(t time.Time, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return floorDiv(t.Unix(), 86400)
	}
	y, m, d := t.In(loc).Date()
	return civilDay(y, m, d)
}

// civilDay is the day number of a calendar date (proleptic Gregorian).
func civilDay(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// dayStart returns the first second of day d in loc: every instant t (at
// second precision) has dayOf(t) < d exactly when t is before it. Where
// midnight does not exist in loc (a daylight-saving jump at midnight) it is
// the first instant of the day.
func dayStart(d int64, loc *time.Location) time.Time {
	d = clampDay(d)
	utc := time.Unix(d*86400, 0).UTC()
	if loc == nil || loc == time.UTC {
		return utc
	}
	y, m, dd := utc.Date()
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if dayOf(t, loc) == d && dayOf(t.Add(-time.Second), loc) < d {
		return t
	}
	// Search the first second whose day is ≥ d around the guess.
	lo, hi := t.Add(-48*time.Hour).Unix(), t.Add(48*time.Hour).Unix()
	if dayOf(time.Unix(lo, 0), loc) >= d || dayOf(time.Unix(hi, 0), loc) < d {
		return t
	}
	for hi-lo > 1 { // invariant: day(lo) < d <= day(hi)
		mid := lo + (hi-lo)/2
		if dayOf(time.Unix(mid, 0), loc) >= d {
			hi = mid
		} else {
			lo = mid
		}
	}
	return time.Unix(hi, 0).In(loc)
}

// formatDay renders a day number as YYYY-MM-DD.
func formatDay(d int64) string {
	return time.Unix(clampDay(d)*86400, 0).UTC().Format(time.DateOnly)
}
