package tier

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/segkit/segkit"
)

// Engine is a compiled program: it replays customers' histories into level
// timelines, statuses and progress reports. Compile it once and use it for
// every customer. An Engine is immutable and safe for concurrent use by
// multiple goroutines.
type Engine struct {
	prog Program
	loc  *time.Location
	tz   *segkit.Zone // loc's day arithmetic

	metrics                                      []string       // metric names by index
	metricIdx                                    map[string]int // name → index
	usedSpend, usedOrders, usedItems, usedPoints bool
	usedMetric                                   []bool // metric referenced by some criterion
	atMost                                       bool   // some criterion is an at-most one
	iGrowth                                      int
	usedGrowth                                   bool
	growth                                       *cgrowth // nil without growth value
	iSpend, iOrders, iItems, iPoints             int

	window       WindowKind
	windowMonths int
	reviewMonths int
	reviewJoin   bool
	immediate    bool
	downgrade    DowngradePolicy
	graceDays    int
	maxDrop      int
	validity     ValidityKind
	validMonths  int
	revoke       bool
	lifetime     []lifeRule

	levels []clevel

	perUnit          float64
	purchaseRules    []crule
	activityRules    [][]crule // by metric index
	expiryDays       int
	inactivityMonths int

	windowDesc string // "over rolling 12 months"

	pool sync.Pool // *state scratch
}

type clevel struct {
	name     string
	entry    *cnode
	retain   *cnode // never nil above the base level (entry when not given)
	mult     float64
	benefits map[string]any
}

type lifeRule struct {
	level Level
	days  int
}

type crule struct {
	name      string
	perUnit   float64
	bonus     int64
	minAmount int64 // fixed point
	from, to  segkit.Day
	levels    uint64 // bit per level; 0 means all
}

func (r *crule) applies(d segkit.Day, l Level, amount int64) bool {
	return d >= r.from && d <= r.to && amount >= r.minAmount && (r.levels == 0 || r.levels&(1<<l) != 0)
}

// Compile validates p and returns its engine. An invalid program yields a
// *ProgramError listing every problem.
func Compile(p Program) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{prog: cloneProgram(p), loc: time.UTC}
	if p.TimeZone != "" && p.TimeZone != "UTC" {
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil { // Validate loaded it; the tz database cannot vanish, but say so if it does
			return nil, fmt.Errorf("tier: time zone %q: %w", p.TimeZone, err)
		}
		e.loc = loc
	}
	e.tz = segkit.NewZone(e.loc)
	e.metricIdx = map[string]int{}
	for _, m := range append(slices.Clone(builtinMetrics), p.Metrics...) {
		e.metricIdx[m] = len(e.metrics)
		e.metrics = append(e.metrics, m)
	}
	e.iSpend, e.iOrders, e.iItems, e.iPoints = e.metricIdx[MetricSpend], e.metricIdx[MetricOrders], e.metricIdx[MetricItems], e.metricIdx[MetricPoints]
	e.usedMetric = make([]bool, len(e.metrics))

	e.window, e.windowMonths = p.Window.Kind, p.Window.Months
	r := p.review()
	e.reviewMonths, e.reviewJoin = r.Months, r.Anchor == AnchorJoin
	e.immediate = p.Upgrade != UpgradeAtPeriodEnd
	e.downgrade = p.Downgrade.Policy
	if e.downgrade == "" {
		e.downgrade = DowngradeAtPeriodEnd
	}
	e.graceDays, e.maxDrop = p.Downgrade.GraceDays, p.Downgrade.MaxDrop
	e.validity, e.validMonths = p.Validity.Kind, p.Validity.Months
	if e.validity == "" {
		e.validity = ValidNone
	}
	e.revoke = p.RevokeOnRefund

	for i, ls := range p.Levels {
		cl := clevel{name: ls.Name, mult: ls.Multiplier, benefits: maps.Clone(ls.Benefits)}
		if cl.mult == 0 {
			cl.mult = 1
		}
		if i > 0 {
			cl.entry = e.compileCriteria(ls.Entry)
			cl.retain = cl.entry
			if ls.Retain != nil {
				cl.retain = e.compileCriteria(ls.Retain)
			}
		}
		e.levels = append(e.levels, cl)
	}
	for _, lt := range p.Lifetime {
		l, _ := e.Level(lt.Level)
		e.lifetime = append(e.lifetime, lifeRule{level: l, days: lt.Years * 365})
	}
	e.usedSpend, e.usedOrders, e.usedItems, e.usedPoints = e.usedMetric[e.iSpend], e.usedMetric[e.iOrders], e.usedMetric[e.iItems], e.usedMetric[e.iPoints]
	e.iGrowth = e.metricIdx[MetricGrowth]
	e.usedGrowth = e.usedMetric[e.iGrowth]

	e.perUnit = p.Points.PerUnit
	e.expiryDays, e.inactivityMonths = p.Points.ExpiryDays, p.Points.InactivityMonths
	e.activityRules = make([][]crule, len(e.metrics))
	for _, pr := range p.Points.Rules {
		cr := e.compileRule(pr)
		if pr.Metric == "" || pr.Metric == MetricSpend {
			e.purchaseRules = append(e.purchaseRules, cr)
		} else {
			m := e.metricIdx[pr.Metric]
			e.activityRules[m] = append(e.activityRules[m], cr)
		}
	}
	e.compileGrowth(p.Growth)
	switch e.window {
	case CalendarYear:
		e.windowDesc = "in calendar year"
	case AnniversaryYear:
		e.windowDesc = "in the membership year"
	default:
		e.windowDesc = "over rolling " + strconv.Itoa(e.windowMonths) + " months"
	}
	return e, nil
}

// compileRule compiles a validated earn rule of points or growth.
func (e *Engine) compileRule(pr EarnRule) crule {
	cr := crule{name: pr.Name, perUnit: pr.PerUnit, bonus: pr.Bonus, minAmount: toFixed(pr.MinAmount), from: minDay, to: maxDay}
	if pr.From != "" {
		cr.from, _ = segkit.ParseDay(pr.From)
	}
	if pr.To != "" {
		cr.to, _ = segkit.ParseDay(pr.To)
	}
	for _, ln := range pr.Levels {
		l, _ := e.Level(ln)
		cr.levels |= 1 << l
	}
	return cr
}

// MustCompile is like Compile but panics on an invalid program; for programs
// fixed in the host's source code.
func MustCompile(p Program) *Engine {
	e, err := Compile(p)
	if err != nil {
		panic(err)
	}
	return e
}

func cloneProgram(p Program) Program {
	q := p
	q.Metrics = slices.Clone(p.Metrics)
	q.Lifetime = slices.Clone(p.Lifetime)
	q.Points.Rules = slices.Clone(p.Points.Rules)
	q.Growth = cloneGrowth(p.Growth)
	for i := range q.Points.Rules {
		q.Points.Rules[i].Levels = slices.Clone(q.Points.Rules[i].Levels)
	}
	q.Levels = slices.Clone(p.Levels)
	for i := range q.Levels {
		q.Levels[i].Entry = cloneCriteria(q.Levels[i].Entry)
		q.Levels[i].Retain = cloneCriteria(q.Levels[i].Retain)
		q.Levels[i].Benefits = maps.Clone(q.Levels[i].Benefits)
	}
	return q
}

func cloneCriteria(c *Criteria) *Criteria {
	if c == nil {
		return nil
	}
	d := *c
	if c.Max != nil {
		m := *c.Max
		d.Max = &m
	}
	if c.Any != nil {
		d.Any = make([]Criteria, len(c.Any))
		for i := range c.Any {
			d.Any[i] = *cloneCriteria(&c.Any[i])
		}
	}
	if c.All != nil {
		d.All = make([]Criteria, len(c.All))
		for i := range c.All {
			d.All[i] = *cloneCriteria(&c.All[i])
		}
	}
	return &d
}

func (e *Engine) compileCriteria(c *Criteria) *cnode {
	n := &cnode{}
	e.compileInto(n, c)
	return n
}

func (e *Engine) compileInto(n *cnode, c *Criteria) {
	if c.Metric != "" {
		n.metric = e.metricIdx[c.Metric]
		n.min = toFixed(c.Min)
		if c.Max != nil {
			n.min, n.atMost = toFixed(*c.Max), true
			e.atMost = true
		}
		e.usedMetric[n.metric] = true
		return
	}
	n.metric = -1
	kids := c.Any
	if c.All != nil {
		kids, n.all = c.All, true
	}
	n.kids = make([]cnode, len(kids))
	for i := range kids {
		e.compileInto(&n.kids[i], &kids[i])
	}
}

// Program returns a copy of the program the engine was compiled from.
func (e *Engine) Program() Program { return cloneProgram(e.prog) }

// Location is the time zone whose calendar the program counts in.
func (e *Engine) Location() *time.Location { return e.loc }

// Levels returns the number of levels; valid levels are 0..Levels()-1.
func (e *Engine) Levels() int { return len(e.levels) }

// Name returns the program's name for l, or l.String() when l is out of range.
func (e *Engine) Name(l Level) string {
	if int(l) < len(e.levels) {
		return e.levels[l].name
	}
	return l.String()
}

// Level returns the level with the given name (exact match).
func (e *Engine) Level(name string) (Level, bool) {
	for i, l := range e.levels {
		if l.name == name {
			return Level(i), true
		}
	}
	return 0, false
}

// Multiplier is the points multiplier of l (1 when out of range).
func (e *Engine) Multiplier(l Level) float64 {
	if int(l) < len(e.levels) {
		return e.levels[l].mult
	}
	return 1
}

// Benefit returns the named benefit value of l: a float64, string, bool or
// the integer given in a Go-built program.
func (e *Engine) Benefit(l Level, name string) (any, bool) {
	if int(l) >= len(e.levels) {
		return nil, false
	}
	v, ok := e.levels[l].benefits[name]
	return v, ok
}

// Benefits returns a copy of l's benefits.
func (e *Engine) Benefits(l Level) map[string]any {
	if int(l) >= len(e.levels) {
		return nil
	}
	return maps.Clone(e.levels[l].benefits)
}

// windowStart is the first day of the qualification window that ends on t.
func (e *Engine) windowStart(t, join segkit.Day) segkit.Day {
	switch e.window {
	case CalendarYear:
		return startOfYear(t)
	case AnniversaryYear:
		return anniversaryStart(join, t, 12)
	default:
		return addMonths(t, -e.windowMonths) + 1
	}
}

// describeWindow says which window ends on t: "in calendar year 2026",
// "over rolling 12 months", "in the membership year from 2026-03-04".
func (e *Engine) describeWindow(t, join segkit.Day) string {
	switch e.window {
	case CalendarYear:
		return e.windowDesc + " " + strconv.Itoa(yearOf(t))
	case AnniversaryYear:
		return e.windowDesc + " from " + anniversaryStart(join, t, 12).String()
	}
	return e.windowDesc
}

// nextReview is the first review day (the last day of a review period) on or
// after d.
func (e *Engine) nextReview(d, join segkit.Day) segkit.Day {
	if e.reviewJoin {
		k := periodIndex(join, d, e.reviewMonths)
		return addMonths(join, (k+1)*e.reviewMonths) - 1
	}
	y, m, _ := d.Date()
	mi := monthIndex(y, m)
	p := floorDiv(mi, int64(e.reviewMonths))
	return endOfMonthIndex((p+1)*int64(e.reviewMonths) - 1)
}

// validThrough is the last day a level earned or requalified on d is
// guaranteed, or noDay without a guarantee.
func (e *Engine) validThrough(d segkit.Day) segkit.Day {
	switch e.validity {
	case ValidFollowingYear:
		return segkit.Date(yearOf(d)+1, 12, 31)
	case ValidMonths:
		return addMonths(d, e.validMonths) - 1
	}
	return noDay
}
