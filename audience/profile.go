package audience

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
)

// ErrConfig is returned for a Config field outside its documented range.
var ErrConfig = errors.New("audience: bad config")

// ErrEmpty is returned when the segment or the base of a profile has no
// members.
var ErrEmpty = errors.New("audience: empty set")

// Config holds the knobs of a profile. The zero value is not useful: start
// from [DefaultConfig].
type Config struct {
	// Level is the confidence level of every interval, in (0, 1).
	Level float64
	// Quantiles are the probabilities of the quantiles reported for numeric
	// and time attributes, each in [0, 1].
	Quantiles []float64
	// Bins is the number of histogram bins (≥ 1). The bins are shared by
	// the segment and the base: equal width between the base's 1st and 99th
	// percentile, the first and last bin open-ended.
	Bins int
	// Windows are the event windows in days (each ≥ 1) ending on the day
	// of now: the share of members active and their mean occurrences.
	Windows []int
}

// DefaultConfig returns 95% intervals, the 5/25/50/75/95th percentiles, 10
// bins, and 30- and 90-day event windows.
func DefaultConfig() Config {
	return Config{
		Level:     0.95,
		Quantiles: []float64{0.05, 0.25, 0.5, 0.75, 0.95},
		Bins:      10,
		Windows:   []int{30, 90},
	}
}

func (c Config) validate() error {
	if !(c.Level > 0 && c.Level < 1) {
		return fmt.Errorf("%w: level %v is not in (0, 1)", ErrConfig, c.Level)
	}
	for _, q := range c.Quantiles {
		if !(q >= 0 && q <= 1) {
			return fmt.Errorf("%w: quantile %v is not in [0, 1]", ErrConfig, q)
		}
	}
	if c.Bins < 1 || c.Bins > 1000 {
		return fmt.Errorf("%w: %d bins (want 1 to 1000)", ErrConfig, c.Bins)
	}
	for _, w := range c.Windows {
		if w < 1 {
			return fmt.Errorf("%w: event window of %d days", ErrConfig, w)
		}
	}
	return nil
}

// Profile describes a segment against a base (分群画像): which tags and
// values are over- or under-represented, how its numbers are distributed,
// and how active it is. It is immutable once returned and safe for
// concurrent reads.
type Profile struct {
	Segment int       // members of the segment
	Base    int       // members of the base
	Now     time.Time // end of the event windows
	Level   float64   // confidence level of the intervals
	// Quantiles are the probabilities of Distribution.Quantiles.
	Quantiles []float64
	// Traits are the tags, category values, set values and true bools,
	// sorted by how strongly they distinguish the segment: by the absolute
	// standardised difference, largest first, then by field and value.
	Traits []Trait
	// Numbers are the int, decimal and time attributes, sorted like Traits.
	Numbers []Number
	// Events are the recorded events with their activity per window,
	// sorted by name.
	Events []Activity
}

// Trait is one binary trait: a tag, a category or set value, or a bool
// attribute being true. It is a plain value.
type Trait struct {
	Field string // tag or attribute name
	Kind  string // "tag", "category", "set" or "bool"
	Value string // the category or set value; "true" for a bool; "" for a tag
	// InSegment and InBase count the members with the trait.
	InSegment, InBase int
	// Segment and Base are the shares of members with the trait.
	Segment, Base float64
	// Lift is Segment/Base (+Inf when no base member has it).
	Lift float64
	// LiftInterval is the interval of the lift by the log method (Katz),
	// treating segment and base as independent samples; when the segment
	// is part of the base the true interval is narrower, so this one is
	// conservative. NaN bounds when either count is zero.
	LiftInterval campaign.Interval
	// Diff is Segment − Base with Newcombe's hybrid score interval.
	Diff         float64
	DiffInterval campaign.Interval
	// StdDiff is the standardised difference of the shares,
	// (p₁ − p₀)/√((p₁(1−p₁) + p₀(1−p₀))/2), 0 when both are 0 or 1:
	// comparable across traits and with [Number.StdDiff].
	StdDiff float64
}

// Name is the trait as a rule would select it: has("vip"),
// city == "Beijing", "math" in interests, vip == true.
func (t Trait) Name() string {
	switch t.Kind {
	case "tag":
		return fmt.Sprintf("has(%q)", t.Field)
	case "set":
		return fmt.Sprintf("%q in %s", t.Value, t.Field)
	case "bool":
		return t.Field + " == true"
	}
	return fmt.Sprintf("%s == %q", t.Field, t.Value)
}

// Number is the distribution of one numeric or time attribute in the
// segment and the base. Values are in the attribute's unit: decimals as
// numbers, times as Unix seconds. It is a plain value.
type Number struct {
	Field   string
	Kind    bitmapindex.Kind
	Segment Distribution
	Base    Distribution
	// Edges are the interior bin edges shared by both histograms: bin 0 is
	// (−∞, Edges[0]), bin i is [Edges[i−1], Edges[i]), the last bin
	// [Edges[len−1], +∞). Empty when the base has at most one value.
	Edges []float64
	// StdDiff is (mean₁ − mean₀)/√((var₁ + var₀)/2) over the members with
	// a value (0 when both variances are 0, NaN when either side has none).
	StdDiff float64
}

// Distribution is one set's distribution of a numeric attribute. It is a
// plain value.
type Distribution struct {
	N         int       // members with a value
	Missing   float64   // share of members without a value
	Mean, SD  float64   // NaN without values
	Quantiles []float64 // at Config.Quantiles (R's type 7); NaN without values
	Counts    []int     // members per bin (len(Edges)+1)
}

// Activity is one event's activity in the segment and the base per window.
// It is a plain value.
type Activity struct {
	Event   string
	Windows []Window
}

// Window is the activity in the Days days ending on Profile.Now. Active
// shares have Newcombe's interval of their difference.
type Window struct {
	Days                      int
	InSegment, InBase         int     // members active
	ActiveSegment, ActiveBase float64 // share with at least one occurrence
	DiffInterval              campaign.Interval
	// Occurrences in the window, and per member (members without any
	// count 0).
	OccurrencesSegment, OccurrencesBase int
	MeanSegment, MeanBase               float64
}

// Describe profiles the members of segment against those of base (pass
// v.All() for all customers). Both sets must come from v. The segment may
// be part of the base or not. now ends the event windows (in v's time
// zone); the wall clock is never read.
//
// Every figure comes from intersection counts of the segment's and the
// base's bitmaps with the index's bitmaps (tags, values, bit slices, event
// days), never from a loop over members. ctx is checked between fields.
func Describe(ctx context.Context, v *bitmapindex.View, segment, base bitmapindex.Set, now time.Time, cfg Config) (*Profile, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if segment.Len() == 0 {
		return nil, fmt.Errorf("%w: the segment has no members", ErrEmpty)
	}
	if base.Len() == 0 {
		return nil, fmt.Errorf("%w: the base has no members", ErrEmpty)
	}
	p := &Profile{Segment: segment.Len(), Base: base.Len(), Now: now, Level: cfg.Level, Quantiles: slices.Clone(cfg.Quantiles)}
	sb, bb := segment.Bitmap(), base.Bitmap()
	trait := func(field, kind, value string, members bitmapindex.Set) {
		m := members.Bitmap()
		cs, cb := int(sb.AndCardinality(m)), int(bb.AndCardinality(m))
		if cs == 0 && cb == 0 {
			return
		}
		p.Traits = append(p.Traits, newTrait(field, kind, value, cs, p.Segment, cb, p.Base, cfg.Level))
	}
	for _, t := range v.Tags() {
		if t.Count > 0 {
			trait(t.Name, "tag", "", v.Tag(t.Name))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, a := range v.Schema() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch a.Kind {
		case bitmapindex.KindCategory, bitmapindex.KindSet:
			vals, err := v.Values(a.Name)
			if err != nil {
				return nil, err
			}
			for _, val := range vals {
				s, err := v.WithValue(a.Name, val)
				if err != nil {
					return nil, err
				}
				trait(a.Name, a.Kind.String(), val, s)
			}
		case bitmapindex.KindBool:
			s, err := v.Compare(a.Name, bitmapindex.Eq, bitmapindex.Bool(true))
			if err != nil {
				return nil, err
			}
			trait(a.Name, "bool", "true", s)
		default:
			n, err := describeNumber(v, segment, base, a, cfg)
			if err != nil {
				return nil, err
			}
			p.Numbers = append(p.Numbers, n)
		}
	}
	slices.SortStableFunc(p.Traits, func(a, b Trait) int {
		if c := compareStrength(a.StdDiff, b.StdDiff); c != 0 {
			return c
		}
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	slices.SortStableFunc(p.Numbers, func(a, b Number) int {
		if c := compareStrength(a.StdDiff, b.StdDiff); c != 0 {
			return c
		}
		return strings.Compare(a.Field, b.Field)
	})
	today := segkit.DayOf(now, v.Location())
	for _, e := range v.Events() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		act := Activity{Event: e}
		for _, days := range cfg.Windows {
			from := today.AddDays(1 - days)
			did := v.Did(e, from, today).Bitmap()
			w := Window{Days: days}
			w.InSegment, w.InBase = int(sb.AndCardinality(did)), int(bb.AndCardinality(did))
			w.ActiveSegment = float64(w.InSegment) / float64(p.Segment)
			w.ActiveBase = float64(w.InBase) / float64(p.Base)
			w.DiffInterval, _ = campaign.DiffInterval(
				campaign.Proportion{Successes: w.InSegment, Trials: p.Segment},
				campaign.Proportion{Successes: w.InBase, Trials: p.Base}, cfg.Level)
			w.OccurrencesSegment = v.EventCountIn(segment, e, from, today)
			w.OccurrencesBase = v.EventCountIn(base, e, from, today)
			w.MeanSegment = float64(w.OccurrencesSegment) / float64(p.Segment)
			w.MeanBase = float64(w.OccurrencesBase) / float64(p.Base)
			act.Windows = append(act.Windows, w)
		}
		p.Events = append(p.Events, act)
	}
	return p, nil
}

// compareStrength orders by |d| descending, NaN last.
func compareStrength(a, b float64) int {
	aa, ab := math.Abs(a), math.Abs(b)
	switch {
	case math.IsNaN(aa) && math.IsNaN(ab):
		return 0
	case math.IsNaN(aa):
		return 1
	case math.IsNaN(ab):
		return -1
	case aa > ab:
		return -1
	case aa < ab:
		return 1
	}
	return 0
}

func newTrait(field, kind, value string, cs, ns, cb, nb int, level float64) Trait {
	ps, pb := float64(cs)/float64(ns), float64(cb)/float64(nb)
	a := campaign.Proportion{Successes: cs, Trials: ns}
	b := campaign.Proportion{Successes: cb, Trials: nb}
	t := Trait{Field: field, Kind: kind, Value: value, InSegment: cs, InBase: cb,
		Segment: ps, Base: pb, Diff: ps - pb, StdDiff: stdDiffShares(ps, pb)}
	t.Lift = ps / pb
	if cb == 0 {
		t.Lift = math.Inf(1)
	}
	t.LiftInterval, _ = campaign.RatioInterval(a, b, level)
	t.DiffInterval, _ = campaign.DiffInterval(a, b, level)
	return t
}

// stdDiffShares is the standardised difference of two proportions (Austin,
// "Balance diagnostics…", Statistics in Medicine 28:3083, 2009).
func stdDiffShares(p1, p0 float64) float64 {
	s := math.Sqrt((p1*(1-p1) + p0*(1-p0)) / 2)
	if s == 0 {
		return 0
	}
	return (p1 - p0) / s
}

func describeNumber(v *bitmapindex.View, seg, base bitmapindex.Set, a bitmapindex.Attribute, cfg Config) (Number, error) {
	n := Number{Field: a.Name, Kind: a.Kind}
	var err error
	// the bins come from the base's 1st and 99th percentile (the segment's
	// when the base has no values)
	var lo, hi float64
	if n.Base, lo, hi, err = distribution(v, base, a, cfg); err != nil {
		return n, err
	}
	var slo, shi float64
	if n.Segment, slo, shi, err = distribution(v, seg, a, cfg); err != nil {
		return n, err
	}
	if n.Base.N == 0 {
		lo, hi = slo, shi
	}
	if hi > lo {
		n.Edges = edges(lo, hi, cfg.Bins, a)
	}
	cs := make([]bitmapindex.Value, len(n.Edges))
	for i, e := range n.Edges {
		cs[i] = valueOf(a, e)
	}
	for i, s := range []bitmapindex.Set{seg, base} {
		d := &n.Segment
		if i == 1 {
			d = &n.Base
		}
		below, err := v.CountBelowIn(s, a.Name, cs...)
		if err != nil {
			return n, err
		}
		d.Counts = make([]int, len(n.Edges)+1)
		prev := 0
		for j, c := range below {
			d.Counts[j] = c - prev
			prev = c
		}
		d.Counts[len(n.Edges)] = d.N - prev
	}
	n.StdDiff = math.NaN()
	if n.Segment.N > 0 && n.Base.N > 0 {
		s := math.Sqrt((n.Segment.SD*n.Segment.SD + n.Base.SD*n.Base.SD) / 2)
		switch {
		case s > 0:
			n.StdDiff = (n.Segment.Mean - n.Base.Mean) / s
		case n.Segment.Mean == n.Base.Mean:
			n.StdDiff = 0
		default:
			n.StdDiff = math.Copysign(math.Inf(1), n.Segment.Mean-n.Base.Mean)
		}
	}
	return n, nil
}

// distribution returns a set's distribution of the attribute (without the
// bin counts) and its 1st and 99th percentiles.
func distribution(v *bitmapindex.View, s bitmapindex.Set, a bitmapindex.Attribute, cfg Config) (d Distribution, p1, p99 float64, err error) {
	m, err := v.MomentsIn(s, a.Name)
	if err != nil {
		return d, 0, 0, err
	}
	d = Distribution{N: m.N, Mean: m.Mean, SD: math.Sqrt(m.Var), Missing: 1 - float64(m.N)/float64(s.Len())}
	probs := append(slices.Clone(cfg.Quantiles), 0.01, 0.99)
	// R's type 7: linear interpolation between the order statistics at
	// h = (n−1)q; all of them in one descent.
	var ks []int
	for _, q := range probs {
		h := float64(m.N-1) * q
		ks = append(ks, int(math.Floor(h)), int(math.Ceil(h)))
	}
	xs, err := v.NthIn(s, a.Name, ks...)
	if err != nil {
		return d, 0, 0, err
	}
	qs := make([]float64, len(probs))
	for i, q := range probs {
		if m.N == 0 {
			qs[i] = math.NaN()
			continue
		}
		h := float64(m.N-1) * q
		xl, xh := number(xs[2*i]), number(xs[2*i+1])
		qs[i] = xl + (h-math.Floor(h))*(xh-xl)
	}
	d.Quantiles = qs[:len(cfg.Quantiles)]
	return d, qs[len(qs)-2], qs[len(qs)-1], nil
}

// number returns a numeric value in the attribute's unit.
func number(x bitmapindex.Value) float64 {
	switch x.Kind() {
	case bitmapindex.KindInt:
		n, _ := x.AsInt()
		return float64(n)
	case bitmapindex.KindDecimal:
		f, _ := x.AsDecimal()
		return f
	case bitmapindex.KindTime:
		t, _ := x.AsTime()
		return float64(t.Unix())
	}
	return math.NaN()
}

// valueOf returns the comparison constant for a bin edge.
func valueOf(a bitmapindex.Attribute, e float64) bitmapindex.Value {
	switch a.Kind {
	case bitmapindex.KindInt:
		return bitmapindex.Int(int64(e))
	case bitmapindex.KindTime:
		return bitmapindex.Time(time.Unix(int64(e), 0))
	}
	return bitmapindex.Decimal(e)
}

// edges returns bins−1 interior edges of equal width between lo and hi,
// rounded to the attribute's precision (whole numbers for ints, the scale
// for decimals, whole days for times) and deduplicated.
func edges(lo, hi float64, bins int, a bitmapindex.Attribute) []float64 {
	round := func(x float64) float64 { return x }
	switch a.Kind {
	case bitmapindex.KindInt:
		round = math.Ceil
	case bitmapindex.KindDecimal:
		f := math.Pow10(a.Scale)
		round = func(x float64) float64 { return math.Ceil(x*f) / f }
	case bitmapindex.KindTime:
		round = func(x float64) float64 { return math.Ceil(x/86400) * 86400 }
	}
	var out []float64
	w := (hi - lo) / float64(bins)
	for i := 1; i < bins; i++ {
		e := round(lo + float64(i)*w)
		if len(out) == 0 || e > out[len(out)-1] {
			out = append(out, e)
		}
	}
	return out
}
