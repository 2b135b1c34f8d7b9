package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// History is the membership history of a Watcher's segments: per segment
// and day (in the index's zone), the customers who entered and who left, as
// bitmaps of IDs, and the size at the end of each day. It is fed with the
// Watcher's changes (Apply, normally from a Subscription), so it costs
// memory proportional to the transitions, compressed, never a copy of the
// members per day. It is safe for concurrent use.
//
// A customer who entered and left on one day is in both that day's entered
// and left sets. Sizes assume the Watcher's time moves forward (an Advance
// backwards records its changes on the earlier day). A History from
// NewHistory is kept in memory; the one of a Watcher opened with
// OpenWatcher (Watcher.History) is persisted in the Watcher's directory, in
// its checkpoints and its log.
type History struct {
	mu   sync.Mutex
	zone *segkit.Zone
	segs map[string]*segHistory
}

type segHistory struct {
	start     segkit.Day // the day the history begins; sizes before it are unknown
	startSize int        // members at the start
	size      int        // members now
	days      map[segkit.Day]*dayHistory
	open      *dayHistory // the day with bitmaps (the others are sealed)
}

// dayHistory is one day of a segment. The day being written holds
// bitmaps; the others are sealed: kept in roaring's portable encoding
// (about half the memory of the bitmaps), read in place by queries.
type dayHistory struct {
	entered, left *roaring.Bitmap // nil when sealed
	enc           []byte          // sealed: the portable encodings, entered then left
	split         int             // where left's begins in enc
	size          int             // at the end of the day (after its last change)
}

func (dh *dayHistory) seal() {
	if dh.entered == nil {
		return
	}
	e, l := dh.entered.GetSerializedSizeInBytes(), dh.left.GetSerializedSizeInBytes()
	buf := bytes.NewBuffer(make([]byte, 0, e+l))
	_, _ = dh.entered.WriteTo(buf) // to memory: cannot fail
	_, _ = dh.left.WriteTo(buf)
	dh.enc, dh.split = buf.Bytes(), int(e)
	dh.entered, dh.left = nil, nil
}

func (dh *dayHistory) open() {
	if dh.entered != nil {
		return
	}
	dh.entered, dh.left = roaring.New(), roaring.New()
	// the encodings were written by seal or checked when read
	_ = dh.entered.UnmarshalBinary(dh.enc[:dh.split])
	_ = dh.left.UnmarshalBinary(dh.enc[dh.split:])
	dh.enc = nil
}

// view returns the entered or left set for reading.
func (dh *dayHistory) view(left bool) *roaring.Bitmap {
	if dh.entered != nil {
		if left {
			return dh.left
		}
		return dh.entered
	}
	enc := dh.enc[:dh.split]
	if left {
		enc = dh.enc[dh.split:]
	}
	bm := roaring.New()
	if _, err := bm.FromBuffer(enc); err != nil {
		return roaring.New() // not reached: checked when read
	}
	return bm
}

// NewHistory starts a history at the Watcher's current membership and day.
// Feed it every change the Watcher emits from now on (Subscribe before
// NewHistory, or at the same cursor, so that none is missed).
func NewHistory(w *Watcher) *History {
	w.mu.Lock()
	defer w.mu.Unlock()
	return newHistoryLocked(w)
}

func newHistoryLocked(w *Watcher) *History {
	z := w.view.Zone()
	h := &History{zone: z, segs: map[string]*segHistory{}}
	today := z.DayOf(w.now)
	for name, bm := range w.members {
		n := int(bm.GetCardinality())
		h.segs[name] = &segHistory{start: today, startSize: n, size: n, days: map[segkit.Day]*dayHistory{}}
	}
	return h
}

// Apply records changes, in sequence order. A segment it has not seen (a
// new definition) starts empty on the day of its first change.
func (h *History) Apply(changes ...Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range changes {
		d := h.zone.DayOf(c.At)
		s := h.segs[c.Segment]
		if s == nil {
			s = &segHistory{start: d, days: map[segkit.Day]*dayHistory{}}
			h.segs[c.Segment] = s
		}
		dh := s.days[d]
		if dh == nil {
			dh = &dayHistory{entered: roaring.New(), left: roaring.New()}
			s.days[d] = dh
		}
		if s.open != dh {
			if s.open != nil {
				s.open.seal()
			}
			dh.open()
			s.open = dh
		}
		if c.Kind == Entered {
			dh.entered.Add(c.ID)
			s.size++
		} else {
			dh.left.Add(c.ID)
			s.size--
		}
		dh.size = s.size
		if d < s.start {
			s.start = d
		}
	}
}

// ErrNoHistory: the segment has no recorded history.
var ErrNoHistory = fmt.Errorf("segment: no history for the segment")

// Entered returns the IDs of the customers who entered the segment on the
// days from..to (inclusive): "who entered sleeping_high_value between Nov 1
// and Nov 7". Keys: bitmapindex.View.KeyOf names them, deleted ones too.
func (h *History) Entered(segment string, from, to segkit.Day) (*roaring.Bitmap, error) {
	return h.collect(segment, from, to, func(d *dayHistory) *roaring.Bitmap { return d.view(false) })
}

// Left returns the IDs of the customers who left the segment on the days
// from..to (inclusive).
func (h *History) Left(segment string, from, to segkit.Day) (*roaring.Bitmap, error) {
	return h.collect(segment, from, to, func(d *dayHistory) *roaring.Bitmap { return d.view(true) })
}

func (h *History) collect(segment string, from, to segkit.Day, part func(*dayHistory) *roaring.Bitmap) (*roaring.Bitmap, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.segs[segment]
	if s == nil {
		return nil, fmt.Errorf("%w %q", ErrNoHistory, segment)
	}
	var parts []*roaring.Bitmap
	if int64(to)-int64(from) < int64(len(s.days)) {
		for d := from; d <= to; d++ {
			if dh := s.days[d]; dh != nil {
				parts = append(parts, part(dh))
			}
		}
	} else {
		for d, dh := range s.days {
			if d >= from && d <= to {
				parts = append(parts, part(dh))
			}
		}
	}
	return roaring.FastOr(parts...), nil
}

// DaySize is a segment's size at the end of a day.
type DaySize struct {
	Day  segkit.Day
	Size int
}

// Sizes returns the segment's size at the end of each day from..to
// (inclusive; "size of each segment by day for the last 90 days"). Days
// before the history began are left out.
func (h *History) Sizes(segment string, from, to segkit.Day) ([]DaySize, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.segs[segment]
	if s == nil {
		return nil, fmt.Errorf("%w %q", ErrNoHistory, segment)
	}
	days := make([]segkit.Day, 0, len(s.days))
	for d := range s.days {
		days = append(days, d)
	}
	slices.Sort(days)
	size := s.startSize
	i := 0
	var out []DaySize
	for d := max(from, s.start); d <= to; d++ {
		for i < len(days) && days[i] <= d {
			size = s.days[days[i]].size
			i++
		}
		out = append(out, DaySize{Day: d, Size: size})
	}
	return out, nil
}

// appendTo encodes the history (segments and days in order).
func (h *History) appendTo(b []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(h.segs))
	for n := range h.segs {
		names = append(names, n)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		s := h.segs[n]
		b = appendString(b, n)
		b = binary.AppendVarint(b, int64(s.start))
		b = binary.AppendVarint(b, int64(s.startSize))
		b = binary.AppendVarint(b, int64(s.size))
		days := make([]segkit.Day, 0, len(s.days))
		for d := range s.days {
			days = append(days, d)
		}
		slices.Sort(days)
		b = binary.AppendUvarint(b, uint64(len(days)))
		for _, d := range days {
			dh := s.days[d]
			b = binary.AppendVarint(b, int64(d))
			b = binary.AppendVarint(b, int64(dh.size))
			if dh.entered != nil {
				b = appendBitmap(b, dh.entered)
				b = appendBitmap(b, dh.left)
			} else {
				b = appendString(b, string(dh.enc[:dh.split]))
				b = appendString(b, string(dh.enc[dh.split:]))
			}
		}
	}
	return b
}

func readHistory(r *decoder, z *segkit.Zone) (*History, error) {
	h := &History{zone: z, segs: map[string]*segHistory{}}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		return nil, io.ErrUnexpectedEOF
	}
	for range n {
		name := string(r.bytes())
		s := &segHistory{start: segkit.Day(r.varint()), startSize: int(r.varint()), size: int(r.varint()), days: map[segkit.Day]*dayHistory{}}
		nd := r.uvarint()
		if r.err == nil && nd > uint64(len(r.b)) {
			return nil, io.ErrUnexpectedEOF
		}
		for range nd {
			d := segkit.Day(r.varint())
			dh := &dayHistory{size: int(r.varint())}
			e, l := r.portable(), r.portable()
			if r.err != nil {
				return nil, r.err
			}
			enc := make([]byte, 0, len(e)+len(l)) // a copy: e and l are in the decoder's buffer
			dh.enc, dh.split = append(append(enc, e...), l...), len(e)
			s.days[d] = dh
		}
		if r.err != nil {
			return nil, r.err
		}
		h.segs[name] = s
	}
	return h, r.err
}
