package retention

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// ErrConfig is returned for a Config that cannot be computed: an unknown
// period, an empty range, unknown events or attributes.
var ErrConfig = errors.New("retention: bad config")

// Period is the length of cohorts and of the periods after them.
type Period uint8

const (
	// Day cohorts: period k is the k-th day after the cohort's day.
	Day Period = iota
	// Week cohorts of ISO weeks (Monday to Sunday): period k is the k-th
	// week after.
	Week
	// Month cohorts of calendar months: period k is the k-th calendar month
	// after.
	Month
)

// ParsePeriod parses "day", "week" or "month".
func ParsePeriod(s string) (Period, error) {
	switch s {
	case "day":
		return Day, nil
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, fmt.Errorf("%w: period %q (want day, week or month)", ErrConfig, s)
}

func (p Period) String() string {
	switch p {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return fmt.Sprintf("Period(%d)", uint8(p))
}

// start returns the first day of the period holding d.
func (p Period) start(d segkit.Day) segkit.Day {
	switch p {
	case Week:
		// 1970-01-01 was a Thursday: Monday is (d + 3) mod 7 == 0
		off := (int(d) + 3) % 7
		if off < 0 {
			off += 7
		}
		return d.AddDays(-off)
	case Month:
		y, m, _ := d.Date()
		return segkit.Date(y, m, 1)
	}
	return d
}

// add returns the first day of the k-th period after the one starting at s.
func (p Period) add(s segkit.Day, k int) segkit.Day {
	switch p {
	case Week:
		return s.AddDays(7 * k)
	case Month:
		y, m, _ := s.Date()
		return segkit.Date(y, m+time.Month(k), 1)
	}
	return s.AddDays(k)
}

// label names the period starting at s: 2026-03-02 (day, week), 2026-03
// (month).
func (p Period) label(s segkit.Day) string {
	if p == Month {
		return s.String()[:7]
	}
	return s.String()
}

// Config says what a cohort is, what counts as active, and over which
// days. It is a plain value.
type Config struct {
	// Period is the length of cohorts and periods.
	Period Period
	// CohortEvent: a customer's cohort is the period of its first-ever
	// occurrence of this event (signup, first purchase). Exactly one of
	// CohortEvent and CohortAttribute must be set.
	CohortEvent string
	// CohortAttribute: a customer's cohort is the period of the day of
	// this time attribute (signup_at).
	CohortAttribute string
	// ActiveEvent is the event that makes a customer active in a period
	// (login, purchase).
	ActiveEvent string
	// From and Through are the first and last day of the data (in the
	// view's time zone): cohorts start from the period holding From,
	// periods are reported while they start on or before Through. The
	// wall clock is never read.
	From, Through segkit.Day
	// MaxPeriods limits the periods after each cohort (0: no limit).
	MaxPeriods int
	// By, when set, breaks the matrix down by the values of this category
	// attribute (the acquisition channel, 流量来源).
	By string
}

// Matrix is a cohort retention matrix (留存): for every cohort its size and
// how many of its customers were active again in each later period. It is
// immutable once returned and safe for concurrent reads.
type Matrix struct {
	Period  Period
	Through segkit.Day
	Cohorts []Cohort
	// Overall is, per period k ≥ 1 (index k−1), the customers retained
	// over the customers of the cohorts that reached period k: the
	// size-weighted average of the column.
	Overall []float64
	// Breakdown holds one matrix per value of Config.By, sorted by value
	// (customers without a value are left out); nil without By.
	Breakdown []Slice
}

// Cohort is one row of the matrix. It is a plain value.
type Cohort struct {
	Start segkit.Day // first day of the cohort's period
	Label string     // 2026-03 for months, the first day otherwise
	Size  int        // customers whose cohort this is
	// Retained[k−1] is the number of the cohort's customers active in
	// period k ≥ 1; Share[k−1] = Retained/Size. Only periods that start on
	// or before Through are present, so rows shorten: the triangle.
	Retained []int
	Share    []float64
	// Complete[k−1] is false for a period that extends past Through (its
	// share is still growing).
	Complete []bool
}

// Slice is the matrix of the customers with one value of Config.By.
type Slice struct {
	Value  string
	Matrix *Matrix
}

// Compute builds the retention matrix from the view's event bitmaps: a
// cohort is the union of the first-occurrence bitmaps of its days (or the
// customers whose time attribute falls in it), a period's actives the
// union of its day bitmaps, and each cell the intersection count of the
// two. ctx is checked between cohorts.
func Compute(ctx context.Context, v *bitmapindex.View, cfg Config) (*Matrix, error) {
	if err := validate(v, cfg); err != nil {
		return nil, err
	}
	first := cfg.Period.start(cfg.From)
	var starts []segkit.Day
	for s := first; s <= cfg.Through; s = cfg.Period.add(s, 1) {
		starts = append(starts, s)
	}
	// actives per period, computed once
	active := make([]*roaring.Bitmap, len(starts))
	for i, s := range starts {
		end := cfg.Period.add(s, 1).AddDays(-1)
		active[i] = v.Did(cfg.ActiveEvent, s, end).Bitmap()
	}
	cohorts := make([]*roaring.Bitmap, len(starts))
	for i, s := range starts {
		end := cfg.Period.add(s, 1).AddDays(-1)
		c, err := cohortSet(v, cfg, s, end)
		if err != nil {
			return nil, err
		}
		cohorts[i] = c
	}
	m := matrix(ctx, cfg, starts, cohorts, active, nil)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.By != "" {
		vals, err := v.Values(cfg.By)
		if err != nil {
			return nil, err
		}
		for _, val := range vals {
			s, err := v.WithValue(cfg.By, val)
			if err != nil {
				return nil, err
			}
			sub := matrix(ctx, cfg, starts, cohorts, active, s.Bitmap())
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			m.Breakdown = append(m.Breakdown, Slice{Value: val, Matrix: sub})
		}
	}
	return m, nil
}

func validate(v *bitmapindex.View, cfg Config) error {
	if cfg.Period > Month {
		return fmt.Errorf("%w: period %v", ErrConfig, cfg.Period)
	}
	if (cfg.CohortEvent == "") == (cfg.CohortAttribute == "") {
		return fmt.Errorf("%w: set exactly one of the cohort event and the cohort attribute", ErrConfig)
	}
	if cfg.ActiveEvent == "" {
		return fmt.Errorf("%w: no active event", ErrConfig)
	}
	if cfg.From > cfg.Through {
		return fmt.Errorf("%w: from %v is after through %v", ErrConfig, cfg.From, cfg.Through)
	}
	if cfg.MaxPeriods < 0 {
		return fmt.Errorf("%w: %d max periods", ErrConfig, cfg.MaxPeriods)
	}
	known := map[string]bool{}
	for _, e := range v.Events() {
		known[e] = true
	}
	for _, e := range []string{cfg.CohortEvent, cfg.ActiveEvent} {
		if e != "" && !known[e] {
			return fmt.Errorf("%w: event %q is not in the index", ErrConfig, e)
		}
	}
	if cfg.CohortAttribute != "" {
		a, ok := v.Attribute(cfg.CohortAttribute)
		if !ok || a.Kind != bitmapindex.KindTime {
			return fmt.Errorf("%w: cohort attribute %q is not a time attribute of the index", ErrConfig, cfg.CohortAttribute)
		}
	}
	if cfg.By != "" {
		a, ok := v.Attribute(cfg.By)
		if !ok || a.Kind != bitmapindex.KindCategory {
			return fmt.Errorf("%w: breakdown attribute %q is not a category attribute of the index", ErrConfig, cfg.By)
		}
	}
	return nil
}

// cohortSet returns the customers whose cohort is [from, to].
func cohortSet(v *bitmapindex.View, cfg Config, from, to segkit.Day) (*roaring.Bitmap, error) {
	if cfg.CohortEvent != "" {
		return v.FirstIn(cfg.CohortEvent, from, to).Bitmap(), nil
	}
	loc := v.Location()
	lo := bitmapindex.Time(from.Time(loc))
	hi := bitmapindex.Time(to.AddDays(1).Time(loc).Add(-time.Second))
	s, err := v.Between(cfg.CohortAttribute, lo, hi)
	if err != nil {
		return nil, err
	}
	return s.Bitmap(), nil
}

// matrix fills the cells, restricted to within when not nil.
func matrix(ctx context.Context, cfg Config, starts []segkit.Day, cohorts, active []*roaring.Bitmap, within *roaring.Bitmap) *Matrix {
	m := &Matrix{Period: cfg.Period, Through: cfg.Through}
	var num, den []int
	for i, s := range starts {
		if ctx.Err() != nil {
			return m
		}
		c := cohorts[i]
		if within != nil {
			c = roaring.And(c, within)
		}
		size := int(c.GetCardinality())
		if size == 0 {
			continue
		}
		row := Cohort{Start: s, Label: cfg.Period.label(s), Size: size}
		for k := 1; i+k < len(starts); k++ {
			if cfg.MaxPeriods > 0 && k > cfg.MaxPeriods {
				break
			}
			r := int(c.AndCardinality(active[i+k]))
			row.Retained = append(row.Retained, r)
			row.Share = append(row.Share, float64(r)/float64(size))
			row.Complete = append(row.Complete, cfg.Period.add(starts[i+k], 1).AddDays(-1) <= cfg.Through)
			if len(num) < k {
				num, den = append(num, 0), append(den, 0)
			}
			num[k-1] += r
			den[k-1] += size
		}
		m.Cohorts = append(m.Cohorts, row)
	}
	for k := range num {
		m.Overall = append(m.Overall, float64(num[k])/float64(den[k]))
	}
	return m
}

// PurchaseEvent is the event name FromTransactions records purchases as.
const PurchaseEvent = "purchase"

// FromTransactions computes repeat-purchase retention from transactions:
// a customer's cohort is the period of its first purchase, and it is
// retained in period k ≥ 1 when it bought at least once in the k-th period
// after. Transactions with a negative amount (refunds) are not purchases.
// Days are counted in loc (UTC when nil), from the first purchase's day to
// the last's. The purchases go through an index of their own, so the
// figures are those [Compute] gives on an index of the same events.
func FromTransactions(ctx context.Context, txs iter.Seq[segkit.Transaction], period Period, loc *time.Location) (*Matrix, error) {
	if loc == nil {
		loc = time.UTC
	}
	ix, err := bitmapindex.New(bitmapindex.Config{Location: loc})
	if err != nil {
		return nil, err
	}
	b := ix.NewBatch()
	from, through := segkit.MaxDay, segkit.MinDay
	n := 0
	for t := range txs {
		if t.Amount < 0 {
			continue
		}
		if t.Customer == "" {
			return nil, fmt.Errorf("%w: a transaction at %v without a customer", ErrConfig, t.At)
		}
		d := segkit.DayOf(t.At, loc)
		from, through = min(from, d), max(through, d)
		b.Record(t.Customer, PurchaseEvent, t.At, t.Amount)
		n++
		if n%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := b.Commit(); err != nil {
				return nil, err
			}
			b = ix.NewBatch()
		}
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no purchases", ErrConfig)
	}
	return Compute(ctx, ix.View(), Config{
		Period: period, CohortEvent: PurchaseEvent, ActiveEvent: PurchaseEvent, From: from, Through: through,
	})
}
