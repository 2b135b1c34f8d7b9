package rfm

import (
	"errors"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tx(cust, when string, amount float64) segkit.Transaction {
	var t time.Time
	if len(when) == len(time.DateOnly) {
		t = day(when)
	} else {
		t = at(when)
	}
	return segkit.Transaction{Customer: cust, At: t, Amount: amount}
}

func TestAnalyzeMetrics(t *testing.T) {
	txns := []segkit.Transaction{
		tx("a", "2024-01-01", 10),
		tx("b", "2024-03-01", 50),
		tx("a", "2024-03-10", 30),
		tx("a", "2024-03-10", 20), // same day: 3 transactions, 2 days
		tx("c", "2024-03-31", 5),
		tx("b", "2024-02-01", -20), // refund: nets revenue, not a purchase
		tx("d", "2024-02-01", -5),  // refund only: left out
		tx("a", "2024-04-02", 99),  // after now: left out
	}
	now := day("2024-03-31")
	tests := []struct {
		name     string
		cfg      func(*Config)
		wantFreq map[string]int
		wantMon  map[string]float64
	}{
		{"transactions and sum", func(*Config) {},
			map[string]int{"a": 3, "b": 1, "c": 1}, map[string]float64{"a": 60, "b": 30, "c": 5}},
		{"days and mean", func(c *Config) { c.Frequency = Days; c.Monetary = Mean },
			map[string]int{"a": 2, "b": 1, "c": 1}, map[string]float64{"a": 20, "b": 30, "c": 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.cfg(&cfg)
			res, err := Analyze(slices.Values(txns), now, cfg)
			require.NoError(t, err)
			assert.Equal(t, 8, res.Transactions)
			assert.Equal(t, 1, res.Future)
			assert.Equal(t, 2, res.Refunds)
			assert.Equal(t, 1, res.RefundOnly)
			assert.Equal(t, segkit.Date(2024, 3, 31), res.Now)
			require.Len(t, res.Customers, 3)
			assert.Equal(t, []string{"a", "b", "c"}, keysOf(res), "first-seen order")
			a, _ := res.Lookup("a")
			assert.Equal(t, segkit.Date(2024, 1, 1), a.First)
			assert.Equal(t, segkit.Date(2024, 3, 10), a.Last)
			assert.Equal(t, 21, a.Recency)
			assert.Equal(t, 90, a.Tenure)
			assert.Equal(t, 3, a.Orders)
			b, _ := res.Lookup("b")
			assert.Equal(t, 30, b.Recency)
			assert.Equal(t, 30.0, b.Revenue)
			c, _ := res.Lookup("c")
			assert.Equal(t, 0, c.Recency, "a purchase on the analysis date is 0 days ago")
			for _, cu := range res.Customers {
				assert.Equal(t, tc.wantFreq[cu.Key], cu.Frequency, cu.Key)
				assert.Equal(t, tc.wantMon[cu.Key], cu.Monetary, cu.Key)
			}
			_, ok := res.Lookup("d")
			assert.False(t, ok)
		})
	}
}

func keysOf(r *Result) []string {
	var ks []string
	for _, c := range r.Customers {
		ks = append(ks, c.Key)
	}
	return ks
}

func TestAnalyzeTimeZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	// 2024-03-30T20:00Z is already March 31 in Shanghai.
	txns := []segkit.Transaction{tx("a", "2024-03-30T20:00:00Z", 1), tx("b", "2024-03-31T17:00:00Z", 1)}
	now := at("2024-03-31T12:00:00Z")

	res, err := Analyze(slices.Values(txns), now, DefaultConfig())
	require.NoError(t, err)
	a, _ := res.Lookup("a")
	b, _ := res.Lookup("b")
	assert.Equal(t, 1, a.Recency, "UTC")
	assert.Equal(t, 0, b.Recency, "later the same UTC day still counts")

	cfg := DefaultConfig()
	cfg.Location = shanghai
	res, err = Analyze(slices.Values(txns), now, cfg)
	require.NoError(t, err)
	a, _ = res.Lookup("a")
	assert.Equal(t, 0, a.Recency, "Shanghai")
	assert.Equal(t, 1, res.Future, "01:00 on April 1 in Shanghai is after now")
}

func TestAnalyzeBadInput(t *testing.T) {
	now := day("2024-03-31")
	tests := []struct {
		name    string
		txns    []segkit.Transaction
		cfg     func(*Config)
		wantErr string
		is      error
	}{
		{"empty", nil, nil, "no customers", ErrNoCustomers},
		{"only future", []segkit.Transaction{tx("a", "2025-01-01", 3)}, nil, "no customers", ErrNoCustomers},
		{"only refunds", []segkit.Transaction{tx("a", "2024-01-01", -3)}, nil, "no customers", ErrNoCustomers},
		{"NaN", []segkit.Transaction{tx("a", "2024-01-01", 3), tx("b", "2024-01-02", math.NaN())}, nil,
			`rfm: transaction 1 (customer "b", 2024-01-02T00:00:00Z): amount NaN is not a finite number`, nil},
		{"+Inf", []segkit.Transaction{tx("a", "2024-01-01", math.Inf(1))}, nil,
			`rfm: transaction 0 (customer "a", 2024-01-01T00:00:00Z): amount +Inf is not a finite number`, nil},
		{"-Inf", []segkit.Transaction{tx("a", "2024-01-01", math.Inf(-1))}, nil, "amount -Inf is not a finite number", nil},
		{"empty key", []segkit.Transaction{tx("", "2024-01-01", 1)}, nil, "transaction 0 (customer \"\", 2024-01-01T00:00:00Z): empty customer key", nil},
		{"rejected refund", []segkit.Transaction{tx("a", "2024-01-01", 5), tx("a", "2024-01-02", -2)},
			func(c *Config) { c.Refunds = RejectRefunds },
			`rfm: transaction 1 (customer "a", 2024-01-02T00:00:00Z): refund of -2 rejected (Config.Refunds = RejectRefunds)`, nil},
		{"revenue overflow", []segkit.Transaction{tx("a", "2024-01-01", math.MaxFloat64), tx("a", "2024-01-02", math.MaxFloat64)}, nil,
			`rfm: customer "a": net revenue overflows float64`, nil},
		{"time out of range", []segkit.Transaction{{Customer: "a", At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Amount: 1}}, nil,
			"time outside the years 1..9999", nil},
		{"bins", []segkit.Transaction{tx("a", "2024-01-01", 1)}, func(c *Config) { c.Bins = 12 },
			"rfm: config: bins 12 out of range 2..9", nil},
		{"bins one", []segkit.Transaction{tx("a", "2024-01-01", 1)}, func(c *Config) { c.Bins = 1 },
			"rfm: config: bins 1 out of range 2..9", nil},
		{"breakpoints not increasing", []segkit.Transaction{tx("a", "2024-01-01", 1)},
			func(c *Config) {
				c.Binning = Explicit
				c.Breakpoints = Breakpoints{R: []float64{30, 90}, F: []float64{2, 5, 5}, M: []float64{100}}
			},
			"rfm: config: explicit breakpoints for F are not increasing: point 3 (5) is not above point 2 (5)", nil},
		{"breakpoints missing", []segkit.Transaction{tx("a", "2024-01-01", 1)},
			func(c *Config) { c.Binning = Explicit; c.Breakpoints = Breakpoints{R: []float64{30}} },
			"rfm: config: explicit breakpoints for F: 0 points, want 1..8", nil},
		{"breakpoint NaN", []segkit.Transaction{tx("a", "2024-01-01", 1)},
			func(c *Config) {
				c.Binning = Explicit
				c.Breakpoints = Breakpoints{R: []float64{30}, F: []float64{2}, M: []float64{math.NaN()}}
			},
			"rfm: config: explicit breakpoints for M: point 1 is NaN, want a finite number", nil},
		{"unknown binning", []segkit.Transaction{tx("a", "2024-01-01", 1)}, func(c *Config) { c.Binning = 42 },
			"rfm: config: unknown binning 42", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			res, err := Analyze(slices.Values(tc.txns), now, cfg)
			require.Error(t, err)
			assert.Nil(t, res)
			assert.Contains(t, err.Error(), tc.wantErr)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			var te *segkit.TransactionError
			if errors.As(err, &te) {
				assert.NotEmpty(t, te.Reason)
			}
		})
	}
	_, err := Analyze(nil, now, DefaultConfig())
	assert.ErrorIs(t, err, ErrNoCustomers, "nil sequence")
}

func TestAnalyzeStopsIteratorOnError(t *testing.T) {
	// A bad transaction ends the iteration: the iterator sees yield return
	// false and is not asked for more.
	produced := 0
	seq := iter.Seq[segkit.Transaction](func(yield func(segkit.Transaction) bool) {
		for i := range 100 {
			produced++
			amt := 1.0
			if i == 3 {
				amt = math.NaN()
			}
			if !yield(segkit.Transaction{Customer: "a", At: day("2024-01-01"), Amount: amt}) {
				return
			}
		}
	})
	_, err := Analyze(seq, day("2024-03-31"), DefaultConfig())
	require.Error(t, err)
	assert.Equal(t, 4, produced)
}

func TestAnalyzeOrderIndependent(t *testing.T) {
	// Shuffling the input changes only the order of Customers, never a
	// metric or a score (rank ties are broken by key, not input order).
	rng := rand.New(rand.NewPCG(9, 10))
	txns := genTransactions(rng, 300, 4, day("2024-06-30"))
	for _, b := range []Binning{Quantile, RCompat, Rank, SplitMean, SplitMedian} {
		cfg := DefaultConfig()
		cfg.Binning = b
		cfg.Frequency = Days
		cfg.Cycles = true
		want, err := Analyze(slices.Values(txns), day("2024-06-30"), cfg)
		require.NoError(t, err)
		shuffled := slices.Clone(txns)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := Analyze(slices.Values(shuffled), day("2024-06-30"), cfg)
		require.NoError(t, err)
		require.Equal(t, want.Len(), got.Len())
		for i, c := range want.Customers {
			g, ok := got.Lookup(c.Key)
			require.True(t, ok)
			assert.Equal(t, c.Score, g.Score, "%v %s", b, c.Key)
			assert.Equal(t, c.Frequency, g.Frequency)
			assert.InDelta(t, c.Revenue, g.Revenue, 1e-9)
			gi, _ := got.Find(c.Key)
			wc, _ := want.Cycle(i)
			gc, _ := got.Cycle(gi)
			assert.Equal(t, wc, gc)
		}
		assert.Equal(t, want.R.Points, got.R.Points)
		assert.Equal(t, want.F.Counts, got.F.Counts)
	}
}

func TestCycles(t *testing.T) {
	txns := []segkit.Transaction{
		tx("a", "2024-01-01", 1), tx("a", "2024-01-11", 1), tx("a", "2024-01-11", 1),
		tx("a", "2024-01-15", 1), tx("a", "2024-02-14", 1), // gaps 10, 4, 30
		tx("b", "2024-02-01", 1),
	}
	cfg := DefaultConfig()
	cfg.Cycles = true
	res, err := Analyze(slices.Values(txns), day("2024-03-01"), cfg)
	require.NoError(t, err)
	ai, _ := res.Find("a")
	cy, ok := res.Cycle(ai)
	require.True(t, ok)
	assert.Equal(t, Cycle{Days: 4, Mean: 44.0 / 3, Median: 10}, cy)
	bi, _ := res.Find("b")
	cy, _ = res.Cycle(bi)
	assert.Equal(t, Cycle{Days: 1}, cy)
	a, _ := res.Lookup("a")
	assert.Equal(t, 5, a.Frequency, "frequency stays transactions")

	res, err = Analyze(slices.Values(txns), day("2024-03-01"), DefaultConfig())
	require.NoError(t, err)
	_, ok = res.Cycle(0)
	assert.False(t, ok, "no cycles without Config.Cycles")
}

// genTransactions generates n customers with about perCust purchases each
// over the year before now, some refunds, amounts in cents.
func genTransactions(rng *rand.Rand, n, perCust int, now time.Time) []segkit.Transaction {
	var out []segkit.Transaction
	for c := range n {
		key := "cust-" + string(rune('a'+c%26)) + "-" + strconv.Itoa(c)
		k := 1 + rng.IntN(2*perCust)
		for range k {
			when := now.Add(-time.Duration(rng.IntN(365*24)) * time.Hour)
			amt := math.Round(rng.ExpFloat64()*5000) / 100
			if rng.IntN(20) == 0 {
				amt = -amt / 2
			}
			out = append(out, segkit.Transaction{Customer: key, At: when, Amount: amt})
		}
	}
	return out
}

// TestCustTable holds the customer table (sorted fast path, then map) to a
// plain map on key sequences that start sorted and then go out of order.
func TestCustTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for iter := range 200 {
		tab := newCustTable()
		want := map[string]int32{}
		var order []string
		n := rng.IntN(300)
		switchAt := rng.IntN(n + 1)
		for k := range n {
			var key string
			if k < switchAt {
				key = "k" + strconv.Itoa(100000+k/(1+rng.IntN(3))) // increasing, with runs
			} else {
				key = "k" + strconv.Itoa(100000+rng.IntN(n+1))
			}
			i, ok := tab.find(key)
			require.True(t, ok)
			w, seen := want[key]
			if !seen {
				w = int32(len(order))
				want[key] = w
				order = append(order, key)
			}
			require.Equal(t, w, i, "iter %d step %d key %s", iter, k, key)
			require.Equal(t, key, tab.at(i).key)
		}
		require.Equal(t, len(order), tab.n)
	}
}

// TestAnalyzeAgainstNaive compares every customer's metrics with a plain
// map-based aggregation, on inputs in customer order (the table's sorted fast
// path), in random order (the batched hash index, resized several times) and
// in customer order that turns random half way.
func TestAnalyzeAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	now := day("2024-06-30")
	base := genTransactions(rng, 5000, 3, now.AddDate(0, 0, 20)) // some after now
	slices.SortStableFunc(base, func(a, b segkit.Transaction) int { return strings.Compare(a.Customer, b.Customer) })
	shuffled := slices.Clone(base)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	half := slices.Clone(base)
	tail := half[len(half)/2:]
	rng.Shuffle(len(tail), func(i, j int) { tail[i], tail[j] = tail[j], tail[i] })

	type agg struct {
		first, last segkit.Day
		orders      int
		days        map[segkit.Day]bool
		revenue     float64
	}
	want := map[string]*agg{}
	var order []string
	future, refunds := 0, 0
	for _, tr := range base {
		d := segkit.DayOf(tr.At, time.UTC)
		if d > segkit.DayOf(now, time.UTC) {
			future++
			continue
		}
		a := want[tr.Customer]
		if a == nil {
			a = &agg{days: map[segkit.Day]bool{}}
			want[tr.Customer] = a
			order = append(order, tr.Customer)
		}
		a.revenue += tr.Amount
		if tr.Amount < 0 {
			refunds++
			continue
		}
		if a.orders == 0 || d < a.first {
			a.first = d
		}
		if a.orders == 0 || d > a.last {
			a.last = d
		}
		a.orders++
		a.days[d] = true
	}
	for name, txns := range map[string][]segkit.Transaction{"by customer": base, "random": shuffled, "sorted then random": half} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Frequency = Days
			res, err := Analyze(slices.Values(txns), now, cfg)
			require.NoError(t, err)
			assert.Equal(t, future, res.Future)
			assert.Equal(t, refunds, res.Refunds)
			n := 0
			for _, k := range order {
				w := want[k]
				c, ok := res.Lookup(k)
				if w.orders == 0 {
					assert.False(t, ok, k)
					continue
				}
				n++
				require.True(t, ok, k)
				assert.Equal(t, w.first, c.First, k)
				assert.Equal(t, w.last, c.Last, k)
				assert.Equal(t, w.orders, c.Orders, k)
				assert.Equal(t, len(w.days), c.Frequency, k)
				assert.InDelta(t, w.revenue, c.Revenue, 1e-6, k)
			}
			assert.Equal(t, n, res.Len())
			assert.Equal(t, len(order)-n, res.RefundOnly)
		})
	}
}
