package rfm

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/segkit/segkit"
)

// Customer is one customer's RFM metrics and scores. It is a plain value.
type Customer struct {
	// Key is the host's customer key.
	Key string
	// First and Last are the days of the first and the last purchase on or
	// before the analysis date, in the configured time zone.
	First, Last segkit.Day
	// Recency is day(now) − Last in whole days: 0 for a purchase on the
	// analysis date.
	Recency int
	// Tenure is day(now) − First in whole days.
	Tenure int
	// Orders is the number of purchase transactions (amount ≥ 0); refunds
	// are not counted.
	Orders int
	// Frequency is the F metric: Orders, or the number of distinct purchase
	// days with Config.Frequency = Days.
	Frequency int
	// Revenue is the net amount: purchases minus netted refunds.
	Revenue float64
	// Monetary is the M metric: Revenue, or Revenue / Orders with
	// Config.Monetary = Mean.
	Monetary float64
	// Score is the customer's R, F and M scores.
	Score Score
}

// Cycle is a customer's purchase cycle: the gaps in days between consecutive
// distinct purchase days. With fewer than two purchase days there is no gap
// and Mean and Median are 0. It is a plain value.
type Cycle struct {
	Days   int     // distinct purchase days
	Mean   float64 // mean gap in days: (Last − First) / (Days − 1)
	Median float64 // median gap in days
}

// Result is the outcome of [Analyze]: every customer's metrics and scores,
// the cuts used, and what was left out. A Result is immutable once returned
// (treat its exported slices as read-only) and safe for concurrent use by
// multiple goroutines.
type Result struct {
	// Now is the analysis day in Location.
	Now segkit.Day
	// Location is the time zone days are counted in.
	Location *time.Location
	// Config is the configuration the result was computed with.
	Config Config
	// Customers holds every customer with at least one purchase on or before
	// Now, in the order of their first transaction in the input.
	Customers []Customer
	// R, F and M are the cuts each dimension was scored with.
	R, F, M Cuts
	// Transactions is the number of transactions read.
	Transactions int
	// Future is the number of transactions dated after Now, left out.
	Future int
	// Refunds is the number of refunds (negative amounts) netted.
	Refunds int
	// RefundOnly is the number of customers left out because every one of
	// their transactions up to Now was a refund.
	RefundOnly int
	// Excluded is, per period of Config.Exclude, the number of transactions
	// up to Now it removed (a transaction in overlapping periods counts in
	// the first); nil without excluded periods.
	Excluded []segkit.Excluded

	cycles []Cycle // per customer, with Config.Cycles

	keysOnce sync.Once
	keys     map[string]int
}

// Len returns the number of customers.
func (r *Result) Len() int { return len(r.Customers) }

// Find returns the position in Customers of the customer with the given key.
// The first call builds an index of the keys.
func (r *Result) Find(key string) (int, bool) {
	r.keysOnce.Do(func() {
		r.keys = make(map[string]int, len(r.Customers))
		for i := range r.Customers {
			r.keys[r.Customers[i].Key] = i
		}
	})
	i, ok := r.keys[key]
	return i, ok
}

// Lookup returns the customer with the given key.
func (r *Result) Lookup(key string) (Customer, bool) {
	i, ok := r.Find(key)
	if !ok {
		return Customer{}, false
	}
	return r.Customers[i], true
}

// Cycle returns the purchase cycle of Customers[i]. It reports false when the
// result was computed without Config.Cycles or i is out of range.
func (r *Result) Cycle(i int) (Cycle, bool) {
	if r.cycles == nil || i < 0 || i >= len(r.cycles) {
		return Cycle{}, false
	}
	return r.cycles[i], true
}

// Bins returns the number of scores per dimension.
func (r *Result) Bins() (rBins, fBins, mBins int) { return r.R.Bins, r.F.Bins, r.M.Bins }

// The range of times Analyze accepts: years 1 to 9999.
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// Analyze computes every customer's RFM metrics and scores from a stream of
// transactions, as of the analysis date now (its calendar day in
// cfg.Location). Transactions dated after that day are left out and counted
// in Result.Future. It never reads the clock.
//
// Errors: a [*segkit.TransactionError] for an empty customer key, a NaN or infinite
// amount, a time outside the years 1..9999, a refund under RejectRefunds, or
// a customer whose net revenue overflows; [ErrNoCustomers] when no customer
// has a purchase up to now; an error for an invalid configuration.
func Analyze(txns iter.Seq[segkit.Transaction], now time.Time, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if txns == nil {
		return nil, ErrNoCustomers
	}
	if u := now.Unix(); u < minUnix || u > maxUnix {
		return nil, fmt.Errorf("rfm: analysis date %s outside the years 1..9999", now.Format(time.RFC3339))
	}
	loc := cfg.location()
	zone := segkit.NewZone(loc)
	res := &Result{Location: loc, Config: cfg}
	res.Now = zone.DayOf(now)
	ex, err := segkit.NewExclusion(cfg.Exclude)
	if err != nil {
		return nil, fmt.Errorf("rfm: %w", err)
	}

	trackDays := cfg.Frequency == Days || cfg.Cycles
	ag := aggregator{tab: newCustTable(), trackDays: trackDays}
	pos := 0
	for t := range txns {
		p := pos
		pos++
		amt := t.Amount
		if math.IsNaN(amt) || math.IsInf(amt, 0) {
			return nil, &segkit.TransactionError{Model: "rfm", Pos: p, Customer: t.Customer, At: t.At, Amount: amt,
				Reason: fmt.Sprintf("amount %v is not a finite number", amt)}
		}
		if t.Customer == "" {
			return nil, &segkit.TransactionError{Model: "rfm", Pos: p, At: t.At, Amount: amt, Reason: "empty customer key"}
		}
		if u := t.At.Unix(); u < minUnix || u > maxUnix {
			return nil, &segkit.TransactionError{Model: "rfm", Pos: p, Customer: t.Customer, At: t.At, Amount: amt,
				Reason: "time outside the years 1..9999"}
		}
		day := zone.DayOf(t.At)
		if day > res.Now {
			res.Future++
			continue
		}
		if ex.Active() && ex.Drop(day) {
			continue
		}
		if amt < 0 {
			if cfg.Refunds == RejectRefunds {
				return nil, &segkit.TransactionError{Model: "rfm", Pos: p, Customer: t.Customer, At: t.At, Amount: amt,
					Reason: fmt.Sprintf("refund of %v rejected (Config.Refunds = RejectRefunds)", amt)}
			}
			res.Refunds++
		}
		if ag.push(item{key: t.Customer, amt: amt, day: day}) {
			if err := ag.flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := ag.flush(); err != nil {
		return nil, err
	}
	tab, pairs := ag.tab, ag.pairs
	res.Transactions = pos
	res.Excluded = ex.Report()

	// Customers in first-seen order; refund-only customers are dropped, so
	// remember where each accumulator went.
	tab.index = hashIndex{}
	var dst []int32 // accumulator → customer, for the purchase days
	if trackDays {
		dst = make([]int32, tab.n)
	}
	res.Customers = make([]Customer, 0, tab.n)
	for i := range int32(tab.n) {
		a := tab.at(i)
		if a.orders == 0 {
			res.RefundOnly++
			if dst != nil {
				dst[i] = -1
			}
			continue
		}
		if math.IsInf(a.revenue, 0) {
			return nil, &segkit.TransactionError{Model: "rfm", Pos: -1, Customer: a.key, Reason: "net revenue overflows float64"}
		}
		if dst != nil {
			dst[i] = int32(len(res.Customers))
		}
		res.Customers = append(res.Customers, Customer{
			Key:       a.key,
			First:     a.first,
			Last:      a.last,
			Recency:   res.Now.Sub(a.last),
			Tenure:    res.Now.Sub(a.first),
			Orders:    a.orders,
			Frequency: a.orders,
			Revenue:   a.revenue,
		})
		if i&(1<<chunkBits-1) == 1<<chunkBits-1 {
			tab.chunks[i>>chunkBits] = nil // converted: let the collector have it
		}
	}
	tab = nil
	if len(res.Customers) == 0 {
		return nil, ErrNoCustomers
	}
	if trackDays {
		res.purchaseDays(pairs, dst)
	}
	for i := range res.Customers {
		c := &res.Customers[i]
		c.Monetary = c.Revenue
		if cfg.Monetary == Mean {
			c.Monetary = c.Revenue / float64(c.Orders)
		}
	}
	res.score()
	return res, nil
}

// purchaseDays counts distinct purchase days per customer (the Days
// frequency) and, with Config.Cycles, the purchase cycles.
func (r *Result) purchaseDays(pairs []uint64, dst []int32) {
	if !slices.IsSorted(pairs) { // input grouped by customer in time order is already sorted
		slices.Sort(pairs)
	}
	pairs = slices.Compact(pairs)
	if r.Config.Cycles {
		r.cycles = make([]Cycle, len(r.Customers))
	}
	var gaps []float64
	for start := 0; start < len(pairs); {
		ai := pairs[start] >> 32
		end := start + 1
		for end < len(pairs) && pairs[end]>>32 == ai {
			end++
		}
		ci := dst[ai]
		if ci >= 0 {
			days := end - start
			c := &r.Customers[ci]
			if r.Config.Frequency == Days {
				c.Frequency = days
			}
			if r.cycles != nil {
				cy := Cycle{Days: days}
				if days > 1 {
					gaps = gaps[:0]
					for k := start + 1; k < end; k++ {
						gaps = append(gaps, float64(uint32(pairs[k])-uint32(pairs[k-1])))
					}
					slices.Sort(gaps)
					cy.Mean = float64(c.Last.Sub(c.First)) / float64(days-1)
					if m := len(gaps); m%2 == 1 {
						cy.Median = gaps[m/2]
					} else {
						cy.Median = (gaps[m/2-1] + gaps[m/2]) / 2
					}
				}
				r.cycles[ci] = cy
			}
		}
		start = end
	}
}

// score bins the three metrics.
func (r *Result) score() {
	n := r.Config.bins()
	N := len(r.Customers)
	vals := make([]float64, N)
	var scratch []float64 // for the quantile selections
	switch r.Config.Binning {
	case Quantile, RCompat, SplitMedian:
		scratch = make([]float64, N)
	}
	out := make([]uint8, N)
	keys := func(i int) string { return r.Customers[i].Key }
	bp := r.Config.Breakpoints

	for i := range r.Customers {
		vals[i] = float64(r.Customers[i].Recency)
	}
	r.R = cut(vals, scratch, keys, n[0], r.Config.Binning, true, bp.R, out)
	for i := range r.Customers {
		r.Customers[i].Score.R = out[i]
		vals[i] = float64(r.Customers[i].Frequency)
	}
	r.F = cut(vals, scratch, keys, n[1], r.Config.Binning, false, bp.F, out)
	for i := range r.Customers {
		r.Customers[i].Score.F = out[i]
		vals[i] = r.Customers[i].Monetary
	}
	r.M = cut(vals, scratch, keys, n[2], r.Config.Binning, false, bp.M, out)
	for i := range r.Customers {
		r.Customers[i].Score.M = out[i]
	}
}
