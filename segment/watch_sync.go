package segment

import (
	"context"
	"fmt"
	"math"
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
//  1. evaluates each distinct condition once per touched customer that
//     needs it (syncNeed: a segment reading a field the writes touched for
//     the customer), on the customer's profile, into a bitset over the
//     touched customers (bit i is the i-th touched ID in ID order), after
//     the writes and again before them for the fields written only;
//  2. evaluates every segment's plan, in dependency order, on those
//     bitsets word by word: 1,000 touched customers are 16 words, so a
//     segment costs a few dozen word operations whatever its rule, and an
//     inSegment reference reads the bitset just computed for the segment it
//     names;
//  3. diffs each segment's bitsets before and after, emits the changes and
//     queues them for the members (memberLog).
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
	tags   []string           // every tag a condition reads
	static bool               // some segment is static (reads keys)
}

// leafDep is what a condition reads of a customer: a tag (an index in
// tags), an attribute (an index in attrs) or events (indexes in
// fields.Events).
type leafDep struct {
	tag    int // index in tags, or -1
	attr   int
	events []int
}

type progSeg struct {
	name   string
	e      *regEntry
	root   *bnode // nil for a static segment
	leaves []int  // the conditions root reads
	refs   []int  // the segments root names (positions, earlier)
	users  []int  // the segments naming this one (positions, later)
}

// uses lists the conditions and segments b reads.
func (b *bnode) uses(leaves, refs *[]int) {
	switch b.kind {
	case nAnd, nOr, nNot, nAndNot:
		for _, k := range b.kids {
			k.uses(leaves, refs)
		}
		for _, k := range b.neg {
			k.uses(leaves, refs)
		}
	case nConst:
	case nRef:
		*refs = append(*refs, b.idx)
	default:
		*leaves = append(*leaves, b.idx)
	}
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
			root.uses(&ps.leaves, &ps.refs)
			slices.Sort(ps.leaves)
			ps.leaves = slices.Compact(ps.leaves)
			slices.Sort(ps.refs)
			ps.refs = slices.Compact(ps.refs)
			for _, r := range ps.refs {
				p.segs[r].users = append(p.segs[r].users, i)
			}
		}
		p.segs = append(p.segs, ps)
		c.pos[name] = i
	}
	for _, a := range p.attrs {
		def, ok := v.Attribute(a)
		p.defs, p.known = append(p.defs, def), append(p.known, ok)
	}
	events, tags := map[string]int{}, map[string]int{}
	for _, l := range p.leaves {
		dep := leafDep{tag: -1, attr: -1}
		switch l.kind {
		case nTag: // read for all the touched customers at once (read)
			i, ok := tags[l.name]
			if !ok {
				i = len(p.tags)
				tags[l.name] = i
				p.tags = append(p.tags, l.name)
			}
			dep.tag = i
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
	occ    [][]occList // per touched customer and event (fields.Events), what read read
}

// occList is a customer's occurrences of an event as read (Profile.Events
// and Details).
type occList struct {
	ts  []time.Time
	det []bitmapindex.EventDetail
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

// syncTouched re-evaluates the customers tc touched (of v) against every
// segment and returns their changes, queuing them for w.members (pend).
// w.mu is held.
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
	touched := tc.IDs.ToArray()
	words := (len(touched) + 63) / 64
	nd := p.plan(tc, touched, w.view, v)
	after, before, err := p.runs(ctx, w.view, v, w.now, touched, nd)
	if err != nil {
		return nil, err
	}
	if checkPartial { // (tests) the changes equal those of reading everything
		full := nd.full()
		fa, fb, err := p.runs(ctx, w.view, v, w.now, touched, full)
		if err != nil {
			return nil, err
		}
		for i := range after.segs {
			if x := after.segs[i] ^ before.segs[i]; x != fa.segs[i]^fb.segs[i] || x&(after.segs[i]^fa.segs[i]) != 0 {
				return nil, fmt.Errorf("segment: watcher: segment %s: partial reads change %x, full reads %x", p.segs[i/words].name, x, fa.segs[i]^fb.segs[i])
			}
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
			for i, id := range touched { // (only the changed bits are exact: plan)
				if x := (old[i>>6] ^ is[i>>6]) & (1 << (i & 63)); x != 0 && old[i>>6]&x != 0 {
					wasBM.Add(id)
				} else if x != 0 {
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
					out = append(out, Change{Segment: s.name, Key: after.key(v, touched, i), ID: id, Kind: kind, At: w.now})
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

// checkPartial makes Sync check its changes against those of reading every
// condition for every touched customer (tests).
var checkPartial = false

// memberLog holds queued membership changes per segment, in order: the
// member ID shifted left by one, the low bit set for an entry.
type memberLog struct {
	segs map[string][]uint64
	n    int
	tmp  []uint64 // scratch of apply
	cnt  []int
	seen *[1024]uint64
	adds []uint32
	rems []uint32
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
// counting sort on the IDs' high 16 bits): within a container the last
// change of each ID wins (found walking back with a bitset of the
// container's IDs), and the entries are added with one AddMany.
func (l *memberLog) apply(bm *roaring.Bitmap, q []uint64) {
	if len(q) < 64 {
		for _, x := range q {
			if x&1 != 0 {
				bm.Add(uint32(x >> 1))
			} else {
				bm.Remove(uint32(x >> 1))
			}
		}
		return
	}
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
	if l.seen == nil {
		l.seen = new([1024]uint64)
	}
	for a := 0; a < len(q); {
		b := a + 1
		for b < len(q) && q[b]>>17 == q[a]>>17 {
			b++
		}
		l.adds, l.rems = l.adds[:0], l.rems[:0]
		for i := b - 1; i >= a; i-- { // the last change of each ID
			id := uint32(q[i] >> 1)
			w, bit := (id&0xffff)>>6, uint64(1)<<(id&63)
			if l.seen[w]&bit != 0 {
				continue
			}
			l.seen[w] |= bit
			if q[i]&1 != 0 {
				l.adds = append(l.adds, id)
			} else {
				l.rems = append(l.rems, id)
			}
		}
		for _, id := range l.adds {
			l.seen[(id&0xffff)>>6] = 0
		}
		for _, id := range l.rems {
			l.seen[(id&0xffff)>>6] = 0
			bm.Remove(id)
		}
		bm.AddMany(l.adds)
		a = b
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

// syncNeed is what a Sync reads: per condition (words each over the
// touched customers), who it must be read for.
//
// A condition whose fields a customer's writes did not touch has the same
// value for the customer before and after them, and so has a segment all of
// whose conditions and references are untouched: its membership cannot
// change. Sync therefore reads a condition, after the writes, only for the
// customers a segment using it needs it for (one with a touched condition,
// or naming such a segment, or named by a segment needed), and before the
// writes only for those of them whose fields it reads were touched. A
// customer written one tag, at 10M customers, costs a few intersections
// with the registry's tags instead of reads of its whole profile twice.
// Customers added or deleted are touched in every field.
type syncNeed struct {
	words        int
	liveB, liveA []uint64 // live before and after the writes
	dirty        []uint64 // per condition: its fields were written
	need         []uint64 // per condition: a segment needs it
	events       [][]uint64
	days         [][]segkit.Day // per event: the days written (Touched.Days)
}

// plan computes what Sync reads for the customers touched (tc) between the
// views b and a.
func (p *syncProg) plan(tc *bitmapindex.Touched, touched []uint32, b, a *bitmapindex.View) *syncNeed {
	n := len(touched)
	words := (n + 63) / 64
	positions := func(bm *roaring.Bitmap) []uint64 { // the touched customers in bm
		m := make([]uint64, words)
		if bm == nil {
			return m
		}
		i := 0
		for id := range roaring.Values(roaring.And(bm, tc.IDs)) {
			for touched[i] != id {
				i++
			}
			m[i>>6] |= 1 << (i & 63)
		}
		return m
	}
	nd := &syncNeed{words: words, liveB: positions(b.All().Bitmap()), liveA: positions(a.All().Bitmap()),
		dirty: make([]uint64, len(p.leaves)*words), need: make([]uint64, len(p.leaves)*words)}
	born := make([]uint64, words) // liveness changed: every field touched
	for i := range born {
		born[i] = nd.liveB[i] ^ nd.liveA[i]
	}
	tags := make([][]uint64, len(p.tags))
	for j, name := range p.tags {
		tags[j] = positions(tc.Tags[name])
	}
	attrs := make([][]uint64, len(p.attrs))
	for j, name := range p.attrs {
		attrs[j] = positions(tc.Attrs[name])
	}
	events := make([][]uint64, len(p.fields.Events))
	nd.events, nd.days = events, make([][]segkit.Day, len(events))
	for j, name := range p.fields.Events {
		events[j] = positions(tc.Events[name])
		nd.days[j] = tc.Days[name]
	}
	for j, d := range p.deps {
		m := nd.dirty[j*words : (j+1)*words]
		copy(m, born)
		if d.tag >= 0 {
			orWords(m, tags[d.tag])
		}
		if d.attr >= 0 {
			orWords(m, attrs[d.attr])
		}
		for _, e := range d.events {
			orWords(m, events[e])
		}
	}
	// segments whose membership can change (dependency order), then the
	// segments needed (reverse order: those named by one needed)
	segs := make([]uint64, len(p.segs)*words)
	for si, s := range p.segs {
		m := segs[si*words : (si+1)*words]
		copy(m, born)
		for _, j := range s.leaves {
			orWords(m, nd.dirty[j*words:(j+1)*words])
		}
		for _, r := range s.refs {
			orWords(m, segs[r*words:(r+1)*words])
		}
	}
	for si := len(p.segs) - 1; si >= 0; si-- {
		m := segs[si*words : (si+1)*words]
		for _, u := range p.segs[si].users {
			orWords(m, segs[u*words:(u+1)*words])
		}
		for _, j := range p.segs[si].leaves {
			orWords(nd.need[j*words:(j+1)*words], m)
		}
	}
	return nd
}

// full is nd with every condition needed and dirty for everyone (tests).
func (nd *syncNeed) full() *syncNeed {
	f := *nd
	f.dirty, f.need = slices.Clone(nd.dirty), slices.Clone(nd.need)
	for i := range f.dirty {
		f.dirty[i], f.need[i] = ^uint64(0), ^uint64(0)
	}
	return &f
}

// runs evaluates the segments on the touched customers after the writes
// (view a) and before them (view b), reading what nd says.
func (p *syncProg) runs(ctx context.Context, b, a *bitmapindex.View, now time.Time, touched []uint32, nd *syncNeed) (after, before *progRun, err error) {
	words := nd.words
	newRun := func(live []uint64) *progRun {
		return &progRun{words: words, live: live, leaves: make([]uint64, len(p.leaves)*words),
			segs: make([]uint64, len(p.segs)*words), keys: make([]string, len(touched))}
	}
	after, before = newRun(nd.liveA), newRun(nd.liveB)
	read := make([]uint64, len(nd.need))
	for i := range read {
		read[i] = nd.need[i] & nd.liveA[i%words]
	}
	after.occ = make([][]occList, len(touched))
	if err := p.read(ctx, a, now, touched, after, read, nil, nil); err != nil {
		return nil, nil, err
	}
	copy(before.leaves, after.leaves) // the conditions not touched
	for i := range read {
		read[i] = nd.need[i] & nd.dirty[i] & nd.liveB[i%words]
	}
	if err := p.read(ctx, b, now, touched, before, read, after, nd); err != nil {
		return nil, nil, err
	}
	if p.static {
		for i, id := range touched {
			if after.live[i>>6]&(1<<(i&63)) != 0 {
				after.keys[i], _ = a.Key(id)
				before.keys[i] = after.keys[i] // (the same customer: IDs are never reused)
			} else if before.live[i>>6]&(1<<(i&63)) != 0 {
				before.keys[i], _ = b.Key(id)
			}
		}
	}
	p.segments(after, touched)
	p.segments(before, touched)
	return after, before, nil
}

// key returns the key of the i-th touched customer (live in v).
func (r *progRun) key(v *bitmapindex.View, touched []uint32, i int) string {
	if r.keys[i] == "" {
		r.keys[i] = keyOf(v, touched[i])
	}
	return r.keys[i]
}

// read evaluates condition j on v, at now, for the touched customers in
// read[j] (words each), replacing their bits in r.leaves. With r.occ set
// it keeps the occurrences it reads there.
//
// Before the writes (prev, the run after them, and nd given), a customer
// live after them has, for an event written, the occurrences after the
// writes on every day before the first day written (nd.days), and for an
// event not written all of them: only the days from the first written are
// read (a purchase recorded today: today's).
func (p *syncProg) read(ctx context.Context, v *bitmapindex.View, now time.Time, touched []uint32, r *progRun, read []uint64, prev *progRun, nd *syncNeed) error {
	words := r.words
	bit := func(m []uint64, i int) bool { return m[i>>6]&(1<<(i&63)) != 0 }
	for i := range read {
		r.leaves[i] &^= read[i]
	}
	// tags: one intersection each with the customers it is read for,
	// instead of a probe per customer (at 10M customers each probe misses
	// the cache)
	any := make([]uint64, words) // some condition other than a tag
	for j, l := range p.leaves {
		m := read[j*words : (j+1)*words]
		if l.kind != nTag {
			orWords(any, m)
			continue
		}
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
	if !anyWord(any) {
		return nil
	}

	// the other conditions: each customer's profile, with the fields they read
	loc := v.Location()
	if loc == nil {
		loc = time.UTC
	}
	m := matcher{now: now, loc: loc, today: int64(segkit.DayOf(now, loc))}
	f := frame{slots: make([]slot, len(p.attrs))}
	var prof bitmapindex.Profile
	only := bitmapindex.Fields{From: map[string]segkit.Day{}}
	windowFrom, bounded := make([]segkit.Day, len(p.fields.Events)), make([]bool, len(p.fields.Events))
	wf := p.from(m.today)
	for j, name := range p.fields.Events {
		windowFrom[j], bounded[j] = wf[name]
		if !bounded[j] {
			windowFrom[j] = math.MinInt32
		}
	}
	needAttr, needEvent := make([]bool, len(p.attrs)), make([]bool, len(p.fields.Events))
	readEvent := make([]bool, len(p.fields.Events)) // read from v (else from prev, whole)
	for i, id := range touched {
		if !bit(any, i) {
			continue
		}
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(needAttr)
		clear(needEvent)
		for j, d := range p.deps {
			if d.tag < 0 && bit(read[j*words:(j+1)*words], i) {
				if d.attr >= 0 {
					needAttr[d.attr] = true
				}
				for _, e := range d.events { // (didThen: both events)
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
		var had []occList // the occurrences after the writes
		if prev != nil && prev.occ[i] != nil {
			had = prev.occ[i]
		}
		clear(readEvent)
		for j, name := range p.fields.Events {
			only.From[name] = windowFrom[j]
			switch {
			case !needEvent[j]:
			case had == nil:
				readEvent[j] = true
			case bit(nd.events[j], i) && len(nd.days[j]) > 0:
				readEvent[j] = true
				if d := nd.days[j][0]; !bounded[j] || d > windowFrom[j] {
					only.From[name] = d
				}
			}
			if readEvent[j] {
				only.Events = append(only.Events, name)
			}
		}
		if !v.FillProfile(&prof, id, &only) {
			continue // (read only for live customers: not reached)
		}
		if had != nil { // the occurrences before the first day written
			for j, name := range p.fields.Events {
				if !needEvent[j] {
					continue
				}
				if readEvent[j] {
					mergeOcc(&prof, name, had[j], v.Zone().Start(only.From[name]), true)
				} else { // not written: all of them
					mergeOcc(&prof, name, had[j], time.Time{}, false)
				}
			}
		}
		if r.occ != nil {
			r.occ[i] = make([]occList, len(p.fields.Events))
			for j, name := range p.fields.Events {
				if readEvent[j] {
					r.occ[i][j] = occList{ts: prof.Events[name], det: prof.Details[name]}
				}
			}
		}
		r.keys[i] = prof.Key
		m.p = prof
		for k, name := range p.attrs {
			if !needAttr[k] {
				continue
			}
			s := &f.slots[k]
			s.def = p.defs[k]
			s.v, s.has = prof.Attrs[name]
			if s.has && !s.v.IsValid() {
				s.has = false
			}
		}
		word, b := i>>6, uint64(1)<<(i&63)
		for j, l := range p.leaves {
			if l.kind == nTag || read[j*words+word]&b == 0 {
				continue
			}
			in, err := m.match(l, &f)
			if err != nil {
				return fmt.Errorf("segment: watcher: customer %q: %s: %w", prof.Key, l.label, err)
			}
			if in {
				r.leaves[j*words+word] |= b
			}
		}
	}
	return nil
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

// mergeOcc sets p's occurrences of an event to those of had before from
// followed by those read (p.Events[name]), values and properties aligned;
// with read false, to all of had.
func mergeOcc(p *bitmapindex.Profile, name string, had occList, from time.Time, read bool) {
	var ts []time.Time
	var det []bitmapindex.EventDetail
	if read {
		ts, det = p.Events[name], p.Details[name]
	}
	k := len(had.ts)
	if read {
		k = 0
		for k < len(had.ts) && had.ts[k].Before(from) {
			k++
		}
	}
	if k == 0 {
		return
	}
	all := append(slices.Clip(had.ts[:k]), ts...)
	p.Events[name] = all
	if had.det == nil && det == nil {
		return
	}
	d := make([]bitmapindex.EventDetail, 0, len(all))
	if had.det != nil {
		d = append(d, had.det[:k]...)
	} else {
		d = append(d, make([]bitmapindex.EventDetail, k)...)
	}
	if det != nil {
		d = append(d, det...)
	} else {
		d = append(d, make([]bitmapindex.EventDetail, len(ts))...)
	}
	if p.Details == nil {
		p.Details = map[string][]bitmapindex.EventDetail{}
	}
	p.Details[name] = d
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
