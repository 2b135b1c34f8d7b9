package persona

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// ReportConfig selects the traits (tags and attribute values) reports show.
// It is a plain value; start from [DefaultReportConfig].
type ReportConfig struct {
	// Top is the number of traits listed per group; 0 lists none.
	Top int
	// MinShare is the smallest share of the group a trait must cover to be
	// listed (0..1), so that a tag three people have does not top the list
	// with a huge lift.
	MinShare float64
	// MinCount is the smallest number of group members with the trait.
	MinCount int
	// Attributes are the attributes whose values are traits (category, set
	// and bool attributes; others are an error). nil means every category,
	// set and bool attribute of the view's schema, except the persona
	// attribute itself (DefaultAttribute); an empty non-nil slice means
	// none.
	Attributes []string
	// NoTags leaves tags out of the traits.
	NoTags bool
}

// DefaultReportConfig returns the top 5 traits covering at least 5% and 10
// members of the group, over every tag and every category, set and bool
// attribute.
func DefaultReportConfig() ReportConfig {
	return ReportConfig{Top: 5, MinShare: 0.05, MinCount: 10}
}

// Lift describes how much more common a trait is in a group than in the
// population. It is a plain value.
type Lift struct {
	// Attribute is the attribute name, "" for a tag.
	Attribute string
	// Value is the tag, or the attribute value ("true"/"false" for bool).
	Value string
	// Count is the number of group members with the trait.
	Count int
	// Share is Count / group size; PopulationShare the same in the
	// population.
	Share, PopulationShare float64
	// Lift is Share / PopulationShare: 2 means twice as common in the group.
	Lift float64
}

// String renders "tag vip" or "city = Beijing".
func (l Lift) String() string {
	if l.Attribute == "" {
		return "tag " + l.Value
	}
	return l.Attribute + " = " + l.Value
}

// Report summarises an assignment: persona sizes and coverage, how much the
// personas' qualifying customers overlap, and the traits that distinguish
// each persona. It is plain data.
type Report struct {
	// Customers is the number of live customers; Assigned and Unassigned
	// split them; Coverage is Assigned / Customers.
	Customers, Assigned, Unassigned int
	Coverage                        float64
	// Personas are in precedence order (Catalog.Names).
	Personas []PersonaReport
	// Overlap has one entry per pair of personas (in precedence order, A
	// before B) whose qualifying customers intersect. Members never overlap
	// (each customer has one best persona); qualifying customers show how
	// distinguishable the personas are.
	Overlap []Overlap
}

// PersonaReport is one persona's line of a [Report]. It is plain data.
type PersonaReport struct {
	Name, Description string
	// Members have this persona as their best; Share = Members / Customers.
	Members int
	Share   float64
	// Eligible customers reach the persona's minimum score.
	Eligible int
	// Traits are the tags and attribute values most over-represented among
	// the members (lift > 1), by lift.
	Traits []Lift
}

// Overlap is the intersection of two personas' qualifying customers. It is
// a plain value.
type Overlap struct {
	A, B string
	// Both is the number of customers qualifying for both; Jaccard is Both /
	// the number qualifying for either.
	Both    int
	Jaccard float64
}

// Report computes the [Report] of the assignment. Every figure is a bitmap
// cardinality; the traits cost one intersection count per persona and tag or
// attribute value.
func (a *Assignment) Report(cfg ReportConfig) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	st, v := a.st, a.view
	r := &Report{
		Customers: int(st.all.GetCardinality()),
		Assigned:  int(st.assigned.GetCardinality()),
	}
	r.Unassigned = r.Customers - r.Assigned
	r.Coverage = ratio(r.Assigned, r.Customers)
	traits, err := traitSets(v, cfg)
	if err != nil {
		return nil, err
	}
	for _, p := range a.c.sc.order {
		d := a.c.defs[p]
		pr := PersonaReport{
			Name: d.Name, Description: d.Description,
			Members:  int(st.members[p].GetCardinality()),
			Eligible: int(st.elig[p].GetCardinality()),
		}
		pr.Share = ratio(pr.Members, r.Customers)
		pr.Traits = lifts(st.members[p], pr.Members, r.Customers, traits, cfg)
		r.Personas = append(r.Personas, pr)
	}
	for i, p := range a.c.sc.order {
		for _, q := range a.c.sc.order[i+1:] {
			both := st.elig[p].AndCardinality(st.elig[q])
			if both == 0 {
				continue
			}
			either := st.elig[p].GetCardinality() + st.elig[q].GetCardinality() - both
			r.Overlap = append(r.Overlap, Overlap{
				A: a.c.defs[p].Name, B: a.c.defs[q].Name,
				Both: int(both), Jaccard: float64(both) / float64(either),
			})
		}
	}
	return r, nil
}

func (cfg ReportConfig) validate() error {
	if cfg.Top < 0 || cfg.MinCount < 0 || !(cfg.MinShare >= 0 && cfg.MinShare <= 1) {
		return fmt.Errorf("%w: report: top and min count must be ≥ 0 and min share in [0, 1]", ErrInvalidConfig)
	}
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// trait is a candidate trait with its members in the population.
type trait struct {
	attr, value string
	set         *roaring.Bitmap
	count       int
}

// traitSets lists the candidate traits of a view: tags, then attribute
// values.
func traitSets(v *bitmapindex.View, cfg ReportConfig) ([]trait, error) {
	var out []trait
	if cfg.Top == 0 {
		return nil, nil
	}
	if !cfg.NoTags {
		for _, tc := range v.Tags() {
			if tc.Count > 0 {
				out = append(out, trait{value: tc.Name, set: v.Tag(tc.Name).Bitmap(), count: tc.Count})
			}
		}
	}
	attrs := cfg.Attributes
	if attrs == nil {
		for _, at := range v.Schema() {
			switch at.Kind {
			case bitmapindex.KindCategory, bitmapindex.KindSet, bitmapindex.KindBool:
				if at.Name != DefaultAttribute {
					attrs = append(attrs, at.Name)
				}
			}
		}
	}
	for _, name := range attrs {
		at, ok := v.Attribute(name)
		if !ok {
			return nil, fmt.Errorf("%w: report: unknown attribute %q", ErrInvalidConfig, name)
		}
		switch at.Kind {
		case bitmapindex.KindBool:
			for _, b := range []bool{false, true} {
				s, err := v.Compare(name, bitmapindex.Eq, bitmapindex.Bool(b))
				if err != nil {
					return nil, fmt.Errorf("persona: report: %w", err)
				}
				if s.Len() > 0 {
					out = append(out, trait{attr: name, value: fmt.Sprint(b), set: s.Bitmap(), count: s.Len()})
				}
			}
		case bitmapindex.KindCategory, bitmapindex.KindSet:
			values, err := v.Values(name)
			if err != nil {
				return nil, fmt.Errorf("persona: report: %w", err)
			}
			for _, val := range values {
				s, err := v.WithValue(name, val)
				if err != nil {
					return nil, fmt.Errorf("persona: report: %w", err)
				}
				if s.Len() > 0 {
					out = append(out, trait{attr: name, value: val, set: s.Bitmap(), count: s.Len()})
				}
			}
		default:
			return nil, fmt.Errorf("%w: report: attribute %q is %v; traits are category, set or bool values", ErrInvalidConfig, name, at.Kind)
		}
	}
	return out, nil
}

// lifts returns the group's most over-represented traits.
func lifts(group *roaring.Bitmap, size, population int, traits []trait, cfg ReportConfig) []Lift {
	if size == 0 || population == 0 || cfg.Top == 0 {
		return nil
	}
	var out []Lift
	for _, t := range traits {
		n := int(group.AndCardinality(t.set))
		if n == 0 || n < cfg.MinCount {
			continue
		}
		l := Lift{Attribute: t.attr, Value: t.value, Count: n, Share: ratio(n, size), PopulationShare: ratio(t.count, population)}
		l.Lift = l.Share / l.PopulationShare
		if l.Share >= cfg.MinShare && l.Lift > 1 {
			out = append(out, l)
		}
	}
	sortLifts(out)
	if len(out) > cfg.Top {
		out = out[:cfg.Top]
	}
	return out
}

// sortLifts orders by lift, then count, then attribute and value.
func sortLifts(ls []Lift) {
	slices.SortFunc(ls, func(a, b Lift) int {
		if c := cmp.Compare(b.Lift, a.Lift); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Attribute, b.Attribute); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
}
