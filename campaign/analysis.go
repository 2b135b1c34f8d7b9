package campaign

import (
	"fmt"
	"iter"
	"math"
	"slices"
)

// Outcome is what happened to one exposed customer: the group it was in,
// whether it converted, and an optional value (revenue, order count, …).
// Every outcome counts its customer as exposed; customers that were never
// exposed (not sent, not measured) have no outcome. It is a plain value.
type Outcome struct {
	Key       string
	Group     string // empty: filled in by [Analysis.Assign]
	Converted bool
	Value     float64
}

// Analysis describes how to read the outcomes of a campaign: which group is
// the control, optionally which groups to expect (with their planned
// ratios), how to assign a group to outcomes that carry none, and how to
// break the results down by a label such as a persona or a city.
// [Splitter.Analysis] fills in Groups and Assign from a split.
//
// An Analysis is a plain value; Run may be called concurrently as long as
// Assign and Label may be.
type Analysis struct {
	// Control is the group every other group is compared with (the holdout
	// or the baseline message). Required.
	Control string
	// Groups, when not empty, are the groups of the experiment with their
	// planned ratios. Every group with a positive ratio must have exposures,
	// an outcome in any other group is an error, and the results carry a
	// sample ratio check of the exposures against the ratios. When empty, the
	// groups are those the outcomes name.
	Groups []Group
	// Assign, when set, gives the group of outcomes whose Group is empty
	// (for example [Splitter.Assign]).
	Assign func(key string) string
	// Label, when set, breaks the results down: one [Slice] per label, plus
	// one for customers without a label. See [AttributeLabels].
	Label func(key string) (label string, ok bool)
}

// Analysis returns an Analysis of this split's groups with the given
// control group, assigning outcomes without a group by the Splitter.
func (sp *Splitter) Analysis(control string) Analysis {
	return Analysis{Control: control, Groups: sp.Groups(), Assign: sp.Assign}
}

// Results are the per-group conversion figures of a campaign and their
// comparison with the control group. A Results is immutable once returned
// and safe for concurrent reads.
type Results struct {
	// Control is the control group's name.
	Control string
	// Level is the confidence level of every interval.
	Level float64
	// Customers is the number of distinct exposed customers.
	Customers int
	// Groups holds the control first, then the other groups (in the order of
	// Analysis.Groups, or by name when it is empty). Only groups with
	// exposures appear.
	Groups []GroupResult
	// SampleRatio compares the exposures per group with the planned ratios;
	// nil unless Analysis.Groups was given.
	SampleRatio *RatioCheck
	// Slices is the breakdown by Analysis.Label, sorted by label with the
	// unlabelled customers last; nil without a Label.
	Slices []Slice
}

// GroupResult is one group's conversion figures; a value, safe to copy and
// to read concurrently (Lift points into the immutable Results).
type GroupResult struct {
	Name      string
	Exposed   int
	Converted int
	// Rate is Converted/Exposed; RateCI its Wilson score interval.
	Rate   float64
	RateCI Interval
	// Value is the sum of the outcomes' values; ValuePerExposed divides it
	// by Exposed.
	Value           float64
	ValuePerExposed float64
	// Lift compares the group with the control; nil for the control itself
	// and for every group of a [Slice] without control customers.
	Lift *Lift
}

// Proportion returns the group's conversions out of its exposures.
func (g GroupResult) Proportion() Proportion {
	return Proportion{Successes: g.Converted, Trials: g.Exposed}
}

// Lift is a group's difference from the control group; read-only once
// returned, safe for concurrent reads.
type Lift struct {
	// Absolute is rate − control rate; AbsoluteCI is Newcombe's hybrid score
	// interval of the difference ([DiffInterval]).
	Absolute   float64
	AbsoluteCI Interval
	// Relative is Absolute / control rate, NaN when the control rate is 0;
	// RelativeCI is the Katz log interval of the rate ratio minus 1
	// ([RatioInterval]), NaN bounds when either group has no conversion.
	Relative   float64
	RelativeCI Interval
	// Z and P are the pooled two-proportion z-test, two-sided ([ZTest]).
	Z, P float64
	// PHolm is P adjusted by Holm's step-down method over all the groups
	// compared with the same control, for reading several arms at once.
	PHolm float64
}

// RatioCheck, a plain value, is Pearson's χ² goodness-of-fit test of the exposures per
// group against the planned ratios (a "sample ratio mismatch" check): a
// small P means the groups were not exposed in the planned proportions, so
// something between the split and the measurement dropped or moved
// customers unevenly, and the lifts should not be trusted.
type RatioCheck struct {
	ChiSquare float64
	DF        int
	P         float64
}

// Slice is the results of the customers with one label; read-only once
// returned, safe for concurrent reads.
type Slice struct {
	// Label is the label; Labeled is false for the slice of customers
	// without one (Label is then empty).
	Label   string
	Labeled bool
	// Results are computed as for the whole campaign, except that a slice
	// without control customers has no lifts (Err then says so) and groups
	// without exposures in the slice are left out.
	Results *Results
	// Err is nil, or wraps [ErrNoControl] when the slice has no control
	// customers.
	Err error
}

// Group returns the result of the named group.
func (r *Results) Group(name string) (GroupResult, bool) {
	for _, g := range r.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupResult{}, false
}

type tally struct {
	exposed, converted int
	value              float64
}

type customer struct {
	group     int32
	label     int32 // -1: none
	converted bool
	value     float64
}

// Run reads the outcomes and computes the results. A customer reported
// several times is one exposure: it converted if any of its outcomes did,
// and its values are summed; reporting it in two different groups is an
// error. Run keeps one small record per distinct customer in memory.
//
// Errors: [ErrNoControl] when Control is empty, not among Groups, or has no
// exposures; [ErrNoExposures] when there is no outcome at all or an expected
// group has none; [ErrOutcome] for an outcome without a key or a group, in
// an unexpected group, in two groups, or with a NaN or infinite value;
// [ErrGroupName] and [ErrRatio] for bad Groups; [ErrConfig] for a bad cfg.
func (a Analysis) Run(outcomes iter.Seq[Outcome], cfg Config) (*Results, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	z, err := zFor(cfg.level())
	if err != nil {
		return nil, err
	}
	if a.Control == "" {
		return nil, fmt.Errorf("%w: the analysis names no control group", ErrNoControl)
	}
	var names []string
	gidx := map[string]int32{}
	if len(a.Groups) > 0 {
		if _, err := NewSplitter("", a.Groups...); err != nil {
			return nil, err
		}
		for i, g := range a.Groups {
			gidx[g.Name] = int32(i)
			names = append(names, g.Name)
		}
		if _, ok := gidx[a.Control]; !ok {
			return nil, fmt.Errorf("%w: control group %q is not one of the groups", ErrNoControl, a.Control)
		}
	}
	var labels []string
	lidx := map[string]int32{}
	byKey := map[string]int{}
	var recs []customer
	n := 0
	for o := range outcomes {
		n++
		if o.Key == "" {
			return nil, fmt.Errorf("%w: outcome %d has no customer key", ErrOutcome, n)
		}
		if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
			return nil, fmt.Errorf("%w: customer %q has value %v", ErrOutcome, o.Key, o.Value)
		}
		group := o.Group
		if group == "" && a.Assign != nil {
			group = a.Assign(o.Key)
		}
		if group == "" {
			return nil, fmt.Errorf("%w: customer %q has no group", ErrOutcome, o.Key)
		}
		g, ok := gidx[group]
		if !ok {
			if len(a.Groups) > 0 {
				return nil, fmt.Errorf("%w: customer %q is in group %q, which is not one of the groups", ErrOutcome, o.Key, group)
			}
			g = int32(len(names))
			gidx[group] = g
			names = append(names, group)
		}
		if i, seen := byKey[o.Key]; seen {
			r := &recs[i]
			if r.group != g {
				return nil, fmt.Errorf("%w: customer %q is reported in groups %q and %q", ErrOutcome, o.Key, names[r.group], group)
			}
			r.converted = r.converted || o.Converted
			r.value += o.Value
			continue
		}
		l := int32(-1)
		if a.Label != nil {
			if s, ok := a.Label(o.Key); ok {
				li, known := lidx[s]
				if !known {
					li = int32(len(labels))
					lidx[s] = li
					labels = append(labels, s)
				}
				l = li
			}
		}
		byKey[o.Key] = len(recs)
		recs = append(recs, customer{group: g, label: l, converted: o.Converted, value: o.Value})
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no outcomes", ErrNoExposures)
	}
	if _, ok := gidx[a.Control]; !ok {
		return nil, fmt.Errorf("%w: control group %q has no exposures", ErrNoControl, a.Control)
	}

	// tallies[0] is the whole campaign, tallies[1+l] label l, and
	// tallies[1+len(labels)] the unlabelled customers.
	ng := len(names)
	tallies := make([][]tally, 2+len(labels))
	for i := range tallies {
		tallies[i] = make([]tally, ng)
	}
	for _, r := range recs {
		slice := 1 + len(labels)
		if r.label >= 0 {
			slice = 1 + int(r.label)
		}
		for _, t := range []*tally{&tallies[0][r.group], &tallies[slice][r.group]} {
			t.exposed++
			if r.converted {
				t.converted++
			}
			t.value += r.value
		}
	}

	order := groupOrder(names, a.Control, len(a.Groups) > 0)
	for _, i := range order {
		if tallies[0][i].exposed == 0 && len(a.Groups) > 0 && a.Groups[i].Ratio > 0 {
			if names[i] == a.Control {
				return nil, fmt.Errorf("%w: control group %q has no exposures", ErrNoControl, a.Control)
			}
			return nil, fmt.Errorf("%w: group %q has no exposures", ErrNoExposures, names[i])
		}
	}
	res, err := a.results(names, order, tallies[0], cfg.level(), z)
	if err != nil {
		return nil, err
	}
	if a.Label != nil {
		sorted := make([]int, len(labels))
		for i := range sorted {
			sorted[i] = i
		}
		slices.SortFunc(sorted, func(x, y int) int {
			if labels[x] < labels[y] {
				return -1
			}
			if labels[x] > labels[y] {
				return 1
			}
			return 0
		})
		res.Slices = []Slice{}
		add := func(label string, labeled bool, t []tally) {
			if sum(t) == 0 {
				return
			}
			s := Slice{Label: label, Labeled: labeled}
			s.Results, s.Err = a.results(names, order, t, cfg.level(), z)
			res.Slices = append(res.Slices, s)
		}
		for _, l := range sorted {
			add(labels[l], true, tallies[1+l])
		}
		add("", false, tallies[1+len(labels)])
	}
	return res, nil
}

func sum(t []tally) int {
	n := 0
	for _, x := range t {
		n += x.exposed
	}
	return n
}

// groupOrder puts the control first, then the others in their given order
// (expected groups) or by name (groups found in the outcomes).
func groupOrder(names []string, control string, given bool) []int {
	var order []int
	for i, n := range names {
		if n == control {
			order = append(order, i)
		}
	}
	var rest []int
	for i, n := range names {
		if n != control {
			rest = append(rest, i)
		}
	}
	if !given {
		slices.SortFunc(rest, func(x, y int) int {
			if names[x] < names[y] {
				return -1
			}
			return 1
		})
	}
	return append(order, rest...)
}

// results builds the Results of one tally. It returns a Results without
// lifts and an ErrNoControl error when the control has no exposures.
func (a Analysis) results(names []string, order []int, t []tally, level, z float64) (*Results, error) {
	res := &Results{Control: a.Control, Level: level, Customers: sum(t)}
	var control *tally
	for _, i := range order {
		if names[i] == a.Control && t[i].exposed > 0 {
			control = &t[i]
		}
	}
	var ps []float64
	for _, i := range order {
		x := t[i]
		if x.exposed == 0 {
			continue
		}
		p := Proportion{Successes: x.converted, Trials: x.exposed}
		g := GroupResult{
			Name:            names[i],
			Exposed:         x.exposed,
			Converted:       x.converted,
			Rate:            p.Rate(),
			RateCI:          wilson(p, z),
			Value:           x.value,
			ValuePerExposed: x.value / float64(x.exposed),
		}
		if control != nil && names[i] != a.Control {
			c := Proportion{Successes: control.converted, Trials: control.exposed}
			l := &Lift{
				Absolute:   p.Rate() - c.Rate(),
				AbsoluteCI: newcombe(p, c, z),
				Relative:   math.NaN(),
				RelativeCI: katz(p, c, z),
			}
			if c.Successes > 0 {
				l.Relative = p.Rate()/c.Rate() - 1
				l.RelativeCI.Lo--
				l.RelativeCI.Hi--
			}
			l.Z, l.P = ztest(p, c)
			ps = append(ps, l.P)
			g.Lift = l
		}
		res.Groups = append(res.Groups, g)
	}
	adj := holm(ps)
	k := 0
	for i := range res.Groups {
		if res.Groups[i].Lift != nil {
			res.Groups[i].Lift.PHolm = adj[k]
			k++
		}
	}
	if len(a.Groups) > 0 {
		obs := make([]int, len(a.Groups))
		shares := make([]float64, len(a.Groups))
		for i, g := range a.Groups {
			obs[i] = t[i].exposed
			shares[i] = g.Ratio
		}
		stat, df, p := chiSquareGOF(obs, shares)
		res.SampleRatio = &RatioCheck{ChiSquare: stat, DF: df, P: p}
	}
	if control == nil {
		return res, fmt.Errorf("%w: control group %q has no exposures here", ErrNoControl, a.Control)
	}
	return res, nil
}
