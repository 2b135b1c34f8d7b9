package segment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// ChangeKind says whether a customer entered or left a segment.
type ChangeKind uint8

const (
	// Entered: the customer is a member now and was not before.
	Entered ChangeKind = iota + 1
	// Left: the customer was a member and is not now (deleted customers
	// leave every segment).
	Left
)

func (k ChangeKind) String() string {
	switch k {
	case Entered:
		return "entered"
	case Left:
		return "left"
	}
	return fmt.Sprintf("ChangeKind(%d)", uint8(k))
}

// Change is one transition of one customer in one segment. It is a plain
// value.
type Change struct {
	// Seq numbers the changes of a Watcher from 1, without gaps: it is the
	// cursor subscribers consume from.
	Seq     uint64
	Segment string
	Key     string
	// ID is the customer's ID in the index (the ID it had while a member,
	// for Left): bitmapindex IDs are never reused.
	ID   uint32
	Kind ChangeKind
	// At is the now of the evaluation that saw the change (the Watcher's
	// time when writes caused it, the Advance time when time did).
	At time.Time
}

// ErrOverflow is returned by Subscription.Next when the subscriber fell
// more than its buffer behind: the changes that did not fit were dropped
// (for that subscriber only; writers never wait for subscribers). The
// subscriber must call Subscription.Resync, which returns the full current
// membership to diff against what it knew, and continues after it.
var ErrOverflow = errors.New("segment: subscription buffer overflowed; Resync")

// Watcher is a live registry: it keeps the membership of every segment of a
// Registry over an Index current and emits a Change for each customer that
// enters or leaves a segment, exactly once per transition.
//
// Writes: Sync (or Run, which calls it whenever the index commits) takes the
// customers the batches since the last Sync touched (bitmapindex.Tracker)
// and re-evaluates only them: each distinct condition of the registry once
// per touched customer whose written fields a segment using it reads, on
// its profile after the writes and, for those fields, before them, and
// every segment's plan on those results in dependency order (watch_sync.go),
// so its cost is proportional to the writes and the conditions they reach,
// not to the index. Membership changes are queued and applied to the
// members a container at a time when something reads them (Members,
// Advance, a checkpoint) or when millions are queued. When the writes touch more than about 1 in
// 100 customers, evaluating every segment on the bitmaps and diffing is
// cheaper, and Sync does that instead (same changes).
//
// Time: the library never reads the clock; Advance(now) moves the
// Watcher's time. Segments whose rules depend on the evaluation time
// (events, within, daysSince, and inSegment references to such segments)
// are recomputed from their time conditions, each evaluated once at the new
// time, and only those with customers crossing a window edge (or written
// since) are diffed (watch_advance.go); segments that do not depend on time
// are not evaluated.
//
// Definition changes (Registry.DefineAll, Delete, a Freeze that changes a
// static segment) are noticed at the next Sync or Advance, which then
// evaluates every segment in full and emits the differences.
//
// Restarts: a Watcher from NewWatcher lives in memory; one from
// OpenWatcher, over a durable index, logs its changes in its own directory
// before handing them out, keeps its membership history there (History),
// and after a crash resumes where it stopped: subscribers continue from
// the cursor they acknowledged with SubscribeFrom, each change once.
//
// At every point the changes emitted so far equal the differences between
// the full evaluations (Registry.EvalAll) at the points the Watcher has
// seen. A Watcher is safe for concurrent use.
type Watcher struct {
	mu      sync.Mutex
	reg     *Registry
	tr      *bitmapindex.Tracker
	view    *bitmapindex.View
	now     time.Time
	regGen  uint64
	members map[string]*roaring.Bitmap // by segment: member IDs in view, but for pend
	pend    memberLog                  // membership changes Sync made, not yet applied to members
	seq     uint64
	err     error       // a failed Sync: members are unknown until a resync
	ixSeq   uint64      // the index's log sequence number of view (durable indexes)
	leaves  *timeLeaves // the time conditions at now, for Advance (nil: unknown)
	prog    *syncProg   // the registry compiled for Sync (nil: not yet)
	adv     advanceStats

	dur    *watchDur // OpenWatcher's directory, nil for NewWatcher
	hist   *History  // the persisted history of an OpenWatcher
	broken error     // a failed write to dur: the Watcher refuses to go on

	smu  sync.Mutex
	subs []*Subscription
}

// NewWatcher starts watching ix for the segments of reg at time now: it
// evaluates every segment once (the starting membership, emitted as no
// change) and tracks the index's writes from then on. Close it when done.
func NewWatcher(ctx context.Context, reg *Registry, ix *bitmapindex.Index, now time.Time) (*Watcher, error) {
	tr, v, seq := ix.TrackFromSeq()
	w := &Watcher{reg: reg, tr: tr, view: v, now: now}
	if err := w.full(ctx, v, seq, now, false); err != nil {
		tr.Close()
		return nil, err
	}
	return w, nil
}

// Close stops tracking the index and ends every subscription's Wait.
func (w *Watcher) Close() {
	w.tr.Close()
	w.mu.Lock()
	if w.dur != nil {
		w.dur.close()
	}
	w.mu.Unlock()
	w.smu.Lock()
	for _, s := range w.subs {
		s.close()
	}
	w.subs = nil
	w.smu.Unlock()
}

// Now returns the Watcher's time.
func (w *Watcher) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// Seq returns the sequence number of the last change emitted (0: none).
func (w *Watcher) Seq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// View returns the view the current membership was evaluated on.
func (w *Watcher) View() *bitmapindex.View {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.view
}

// Members returns the current members of a segment as a Set of View().
func (w *Watcher) Members(name string) (bitmapindex.Set, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.settle()
	bm, ok := w.members[name]
	if !ok {
		return bitmapindex.Set{}, false
	}
	return w.view.Wrap(bm.Clone()), true
}

// Run calls Sync whenever the index commits, until ctx is done (returning
// nil) or a Sync fails (returning its error).
func (w *Watcher) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.tr.C():
			if err := w.Sync(ctx); err != nil {
				return err
			}
		}
	}
}

// Sync re-evaluates the customers touched by the writes committed since
// the last Sync and emits their changes.
func (w *Watcher) Sync(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.syncLocked(ctx)
}

// Advance moves the Watcher's time to now (after a Sync of pending writes)
// and emits the changes time alone causes. Moving backwards is allowed
// (replays, corrections) and is handled the same way.
func (w *Watcher) Advance(ctx context.Context, now time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.syncLocked(ctx); err != nil {
		return err
	}
	if now.Equal(w.now) {
		return nil
	}
	w.settle()
	out, next, err := w.advanceLocked(ctx, now) // watch_advance.go
	if err != nil {
		w.leaves = nil
		return err
	}
	for name, bm := range next {
		w.members[name] = bm
	}
	w.now = now
	return w.emit(out)
}

// Resync evaluates every segment in full and emits the differences from
// the membership the Watcher holds (normally none); it is the recovery
// after an error, and what definition changes trigger.
func (w *Watcher) Resync(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken != nil {
		return w.broken
	}
	w.leaves = nil
	v, _, seq := w.tr.NextSeq()
	return w.full(ctx, v, seq, w.now, true)
}

// full evaluates every segment on v at now, emitting the differences from
// the current membership when emit is set.
func (w *Watcher) full(ctx context.Context, v *bitmapindex.View, seq uint64, now time.Time, emit bool) error {
	w.settle()
	st := w.reg.load()
	all, err := w.reg.EvalAll(ctx, v, now)
	if err != nil {
		w.err = err
		return err
	}
	next := make(map[string]*roaring.Bitmap, len(all))
	var out []Change
	for _, name := range topoOrder(st.defs) {
		bm := all[name].Bitmap().Clone()
		next[name] = bm
		if emit {
			out = w.diffInto(out, name, w.members[name], bm, w.view, v, now)
		}
	}
	for name, old := range w.members { // deleted definitions: their members left
		if _, ok := next[name]; !ok && emit {
			out = w.diffInto(out, name, old, roaring.New(), w.view, v, now)
		}
	}
	w.members, w.view, w.ixSeq, w.regGen, w.err = next, v, seq, st.gen, nil
	return w.emit(out)
}

// diffInto appends the changes from was (IDs of before) to is (IDs of
// after) of one segment. A customer keeps its ID while it lives, and IDs
// are never reused, so the two compare by ID; a key deleted and added again
// (a new ID) that is a member before and after has not changed, as for
// bitmapindex.Diff, which matches customers by key.
func (w *Watcher) diffInto(out []Change, name string, was, is *roaring.Bitmap, before, after *bitmapindex.View, at time.Time) []Change {
	return w.diffKeys(out, name, was, is, nil, before, after, at, nil)
}

// diffKeys is diffInto naming IDs from kc (nil: from the views; kc is for
// one view, before == after), given the customers who moved, x = was xor
// is, when known (nil: computed).
func (w *Watcher) diffKeys(out []Change, name string, was, is, x *roaring.Bitmap, before, after *bitmapindex.View, at time.Time, kc *keyCache) []Change {
	if was == nil {
		was = roaring.New()
	}
	var left, entered *roaring.Bitmap
	if x != nil { // few movers: two intersections with them instead of two differences of the whole sets
		left, entered = roaring.And(x, was), roaring.And(x, is)
	} else {
		left, entered = roaring.AndNot(was, is), roaring.AndNot(is, was)
	}
	var leftKeys map[string]int // position in out, when both are non-empty
	if before != after && !left.IsEmpty() && !entered.IsEmpty() {
		// (one view: a key has one ID, so nobody both leaves and enters)
		leftKeys = map[string]int{}
	}
	start := len(out)
	out = slices.Grow(out, int(left.GetCardinality()+entered.GetCardinality()))
	for id := range roaring.Values(left) {
		key := kc.key(before, id)
		if leftKeys != nil {
			leftKeys[key] = len(out)
		}
		out = append(out, Change{Segment: name, Key: key, ID: id, Kind: Left, At: at})
	}
	var stayed []int
	for id := range roaring.Values(entered) {
		key := kc.key(after, id)
		if i, ok := leftKeys[key]; ok {
			stayed = append(stayed, i)
			continue
		}
		out = append(out, Change{Segment: name, Key: key, ID: id, Kind: Entered, At: at})
	}
	if len(stayed) > 0 {
		drop := map[int]bool{}
		for _, i := range stayed {
			drop[i] = true
		}
		kept := out[:start]
		for i := start; i < len(out); i++ {
			if !drop[i] {
				kept = append(kept, out[i])
			}
		}
		out = kept
	}
	return out
}

// fullSyncRatio: Sync evaluates every segment in full (and diffs) instead
// of re-evaluating the touched customers when touched × fullSyncRatio ≥
// live customers. At 100,000 customers and 100 segments a batch touching
// 1,000 costs the same both ways (BenchmarkWatcherSync: 10.8 ms in full,
// 11.0 ms per customer), so the break-even is near 1 in 100. 0 turns the
// full path off (tests of the per-customer path).
var fullSyncRatio uint64 = 100

func (w *Watcher) syncLocked(ctx context.Context) error {
	if w.broken != nil {
		return w.broken
	}
	st := w.reg.load()
	if w.err != nil || st.gen != w.regGen {
		w.leaves = nil
		v, _, seq := w.tr.NextSeq()
		return w.full(ctx, v, seq, w.now, true)
	}
	v, tc, seq := w.tr.NextTouched()
	ids := tc.IDs
	if w.leaves != nil {
		w.leaves.touched.Or(ids)
	}
	if ids.IsEmpty() {
		w.view, w.ixSeq = v, seq
		return nil
	}
	if fullSyncRatio > 0 && ids.GetCardinality()*fullSyncRatio >= uint64(v.Len()) {
		// so many customers touched that evaluating every segment on the
		// bitmaps and diffing is cheaper than matching them one by one
		return w.full(ctx, v, seq, w.now, true)
	}
	out, err := w.syncTouched(ctx, st, v, tc) // watch_sync.go
	if err != nil {
		w.err = err
		return err
	}
	w.view, w.ixSeq = v, seq
	return w.emit(out)
}

// keyCache holds the keys of a range of IDs of one view, each decoded once
// in ID order: Advance names millions of changes, the same customers in
// many segments, and a key lookup at random is a few cache misses.
type keyCache struct {
	lo   uint32
	keys []string
}

// keyCacheMin is the number of changes from which Advance decodes their
// keys once (a variable for tests).
var keyCacheMin = 1 << 16

// newKeyCache decodes the keys of ids (of v) when they are dense enough in
// their range for a slice over it, else returns nil.
func newKeyCache(v *bitmapindex.View, ids *roaring.Bitmap, uses int) *keyCache {
	n := ids.GetCardinality()
	if n == 0 || uses < keyCacheMin {
		return nil
	}
	lo, hi := ids.Minimum(), ids.Maximum()
	if uint64(hi-lo) >= 16*n {
		return nil
	}
	kc := &keyCache{lo: lo, keys: make([]string, hi-lo+1)}
	for id := range roaring.Values(ids) {
		kc.keys[id-lo] = keyOf(v, id)
	}
	return kc
}

// key names id like keyOf (entered customers are live, so the same).
func (kc *keyCache) key(v *bitmapindex.View, id uint32) string {
	if kc != nil && id >= kc.lo && int(id-kc.lo) < len(kc.keys) {
		if k := kc.keys[id-kc.lo]; k != "" {
			return k
		}
	}
	return keyOf(v, id)
}

// keyOf names an ID of v, a customer deleted since included when v still
// knows its key (a checkpoint of the index keeps only live customers' keys;
// such a Change has an empty Key and its ID).
func keyOf(v *bitmapindex.View, id uint32) string {
	if k, ok := v.Key(id); ok {
		return k
	}
	k, _ := v.KeyOf(id)
	return k
}

// timeDependent reports, per segment, whether its membership can change
// with the evaluation time alone.
func timeDependent(st *regState) map[string]bool {
	out := map[string]bool{}
	for _, name := range topoOrder(st.defs) { // references first
		e := st.defs[name]
		if e.def.Static {
			continue
		}
		out[name] = usesTime(e.rule.root, out)
	}
	return out
}

func usesTime(n *pnode, refs map[string]bool) bool {
	switch n.kind {
	case nDid, nCount, nFirst, nSum, nAvg, nThen:
		return true
	case nRef:
		return refs[n.name]
	case nScalar:
		if scalarUsesTime(n.sc) {
			return true
		}
	case nIn:
		for i := range n.items {
			if scalarUsesTime(&n.items[i]) {
				return true
			}
		}
	}
	for _, k := range n.kids {
		if usesTime(k, refs) {
			return true
		}
	}
	for _, k := range n.neg {
		if usesTime(k, refs) {
			return true
		}
	}
	return false
}

func scalarUsesTime(sc *scalar) bool {
	return sc != nil && (sc.form == formDaysCmp || sc.form == formDaysRange || sc.form == formWithin)
}

// ---- subscriptions ------------------------------------------------------------

// Subscription receives a Watcher's changes in sequence order through a
// bounded buffer. Emitting never waits for it: when the buffer is full the
// subscription is marked overflowed, later changes are dropped for it, and
// its Next returns ErrOverflow until Resync. It is safe for concurrent use.
type Subscription struct {
	w      *Watcher
	mu     sync.Mutex
	buf    changeQueue
	max    int
	cursor uint64 // Seq of the last change consumed (or resynced to)
	over   bool
	closed bool
	notify chan struct{}
}

// Subscribe returns a subscription that receives the changes emitted after
// the call, holding at most buffer of them unconsumed (at least 1).
func (w *Watcher) Subscribe(buffer int) *Subscription {
	w.mu.Lock() // no emission between reading seq and registering
	defer w.mu.Unlock()
	s := &Subscription{w: w, max: max(buffer, 1), cursor: w.seq, notify: make(chan struct{}, 1)}
	w.smu.Lock()
	w.subs = append(w.subs, s)
	w.smu.Unlock()
	return s
}

// emit numbers changes, records them (an OpenWatcher's log, on stable
// storage before anyone sees them; its history) and hands them to every
// subscription. w.mu is held and the Watcher's state already includes them.
func (w *Watcher) emit(out []Change) error {
	if len(out) == 0 && (w.dur == nil || w.now.Equal(w.dur.now)) {
		return nil
	}
	for i := range out {
		w.seq++
		out[i].Seq = w.seq
	}
	if w.dur != nil {
		if err := w.dur.record(w, out); err != nil {
			w.broken = fmt.Errorf("segment: watcher: %w (Close it and OpenWatcher again)", err)
			return w.broken
		}
	}
	if w.hist != nil {
		w.hist.Apply(out...)
	}
	if len(out) == 0 {
		return nil
	}
	c := &changeChunk{cs: out}
	c.refs.Store(1) // the emitter's, until every subscription has it
	w.smu.Lock()
	defer w.smu.Unlock()
	for _, s := range w.subs {
		s.offer(c)
	}
	c.refs.Add(-1)
	return nil
}

func (s *Subscription) offer(out *changeChunk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over || s.closed {
		return
	}
	if s.buf.len()+len(out.cs) > s.max {
		s.over = true
		s.buf.release()
	} else {
		s.buf.push(out)
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// changeQueue holds a subscription's unconsumed changes as the slices the
// Watcher emitted, shared by every subscription and never modified:
// offering a day's millions of changes to subscribers copies nothing, and
// Next copies what it returns once, or not at all when it takes a whole
// emission that no other subscription still holds.
type changeQueue struct {
	chunks []*changeChunk
	head   int // consumed of chunks[0]
	n      int
}

// changeChunk is one emission. refs counts its holders: the subscriptions
// that queued it and have not consumed it, plus the emitter while it
// offers it to them.
type changeChunk struct {
	cs   []Change
	refs atomic.Int32
}

func (q *changeQueue) len() int { return q.n }

func (q *changeQueue) push(c *changeChunk) {
	c.refs.Add(1)
	q.chunks = append(q.chunks, c)
	q.n += len(c.cs)
}

// release drops every queued chunk (an overflow, a Resync).
func (q *changeQueue) release() {
	for _, c := range q.chunks {
		c.refs.Add(-1)
	}
	*q = changeQueue{}
}

// pop removes and returns the first n changes (n ≤ len), as a slice the
// caller owns.
func (q *changeQueue) pop(n int) []Change {
	if n > 0 && q.head == 0 && len(q.chunks[0].cs) == n {
		c := q.chunks[0]
		q.chunks[0] = nil
		q.chunks, q.n = q.chunks[1:], q.n-n
		if c.refs.Load() == 1 { // the last holder (the emitter is done with it)
			c.refs.Store(0)
			return c.cs
		}
		out := slices.Clone(c.cs)
		c.refs.Add(-1)
		return out
	}
	out := make([]Change, 0, n)
	for len(out) < n {
		c := q.chunks[0]
		part := c.cs[q.head:]
		k := min(len(part), n-len(out))
		out = append(out, part[:k]...)
		if q.head += k; q.head == len(c.cs) {
			c.refs.Add(-1)
			q.chunks[0] = nil
			q.chunks, q.head = q.chunks[1:], 0
		}
	}
	q.n -= n
	return out
}

func (s *Subscription) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.notify)
	}
}

// C returns a channel that receives a value when changes (or an overflow)
// are waiting, and is closed when the Watcher is closed.
func (s *Subscription) C() <-chan struct{} { return s.notify }

// Next returns up to n waiting changes (all when n ≤ 0) in sequence order
// and moves the cursor past them; none waiting is an empty result. After an
// overflow it returns ErrOverflow until Resync.
func (s *Subscription) Next(n int) ([]Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over {
		return nil, fmt.Errorf("%w (after change %d)", ErrOverflow, s.cursor)
	}
	if n <= 0 || n > s.buf.len() {
		n = s.buf.len()
	}
	out := s.buf.pop(n)
	if n > 0 {
		s.cursor = out[n-1].Seq
	}
	return out, nil
}

// Cursor returns the Seq of the last change consumed (or resynced to).
func (s *Subscription) Cursor() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// Snapshot is the full membership of every segment at one point of a
// Watcher's stream: the changes with Seq ≤ Seq are reflected in it, later
// ones are not.
type Snapshot struct {
	Seq     uint64
	View    *bitmapindex.View
	Now     time.Time
	Members map[string]bitmapindex.Set
}

// Resync recovers from an overflow (or starts over): it returns the full
// current membership and clears the buffer, so that Next continues with
// the changes after Snapshot.Seq. The subscriber diffs the snapshot against
// what it knew (bitmapindex.Diff per segment) to learn what it missed.
func (s *Subscription) Resync() Snapshot {
	w := s.w
	w.mu.Lock() // no emission meanwhile
	defer w.mu.Unlock()
	w.settle()
	snap := Snapshot{Seq: w.seq, View: w.view, Now: w.now, Members: make(map[string]bitmapindex.Set, len(w.members))}
	for name, bm := range w.members {
		snap.Members[name] = w.view.Wrap(bm.Clone())
	}
	s.mu.Lock()
	s.buf.release()
	s.over, s.cursor = false, w.seq
	s.mu.Unlock()
	return snap
}
