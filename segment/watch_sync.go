package segment

import (
	"context"
	"fmt"
	mbits "math/bits"
	"slices"
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
	deps   []leafDep          // per condition, what it reads
	static bool               // some segment is static (reads keys)
}

// leafDep is what a condition reads of a customer: the tags, one attribute
// (an index in attrs, or -1) or events (indexes in fields.Events).
type leafDep struct {
	tags   bool
	attr   int
	events []int
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
	events := map[string]int{}
	for _, l := range p.leaves {
		dep := leafDep{attr: -1}
		switch l.kind {
		case nTag: // read for all the touched customers at once (run)
			dep.tags = true
		case nScalar, nIn, nSetHas, nStrMatch, nPresent:
			dep.attr = l.ai
		case nDid, nCount, nFirst, nSum, nAvg, nThen:
			for _, ev := range []*evSpec{l.ev, l.ev2} {
				if ev == nil {
					continue
				}
				i, ok := events[ev.name]
				if !ok {
					i = len(p.fields.Events)
					events[ev.name] = i
					p.fields.Events = append(p.fields.Events, ev.name)
				}
				dep.events = append(dep.events, i)
			}
		default:
			return nil, fmt.Errorf("segment: watcher: condition %s of kind %d", l.label, l.kind)
		}
		p.deps = append(p.deps, dep)
	}
	for _, s := range p.segs {
		p.static = p.static || s.root == nil
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
func (w *Watcher) syncTouched(ctx context.Context, st *regState, v *bitmapindex.View, tc *bitmapindex.Touched) (out []Change, err error) {
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
	ids := tc.IDs
	touched := ids.ToArray()
	words := (len(touched) + 63) / 64
	after, err := p.run(ctx, v, w.now, ids, touched)
	if err != nil {
		return nil, err
	}
	before, err := p.runBefore(ctx, w.view, w.now, tc, touched, after)
	if err != nil {
		return nil, err
	}
	if checkBefore { // (tests) the partial reads equal reading everything again
		ref, err := p.run(ctx, w.view, w.now, ids, touched)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(ref.segs, before.segs) || !slices.Equal(ref.live, before.live) {
			return nil, fmt.Errorf("segment: watcher: membership before the writes differs from a full read")
		}
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
			w.settleOne(s.name)
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
		w.pend.add(s.name, left, entered)
	}
	if w.pend.n >= pendMax {
		w.settle()
	}
	return out, nil
}

// Membership changes are queued, not applied as Sync finds them.
//
// A 1,000-write batch over 1,000 segments at 10M customers changes some
// 60,000 memberships, each in a different container of a different
// segment's bitmap: applied one by one, every change is a few cache misses
// (the container, its data; 200 ns). Queued in order per segment and
// applied later grouped by container (in order within each container, so
// the last change of a customer wins), each container is loaded once for
// all its changes. Everything that reads members applies the queue first
// (settle); Sync does when it holds pendMax changes.

// pendMax is the number of queued membership changes at which Sync applies
// them (a variable for tests).
var pendMax = 1 << 23

// checkBefore makes Sync check runBefore against run (tests).
var checkBefore = false

// memberLog holds queued membership changes per segment, in order: the
// member ID shifted left by one, the low bit set for an entry.
type memberLog struct {
	segs map[string][]uint64
	n    int
	tmp  []uint64 // scratch of apply
	cnt  []int
}

func (l *memberLog) add(name string, left, entered []uint32) {
	if len(left)+len(entered) == 0 {
		return
	}
	if l.segs == nil {
		l.segs = map[string][]uint64{}
	}
	q := l.segs[name]
	for _, id := range left {
		q = append(q, uint64(id)<<1)
	}
	for _, id := range entered {
		q = append(q, uint64(id)<<1|1)
	}
	l.segs[name] = q
	l.n += len(left) + len(entered)
}

// settle applies every queued membership change. w.mu is held.
func (w *Watcher) settle() {
	if w.pend.n == 0 {
		return
	}
	for name := range w.pend.segs {
		w.settleOne(name)
	}
	w.pend.n = 0
}

// settleOne applies the queued changes of one segment.
func (w *Watcher) settleOne(name string) {
	l := &w.pend
	q := l.segs[name]
	if len(q) == 0 {
		return
	}
	bm := w.members[name]
	if bm == nil {
		bm = roaring.New()
		w.members[name] = bm
	}
	l.apply(bm, q)
	l.n -= len(q)
	if cap(q) > 1<<16 {
		delete(l.segs, name) // (a large queue is not kept for the next)
	} else {
		l.segs[name] = q[:0]
	}
}

// apply applies the changes q to bm, grouped by container (a stable
// counting sort on the IDs' high 16 bits).
func (l *memberLog) apply(bm *roaring.Bitmap, q []uint64) {
	if len(q) >= 64 {
		lo, hi := q[0]>>17, q[0]>>17
		for _, x := range q {
			lo, hi = min(lo, x>>17), max(hi, x>>17)
		}
		if hi > lo {
			l.cnt = slices.Grow(l.cnt[:0], int(hi-lo)+2)[:hi-lo+2]
			clear(l.cnt)
			for _, x := range q {
				l.cnt[x>>17-lo+1]++
			}
			for i := 1; i < len(l.cnt); i++ {
				l.cnt[i] += l.cnt[i-1]
			}
			l.tmp = slices.Grow(l.tmp[:0], len(q))[:len(q)]
			for _, x := range q {
				k := x>>17 - lo
				l.tmp[l.cnt[k]] = x
				l.cnt[k]++
			}
			q = l.tmp
		}
	}
	for _, x := range q {
		if x&1 != 0 {
			bm.Add(uint32(x >> 1))
		} else {
			bm.Remove(uint32(x >> 1))
		}
	}
}

// from returns, per event whose conditions all look at a window of days
// (did, count, sum, avg), the first day any of them looks at on day today:
// what a profile read needs of the event (Fields.From).
func (p *syncProg) from(today int64) map[string]segkit.Day {
	out := map[string]segkit.Day{}
	unbounded := map[string]bool{}
	for _, l := range p.leaves {
		for _, ev := range []*evSpec{l.ev, l.ev2} {
			if ev == nil {
				continue
			}
			lo, _ := ev.days(today)
			switch {
			case l.kind != nDid && l.kind != nCount && l.kind != nSum && l.kind != nAvg, lo == everFrom:
				unbounded[ev.name] = true
			case !unbounded[ev.name]:
				if d, ok := out[ev.name]; !ok || lo < d {
					out[ev.name] = lo
				}
			}
		}
	}
	for name := range unbounded {
		delete(out, name)
	}
	return out
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
	fields := p.fields
	fields.From = p.from(m.today)
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
		if !v.FillProfile(&prof, id, &fields) { // deleted, or not added yet: a member of nothing
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

	p.segments(r, touched)
	return r, nil
}

// segments evaluates every segment, in dependency order, on the conditions
// of r.
func (p *syncProg) segments(r *progRun, touched []uint32) {
	words := r.words
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
}

// runBefore is run on the view before the writes, v, for the same touched
// customers, given the run after them, a. A condition is read again only
// for the customers whose fields it reads were written (tc: a tag, its
// attribute, its events) and those no longer live after the writes (a
// read nothing for them); for everyone else its value before is its value
// after. A customer written one tag, at 10M customers, thus costs one
// intersection per tag instead of a read of its whole profile.
func (p *syncProg) runBefore(ctx context.Context, v *bitmapindex.View, now time.Time, tc *bitmapindex.Touched, touched []uint32, a *progRun) (*progRun, error) {
	n := len(touched)
	words := (n + 63) / 64
	r := &progRun{words: words, live: make([]uint64, words), leaves: slices.Clone(a.leaves),
		segs: make([]uint64, len(p.segs)*words), keys: make([]string, n)}
	// positions marks the touched customers in a written field's bitmap
	positions := func(b *roaring.Bitmap) []uint64 {
		m := make([]uint64, words)
		if b == nil {
			return m
		}
		i := 0
		for id := range roaring.Values(roaring.And(b, tc.IDs)) {
			for touched[i] != id {
				i++
			}
			m[i>>6] |= 1 << (i & 63)
		}
		return m
	}
	bit := func(m []uint64, i int) bool { return m[i>>6]&(1<<(i&63)) != 0 }
	live := positions(v.All().Bitmap())
	copy(r.live, live)
	gone := make([]uint64, words) // live before, not after: everything read again
	for i := range gone {
		gone[i] = live[i] &^ a.live[i]
	}
	if p.static {
		for i, id := range touched {
			if bit(a.live, i) {
				r.keys[i] = a.keys[i]
			} else if bit(live, i) {
				r.keys[i], _ = v.Key(id)
			}
		}
	}
	tags := positions(tc.Tags)
	attrs := make([][]uint64, len(p.attrs))
	for j, name := range p.attrs {
		attrs[j] = positions(tc.Attrs[name])
	}
	events := make([][]uint64, len(p.fields.Events))
	for j, name := range p.fields.Events {
		events[j] = positions(tc.Events[name])
	}
	// again[j]: the customers condition j is read again for
	again := make([]uint64, len(p.leaves)*words)
	any := make([]uint64, words) // some condition other than a tag
	for j, d := range p.deps {
		m := again[j*words : (j+1)*words]
		copy(m, gone)
		if d.tags {
			orWords(m, tags)
		}
		if d.attr >= 0 {
			orWords(m, attrs[d.attr])
		}
		for _, e := range d.events {
			orWords(m, events[e])
		}
		for i := range m {
			m[i] &= live[i]
			r.leaves[j*words+i] &^= m[i]
		}
		if !d.tags {
			orWords(any, m)
		}
	}

	// tags: one intersection each with the customers read again
	loc := v.Location()
	if loc == nil {
		loc = time.UTC
	}
	for j, l := range p.leaves {
		if l.kind != nTag {
			continue
		}
		m := again[j*words : (j+1)*words]
		bm := v.Tag(l.name).Bitmap()
		if bm == nil || !anyWord(m) {
			continue
		}
		sub := roaring.New()
		for i := range touched {
			if bit(m, i) {
				sub.Add(touched[i])
			}
		}
		i := 0
		for id := range roaring.Values(roaring.And(bm, sub)) {
			for touched[i] != id {
				i++
			}
			r.leaves[j*words+i>>6] |= 1 << (i & 63)
		}
	}

	// the other conditions: each customer's written fields
	m := matcher{now: now, loc: loc, today: int64(segkit.DayOf(now, loc))}
	f := frame{slots: make([]slot, len(p.attrs))}
	var prof bitmapindex.Profile
	all := p.fields
	all.From = p.from(m.today)
	only := bitmapindex.Fields{From: all.From}
	needAttr, needEvent := make([]bool, len(p.attrs)), make([]bool, len(p.fields.Events))
	for i, id := range touched {
		if !bit(any, i) {
			continue
		}
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		fields := &all
		if !bit(gone, i) { // what the conditions read again read (didThen: both events)
			clear(needAttr)
			clear(needEvent)
			for j, d := range p.deps {
				if !d.tags && bit(again[j*words:(j+1)*words], i) {
					if d.attr >= 0 {
						needAttr[d.attr] = true
					}
					for _, e := range d.events {
						needEvent[e] = true
					}
				}
			}
			only.Attrs, only.Events = only.Attrs[:0], only.Events[:0]
			for j, name := range p.attrs {
				if needAttr[j] {
					only.Attrs = append(only.Attrs, name)
				}
			}
			for j, name := range p.fields.Events {
				if needEvent[j] {
					only.Events = append(only.Events, name)
				}
			}
			fields = &only
		}
		if !v.FillProfile(&prof, id, fields) {
			continue // (live: not reached)
		}
		m.p = prof
		for a, name := range p.attrs {
			s := &f.slots[a]
			s.def = p.defs[a]
			s.v, s.has = prof.Attrs[name]
			if s.has && !s.v.IsValid() {
				s.has = false
			}
		}
		word, b := i>>6, uint64(1)<<(i&63)
		for j, l := range p.leaves {
			if l.kind == nTag || again[j*words+word]&b == 0 {
				continue
			}
			in, err := m.match(l, &f)
			if err != nil {
				return nil, fmt.Errorf("segment: watcher: customer %q: %s: %w", prof.Key, l.label, err)
			}
			if in {
				r.leaves[j*words+word] |= b
			}
		}
	}
	p.segments(r, touched)
	return r, nil
}

func orWords(dst, src []uint64) {
	for i := range dst {
		dst[i] |= src[i]
	}
}

func anyWord(m []uint64) bool {
	for _, x := range m {
		if x != 0 {
			return true
		}
	}
	return false
}
