package segment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// bits is an intermediate result: a bitmap the evaluator owns (and may
// modify in place), or a view's shared bitmap (with its Set, returned as is
// when it is the final result).
type bits struct {
	bm    *roaring.Bitmap
	owned bool
	set   bitmapindex.Set
}

var emptyBitmap = roaring.New() // shared, never modified

func fromSet(s bitmapindex.Set) bits {
	bm := s.Bitmap()
	if bm == nil {
		bm = emptyBitmap
	}
	return bits{bm: bm, set: s}
}

func owned(bm *roaring.Bitmap) bits { return bits{bm: bm, owned: true} }

func (b bits) card() uint64 { return b.bm.GetCardinality() }

// evaluator evaluates one plan on one view at one instant.
type evaluator struct {
	ctx   context.Context
	r     *Rule
	v     *bitmapindex.View
	now   time.Time
	loc   *time.Location
	today int64
	refs  refEvaluator
	res   []resolved // per scalar index, resolved against the view
	all   bits
	hasAl bool
	trace []int64  // Explain: member count per node id; -1 when not evaluated
	notes []string // Explain: detail per node id
	// striped evaluation (stripes.go): the leaf sets and this evaluator's
	// stripe; leaves is nil in a whole evaluation.
	leaves  map[*pnode]bitmapindex.Set
	k       int
	noSplit bool // run whole (EvalAll's goroutines already use every core)
}

func (r *Rule) newEvaluator(ctx context.Context, v *bitmapindex.View, now time.Time, refs refEvaluator) (*evaluator, error) {
	if v == nil {
		return nil, errors.New("segment: nil view")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	loc := v.Location()
	if loc == nil {
		loc = time.UTC
	}
	v = v.WithContext(ctx) // long queries stop soon after ctx is done
	e := &evaluator{ctx: ctx, r: r, v: v, now: now, loc: loc, today: int64(v.Zone().DayOf(now)), refs: refs}
	e.noSplit = ctx.Value(noSplitKey{}) != nil
	if err := e.prepare(); err != nil {
		return nil, err
	}
	return e, nil
}

// prepare type-checks the rule against the view, collecting every problem.
func (e *evaluator) prepare() error {
	var errs ErrorList
	p := positions{e.r.src}
	if len(e.r.scs) > 0 {
		e.res = make([]resolved, len(e.r.scs))
	}
	for i, sc := range e.r.scs {
		def, ok := e.v.Attribute(sc.attr)
		if !ok {
			errs = append(errs, p.errorAt(sc.apos, "unknown attribute %q", sc.attr))
			continue
		}
		if sc.resolvedOK && def.Kind == sc.def.Kind {
			e.res[i] = sc.res
			continue
		}
		if sc.resolvedOK {
			errs = append(errs, p.errorAt(sc.pos, "attribute %s is %s in the view but %s in the rule's schema", sc.attr, def.Kind, sc.def.Kind))
			continue
		}
		res, err := resolve(def, sc)
		if err != nil {
			errs = append(errs, p.errorAt(sc.pos, "%s", err.Error()))
			continue
		}
		e.res[i] = res
	}
	for _, u := range e.r.uses {
		def, ok := e.v.Attribute(u.name)
		if !ok {
			errs = append(errs, p.errorAt(u.pos, "unknown attribute %q", u.name))
			continue
		}
		if err := u.check(def); err != nil {
			errs = append(errs, p.errorAt(u.pos, "%s", err.Error()))
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return errs
	}
	return nil
}

func (r *Rule) evalWith(ctx context.Context, v *bitmapindex.View, now time.Time, refs refEvaluator) (set bitmapindex.Set, err error) {
	defer recoverInto(&err)
	e, err := r.newEvaluator(ctx, v, now, refs)
	if err != nil {
		return bitmapindex.Set{}, err
	}
	var b bits
	if p := e.planStripes(r.root, minStripedBytes); p != nil {
		b, err = e.evalStriped(p, r.root)
	} else {
		b, err = e.eval(r.root)
	}
	if err != nil {
		return bitmapindex.Set{}, err
	}
	return e.toSet(b), nil
}

func (e *evaluator) toSet(b bits) bitmapindex.Set {
	if !b.owned && b.bm != emptyBitmap {
		return b.set
	}
	if !b.owned {
		return e.v.Wrap(roaring.New())
	}
	return e.v.Wrap(b.bm)
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("segment: internal error during evaluation: %v", p)
	}
}

func (e *evaluator) checkCtx() error {
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("segment: evaluation stopped: %w", err)
	}
	return nil
}

func (e *evaluator) allBits() bits {
	if !e.hasAl {
		e.all = fromSet(e.v.All())
		e.hasAl = true
	}
	return e.all
}

func (e *evaluator) posErr(n *pnode, err error) error {
	return ErrorList{positions{e.r.src}.errorAt(n.pos, "%s", err.Error())}
}

func (e *evaluator) day(off int64) segkit.Day {
	d := e.today + off
	if d > math.MaxInt32 {
		d = math.MaxInt32
	}
	if d < math.MinInt32 {
		d = math.MinInt32
	}
	return segkit.Day(d)
}

// window returns the inclusive day range of a window of w days ending
// today; w == 0 means any day up to today.
func (e *evaluator) window(w int) (segkit.Day, segkit.Day) {
	if w == 0 {
		return everFrom, e.day(0)
	}
	return e.day(int64(1 - w)), e.day(0)
}

// everFrom is the first day did("e") looks at: the earliest Day there is.
const everFrom = segkit.Day(math.MinInt32)

func (e *evaluator) eval(n *pnode) (bits, error) {
	if err := e.checkCtx(); err != nil {
		return bits{}, err
	}
	b, err := e.evalNode(n)
	if err != nil {
		return bits{}, err
	}
	// The view's long operations stop early once ctx is done, with an
	// incomplete result (bitmapindex.View.WithContext): never use it.
	if err := e.checkCtx(); err != nil {
		return bits{}, err
	}
	if e.trace != nil {
		e.trace[n.id] = int64(b.card())
	}
	return b, nil
}

func (e *evaluator) evalNode(n *pnode) (bits, error) {
	switch n.kind {
	case nConst:
		if n.b {
			return e.allBits(), nil
		}
		return bits{bm: emptyBitmap}, nil
	case nTag:
		if e.leaves != nil {
			return e.leafBits(n), nil
		}
		return fromSet(e.v.Tag(n.name)), nil
	case nScalar:
		return e.scalar(n, n.sc)
	case nIn:
		return e.in(n)
	case nSetHas:
		if e.leaves != nil {
			return e.leafBits(n), nil
		}
		s, err := e.v.WithValue(n.name, n.str)
		if err != nil {
			return bits{}, e.posErr(n, err)
		}
		return fromSet(s), nil
	case nStrMatch:
		return e.strMatch(n)
	case nPresent:
		if e.leaves != nil {
			return e.leafBits(n), nil
		}
		s, err := e.v.Present(n.name)
		if err != nil {
			return bits{}, e.posErr(n, err)
		}
		return fromSet(s), nil
	case nDid, nCount, nFirst, nSum, nAvg, nThen:
		return e.evalEvent(n), nil // events.go
	case nRef:
		if e.refs == nil {
			return bits{}, fmt.Errorf("segment: inSegment(%q): %w", n.name, ErrNoResolver)
		}
		s, err := e.refs(e.ctx, n.name, e.v, e.now)
		if err != nil {
			return bits{}, fmt.Errorf("segment: inSegment(%q): %w", n.name, err)
		}
		return fromSet(s), nil
	case nAnd:
		return e.and(n.kids)
	case nOr:
		return e.or(n.kids)
	case nNot:
		k, err := e.eval(n.kids[0])
		if err != nil {
			return bits{}, err
		}
		return owned(roaring.AndNot(e.allBits().bm, k.bm)), nil
	case nAndNot:
		return e.andNot(n)
	}
	return bits{}, fmt.Errorf("segment: unknown plan node %d", n.kind)
}

func (e *evaluator) note(n *pnode, s string) {
	if e.notes != nil {
		e.notes[n.id] = s
	}
}

func (e *evaluator) scalar(n *pnode, sc *scalar) (bits, error) {
	return e.scalarIn(n, sc, nil)
}

// scalarIn evaluates a comparison among the customers of within (all when
// nil): with bitmapindex's CompareIn and BetweenIn a bit-sliced comparison
// then only touches them. The result is within's members that satisfy it.
func (e *evaluator) scalarIn(n *pnode, sc *scalar, within *roaring.Bitmap) (bits, error) {
	res := e.res[sc.idx]
	var s bitmapindex.Set
	var err error
	var ws bitmapindex.Set
	if within != nil {
		ws = e.v.Wrap(within)
	}
	switch res.kind {
	case resNone:
		return bits{bm: emptyBitmap}, nil
	case resPresent:
		s, err = e.v.Present(sc.attr)
		if err == nil && within != nil {
			return owned(roaring.And(s.Bitmap(), within)), nil
		}
	case resCmp:
		c := res.lo.value(e.today, e.loc)
		if res.lo.dyn {
			e.note(n, sc.attr+" "+res.op.String()+" "+c.String())
		}
		if within != nil {
			s, err = e.v.CompareIn(ws, sc.attr, res.op, c)
		} else {
			s, err = e.v.Compare(sc.attr, res.op, c)
		}
	case resRange:
		lo, hi := res.lo.value(e.today, e.loc), res.hi.value(e.today, e.loc)
		if res.lo.dyn || res.hi.dyn {
			e.note(n, sc.attr+" in ["+lo.String()+", "+hi.String()+"]")
		}
		if within != nil {
			s, err = e.v.BetweenIn(ws, sc.attr, lo, hi)
		} else {
			s, err = e.v.Between(sc.attr, lo, hi)
		}
	}
	if err != nil {
		return bits{}, e.posErr(n, err)
	}
	return fromSet(s), nil
}

// scalarCount returns the number of customers a comparison matches
// (bitmapindex adds up disjoint value or day bitmaps where it can).
func (e *evaluator) scalarCount(n *pnode, sc *scalar) (int, error) {
	res := e.res[sc.idx]
	var k int
	var err error
	switch res.kind {
	case resNone:
		return 0, nil
	case resPresent:
		var s bitmapindex.Set
		s, err = e.v.Present(sc.attr)
		k = s.Len()
	case resCmp:
		k, err = e.v.CompareCount(sc.attr, res.op, res.lo.value(e.today, e.loc))
	case resRange:
		k, err = e.v.BetweenCount(sc.attr, res.lo.value(e.today, e.loc), res.hi.value(e.today, e.loc))
	}
	if err != nil {
		return 0, e.posErr(n, err)
	}
	return k, nil
}

func (e *evaluator) in(n *pnode) (bits, error) {
	parts := make([]*roaring.Bitmap, 0, len(n.items))
	for i := range n.items {
		sc := &n.items[i]
		if i%64 == 63 {
			if err := e.checkCtx(); err != nil {
				return bits{}, err
			}
		}
		res := e.res[sc.idx]
		var s bitmapindex.Set
		var err error
		switch {
		case res.kind == resNone:
			continue
		case res.kind == resCmp && res.op == opEq && res.lo.v.Kind() == bitmapindex.KindCategory:
			str, _ := res.lo.v.AsString()
			s, err = e.v.WithValue(sc.attr, str)
		default:
			var b bits
			b, err = e.scalar(n, sc)
			if err == nil {
				parts = append(parts, b.bm)
			}
			if err != nil {
				return bits{}, err
			}
			continue
		}
		if err != nil {
			return bits{}, e.posErr(n, err)
		}
		if bm := s.Bitmap(); bm != nil && !bm.IsEmpty() {
			parts = append(parts, bm)
		}
	}
	return union(parts), nil
}

func union(parts []*roaring.Bitmap) bits {
	switch len(parts) {
	case 0:
		return bits{bm: emptyBitmap}
	case 1:
		return owned(parts[0].Clone())
	}
	if len(parts) == 2 {
		return owned(roaring.Or(parts[0], parts[1])) // FastOr's lazy union costs 25% more for two
	}
	return owned(roaring.FastOr(parts...))
}

func (e *evaluator) strMatch(n *pnode) (bits, error) {
	vals, err := e.v.Values(n.name)
	if err != nil {
		return bits{}, e.posErr(n, err)
	}
	var parts []*roaring.Bitmap
	for i, val := range vals {
		if i%256 == 255 {
			if err := e.checkCtx(); err != nil {
				return bits{}, err
			}
		}
		if !stringOp(n.smOp, n.re, val, n.str) {
			continue
		}
		s, err := e.v.WithValue(n.name, val)
		if err != nil {
			return bits{}, e.posErr(n, err)
		}
		if bm := s.Bitmap(); bm != nil {
			parts = append(parts, bm)
		}
	}
	e.note(n, fmt.Sprintf("%d of %d values", len(parts), len(vals)))
	return union(parts), nil
}

// and intersects operands in order of increasing cardinality, stopping as
// soon as the running intersection is empty (operands are already ordered
// by cost, so expensive ones are skipped then).
//
// Comparisons on attributes are evaluated last, within what the other
// operands left (scalarIn), unless Explain is tracing each node's own size.
func (e *evaluator) and(kids []*pnode) (bits, error) {
	var cheap [8]bits
	sets := cheap[:0]
	var later []*pnode
	for _, k := range kids {
		if e.trace == nil && k.kind == nScalar {
			later = append(later, k)
			continue
		}
		b, err := e.eval(k)
		if err != nil {
			return bits{}, err
		}
		if b.card() == 0 {
			return bits{bm: emptyBitmap}, nil
		}
		sets = append(sets, b)
	}
	if len(sets) == 0 { // comparisons only: the first one alone
		b, err := e.eval(later[0])
		if err != nil || b.card() == 0 {
			return bits{bm: emptyBitmap}, err
		}
		sets, later = append(sets, b), later[1:]
	}
	acc, err := e.intersect(sets)
	if err != nil {
		return bits{}, err
	}
	for _, k := range later {
		if acc.card() == 0 {
			break
		}
		b, err := e.scalarIn(k, k.sc, acc.bm)
		if err != nil {
			return bits{}, err
		}
		if b.card() == 0 {
			return bits{bm: emptyBitmap}, nil
		}
		acc = owned(b.bm) // a new bitmap: CompareIn and BetweenIn build one
	}
	return acc, nil
}

// intersect intersects the operands in order of increasing cardinality,
// unless even the smallest is dense (see orderForAnd).
func (e *evaluator) intersect(sets []bits) (bits, error) {
	if len(sets) == 1 {
		return sets[0], nil
	}
	e.orderForAnd(sets)
	var acc *roaring.Bitmap
	if sets[0].owned {
		acc = sets[0].bm
		acc.And(sets[1].bm)
	} else if sets[1].owned {
		acc = sets[1].bm
		acc.And(sets[0].bm)
	} else {
		acc = roaring.And(sets[0].bm, sets[1].bm)
	}
	for _, s := range sets[2:] {
		if acc.IsEmpty() {
			break
		}
		if err := e.checkCtx(); err != nil {
			return bits{}, err
		}
		acc.And(s.bm)
	}
	return owned(acc), nil
}

// orderForAnd sorts the operands of an intersection by increasing
// cardinality: each step then costs about the size of the smaller, sparse
// side. When even the smallest operand is dense (over 1/16 of the ID space:
// roaring keeps it in bitmap containers, whose intersections cost the same
// whatever their cardinality) the order is reversed, so intermediate
// results stay dense and only the last step produces the sparse result
// (converting a container to an array costs about its size). This is the
// order a person writes by hand for bench/'s tags5 rule.
func (e *evaluator) orderForAnd(sets []bits) {
	slices.SortFunc(sets, func(a, b bits) int {
		ca, cb := a.card(), b.card()
		switch {
		case ca < cb:
			return -1
		case ca > cb:
			return 1
		}
		return 0
	})
	all := e.allBits().bm
	if all.IsEmpty() {
		return
	}
	span := uint64(all.Maximum()) + 1 // IDs start at 0
	if e.leaves != nil {
		span -= uint64(all.Minimum()) // a stripe's
	}
	if sets[0].card()*16 >= span {
		slices.Reverse(sets)
	}
}

func (e *evaluator) or(kids []*pnode) (bits, error) {
	var only bits
	parts := make([]*roaring.Bitmap, 0, len(kids))
	for _, k := range kids {
		b, err := e.eval(k)
		if err != nil {
			return bits{}, err
		}
		if !b.bm.IsEmpty() {
			parts = append(parts, b.bm)
			only = b
		}
	}
	if len(parts) == 1 {
		return only, nil // the only non-empty operand, uncopied
	}
	return union(parts), nil
}

func (e *evaluator) andNot(n *pnode) (bits, error) {
	var base bits
	var err error
	switch len(n.kids) {
	case 0:
		base = e.allBits()
	case 1:
		base, err = e.eval(n.kids[0])
	default:
		base, err = e.and(n.kids)
	}
	if err != nil {
		return bits{}, err
	}
	if base.card() == 0 {
		return bits{bm: emptyBitmap}, nil
	}
	acc := base.bm
	own := base.owned
	for _, k := range n.neg {
		if acc.IsEmpty() {
			break
		}
		b, err := e.eval(k)
		if err != nil {
			return bits{}, err
		}
		if b.bm.IsEmpty() {
			continue
		}
		if own {
			acc.AndNot(b.bm)
		} else {
			acc = roaring.AndNot(acc, b.bm)
			own = true
		}
	}
	if !own {
		return base, nil
	}
	return owned(acc), nil
}

// ---- Count -------------------------------------------------------------------

func (r *Rule) countWith(ctx context.Context, v *bitmapindex.View, now time.Time, refs refEvaluator) (n int, err error) {
	defer recoverInto(&err)
	e, err := r.newEvaluator(ctx, v, now, refs)
	if err != nil {
		return 0, err
	}
	if err := e.checkCtx(); err != nil {
		return 0, err
	}
	defer func() { // a count from operations stopped early is incomplete
		if err == nil {
			if err = e.checkCtx(); err != nil {
				n = 0
			}
		}
	}()
	if p := e.planStripes(r.root, 8*minStripedBytes); p != nil {
		return e.countStriped(p, r.root)
	}
	return e.count(r.root)
}

// count counts the members of root, without building them where it can.
func (e *evaluator) count(root *pnode) (int, error) {
	switch {
	case root.kind == nScalar:
		return e.scalarCount(root, root.sc)
	case root.kind == nFirst && root.ev.filter == nil:
		from, to := e.window(root.window)
		return e.v.FirstInCount(root.name, from, to), nil
	case root.kind == nDid || root.kind == nCount || root.kind == nNot && root.kids[0].kind == nDid:
		if k, ok := e.eventCount(root); ok { // events.go
			return k, nil
		}
	case root.kind == nIn:
		if k, ok, err := e.inCount(root); ok || err != nil {
			return k, err
		}
	case root.kind == nAnd && slices.ContainsFunc(root.kids, func(k *pnode) bool { return k.kind == nScalar }):
		b, err := e.and(root.kids) // comparisons evaluated within the rest
		if err != nil {
			return 0, err
		}
		return int(b.card()), nil
	case root.kind == nAnd && len(root.kids) == 2:
		a, b, err := e.pair(root.kids)
		if err != nil || a.card() == 0 {
			return 0, err
		}
		return int(a.bm.AndCardinality(b.bm)), nil
	case root.kind == nOr && len(root.kids) == 2:
		a, b, err := e.pair(root.kids)
		if err != nil {
			return 0, err
		}
		return int(a.bm.OrCardinality(b.bm)), nil
	case root.kind == nNot:
		k, err := e.eval(root.kids[0])
		if err != nil {
			return 0, err
		}
		all := e.allBits()
		return int(all.card() - all.bm.AndCardinality(k.bm)), nil
	case root.kind == nAndNot && len(root.neg) == 1:
		var base bits
		var err error
		switch len(root.kids) {
		case 0:
			base = e.allBits()
		case 1:
			base, err = e.eval(root.kids[0])
		default:
			base, err = e.and(root.kids)
		}
		if err != nil || base.card() == 0 {
			return 0, err
		}
		k, err := e.eval(root.neg[0])
		if err != nil {
			return 0, err
		}
		return int(base.card() - base.bm.AndCardinality(k.bm)), nil
	case root.kind == nAnd:
		// Materialise all but one operand, count the last intersection.
		sets := make([]bits, 0, len(root.kids))
		for _, k := range root.kids {
			b, err := e.eval(k)
			if err != nil {
				return 0, err
			}
			if b.card() == 0 {
				return 0, nil
			}
			sets = append(sets, b)
		}
		e.orderForAnd(sets)
		acc := roaring.And(sets[0].bm, sets[1].bm)
		for _, s := range sets[2 : len(sets)-1] {
			acc.And(s.bm)
		}
		if len(sets) == 2 {
			return int(acc.GetCardinality()), nil
		}
		return int(acc.AndCardinality(sets[len(sets)-1].bm)), nil
	}
	b, err := e.eval(root)
	if err != nil {
		return 0, err
	}
	return int(b.card()), nil
}

// inCount counts `attr in [v1, v2, …]` as the sum of the items' counts
// when they are equalities with distinct constants (their sets are then
// disjoint); false otherwise.
func (e *evaluator) inCount(n *pnode) (int, bool, error) {
	seen := make(map[string]bool, len(n.items))
	for i := range n.items {
		res := e.res[n.items[i].idx]
		if res.kind == resNone {
			continue
		}
		if res.kind != resCmp || res.op != opEq || res.lo.dyn {
			return 0, false, nil
		}
		switch res.lo.v.Kind() {
		case bitmapindex.KindCategory, bitmapindex.KindInt, bitmapindex.KindBool:
		default:
			return 0, false, nil // distinct decimals or instants may share a stored value
		}
		k := res.lo.v.Kind().String() + ":" + res.lo.v.String()
		if seen[k] {
			return 0, false, nil
		}
		seen[k] = true
	}
	total := 0
	for i := range n.items {
		k, err := e.scalarCount(n, &n.items[i])
		if err != nil {
			return 0, false, err
		}
		total += k
	}
	return total, true, nil
}

func (e *evaluator) pair(kids []*pnode) (bits, bits, error) {
	a, err := e.eval(kids[0])
	if err != nil {
		return bits{}, bits{}, err
	}
	b, err := e.eval(kids[1])
	if err != nil {
		return bits{}, bits{}, err
	}
	return a, b, nil
}
