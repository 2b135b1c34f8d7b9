package persona

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/segkit/segkit"
)

// Features is a numeric table for discovery: one row per customer, one
// column per feature (recency, frequency, monetary, age, …). It is plain
// data; [KMeans] does not modify it.
type Features struct {
	// Names are the column names, unique.
	Names []string
	// Keys are the customers, one per row, unique.
	Keys []string
	// Rows hold len(Names) finite values each.
	Rows [][]float64
}

// Add appends one row.
func (f *Features) Add(key string, values ...float64) {
	f.Keys = append(f.Keys, key)
	f.Rows = append(f.Rows, values)
}

// Len returns the number of rows.
func (f *Features) Len() int { return len(f.Rows) }

func (f *Features) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: features: "+format, append([]any{ErrInvalidInput}, args...)...)
	}
	if len(f.Names) == 0 {
		return bad("no columns")
	}
	names := map[string]bool{}
	for _, n := range f.Names {
		if names[n] {
			return bad("duplicate column %q", n)
		}
		names[n] = true
	}
	if len(f.Keys) != len(f.Rows) {
		return bad("%d keys for %d rows", len(f.Keys), len(f.Rows))
	}
	keys := make(map[string]bool, len(f.Keys))
	for i, row := range f.Rows {
		if keys[f.Keys[i]] {
			return bad("row %d: duplicate key %q", i, f.Keys[i])
		}
		keys[f.Keys[i]] = true
		if len(row) != len(f.Names) {
			return bad("row %d (%q): %d values for %d columns", i, f.Keys[i], len(row), len(f.Names))
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return bad("row %d (%q): %s is %v", i, f.Keys[i], f.Names[j], v)
			}
		}
	}
	return nil
}

// Transform is applied to a feature before standardisation. It is a
// comparable value; the zero value is TransformNone.
type Transform uint8

const (
	// TransformNone uses the value as is.
	TransformNone Transform = iota
	// TransformLog1p uses ln(1+x); values must be ≥ 0. The usual choice for
	// skewed counts and amounts (frequency, monetary, recency).
	TransformLog1p
	// TransformLog uses ln(x); values must be > 0.
	TransformLog
)

// String returns "none", "log1p" or "log".
func (t Transform) String() string {
	switch t {
	case TransformNone:
		return "none"
	case TransformLog1p:
		return "log1p"
	case TransformLog:
		return "log"
	}
	return fmt.Sprintf("Transform(%d)", uint8(t))
}

func (t Transform) apply(v float64) (float64, bool) {
	switch t {
	case TransformLog1p:
		return math.Log1p(v), v >= 0
	case TransformLog:
		return math.Log(v), v > 0
	}
	return v, true
}

// RFM feature names produced by [RFMFeatures].
const (
	FeatureRecency   = "recency_days"
	FeatureFrequency = "frequency"
	FeatureMonetary  = "monetary"
)

// RFMFeaturesExcluding is [RFMFeatures] over the transactions outside the
// excluded periods (days in loc), such as promotions that distort normal
// behaviour, and reports how many transactions each period removed.
func RFMFeaturesExcluding(txs iter.Seq[segkit.Transaction], now time.Time, loc *time.Location, exclude []segkit.Period) (Features, []segkit.Excluded, error) {
	ex, err := segkit.NewExclusion(exclude)
	if err != nil {
		return Features{}, nil, fmt.Errorf("persona: %w", err)
	}
	f := RFMFeatures(ex.Transactions(txs, segkit.NewZone(loc)), now, loc)
	return f, ex.Report(), nil
}

// RFMFeatures summarises transactions into one row per customer (sorted by
// key) with the columns recency_days (day(now) − day(last purchase) in loc,
// whole days), frequency (number of transactions) and monetary (sum of
// amounts, floored at 0 so refunds cannot make it negative). Transactions
// after now are ignored. It is a convenience for discovery; package rfm has
// the full RFM model.
func RFMFeatures(txs iter.Seq[segkit.Transaction], now time.Time, loc *time.Location) Features {
	type acc struct {
		last     segkit.Day
		n        int
		monetary float64
	}
	zone := segkit.NewZone(loc)
	today := zone.DayOf(now)
	m := map[string]*acc{}
	for t := range txs {
		if t.At.After(now) {
			continue
		}
		a := m[t.Customer]
		d := zone.DayOf(t.At)
		if a == nil {
			a = &acc{last: d}
			m[t.Customer] = a
		}
		a.last = max(a.last, d)
		a.n++
		a.monetary += t.Amount
	}
	f := Features{Names: []string{FeatureRecency, FeatureFrequency, FeatureMonetary}}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		a := m[k]
		f.Add(k, float64(today.Sub(a.last)), float64(a.n), max(a.monetary, 0))
	}
	return f
}
