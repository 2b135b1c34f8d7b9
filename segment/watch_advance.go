package segment

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// Time-driven re-evaluation (Advance).
//
// A segment's membership changes with the time alone only through its time
// conditions: the event forms (didWithin, countWithin, …) and the
// comparisons that read the evaluation time (daysSince, within), and
// through inSegment references to segments that do. A rule combines its
// conditions with and, or and not, so a customer whose every condition
// keeps its value keeps its membership. Advance therefore:
//
//  1. evaluates each distinct time condition of the time-dependent
//     segments once at the new time (a condition shared by many segments,
//     such as didWithin("purchase", "30d"), once for all of them);
//  2. finds who can change: the customers whose value of a condition
//     differs from the one kept from the previous Advance (who crossed a
//     window edge), the customers written since (whose kept values are
//     stale), and the changes of the referenced segments;
//  3. skips every segment none of whose members-to-be can change, and
//     computes the others from the conditions with bitmap operations (the
//     conditions that do not depend on time evaluated as usual, references
//     taken from the Watcher's membership), never evaluating a condition
//     twice.
//
// The first Advance after a start, a Resync or a definition change has no
// kept values: it computes every time-dependent segment (step 3 without
// the skipping).

// advanceStats counts what Advance did with the time-dependent segments.
type advanceStats struct {
	skipped, combined, evaluated int
}

// timeLeaves is the kept value of every time condition at one time.
type timeLeaves struct {
	vals    map[string]*roaring.Bitmap // by leafKey; never modified
	touched *roaring.Bitmap            // customers written since
}

func leafKey(n *pnode) string { return fmt.Sprintf("%d:%s", n.kind, n.label) }

// isTimeLeaf: a condition whose value depends on the evaluation time by
// itself (not through a reference).
func isTimeLeaf(n *pnode) bool {
	switch n.kind {
	case nDid, nCount, nFirst, nSum, nAvg, nThen:
		return true
	case nScalar:
		return scalarUsesTime(n.sc)
	case nIn:
		for i := range n.items {
			if scalarUsesTime(&n.items[i]) {
				return true
			}
		}
	}
	return false
}

// collectTime appends the time leaves and the time-dependent references of
// a plan.
func collectTime(n *pnode, timed map[string]bool, leaves []*pnode, refs []string) ([]*pnode, []string) {
	if isTimeLeaf(n) {
		return append(leaves, n), refs
	}
	if n.kind == nRef {
		if timed[n.name] {
			refs = append(refs, n.name)
		}
		return leaves, refs
	}
	for _, k := range n.kids {
		leaves, refs = collectTime(k, timed, leaves, refs)
	}
	for _, k := range n.neg {
		leaves, refs = collectTime(k, timed, leaves, refs)
	}
	return leaves, refs
}

// advanceLocked moves the time-dependent segments from w.now to now on
// w.view and returns their changes and new memberships. w.mu is held.
func (w *Watcher) advanceLocked(ctx context.Context, now time.Time) ([]Change, map[string]*roaring.Bitmap, error) {
	st := w.reg.load()
	timed := timeDependent(st)
	names := slices.DeleteFunc(topoOrder(st.defs), func(n string) bool { return !timed[n] })
	kept := w.leaves
	vals := make(map[string]*roaring.Bitmap)
	next := make(map[string]*roaring.Bitmap, len(names))
	moved := make(map[string]*roaring.Bitmap) // time-dependent segments that changed: who
	cur := func(name string) *roaring.Bitmap {
		if bm, ok := next[name]; ok {
			return bm
		}
		return w.members[name]
	}
	refs := func(_ context.Context, name string, v *bitmapindex.View, _ time.Time) (bitmapindex.Set, error) {
		bm := cur(name)
		if bm == nil {
			return bitmapindex.Set{}, fmt.Errorf("segment: no segment %q", name)
		}
		return v.Wrap(bm), nil
	}
	type moveOf struct {
		name       string
		was, is, x *roaring.Bitmap
	}
	var moves []moveOf
	total := 0
	for _, name := range names {
		r := st.defs[name].rule
		ev, err := r.newEvaluator(ctx, w.view, now, refs)
		if err != nil {
			return nil, nil, fmt.Errorf("segment: watcher: %s: %w", name, err)
		}
		leaves, trefs := collectTime(r.root, timed, nil, nil)
		// 1. the time conditions at the new time, each once
		for _, l := range leaves {
			k := leafKey(l)
			if _, ok := vals[k]; ok {
				continue
			}
			b, err := evalSafe(ev, l)
			if err != nil {
				return nil, nil, fmt.Errorf("segment: watcher: %s: %w", name, err)
			}
			vals[k] = b
		}
		// 2. who can change
		if kept != nil {
			cand := kept.touched.Clone()
			known := true
			for _, l := range leaves {
				old, ok := kept.vals[leafKey(l)]
				if !ok {
					known = false
					break
				}
				cand.Or(roaring.Xor(old, vals[leafKey(l)]))
			}
			for _, ref := range trefs {
				if m := moved[ref]; m != nil {
					cand.Or(m)
				}
			}
			if known && cand.IsEmpty() {
				w.adv.skipped++
				continue // 3. nobody: the segment keeps its members
			}
		}
		// 3. the new membership from the conditions
		bm, shared, ok, err := w.combine(ev, r.root, timed, vals, cur)
		if err != nil {
			return nil, nil, fmt.Errorf("segment: watcher: %s: %w", name, err)
		}
		w.adv.combined++
		if !ok { // a plan form combine does not know: evaluate in full
			w.adv.combined--
			w.adv.evaluated++
			s, err := w.reg.Eval(ctx, name, w.view, now)
			if err != nil {
				return nil, nil, err
			}
			bm, shared = s.Bitmap(), true
		}
		if shared {
			bm = bm.Clone()
		}
		was := w.members[name]
		if was == nil {
			was = roaring.New()
		}
		if x := roaring.Xor(was, bm); !x.IsEmpty() {
			moved[name] = x
			moves = append(moves, moveOf{name, was, bm, x})
			total += int(x.GetCardinality())
		}
		next[name] = bm
	}
	out := make([]Change, 0, total) // Change values are most of the cost: allocated once
	var kc *keyCache
	if total >= keyCacheMin {
		xs := make([]*roaring.Bitmap, 0, len(moves))
		for _, m := range moves {
			xs = append(xs, moved[m.name])
		}
		kc = newKeyCache(w.view, roaring.FastOr(xs...), total)
	}
	for _, m := range moves {
		out = w.diffKeys(out, m.name, m.was, m.is, m.x, w.view, w.view, now, kc)
	}
	w.leaves = &timeLeaves{vals: vals, touched: roaring.New()}
	return out, next, nil
}

// evalSafe evaluates one node, a panic in the evaluator becoming an error
// as in Eval.
func evalSafe(ev *evaluator, n *pnode) (bm *roaring.Bitmap, err error) {
	defer recoverInto(&err)
	b, err := ev.eval(n)
	if err != nil {
		return nil, err
	}
	if b.owned {
		return b.bm, nil
	}
	return b.bm.Clone(), nil
}

// combine computes a node's members from the time conditions' values
// (vals), the Watcher's membership of referenced segments (cur) and, for
// the parts that do not depend on time, the evaluator. shared reports that
// the result is a bitmap kept elsewhere (the caller must not modify it);
// ok is false for a plan form it does not know.
func (w *Watcher) combine(ev *evaluator, n *pnode, timed map[string]bool, vals map[string]*roaring.Bitmap, cur func(string) *roaring.Bitmap) (bm *roaring.Bitmap, shared, ok bool, err error) {
	if isTimeLeaf(n) {
		return vals[leafKey(n)], true, true, nil
	}
	if n.kind == nRef {
		bm := cur(n.name)
		if bm == nil {
			return nil, false, false, nil
		}
		return bm, true, true, nil
	}
	if !usesTime(n, timed) {
		b, err := evalSafe(ev, n)
		return b, false, err == nil, err
	}
	parts := func(ns []*pnode) ([]*roaring.Bitmap, bool, error) {
		out := make([]*roaring.Bitmap, 0, len(ns))
		for _, k := range ns {
			b, _, ok, err := w.combine(ev, k, timed, vals, cur)
			if err != nil || !ok {
				return nil, ok, err
			}
			out = append(out, b)
		}
		return out, true, nil
	}
	switch n.kind {
	case nAnd, nOr, nAndNot:
		kids, ok, err := parts(n.kids)
		if err != nil || !ok {
			return nil, false, ok, err
		}
		if n.kind == nOr {
			return roaring.FastOr(kids...), false, true, nil
		}
		if len(kids) == 0 { // the empty intersection: everybody
			kids = append(kids, ev.allBits().bm)
		}
		acc := roaring.FastAnd(kids...)
		if n.kind == nAndNot {
			neg, ok, err := parts(n.neg)
			if err != nil || !ok {
				return nil, false, ok, err
			}
			acc.AndNot(roaring.FastOr(neg...))
		}
		return acc, false, true, nil
	case nNot:
		kid, _, ok, err := w.combine(ev, n.kids[0], timed, vals, cur)
		if err != nil || !ok {
			return nil, false, ok, err
		}
		return roaring.AndNot(ev.allBits().bm, kid), false, true, nil
	}
	return nil, false, false, nil
}
