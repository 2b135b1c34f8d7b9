package segkit

import (
	"fmt"
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
	Value float64
}

// Day is a calendar day counted from 1970-01-01 (day 0) in some time zone.
// Days are what every window in segkit is measured in: daysSince(t) is
// DayOf(now, loc) − DayOf(t, loc). The zero value is 1970-01-01.
type Day int32

// DayOf returns the calendar day of t in loc (UTC when loc is nil).
func DayOf(t time.Time, loc *time.Location) Day {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return Date(y, m, d)
}

// Date returns the Day of the given calendar date. Out-of-range months and
// days are normalised as by time.Date.
func Date(year int, month time.Month, day int) Day {
	u := time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix()
	return Day(floorDiv(u, 86400))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Time returns midnight at the start of d in loc (UTC when loc is nil).
func (d Day) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// AddDays returns d + n.
func (d Day) AddDays(n int) Day { return d + Day(n) }

// Sub returns the number of days from e to d (d − e).
func (d Day) Sub(e Day) int { return int(d) - int(e) }

// String formats d as YYYY-MM-DD.
func (d Day) String() string {
	y, m, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
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
