package segment

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
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

// Rules do their day arithmetic (today ± a window, date constants) in int64
// so that far-away constants cannot overflow; the days themselves are
// segkit's: toDay saturates into a segkit.Day, and the calendar work is
// segkit.Zone's.

// toDay converts a rule's day number to a segkit.Day, saturating at
// segkit.MinDay and segkit.MaxDay (millions of years away, beyond any
// stored time).
func toDay(d int64) segkit.Day {
	return segkit.Day(max(int64(segkit.MinDay), min(d, int64(segkit.MaxDay))))
}

// dayStart returns the first instant of day d in loc (see segkit.Zone.Start).
func dayStart(d int64, loc *time.Location) time.Time { return toDay(d).Time(loc) }

// formatDay renders a day number as YYYY-MM-DD.
func formatDay(d int64) string { return toDay(d).String() }
