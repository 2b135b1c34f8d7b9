package tier

import (
	"fmt"
	"math"
	"slices"

	"github.com/segkit/segkit"
)

// MetricGrowth is the growth value (成长值) balance, a built-in metric that
// criteria may name when the program has a [Growth] section. Unlike the
// other metrics it is not summed over the qualification window: it is the
// balance on the evaluation day, after the earn rules, refunds and the
// year-end decay or reset.
const MetricGrowth = "growth"

// YearEnd says what happens to the growth balance when a calendar year
// ends. It is a plain value.
type YearEnd string

// Year-end rules.
const (
	// YearEndKeep keeps the balance (also the empty value).
	YearEndKeep YearEnd = "keep"
	// YearEndReset sets it to zero on January 1.
	YearEndReset YearEnd = "reset"
	// YearEndDecay takes Growth.DecayPercent of it on January 1, rounded
	// down to whole growth.
	YearEndDecay YearEnd = "decay"
)

// Growth is the growth value (成长值) of a program: a balance, separate
// from points, that only grows through its own earn rules — per unit of
// purchase amount, and per unit or per record of activities such as
// check-ins, reviews or referrals (metrics the program declares) — is never
// spent, and optionally decays or resets when a calendar year ends. Levels'
// point multipliers do not apply to it. A refund takes back PerUnit growth
// per unit refunded (never below zero). Every change is in the audit trail
// ([Timeline.GrowthLog]). It is a plain value; do not modify its slices while
// another goroutine reads them.
type Growth struct {
	// PerUnit growth per unit of purchase amount, rounded down per purchase.
	PerUnit float64 `json:"per_unit,omitempty"`
	// Rules add growth for purchases (Metric "" or "spend") or activities:
	// PerUnit per unit of the amount or value and Bonus per record, within
	// the rule's dates, levels and minimum amount.
	Rules []EarnRule `json:"rules,omitempty"`
	// YearEnd: keep (default), reset or decay.
	YearEnd YearEnd `json:"year_end,omitempty"`
	// DecayPercent is the share taken at a decay, 1..100.
	DecayPercent float64 `json:"decay_percent,omitempty"`
}

// GrowthKind classifies a [GrowthEntry]. It is a plain value.
type GrowthKind uint8

// Growth entry kinds.
const (
	GrowthEarn GrowthKind = iota + 1
	GrowthRefund
	GrowthDecay
	GrowthReset
)

var growthNames = [...]string{"", "earn", "refund", "decay", "reset"}

func (k GrowthKind) String() string {
	if int(k) < len(growthNames) && k != 0 {
		return growthNames[k]
	}
	return fmt.Sprintf("GrowthKind(%d)", k)
}

// GrowthEntry is one change of the growth balance: its day, kind, signed
// change, the balance after it and what caused it ("order A12",
// "checkin 1", "year end 2026: decay 50%"). It is a plain value.
type GrowthEntry struct {
	Day     segkit.Day
	Kind    GrowthKind
	Growth  int64
	Balance int64
	Note    string
}

// cgrowth is a compiled Growth.
type cgrowth struct {
	perUnit       float64
	purchaseRules []crule
	activityRules [][]crule // by metric index
	yearEnd       YearEnd
	decay         float64 // fraction
}

func (v *validator) validateGrowth() {
	g := v.p.Growth
	if g == nil {
		for i, l := range v.p.Levels {
			for _, c := range []*Criteria{l.Entry, l.Retain} {
				for _, lf := range collectLeaves(c, "", nil, 1) {
					if lf.metric == MetricGrowth {
						v.add(v.p.Levels[i].Name, "entry", "criteria on growth need a growth section in the program")
						return
					}
				}
			}
		}
		return
	}
	if !finite(g.PerUnit) || g.PerUnit < 0 || g.PerUnit > 1e6 {
		v.add("", "growth.per_unit", "%v (want 0..1,000,000)", g.PerUnit)
	}
	switch g.YearEnd {
	case "", YearEndKeep, YearEndReset:
		if g.DecayPercent != 0 {
			v.add("", "growth.decay_percent", "only year_end decay takes a percentage")
		}
	case YearEndDecay:
		if !finite(g.DecayPercent) || g.DecayPercent <= 0 || g.DecayPercent > 100 {
			v.add("", "growth.decay_percent", "%v (want more than 0, at most 100)", g.DecayPercent)
		}
	default:
		v.add("", "growth.year_end", "unknown rule %q (want keep, reset or decay)", g.YearEnd)
	}
	v.validateRules("growth.rules", g.Rules)
}

// compileGrowth compiles p.Growth into e.growth (nil without one).
func (e *Engine) compileGrowth(p *Growth) {
	if p == nil {
		return
	}
	g := &cgrowth{perUnit: p.PerUnit, yearEnd: p.YearEnd, decay: p.DecayPercent / 100}
	g.activityRules = make([][]crule, len(e.metrics))
	for _, r := range p.Rules {
		cr := e.compileRule(r)
		if r.Metric == "" || r.Metric == MetricSpend {
			g.purchaseRules = append(g.purchaseRules, cr)
		} else {
			m := e.metricIdx[r.Metric]
			g.activityRules[m] = append(g.activityRules[m], cr)
		}
	}
	e.growth = g
}

// growthEarn adds what a purchase amount or activity value (fixed point)
// earns under rules and the base rate, without level multipliers.
func (s *state) growthEarn(d segkit.Day, amount int64, rules []crule, base float64, note string) error {
	per := base
	var bonus int64
	for i := range rules {
		if r := &rules[i]; r.applies(d, s.effective, amount) {
			per += r.perUnit
			bonus += r.bonus
		}
	}
	x := per * fromFixed(amount)
	if x+float64(bonus) > maxRecordPoints {
		return invalid("earns more than %s growth", formatNumber(maxRecordPoints))
	}
	if g := floorPoints(x) + bonus; g > 0 {
		s.growthChange(d, GrowthEarn, g, note)
	}
	return nil
}

// growthRefund takes back PerUnit growth per unit of a refund (fixed point).
func (s *state) growthRefund(d segkit.Day, amount int64, note string) {
	g := min(floorPoints(s.e.growth.perUnit*fromFixed(amount)), s.growth)
	if g > 0 {
		s.growthChange(d, GrowthRefund, -g, note)
	}
}

func (s *state) growthChange(d segkit.Day, kind GrowthKind, delta int64, note string) {
	s.growth += delta
	if kind == GrowthEarn && s.growthNext <= d {
		y, _, _ := d.Date()
		s.growthNext = segkit.Date(y+1, 1, 1)
	}
	if s.e.usedGrowth {
		s.win[s.e.iGrowth] = s.growth * fixedScale
	}
	if s.audit {
		s.growthLog = append(s.growthLog, GrowthEntry{Day: d, Kind: kind, Growth: delta, Balance: s.growth, Note: note})
	}
}

// growthYearEnd applies the year-end rule at the start of day d (January 1).
func (s *state) growthYearEnd(d segkit.Day) {
	g := s.e.growth
	s.growthNext = segkit.Date(yearOf(d)+1, 1, 1)
	if s.growth <= 0 {
		return
	}
	y := yearOf(d) - 1
	switch g.yearEnd {
	case YearEndReset:
		s.growthChange(d, GrowthReset, -s.growth, fmt.Sprintf("year end %d: reset", y))
	case YearEndDecay:
		take := min(s.growth, int64(math.Floor(float64(s.growth)*g.decay*(1+1e-12))))
		if take > 0 {
			s.growthChange(d, GrowthDecay, -take, fmt.Sprintf("year end %d: decay %s%%", y, formatNumber(g.decay*100)))
		}
	}
}

// growthBoundary is the next year-end day that changes the balance, farDay
// when none.
func (s *state) growthBoundary() segkit.Day {
	g := s.e.growth
	if g == nil || s.growth <= 0 || g.yearEnd == "" || g.yearEnd == YearEndKeep {
		return farDay
	}
	return s.growthNext
}

func cloneGrowth(g *Growth) *Growth {
	if g == nil {
		return nil
	}
	c := *g
	c.Rules = slices.Clone(g.Rules)
	for i := range c.Rules {
		c.Rules[i].Levels = slices.Clone(c.Rules[i].Levels)
	}
	return &c
}
