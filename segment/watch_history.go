package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// History is the membership history of a Watcher's segments: per segment
// and day (in the index's zone), the customers who entered and who left, as
// bitmaps of IDs, and the size at the end of each day. It is fed with the
// Watcher's changes (Apply, normally from a Subscription), so it costs
// space proportional to the transitions, compressed, never a copy of the
// members per day. It is safe for concurrent use.
//
// A customer who entered and left on one day is in both that day's entered
// and left sets. Sizes assume the Watcher's time moves forward (an Advance
// backwards records its changes on the earlier day).
//
// The day being written holds bitmaps; the others are sealed: their
// entered and left sets encoded (roaring's portable format) in a store and
// read from it by queries. A History from NewHistory keeps that store in
// memory. The History of a Watcher opened with OpenWatcher
// (Watcher.History) keeps it in a file of the Watcher's directory
// (history.dat, appended to, each day's sets written once with a checksum
// when the day is sealed), so that its memory is a few dozen bytes per
// segment and day plus the open day, however many customers change, and a
// checkpoint writes where each day is, not the days again.
type History struct {
	mu    sync.Mutex
	zone  *segkit.Zone
	segs  map[string]*segHistory
	store *histStore
}

type segHistory struct {
	start     segkit.Day // the day the history begins; sizes before it are unknown
	startSize int        // members at the start
	size      int        // members now
	days      []dayHistory
	// the open day: days[open], with its sets as bitmaps (-1: none)
	open          int
	entered, left *roaring.Bitmap
}

// dayHistory is one day of a segment: 24 bytes, whatever its changes.
type dayHistory struct {
	off   int64 // sealed: where its encoding is in the store
	day   segkit.Day
	size  uint32 // members at the end of the day (after its last change)
	n     uint32 // sealed: the length of the encoding
	split uint32 // sealed: where left's encoding begins
}

// find returns the index of day d in s.days, or where it would go.
func (s *segHistory) find(d segkit.Day) (int, bool) {
	i := sort.Search(len(s.days), func(i int) bool { return s.days[i].day >= d })
	return i, i < len(s.days) && s.days[i].day == d
}

// seal writes the open day's sets to the store.
func (h *History) seal(s *segHistory) {
	if s.open < 0 {
		return
	}
	dh := &s.days[s.open]
	e, l := s.entered.GetSerializedSizeInBytes(), s.left.GetSerializedSizeInBytes()
	buf := bytes.NewBuffer(make([]byte, 0, e+l))
	_, _ = s.entered.WriteTo(buf) // to memory: cannot fail
	_, _ = s.left.WriteTo(buf)
	dh.off = h.store.put(buf.Bytes())
	dh.n, dh.split = uint32(buf.Len()), uint32(e)
	s.open, s.entered, s.left = -1, nil, nil
}

// openDay makes day i of s the open one, reading its sets back if it was
// sealed (an Advance backwards).
func (h *History) openDay(s *segHistory, i int) {
	h.seal(s)
	s.open = i
	s.entered, s.left = roaring.New(), roaring.New()
	if dh := &s.days[i]; dh.n > 0 {
		enc, err := h.store.get(dh.off, dh.n)
		if err == nil {
			err = s.entered.UnmarshalBinary(enc[:dh.split])
		}
		if err == nil {
			err = s.left.UnmarshalBinary(enc[dh.split:])
		}
		if err != nil && h.store.err == nil { // the day's earlier changes are lost: say so at the next checkpoint
			h.store.err = fmt.Errorf("segment: history: day %s: %w", dh.day, err)
		}
		dh.n = 0
	}
}

// set returns the entered or left set of day i for reading.
func (h *History) set(s *segHistory, i int, left bool) (*roaring.Bitmap, error) {
	if i == s.open {
		if left {
			return s.left, nil
		}
		return s.entered, nil
	}
	dh := s.days[i]
	if dh.n == 0 {
		return roaring.New(), nil
	}
	enc, err := h.store.get(dh.off, dh.n)
	if err != nil {
		return nil, err
	}
	if left {
		enc = enc[dh.split:]
	} else {
		enc = enc[:dh.split]
	}
	bm := roaring.New()
	if _, err := bm.FromBuffer(enc); err != nil {
		return nil, fmt.Errorf("segment: history: day %s: %w", dh.day, err)
	}
	return bm, nil
}

// NewHistory starts a history at the Watcher's current membership and day.
// Feed it every change the Watcher emits from now on (Subscribe before
// NewHistory, or at the same cursor, so that none is missed).
func NewHistory(w *Watcher) *History {
	w.mu.Lock()
	defer w.mu.Unlock()
	return newHistoryLocked(w, &histStore{})
}

func newHistoryLocked(w *Watcher, st *histStore) *History {
	w.settle()
	z := w.view.Zone()
	h := &History{zone: z, segs: map[string]*segHistory{}, store: st}
	today := z.DayOf(w.now)
	for name, bm := range w.members {
		n := int(bm.GetCardinality())
		h.segs[name] = &segHistory{start: today, startSize: n, size: n, open: -1}
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
			s = &segHistory{start: d, open: -1}
			h.segs[c.Segment] = s
		}
		if s.open < 0 || s.days[s.open].day != d {
			i, ok := s.find(d)
			if !ok {
				if s.open >= i {
					s.open++
				}
				s.days = slices.Insert(s.days, i, dayHistory{day: d})
			}
			h.openDay(s, i)
		}
		if c.Kind == Entered {
			s.entered.Add(c.ID)
			s.size++
		} else {
			s.left.Add(c.ID)
			s.size--
		}
		s.days[s.open].size = uint32(max(s.size, 0))
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
	return h.collect(segment, from, to, false)
}

// Left returns the IDs of the customers who left the segment on the days
// from..to (inclusive).
func (h *History) Left(segment string, from, to segkit.Day) (*roaring.Bitmap, error) {
	return h.collect(segment, from, to, true)
}

func (h *History) collect(segment string, from, to segkit.Day, left bool) (*roaring.Bitmap, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.segs[segment]
	if s == nil {
		return nil, fmt.Errorf("%w %q", ErrNoHistory, segment)
	}
	var parts []*roaring.Bitmap
	for i, _ := s.find(from); i < len(s.days) && s.days[i].day <= to; i++ {
		bm, err := h.set(s, i, left)
		if err != nil {
			return nil, err
		}
		parts = append(parts, bm)
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
	size := s.startSize
	i := 0
	var out []DaySize
	for d := max(from, s.start); d <= to; d++ {
		for i < len(s.days) && s.days[i].day <= d {
			size = int(s.days[i].size)
			i++
		}
		out = append(out, DaySize{Day: d, Size: size})
	}
	return out, nil
}

// Encoding (in a Watcher's checkpoint): per segment its start, start size
// and size, then per day (ascending) the day, its size and either its sets
// inline (histInline: the portable encodings of entered and left) or where
// they are in the history file (histRef: offset, length, split). Version 1
// checkpoints (watchMagicV1) hold every day inline without the kind byte.
const (
	histInline = 0
	histRef    = 1
)

// appendTo encodes the history (segments and days in order). refs writes
// the sealed days of a file store as references: sync the store first.
func (h *History) appendTo(b []byte, refs bool) []byte {
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
		b = binary.AppendUvarint(b, uint64(len(s.days)))
		for i, dh := range s.days {
			b = binary.AppendVarint(b, int64(dh.day))
			b = binary.AppendVarint(b, int64(dh.size))
			if refs && i != s.open && dh.n > 0 && dh.off >= 0 {
				b = append(b, histRef)
				b = binary.AppendUvarint(b, uint64(dh.off))
				b = binary.AppendUvarint(b, uint64(dh.n))
				b = binary.AppendUvarint(b, uint64(dh.split))
				continue
			}
			b = append(b, histInline)
			e, _ := h.set(s, i, false)
			if e == nil { // unreadable (reported by the queries): empty
				e = roaring.New()
			}
			l, _ := h.set(s, i, true)
			if l == nil {
				l = roaring.New()
			}
			b = appendBitmap(b, e)
			b = appendBitmap(b, l)
		}
	}
	return b
}

// readHistory decodes a history into store. Days held inline are written
// to the store after the checks (the references were checked against it:
// see histStore.trim), the last day of each segment left open.
func readHistory(r *decoder, z *segkit.Zone, st *histStore, v1 bool) (*History, error) {
	h := &History{zone: z, segs: map[string]*segHistory{}, store: st}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		return nil, io.ErrUnexpectedEOF
	}
	type inline struct {
		s    *segHistory
		i    int
		e, l []byte
	}
	var pending []inline
	for range n {
		name := string(r.bytes())
		s := &segHistory{start: segkit.Day(r.varint()), startSize: int(r.varint()), size: int(r.varint()), open: -1}
		nd := r.uvarint()
		if r.err == nil && nd > uint64(len(r.b)) {
			return nil, io.ErrUnexpectedEOF
		}
		s.days = make([]dayHistory, 0, nd)
		for i := range int(nd) {
			dh := dayHistory{day: segkit.Day(r.varint())}
			size := r.varint()
			if r.err == nil && (size < 0 || size > 1<<32-1) {
				return nil, fmt.Errorf("day %d: size %d", dh.day, size)
			}
			if r.err == nil && i > 0 && dh.day <= s.days[i-1].day {
				return nil, fmt.Errorf("day %d after day %d", dh.day, s.days[i-1].day)
			}
			dh.size = uint32(size)
			kind := byte(histInline)
			if !v1 {
				kind = r.byte()
			}
			switch {
			case r.err != nil:
			case kind == histRef:
				off, ln, split := r.uvarint(), r.uvarint(), r.uvarint()
				if r.err == nil {
					if err := st.checkRef(off, ln, split); err != nil {
						return nil, fmt.Errorf("day %d: %w", dh.day, err)
					}
				}
				dh.off, dh.n, dh.split = int64(off), uint32(ln), uint32(split)
			case kind == histInline:
				e, l := r.portable(), r.portable()
				pending = append(pending, inline{s, i, e, l})
			default:
				return nil, fmt.Errorf("day %d: unknown kind %d", dh.day, kind)
			}
			if r.err != nil {
				return nil, r.err
			}
			s.days = append(s.days, dh)
		}
		if r.err != nil {
			return nil, r.err
		}
		h.segs[name] = s
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := st.trim(); err != nil {
		return nil, err
	}
	for _, p := range pending {
		enc := make([]byte, 0, len(p.e)+len(p.l)) // (e and l are in the decoder's buffer)
		enc = append(append(enc, p.e...), p.l...)
		dh := &p.s.days[p.i]
		dh.off, dh.n, dh.split = st.put(enc), uint32(len(enc)), uint32(len(p.e))
	}
	return h, nil
}

// sync makes the sealed days durable (before a checkpoint refers to them)
// and reports a failed write.
func (h *History) sync() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.store.sync()
}

// ---- the store of sealed days -------------------------------------------------

// histStore holds the encodings of sealed days: appended to a file (each
// with a CRC-32C before it) when f is set, else in memory. Offsets ≥ 0 are
// in the file, offsets < 0 in memory (-off-1), where a file store also puts
// what it failed to write (err, reported by sync and so by the next
// checkpoint).
type histStore struct {
	f      *os.File
	size   int64 // of the file
	maxRef int64 // the end of the furthest reference read (trim)
	mem    []byte
	err    error
}

// histFileName is the file of an OpenWatcher's sealed history days.
const histFileName = "history.dat"

func openHistStore(path string) (*histStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("segment: open watcher: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("segment: open watcher: %w", err)
	}
	return &histStore{f: f, size: fi.Size()}, nil
}

func (st *histStore) close() {
	if st != nil && st.f != nil {
		st.f.Close()
		st.f = nil
	}
}

func (st *histStore) put(enc []byte) int64 {
	if st.f != nil && st.err == nil {
		rec := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(enc)), crc32.Checksum(enc, castagnoli))
		rec = append(rec, enc...)
		if _, err := st.f.WriteAt(rec, st.size); err != nil {
			st.err = fmt.Errorf("segment: history: %w", err)
		} else {
			off := st.size
			st.size += int64(len(rec))
			return off
		}
	}
	off := -int64(len(st.mem)) - 1
	st.mem = append(st.mem, enc...)
	return off
}

func (st *histStore) get(off int64, n uint32) ([]byte, error) {
	if off < 0 {
		o := -off - 1
		return st.mem[o : o+int64(n)], nil
	}
	if st.f == nil {
		return nil, errors.New("segment: history: the store is closed")
	}
	rec := make([]byte, 4+int(n))
	if _, err := st.f.ReadAt(rec, off); err != nil {
		return nil, fmt.Errorf("segment: history: %s offset %d: %w", st.f.Name(), off, err)
	}
	if crc32.Checksum(rec[4:], castagnoli) != binary.LittleEndian.Uint32(rec) {
		return nil, fmt.Errorf("segment: history: %s offset %d: damaged", st.f.Name(), off)
	}
	return rec[4:], nil
}

// checkRef checks a reference read from a checkpoint against the file.
func (st *histStore) checkRef(off, n, split uint64) error {
	switch {
	case st.f == nil:
		return errors.New("a reference to the history file in a history without one")
	case n == 0 || split > n || n > 1<<32-1 || off > uint64(st.size) || uint64(st.size)-off < 4+n:
		return fmt.Errorf("reference %d+%d (split %d) beyond the history file's %d bytes", off, n, split, st.size)
	}
	st.maxRef = max(st.maxRef, int64(off+4+n))
	return nil
}

// trim cuts off what follows the last referenced day: days sealed after
// the checkpoint, sealed again as the log is replayed.
func (st *histStore) trim() error {
	if st.f == nil || st.size == st.maxRef {
		return nil
	}
	if err := st.f.Truncate(st.maxRef); err != nil {
		return fmt.Errorf("segment: open watcher: %w", err)
	}
	st.size = st.maxRef
	return nil
}

func (st *histStore) sync() error {
	if st.err != nil {
		return st.err
	}
	if st.f == nil {
		return nil
	}
	if err := st.f.Sync(); err != nil {
		st.err = fmt.Errorf("segment: history: %w", err)
		return st.err
	}
	return nil
}
