package tier

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/segkit/segkit"
)

// History is everything the engine knows about one customer: purchases,
// activities (nights, stays, fees, host counters), point events and manual
// overrides. The slices need not be sorted and may share backing arrays with
// the host; the engine never modifies them, so one History may be replayed by
// several goroutines at once as long as the host does not change it meanwhile.
//
// Order: the engine replays the records in time order, sorting them stably:
// by At, then, for equal At, transactions before activities before point
// events before overrides, and within one kind in slice order. So records
// given out of order give the same timeline as the same records in order,
// and the outcome never depends on the order of records that happened at
// the same instant except through that documented rule.
type History struct {
	// Customer is the host's key. Records whose own Customer field is set
	// must carry the same key.
	Customer string
	// Joined is when the customer joined; it anchors anniversary windows and
	// join-anchored reviews. Zero means the day of the first record.
	Joined time.Time
	// Transactions are purchases (Amount > 0) and refunds or returns
	// (Amount < 0). A refund whose Order matches an earlier purchase reverses
	// that order: its spend and points, dated on the order's day.
	Transactions []segkit.Transaction
	// Activities feed activity metrics: nights, stays, fees, host counters.
	Activities []Activity
	// Points are point events: bonus earnings, redemptions, adjustments.
	Points []PointEvent
	// Overrides are manual level changes with an optional expiry.
	Overrides []Override
}

// Activity is a quantity of an activity metric (nights, stays, fees or a
// counter the program declares) on a date. Negative values correct earlier
// ones. It is a plain value.
type Activity struct {
	Customer string
	At       time.Time
	Metric   string
	Value    float64
	// Ref is an optional reference shown in the ledger (a booking number).
	Ref string
}

// PointKind is the kind of a [PointEvent]. It is a plain value.
type PointKind uint8

// Point event kinds.
const (
	// Earn credits Points (> 0), e.g. a partner bonus; they count toward the
	// points metric when Qualifying.
	Earn PointKind = iota + 1
	// Redeem spends Points (> 0) first in, first out; redeeming more than
	// the balance is an error.
	Redeem
	// Adjust credits (Points > 0) or debits (Points < 0) administratively;
	// a debit may take the balance below zero.
	Adjust
)

func (k PointKind) String() string {
	switch k {
	case Earn:
		return "earn"
	case Redeem:
		return "redeem"
	case Adjust:
		return "adjust"
	}
	return fmt.Sprintf("PointKind(%d)", k)
}

// PointEvent is a change to the points ledger that is not a purchase. It is a
// plain value.
type PointEvent struct {
	Customer   string
	At         time.Time
	Kind       PointKind
	Points     int64
	Qualifying bool
	Note       string
}

// Override sets the member's level by hand (a status match, a service
// recovery, a penalty) from At through the day of Until; a zero Until means
// it does not expire. A later override replaces an earlier one; Cancel ends
// the active override at At. While an override is active the member holds its
// Level whatever they earn; the earned level keeps being tracked and applies
// again when the override ends. It is a plain value.
type Override struct {
	Customer string
	At       time.Time
	Level    Level
	Until    time.Time
	Cancel   bool
	Reason   string
}

// Sentinel errors, wrapped in a *RecordError.
var (
	// ErrInsufficientPoints is returned when a redemption exceeds the balance.
	ErrInsufficientPoints = errors.New("tier: redemption exceeds the points balance")
	// ErrUnknownMetric is returned for an activity of a metric the program
	// does not know, or of a metric that is not an activity metric.
	ErrUnknownMetric = errors.New("tier: unknown activity metric")
	// ErrInvalidRecord is returned for a record with a missing or out-of-range
	// time, a non-finite or out-of-range amount, a bad point event or override,
	// or a Customer key that differs from the history's.
	ErrInvalidRecord = errors.New("tier: invalid record")
)

// RecordError says which record of a history could not be replayed. It is
// immutable once returned and safe for concurrent reads.
type RecordError struct {
	Customer string
	// Record is "transaction", "activity", "point event" or "override", and
	// Index its position in the History slice of that kind.
	Record string
	Index  int
	At     time.Time
	Err    error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("tier: customer %q: %s %d at %s: %v", e.Customer, e.Record, e.Index,
		e.At.Format(time.RFC3339), e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Record kinds, in their tie-break order.
const (
	recTx uint8 = iota
	recActivity
	recPoint
	recOverride
)

var recordNames = [...]string{"transaction", "activity", "point event", "override"}

// record locates one history record in replay order. Its sort key is
// (sec, lo) with lo = nanosecond<<34 | kind<<32 | index, so that records
// compare with two integer comparisons.
type record struct {
	sec int64
	lo  uint64
	day segkit.Day
}

func makeRecord(sec int64, nsec int, kind uint8, idx int, day segkit.Day) record {
	return record{sec: sec, lo: uint64(nsec)<<34 | uint64(kind)<<32 | uint64(uint32(idx)), day: day}
}

func (r record) kind() uint8 { return uint8(r.lo>>32) & 3 }

func (r record) idx() int { return int(uint32(r.lo)) }

func (r record) less(o record) bool { return r.sec < o.sec || (r.sec == o.sec && r.lo < o.lo) }

func cmpRecord(a, b record) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// sortRecords sorts by (time, kind, index). Keys are unique, so the order is
// the stable one. Histories are short: insertion sort is the fast case.
func sortRecords(rs []record) {
	if len(rs) > 48 {
		slices.SortFunc(rs, cmpRecord)
		return
	}
	for i := 1; i < len(rs); i++ {
		r := rs[i]
		j := i
		for j > 0 && r.less(rs[j-1]) {
			rs[j] = rs[j-1]
			j--
		}
		rs[j] = r
	}
}

// Sources are flat record streams of many customers, for [Group]. Any field
// may be nil. It is a plain value; Group reads each stream once.
type Sources struct {
	Transactions iter.Seq[segkit.Transaction]
	Activities   iter.Seq[Activity]
	Points       iter.Seq[PointEvent]
	Overrides    iter.Seq[Override]
	// Joined gives join times by customer key.
	Joined map[string]time.Time
}

// Group gathers flat record streams into one History per customer, sorted by
// customer key; within a history, records keep their stream order. Customers
// that appear only in Joined get an empty history.
func Group(s Sources) []History {
	idx := map[string]int{}
	var out []History
	get := func(key string) *History {
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, History{Customer: key})
		}
		return &out[i]
	}
	if s.Transactions != nil {
		for t := range s.Transactions {
			h := get(t.Customer)
			h.Transactions = append(h.Transactions, t)
		}
	}
	if s.Activities != nil {
		for a := range s.Activities {
			h := get(a.Customer)
			h.Activities = append(h.Activities, a)
		}
	}
	if s.Points != nil {
		for p := range s.Points {
			h := get(p.Customer)
			h.Points = append(h.Points, p)
		}
	}
	if s.Overrides != nil {
		for o := range s.Overrides {
			h := get(o.Customer)
			h.Overrides = append(h.Overrides, o)
		}
	}
	for k, t := range s.Joined {
		get(k).Joined = t
	}
	slices.SortFunc(out, func(a, b History) int {
		switch {
		case a.Customer < b.Customer:
			return -1
		case a.Customer > b.Customer:
			return 1
		}
		return 0
	})
	return out
}
