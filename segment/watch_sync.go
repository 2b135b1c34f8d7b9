package segment

import (
	"context"
	"fmt"
	mbits "math/bits"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// Sync's evaluation of the customers a batch touched.
//
// A batch touches few customers compared with the index, and a registry of
// many segments is built from far fewer distinct conditions: has("vip") or
// didWithin("purchase", "30d") appear in dozens of rules. Sync therefore
//
//  1. evaluates each distinct condition once per touched customer, on the
//     customer's profile, into a bitset over the touched customers (bit i
//     is the i-th touched ID in ID order);
//  2. evaluates every segment's plan, in dependency order, on those
//     bitsets word by word: 1,000 touched customers are 16 words, so a
//     segment costs a few dozen word operations whatever its rule, and an
//     inSegment reference reads the bitset just computed for the segment it
//     names;
//  3. diffs each segment's bitset against its members among the touched
//     customers, emits the changes and updates the members in place.
//
// The conditions and the segments' plans over them (a syncProg) are built
// once per registry generation and view schema.

// syncProg is a registry compiled for Sync.
type syncProg struct {
	gen    uint64
	segs   []progSeg
	leaves []*pnode // distinct conditions: copies whose ai index attrs, scalars resolved
	attrs  []string // every attribute a rule reads
	defs   []bitmapindex.Attribute
	known  []bool
	fields bitmapindex.Fields // what the conditions read of a customer
}

type progSeg struct {
	name string
	e    *regEntry
	root *bnode // nil for a static segment
}

// bnode is a plan node over the conditions: nAnd, nOr, nNot, nAndNot and
// nConst as in pnode, nRef naming a segment by position, any other kind a
// condition by index.
type bnode struct {
	kind      nkind
	idx       int
	b         bool
	kids, neg []*bnode
}

// valid reports whether p was built for the registry generation gen and
// the schema of v.
func (p *syncProg) valid(gen uint64, v *bitmapindex.View) bool {
	if p == nil || p.gen != gen {
		return false
	}
	for i, a := range p.attrs {
		def, ok := v.Attribute(a)
		if ok != p.known[i] || def != p.defs[i] {
			return false
		}
	}
	return true
}

// buildSyncProg compiles the segments of st, in order, against the schema
// of v, with the checks Sync makes before matching anyone.
func buildSyncProg(st *regState, order []string, v *bitmapindex.View, limits Limits) (*syncProg, error) {
	p := &syncProg{gen: st.gen}
	c := progCompiler{p: p, pos: map[string]int{}, leaves: map[string]int{}, attrs: map[string]int{}}
	for i, name := range order {
		e := st.defs[name]
		ps := progSeg{name: name, e: e}
		if e.def.Static {
			if !e.isFrozen() {
				return nil, fmt.Errorf("segment: %q: %w", name, ErrNotFrozen)
			}
		} else {
			if max(e.rule.nnodes, 1) > limits.MaxMatchWork {
				return nil, fmt.Errorf("segment: %q: %w (%d rule nodes)", name, ErrMatchWork, limits.MaxMatchWork)
			}
			ev := &evaluator{r: e.rule, v: v}
			if err := ev.prepare(); err != nil { // the evaluator's type checks against the view
				return nil, fmt.Errorf("segment: %q: %w", name, err)
			}
			root, err := c.compile(e.rule, ev.res, e.rule.root)
			if err != nil {
				return nil, fmt.Errorf("segment: %q: %w", name, err)
			}
			ps.root = root
		}
		p.segs = append(p.segs, ps)
		c.pos[name] = i
	}
	for _, a := range p.attrs {
		def, ok := v.Attribute(a)
		p.defs, p.known = append(p.defs, def), append(p.known, ok)
	}
	events := map[string]bool{}
	for _, l := range p.leaves {
		switch {
		case l.kind == nTag: // read for all the touched customers at once (run)
		case l.ev != nil:
			for _, ev := range []*evSpec{l.ev, l.ev2} {
				if ev != nil && !events[ev.name] {
					events[ev.name] = true
					p.fields.Events = append(p.fields.Events, ev.name)
				}
			}
		}
	}
	p.fields.Attrs = p.attrs
	return p, nil
}

type progCompiler struct {
	p      *syncProg
	pos    map[string]int // segments compiled so far
	leaves map[string]int // by leafKey
	attrs  map[string]int
}

func (c *progCompiler) attr(name string) int {
	i, ok := c.attrs[name]
	if !ok {
		i = len(c.p.attrs)
		c.attrs[name] = i
		c.p.attrs = append(c.p.attrs, name)
	}
	return i
}

func (c *progCompiler) compile(r *Rule, res []resolved, n *pnode) (*bnode, error) {
	switch n.kind {
	case nAnd, nOr, nNot, nAndNot:
		b := &bnode{kind: n.kind}
		for _, k := range n.kids {
			kb, err := c.compile(r, res, k)
			if err != nil {
				return nil, err
			}
			b.kids = append(b.kids, kb)
		}
		for _, k := range n.neg {
			kb, err := c.compile(r, res, k)
			if err != nil {
				return nil, err
			}
			b.neg = append(b.neg, kb)
		}
		return b, nil
	case nConst:
		return &bnode{kind: nConst, b: n.b}, nil
	case nRef:
		i, ok := c.pos[n.name]
		if !ok {
			return nil, fmt.Errorf("segment: inSegment(%q): %w", n.name, ErrNotFound)
		}
		return &bnode{kind: nRef, idx: i}, nil
	}
	k := leafKey(n)
	if i, ok := c.leaves[k]; ok {
		return &bnode{kind: n.kind, idx: i}, nil
	}
	l := *n // the condition, made independent of its rule
	l.kids, l.neg = nil, nil
	switch n.kind {
	case nScalar, nIn, nSetHas, nStrMatch, nPresent:
		l.ai = c.attr(r.attrNames[n.ai])
	}
	if n.sc != nil {
		sc := *n.sc
		sc.res, sc.resolvedOK = res[sc.idx], true
		l.sc = &sc
	}
	if n.items != nil {
		l.items = make([]scalar, len(n.items))
		for i, it := range n.items {
			it.res, it.resolvedOK = res[it.idx], true
			l.items[i] = it
		}
	}
	i := len(c.p.leaves)
	c.leaves[k] = i
	c.p.leaves = append(c.p.leaves, &l)
	return &bnode{kind: n.kind, idx: i}, nil
}

// progRun is the state of one Sync over the touched customers.
type progRun struct {
	words  int
	live   []uint64 // touched customers that are alive in the view
	leaves []uint64 // per condition, words each
	segs   []uint64 // per segment, words each
	keys   []string // of the touched customers alive in the view
	free   [][]uint64
}

func (r *progRun) tmp() []uint64 {
	if n := len(r.free); n > 0 {
		t := r.free[n-1]
		r.free = r.free[:n-1]
		return t
	}
	return make([]uint64, r.words)
}

func (r *progRun) put(t []uint64) { r.free = append(r.free, t) }

// eval writes the members of b among the touched customers into dst.
func (r *progRun) eval(b *bnode, dst []uint64) {
	w := r.words
	switch b.kind {
	case nConst:
		if b.b {
			copy(dst, r.live)
		} else {
			clear(dst)
		}
	case nRef:
		copy(dst, r.segs[b.idx*w:(b.idx+1)*w])
	case nAnd, nAndNot:
		if len(b.kids) == 0 {
			copy(dst, r.live)
		} else {
			r.eval(b.kids[0], dst)
		}
		t := r.tmp()
		for _, k := range b.kids[min(1, len(b.kids)):] {
			r.eval(k, t)
			for i := range dst {
				dst[i] &= t[i]
			}
		}
		for _, k := range b.neg {
			r.eval(k, t)
			for i := range dst {
				dst[i] &^= t[i]
			}
		}
		r.put(t)
	case nOr:
		clear(dst)
		t := r.tmp()
		for _, k := range b.kids {
			r.eval(k, t)
			for i := range dst {
				dst[i] |= t[i]
			}
		}
		r.put(t)
	case nNot:
		r.eval(b.kids[0], dst)
		for i := range dst {
			dst[i] = r.live[i] &^ dst[i]
		}
	default:
		copy(dst, r.leaves[b.idx*w:(b.idx+1)*w])
	}
}

// syncTouched re-evaluates the touched customers ids (of v) against every
// segment and returns their changes, updating w.members. w.mu is held.
//
// The members among the touched customers before the writes are not read
// from w.members (intersecting each segment's bitmap with the touched IDs
// costs a container operation per segment and container, 40 µs a segment
// at 10M customers) but evaluated the same way on the view they belong to,
// w.view: the Watcher's membership is, at every point, the full evaluation
// at its view and time (the property TestWatcherEqualsFullDiffs checks),
// and every rule is a function of one customer's data.
func (w *Watcher) syncTouched(ctx context.Context, st *regState, v *bitmapindex.View, ids *roaring.Bitmap) (out []Change, err error) {
	defer recoverInto(&err)
	if !w.prog.valid(st.gen, v) {
		w.prog = nil
		p, err := buildSyncProg(st, topoOrder(st.defs), v, w.reg.limits())
		if err != nil {
			return nil, err
		}
		w.prog = p
	}
	p := w.prog
	touched := ids.ToArray()
	words := (len(touched) + 63) / 64
	after, err := p.run(ctx, v, w.now, ids, touched)
	if err != nil {
		return nil, err
	}
	before, err := p.run(ctx, w.view, w.now, ids, touched)
	if err != nil {
		return nil, err
	}
	total := 0
	for i := range after.segs {
		total += mbits.OnesCount64(before.segs[i] ^ after.segs[i])
	}
	if total == 0 {
		return nil, nil
	}
	allLive := true
	for i := range touched {
		if after.live[i>>6]&(1<<(i&63)) == 0 {
			allLive = false
		}
	}
	out = make([]Change, 0, total)
	var left, entered []uint32
	for si, s := range p.segs {
		old, is := before.segs[si*words:(si+1)*words], after.segs[si*words:(si+1)*words]
		cur := w.members[s.name]
		if cur == nil {
			cur = roaring.New()
			w.members[s.name] = cur
		}
		if !allLive { // a key deleted and added again: diffInto matches by key
			wasBM, isBM := roaring.New(), roaring.New()
			for i, id := range touched {
				if old[i>>6]&(1<<(i&63)) != 0 {
					wasBM.Add(id)
				}
				if is[i>>6]&(1<<(i&63)) != 0 {
					isBM.Add(id)
				}
			}
			out = w.diffInto(out, s.name, wasBM, isBM, w.view, v, w.now)
			cur.AndNot(wasBM)
			cur.Or(isBM)
			continue
		}
		left, entered = left[:0], entered[:0]
		for pass := range 2 { // those who left, then those who entered, in ID order
			for wi := range old {
				x := old[wi] &^ is[wi]
				kind := Left
				if pass == 1 {
					x, kind = is[wi]&^old[wi], Entered
				}
				for x != 0 {
					i := wi<<6 | mbits.TrailingZeros64(x)
					x &= x - 1
					id := touched[i]
					out = append(out, Change{Segment: s.name, Key: after.keys[i], ID: id, Kind: kind, At: w.now})
					if kind == Left {
						left = append(left, id)
					} else {
						entered = append(entered, id)
					}
				}
			}
		}
		for _, id := range left { // (an in-place AndNot copies every container it touches)
			cur.Remove(id)
		}
		cur.AddMany(entered)
	}
	return out, nil
}

// run evaluates every segment of p on the touched customers of v at now
// (set holds them, touched lists them in ID order).
func (p *syncProg) run(ctx context.Context, v *bitmapindex.View, now time.Time, set *roaring.Bitmap, touched []uint32) (*progRun, error) {
	n := len(touched)
	words := (n + 63) / 64
	r := &progRun{words: words, live: make([]uint64, words), leaves: make([]uint64, len(p.leaves)*words),
		segs: make([]uint64, len(p.segs)*words), keys: make([]string, n)}

	// 1. every condition on every touched customer
	loc := v.Location()
	if loc == nil {
		loc = time.UTC
	}
	m := matcher{now: now, loc: loc, today: int64(segkit.DayOf(now, loc))}
	f := frame{slots: make([]slot, len(p.attrs))}
	for j, l := range p.leaves {
		if l.kind != nTag {
			continue
		}
		// one intersection of the tag with the touched customers instead of
		// a probe per customer (at 10M customers each probe misses the cache)
		bm := v.Tag(l.name).Bitmap()
		if bm == nil {
			continue
		}
		i := 0
		for id := range roaring.Values(roaring.And(bm, set)) {
			for touched[i] != id {
				i++
			}
			r.leaves[j*words+i>>6] |= 1 << (i & 63)
		}
	}
	var prof bitmapindex.Profile // reused: FillProfile clears it
	for i, id := range touched {
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !v.FillProfile(&prof, id, &p.fields) { // deleted, or not added yet: a member of nothing
			continue
		}
		key := prof.Key
		r.keys[i] = key
		word, bit := i>>6, uint64(1)<<(i&63)
		r.live[word] |= bit
		m.p = prof
		for a, name := range p.attrs {
			s := &f.slots[a]
			s.def = p.defs[a]
			s.v, s.has = prof.Attrs[name]
			if s.has && !s.v.IsValid() {
				s.has = false
			}
		}
		for j, l := range p.leaves {
			if l.kind == nTag {
				continue // (above)
			}
			in, err := m.match(l, &f)
			if err != nil {
				return nil, fmt.Errorf("segment: watcher: customer %q: %s: %w", key, l.label, err)
			}
			if in {
				r.leaves[j*words+word] |= bit
			}
		}
	}

	// 2. every segment, in dependency order
	for si, s := range p.segs {
		dst := r.segs[si*words : (si+1)*words]
		if s.root == nil { // static
			for i := range touched {
				if r.live[i>>6]&(1<<(i&63)) != 0 {
					if _, in := s.e.frozen[r.keys[i]]; in {
						dst[i>>6] |= 1 << (i & 63)
					}
				}
			}
			continue
		}
		r.eval(s.root, dst)
		for i := range dst {
			dst[i] &= r.live[i]
		}
	}
	return r, nil
}
