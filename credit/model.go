package credit

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// Customer is what a scorecard reads about one customer: attributes (as
// stored in a [bitmapindex.Index]), the join time and the events. The
// Customer field of the events is not looked at. It is a plain value; the
// model only reads it.
type Customer struct {
	// Key is the host's customer key, copied into the [Result].
	Key string
	// Joined is when the customer joined, for [Tenure]; zero means unknown.
	Joined time.Time
	// Attributes by name.
	Attributes map[string]bitmapindex.Value
	// Events in any order: late payments, refunds, cancellations,
	// complaints, … Events after the scoring day are ignored, so that a
	// history can be scored as of any past day.
	Events []segkit.Event
}

// Model is a compiled scorecard. It is immutable and safe for concurrent
// use by multiple goroutines.
type Model struct {
	sc    Scorecard
	loc   *time.Location
	tz    *segkit.Zone
	chars []compiled
}

type compiled struct {
	Characteristic
	cuts   []float64      // numeric: upper bounds of all bins but the last
	values map[string]int // by value: value → bin
	best   int            // the largest points of any bin or Missing
}

// Compile validates s and returns its model.
func Compile(s Scorecard) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil { // unreachable after Validate
		return nil, fmt.Errorf("credit: time zone: %w", err)
	}
	m := &Model{sc: clone(s), loc: loc, tz: segkit.NewZone(loc)}
	for _, c := range m.sc.Characteristics {
		cc := compiled{Characteristic: c, best: c.Missing}
		if c.byValue() {
			cc.values = map[string]int{}
			for j, b := range c.Bins {
				for _, v := range b.Values {
					cc.values[v] = j
				}
			}
		} else {
			for _, b := range c.Bins[:len(c.Bins)-1] {
				cc.cuts = append(cc.cuts, *b.Max)
			}
		}
		for _, b := range c.Bins {
			cc.best = max(cc.best, b.Points)
		}
		m.chars = append(m.chars, cc)
	}
	return m, nil
}

// clone copies the slices and pointers of s so that the caller may modify
// its own copy.
func clone(s Scorecard) Scorecard {
	s.Characteristics = slices.Clone(s.Characteristics)
	for i := range s.Characteristics {
		c := &s.Characteristics[i]
		c.Bins = slices.Clone(c.Bins)
		for j := range c.Bins {
			b := &c.Bins[j]
			b.Min, b.Max = clonePtr(b.Min), clonePtr(b.Max)
			b.Values = slices.Clone(b.Values)
		}
	}
	s.Bands = slices.Clone(s.Bands)
	for i := range s.Bands {
		s.Bands[i].Min = clonePtr(s.Bands[i].Min)
		s.Bands[i].Restrictions.Flags = slices.Clone(s.Bands[i].Restrictions.Flags)
	}
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Scorecard returns a copy of the model's scorecard.
func (m *Model) Scorecard() Scorecard { return clone(m.sc) }

// Location returns the time zone the model counts days in.
func (m *Model) Location() *time.Location { return m.loc }

// Reason is one characteristic's part in a score: its value, the bin it
// fell in, the points that bin gives and the penalty — the points short of
// the best the characteristic can give. It is a plain value.
type Reason struct {
	Characteristic string
	// Description is the characteristic's description, or its name.
	Description string
	// Value is the characteristic's value as text ("3", "true"); "missing"
	// when there is none.
	Value string
	// Bin is the label of the bin ("1–3"); "missing" for the Missing points.
	Bin     string
	Points  int
	Penalty int
}

// Result is a customer's score, band, the band's restrictions and the
// reasons, largest penalties first (like an adverse-action notice). It is a
// plain value.
type Result struct {
	Customer     string
	Score        int
	Band         string
	Restrictions Restrictions
	Reasons      []Reason
}

// Explain formats the result for people, one reason a line:
//
//	c1: score 612, band "fair" (credit 0 days, order limit 2000)
//	  late_payments_12m = 3 (≥ 3): -45 points, 60 below the best
func (r Result) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: score %d, band %q (%s)\n", r.Customer, r.Score, r.Band, r.Restrictions)
	for _, rs := range r.Reasons {
		fmt.Fprintf(&b, "  %s = %s (%s): %+d points", rs.Description, rs.Value, rs.Bin, rs.Points)
		if rs.Penalty > 0 {
			fmt.Fprintf(&b, ", %d below the best", rs.Penalty)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// CustomerError is returned when a customer's data does not fit the
// scorecard: an attribute of a kind the characteristic's bins cannot take.
// It is immutable once returned.
type CustomerError struct {
	Customer       string
	Characteristic string
	Attribute      string
	Kind           bitmapindex.Kind
	Msg            string
}

func (e *CustomerError) Error() string {
	return fmt.Sprintf("credit: customer %q: characteristic %q: attribute %q of kind %s: %s",
		e.Customer, e.Characteristic, e.Attribute, e.Kind, e.Msg)
}

// value is one characteristic's value: numeric, text, or missing.
type value struct {
	num     float64
	str     string
	text    bool
	missing bool
}

func (v value) String() string {
	switch {
	case v.missing:
		return "missing"
	case v.text:
		return v.str
	default:
		return strconv.FormatFloat(v.num, 'g', -1, 64)
	}
}

// eval computes characteristic c of cu as of day asOf.
func (m *Model) eval(c *compiled, cu *Customer, asOf segkit.Day) (value, error) {
	switch c.Kind {
	case Count, Sum, DaysSince:
		var n, sum float64
		last := segkit.Day(0)
		found := false
		for i := range cu.Events {
			e := &cu.Events[i]
			if e.Name != c.Event {
				continue
			}
			d := m.tz.DayOf(e.At)
			age := asOf.Sub(d)
			if age < 0 {
				continue
			}
			if !found || d > last {
				last, found = d, true
			}
			if c.Days == 0 || age < c.Days {
				n++
				sum += e.Value
			}
		}
		switch c.Kind {
		case Count:
			return value{num: n}, nil
		case Sum:
			return value{num: sum}, nil
		}
		if !found {
			return value{missing: true}, nil
		}
		return value{num: float64(asOf.Sub(last))}, nil
	case Tenure:
		t := cu.Joined
		if c.Attribute != "" {
			a, ok := cu.Attributes[c.Attribute]
			if !ok || !a.IsValid() {
				return value{missing: true}, nil
			}
			at, ok := a.AsTime()
			if !ok {
				return value{}, &CustomerError{cu.Key, c.Name, c.Attribute, a.Kind(), "tenure needs a time"}
			}
			t = at
		}
		if t.IsZero() {
			return value{missing: true}, nil
		}
		return value{num: float64(asOf.Sub(m.tz.DayOf(t)))}, nil
	}
	a, ok := cu.Attributes[c.Attribute]
	if !ok || !a.IsValid() {
		return value{missing: true}, nil
	}
	if c.values != nil {
		switch a.Kind() {
		case bitmapindex.KindCategory:
			s, _ := a.AsString()
			return value{str: s, text: true}, nil
		case bitmapindex.KindBool:
			b, _ := a.AsBool()
			return value{str: strconv.FormatBool(b), text: true}, nil
		case bitmapindex.KindInt:
			n, _ := a.AsInt()
			return value{str: strconv.FormatInt(n, 10), text: true}, nil
		}
		return value{}, &CustomerError{cu.Key, c.Name, c.Attribute, a.Kind(), "bins by value take a category, bool or int"}
	}
	switch a.Kind() {
	case bitmapindex.KindInt:
		n, _ := a.AsInt()
		return value{num: float64(n)}, nil
	case bitmapindex.KindDecimal:
		f, _ := a.AsDecimal()
		return value{num: f}, nil
	case bitmapindex.KindTime:
		t, _ := a.AsTime()
		return value{num: float64(asOf.Sub(m.tz.DayOf(t)))}, nil
	}
	return value{}, &CustomerError{cu.Key, c.Name, c.Attribute, a.Kind(), "numeric bins take an int, decimal or time"}
}

// bin returns the bin of v, or -1 for the Missing points.
func (c *compiled) bin(v value) int {
	if v.missing {
		return -1
	}
	if c.values != nil {
		if j, ok := c.values[v.str]; ok {
			return j
		}
		return -1
	}
	if v.num != v.num { // NaN from a decimal attribute
		return -1
	}
	// The bin is the number of upper bounds at or below the value.
	j, _ := slices.BinarySearch(c.cuts, v.num)
	if j < len(c.cuts) && c.cuts[j] == v.num {
		j++
	}
	return j
}

func (c *compiled) points(j int) int {
	if j < 0 {
		return c.Missing
	}
	return c.Bins[j].Points
}

// bins writes the bin of every characteristic of cu into dst (−1 for
// missing) and returns the values.
func (m *Model) bins(dst []int, vals []value, cu *Customer, asOf segkit.Day) error {
	for i := range m.chars {
		v, err := m.eval(&m.chars[i], cu, asOf)
		if err != nil {
			return err
		}
		dst[i] = m.chars[i].bin(v)
		if vals != nil {
			vals[i] = v
		}
	}
	return nil
}

// Score scores cu as of now: windows end on now's calendar day in the
// scorecard's zone, and events after that day are ignored. The result holds
// the total, its band and restrictions, and the reasons — each
// characteristic's value, bin and points — largest penalties first.
func (m *Model) Score(cu Customer, now time.Time) (Result, error) {
	return m.score(cu, m.tz.DayOf(now))
}

func (m *Model) score(cu Customer, asOf segkit.Day) (Result, error) {
	n := len(m.chars)
	bins := make([]int, n)
	vals := make([]value, n)
	if err := m.bins(bins, vals, &cu, asOf); err != nil {
		return Result{}, err
	}
	r := Result{Customer: cu.Key, Score: m.sc.Base, Reasons: make([]Reason, n)}
	for i := range m.chars {
		c := &m.chars[i]
		p := c.points(bins[i])
		r.Score += p
		label := "missing"
		if bins[i] >= 0 {
			label = c.Bins[bins[i]].Label()
		}
		desc := c.Description
		if desc == "" {
			desc = c.Name
		}
		r.Reasons[i] = Reason{Characteristic: c.Name, Description: desc, Value: vals[i].String(), Bin: label, Points: p, Penalty: c.best - p}
	}
	slices.SortStableFunc(r.Reasons, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Penalty, a.Penalty), cmp.Compare(a.Points, b.Points))
	})
	b := m.Band(r.Score)
	r.Band, r.Restrictions = b.Name, b.Restrictions
	r.Restrictions.Flags = slices.Clone(r.Restrictions.Flags)
	return r, nil
}

// Band returns the band a score falls in.
func (m *Model) Band(score int) Band {
	for _, b := range m.sc.Bands {
		if b.Min == nil || score >= *b.Min {
			return b
		}
	}
	return m.sc.Bands[len(m.sc.Bands)-1] // unreachable: the last band has no Min
}

// ScoreAll scores every customer of seq as of now, yielding each result or
// the error of that customer; scoring continues after an error. Its output
// is what the index adapter takes ([Output]).
func (m *Model) ScoreAll(seq iter.Seq[Customer], now time.Time) iter.Seq2[Result, error] {
	asOf := m.tz.DayOf(now)
	return func(yield func(Result, error) bool) {
		for cu := range seq {
			if !yield(m.score(cu, asOf)) {
				return
			}
		}
	}
}
