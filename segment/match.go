package segment

import (
	"fmt"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// matchMemo is the state of one Registry.Match: the result of every
// segment evaluated so far, and the rule nodes evaluated (work), bounded by
// Limits.MaxMatchWork.
type matchMemo struct {
	done   map[string]matchResult
	work   int
	budget int
}

type matchResult struct {
	ok  bool
	err error
}

func newMatchMemo(l Limits) *matchMemo {
	return &matchMemo{done: map[string]matchResult{}, budget: l.MaxMatchWork}
}

// spend counts the evaluation of a segment's rule against the budget.
func (m *matchMemo) spend(name string, r *Rule) error {
	m.work += max(r.nnodes, 1)
	if m.work > m.budget {
		return fmt.Errorf("segment: %q: %w (%d rule nodes)", name, ErrMatchWork, m.budget)
	}
	return nil
}

// matcher evaluates a plan on one profile. It mirrors evaluator node by
// node; scalar comparisons go through bitmapindex.Holds with the very
// (op, Value) pairs the evaluator hands to the view.
type matcher struct {
	r     *Rule
	p     bitmapindex.Profile
	now   time.Time
	loc   *time.Location
	today int64
	refs  refMatcher
}

// slot is one attribute of the profile as the rule sees it: its definition
// (Kind zero when unknown: no value, no schema) and value.
type slot struct {
	def bitmapindex.Attribute
	v   bitmapindex.Value
	has bool
}

// maxStackSlots attributes are looked up without allocating.
const maxStackSlots = 8

func (r *Rule) matchWith(p bitmapindex.Profile, now time.Time, refs refMatcher) (ok bool, err error) {
	defer recoverInto(&err)
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	m := matcher{r: r, p: p, now: now, loc: loc, today: int64(segkit.DayOf(now, loc)), refs: refs}
	var buf [maxStackSlots]slot
	var rbuf [maxStackResolved]resolved
	var f frame
	if n := len(r.attrNames); n <= maxStackSlots {
		f.slots = buf[:n]
	} else {
		f.slots = make([]slot, n)
	}
	if !r.allResolved {
		if n := len(r.scs); n <= maxStackResolved {
			f.res = rbuf[:n]
		} else {
			f.res = make([]resolved, n)
		}
	}
	if err := m.prepare(&f); err != nil {
		return false, err
	}
	return m.match(r.root, &f)
}

// frame is the per-call state of Match: the attributes looked up, and the
// comparisons resolved against them (for rules compiled without a schema).
type frame struct {
	slots []slot
	res   []resolved // by scalar index; nil when every scalar was resolved at compile time
}

// maxStackResolved comparisons are resolved without allocating.
const maxStackResolved = 16

// prepare looks every attribute up once and type-checks every comparison
// and attribute use against the profile, as the evaluator does against a
// view, so that a type error is an error whichever branch a short-circuit
// would have skipped.
func (m *matcher) prepare(f *frame) error {
	slots := f.slots
	var errs ErrorList
	pos := positions{m.r.src}
	for i, name := range m.r.attrNames {
		s := &slots[i]
		s.v, s.has = m.p.Attrs[name]
		if s.has && !s.v.IsValid() {
			s.has = false
		}
		var known bool
		if m.p.Schema != nil {
			s.def, known = m.p.Schema[name]
			if !known {
				errs = append(errs, pos.errorAt(m.firstPos(i), "unknown attribute %q", name))
				s.has = false
				continue
			}
		}
		if !known && m.r.opts.schema != nil {
			s.def, known = m.r.opts.schema[name]
		}
		if !known && s.has {
			s.def = bitmapindex.Attribute{Name: name, Kind: s.v.Kind()}
			if s.def.Kind == bitmapindex.KindDecimal {
				s.def.Scale = 2
			}
		}
	}
	for _, sc := range m.r.scs {
		s := &slots[sc.ai]
		switch {
		case s.def.Kind == bitmapindex.KindInvalid:
		case s.has && s.v.Kind() != s.def.Kind:
			errs = append(errs, pos.errorAt(sc.apos, "attribute %s is %s but the profile holds a %s value", sc.attr, s.def.Kind, s.v.Kind()))
		case sc.resolvedOK:
			if s.def.Kind != sc.def.Kind {
				errs = append(errs, pos.errorAt(sc.pos, "attribute %s is %s in the profile but %s in the rule's schema", sc.attr, s.def.Kind, sc.def.Kind))
			}
		default:
			res, err := resolve(s.def, sc)
			if err != nil {
				errs = append(errs, pos.errorAt(sc.pos, "%s", err.Error()))
			}
			f.res[sc.idx] = res
		}
	}
	for _, u := range m.r.uses {
		s := &slots[u.ai]
		if s.def.Kind == bitmapindex.KindInvalid {
			continue
		}
		if err := u.check(s.def); err != nil {
			errs = append(errs, pos.errorAt(u.pos, "%s", err.Error()))
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return errs
	}
	return nil
}

// firstPos is the position of the first mention of attribute i.
func (m *matcher) firstPos(i int) int {
	for _, sc := range m.r.scs {
		if sc.ai == i {
			return sc.apos
		}
	}
	for _, u := range m.r.uses {
		if u.ai == i {
			return u.pos
		}
	}
	return 0
}

func (m *matcher) match(n *pnode, f *frame) (bool, error) {
	slots := f.slots
	switch n.kind {
	case nConst:
		return n.b, nil
	case nTag:
		return m.p.Tags[n.name], nil
	case nScalar:
		return m.scalar(n.sc, &slots[n.ai], f)
	case nIn:
		s := &slots[n.ai]
		for i := range n.items {
			ok, err := m.scalar(&n.items[i], s, f)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case nSetHas:
		s := &slots[n.ai]
		if !s.has {
			return false, nil
		}
		ss, _ := s.v.AsStrings()
		for _, x := range ss {
			if x == n.str {
				return true, nil
			}
		}
		return false, nil
	case nStrMatch:
		s := &slots[n.ai]
		if !s.has {
			return false, nil
		}
		if x, ok := s.v.AsString(); ok {
			return stringOp(n.smOp, n.re, x, n.str), nil
		}
		ss, _ := s.v.AsStrings()
		for _, x := range ss {
			if stringOp(n.smOp, n.re, x, n.str) {
				return true, nil
			}
		}
		return false, nil
	case nPresent:
		return slots[n.ai].has, nil
	case nDid, nCount, nFirst, nSum, nAvg, nThen:
		return m.matchEvent(n), nil // events.go
	case nRef:
		return m.ref(n.name)
	case nAnd:
		for _, k := range n.kids {
			ok, err := m.match(k, f)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case nOr:
		for _, k := range n.kids {
			ok, err := m.match(k, f)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case nNot:
		ok, err := m.match(n.kids[0], f)
		return !ok, err
	case nAndNot:
		for _, k := range n.kids {
			ok, err := m.match(k, f)
			if err != nil || !ok {
				return false, err
			}
		}
		for _, k := range n.neg {
			ok, err := m.match(k, f)
			if err != nil || ok {
				return false, err
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("segment: unknown plan node %d", n.kind)
}

func (m *matcher) ref(name string) (bool, error) {
	if m.refs == nil {
		return false, fmt.Errorf("segment: inSegment(%q): %w", name, ErrNoResolver)
	}
	ok, err := m.refs(name, m.p, m.now)
	if err != nil {
		return false, fmt.Errorf("segment: inSegment(%q): %w", name, err)
	}
	return ok, nil
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

func (m *matcher) scalar(sc *scalar, s *slot, f *frame) (bool, error) {
	if !s.has {
		return false, nil
	}
	res := &sc.res
	if !sc.resolvedOK {
		res = &f.res[sc.idx] // resolved (and type-checked) by prepare
	}
	switch res.kind {
	case resPresent:
		return true, nil
	case resCmp:
		return bitmapindex.Holds(s.def, s.v, res.op, res.lo.value(m.today, m.loc)), nil
	case resRange:
		return bitmapindex.Holds(s.def, s.v, opGe, res.lo.value(m.today, m.loc)) &&
			bitmapindex.Holds(s.def, s.v, opLe, res.hi.value(m.today, m.loc)), nil
	}
	return false, nil
}
