package lifecycle

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/textwidth"
)

// Step is a step of the AARRR ("pirate metrics") funnel, a small comparable
// value. The zero value is StepAcquisition, the first step.
type Step uint8

const (
	StepAcquisition Step = iota // 获客: the customer arrives (signs up)
	StepActivation              // 激活: a first good experience
	StepRetention               // 留存: comes back
	StepRevenue                 // 变现: pays
	StepReferral                // 推荐: brings others

	numSteps = iota
)

var stepInfo = [numSteps]struct{ id, zh string }{
	{"acquisition", "获客"}, {"activation", "激活"}, {"retention", "留存"}, {"revenue", "变现"}, {"referral", "推荐"},
}

// AllSteps returns the five steps in funnel order.
func AllSteps() []Step {
	return []Step{StepAcquisition, StepActivation, StepRetention, StepRevenue, StepReferral}
}

// String returns "acquisition", "activation", "retention", "revenue" or
// "referral".
func (s Step) String() string {
	if s >= numSteps {
		return fmt.Sprintf("Step(%d)", uint8(s))
	}
	return stepInfo[s].id
}

// Chinese returns the step's Chinese name (获客, 激活, 留存, 变现, 推荐).
func (s Step) Chinese() string {
	if s >= numSteps {
		return s.String()
	}
	return stepInfo[s].zh
}

// CohortPeriod groups customers into signup cohorts; a small comparable
// value. The zero value is CohortWeek.
type CohortPeriod uint8

const (
	// CohortWeek groups by ISO week (Monday to Sunday), labelled "2025-W03".
	CohortWeek CohortPeriod = iota
	// CohortMonth groups by calendar month, labelled "2025-01".
	CohortMonth
)

// FunnelConfig maps event names to funnel steps and sets the windows. It is
// a plain value.
type FunnelConfig struct {
	// Event names that count for each step; an event name may count for
	// several steps. Acquisition must not be empty.
	Acquisition, Activation, Retention, Revenue, Referral []string
	// Cohort is the signup cohort period.
	Cohort CohortPeriod
	// Location decides calendar days, weeks and months; nil means UTC.
	Location *time.Location
	// ActivationDays: activation counts only on a day fewer than
	// ActivationDays days after the acquisition day; 0 means any time.
	ActivationDays int
	// RetentionDays: a retention event counts only on a day at least
	// RetentionDays days after the day of the step before it (activation
	// when Ordered, acquisition otherwise); 0 allows the same day.
	RetentionDays int
	// Ordered makes the funnel strict: a customer reaches a step only after
	// reaching the previous one, with an event at or after that step's
	// time. Otherwise each step is counted among acquired customers on its
	// own (events at or after acquisition).
	Ordered bool
}

// DefaultFunnelConfig returns an ordered weekly funnel over the events
// "signup" (acquisition), "activate" (activation, within 7 days), "login"
// (retention, on a later day), "purchase" (revenue) and "refer" (referral).
func DefaultFunnelConfig() FunnelConfig {
	return FunnelConfig{
		Acquisition:    []string{"signup"},
		Activation:     []string{"activate"},
		Retention:      []string{"login"},
		Revenue:        []string{"purchase"},
		Referral:       []string{"refer"},
		Cohort:         CohortWeek,
		ActivationDays: 7,
		RetentionDays:  1,
		Ordered:        true,
	}
}

func (c FunnelConfig) names() [numSteps][]string {
	return [numSteps][]string{c.Acquisition, c.Activation, c.Retention, c.Revenue, c.Referral}
}

// Validate reports the first problem with the config, naming the field.
func (c FunnelConfig) Validate() error {
	if len(c.Acquisition) == 0 {
		return fmt.Errorf("lifecycle: funnel config Acquisition: at least one event name is needed")
	}
	for s, names := range c.names() {
		for _, n := range names {
			if n == "" {
				return fmt.Errorf("lifecycle: funnel config %s: empty event name", Step(s))
			}
		}
	}
	if c.Cohort > CohortMonth {
		return fmt.Errorf("lifecycle: funnel config Cohort: unknown period %d", c.Cohort)
	}
	if c.ActivationDays < 0 {
		return fmt.Errorf("lifecycle: funnel config ActivationDays: %d must not be negative", c.ActivationDays)
	}
	if c.RetentionDays < 0 {
		return fmt.Errorf("lifecycle: funnel config RetentionDays: %d must not be negative", c.RetentionDays)
	}
	return nil
}

// FunnelRow is the funnel of one signup cohort (or of all of them): how many
// customers reached each step. It is a plain value.
type FunnelRow struct {
	Cohort string     // "2025-W03", "2025-01" or "total"
	Start  segkit.Day // first day of the cohort period; 0 for the total
	Counts [numSteps]int
}

// Count returns the number of customers who reached step s.
func (r FunnelRow) Count(s Step) int {
	if s >= numSteps {
		return 0
	}
	return r.Counts[s]
}

// Conversion returns the step conversion: customers at step s over those at
// the step before (1 for acquisition); NaN when the step before is empty.
func (r FunnelRow) Conversion(s Step) float64 {
	if s >= numSteps {
		return math.NaN()
	}
	if s == StepAcquisition {
		if r.Counts[0] == 0 {
			return math.NaN()
		}
		return 1
	}
	if r.Counts[s-1] == 0 {
		return math.NaN()
	}
	return float64(r.Counts[s]) / float64(r.Counts[s-1])
}

// Rate returns the customers at step s over those acquired; NaN for an
// empty cohort.
func (r FunnelRow) Rate(s Step) float64 {
	if s >= numSteps || r.Counts[0] == 0 {
		return math.NaN()
	}
	return float64(r.Counts[s]) / float64(r.Counts[0])
}

// FunnelReport is the AARRR funnel per signup cohort. It is immutable and
// safe for concurrent reads.
type FunnelReport struct {
	AsOf    time.Time
	Ordered bool
	// Cohorts in chronological order; Total sums them.
	Cohorts []FunnelRow
	Total   FunnelRow
	// Unattributed counts customers with funnel events but no acquisition
	// event up to AsOf; Ignored counts events after AsOf.
	Unattributed int
	Ignored      int
}

type stepTimes [numSteps][]time.Time

// Funnel computes the AARRR funnel from events up to asOf (later events are
// ignored: no look-ahead). A customer's acquisition is its first
// acquisition event; it belongs to the cohort of that day. Events whose
// name maps to no step are skipped. An event without a customer key, name
// or time, or with a NaN or infinite value, is an [*EventError].
func Funnel(events iter.Seq[segkit.Event], asOf time.Time, cfg FunnelConfig) (_ *FunnelReport, err error) {
	defer guard(&err, "funnel")
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if asOf.IsZero() {
		return nil, fmt.Errorf("lifecycle: funnel: zero as-of time")
	}
	zone := segkit.NewZone(cfg.Location)
	steps := make(map[string][]Step)
	for s, names := range cfg.names() {
		for _, n := range names {
			if !slices.Contains(steps[n], Step(s)) {
				steps[n] = append(steps[n], Step(s))
			}
		}
	}
	rep := &FunnelReport{AsOf: asOf, Ordered: cfg.Ordered}
	per := make(map[string]*stepTimes)
	pos := 0
	events(func(e segkit.Event) bool {
		reason := ""
		switch {
		case e.Customer == "":
			reason = "empty customer key"
		case e.Name == "":
			reason = "empty event name"
		case e.At.IsZero():
			reason = "zero time"
		case math.IsNaN(e.Value) || math.IsInf(e.Value, 0):
			reason = fmt.Sprintf("value %v is not a finite number", e.Value)
		}
		if reason != "" {
			err = &EventError{Pos: pos, Customer: e.Customer, Name: e.Name, Reason: reason}
			return false
		}
		pos++
		ss, ok := steps[e.Name]
		if !ok {
			return true
		}
		if e.At.After(asOf) {
			rep.Ignored++
			return true
		}
		st := per[e.Customer]
		if st == nil {
			st = new(stepTimes)
			per[e.Customer] = st
		}
		for _, s := range ss {
			st[s] = append(st[s], e.At)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	rows := make(map[segkit.Day]*FunnelRow)
	for _, st := range per {
		for s := range st {
			slices.SortFunc(st[s], func(a, b time.Time) int { return a.Compare(b) })
		}
		reached, acq := funnelSteps(st, cfg, zone)
		if !reached[StepAcquisition] {
			rep.Unattributed++
			continue
		}
		start, label := cohortOf(zone.DayOf(acq), cfg.Cohort)
		row := rows[start]
		if row == nil {
			row = &FunnelRow{Cohort: label, Start: start}
			rows[start] = row
		}
		for s, ok := range reached {
			if ok {
				row.Counts[s]++
				rep.Total.Counts[s]++
			}
		}
	}
	rep.Total.Cohort = "total"
	for _, r := range rows {
		rep.Cohorts = append(rep.Cohorts, *r)
	}
	slices.SortFunc(rep.Cohorts, func(a, b FunnelRow) int { return cmp.Compare(a.Start, b.Start) })
	return rep, nil
}

// funnelSteps decides which steps one customer reached and returns its
// acquisition time.
func funnelSteps(st *stepTimes, cfg FunnelConfig, zone *segkit.Zone) (reached [numSteps]bool, acq time.Time) {
	if len(st[StepAcquisition]) == 0 {
		return reached, acq
	}
	acq = st[StepAcquisition][0]
	reached[StepAcquisition] = true
	acqDay := zone.DayOf(acq)
	// first returns the earliest time in ts at or after from that satisfies ok.
	first := func(ts []time.Time, from time.Time, ok func(time.Time) bool) (time.Time, bool) {
		i, _ := slices.BinarySearchFunc(ts, from, func(a, b time.Time) int { return a.Compare(b) })
		for ; i < len(ts); i++ {
			if ok(ts[i]) {
				return ts[i], true
			}
		}
		return time.Time{}, false
	}
	always := func(time.Time) bool { return true }
	activationOK := func(t time.Time) bool {
		return cfg.ActivationDays == 0 || zone.DayOf(t).Sub(acqDay) < cfg.ActivationDays
	}
	if !cfg.Ordered {
		_, reached[StepActivation] = first(st[StepActivation], acq, activationOK)
		_, reached[StepRetention] = first(st[StepRetention], acq, func(t time.Time) bool {
			return zone.DayOf(t).Sub(acqDay) >= cfg.RetentionDays
		})
		_, reached[StepRevenue] = first(st[StepRevenue], acq, always)
		_, reached[StepReferral] = first(st[StepReferral], acq, always)
		return reached, acq
	}
	prev := acq
	for s := StepActivation; s < numSteps; s++ {
		ok := always
		switch s {
		case StepActivation:
			ok = activationOK
		case StepRetention:
			prevDay := zone.DayOf(prev)
			ok = func(t time.Time) bool { return zone.DayOf(t).Sub(prevDay) >= cfg.RetentionDays }
		}
		t, hit := first(st[s], prev, ok)
		if !hit {
			break
		}
		reached[s] = true
		prev = t
	}
	return reached, acq
}

// cohortOf returns the first day and label of the cohort period holding d.
func cohortOf(d segkit.Day, p CohortPeriod) (segkit.Day, string) {
	t := d.Time(time.UTC)
	if p == CohortMonth {
		return segkit.Date(t.Year(), t.Month(), 1), fmt.Sprintf("%04d-%02d", t.Year(), int(t.Month()))
	}
	wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
	start := d.AddDays(-wd)
	y, w := t.ISOWeek()
	return start, fmt.Sprintf("%04d-W%02d", y, w)
}

// WriteTable writes the funnel as an aligned text table: per cohort the
// count at each step with its step conversion in percent.
func (r *FunnelReport) WriteTable(w io.Writer) error {
	tw := textwidth.NewTabWriter(w, 2, true)
	fmt.Fprint(tw, "cohort\t")
	for _, s := range AllSteps() {
		fmt.Fprintf(tw, "%s\t", s)
	}
	fmt.Fprint(tw, "\n")
	rows := append(slices.Clone(r.Cohorts), r.Total)
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t", row.Cohort)
		for _, s := range AllSteps() {
			if s == StepAcquisition {
				fmt.Fprintf(tw, "%d\t", row.Counts[s])
				continue
			}
			c := row.Conversion(s)
			if math.IsNaN(c) {
				fmt.Fprintf(tw, "%d (-)\t", row.Counts[s])
				continue
			}
			fmt.Fprintf(tw, "%d (%.1f%%)\t", row.Counts[s], 100*c)
		}
		fmt.Fprint(tw, "\n")
	}
	return tw.Flush()
}

// String returns the table of [FunnelReport.WriteTable].
func (r *FunnelReport) String() string {
	var b strings.Builder
	_ = r.WriteTable(&b)
	return b.String()
}
