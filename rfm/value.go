package rfm

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// ValueMethod is how the value model cuts customers into spend tiers. The
// zero value is [ValueQuantile].
type ValueMethod uint8

const (
	// ValueQuantile cuts net revenue at quantiles: with Top = {0.2, 0.5} the
	// first tier holds customers above the type-7 quantile at 0.8 (the top
	// 20%), the second those above the quantile at 0.5, the rest fall in the
	// last tier. Equal revenues share a tier.
	ValueQuantile ValueMethod = iota
	// ValueABC is ABC (Pareto) analysis: customers in descending order of
	// net revenue; with Top = {0.8, 0.95}, A holds the customers that make
	// the first 80% of revenue (including the one that crosses 80%), B the
	// next 15%, C the rest. Equal revenues share a tier; customers with no
	// positive net revenue are always in the last tier.
	ValueABC
)

// String returns "quantile" or "abc".
func (m ValueMethod) String() string {
	switch m {
	case ValueQuantile:
		return "quantile"
	case ValueABC:
		return "abc"
	}
	return fmt.Sprintf("ValueMethod(%d)", uint8(m))
}

// ValueConfig configures the value (spend) model. The zero ValueConfig is
// valid: quantile tiers high / medium / low for the top 20%, the next 30%
// and the rest. It is a plain value; Value only reads it.
type ValueConfig struct {
	// Method selects quantile tiers or ABC by revenue share.
	Method ValueMethod
	// Top are cumulative shares from the top, strictly increasing in (0, 1):
	// of customers for ValueQuantile, of revenue for ValueABC. nil means
	// {0.2, 0.5} (quantile) or {0.8, 0.95} (ABC).
	Top []float64
	// Names are the tier names, best first, one more than Top. nil means
	// high/medium/low (quantile) or A/B/C (ABC).
	Names []string
	// Aliases, optional, one per name.
	Aliases []string
}

// DefaultValueConfig returns quantile tiers high / medium / low (高价值 /
// 中价值 / 低价值) for the top 20%, the next 30% and the rest.
func DefaultValueConfig() ValueConfig {
	return ValueConfig{
		Method:  ValueQuantile,
		Top:     []float64{0.2, 0.5},
		Names:   []string{"high", "medium", "low"},
		Aliases: []string{"高价值", "中价值", "低价值"},
	}
}

func (c ValueConfig) withDefaults() ValueConfig {
	if c.Top == nil {
		if c.Method == ValueABC {
			c.Top = []float64{0.8, 0.95}
		} else {
			c.Top = []float64{0.2, 0.5}
		}
	}
	if c.Names == nil && len(c.Top) == 2 {
		if c.Method == ValueABC {
			c.Names = []string{"A", "B", "C"}
		} else {
			c.Names = []string{"high", "medium", "low"}
			if c.Aliases == nil {
				c.Aliases = []string{"高价值", "中价值", "低价值"}
			}
		}
	}
	return c
}

func checkTiers(model string, top []float64, names, aliases []string) error {
	if c := len(top); c < 1 || c > 254 {
		return fmt.Errorf("rfm: %s: %d cuts, want 1..254", model, c)
	}
	for i, t := range top {
		if !(t > 0 && t < 1) {
			return fmt.Errorf("rfm: %s: share %v at position %d is not in (0, 1)", model, t, i+1)
		}
		if i > 0 && !(t > top[i-1]) {
			return fmt.Errorf("rfm: %s: shares are not increasing: %v at position %d is not above %v", model, t, i+1, top[i-1])
		}
	}
	return checkNames(model, len(top)+1, names, aliases)
}

func checkNames(model string, want int, names, aliases []string) error {
	if len(names) != want {
		return fmt.Errorf("rfm: %s: %d names for %d tiers", model, len(names), want)
	}
	if aliases != nil && len(aliases) != want {
		return fmt.Errorf("rfm: %s: %d aliases for %d tiers", model, len(aliases), want)
	}
	seen := map[string]bool{}
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("rfm: %s: tier %d has an empty name", model, i+1)
		}
		if seen[n] {
			return fmt.Errorf("rfm: %s: tier name %q used twice", model, n)
		}
		seen[n] = true
	}
	return nil
}

// ValueTiers is the value model's outcome: every customer's spend tier and
// the thresholds used. It is immutable and safe for concurrent use.
type ValueTiers struct {
	*Assignment
	Method ValueMethod
	// Thresholds, one per cut, descending. ValueQuantile: the quantile q_k;
	// a customer is in tier k or better when its revenue is above q_k.
	// ValueABC: the smallest revenue in tiers up to k; a customer is in tier
	// k or better when its revenue is at least that (+Inf for a tier range
	// nobody reaches).
	Thresholds []float64
}

// Value cuts the customers into spend tiers by net revenue (Customer.Revenue,
// whatever Config.Monetary says). The configuration is checked first: shares
// must increase within (0, 1), names be non-empty, distinct and one more
// than the shares. ABC needs a positive total revenue.
func (r *Result) Value(cfg ValueConfig) (*ValueTiers, error) {
	cfg = cfg.withDefaults()
	if cfg.Method > ValueABC {
		return nil, fmt.Errorf("rfm: value: unknown method %d", cfg.Method)
	}
	if err := checkTiers("value", cfg.Top, cfg.Names, cfg.Aliases); err != nil {
		return nil, err
	}
	N := len(r.Customers)
	a := &Assignment{res: r, model: "value", names: slices.Clone(cfg.Names), aliases: padAliases(cfg.Aliases, len(cfg.Names)), labels: make([]uint16, N)}
	vt := &ValueTiers{Assignment: a, Method: cfg.Method, Thresholds: make([]float64, len(cfg.Top))}
	rev := make([]float64, N)
	for i := range r.Customers {
		rev[i] = r.Customers[i].Revenue
	}
	last := uint16(len(cfg.Top))
	switch cfg.Method {
	case ValueQuantile:
		for k, t := range cfg.Top {
			vt.Thresholds[k] = quantile7(rev, 1-t)
		}
		for i, v := range rev {
			a.labels[i] = last
			for k, q := range vt.Thresholds {
				if v > q {
					a.labels[i] = uint16(k)
					break
				}
			}
		}
	case ValueABC:
		total := 0.0
		for _, v := range rev {
			if v > 0 {
				total += v
			}
		}
		if !(total > 0) || math.IsInf(total, 0) {
			return nil, fmt.Errorf("rfm: value: ABC needs a positive finite total revenue, have %v", total)
		}
		order := make([]int32, N)
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(x, y int32) int { return cmp.Compare(rev[y], rev[x]) })
		for k := range vt.Thresholds {
			vt.Thresholds[k] = math.Inf(1)
		}
		before := 0.0 // revenue of customers strictly above the current value
		for s := 0; s < N; {
			v := rev[order[s]]
			e := s
			for e < N && rev[order[e]] == v {
				e++
			}
			tier := last
			if v > 0 {
				share := before / total
				for k, t := range cfg.Top {
					if share < t {
						tier = uint16(k)
						break
					}
				}
			}
			for _, i := range order[s:e] {
				a.labels[i] = tier
			}
			for k := int(tier); k < len(vt.Thresholds); k++ {
				vt.Thresholds[k] = v
			}
			if v > 0 {
				before += v * float64(e-s)
			}
			s = e
		}
	}
	return vt, nil
}

// quantile7 is the type-7 quantile of vals at probability p in [0, 1].
func quantile7(vals []float64, p float64) float64 {
	N := len(vals)
	h := float64(N-1) * p
	lo := int(math.Floor(h))
	lo = min(max(lo, 0), N-1)
	frac := h - float64(lo)
	pos := []int{lo}
	if lo+1 < N {
		pos = append(pos, lo+1)
	}
	os := orderStats(vals, pos, nil)
	q := os[lo]
	if frac > 0 && lo+1 < N {
		q = interpolate(q, os[lo+1], frac)
	}
	return q
}

func padAliases(aliases []string, n int) []string {
	out := make([]string, n)
	copy(out, aliases)
	return out
}
