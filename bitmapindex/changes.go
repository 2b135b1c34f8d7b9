package bitmapindex

import (
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Tracker reports which customers the writes to an index touched: every
// customer a committed batch (or single write) added, deleted, tagged,
// untagged, set, cleared or recorded an event for, by ID. It is what a live
// consumer (segment.Watcher) needs to re-evaluate only the customers whose
// membership can have changed: the cost of tracking is proportional to the
// writes (a sorted append per write and one bitmap union per batch), never to
// the index.
//
// Touched IDs accumulate from Track until Next, then from one Next to the
// following one, so a consumer that calls Next less often than the index
// commits gets the union over every batch in between. A Tracker is safe for
// concurrent use; Close it when done, or the index keeps accumulating for it.
type Tracker struct {
	ix      *Index
	pending *Touched // guarded by ix.mu
	notify  chan struct{}
	closed  bool // guarded by ix.mu
}

// Track starts tracking the customers written from now on. The first Next
// returns the IDs touched by writes committed after Track returned.
func (ix *Index) Track() *Tracker {
	t := &Tracker{ix: ix, pending: newTouched(), notify: make(chan struct{}, 1)}
	ix.mu.Lock()
	ix.trackers = append(ix.trackers, t)
	ix.mu.Unlock()
	return t
}

// TrackFrom is Track together with the view it starts from: the view holds
// every write committed before tracking began, so a consumer evaluating it
// and then calling Next misses no write and sees none twice.
func (ix *Index) TrackFrom() (*Tracker, *View) {
	t := &Tracker{ix: ix, pending: newTouched(), notify: make(chan struct{}, 1)}
	ix.mu.Lock()
	ix.trackers = append(ix.trackers, t)
	v := ix.viewLocked()
	ix.mu.Unlock()
	return t, v
}

// Next returns a view holding every write committed so far and the IDs of
// the customers touched since the previous Next (or since tracking
// started), taken atomically: the view holds exactly the writes whose
// touched IDs are reported by this and earlier calls. The bitmap is the
// caller's; it may hold IDs that are not live in the view (customers deleted
// since), which are then live in the earlier view a consumer compares with.
// After Close, Next returns the current view and an empty bitmap.
func (t *Tracker) Next() (*View, *roaring.Bitmap) {
	v, tc, _ := t.NextTouched()
	return v, tc.IDs
}

// Touched is what the writes between two calls of Tracker.NextTouched
// touched, by field. A customer live in both views that is not in
// Tags[name] (Attrs[name], Events[name]) has the tag (attribute value,
// occurrences of the event) in both or in neither (the same in both): a consumer that re-evaluates rules for the touched
// customers needs to read, in the earlier view, only what changed.
//
// Customers added or deleted are in IDs (their fields are all new or all
// gone). The bitmaps and slices are the caller's.
type Touched struct {
	IDs    *roaring.Bitmap            // every customer touched (what Next returns)
	Tags   map[string]*roaring.Bitmap // by tag: added or removed
	Attrs  map[string]*roaring.Bitmap // by attribute: set or cleared
	Events map[string]*roaring.Bitmap // by event: an occurrence recorded
	// Days lists, by event, the days occurrences were recorded on,
	// ascending: the only days whose occurrences of the customers in
	// Events[name] differ.
	Days map[string][]segkit.Day
}

func newTouched() *Touched {
	return &Touched{IDs: roaring.New(), Tags: map[string]*roaring.Bitmap{}, Attrs: map[string]*roaring.Bitmap{},
		Events: map[string]*roaring.Bitmap{}, Days: map[string][]segkit.Day{}}
}

// NextTouched is NextSeq with what was touched by field.
func (t *Tracker) NextTouched() (*View, *Touched, uint64) {
	ix := t.ix
	ix.mu.Lock()
	defer ix.mu.Unlock()
	tc := t.pending
	t.pending = newTouched()
	select { // a signal for what this call returns is consumed with it
	case <-t.notify:
	default:
	}
	return ix.viewLocked(), tc, ix.logSeqLocked()
}

// C returns a channel that receives a value (without blocking the writer:
// the channel holds one) when writes were committed since the last Next.
func (t *Tracker) C() <-chan struct{} { return t.notify }

// Close stops tracking; it is idempotent.
func (t *Tracker) Close() {
	ix := t.ix
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	ix.trackers = slices.DeleteFunc(ix.trackers, func(x *Tracker) bool { return x == t })
	t.pending = newTouched()
}

// noteTouched adds a batch's touched IDs (in any order, possibly repeated)
// and its writes by field (tc, without IDs) to every tracker. It runs with
// ix.mu held, after the batch is applied.
func (ix *Index) noteTouched(ids []uint32, tc *Touched) {
	if len(ids) == 0 {
		return
	}
	add := sortedBitmap(ids)
	for _, t := range ix.trackers {
		p := t.pending
		p.IDs.Or(add)
		for name, b := range tc.Tags {
			orInto(p.Tags, name, b)
		}
		for name, b := range tc.Attrs {
			orInto(p.Attrs, name, b)
		}
		for name, b := range tc.Events {
			orInto(p.Events, name, b)
		}
		for name, days := range tc.Days {
			p.Days[name] = mergeDays(p.Days[name], days)
		}
		select {
		case t.notify <- struct{}{}:
		default:
		}
	}
}

func orInto(m map[string]*roaring.Bitmap, name string, b *roaring.Bitmap) {
	if x := m[name]; x != nil {
		x.Or(b)
	} else {
		m[name] = b.Clone()
	}
}

// mergeDays returns the ascending union of two ascending day lists.
func mergeDays(a, b []segkit.Day) []segkit.Day {
	out := make([]segkit.Day, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0] < b[0]):
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}

// batchTouched returns a batch's writes by field, from its buffers (before
// they are applied).
func batchTouched(tags map[string]*tagBuf, attrs map[string]*attrBuf, events map[string]map[segkit.Day]*dayBuf) *Touched {
	tc := &Touched{Tags: make(map[string]*roaring.Bitmap, len(tags)), Attrs: make(map[string]*roaring.Bitmap, len(attrs)),
		Events: make(map[string]*roaring.Bitmap, len(events)), Days: make(map[string][]segkit.Day, len(events))}
	for name, t := range tags {
		tc.Tags[name] = roaring.BitmapOf(t.ids...) // (any order)
	}
	for name, a := range attrs {
		tc.Attrs[name] = roaring.BitmapOf(a.ids...)
	}
	for name, days := range events {
		b := roaring.New()
		for _, d := range days {
			b.AddMany(d.ids)
		}
		tc.Events[name] = b
		tc.Days[name] = slices.Sorted(maps.Keys(days))
	}
	return tc
}

// KeyOf returns the key of any ID the index had assigned when the view was
// taken, including customers deleted since (IDs are never reused, so an ID
// names one customer forever): what a record of past changes, kept by ID,
// needs to name the customers who left by being deleted.
func (v *View) KeyOf(id uint32) (string, bool) { return v.keys.key(id) }

// NextSeq is Next together with the sequence number of the last log record
// the view holds (the durable index's write-ahead log; 0 for an index
// opened without a directory), taken atomically: what a consumer that
// records how far it has processed the index needs to resume after a
// restart (segment.OpenWatcher).
func (t *Tracker) NextSeq() (*View, *roaring.Bitmap, uint64) {
	v, tc, seq := t.NextTouched()
	return v, tc.IDs, seq
}

// TrackFromSeq is TrackFrom together with the sequence number of the last
// log record the view holds (0 for an index without a directory).
func (ix *Index) TrackFromSeq() (*Tracker, *View, uint64) {
	t := &Tracker{ix: ix, pending: newTouched(), notify: make(chan struct{}, 1)}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.trackers = append(ix.trackers, t)
	return t, ix.viewLocked(), ix.logSeqLocked()
}

func (ix *Index) logSeqLocked() uint64 {
	if ix.dur == nil {
		return 0
	}
	return ix.dur.seq
}

// SyncLog returns once the log records up to seq (a sequence number from
// NextSeq or TrackFromSeq) are on stable storage, whatever the index's
// SyncPolicy: a consumer that persists what it derived from those writes
// calls it first, so that a crash can never leave it ahead of the index.
// It does nothing for an index without a directory.
func (ix *Index) SyncLog(seq uint64) error {
	ix.mu.Lock()
	d := ix.dur
	if d == nil || seq == 0 {
		ix.mu.Unlock()
		return nil
	}
	if d.closed {
		ix.mu.Unlock()
		return ErrClosed
	}
	l := d.log
	ix.mu.Unlock()
	return l.flush(seq, true)
}
