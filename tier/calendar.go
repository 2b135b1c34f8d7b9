package tier

import (
	"time"

	"github.com/segkit/segkit"
)

// Calendar arithmetic on segkit.Day beyond the day of an instant: months,
// years and anniversaries. The engine does this for every record of millions
// of customers, so it works on segkit's integer calendar (Day.Date,
// segkit.Date) rather than through time.Time.

// minDay and maxDay bound the days a record may fall on (years 1..9999), so
// that month arithmetic and int32 days never overflow.
var (
	minDay = segkit.Date(1, 1, 1)
	maxDay = segkit.Date(9999, 12, 31)
)

// noDay is a day before every valid day: "never" for guarantees and marks.
const noDay segkit.Day = -1 << 31

// farDay is a day after every valid day: "not scheduled".
const farDay segkit.Day = 1<<31 - 1

// floorDiv divides rounding towards minus infinity (month and period
// indices before year 0 stay consistent).
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// monthIndex numbers months continuously: year*12 + month-1.
func monthIndex(year int, month time.Month) int64 { return int64(year)*12 + int64(month-1) }

func fromMonthIndex(mi int64) (year int, month time.Month) {
	return int(floorDiv(mi, 12)), time.Month(mi-floorDiv(mi, 12)*12) + 1
}

// addMonths returns the same day-of-month n months later (earlier when n < 0),
// clamped to the end of a shorter month: 2026-01-31 + 1 month = 2026-02-28.
func addMonths(d segkit.Day, n int) segkit.Day {
	y, m, dd := d.Date()
	y2, m2 := fromMonthIndex(monthIndex(y, m) + int64(n))
	if dim := segkit.DaysIn(y2, m2); dd > dim {
		dd = dim
	}
	return segkit.Date(y2, m2, dd)
}

// endOfMonthIndex is the last day of the month with index mi.
func endOfMonthIndex(mi int64) segkit.Day {
	y, m := fromMonthIndex(mi)
	return segkit.Date(y, m, segkit.DaysIn(y, m))
}

// yearOf is the calendar year of d.
func yearOf(d segkit.Day) int {
	y, _, _ := d.Date()
	return y
}

// startOfYear is January 1 of d's year.
func startOfYear(d segkit.Day) segkit.Day { return segkit.Date(yearOf(d), 1, 1) }

// anniversaryStart returns the start of the anchor-based period of n months
// that contains d: the largest addMonths(anchor, k*n) ≤ d over integer k.
func anniversaryStart(anchor, d segkit.Day, n int) segkit.Day {
	k := periodIndex(anchor, d, n)
	return addMonths(anchor, k*n)
}

// periodIndex returns k such that addMonths(anchor, k*n) ≤ d < addMonths(anchor, (k+1)*n).
func periodIndex(anchor, d segkit.Day, n int) int {
	ay, am, _ := anchor.Date()
	y, m, _ := d.Date()
	k := int(floorDiv(monthIndex(y, m)-monthIndex(ay, am), int64(n)))
	for addMonths(anchor, (k+1)*n) <= d {
		k++
	}
	for addMonths(anchor, k*n) > d {
		k--
	}
	return k
}
