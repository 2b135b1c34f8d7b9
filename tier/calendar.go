package tier

import (
	"time"

	"github.com/segkit/segkit"
)

// Calendar arithmetic on segkit.Day without going through time.Time: the
// engine does this for every record of millions of customers, and the
// proleptic Gregorian conversions below (H. Hinnant's days_from_civil and
// civil_from_days) are a few integer operations each.

// minDay and maxDay bound the days a record may fall on (years 1..9999), so
// that month arithmetic and int32 days never overflow.
var (
	minDay = daysFromCivil(1, 1, 1)
	maxDay = daysFromCivil(9999, 12, 31)
)

// noDay is a day before every valid day: "never" for guarantees and marks.
const noDay segkit.Day = -1 << 31

// farDay is a day after every valid day: "not scheduled".
const farDay segkit.Day = 1<<31 - 1

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil returns the calendar date of d.
func civil(d segkit.Day) (year, month, day int) {
	z := int64(d) + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(dd)
}

// daysFromCivil returns the Day of a valid calendar date.
func daysFromCivil(year, month, day int) segkit.Day {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64(month+9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return segkit.Day(era*146097 + doe - 719468)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(year, month int) int {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// monthIndex numbers months continuously: year*12 + month-1.
func monthIndex(year, month int) int64 { return int64(year)*12 + int64(month-1) }

func fromMonthIndex(mi int64) (year, month int) {
	return int(floorDiv(mi, 12)), int(mi-floorDiv(mi, 12)*12) + 1
}

// addMonths returns the same day-of-month n months later (earlier when n < 0),
// clamped to the end of a shorter month: 2026-01-31 + 1 month = 2026-02-28.
func addMonths(d segkit.Day, n int) segkit.Day {
	y, m, dd := civil(d)
	y2, m2 := fromMonthIndex(monthIndex(y, m) + int64(n))
	if dim := daysIn(y2, m2); dd > dim {
		dd = dim
	}
	return daysFromCivil(y2, m2, dd)
}

// endOfMonthIndex is the last day of the month with index mi.
func endOfMonthIndex(mi int64) segkit.Day {
	y, m := fromMonthIndex(mi)
	return daysFromCivil(y, m, daysIn(y, m))
}

// yearOf is the calendar year of d.
func yearOf(d segkit.Day) int {
	y, _, _ := civil(d)
	return y
}

// startOfYear is January 1 of d's year.
func startOfYear(d segkit.Day) segkit.Day { return daysFromCivil(yearOf(d), 1, 1) }

// anniversaryStart returns the start of the anchor-based period of n months
// that contains d: the largest addMonths(anchor, k*n) ≤ d over integer k.
func anniversaryStart(anchor, d segkit.Day, n int) segkit.Day {
	k := periodIndex(anchor, d, n)
	return addMonths(anchor, k*n)
}

// periodIndex returns k such that addMonths(anchor, k*n) ≤ d < addMonths(anchor, (k+1)*n).
func periodIndex(anchor, d segkit.Day, n int) int {
	ay, am, _ := civil(anchor)
	y, m, _ := civil(d)
	k := int(floorDiv(monthIndex(y, m)-monthIndex(ay, am), int64(n)))
	for addMonths(anchor, (k+1)*n) <= d {
		k++
	}
	for addMonths(anchor, k*n) > d {
		k--
	}
	return k
}

// dayOf converts an instant to its Day in loc. For UTC it is pure integer
// arithmetic; otherwise the zone offset in force at t decides the local date.
func dayOf(t time.Time, loc *time.Location, utc bool) int64 {
	if utc {
		return floorDiv(t.Unix(), 86400)
	}
	_, off := t.In(loc).Zone()
	return floorDiv(t.Unix()+int64(off), 86400)
}
