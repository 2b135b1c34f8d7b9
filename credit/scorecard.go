package credit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Scorecard is a credit (reputation) model as data: characteristics computed
// from a customer's attributes and events, each divided into bins that carry
// points; a base score; and bands of the total score with the restrictions
// the host applies to customers in them. It is what [ParseScorecard] reads
// from JSON, what [Compile] turns into a [Model], and what [Fit] fills with
// points learnt from outcomes.
//
// A Scorecard is a plain value; it is not safe to modify while another
// goroutine reads it, but Compile copies what it needs.
type Scorecard struct {
	// Name is shown in reasons and reports; optional.
	Name string `json:"name,omitempty"`
	// TimeZone is the IANA zone whose calendar days windows and tenure are
	// counted in (the index's zone, e.g. "Asia/Shanghai"); empty means UTC.
	// "Local" is rejected: a scorecard must not depend on the machine.
	TimeZone string `json:"time_zone,omitempty"`
	// Base is the score every customer starts from; the score is Base plus
	// the points of each characteristic's bin.
	Base int `json:"base"`
	// Characteristics, at least one and at most 64.
	Characteristics []Characteristic `json:"characteristics"`
	// Bands, best first: each band holds the scores at or above its Min and
	// below the previous band's Min. The last band has no Min and holds
	// every lower score. At least one band.
	Bands []Band `json:"bands"`
}

// Kind says how a characteristic's value is computed. It is a plain value.
type Kind string

// The characteristic kinds.
const (
	// Count counts the customer's Event events in the last Days days up to
	// the scoring day (all history when Days is 0). Never missing.
	Count Kind = "count"
	// Sum adds the Value of those events. Never missing.
	Sum Kind = "sum"
	// DaysSince is the number of days since the customer's last Event event
	// on or before the scoring day; missing when there was none.
	DaysSince Kind = "days_since"
	// Tenure is the number of days since the customer joined (or, with
	// Attribute, since that time attribute); missing when unknown.
	Tenure Kind = "tenure"
	// Attribute is the value of the customer attribute Attribute: an int or
	// decimal for numeric bins; a category or bool ("true", "false") for
	// bins by value; a time as the days since it. Missing when absent.
	Attribute Kind = "attribute"
)

// Direction is the declared order of a numeric characteristic's points.
// It is a plain value.
type Direction string

// The directions; empty means no order is declared.
const (
	// Increasing: points never fall from one bin to the next higher one.
	Increasing Direction = "increasing"
	// Decreasing: points never rise from one bin to the next higher one.
	Decreasing Direction = "decreasing"
)

// Characteristic is one scored property of a customer. It is a plain value.
type Characteristic struct {
	// Name is a lower-case identifier, unique in the scorecard
	// ("late_payments_12m").
	Name string `json:"name"`
	// Description is shown in reasons instead of the name; optional.
	Description string `json:"description,omitempty"`
	Kind        Kind   `json:"kind"`
	// Event is the event name counted, summed or looked for (Count, Sum,
	// DaysSince).
	Event string `json:"event,omitempty"`
	// Days is the window of Count and Sum: events on the scoring day and
	// the Days−1 days before it; 0 means all history. At most 36,500.
	Days int `json:"days,omitempty"`
	// Attribute names the customer attribute read (Attribute, and Tenure
	// from a time attribute instead of the join time).
	Attribute string `json:"attribute,omitempty"`
	// Monotonic declares the order of the points over numeric bins; it is
	// checked on every scorecard and enforced by [Fit].
	Monotonic Direction `json:"monotonic,omitempty"`
	// Bins: numeric bins in ascending order, each [Min, Max) with the
	// first open below and the last open above and no gaps; or bins by
	// value, each listing the values it holds. At least two, at most 64.
	Bins []Bin `json:"bins"`
	// Missing is the points of a customer without a value (and, for bins by
	// value, with a value no bin lists); 0 when absent.
	Missing int `json:"missing,omitempty"`
}

// Bin is one range or set of values of a characteristic with its points.
// It is a plain value.
type Bin struct {
	// Min and Max bound a numeric bin, [Min, Max); nil is unbounded.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Values are the values of a bin by value.
	Values []string `json:"values,omitempty"`
	// Points added to the score for customers in the bin.
	Points int `json:"points"`
}

// Label formats the bin for reasons and reports: "< 1", "1–3", "≥ 3",
// "true", "a, b".
func (b Bin) Label() string {
	switch {
	case b.Values != nil:
		return strings.Join(b.Values, ", ")
	case b.Min == nil && b.Max == nil:
		return "any"
	case b.Min == nil:
		return "< " + num(*b.Max)
	case b.Max == nil:
		return "≥ " + num(*b.Min)
	default:
		return num(*b.Min) + "–" + num(*b.Max)
	}
}

func num(f float64) string {
	return fmt.Sprintf("%g", f)
}

func (c Characteristic) byValue() bool { return len(c.Bins) > 0 && c.Bins[0].Values != nil }

// Band is a range of scores and the restrictions that go with it. It is a
// plain value.
type Band struct {
	// Name is unique in the scorecard ("excellent").
	Name string `json:"name"`
	// Min is the lowest score of the band; nil only for the last band.
	Min *int `json:"min,omitempty"`
	// Restrictions are what the host applies to customers in the band.
	Restrictions Restrictions `json:"restrictions,omitzero"`
}

// Restrictions are the business actions tied to a band, for the host to
// read and enforce. Zero values mean "no restriction" as written on each
// field. It is a plain value.
type Restrictions struct {
	// CreditDays is the payment term granted in days; 0 means no credit
	// (payment before shipping unless CashOnDelivery).
	CreditDays int `json:"credit_days,omitempty"`
	// CashOnDelivery allows paying on delivery.
	CashOnDelivery bool `json:"cash_on_delivery,omitempty"`
	// Prepay requires payment before the order is processed.
	Prepay bool `json:"prepay,omitempty"`
	// OrderLimit is the largest order value accepted; 0 means no limit.
	OrderLimit float64 `json:"order_limit,omitempty"`
	// ManualReview sends orders to a person before they ship.
	ManualReview bool `json:"manual_review,omitempty"`
	// Flags are further host-defined restrictions, lower-case identifiers
	// ("no_coupons").
	Flags []string `json:"flags,omitempty"`
}

// String formats the restrictions for reports: "credit 30 days, order
// limit 5000, manual review"; "none" when there are none.
func (r Restrictions) String() string {
	var parts []string
	if r.CreditDays > 0 {
		parts = append(parts, fmt.Sprintf("credit %d days", r.CreditDays))
	}
	if r.Prepay {
		parts = append(parts, "prepay")
	}
	if r.CashOnDelivery {
		parts = append(parts, "cash on delivery")
	}
	if r.OrderLimit > 0 {
		parts = append(parts, "order limit "+num(r.OrderLimit))
	}
	if r.ManualReview {
		parts = append(parts, "manual review")
	}
	parts = append(parts, r.Flags...)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Limits on a scorecard, so that hostile definitions stay small.
const (
	maxCharacteristics = 64
	maxBins            = 64
	maxBands           = 32
	maxValues          = 256
	maxDays            = 36500
	maxPoints          = 1_000_000
	maxBound           = 1e15
	maxScorecardBytes  = 1 << 20
)

// Problem is one defect of a scorecard: the field path
// ("characteristics[2].bins[1].max") and what is wrong. It is a plain value.
type Problem struct {
	Field string
	Msg   string
}

func (p Problem) String() string { return p.Field + ": " + p.Msg }

// ScorecardError is returned by [Scorecard.Validate], [ParseScorecard] and
// [Compile] for an invalid scorecard; it lists every problem found, in
// field order. It is immutable once returned and safe for concurrent reads.
type ScorecardError struct {
	Problems []Problem
}

func (e *ScorecardError) Error() string {
	var b strings.Builder
	b.WriteString("credit: invalid scorecard: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// ParseScorecard decodes a scorecard from JSON strictly (unknown fields,
// trailing data and documents over 1 MiB are errors) and validates it.
// Validation problems are returned as a *ScorecardError.
func ParseScorecard(data []byte) (Scorecard, error) {
	var s Scorecard
	if len(data) > maxScorecardBytes {
		return s, fmt.Errorf("credit: scorecard json: %d bytes exceeds the limit of %d", len(data), maxScorecardBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Scorecard{}, fmt.Errorf("credit: scorecard json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Scorecard{}, errors.New("credit: scorecard json: data after the scorecard object")
	}
	if err := s.Validate(); err != nil {
		return Scorecard{}, err
	}
	// An empty list of flags is no flags: normalised so that marshalling the
	// scorecard and parsing it again gives the same scorecard.
	for i := range s.Bands {
		if len(s.Bands[i].Restrictions.Flags) == 0 {
			s.Bands[i].Restrictions.Flags = nil
		}
	}
	return s, nil
}

// MarshalIndent returns the scorecard as indented JSON that ParseScorecard
// reads back.
func (s Scorecard) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("credit: scorecard json: %w", err)
	}
	return b, nil
}

// Validate checks the scorecard and returns a *ScorecardError listing every
// problem, or nil.
func (s Scorecard) Validate() error {
	var v validator
	v.scorecard(s)
	if len(v.problems) == 0 {
		return nil
	}
	return &ScorecardError{Problems: v.problems}
}

type validator struct{ problems []Problem }

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) scorecard(s Scorecard) {
	if s.TimeZone == "Local" {
		v.add("time_zone", `"Local" depends on the machine; name a zone such as "Asia/Shanghai"`)
	} else if _, err := time.LoadLocation(s.TimeZone); err != nil {
		v.add("time_zone", "unknown time zone %q", s.TimeZone)
	}
	if abs(s.Base) > maxPoints {
		v.add("base", "%d is outside ±%d", s.Base, maxPoints)
	}
	switch n := len(s.Characteristics); {
	case n == 0:
		v.add("characteristics", "at least one characteristic is needed")
	case n > maxCharacteristics:
		v.add("characteristics", "%d characteristics exceed the limit of %d", n, maxCharacteristics)
	}
	seen := map[string]int{}
	for i, c := range s.Characteristics {
		if i >= maxCharacteristics {
			break
		}
		f := fmt.Sprintf("characteristics[%d]", i)
		if c.Name != "" {
			f = fmt.Sprintf("characteristics[%d] %q", i, c.Name)
		}
		if !isIdent(c.Name) {
			v.add(f+".name", "%q is not a lower-case identifier (a-z, 0-9, _; starting with a letter)", c.Name)
		} else if j, dup := seen[c.Name]; dup {
			v.add(f+".name", "duplicate of characteristics[%d]", j)
		} else {
			seen[c.Name] = i
		}
		v.characteristic(f, c)
	}
	v.bands(s.Bands)
}

func (v *validator) characteristic(f string, c Characteristic) {
	numericOnly := false
	switch c.Kind {
	case Count, Sum, DaysSince:
		numericOnly = true
		if c.Event == "" {
			v.add(f+".event", "kind %q needs the event name", c.Kind)
		}
		if c.Attribute != "" {
			v.add(f+".attribute", "kind %q reads events, not an attribute", c.Kind)
		}
	case Tenure:
		numericOnly = true
		if c.Event != "" {
			v.add(f+".event", "kind %q reads no event", c.Kind)
		}
	case Attribute:
		if c.Attribute == "" {
			v.add(f+".attribute", "kind %q needs the attribute name", c.Kind)
		}
		if c.Event != "" {
			v.add(f+".event", "kind %q reads no event", c.Kind)
		}
	case "":
		v.add(f+".kind", "missing; one of count, sum, days_since, tenure, attribute")
	default:
		v.add(f+".kind", "unknown kind %q; one of count, sum, days_since, tenure, attribute", c.Kind)
	}
	if c.Days != 0 && c.Kind != Count && c.Kind != Sum {
		v.add(f+".days", "only count and sum have a window")
	}
	if c.Days < 0 || c.Days > maxDays {
		v.add(f+".days", "%d is outside 0..%d", c.Days, maxDays)
	}
	if abs(c.Missing) > maxPoints {
		v.add(f+".missing", "%d is outside ±%d", c.Missing, maxPoints)
	}
	switch c.Monotonic {
	case "", Increasing, Decreasing:
	default:
		v.add(f+".monotonic", "unknown direction %q; increasing or decreasing", c.Monotonic)
	}
	switch n := len(c.Bins); {
	case n < 2:
		v.add(f+".bins", "at least two bins are needed, got %d", n)
		return
	case n > maxBins:
		v.add(f+".bins", "%d bins exceed the limit of %d", n, maxBins)
		return
	}
	byValue := c.byValue()
	if byValue && numericOnly {
		v.add(f+".bins", "kind %q has numeric values; bins need min/max, not values", c.Kind)
	}
	if byValue && (c.Monotonic == Increasing || c.Monotonic == Decreasing) {
		v.add(f+".monotonic", "bins by value have no order")
	}
	values := map[string]int{}
	var prevMax *float64
	for j, b := range c.Bins {
		bf := fmt.Sprintf("%s.bins[%d]", f, j)
		if abs(b.Points) > maxPoints {
			v.add(bf+".points", "%d is outside ±%d", b.Points, maxPoints)
		}
		if byValue {
			if b.Min != nil || b.Max != nil {
				v.add(bf, "bins by value take values, not min/max")
			}
			if len(b.Values) == 0 {
				v.add(bf+".values", "empty; a bin by value lists at least one value")
			}
			if len(b.Values) > maxValues {
				v.add(bf+".values", "%d values exceed the limit of %d", len(b.Values), maxValues)
				continue
			}
			for _, s := range b.Values {
				if k, dup := values[s]; dup {
					v.add(bf+".values", "%q is also in bins[%d]", s, k)
				} else {
					values[s] = j
				}
			}
			continue
		}
		if b.Values != nil {
			v.add(bf+".values", "numeric bins take min/max, not values")
			continue
		}
		for _, p := range []struct {
			name string
			x    *float64
		}{{"min", b.Min}, {"max", b.Max}} {
			if p.x != nil && !(math.Abs(*p.x) <= maxBound) {
				v.add(bf+"."+p.name, "%v is outside ±%g", *p.x, maxBound)
			}
		}
		switch {
		case j == 0 && b.Min != nil:
			v.add(bf+".min", "the first bin is open below; leave min out")
		case j > 0 && b.Min == nil:
			v.add(bf+".min", "missing; it must equal bins[%d].max", j-1)
		case j > 0 && prevMax != nil && *b.Min != *prevMax:
			v.add(bf+".min", "%g leaves a gap or overlap with bins[%d].max %g", *b.Min, j-1, *prevMax)
		}
		last := j == len(c.Bins)-1
		switch {
		case last && b.Max != nil:
			v.add(bf+".max", "the last bin is open above; leave max out")
		case !last && b.Max == nil:
			v.add(bf+".max", "missing; only the last bin is open above")
		case b.Min != nil && b.Max != nil && !(*b.Max > *b.Min):
			v.add(bf+".max", "%g is not above min %g", *b.Max, *b.Min)
		}
		prevMax = b.Max
		if j > 0 && c.Monotonic != "" {
			d := b.Points - c.Bins[j-1].Points
			if (c.Monotonic == Increasing && d < 0) || (c.Monotonic == Decreasing && d > 0) {
				v.add(bf+".points", "%d after %d breaks the declared %s order", b.Points, c.Bins[j-1].Points, c.Monotonic)
			}
		}
	}
}

func (v *validator) bands(bands []Band) {
	switch n := len(bands); {
	case n == 0:
		v.add("bands", "at least one band is needed")
		return
	case n > maxBands:
		v.add("bands", "%d bands exceed the limit of %d", n, maxBands)
		return
	}
	seen := map[string]int{}
	for i, b := range bands {
		f := fmt.Sprintf("bands[%d]", i)
		if b.Name != "" {
			f = fmt.Sprintf("bands[%d] %q", i, b.Name)
		}
		if b.Name == "" || strings.TrimSpace(b.Name) != b.Name || len(b.Name) > 64 {
			v.add(f+".name", "a band needs a name of 1 to 64 bytes without surrounding spaces")
		} else if j, dup := seen[b.Name]; dup {
			v.add(f+".name", "duplicate of bands[%d]", j)
		} else {
			seen[b.Name] = i
		}
		last := i == len(bands)-1
		switch {
		case last && b.Min != nil:
			v.add(f+".min", "the last band holds every lower score; leave min out")
		case !last && b.Min == nil:
			v.add(f+".min", "missing; only the last band has no min")
		case b.Min != nil && abs(*b.Min) > 2*maxPoints*maxCharacteristics:
			v.add(f+".min", "%d is out of range", *b.Min)
		case i > 0 && b.Min != nil && bands[i-1].Min != nil && *b.Min >= *bands[i-1].Min:
			v.add(f+".min", "%d is not below bands[%d].min %d; list bands best first", *b.Min, i-1, *bands[i-1].Min)
		}
		r := b.Restrictions
		if r.CreditDays < 0 || r.CreditDays > maxDays {
			v.add(f+".restrictions.credit_days", "%d is outside 0..%d", r.CreditDays, maxDays)
		}
		if !(r.OrderLimit >= 0 && r.OrderLimit <= maxBound) {
			v.add(f+".restrictions.order_limit", "%v is outside 0..%g", r.OrderLimit, maxBound)
		}
		if r.Prepay && (r.CreditDays > 0 || r.CashOnDelivery) {
			v.add(f+".restrictions.prepay", "contradicts credit_days or cash_on_delivery")
		}
		if len(r.Flags) > maxValues {
			v.add(f+".restrictions.flags", "%d flags exceed the limit of %d", len(r.Flags), maxValues)
			continue
		}
		for k, fl := range r.Flags {
			if !isIdent(fl) {
				v.add(fmt.Sprintf("%s.restrictions.flags[%d]", f, k), "%q is not a lower-case identifier", fl)
			}
		}
	}
}

func isIdent(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// abs is |x| capped so that math.MinInt compares as out of range.
func abs(x int) int {
	if x < 0 {
		if x < -maxPoints*maxCharacteristics*4 {
			return maxPoints * maxCharacteristics * 4
		}
		return -x
	}
	return x
}
