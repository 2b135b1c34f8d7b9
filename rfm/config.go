package rfm

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// Binning is the rule that turns a metric into a score 1..n. The zero value is
// [Quantile]. Like the other small enums of this package it is a comparable
// value, safe to copy and share.
type Binning uint8

const (
	// Quantile (the default) cuts at the type-7 (linear interpolation)
	// quantiles q_k of the metric at k/n, k = 1..n−1. F and M score
	// 1 + #{k : q_k < v}; R scores n − #{k : q_k < recency}. Equal values
	// always share a score; on skewed data (many customers with one order)
	// some scores may be empty.
	Quantile Binning = iota
	// RCompat reproduces the R package rfm 0.3.0 (rfm_table_order): breaks
	// b_k = q_k + 1 with q_k the type-7 quantile computed as R computes it,
	// bins [b_{k−1}, b_k), so F and M score 1 + #{k : b_k ≤ v} and R scores
	// n − #{k : b_k ≤ recency}. Analysts moving from R get identical scores.
	RCompat
	// Rank cuts the customers, ordered from worst to best value, into n
	// groups of equal size (sizes differ by at most one). Ties are broken by
	// customer key in byte order, the earlier key getting the lower score, so
	// equal values may straddle two scores; every score is used when there
	// are at least n customers.
	Rank
	// Explicit uses the breakpoints given in Config.Breakpoints, one strictly
	// increasing list per dimension, read as lower bounds: F and M score
	// 1 + #{k : p_k ≤ v}, R scores n − #{k : p_k ≤ recency}, where n is the
	// number of points plus one. This is the rule of R's custom thresholds.
	Explicit
	// SplitMean splits each metric in two at its mean: F and M score 2 when the
	// value is strictly above the mean, R scores 2 (recent) when the recency
	// is strictly below the mean; a value equal to the mean scores 1. Scores
	// are 1..2 whatever Config.Bins says. The cn8 and quadrant presets are
	// written for it.
	SplitMean
	// SplitMedian splits like [SplitMean] at the median (the type-7 quantile
	// at 1/2).
	SplitMedian
)

var binningNames = [...]string{"quantile", "rcompat", "rank", "explicit", "mean", "median"}

// String returns the binning's name as [ParseBinning] accepts it.
func (b Binning) String() string {
	if int(b) < len(binningNames) {
		return binningNames[b]
	}
	return fmt.Sprintf("Binning(%d)", uint8(b))
}

// ParseBinning parses a binning name: quantile, rcompat, rank, explicit, mean
// or median.
func ParseBinning(s string) (Binning, error) {
	for i, n := range binningNames {
		if strings.EqualFold(s, n) {
			return Binning(i), nil
		}
	}
	return 0, fmt.Errorf("rfm: unknown binning %q (want one of %s)", s, strings.Join(binningNames[:], ", "))
}

// FrequencyMode says what the F metric counts. The zero value is
// [Transactions].
type FrequencyMode uint8

const (
	// Transactions counts purchase transactions (amount ≥ 0).
	Transactions FrequencyMode = iota
	// Days counts distinct purchase days in the configured time zone.
	Days
)

// String returns "transactions" or "days".
func (f FrequencyMode) String() string {
	switch f {
	case Transactions:
		return "transactions"
	case Days:
		return "days"
	}
	return fmt.Sprintf("FrequencyMode(%d)", uint8(f))
}

// MonetaryMode says how the M metric aggregates amounts. The zero value is
// [Sum].
type MonetaryMode uint8

const (
	// Sum is the net revenue: purchases minus netted refunds.
	Sum MonetaryMode = iota
	// Mean is the net revenue divided by the number of purchase
	// transactions: the average order value.
	Mean
)

// String returns "sum" or "mean".
func (m MonetaryMode) String() string {
	switch m {
	case Sum:
		return "sum"
	case Mean:
		return "mean"
	}
	return fmt.Sprintf("MonetaryMode(%d)", uint8(m))
}

// ParseMonetary parses "sum" or "mean".
func ParseMonetary(s string) (MonetaryMode, error) {
	for _, m := range []MonetaryMode{Sum, Mean} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("rfm: unknown monetary measure %q (want sum or mean)", s)
}

// RefundPolicy says what happens to transactions with a negative amount. The
// zero value is [NetRefunds].
type RefundPolicy uint8

const (
	// NetRefunds subtracts refunds from the customer's revenue. A refund is
	// not a purchase: it moves neither recency nor frequency. A customer
	// whose only transactions are refunds is left out and counted in
	// Result.RefundOnly.
	NetRefunds RefundPolicy = iota
	// RejectRefunds makes Analyze fail on the first negative amount, with a
	// [*segkit.TransactionError] naming it.
	RejectRefunds
)

// MaxBins is the largest number of score bins: scores stay single digits so
// that a score reads as three characters ("543").
const MaxBins = 9

// Breakpoints are explicit cut points per dimension, each strictly
// increasing and finite, for [Explicit] binning. R's points are in days of
// recency, F's in frequency units, M's in money. Analyze only reads them, so
// one Breakpoints may be shared by concurrent calls.
type Breakpoints struct {
	R, F, M []float64
}

// Config holds the knobs of the RFM model. The zero Config is valid and means
// UTC, 5 quantile bins, frequency counting transactions, monetary summing
// net revenue, refunds netted; use [DefaultConfig] to say so explicitly.
//
// A Config is a plain value; copies are independent except for the slices
// in Breakpoints, which Analyze only reads.
type Config struct {
	// Location is the time zone whose calendar days recency, purchase days
	// and "after now" are measured in; nil means UTC.
	Location *time.Location
	// Bins is the number of scores per dimension, 2..9; 0 means 5. Ignored by
	// Explicit (points + 1 per dimension), SplitMean and SplitMedian (always 2).
	Bins int
	// Binning is the scoring rule; the zero value is Quantile.
	Binning Binning
	// Breakpoints are the cut points for Explicit binning.
	Breakpoints Breakpoints
	// Frequency selects transactions (default) or distinct purchase days.
	Frequency FrequencyMode
	// Monetary selects the sum (default) or the mean per transaction.
	Monetary MonetaryMode
	// Refunds selects netting (default) or rejecting negative amounts.
	Refunds RefundPolicy
	// Cycles also computes every customer's purchase cycle (the gaps between
	// distinct purchase days), which the loyalty model needs. It keeps every
	// customer's distinct purchase days in memory while analysing: 8 bytes
	// per purchase day. Off by default.
	Cycles bool
	// Exclude lists periods (days in Location) whose transactions are left
	// out, such as promotions (双十一) that distort normal behaviour;
	// Result.Excluded says how many each removed.
	Exclude []segkit.Period
}

// DefaultConfig returns the default configuration: UTC, 5 bins, quantile
// binning, frequency = transactions, monetary = sum, refunds netted, no
// purchase cycles.
func DefaultConfig() Config {
	return Config{Location: time.UTC, Bins: 5, Binning: Quantile}
}

func (c Config) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// bins returns the number of scores per dimension (R, F, M).
func (c Config) bins() [3]int {
	switch c.Binning {
	case Explicit:
		return [3]int{len(c.Breakpoints.R) + 1, len(c.Breakpoints.F) + 1, len(c.Breakpoints.M) + 1}
	case SplitMean, SplitMedian:
		return [3]int{2, 2, 2}
	}
	n := c.Bins
	if n == 0 {
		n = 5
	}
	return [3]int{n, n, n}
}

// validate reports the first problem of the configuration.
func (c Config) validate() error {
	if int(c.Binning) >= len(binningNames) {
		return fmt.Errorf("rfm: config: unknown binning %d", c.Binning)
	}
	if c.Frequency > Days {
		return fmt.Errorf("rfm: config: unknown frequency mode %d", c.Frequency)
	}
	if c.Monetary > Mean {
		return fmt.Errorf("rfm: config: unknown monetary mode %d", c.Monetary)
	}
	if c.Refunds > RejectRefunds {
		return fmt.Errorf("rfm: config: unknown refund policy %d", c.Refunds)
	}
	if c.Binning == Explicit {
		for d, pts := range [3][]float64{c.Breakpoints.R, c.Breakpoints.F, c.Breakpoints.M} {
			if err := checkBreakpoints(dimNames[d], pts); err != nil {
				return err
			}
		}
		return nil
	}
	if c.Bins != 0 && (c.Bins < 2 || c.Bins > MaxBins) {
		return fmt.Errorf("rfm: config: bins %d out of range 2..%d", c.Bins, MaxBins)
	}
	return nil
}

var dimNames = [3]string{"R", "F", "M"}

// checkBreakpoints validates explicit breakpoints of one dimension.
func checkBreakpoints(dim string, pts []float64) error {
	if len(pts) < 1 || len(pts) > MaxBins-1 {
		return fmt.Errorf("rfm: config: explicit breakpoints for %s: %d points, want 1..%d", dim, len(pts), MaxBins-1)
	}
	for i, p := range pts {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return fmt.Errorf("rfm: config: explicit breakpoints for %s: point %d is %v, want a finite number", dim, i+1, p)
		}
		if i > 0 && !(p > pts[i-1]) {
			return fmt.Errorf("rfm: config: explicit breakpoints for %s are not increasing: point %d (%v) is not above point %d (%v)", dim, i+1, p, i, pts[i-1])
		}
	}
	return nil
}
