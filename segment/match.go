package segment

import (
	"fmt"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// matcher evaluates a plan on one profile. It mirrors evaluator node by
// node; scalar comparisons go through bitmapindex.Holds with the very
// (op, Value) pairs the evaluator hands to the view.
type matcher struct {
	r     *Rule
	p     *bitmapindex.Profile
	now   time.Time
	loc   *time.Location
	today int64
	refs  refMatcher
}

func (r *Rule) matchWith(p bitmapindex.Profile, now time.Time, refs refMatcher) (ok bool, err error) {
	defer recoverInto(&err)
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	m := matcher{r: r, p: &p, now: now, loc: loc, today: dayOf(now, loc), refs: refs}
	if err := m.prepare(); err != nil {
		return false, err
	}
	return m.match(r.root)
}

// prepare type-checks every comparison and attribute use against the
// profile, as the evaluator does against a view, so that a type error is an
// error whichever branch a short-circuit would have skipped.
func (m *matcher) prepare() error {
	var errs ErrorList
	for _, sc := range m.r.scs {
		def, _, _, err := m.attr(sc.attr, sc.apos)
		switch {
		case err != nil:
			errs = append(errs, err.(ErrorList)...)
		case def.Kind == bitmapindex.KindInvalid:
		case sc.resolvedOK:
			if def.Kind != sc.def.Kind {
				errs = append(errs, positions{m.r.src}.errorAt(sc.pos, "attribute %s is %s in the profile but %s in the rule's schema", sc.attr, def.Kind, sc.def.Kind))
			}
		default:
			if _, err := resolve(def, sc); err != nil {
				errs = append(errs, positions{m.r.src}.errorAt(sc.pos, "%s", err.Error()))
			}
		}
	}
	for _, u := range m.r.uses {
		def, _, _, err := m.attr(u.name, u.pos)
		switch {
		case err != nil:
			errs = append(errs, err.(ErrorList)...)
		case def.Kind == bitmapindex.KindInvalid:
		default:
			if err := u.check(def); err != nil {
				errs = append(errs, positions{m.r.src}.errorAt(u.pos, "%s", err.Error()))
			}
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return errs
	}
	return nil
}

func (m *matcher) errAt(pos int, format string, args ...any) error {
	return ErrorList{positions{m.r.src}.errorAt(pos, format, args...)}
}

func (m *matcher) match(n *pnode) (bool, error) {
	switch n.kind {
	case nConst:
		return n.b, nil
	case nTag:
		return m.p.Tags[n.name], nil
	case nScalar:
		return m.scalar(n.sc)
	case nIn:
		for i := range n.items {
			ok, err := m.scalar(&n.items[i])
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case nSetHas:
		def, v, has, err := m.attr(n.name, n.pos)
		if err != nil {
			return false, err
		}
		if err := (attrUse{name: n.name, need: setKind, what: "\"value\" in attribute"}).check(def); err != nil && def.Kind != bitmapindex.KindInvalid {
			return false, m.errAt(n.pos, "%s", err.Error())
		}
		if !has {
			return false, nil
		}
		ss, _ := v.AsStrings()
		for _, s := range ss {
			if s == n.str {
				return true, nil
			}
		}
		return false, nil
	case nStrMatch:
		def, v, has, err := m.attr(n.name, n.pos)
		if err != nil {
			return false, err
		}
		if err := (attrUse{name: n.name, need: setKind | categoryKind, what: n.smOp}).check(def); err != nil && def.Kind != bitmapindex.KindInvalid {
			return false, m.errAt(n.pos, "%s", err.Error())
		}
		if !has {
			return false, nil
		}
		if s, ok := v.AsString(); ok {
			return stringOp(n.smOp, n.re, s, n.str), nil
		}
		ss, _ := v.AsStrings()
		for _, s := range ss {
			if stringOp(n.smOp, n.re, s, n.str) {
				return true, nil
			}
		}
		return false, nil
	case nPresent:
		_, _, has, err := m.attr(n.name, n.pos)
		return has, err
	case nDid:
		lo, hi := m.window(n.window)
		return countIn(m.p.Events[n.name], lo, hi) > 0, nil
	case nCount:
		lo, hi := m.window(n.window)
		c := int64(countIn(m.p.Events[n.name], lo, hi))
		return holdsInt(c, n.op, n.n), nil
	case nFirst:
		ts := m.p.Events[n.name]
		if len(ts) == 0 {
			return false, nil
		}
		lo, hi := m.window(n.window)
		return !ts[0].Before(lo) && ts[0].Before(hi), nil
	case nRef:
		if m.refs == nil {
			return false, fmt.Errorf("segment: inSegment(%q): %w", n.name, ErrNoResolver)
		}
		ok, err := m.refs(n.name, *m.p, m.now)
		if err != nil {
			return false, fmt.Errorf("segment: inSegment(%q): %w", n.name, err)
		}
		return ok, nil
	case nAnd:
		for _, k := range n.kids {
			ok, err := m.match(k)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case nOr:
		for _, k := range n.kids {
			ok, err := m.match(k)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case nNot:
		ok, err := m.match(n.kids[0])
		return !ok, err
	case nAndNot:
		for _, k := range n.kids {
			ok, err := m.match(k)
			if err != nil || !ok {
				return false, err
			}
		}
		for _, k := range n.neg {
			ok, err := m.match(k)
			if err != nil || ok {
				return false, err
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("segment: unknown plan node %d", n.kind)
}

// window returns the instants [lo, hi) of a window of w whole days ending
// today (w == 0: from everFrom).
func (m *matcher) window(w int) (time.Time, time.Time) {
	from := int64(everFrom)
	if w != 0 {
		from = m.today + int64(1-w)
	}
	return dayStart(from, m.loc), dayStart(m.today+1, m.loc)
}

// countIn counts the ascending instants in [lo, hi).
func countIn(ts []time.Time, lo, hi time.Time) int {
	return lowerBound(ts, hi) - lowerBound(ts, lo)
}

// lowerBound is the index of the first instant not before t.
func lowerBound(ts []time.Time, t time.Time) int {
	i, j := 0, len(ts)
	for i < j {
		h := int(uint(i+j) >> 1)
		if ts[h].Before(t) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

func holdsInt(c int64, op opKind, n int64) bool {
	switch op {
	case opEq:
		return c == n
	case opNe:
		return c != n
	case opLt:
		return c < n
	case opLe:
		return c <= n
	case opGt:
		return c > n
	case opGe:
		return c >= n
	}
	return false
}

// attr finds an attribute's definition and value in the profile. The
// definition comes from the profile's schema, else the rule's, else the
// stored value's kind. An attribute the profile's schema does not declare
// is an error, as on a view.
func (m *matcher) attr(name string, pos int) (def bitmapindex.Attribute, v bitmapindex.Value, has bool, err error) {
	v, has = m.p.Attrs[name]
	if has && !v.IsValid() {
		has = false
	}
	var known bool
	if m.p.Schema != nil {
		def, known = m.p.Schema[name]
		if !known {
			return def, v, false, m.errAt(pos, "unknown attribute %q", name)
		}
	}
	if !known && m.r.opts.schema != nil {
		def, known = m.r.opts.schema[name]
	}
	if !known && has {
		def = bitmapindex.Attribute{Name: name, Kind: v.Kind()}
		if def.Kind == bitmapindex.KindDecimal {
			def.Scale = 2
		}
		known = true
	}
	if has && v.Kind() != def.Kind {
		return def, v, false, m.errAt(pos, "attribute %s is %s but the profile holds a %s value", name, def.Kind, v.Kind())
	}
	return def, v, has, nil
}

func (m *matcher) scalar(sc *scalar) (bool, error) {
	def, v, has, err := m.attr(sc.attr, sc.pos)
	if err != nil || def.Kind == bitmapindex.KindInvalid {
		return false, err // unknown kind means no value and no schema: missing
	}
	var res resolved
	switch {
	case sc.resolvedOK && def.Kind == sc.def.Kind:
		res = sc.res
	case sc.resolvedOK:
		return false, m.errAt(sc.pos, "attribute %s is %s in the profile but %s in the rule's schema", sc.attr, def.Kind, sc.def.Kind)
	default:
		res, err = resolve(def, sc)
		if err != nil {
			return false, m.errAt(sc.pos, "%s", err.Error())
		}
	}
	if !has {
		return false, nil
	}
	switch res.kind {
	case resPresent:
		return true, nil
	case resCmp:
		return bitmapindex.Holds(def, v, res.op, res.lo.value(m.today, m.loc)), nil
	case resRange:
		return bitmapindex.Holds(def, v, opGe, res.lo.value(m.today, m.loc)) &&
			bitmapindex.Holds(def, v, opLe, res.hi.value(m.today, m.loc)), nil
	}
	return false, nil
}
