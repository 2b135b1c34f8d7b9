package rfm

import (
	"fmt"
	"math"
	"slices"

	"github.com/segkit/segkit"
)

// CycleStat selects which purchase-cycle statistic predicts the next
// purchase. The zero value is [CycleMean].
type CycleStat uint8

const (
	// CycleMean uses the mean gap between purchase days.
	CycleMean CycleStat = iota
	// CycleMedian uses the median gap, which one long pause moves less.
	CycleMedian
)

// LoyaltyConfig configures the loyalty (frequency) model. The zero value is
// valid: tiers one-time (1), repeat (2–3) and loyal (4+), next purchase from
// the mean gap. It is a plain value; Loyalty only reads it.
type LoyaltyConfig struct {
	// Thresholds are the lowest Frequency of each tier after the first,
	// strictly increasing and at least 1. nil means {2, 4}.
	Thresholds []int
	// Names are the tier names from the lowest frequency up, one more than
	// Thresholds. nil means one-time / repeat / loyal.
	Names []string
	// Aliases, optional, one per name.
	Aliases []string
	// Cycle selects the gap statistic for the expected next purchase.
	Cycle CycleStat
}

// DefaultLoyaltyConfig returns tiers one-time (1 purchase), repeat (2–3) and
// loyal (4 or more) — 一次性客户, 回头客, 忠诚客户 — and the mean gap.
func DefaultLoyaltyConfig() LoyaltyConfig {
	return LoyaltyConfig{
		Thresholds: []int{2, 4},
		Names:      []string{"one-time", "repeat", "loyal"},
		Aliases:    []string{"一次性客户", "回头客", "忠诚客户"},
	}
}

// LoyaltyTiers is the loyalty model's outcome: every customer's frequency
// tier and purchase cycle. It is immutable and safe for concurrent use.
type LoyaltyTiers struct {
	*Assignment
	// Thresholds are the lowest Frequency of each tier after the first.
	Thresholds []int
	// Cycle is the statistic Next uses.
	Cycle CycleStat
}

// Loyalty assigns frequency tiers (on Customer.Frequency, so transactions or
// distinct days as configured) and exposes every customer's purchase cycle
// and expected next purchase. It needs a result analysed with Config.Cycles
// and returns [ErrNoCycles] otherwise. Thresholds must increase and names be
// non-empty, distinct and one more than the thresholds.
func (r *Result) Loyalty(cfg LoyaltyConfig) (*LoyaltyTiers, error) {
	if r.cycles == nil {
		return nil, ErrNoCycles
	}
	if cfg.Thresholds == nil {
		d := DefaultLoyaltyConfig()
		cfg.Thresholds = d.Thresholds
		if cfg.Names == nil {
			cfg.Names, cfg.Aliases = d.Names, d.Aliases
		}
	}
	if cfg.Cycle > CycleMedian {
		return nil, fmt.Errorf("rfm: loyalty: unknown cycle statistic %d", cfg.Cycle)
	}
	if c := len(cfg.Thresholds); c < 1 || c > 254 {
		return nil, fmt.Errorf("rfm: loyalty: %d thresholds, want 1..254", c)
	}
	for i, t := range cfg.Thresholds {
		if t < 1 {
			return nil, fmt.Errorf("rfm: loyalty: threshold %d at position %d is below 1", t, i+1)
		}
		if i > 0 && t <= cfg.Thresholds[i-1] {
			return nil, fmt.Errorf("rfm: loyalty: thresholds are not increasing: %d at position %d is not above %d", t, i+1, cfg.Thresholds[i-1])
		}
	}
	if err := checkNames("loyalty", len(cfg.Thresholds)+1, cfg.Names, cfg.Aliases); err != nil {
		return nil, err
	}
	a := &Assignment{res: r, model: "loyalty", names: slices.Clone(cfg.Names), aliases: padAliases(cfg.Aliases, len(cfg.Names)),
		labels: make([]uint16, len(r.Customers))}
	for i := range r.Customers {
		f := r.Customers[i].Frequency
		t := 0
		for t < len(cfg.Thresholds) && f >= cfg.Thresholds[t] {
			t++
		}
		a.labels[i] = uint16(t)
	}
	return &LoyaltyTiers{Assignment: a, Thresholds: slices.Clone(cfg.Thresholds), Cycle: cfg.Cycle}, nil
}

// Gap returns the purchase cycle statistic (mean or median gap in days) of
// Result().Customers[i]; false with fewer than two purchase days.
func (l *LoyaltyTiers) Gap(i int) (float64, bool) {
	cy, ok := l.res.Cycle(i)
	if !ok || cy.Days < 2 {
		return 0, false
	}
	if l.Cycle == CycleMedian {
		return cy.Median, true
	}
	return cy.Mean, true
}

// Next returns the expected next purchase day of Result().Customers[i]: the
// last purchase day plus the gap rounded to whole days. It reports false
// with fewer than two purchase days, where no cycle is known.
func (l *LoyaltyTiers) Next(i int) (segkit.Day, bool) {
	g, ok := l.Gap(i)
	if !ok {
		return 0, false
	}
	return l.res.Customers[i].Last.AddDays(int(math.Round(g))), true
}

// Overdue returns how many days the expected next purchase of
// Result().Customers[i] lies before the analysis day (negative: days still
// to go). It reports false where Next does.
func (l *LoyaltyTiers) Overdue(i int) (int, bool) {
	n, ok := l.Next(i)
	if !ok {
		return 0, false
	}
	return l.res.Now.Sub(n), true
}
