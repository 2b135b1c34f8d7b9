package tier

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// Limits on a program, so that hostile definitions stay small.
const (
	maxLevels        = 32
	maxCustomMetrics = 32
	maxCriteriaDepth = 8
	maxLeaves        = 64
	maxRules         = 64
	maxThreshold     = 1e12
	maxProgramBytes  = 1 << 20
)

// Problem is one defect of a program: the level it concerns (empty for
// program-wide fields), the field path ("entry.any[1].min") and what is wrong.
// It is a plain value.
type Problem struct {
	Level string
	Field string
	Msg   string
}

func (p Problem) String() string {
	if p.Level != "" {
		return fmt.Sprintf("level %q: %s: %s", p.Level, p.Field, p.Msg)
	}
	return p.Field + ": " + p.Msg
}

// ProgramError is returned by [Program.Validate], [ParseProgram] and
// [Compile] for an invalid program; it lists every problem found. It is
// immutable once returned and safe for concurrent reads.
type ProgramError struct {
	Problems []Problem
}

func (e *ProgramError) Error() string {
	var b strings.Builder
	b.WriteString("tier: invalid program: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks the program and returns a *ProgramError listing every
// problem, or nil.
func (p Program) Validate() error {
	v := validator{p: p}
	v.validate()
	if len(v.problems) == 0 {
		return nil
	}
	// Program-wide problems first, then by level from the base up.
	pos := func(pr Problem) int {
		if pr.Level == "" {
			return -1
		}
		for i, l := range p.Levels {
			if l.Name == pr.Level {
				return i
			}
		}
		return len(p.Levels)
	}
	slices.SortStableFunc(v.problems, func(a, b Problem) int { return pos(a) - pos(b) })
	return &ProgramError{Problems: v.problems}
}

type metricClass uint8

const (
	classPurchase metricClass = iota + 1 // spend, orders, items
	classPoints                          // points
	classActivity                        // nights, stays, fees, declared
)

func builtinClass(name string) metricClass {
	switch name {
	case MetricSpend, MetricOrders, MetricItems:
		return classPurchase
	case MetricPoints, MetricGrowth:
		return classPoints
	case MetricNights, MetricStays, MetricFees:
		return classActivity
	}
	return 0
}

type validator struct {
	p        Program
	problems []Problem
	metrics  map[string]metricClass
	levels   map[string]int // lower-cased name → index
}

func (v *validator) add(level, field, format string, args ...any) {
	v.problems = append(v.problems, Problem{Level: level, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func isIdent(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (v *validator) validate() {
	p := v.p
	if len(p.Name) > 200 {
		v.add("", "name", "longer than 200 bytes")
	}
	if p.TimeZone == "Local" {
		v.add("", "time_zone", `"Local" depends on the machine; name the zone`)
	} else if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			v.add("", "time_zone", "unknown time zone %q", p.TimeZone)
		}
	}
	v.metrics = make(map[string]metricClass, len(builtinMetrics)+len(p.Metrics))
	for _, m := range builtinMetrics {
		v.metrics[m] = builtinClass(m)
	}
	if len(p.Metrics) > maxCustomMetrics {
		v.add("", "metrics", "%d declared metrics exceed the limit of %d", len(p.Metrics), maxCustomMetrics)
	}
	for i, m := range p.Metrics {
		f := fmt.Sprintf("metrics[%d]", i)
		switch {
		case !isIdent(m):
			v.add("", f, "metric name %q is not a lower-case identifier of at most 32 bytes", m)
		case builtinClass(m) != 0:
			v.add("", f, "metric %q is built in; do not declare it", m)
		case v.metrics[m] != 0:
			v.add("", f, "metric %q declared twice", m)
		default:
			v.metrics[m] = classActivity
		}
	}
	v.validateWindow()
	v.validatePolicies()
	v.validateLevels()
	v.validateLifetime()
	v.validatePoints()
	v.validateGrowth()
}

func (v *validator) validateWindow() {
	w := v.p.Window
	switch w.Kind {
	case Rolling:
		if w.Months < 1 || w.Months > 120 {
			v.add("", "window.months", "a rolling window of %d months (want 1..120)", w.Months)
		}
	case CalendarYear, AnniversaryYear:
		if w.Months != 0 {
			v.add("", "window.months", "only rolling windows take months")
		}
	case "":
		v.add("", "window.kind", "missing (want calendar_year, rolling or anniversary_year)")
	default:
		v.add("", "window.kind", "unknown kind %q (want calendar_year, rolling or anniversary_year)", w.Kind)
	}
	r := v.p.Review
	if r.Months < 0 || r.Months > 120 {
		v.add("", "review.months", "%d months (want 1..120, or 0 for the window's default)", r.Months)
	}
	switch r.Anchor {
	case "", AnchorCalendar, AnchorJoin:
	default:
		v.add("", "review.anchor", "unknown anchor %q (want calendar or join)", r.Anchor)
	}
	rr := v.p.review()
	if rr.Anchor == AnchorCalendar && rr.Months > 0 && rr.Months <= 120 && 12%rr.Months != 0 {
		v.add("", "review.months", "calendar-anchored periods of %d months do not divide the year (want 1, 2, 3, 4, 6 or 12)", rr.Months)
	}
}

func (v *validator) validatePolicies() {
	p := v.p
	switch p.Upgrade {
	case "", UpgradeImmediate, UpgradeAtPeriodEnd:
	default:
		v.add("", "upgrade", "unknown policy %q (want immediate or period_end)", p.Upgrade)
	}
	d := p.Downgrade
	switch d.Policy {
	case "", DowngradeAtPeriodEnd, DowngradeNever:
		if d.GraceDays != 0 {
			v.add("", "downgrade.grace_days", "only the grace policy takes grace days")
		}
	case DowngradeAfterGrace:
		if d.GraceDays < 1 || d.GraceDays > 3660 {
			v.add("", "downgrade.grace_days", "%d days (want 1..3660)", d.GraceDays)
		}
	default:
		v.add("", "downgrade.policy", "unknown policy %q (want period_end, never or grace)", d.Policy)
	}
	if d.MaxDrop < 0 || d.MaxDrop > maxLevels {
		v.add("", "downgrade.max_drop", "%d levels (want 0..%d; 0 means no limit)", d.MaxDrop, maxLevels)
	}
	switch p.Validity.Kind {
	case "", ValidNone, ValidFollowingYear:
		if p.Validity.Months != 0 {
			v.add("", "validity.months", "only the months kind takes months")
		}
	case ValidMonths:
		if p.Validity.Months < 1 || p.Validity.Months > 120 {
			v.add("", "validity.months", "%d months (want 1..120)", p.Validity.Months)
		}
	default:
		v.add("", "validity.kind", "unknown kind %q (want none, following_year or months)", p.Validity.Kind)
	}
}

func (v *validator) validateLevels() {
	ls := v.p.Levels
	v.levels = make(map[string]int, len(ls))
	if len(ls) == 0 {
		v.add("", "levels", "no levels")
		return
	}
	if len(ls) > maxLevels {
		v.add("", "levels", "%d levels exceed the limit of %d", len(ls), maxLevels)
		return
	}
	for i, l := range ls {
		name := l.Name
		label := name
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		switch {
		case strings.TrimSpace(name) == "":
			v.add(label, "name", "empty level name")
		case name != strings.TrimSpace(name) || len(name) > 64:
			v.add(label, "name", "level name must have no surrounding spaces and at most 64 bytes")
		default:
			key := strings.ToLower(name)
			if j, dup := v.levels[key]; dup {
				v.add(label, "name", "duplicate level name (level %d is %q)", j+1, ls[j].Name)
			} else {
				v.levels[key] = i
			}
		}
		if i == 0 {
			if l.Entry != nil {
				v.add(label, "entry", "the first level is the base level every customer holds and takes no entry criteria; add a base level below it")
			}
			if l.Retain != nil {
				v.add(label, "retain", "the base level takes no retention criteria")
			}
		} else {
			if l.Entry == nil {
				v.add(label, "entry", "missing entry criteria")
			} else {
				v.criteria(label, "entry", *l.Entry, 1, new(int))
			}
			if l.Retain != nil {
				v.criteria(label, "retain", *l.Retain, 1, new(int))
			}
		}
		if !finite(l.Multiplier) || l.Multiplier < 0 || l.Multiplier > 1000 {
			v.add(label, "multiplier", "%v (want 0 < multiplier ≤ 1000, or 0 for 1)", l.Multiplier)
		}
		for k, b := range l.Benefits {
			f := "benefits." + k
			if strings.TrimSpace(k) == "" {
				v.add(label, "benefits", "empty benefit name")
				continue
			}
			switch x := b.(type) {
			case string, bool, int, int64:
			case float64:
				if !finite(x) {
					v.add(label, f, "not a finite number")
				}
			default:
				v.add(label, f, "benefit values are numbers, strings or booleans, not %T", b)
			}
		}
	}
	v.thresholdsIncrease()
	v.retentionNotAboveEntry()
}

func (v *validator) criteria(level, path string, c Criteria, depth int, leaves *int) {
	if depth > maxCriteriaDepth {
		v.add(level, path, "criteria nested deeper than %d", maxCriteriaDepth)
		return
	}
	set := 0
	if c.Metric != "" {
		set++
	}
	if c.Any != nil {
		set++
	}
	if c.All != nil {
		set++
	}
	if set != 1 {
		v.add(level, path, "set exactly one of metric, any and all")
		return
	}
	switch {
	case c.Metric != "":
		*leaves++
		if *leaves == maxLeaves+1 {
			v.add(level, path, "more than %d conditions", maxLeaves)
		}
		if v.metrics[c.Metric] == 0 {
			v.add(level, path+".metric", "unknown metric %q (declare host counters in metrics)", c.Metric)
		}
		if c.Max != nil {
			switch {
			case c.Min != 0:
				v.add(level, path, "set min (at least) or max (at most), not both")
			case !finite(*c.Max):
				v.add(level, path+".max", "threshold is not a finite number")
			case *c.Max < 0:
				v.add(level, path+".max", "negative threshold %s", formatNumber(*c.Max))
			case *c.Max > maxThreshold:
				v.add(level, path+".max", "threshold %s exceeds %s", formatNumber(*c.Max), formatNumber(maxThreshold))
			}
			break
		}
		switch {
		case !finite(c.Min):
			v.add(level, path+".min", "threshold is not a finite number")
		case c.Min < 0:
			v.add(level, path+".min", "negative threshold %s", formatNumber(c.Min))
		case c.Min > maxThreshold:
			v.add(level, path+".min", "threshold %s exceeds %s", formatNumber(c.Min), formatNumber(maxThreshold))
		}
	default:
		kids, name := c.Any, "any"
		if c.All != nil {
			kids, name = c.All, "all"
		}
		if len(kids) == 0 {
			v.add(level, path+"."+name, "empty group")
		}
		for i, k := range kids {
			v.criteria(level, fmt.Sprintf("%s.%s[%d]", path, name, i), k, depth+1, leaves)
		}
	}
}

// leafRef is one "metric ≥ min" (or, atMost, "metric ≤ min") condition and
// where it sits.
type leafRef struct {
	path   string
	metric string
	min    float64
	atMost bool
}

func collectLeaves(c *Criteria, path string, out []leafRef, depth int) []leafRef {
	if c == nil || depth > maxCriteriaDepth || len(out) > maxLeaves {
		return out
	}
	if c.Metric != "" {
		if c.Max != nil {
			return append(out, leafRef{path: path + ".max", metric: c.Metric, min: *c.Max, atMost: true})
		}
		return append(out, leafRef{path: path + ".min", metric: c.Metric, min: c.Min})
	}
	for i := range c.Any {
		out = collectLeaves(&c.Any[i], fmt.Sprintf("%s.any[%d]", path, i), out, depth+1)
	}
	for i := range c.All {
		out = collectLeaves(&c.All[i], fmt.Sprintf("%s.all[%d]", path, i), out, depth+1)
	}
	return out
}

// thresholdsIncrease requires every entry threshold on a metric to exceed the
// highest threshold on that metric of the nearest lower level that uses it;
// at-most thresholds must not exceed the lowest at-most threshold of that
// level (a higher level never tolerates more).
func (v *validator) thresholdsIncrease() {
	type key struct {
		metric string
		atMost bool
	}
	type mark struct {
		level string
		bound float64 // highest at-least or lowest at-most threshold
	}
	bounds := map[key]mark{}
	for i := 1; i < len(v.p.Levels); i++ {
		l := v.p.Levels[i]
		leaves := collectLeaves(l.Entry, "entry", nil, 1)
		for _, lf := range leaves {
			prev, ok := bounds[key{lf.metric, lf.atMost}]
			switch {
			case !ok || !finite(lf.min):
			case lf.atMost && lf.min > prev.bound:
				v.add(l.Name, lf.path, "%s at-most threshold %s is above level %q (%s); a higher level cannot tolerate more",
					lf.metric, formatNumber(lf.min), prev.level, formatNumber(prev.bound))
			case !lf.atMost && !(lf.min > prev.bound):
				v.add(l.Name, lf.path, "%s threshold %s does not increase over level %q (%s)",
					lf.metric, formatNumber(lf.min), prev.level, formatNumber(prev.bound))
			}
		}
		mine := map[key]float64{}
		for _, lf := range leaves {
			k := key{lf.metric, lf.atMost}
			if m, ok := mine[k]; !ok || (!lf.atMost && lf.min > m) || (lf.atMost && lf.min < m) {
				mine[k] = lf.min
			}
		}
		for k, x := range mine {
			bounds[k] = mark{level: l.Name, bound: x}
		}
	}
}

// retentionNotAboveEntry requires each retention threshold on a metric to be
// at most the level's highest entry threshold on that metric (at-most
// thresholds: at least the lowest).
func (v *validator) retentionNotAboveEntry() {
	type key struct {
		metric string
		atMost bool
	}
	for i := 1; i < len(v.p.Levels); i++ {
		l := v.p.Levels[i]
		if l.Retain == nil || l.Entry == nil {
			continue
		}
		entry := map[key]float64{}
		for _, lf := range collectLeaves(l.Entry, "entry", nil, 1) {
			k := key{lf.metric, lf.atMost}
			if m, ok := entry[k]; !ok || (!lf.atMost && lf.min > m) || (lf.atMost && lf.min < m) {
				entry[k] = lf.min
			}
		}
		for _, lf := range collectLeaves(l.Retain, "retain", nil, 1) {
			e, ok := entry[key{lf.metric, lf.atMost}]
			switch {
			case ok && !lf.atMost && lf.min > e:
				v.add(l.Name, lf.path, "retention %s threshold %s is above the entry threshold %s",
					lf.metric, formatNumber(lf.min), formatNumber(e))
			case ok && lf.atMost && lf.min < e:
				v.add(l.Name, lf.path, "retention %s at-most threshold %s is below the entry threshold %s",
					lf.metric, formatNumber(lf.min), formatNumber(e))
			}
		}
	}
}

func (v *validator) level(name string) (int, bool) {
	i, ok := v.levels[strings.ToLower(name)]
	if ok && v.p.Levels[i].Name != name {
		return 0, false
	}
	return i, ok
}

func (v *validator) validateLifetime() {
	seen := map[string]bool{}
	for i, lt := range v.p.Lifetime {
		f := fmt.Sprintf("lifetime[%d]", i)
		idx, ok := v.level(lt.Level)
		switch {
		case !ok:
			v.add("", f+".level", "unknown level %q", lt.Level)
		case idx == 0:
			v.add(lt.Level, f+".level", "the base level is held for life anyway")
		case seen[lt.Level]:
			v.add(lt.Level, f+".level", "lifetime rule given twice")
		}
		seen[lt.Level] = true
		if lt.Years < 1 || lt.Years > 100 {
			v.add(lt.Level, f+".years", "%d years (want 1..100)", lt.Years)
		}
	}
}

func (v *validator) validatePoints() {
	pt := v.p.Points
	if !finite(pt.PerUnit) || pt.PerUnit < 0 || pt.PerUnit > 1e6 {
		v.add("", "points.per_unit", "%v (want 0..1,000,000)", pt.PerUnit)
	}
	if pt.ExpiryDays < 0 || pt.ExpiryDays > 36600 {
		v.add("", "points.expiry_days", "%d days (want 0..36600; 0 means no expiry by age)", pt.ExpiryDays)
	}
	if pt.InactivityMonths < 0 || pt.InactivityMonths > 1200 {
		v.add("", "points.inactivity_months", "%d months (want 0..1200; 0 means never)", pt.InactivityMonths)
	}
	v.validateRules("points.rules", pt.Rules)
}

// validateRules checks the earn rules of points or growth; field is their
// path ("points.rules").
func (v *validator) validateRules(field string, rules []EarnRule) {
	if len(rules) > maxRules {
		v.add("", field, "%d rules exceed the limit of %d", len(rules), maxRules)
		return
	}
	names := map[string]bool{}
	for i, r := range rules {
		f := fmt.Sprintf("%s[%d]", field, i)
		if strings.TrimSpace(r.Name) == "" {
			v.add("", f+".name", "empty rule name")
		} else if names[r.Name] {
			v.add("", f+".name", "duplicate rule name %q", r.Name)
		}
		names[r.Name] = true
		if r.Metric != "" && r.Metric != MetricSpend && v.metrics[r.Metric] != classActivity {
			if v.metrics[r.Metric] == 0 {
				v.add("", f+".metric", "unknown metric %q", r.Metric)
			} else {
				v.add("", f+".metric", "metric %q is not earned on; use spend (purchases) or an activity metric", r.Metric)
			}
		}
		if !finite(r.PerUnit) || r.PerUnit < 0 || r.PerUnit > 1e6 {
			v.add("", f+".per_unit", "%v (want 0..1,000,000)", r.PerUnit)
		}
		if r.Bonus < 0 || r.Bonus > 1e9 {
			v.add("", f+".bonus", "%d (want 0..1,000,000,000)", r.Bonus)
		}
		if r.PerUnit == 0 && r.Bonus == 0 {
			v.add("", f, "earns nothing: set per_unit or bonus")
		}
		if !finite(r.MinAmount) || r.MinAmount < 0 || r.MinAmount > maxThreshold {
			v.add("", f+".min_amount", "%v (want 0..%s)", r.MinAmount, formatNumber(maxThreshold))
		}
		var from, to segkit.Day
		var fromOK, toOK bool
		if r.From != "" {
			d, err := segkit.ParseDay(r.From)
			if err != nil {
				v.add("", f+".from", "%q is not a YYYY-MM-DD date", r.From)
			} else {
				from, fromOK = d, true
			}
		}
		if r.To != "" {
			d, err := segkit.ParseDay(r.To)
			if err != nil {
				v.add("", f+".to", "%q is not a YYYY-MM-DD date", r.To)
			} else {
				to, toOK = d, true
			}
		}
		if fromOK && toOK && to < from {
			v.add("", f+".to", "%s is before from %s", r.To, r.From)
		}
		for j, ln := range r.Levels {
			if _, ok := v.level(ln); !ok {
				v.add("", fmt.Sprintf("%s.levels[%d]", f, j), "unknown level %q", ln)
			}
		}
	}
}
