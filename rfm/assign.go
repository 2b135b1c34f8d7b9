package rfm

import (
	"fmt"
	"iter"
	"slices"
)

// Assignment gives every customer of a [Result] one label from a fixed list:
// its segment under a scheme, its value tier or its loyalty tier. An
// Assignment is immutable and safe for concurrent use by multiple
// goroutines.
type Assignment struct {
	res     *Result
	model   string
	names   []string
	aliases []string
	labels  []uint16 // per customer, index into names
}

// Segment assigns every customer the segment its score falls in under the
// scheme. The scheme must be written for the result's bins in all three
// dimensions; otherwise the error says which.
func (r *Result) Segment(s *Scheme) (*Assignment, error) {
	if s == nil {
		return nil, fmt.Errorf("rfm: segment: nil scheme")
	}
	rb, fb, mb := r.Bins()
	if rb != s.bins || fb != s.bins || mb != s.bins {
		return nil, fmt.Errorf("rfm: scheme %q is written for %d bins but the scores have R %d, F %d, M %d bins (set Config.Bins or the binning to match)",
			s.def.Name, s.bins, rb, fb, mb)
	}
	a := &Assignment{res: r, model: s.def.Name, names: s.names, aliases: s.aliases, labels: make([]uint16, len(r.Customers))}
	for i := range r.Customers {
		c, _ := s.cell(r.Customers[i].Score) // scores are within 1..bins by construction
		a.labels[i] = s.table[c]
	}
	return a, nil
}

// Model returns what the labels are: the scheme's name, "value" or
// "loyalty".
func (a *Assignment) Model() string { return a.model }

// Result returns the result whose customers are labelled.
func (a *Assignment) Result() *Result { return a.res }

// Names returns every label in order (a scheme's rule order, tiers from the
// best down), including labels no customer has.
func (a *Assignment) Names() []string { return slices.Clone(a.names) }

// Alias returns the alias of a label ("" when it has none).
func (a *Assignment) Alias(name string) string {
	if i := slices.Index(a.names, name); i >= 0 {
		return a.aliases[i]
	}
	return ""
}

// Label returns the label of Result().Customers[i].
func (a *Assignment) Label(i int) string { return a.names[a.labels[i]] }

// Of returns the label of the customer with the given key.
func (a *Assignment) Of(key string) (string, bool) {
	i, ok := a.res.Find(key)
	if !ok {
		return "", false
	}
	return a.Label(i), true
}

// All yields every customer's key and label, in the order of
// Result().Customers.
func (a *Assignment) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i, l := range a.labels {
			if !yield(a.res.Customers[i].Key, a.names[l]) {
				return
			}
		}
	}
}

// Members yields the keys of the customers with the given label, in the
// order of Result().Customers.
func (a *Assignment) Members(name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		li := slices.Index(a.names, name)
		if li < 0 {
			return
		}
		for i, l := range a.labels {
			if int(l) == li && !yield(a.res.Customers[i].Key) {
				return
			}
		}
	}
}

// Count returns how many customers carry the label.
func (a *Assignment) Count(name string) int {
	li := slices.Index(a.names, name)
	n := 0
	for _, l := range a.labels {
		if int(l) == li {
			n++
		}
	}
	return n
}
