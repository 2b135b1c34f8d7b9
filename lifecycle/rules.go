package lifecycle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/clv"
)

// Family selects the rules that decide decline and churn. It is a small
// comparable value.
type Family uint8

const (
	// Fixed uses fixed day windows: at risk, sleeping and churned after
	// AtRiskDays, SleepingDays and ChurnedDays without a purchase. It is the
	// zero value.
	Fixed Family = iota
	// Rhythm judges each customer by its own purchase rhythm: at risk beyond
	// AtRiskGaps × its typical (median) gap between purchase days, sleeping
	// beyond SleepingGaps × that gap and beyond its longest past gap, churned
	// beyond ChurnedGaps × that gap and ChurnedLongestGaps × its longest gap.
	// Customers with fewer than RhythmMinPurchases purchase days have no
	// rhythm of their own and fall back to the population's typical gap
	// (the median of the customers' typical gaps) with the same multiples,
	// or to the fixed windows when no customer has a rhythm.
	Rhythm
	// Model uses a fitted purchase model's P(alive): at risk below
	// AtRiskBelow, sleeping below SleepingBelow, churned below ChurnedBelow.
	Model
)

// String returns "fixed", "rhythm" or "model".
func (f Family) String() string {
	switch f {
	case Fixed:
		return "fixed"
	case Rhythm:
		return "rhythm"
	case Model:
		return "model"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// AliveModel is what the Model rule family needs of a fitted purchase
// model: its name (quoted in reasons), a check of its parameters, and
// P(alive) for a customer's purchase summary in the model's time unit. The
// models of package clv (clv.BGNBD, clv.MBGNBD, clv.ParetoNBD) satisfy it; a
// host may supply its own.
type AliveModel interface {
	Name() string
	Validate() error
	PAlive(s clv.Summary) float64
}

// Config holds the lifecycle stage thresholds. All day counts are whole
// calendar days in Location; a recency "beyond" a threshold is strictly
// greater than it. Config is a plain value; [DefaultConfig] returns
// sensible defaults, and a zero threshold disables its rule where noted.
type Config struct {
	// Family selects the decline and churn rules.
	Family Family
	// Location decides calendar days; nil means UTC.
	Location *time.Location

	// NewDays: a customer whose first purchase is fewer than NewDays days
	// before the as-of date is New; so is a customer with one purchase day.
	NewDays int
	// MatureMinPurchases and MatureMinDays: a repeat buyer with at least
	// this many purchase days and this tenure (days since the first
	// purchase) is Mature; otherwise Growing.
	MatureMinPurchases int
	MatureMinDays      int
	// ReactivatedDays: a customer whose latest return after having churned
	// is fewer than ReactivatedDays days ago is Reactivated (unless it is
	// declining again). A return is a purchase made when the rules, applied
	// to the history before it as of the previous day, said Churned (with
	// the population rhythm of the evaluation date). 0 disables the stage.
	ReactivatedDays int
	// MaxInactiveDays: whatever the family, a customer without a purchase for
	// more than MaxInactiveDays days is Churned. 0 disables the cap.
	MaxInactiveDays int

	// Fixed windows (family Fixed, and the population fallback when no
	// customer has a rhythm). 0 disables a window.
	AtRiskDays, SleepingDays, ChurnedDays int

	// Own rhythm (family Rhythm).
	RhythmMinPurchases int     // purchase days needed for a rhythm of one's own; at least 2
	MinGapDays         float64 // floor on a typical gap, so that two purchases a day apart do not make a customer at risk after two days
	AtRiskGaps         float64 // multiples of the typical gap
	SleepingGaps       float64
	ChurnedGaps        float64
	ChurnedLongestGaps float64 // multiple of the longest past gap for churn

	// Model (family Model): the purchase model, the unit it was fitted in,
	// and P(alive) thresholds.
	PurchaseModel                            AliveModel
	ModelUnit                                clv.Unit
	AtRiskBelow, SleepingBelow, ChurnedBelow float64
}

// DefaultConfig returns the defaults: family Rhythm; New for 30 days;
// Mature from 5 purchase days and 180 days of tenure; Reactivated for 90
// days after a return; churned after 730 days whatever the rules say; fixed
// windows 90 / 180 / 365 days; a rhythm from 2 purchase days, typical gaps
// of at least 7 days, at risk beyond 2 gaps, sleeping beyond 3 gaps and the
// longest gap, churned beyond 6 gaps and twice the longest gap; model
// thresholds P(alive) < 0.5 / 0.3 / 0.1 (with no model set).
func DefaultConfig() Config {
	return Config{
		Family:             Rhythm,
		NewDays:            30,
		MatureMinPurchases: 5,
		MatureMinDays:      180,
		ReactivatedDays:    90,
		MaxInactiveDays:    730,
		AtRiskDays:         90,
		SleepingDays:       180,
		ChurnedDays:        365,
		RhythmMinPurchases: 2,
		MinGapDays:         7,
		AtRiskGaps:         2,
		SleepingGaps:       3,
		ChurnedGaps:        6,
		ChurnedLongestGaps: 2,
		ModelUnit:          clv.Days,
		AtRiskBelow:        0.5,
		SleepingBelow:      0.3,
		ChurnedBelow:       0.1,
	}
}

// Validate reports the first problem with the config, naming the field.
func (c Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("lifecycle: config %s: %s", field, fmt.Sprintf(format, args...))
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"NewDays", c.NewDays}, {"MatureMinPurchases", c.MatureMinPurchases}, {"MatureMinDays", c.MatureMinDays},
		{"ReactivatedDays", c.ReactivatedDays}, {"MaxInactiveDays", c.MaxInactiveDays},
		{"AtRiskDays", c.AtRiskDays}, {"SleepingDays", c.SleepingDays}, {"ChurnedDays", c.ChurnedDays},
	} {
		if f.v < 0 {
			return bad(f.name, "%d must not be negative", f.v)
		}
	}
	if err := increasing("AtRiskDays", float64(c.AtRiskDays), "SleepingDays", float64(c.SleepingDays), "ChurnedDays", float64(c.ChurnedDays)); err != nil {
		return err
	}
	switch c.Family {
	case Fixed:
	case Rhythm:
		if c.RhythmMinPurchases < 2 {
			return bad("RhythmMinPurchases", "%d: a rhythm needs at least 2 purchase days", c.RhythmMinPurchases)
		}
		for _, f := range []struct {
			name string
			v    float64
		}{
			{"MinGapDays", c.MinGapDays}, {"AtRiskGaps", c.AtRiskGaps}, {"SleepingGaps", c.SleepingGaps},
			{"ChurnedGaps", c.ChurnedGaps}, {"ChurnedLongestGaps", c.ChurnedLongestGaps},
		} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
				return bad(f.name, "%v must be finite and non-negative", f.v)
			}
		}
		if !(c.AtRiskGaps > 0) {
			return bad("AtRiskGaps", "%v must be positive", c.AtRiskGaps)
		}
		if err := increasing("AtRiskGaps", c.AtRiskGaps, "SleepingGaps", c.SleepingGaps, "ChurnedGaps", c.ChurnedGaps); err != nil {
			return err
		}
	case Model:
		if c.PurchaseModel == nil {
			return bad("PurchaseModel", "family model needs a purchase model")
		}
		if err := c.PurchaseModel.Validate(); err != nil {
			return fmt.Errorf("lifecycle: config PurchaseModel: %w", err)
		}
		if c.ModelUnit > clv.Weeks {
			return bad("ModelUnit", "unknown unit %d", c.ModelUnit)
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"AtRiskBelow", c.AtRiskBelow}, {"SleepingBelow", c.SleepingBelow}, {"ChurnedBelow", c.ChurnedBelow}} {
			if !(f.v >= 0 && f.v <= 1) {
				return bad(f.name, "%v must be a probability in [0, 1]", f.v)
			}
		}
		if !(c.ChurnedBelow <= c.SleepingBelow && c.SleepingBelow <= c.AtRiskBelow) {
			return bad("ChurnedBelow", "thresholds must satisfy ChurnedBelow ≤ SleepingBelow ≤ AtRiskBelow (got %v, %v, %v)", c.ChurnedBelow, c.SleepingBelow, c.AtRiskBelow)
		}
	default:
		return bad("Family", "unknown family %d", c.Family)
	}
	return nil
}

// increasing checks that the non-zero values among three thresholds do not
// decrease.
func increasing(n1 string, v1 float64, n2 string, v2 float64, n3 string, v3 float64) error {
	prevName, prev := "", 0.0
	for _, f := range []struct {
		n string
		v float64
	}{{n1, v1}, {n2, v2}, {n3, v3}} {
		if f.v == 0 {
			continue
		}
		if prevName != "" && f.v < prev {
			return fmt.Errorf("lifecycle: config %s: %v is below %s %v", f.n, f.v, prevName, prev)
		}
		prevName, prev = f.n, f.v
	}
	return nil
}

// Rule names the rule that decided a stage; a plain string value.
type Rule string

// The rules recorded in a [Reason].
const (
	RuleProspect    Rule = "prospect"     // no purchase yet
	RuleNewRecent   Rule = "new.recent"   // first purchase fewer than NewDays ago
	RuleNewSingle   Rule = "new.single"   // one purchase day so far
	RuleGrowing     Rule = "growing"      // repeat buyer, not yet mature
	RuleMature      Rule = "mature"       // enough purchase days and tenure
	RuleReactivated Rule = "reactivated"  // returned after having churned
	RuleMaxInactive Rule = "max_inactive" // beyond MaxInactiveDays
	RuleFixed       Rule = "fixed"        // fixed day window
	RuleRhythm      Rule = "rhythm"       // the customer's own rhythm
	RulePopulation  Rule = "population"   // the population's rhythm (fallback)
	RuleModel       Rule = "model"        // P(alive) of a purchase model
)

// Reason records why a customer got its stage: the rule that fired and the
// values it compared, so that a person can check the assignment. Fields a
// rule does not use are zero. It is a plain comparable value.
type Reason struct {
	Rule  Rule
	Stage Stage
	// Activity is the event the stage was computed from ("login"); empty
	// for purchases. The counts below are then of that event's days.
	Activity string

	Purchases   int // distinct purchase days up to the as-of date
	RecencyDays int // days since the last purchase
	TenureDays  int // days since the first purchase

	// ThresholdDays is the bound that was crossed (or, for New, Mature and
	// Reactivated, the window that was checked), in days.
	ThresholdDays float64
	// Gaps is the multiple of TypicalGapDays in the rhythm and population
	// rules; TypicalGapDays the customer's (or the population's) median gap
	// between purchase days after the MinGapDays floor; LongestGapDays the
	// customer's longest past gap. A sleeping threshold is the larger of
	// Gaps × TypicalGapDays and LongestGapDays, a churned one the larger of
	// Gaps × TypicalGapDays and LongestGaps × LongestGapDays.
	Gaps           float64
	TypicalGapDays float64
	LongestGapDays int
	// LongestGaps is the multiple of LongestGapDays in the rhythm churn rule.
	LongestGaps float64

	// PAlive and PAliveBelow: the model's P(alive) and the threshold it fell
	// below (rule model).
	PAlive      float64
	PAliveBelow float64
	Model       string

	// ReturnDay is the purchase day that ended a churned spell (rule
	// reactivated), ReturnAgeDays its distance from the as-of date and
	// GapDays the length of the spell.
	ReturnDay     segkit.Day
	ReturnAgeDays int
	GapDays       int
	// PriorRule is the rule that had made the customer churned before the
	// return (rule reactivated); ThresholdDays, PAlive and PAliveBelow then
	// describe that earlier decision.
	PriorRule Rule
}

// String explains the reason in one English sentence, naming the activity
// ("no login for 28 days …") or purchases.
func (r Reason) String() string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	days := func(v float64) string { return num(math.Round(v*10)/10) + " days" }
	act := r.Activity
	if act == "" {
		act = "purchase"
	}
	switch r.Rule {
	case RuleProspect:
		return "no " + act + " yet"
	case RuleNewRecent:
		return fmt.Sprintf("first %s %d days ago (< %s)", act, r.TenureDays, num(r.ThresholdDays))
	case RuleNewSingle:
		return fmt.Sprintf("one %s day, %d days ago", act, r.TenureDays)
	case RuleGrowing:
		return fmt.Sprintf("%d %s days over %d days, not yet mature", r.Purchases, act, r.TenureDays)
	case RuleMature:
		return fmt.Sprintf("%d %s days over %d days", r.Purchases, act, r.TenureDays)
	case RuleReactivated:
		why := fmt.Sprintf("%s: churned beyond %s", r.PriorRule, days(r.ThresholdDays))
		if r.PriorRule == RuleModel {
			why = fmt.Sprintf("%s: P(alive) %.3f < %s under %s", r.PriorRule, r.PAlive, num(r.PAliveBelow), r.Model)
		}
		return fmt.Sprintf("returned on %s after %d days without a %s (%s), %d days ago", r.ReturnDay, r.GapDays, act, why, r.ReturnAgeDays)
	case RuleMaxInactive, RuleFixed:
		return fmt.Sprintf("no %s for %d days (> %s)", act, r.RecencyDays, days(r.ThresholdDays))
	case RuleRhythm:
		gaps := fmt.Sprintf("%s × typical gap %s", num(r.Gaps), days(r.TypicalGapDays))
		switch r.Stage {
		case Sleeping:
			gaps = fmt.Sprintf("max(%s, longest gap %d days)", gaps, r.LongestGapDays)
		case Churned:
			gaps = fmt.Sprintf("max(%s, %s × longest gap %d days)", gaps, num(r.LongestGaps), r.LongestGapDays)
		}
		return fmt.Sprintf("no %s for %d days (> %s = %s)", act, r.RecencyDays, days(r.ThresholdDays), gaps)
	case RulePopulation:
		return fmt.Sprintf("%d %s day(s); no %s for %d days (> %s = %s × population typical gap %s)", r.Purchases, act, act, r.RecencyDays, days(r.ThresholdDays), num(r.Gaps), days(r.TypicalGapDays))
	case RuleModel:
		return fmt.Sprintf("P(alive) %.3f < %s under %s", r.PAlive, num(r.PAliveBelow), r.Model)
	}
	return string(r.Rule)
}

// classifier applies a validated Config to purchase-day histories.
type classifier struct {
	cfg    Config
	popGap float64 // population typical gap in days, 0 when none
}

// typicalGap returns the median and the longest gap of a history of
// distinct sorted days (n ≥ 2).
func typicalGap(days []segkit.Day, scratch []int) (median float64, longest int, _ []int) {
	gaps := scratch[:0]
	for i := 1; i < len(days); i++ {
		g := days[i].Sub(days[i-1])
		gaps = append(gaps, g)
		longest = max(longest, g)
	}
	slices.Sort(gaps)
	m := len(gaps)
	if m%2 == 1 {
		median = float64(gaps[m/2])
	} else {
		median = float64(gaps[m/2-1]+gaps[m/2]) / 2
	}
	return median, longest, gaps
}

// decline applies the decline and churn rules to a history of distinct
// sorted purchase days (at least one) as of asOf. It reports whether the
// customer is declining (AtRisk, Sleeping or Churned) and why.
func (c *classifier) decline(days []segkit.Day, asOf segkit.Day, scratch *[]int) (Reason, bool) {
	cfg := &c.cfg
	n := len(days)
	r := Reason{Purchases: n, RecencyDays: asOf.Sub(days[n-1]), TenureDays: asOf.Sub(days[0])}
	R := float64(r.RecencyDays)
	if cfg.MaxInactiveDays > 0 && r.RecencyDays > cfg.MaxInactiveDays {
		r.Rule, r.Stage, r.ThresholdDays = RuleMaxInactive, Churned, float64(cfg.MaxInactiveDays)
		return r, true
	}
	switch cfg.Family {
	case Rhythm:
		if n >= cfg.RhythmMinPurchases {
			med, longest, s := typicalGap(days, *scratch)
			*scratch = s
			g := max(med, cfg.MinGapDays)
			L := float64(longest)
			r.Rule, r.TypicalGapDays, r.LongestGapDays = RuleRhythm, g, longest
			churn := max(cfg.ChurnedGaps*g, cfg.ChurnedLongestGaps*L)
			sleep := max(cfg.SleepingGaps*g, L)
			switch {
			case cfg.ChurnedGaps > 0 && R > churn:
				r.Stage, r.Gaps, r.LongestGaps, r.ThresholdDays = Churned, cfg.ChurnedGaps, cfg.ChurnedLongestGaps, churn
			case cfg.SleepingGaps > 0 && R > sleep:
				r.Stage, r.Gaps, r.ThresholdDays = Sleeping, cfg.SleepingGaps, sleep
			case R > cfg.AtRiskGaps*g:
				r.Stage, r.Gaps, r.ThresholdDays = AtRisk, cfg.AtRiskGaps, cfg.AtRiskGaps*g
			default:
				return Reason{}, false
			}
			return r, true
		}
		if c.popGap > 0 {
			g := max(c.popGap, cfg.MinGapDays)
			r.Rule, r.TypicalGapDays = RulePopulation, g
			switch {
			case cfg.ChurnedGaps > 0 && R > cfg.ChurnedGaps*g:
				r.Stage, r.Gaps = Churned, cfg.ChurnedGaps
			case cfg.SleepingGaps > 0 && R > cfg.SleepingGaps*g:
				r.Stage, r.Gaps = Sleeping, cfg.SleepingGaps
			case R > cfg.AtRiskGaps*g:
				r.Stage, r.Gaps = AtRisk, cfg.AtRiskGaps
			default:
				return Reason{}, false
			}
			r.ThresholdDays = r.Gaps * g
			return r, true
		}
		return c.fixed(r)
	case Model:
		u := cfg.ModelUnit.Days()
		s := clv.Summary{Frequency: n - 1, Recency: float64(days[n-1].Sub(days[0])) / u, T: float64(r.TenureDays) / u}
		pa := cfg.PurchaseModel.PAlive(s)
		r.Rule, r.PAlive, r.Model = RuleModel, pa, cfg.PurchaseModel.Name()
		switch {
		case pa < cfg.ChurnedBelow:
			r.Stage, r.PAliveBelow = Churned, cfg.ChurnedBelow
		case pa < cfg.SleepingBelow:
			r.Stage, r.PAliveBelow = Sleeping, cfg.SleepingBelow
		case pa < cfg.AtRiskBelow:
			r.Stage, r.PAliveBelow = AtRisk, cfg.AtRiskBelow
		default:
			return Reason{}, false
		}
		return r, true
	}
	return c.fixed(r)
}

func (c *classifier) fixed(r Reason) (Reason, bool) {
	cfg := &c.cfg
	r.Rule = RuleFixed
	switch {
	case cfg.ChurnedDays > 0 && r.RecencyDays > cfg.ChurnedDays:
		r.Stage, r.ThresholdDays = Churned, float64(cfg.ChurnedDays)
	case cfg.SleepingDays > 0 && r.RecencyDays > cfg.SleepingDays:
		r.Stage, r.ThresholdDays = Sleeping, float64(cfg.SleepingDays)
	case cfg.AtRiskDays > 0 && r.RecencyDays > cfg.AtRiskDays:
		r.Stage, r.ThresholdDays = AtRisk, float64(cfg.AtRiskDays)
	default:
		return Reason{}, false
	}
	return r, true
}

// reactivated reports whether the customer's most recent return after a
// churned spell is fewer than ReactivatedDays days before asOf. A return is
// a purchase on a day d_i when the rules, applied to the history before it
// as of the previous day, say Churned.
func (c *classifier) reactivated(days []segkit.Day, asOf segkit.Day, scratch *[]int) (Reason, bool) {
	if c.cfg.ReactivatedDays <= 0 {
		return Reason{}, false
	}
	for i := len(days) - 1; i >= 1; i-- {
		age := asOf.Sub(days[i])
		if age >= c.cfg.ReactivatedDays {
			break
		}
		prior, dec := c.decline(days[:i], days[i].AddDays(-1), scratch)
		if !dec || prior.Stage != Churned {
			continue
		}
		n := len(days)
		return Reason{
			Rule: RuleReactivated, Stage: Reactivated,
			Purchases: n, RecencyDays: asOf.Sub(days[n-1]), TenureDays: asOf.Sub(days[0]),
			ThresholdDays: prior.ThresholdDays, PAlive: prior.PAlive, PAliveBelow: prior.PAliveBelow, Model: prior.Model,
			ReturnDay: days[i], ReturnAgeDays: age, GapDays: days[i].Sub(days[i-1]), PriorRule: prior.Rule,
		}, true
	}
	return Reason{}, false
}

// classify returns the stage of a customer with the given distinct sorted
// purchase days (none for a prospect) as of asOf.
func (c *classifier) classify(days []segkit.Day, asOf segkit.Day, scratch *[]int) Reason {
	n := len(days)
	if n == 0 {
		return Reason{Rule: RuleProspect, Stage: Prospect}
	}
	if r, ok := c.decline(days, asOf, scratch); ok {
		return r
	}
	if r, ok := c.reactivated(days, asOf, scratch); ok {
		return r
	}
	cfg := &c.cfg
	r := Reason{Purchases: n, RecencyDays: asOf.Sub(days[n-1]), TenureDays: asOf.Sub(days[0])}
	switch {
	case r.TenureDays < cfg.NewDays:
		r.Rule, r.Stage, r.ThresholdDays = RuleNewRecent, New, float64(cfg.NewDays)
	case n == 1:
		r.Rule, r.Stage = RuleNewSingle, New
	case n >= cfg.MatureMinPurchases && r.TenureDays >= cfg.MatureMinDays:
		r.Rule, r.Stage, r.ThresholdDays = RuleMature, Mature, float64(cfg.MatureMinDays)
	default:
		r.Rule, r.Stage, r.ThresholdDays = RuleGrowing, Growing, float64(cfg.MatureMinDays)
	}
	return r
}
