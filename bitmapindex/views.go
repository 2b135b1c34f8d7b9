package bitmapindex

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// View is an immutable, consistent snapshot of an Index: later writes never
// change it, and it never sees part of a batch. It is safe for concurrent use
// by any number of goroutines, and using it never blocks the index's writers.
type View struct {
	st     *state
	keys   keysView
	loc    *time.Location
	tz     *segkit.Zone
	zone   zoneInfo
	strict bool
	evDecl map[string][]string
	stop   *stop // WithContext (cancel.go)
}

func (v *View) live() *roaring.Bitmap { return v.st.live.b }

// Len returns the number of live customers.
func (v *View) Len() int { return int(v.live().GetCardinality()) }

// All returns all live customers.
func (v *View) All() Set { return setOf(v, v.st.live) }

// Location returns the time zone of day buckets.
func (v *View) Location() *time.Location { return v.loc }

// Zone returns the index's time zone for day arithmetic (see [Index.Zone]).
func (v *View) Zone() *segkit.Zone { return v.tz }

// Schema returns the declared attributes sorted by name.
func (v *View) Schema() []Attribute { return sortedSchema(v.st.schema) }

// Attribute returns the definition of an attribute.
func (v *View) Attribute(name string) (Attribute, bool) {
	a, ok := v.st.schema[name]
	return a, ok
}

// ID returns the ID of a live customer.
func (v *View) ID(key string) (uint32, bool) {
	id, ok := v.keys.lookup(key)
	if !ok || !v.live().Contains(id) {
		return 0, false
	}
	return id, true
}

// Key returns the key of a live customer's ID.
func (v *View) Key(id uint32) (string, bool) {
	if !v.live().Contains(id) {
		return "", false
	}
	return v.keys.key(id)
}

// Wrap returns a Set over this view's key table. The Set owns bm afterwards:
// the caller must not modify it. IDs that are not live in the view are
// removed from bm.
func (v *View) Wrap(bm *roaring.Bitmap) Set {
	if bm == nil {
		return Set{v: v}
	}
	if bm.IsEmpty() {
		return Set{v: v, bm: bm}
	}
	live := v.live()
	// When every ID below n is live (no customer deleted: the usual case),
	// a bitmap below n needs no check; otherwise intersecting the whole
	// bitmap with live costs 1.6 ms for 2.5M members at 100M customers.
	if n := live.GetCardinality(); n > 0 && uint64(live.Maximum())+1 == n && uint64(bm.Maximum()) < n {
		return Set{v: v, bm: bm}
	}
	if bm.AndCardinality(live) != bm.GetCardinality() {
		bm.And(live)
	}
	return Set{v: v, bm: bm}
}

// ---- tags ------------------------------------------------------------------

// TagCount is a tag and its number of members. It is a plain value.
type TagCount struct {
	Name  string
	Count int
}

// Tag returns the customers with the tag; an empty Set when the tag is
// unknown.
func (v *View) Tag(name string) Set {
	t := v.st.tags[name]
	if t == nil {
		return Set{v: v}
	}
	return Set{v: v, bm: t.b, parts: t.parts}
}

// HasTag reports whether the tag exists (has or had members).
func (v *View) HasTag(name string) bool {
	_, ok := v.st.tags[name]
	return ok
}

// Tags returns every tag with its member count, sorted by name.
func (v *View) Tags() []TagCount {
	out := make([]TagCount, 0, len(v.st.tags))
	for _, name := range slices.Sorted(maps.Keys(v.st.tags)) {
		out = append(out, TagCount{Name: name, Count: v.st.tags[name].card()})
	}
	return out
}

// ---- attributes ------------------------------------------------------------

// lookupAttr returns the attribute's index node and definition.
func (v *View) lookupAttr(name string) (*attr, Attribute, error) {
	def, ok := v.st.schema[name]
	if !ok {
		return nil, Attribute{}, fmt.Errorf("%w %q", ErrUnknownAttribute, name)
	}
	return v.st.attrs[name], def, nil // the node is nil while nobody has a value
}

// Present returns the customers with a value of the attribute.
func (v *View) Present(attr string) (Set, error) {
	a, _, err := v.lookupAttr(attr)
	if err != nil {
		return Set{}, err
	}
	if a == nil || a.present == nil {
		return Set{v: v}, nil
	}
	return Set{v: v, bm: a.present.b, parts: a.present.parts}, nil
}

// checkConst validates a comparison constant against the attribute.
func checkConst(def Attribute, what string, c Value) error {
	if def.Kind == KindSet {
		return fmt.Errorf("bitmapindex: attribute %q is a set: compare with WithValue (set membership)", def.Name)
	}
	if c.k != def.Kind {
		return &KindError{Attr: def.Name, Declared: def.Kind, Got: c.k, Op: what}
	}
	if def.Kind == KindDecimal {
		if _, ok := decimalBound(c.f, def.Scale); !ok {
			return fmt.Errorf("bitmapindex: attribute %q: decimal constant %v is not finite", def.Name, c.f)
		}
	}
	return nil
}

// Compare returns the customers whose value satisfies `value op c`, with the
// semantics of Holds; Ne is the complement of Eq over all live customers, so
// it includes customers without a value. c must have the attribute's kind
// (a *KindError otherwise); set attributes are queried with WithValue.
func (v *View) Compare(attr string, op Op, c Value) (Set, error) {
	a, def, err := v.prepareCompare(attr, op, c)
	if err != nil {
		return Set{}, err
	}
	inner := positive(op)
	var r *roaring.Bitmap
	switch {
	case a == nil:
		r = roaring.New()
	case def.Kind == KindCategory:
		r = a.compareStrings(inner, c.s)
	default:
		r = a.compareNumeric(inner, c, v.stop)
	}
	if op == Ne {
		r = roaring.AndNot(v.live(), r)
	}
	return Set{v: v, bm: r}, nil
}

// Between returns the customers with lo ≤ value ≤ hi (both inclusive, with
// the semantics of Holds); empty when lo > hi.
func (v *View) Between(attr string, lo, hi Value) (Set, error) {
	a, def, err := v.prepareBetween(attr, lo, hi)
	if err != nil {
		return Set{}, err
	}
	var r *roaring.Bitmap
	switch {
	case a == nil:
		r = roaring.New()
	case def.Kind == KindCategory:
		r = a.dictWhere(func(s string) bool { return s >= lo.s && s <= hi.s })
	default:
		r = a.betweenNumeric(lo, hi, v.stop)
	}
	return Set{v: v, bm: r}, nil
}

// CompareCount returns the number of customers Compare returns. Where the
// attribute's value or day bitmaps answer (they are disjoint) it adds up
// their sizes without building the set.
func (v *View) CompareCount(attr string, op Op, c Value) (int, error) {
	a, def, err := v.prepareCompare(attr, op, c)
	if err != nil {
		return 0, err
	}
	if a == nil || def.Kind == KindCategory {
		s, err := v.Compare(attr, op, c)
		return s.Len(), err
	}
	b, ok := a.boundOf(c)
	var n uint64
	if ok {
		inner := positive(op)
		n = a.countU(v.stop, toUop(b, inner))
	}
	if op == Ne {
		n = v.live().GetCardinality() - n
	}
	return int(n), nil
}

// BetweenCount returns the number of customers Between returns, like
// CompareCount.
func (v *View) BetweenCount(attr string, lo, hi Value) (int, error) {
	a, def, err := v.prepareBetween(attr, lo, hi)
	if err != nil {
		return 0, err
	}
	if a == nil || def.Kind == KindCategory {
		s, err := v.Between(attr, lo, hi)
		return s.Len(), err
	}
	qs, none := a.bounds(lo, hi)
	if none {
		return 0, nil
	}
	return int(a.countU(v.stop, qs...)), nil
}

// CompareIn returns the members of s that Compare returns: the same as
// intersecting the two, but a bit-sliced comparison then only touches the
// customers of s (a rule evaluator passes what the other conditions of a
// conjunction left). s must come from this view.
func (v *View) CompareIn(s Set, attr string, op Op, c Value) (Set, error) {
	a, def, err := v.prepareCompare(attr, op, c)
	if err != nil {
		return Set{}, err
	}
	within := orEmpty(s.bm)
	if a == nil || def.Kind == KindCategory {
		all, err := v.Compare(attr, op, c)
		return Set{v: v, bm: roaring.And(orEmpty(all.bm), within)}, err
	}
	inner := positive(op)
	var r *roaring.Bitmap
	if b, ok := a.boundOf(c); ok {
		r = a.rangeU(v.stop, within, toUop(b, inner))
	} else {
		r = roaring.New()
	}
	if op == Ne {
		r = roaring.AndNot(roaring.And(v.live(), within), r)
	}
	return Set{v: v, bm: r}, nil
}

// BetweenIn returns the members of s that Between returns, like CompareIn.
func (v *View) BetweenIn(s Set, attr string, lo, hi Value) (Set, error) {
	a, def, err := v.prepareBetween(attr, lo, hi)
	if err != nil {
		return Set{}, err
	}
	within := orEmpty(s.bm)
	if a == nil || def.Kind == KindCategory {
		all, err := v.Between(attr, lo, hi)
		return Set{v: v, bm: roaring.And(orEmpty(all.bm), within)}, err
	}
	qs, none := a.bounds(lo, hi)
	if none {
		return Set{v: v}, nil
	}
	return Set{v: v, bm: a.rangeU(v.stop, within, qs...)}, nil
}

// positive returns the comparison a query evaluates: Ne is answered as the
// complement of Eq.
func positive(op Op) Op {
	if op == Ne {
		return Eq
	}
	return op
}

func (v *View) prepareCompare(attr string, op Op, c Value) (*attr, Attribute, error) {
	a, def, err := v.lookupAttr(attr)
	if err != nil {
		return nil, def, err
	}
	if !op.valid() {
		return nil, def, fmt.Errorf("bitmapindex: invalid comparison operator %d", op)
	}
	return a, def, checkConst(def, "comparison", c)
}

func (v *View) prepareBetween(attr string, lo, hi Value) (*attr, Attribute, error) {
	a, def, err := v.lookupAttr(attr)
	if err != nil {
		return nil, def, err
	}
	if err := checkConst(def, "lower bound", lo); err != nil {
		return nil, def, err
	}
	return a, def, checkConst(def, "upper bound", hi)
}

// Values returns the values of a category or set attribute that have at
// least one member, sorted.
func (v *View) Values(attr string) ([]string, error) {
	a, def, err := v.lookupAttr(attr)
	if err != nil {
		return nil, err
	}
	if def.Kind != KindCategory && def.Kind != KindSet {
		return nil, fmt.Errorf("bitmapindex: attribute %q is %s; Values needs category or set", attr, def.Kind)
	}
	if a == nil {
		return []string{}, nil
	}
	return slices.Sorted(maps.Keys(a.dict)), nil
}

// WithValue returns, for a category attribute, the customers whose value is
// value, and for a set attribute, the customers whose set contains value.
func (v *View) WithValue(attr, value string) (Set, error) {
	a, def, err := v.lookupAttr(attr)
	if err != nil {
		return Set{}, err
	}
	if def.Kind != KindCategory && def.Kind != KindSet {
		return Set{}, fmt.Errorf("bitmapindex: attribute %q is %s; WithValue needs category or set", attr, def.Kind)
	}
	if a == nil || a.dict[value] == nil {
		return Set{v: v}, nil
	}
	return setOf(v, a.dict[value]), nil
}

// ---- events ----------------------------------------------------------------

// Events returns the names of recorded events, sorted.
func (v *View) Events() []string { return slices.Sorted(maps.Keys(v.st.events)) }

// Did returns the customers with at least one occurrence of event on a day
// in [from, to] (inclusive, days in the view's Location).
func (v *View) Did(event string, from, to segkit.Day) Set {
	e := v.st.events[event]
	if e == nil || from > to {
		return Set{v: v}
	}
	return Set{v: v, bm: e.didStop(from, to, v.stop)}
}

// Count returns the live customers whose number of occurrences of event on
// days in [from, to] satisfies `count op n`. Occurrences count one each (two
// on one day count 2), and customers without any count 0, so `Count(e, f,
// t, Lt, 3)` includes them.
func (v *View) Count(event string, from, to segkit.Day, op Op, n int64) Set {
	if !op.valid() {
		return Set{v: v}
	}
	live := v.live()
	zeroOK := cmpHolds(cmp.Compare(0, n), op)
	e := v.st.events[event]
	if e == nil || from > to {
		if zeroOK {
			return Set{v: v, bm: live}
		}
		return Set{v: v}
	}
	if n <= 0 || (n == 1 && (op == Ge || op == Lt)) {
		// Every positive count satisfies op exactly when 1 does: the answer
		// only depends on whether a customer did it at all.
		posOK := cmpHolds(cmp.Compare(1, n), op)
		switch {
		case zeroOK && posOK:
			return Set{v: v, bm: live}
		case posOK:
			return Set{v: v, bm: e.didStop(from, to, v.stop)}
		case zeroOK:
			return Set{v: v, bm: roaring.AndNot(live, e.didStop(from, to, v.stop))}
		}
		return Set{v: v}
	}
	if r, ok := e.countRanked(from, to, op, n, live, v.stop); ok { // eventrank.go
		return Set{v: v, bm: r}
	}
	if r, ok := e.countDense(from, to, op, n, v.stop); ok {
		if zeroOK {
			r.Or(roaring.AndNot(live, e.didStop(from, to, v.stop)))
		}
		return Set{v: v, bm: r}
	}
	c := e.countStop(from, to, v.stop)
	nz := c.nonZero()
	var r *roaring.Bitmap
	if op == Ne {
		r = roaring.AndNot(nz, oneil(nz, c.s, 0, Eq, uint64(n), v.stop))
	} else {
		r = oneil(nz, c.s, 0, op, uint64(n), v.stop)
	}
	if zeroOK {
		r.Or(roaring.AndNot(live, nz))
	}
	return Set{v: v, bm: r}
}

// FirstIn returns the customers whose first-ever occurrence of event (over
// all recorded data) falls on a day in [from, to].
func (v *View) FirstIn(event string, from, to segkit.Day) Set {
	e := v.st.events[event]
	if e == nil || from > to {
		return Set{v: v}
	}
	return Set{v: v, bm: e.firstIn(from, to)}
}

// FirstInCount returns the number of customers FirstIn returns, adding up
// the sizes of the per-day first-occurrence bitmaps (a customer's first
// occurrence is on one day) without building the set.
func (v *View) FirstInCount(event string, from, to segkit.Day) int {
	e := v.st.events[event]
	if e == nil || from > to {
		return 0
	}
	n := uint64(0)
	for d, p := range e.first {
		if d >= from && d <= to && !p.empty() {
			n += p.b.GetCardinality()
		}
	}
	return int(n)
}

// EventSum returns the sum of the values recorded with a live customer's
// occurrences of event (0 when none had a value), and whether the customer
// and event exist. It adds the customer's values day by day (about a
// microsecond per day with values); SumWhere selects customers by their
// sums in a window. A snapshot written before occurrences had values
// (version 1) kept only this sum per customer; it is added too.
func (v *View) EventSum(event, key string) (float64, bool) {
	id, ok := v.ID(key)
	e := v.st.events[event]
	if !ok || e == nil {
		return 0, false
	}
	return e.total(id) + e.colSum(id), true
}
