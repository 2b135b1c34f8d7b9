package segkit

import (
	"fmt"
	"iter"
	"strings"
)

// Period is a named range of calendar days, both ends included, in the
// time zone of whatever counts the days (the index's zone): a promotion
// such as 双十一 whose transactions and events distort models of normal
// behaviour. It is a plain, comparable value.
type Period struct {
	// Name is shown in reports; empty means the range itself.
	Name     string
	From, To Day
}

// ParsePeriod parses "2026-11-01..2026-11-11", optionally named:
// "双十一=2026-11-01..2026-11-11". A single day ("2026-11-11") is a period
// of one day.
func ParsePeriod(s string) (Period, error) {
	var p Period
	body := s
	if name, rest, ok := strings.Cut(s, "="); ok {
		p.Name, body = strings.TrimSpace(name), rest
		if p.Name == "" {
			return Period{}, fmt.Errorf("segkit: period %q: empty name before '='", s)
		}
	}
	from, to, ok := strings.Cut(body, "..")
	if !ok {
		to = from
	}
	var err error
	if p.From, err = ParseDay(strings.TrimSpace(from)); err != nil {
		return Period{}, fmt.Errorf("segkit: period %q: from: want YYYY-MM-DD", s)
	}
	if p.To, err = ParseDay(strings.TrimSpace(to)); err != nil {
		return Period{}, fmt.Errorf("segkit: period %q: to: want YYYY-MM-DD", s)
	}
	if p.To < p.From {
		return Period{}, fmt.Errorf("segkit: period %q: ends before it starts", s)
	}
	return p, nil
}

// Contains reports whether d is in the period.
func (p Period) Contains(d Day) bool { return d >= p.From && d <= p.To }

// Days returns the number of days in the period.
func (p Period) Days() int { return p.To.Sub(p.From) + 1 }

// String formats the period as ParsePeriod reads it.
func (p Period) String() string {
	r := p.From.String() + ".." + p.To.String()
	if p.Name != "" {
		return p.Name + "=" + r
	}
	return r
}

// Label is the period's name, or its range when it has none.
func (p Period) Label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.From.String() + ".." + p.To.String()
}

// Exclusion is a set of periods whose records a model leaves out, counting
// what it removed from each. The zero value excludes nothing. It is not safe
// for concurrent use: each model run takes its own (see [NewExclusion]).
type Exclusion struct {
	periods []Period
	removed []int
}

// NewExclusion returns an exclusion of the given periods; it is an error
// when one ends before it starts.
func NewExclusion(periods []Period) (*Exclusion, error) {
	for i, p := range periods {
		if p.To < p.From {
			return nil, fmt.Errorf("segkit: excluded period %d (%s) ends before it starts", i, p)
		}
	}
	return &Exclusion{periods: append([]Period(nil), periods...), removed: make([]int, len(periods))}, nil
}

// Active reports whether there is any period to exclude.
func (e *Exclusion) Active() bool { return e != nil && len(e.periods) > 0 }

// Drop reports whether a record dated d falls in an excluded period, and
// counts it against the first period containing it.
func (e *Exclusion) Drop(d Day) bool {
	if e == nil {
		return false
	}
	for i := range e.periods {
		if e.periods[i].Contains(d) {
			e.removed[i]++
			return true
		}
	}
	return false
}

// Transactions yields the transactions of seq dated (in z) outside the
// periods, counting the others against their period. Counts accumulate over
// every pass over the returned sequence.
func (e *Exclusion) Transactions(seq iter.Seq[Transaction], z *Zone) iter.Seq[Transaction] {
	if !e.Active() || seq == nil {
		return seq
	}
	return func(yield func(Transaction) bool) {
		for t := range seq {
			if !t.At.IsZero() && e.Drop(z.DayOf(t.At)) {
				continue
			}
			if !yield(t) {
				return
			}
		}
	}
}

// Events is [Exclusion.Transactions] for events.
func (e *Exclusion) Events(seq iter.Seq[Event], z *Zone) iter.Seq[Event] {
	if !e.Active() || seq == nil {
		return seq
	}
	return func(yield func(Event) bool) {
		for ev := range seq {
			if !ev.At.IsZero() && e.Drop(z.DayOf(ev.At)) {
				continue
			}
			if !yield(ev) {
				return
			}
		}
	}
}

// Removed returns the number of records dropped so far.
func (e *Exclusion) Removed() int {
	if e == nil {
		return 0
	}
	n := 0
	for _, r := range e.removed {
		n += r
	}
	return n
}

// Excluded is one excluded period and the number of records a model removed
// because they fell in it (a record in overlapping periods counts in the
// first listed). It is a plain value.
type Excluded struct {
	Period  Period
	Records int
}

// Report returns what was excluded, one entry per period in the order
// given; nil when nothing was to be excluded.
func (e *Exclusion) Report() []Excluded {
	if !e.Active() {
		return nil
	}
	out := make([]Excluded, len(e.periods))
	for i, p := range e.periods {
		out[i] = Excluded{Period: p, Records: e.removed[i]}
	}
	return out
}

// ExclusionSummary formats a report for people: "excluded 双十一
// (2026-11-01..2026-11-11): 1234 transactions removed"; "" for no report.
func ExclusionSummary(report []Excluded, records string) string {
	var b strings.Builder
	for i, x := range report {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("excluded ")
		if x.Period.Name != "" {
			fmt.Fprintf(&b, "%s (%s..%s)", x.Period.Name, x.Period.From, x.Period.To)
		} else {
			fmt.Fprintf(&b, "%s..%s", x.Period.From, x.Period.To)
		}
		fmt.Fprintf(&b, ": %d %s removed", x.Records, records)
	}
	return b.String()
}
