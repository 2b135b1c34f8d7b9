package clv

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/segkit/segkit"
)

// Unit is the time unit of recency, T and of the parameters fitted on them.
// The zero value is Days. It is a comparable value, safe for concurrent use.
type Unit uint8

const (
	// Days measures time in days.
	Days Unit = iota
	// Weeks measures time in weeks of 7 days (days / 7, unrounded).
	Weeks
)

// String returns "days" or "weeks".
func (u Unit) String() string {
	switch u {
	case Days:
		return "days"
	case Weeks:
		return "weeks"
	}
	return fmt.Sprintf("Unit(%d)", uint8(u))
}

// Days returns the length of one unit in days.
func (u Unit) Days() float64 {
	if u == Weeks {
		return 7
	}
	return 1
}

// Summary is one customer's purchase history reduced to what the
// probabilistic models need (the "RFM summary" of the customer-base
// literature), in the Unit of its [SummaryTable]. It is a plain value, safe
// to copy and to read concurrently.
//
// Purchases on the same calendar day are one purchase. Frequency (x) counts
// the purchase days after the first; Recency (t_x) is the time from the first
// to the last purchase day; T is the time from the first purchase day to the
// calibration end day. A customer with Frequency 0 has Recency 0.
type Summary struct {
	Customer  string
	Frequency int     // x: repeat purchase days in the calibration period
	Recency   float64 // t_x: first to last purchase day
	T         float64 // first purchase day to the calibration end day
	// Monetary is the mean value of the repeat purchase days (the first
	// purchase day is excluded); 0 when Frequency is 0.
	Monetary float64

	First, Last segkit.Day // first and last purchase day in the calibration period

	// HoldoutFrequency and HoldoutValue count the purchase days and sum their
	// value in the holdout period; zero when the table has no holdout.
	HoldoutFrequency int
	HoldoutValue     float64
}

// SummaryConfig says how [Summarize] cuts transactions into periods. It is
// a plain value, safe for concurrent use.
type SummaryConfig struct {
	// CalibrationEnd is the last day of the calibration period, inclusive:
	// transactions on that day count, and T is measured up to it
	// (T = CalibrationEnd − first purchase day). Required.
	CalibrationEnd segkit.Day
	// HoldoutEnd is the last day of an optional holdout period
	// (CalibrationEnd, HoldoutEnd], inclusive. Zero means no holdout; when
	// set it must be after CalibrationEnd.
	HoldoutEnd segkit.Day
	// Unit of Recency and T. The zero value is Days.
	Unit Unit
	// Location is the time zone that decides a transaction's calendar day;
	// nil means UTC.
	Location *time.Location
	// Exclude lists periods (days in Location) whose transactions are left
	// out, such as promotions (双十一) that distort normal purchase rhythm;
	// SummaryTable.Excluded says how many each removed. T and the recency
	// are still measured in calendar days.
	Exclude []segkit.Period
}

// SummaryTable is the result of [Summarize]. It is a plain value; it is
// safe for concurrent reads.
type SummaryTable struct {
	// Customers is sorted by customer key (byte order). Customers whose first
	// purchase falls after CalibrationEnd are not included (see Late).
	Customers      []Summary
	Unit           Unit
	CalibrationEnd segkit.Day
	HoldoutEnd     segkit.Day // zero when there is no holdout period
	// HoldoutLength is the length of the holdout period in Unit.
	HoldoutLength float64
	// Ignored counts transactions after the last day of the last period.
	Ignored int
	// Late counts customers whose first purchase is after CalibrationEnd.
	Late int
	// Excluded is, per period of SummaryConfig.Exclude, the number of
	// transactions it removed; nil without excluded periods.
	Excluded []segkit.Excluded
}

type dayAmount struct {
	day    segkit.Day
	amount float64
}

// Summarize builds each customer's [Summary] from a stream of transactions.
//
// It returns a [*segkit.TransactionError] naming the first unusable transaction
// (empty customer, zero time, amount NaN, infinite or negative: refunds must
// be netted into their purchases before summarising), and an error when the
// config is invalid. Transactions may arrive in any order.
func Summarize(txns iter.Seq[segkit.Transaction], cfg SummaryConfig) (_ *SummaryTable, err error) {
	defer guard(&err, "summarize")
	if cfg.Unit > Weeks {
		return nil, fmt.Errorf("clv: summary: unknown unit %d", cfg.Unit)
	}
	last := cfg.CalibrationEnd
	if cfg.HoldoutEnd != 0 {
		if cfg.HoldoutEnd <= cfg.CalibrationEnd {
			return nil, fmt.Errorf("clv: summary: holdout end %s is not after calibration end %s", cfg.HoldoutEnd, cfg.CalibrationEnd)
		}
		last = cfg.HoldoutEnd
	}
	zone := segkit.NewZone(cfg.Location)
	ex, err := segkit.NewExclusion(cfg.Exclude)
	if err != nil {
		return nil, fmt.Errorf("clv: summary: %w", err)
	}
	tab := &SummaryTable{Unit: cfg.Unit, CalibrationEnd: cfg.CalibrationEnd, HoldoutEnd: cfg.HoldoutEnd}
	if cfg.HoldoutEnd != 0 {
		tab.HoldoutLength = float64(cfg.HoldoutEnd.Sub(cfg.CalibrationEnd)) / cfg.Unit.Days()
	}
	index := make(map[string]int)
	var keys []string
	var hist [][]dayAmount
	pos := 0
	txns(func(t segkit.Transaction) bool {
		if reason := checkTransaction(t); reason != "" {
			err = &segkit.TransactionError{Model: "clv", Pos: pos, Customer: t.Customer, At: t.At, Amount: t.Amount, Reason: reason}
			return false
		}
		pos++
		d := zone.DayOf(t.At)
		if d > last {
			tab.Ignored++
			return true
		}
		if ex.Active() && ex.Drop(d) {
			return true
		}
		i, ok := index[t.Customer]
		if !ok {
			i = len(keys)
			index[t.Customer] = i
			keys = append(keys, t.Customer)
			hist = append(hist, nil)
		}
		hist[i] = append(hist[i], dayAmount{d, t.Amount})
		return true
	})
	if err != nil {
		return nil, err
	}
	tab.Excluded = ex.Report()
	unit := cfg.Unit.Days()
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	tab.Customers = make([]Summary, 0, len(keys))
	for _, i := range order {
		days := mergeDays(hist[i])
		hist[i] = nil
		if days[0].day > cfg.CalibrationEnd {
			tab.Late++
			continue
		}
		s := Summary{Customer: keys[i], First: days[0].day, Last: days[0].day}
		var repeat float64
		for _, d := range days[1:] {
			if d.day <= cfg.CalibrationEnd {
				s.Frequency++
				s.Last = d.day
				repeat += d.amount
			} else {
				s.HoldoutFrequency++
				s.HoldoutValue += d.amount
			}
		}
		s.Recency = float64(s.Last.Sub(s.First)) / unit
		s.T = float64(cfg.CalibrationEnd.Sub(s.First)) / unit
		if s.Frequency > 0 {
			s.Monetary = repeat / float64(s.Frequency)
		}
		tab.Customers = append(tab.Customers, s)
	}
	return tab, nil
}

func checkTransaction(t segkit.Transaction) string {
	if p := t.Problem(); p != "" {
		return p
	}
	if t.Amount < 0 {
		return fmt.Sprintf("negative amount %v: net refunds into their purchases before summarising", t.Amount)
	}
	return ""
}

// mergeDays sorts a customer's transactions by day and merges those on the
// same day into one purchase whose value is their sum.
func mergeDays(h []dayAmount) []dayAmount {
	slices.SortStableFunc(h, func(a, b dayAmount) int { return cmp.Compare(a.day, b.day) })
	out := h[:1]
	for _, d := range h[1:] {
		if d.day == out[len(out)-1].day {
			out[len(out)-1].amount += d.amount
			continue
		}
		out = append(out, d)
	}
	return out
}

// ValidateSummaries checks model input: frequency and monetary value
// non-negative, recency and T finite and non-negative, recency ≤ T, and
// recency 0 for customers without repeat purchases. It returns a
// [*DataError] naming the first bad row, or nil.
func ValidateSummaries(data []Summary) error {
	for i := range data {
		if field, v, reason := checkSummary(&data[i]); reason != "" {
			return &DataError{Row: i, Customer: data[i].Customer, Field: field, Value: v, Reason: reason}
		}
	}
	return nil
}

func checkSummary(s *Summary) (field string, v float64, reason string) {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case s.Frequency < 0:
		return "frequency", float64(s.Frequency), "must not be negative"
	case bad(s.Recency):
		return "recency", s.Recency, "is not a finite number"
	case s.Recency < 0:
		return "recency", s.Recency, "must not be negative"
	case bad(s.T):
		return "T", s.T, "is not a finite number"
	case s.T < 0:
		return "T", s.T, "must not be negative"
	case s.Recency > s.T:
		return "recency", s.Recency, fmt.Sprintf("exceeds T %v", s.T)
	case s.Frequency == 0 && s.Recency != 0:
		return "recency", s.Recency, "must be 0 for a customer without repeat purchases"
	case bad(s.Monetary):
		return "monetary", s.Monetary, "is not a finite number"
	case s.Monetary < 0:
		return "monetary", s.Monetary, "must not be negative"
	}
	return "", 0, ""
}
