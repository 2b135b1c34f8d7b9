package segkit

import (
	"fmt"
	"math"
	"time"
)

// Transaction is one purchase (or, with a negative Amount, a refund) by a
// customer. It is a plain value, safe to copy and share.
type Transaction struct {
	// Customer is the host's customer key.
	Customer string
	// At is when the transaction happened.
	At time.Time
	// Amount is the monetary value; negative for refunds and returns.
	Amount float64
	// Quantity is the number of items, 0 when unknown.
	Quantity int
	// Order identifies the order, empty when unknown. Models that count orders
	// count transactions; two transactions with the same non-empty Order are
	// still two transactions unless a model says otherwise.
	Order string
}

// Problem says what makes t unusable for any model — an empty customer
// key, a zero time, a NaN or infinite amount — or returns "" when nothing
// does. Models add their own rules (clv's summaries reject refunds).
func (t Transaction) Problem() string {
	switch {
	case t.Customer == "":
		return "empty customer key"
	case t.At.IsZero():
		return "zero time"
	case math.IsNaN(t.Amount) || math.IsInf(t.Amount, 0):
		return fmt.Sprintf("amount %v is not a finite number", t.Amount)
	}
	return ""
}

// Event is one behavioural occurrence: a login, a trial class, a purchase.
// It is a plain value, safe to copy and share.
type Event struct {
	// Customer is the host's customer key.
	Customer string
	// Name is the event name ("login", "purchase", …).
	Name string
	// At is when the event happened.
	At time.Time
	// Value is an optional amount attached to the event; zero when absent.
	// The index keeps it per occurrence as a decimal with at most 4
	// fractional digits (bitmapindex.Amount).
	Value float64
	// Props are optional string properties of the occurrence
	// ({"category": "math"}); nil when none.
	Props map[string]string
}

// Day is a calendar day counted from 1970-01-01 (day 0) in some time zone.
// Days are what every window in segkit is measured in: daysSince(t) is
// DayOf(now, loc) − DayOf(t, loc). The zero value is 1970-01-01.
type Day int32

// DayOf returns the calendar day of t in loc (UTC when loc is nil). It is
// the uncached form of [Zone.DayOf]: code that counts the days of many
// instants in one zone should hold a [Zone].
func DayOf(t time.Time, loc *time.Location) Day {
	u := t.Unix()
	if loc == nil || loc == time.UTC {
		return clampDay(floorDiv(u, 86400))
	}
	_, off := t.In(loc).Zone()
	return clampDay(floorDiv(u+int64(off), 86400))
}

// Date returns the Day of the given calendar date. Out-of-range months and
// days are normalised as by time.Date.
func Date(year int, month time.Month, day int) Day {
	if month < time.January || month > time.December || day < 1 || day > 28 && day > daysIn(year, month) {
		u := time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix()
		return clampDay(floorDiv(u, 86400))
	}
	// H. Hinnant's days_from_civil: a few integer operations.
	y := int64(year)
	if month <= time.February {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (int64(month) + 9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return clampDay(era*146097 + doe - 719468)
}

// Date returns the calendar date of d (H. Hinnant's civil_from_days).
func (d Day) Date() (year int, month time.Month, day int) {
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
	return int(y), time.Month(m), int(dd)
}

// IsLeap reports whether year is a leap year of the proleptic Gregorian
// calendar.
func IsLeap(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }

// DaysIn returns the number of days in the given month of year.
func DaysIn(year int, month time.Month) int { return daysIn(year, month) }

func daysIn(year int, month time.Month) int {
	switch month {
	case time.February:
		if IsLeap(year) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Time returns the first instant of d in loc (UTC when loc is nil): local
// midnight, or where midnight did not exist the first instant of the day.
// It is the uncached form of [Zone.Start].
func (d Day) Time(loc *time.Location) time.Time {
	if loc == nil || loc == time.UTC {
		return time.Unix(int64(d)*86400, 0).UTC()
	}
	return startIn(d, loc)
}

// AddDays returns d + n.
func (d Day) AddDays(n int) Day { return d + Day(n) }

// Sub returns the number of days from e to d (d − e).
func (d Day) Sub(e Day) int { return int(d) - int(e) }

// String formats d as YYYY-MM-DD.
func (d Day) String() string {
	y, m, dd := d.Date()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}

// ParseDay parses a YYYY-MM-DD date.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("segkit: parse day %q: want YYYY-MM-DD", s)
	}
	return DayOf(t, time.UTC), nil
}

// TransactionError reports a transaction a model cannot use: the package
// that rejected it, the transaction's position in the sequence it was given
// (0-based; −1 when the problem is a customer's total rather than one
// transaction), its customer, time and amount, and what is wrong. Hosts map
// Pos back to the line of their input. It is a plain value, safe to share
// once returned.
type TransactionError struct {
	Model    string // the package that rejected it: "rfm", "clv", "lifecycle"
	Pos      int    // position in the input sequence, 0-based; −1 for a customer's total
	Customer string
	At       time.Time
	Amount   float64
	Reason   string // what is wrong, e.g. "amount NaN is not a finite number"
}

func (e *TransactionError) Error() string {
	if e.Pos < 0 {
		return fmt.Sprintf("%s: customer %q: %s", e.Model, e.Customer, e.Reason)
	}
	at := "zero time"
	if !e.At.IsZero() {
		at = e.At.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s: transaction %d (customer %q, %s): %s", e.Model, e.Pos, e.Customer, at, e.Reason)
}
