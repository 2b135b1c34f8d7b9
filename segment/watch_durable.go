package segment

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// A durable Watcher (OpenWatcher) keeps, in its own directory:
//
//	watch.state                    a checkpoint: the last change's Seq, the index
//	                               log sequence number and the time it was
//	                               evaluated at, every segment's members, the
//	                               membership history
//	watch-<record, 20 digits>.log  the steps after it (and before, until
//	                               Compact): one record per Sync or Advance that
//	                               emitted changes or moved the time
//	history.dat                    the history's sealed days, appended (the
//	                               checkpoint says where each day is; what
//	                               follows the last day it refers to is cut
//	                               off at open and written again by the replay)
//
// A record is appended and synced to stable storage before its changes are
// handed to anyone, and the index's own log is synced up to the writes it
// reflects first, so the Watcher's directory is never ahead of the index.
// A record is framed with its length and CRC-32C; a torn record at the end
// of the last log (a crash during its write) is cut off at the next open:
// its changes were never delivered, and the catch-up evaluation emits what
// the index then says instead.
//
// Open: the checkpoint, then the records after it, give the membership as
// of the last change recorded; every segment is then evaluated on the
// recovered index at the recorded time and diffed (the writes committed
// after that point, and definition changes). Changes are thus a function of
// the two directories: a subscriber that persisted the Seq of the last
// change it acted on resumes with SubscribeFrom(seq) and gets each change
// once.

const (
	watchStateName = "watch.state"
	watchLogPrefix = "watch-"
	watchLogSuffix = ".log"
	watchMagic     = "SKWATCH2" // version 2: the history's sealed days are in history.dat
	watchMagicV1   = "SKWATCH1" // version 1 (read): every history day in the checkpoint
	watchTmpSuffix = ".tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// watchHook, when set (by the restart tests' child process), is called at
// the named points of the durable path.
var watchHook func(point string)

func hookAt(point string) {
	if watchHook != nil {
		watchHook(point)
	}
}

// ErrCursorGone is returned by SubscribeFrom for a cursor older than the
// changes the Watcher's log still holds (Compact removed them): the
// subscriber resyncs (Subscribe, then Subscription.Resync) instead.
var ErrCursorGone = errors.New("segment: the changes after this cursor are no longer logged")

type watchDur struct {
	dir      string
	ix       *bitmapindex.Index
	f        *os.File
	size     int64
	logs     []uint64 // first record number of each log file, ascending
	rec      uint64   // last record number written
	stateRec uint64   // last record the checkpoint holds
	stateSeq uint64   // last change the checkpoint holds
	ixSeq    uint64   // index sequence number of the last record
	now      time.Time
	floor    uint64 // Compact's cursor
	buf      []byte
	hist     *histStore // history.dat
}

func watchLogName(rec uint64) string {
	return fmt.Sprintf("%s%020d%s", watchLogPrefix, rec, watchLogSuffix)
}

// OpenWatcher opens the durable Watcher in dir over a durable index
// (bitmapindex.Open), creating it, evaluated at start, when dir holds none.
// An existing one continues from its checkpoint and log: its time is the
// time it had (start is then ignored; call Advance), and the writes the
// index committed since the last change it recorded are evaluated at once,
// their changes emitted (and logged) before OpenWatcher returns. Subscribe
// from the cursor you acknowledged last with SubscribeFrom.
//
// One Watcher may have dir open at a time; the directory may be inside the
// index's directory (bitmapindex ignores it). Close the Watcher before the
// index. History returns the membership history kept with it.
func OpenWatcher(ctx context.Context, reg *Registry, ix *bitmapindex.Index, dir string, start time.Time) (*Watcher, error) {
	if _, ok := ix.Recovery(); !ok {
		return nil, fmt.Errorf("segment: open watcher %s: the index has no directory (open it with bitmapindex.Open)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("segment: open watcher: %w", err)
	}
	d := &watchDur{dir: dir, ix: ix}
	logs, err := d.scanDir()
	if err != nil {
		return nil, err
	}
	tr, v, seq := ix.TrackFromSeq()
	w := &Watcher{reg: reg, tr: tr, view: v, now: start}
	hs, err := openHistStore(filepath.Join(dir, histFileName))
	if err != nil {
		tr.Close()
		return nil, err
	}
	d.hist = hs
	fail := func(err error) (*Watcher, error) {
		tr.Close()
		if d.f != nil {
			d.f.Close()
		}
		hs.close()
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, watchStateName))
	if os.IsNotExist(err) {
		// a new Watcher: the starting membership, as a checkpoint, then an
		// empty log (leftover logs of a creation cut short hold nothing)
		if err := w.full(ctx, v, seq, start, false); err != nil {
			return fail(err)
		}
		if err := hs.trim(); err != nil { // (a creation cut short)
			return fail(err)
		}
		w.hist = newHistoryLocked(w, hs)
		d.now = start
		for _, r := range logs {
			if err := os.Remove(filepath.Join(dir, watchLogName(r))); err != nil {
				return fail(fmt.Errorf("segment: open watcher: %w", err))
			}
		}
		if err := ix.SyncLog(seq); err != nil {
			return fail(err)
		}
		if err := d.writeState(w); err != nil {
			return fail(err)
		}
		if err := d.startLog(1); err != nil {
			return fail(err)
		}
		w.dur = d
		return w, nil
	}
	if err != nil {
		return fail(fmt.Errorf("segment: open watcher: %w", err))
	}
	if err := d.readState(w, v, data); err != nil {
		return fail(err)
	}
	d.logs = logs
	if err := d.replay(w); err != nil {
		return fail(err)
	}
	if seq < d.ixSeq {
		return fail(fmt.Errorf("segment: open watcher %s: it has seen the index up to log record %d, the index holds only %d (a different or older index directory)", dir, d.ixSeq, seq))
	}
	w.dur = d
	// catch up: the writes after the last recorded change, and definition
	// changes, as differences from the recorded membership
	w.view = v
	if err := w.full(ctx, v, seq, w.now, true); err != nil {
		if w.dur.f != nil {
			w.dur.f.Close()
		}
		hs.close()
		tr.Close()
		return nil, err
	}
	return w, nil
}

// History returns the membership history an OpenWatcher keeps and persists
// with its checkpoints and log (nil for NewWatcher: use NewHistory). Its
// sealed days are read from the Watcher's directory: query it before
// Close (afterwards those queries return an error).
func (w *Watcher) History() *History { return w.hist }

// SubscribeFrom is Subscribe for a subscriber that has acted on the changes
// up to cursor (0: none): the changes after it that the Watcher's log holds
// are waiting in the subscription at once, followed by the new ones. A
// cursor older than the log (Compact) is ErrCursorGone; more changes after
// it than buffer is an overflow (Next returns ErrOverflow). For a Watcher
// from NewWatcher only the current Seq is a valid cursor.
func (w *Watcher) SubscribeFrom(cursor uint64, buffer int) (*Subscription, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cursor > w.seq {
		return nil, fmt.Errorf("segment: subscribe from %d: the last change is %d", cursor, w.seq)
	}
	s := &Subscription{w: w, max: max(buffer, 1), cursor: cursor, notify: make(chan struct{}, 1)}
	if cursor < w.seq {
		if w.dur == nil {
			return nil, fmt.Errorf("%w (cursor %d; a Watcher without a directory keeps no log)", ErrCursorGone, cursor)
		}
		var back []Change
		err := w.dur.read(w.view.Location(), func(r watchRecord) error {
			for _, c := range r.changes {
				if c.Seq > cursor {
					back = append(back, c)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(back) == 0 || back[0].Seq != cursor+1 || back[len(back)-1].Seq != w.seq {
			return nil, fmt.Errorf("%w (cursor %d)", ErrCursorGone, cursor)
		}
		if len(back) > s.max {
			s.over = true
		} else {
			s.buf.push(&changeChunk{cs: back})
		}
		s.notify <- struct{}{}
	}
	w.smu.Lock()
	w.subs = append(w.subs, s)
	w.smu.Unlock()
	return s, nil
}

// Checkpoint writes the Watcher's membership and history as its new
// checkpoint and starts a new log file, so that the next OpenWatcher reads
// only what follows. The log files stay (SubscribeFrom reads them) until
// Compact. It does nothing for a Watcher from NewWatcher.
func (w *Watcher) Checkpoint() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dur == nil {
		return nil
	}
	if w.broken != nil {
		return w.broken
	}
	if err := w.dur.ix.SyncLog(w.dur.ixSeq); err != nil {
		return err
	}
	if err := w.dur.writeState(w); err != nil {
		w.broken = err
		return err
	}
	if err := w.dur.startLog(w.dur.rec + 1); err != nil {
		w.broken = err
		return err
	}
	return w.dur.compact()
}

// Compact removes the log files whose changes all have Seq ≤ upTo (every
// subscriber has acted on them) and that the checkpoint holds. It does
// nothing for a Watcher from NewWatcher.
func (w *Watcher) Compact(upTo uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dur == nil {
		return nil
	}
	w.dur.floor = max(w.dur.floor, upTo)
	return w.dur.compact()
}

func (d *watchDur) close() {
	if d.f != nil {
		d.f.Close()
		d.f = nil
	}
	d.hist.close()
}

func (d *watchDur) scanDir() ([]uint64, error) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("segment: open watcher: %w", err)
	}
	var logs []uint64
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, watchTmpSuffix) {
			if err := os.Remove(filepath.Join(d.dir, n)); err != nil {
				return nil, fmt.Errorf("segment: open watcher: %w", err)
			}
			continue
		}
		if s, ok := strings.CutPrefix(n, watchLogPrefix); ok {
			if s, ok := strings.CutSuffix(s, watchLogSuffix); ok && len(s) == 20 {
				if r, err := strconv.ParseUint(s, 10, 64); err == nil {
					logs = append(logs, r)
				}
			}
		}
	}
	slices.Sort(logs)
	return logs, nil
}

// startLog creates the log file whose first record is rec.
func (d *watchDur) startLog(rec uint64) error {
	if d.f != nil && len(d.logs) > 0 && d.logs[len(d.logs)-1] == rec {
		return nil // the current file is empty and starts there
	}
	f, err := os.OpenFile(filepath.Join(d.dir, watchLogName(rec)), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("segment: watcher log: %w", err)
	}
	if err := syncDir(d.dir); err != nil {
		f.Close()
		return err
	}
	d.close()
	d.f, d.size = f, 0
	d.logs = append(d.logs, rec)
	return nil
}

func (d *watchDur) compact() error {
	keep := min(d.floor, d.stateSeq) // changes up to keep are not needed
	removed := false
	for len(d.logs) > 1 {
		// the first file's records end before the second file's first; the
		// second's first record holds changes after the first's last
		last, ok, err := d.lastSeqOf(d.logs[0])
		if err != nil {
			return err
		}
		if (ok && last > keep) || d.logs[1] > d.stateRec+1 {
			break
		}
		if err := os.Remove(filepath.Join(d.dir, watchLogName(d.logs[0]))); err != nil {
			return fmt.Errorf("segment: watcher compact: %w", err)
		}
		d.logs, removed = d.logs[1:], true
	}
	if removed {
		return syncDir(d.dir)
	}
	return nil
}

// lastSeqOf returns the Seq of the last change in a log file (false: none).
func (d *watchDur) lastSeqOf(first uint64) (uint64, bool, error) {
	data, err := os.ReadFile(filepath.Join(d.dir, watchLogName(first)))
	if err != nil {
		return 0, false, fmt.Errorf("segment: watcher log: %w", err)
	}
	var last uint64
	found := false
	off := 0
	for off < len(data) {
		p, next, ok := frameAt(data, off)
		if !ok {
			break
		}
		r, err := decodeWatchRecord(p, time.UTC, false)
		if err != nil {
			return 0, false, fmt.Errorf("segment: watcher log %s offset %d: %w", watchLogName(first), off, err)
		}
		if r.count > 0 {
			last, found = r.firstSeq+r.count-1, true
		}
		off = next
	}
	return last, found, nil
}

// ---- records ------------------------------------------------------------------

type watchRecord struct {
	rec, firstSeq, count, ixSeq uint64
	now                         time.Time
	changes                     []Change
}

// record appends one step's record and syncs it: the index's log first,
// up to the writes this state reflects.
func (d *watchDur) record(w *Watcher, out []Change) error {
	if d.f == nil {
		return errors.New("watcher log closed")
	}
	if err := d.ix.SyncLog(w.ixSeq); err != nil {
		return err
	}
	firstSeq := w.seq + 1
	if len(out) > 0 {
		firstSeq = out[0].Seq
	}
	b := appendWatchRecord(d.buf[:0], d.rec+1, firstSeq, w.ixSeq, w.now, out)
	d.buf = b
	if watchHook != nil {
		// the restart tests stop here with half a record written, as a
		// crash in the middle of the write leaves it
		if _, err := d.f.Write(b[:len(b)/2]); err != nil {
			return fmt.Errorf("watcher log: %w", err)
		}
		hookAt("record-half")
		b = b[len(b)/2:]
	}
	if _, err := d.f.Write(b); err != nil {
		return fmt.Errorf("watcher log: %w", err)
	}
	hookAt("record-written")
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("watcher log: %w", err)
	}
	d.size += int64(len(d.buf))
	d.rec++
	d.ixSeq, d.now = w.ixSeq, w.now
	if cap(d.buf) > 1<<20 {
		d.buf = nil
	}
	return nil
}

// appendWatchRecord appends one framed log record (length, CRC-32C,
// payload) holding the changes of one Sync or Advance: the record number,
// the first change's sequence number, the index's sequence number and the
// time it was evaluated at, the segment names once, then the changes.
// decodeWatchRecord reads the payload back.
func appendWatchRecord(b []byte, rec, firstSeq, ixSeq uint64, now time.Time, out []Change) []byte {
	start := len(b)
	b = append(b, make([]byte, 8)...)
	b = binary.AppendUvarint(b, rec)
	b = binary.AppendUvarint(b, firstSeq)
	b = binary.AppendUvarint(b, uint64(len(out)))
	b = binary.AppendUvarint(b, ixSeq)
	b = binary.AppendVarint(b, now.UnixNano())
	names := map[string]uint64{}
	var order []string
	for _, c := range out {
		if _, ok := names[c.Segment]; !ok {
			names[c.Segment] = uint64(len(order))
			order = append(order, c.Segment)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(order)))
	for _, n := range order {
		b = appendString(b, n)
	}
	for _, c := range out {
		b = binary.AppendUvarint(b, names[c.Segment])
		b = binary.AppendUvarint(b, uint64(c.ID))
		b = append(b, byte(c.Kind))
		b = appendString(b, c.Key)
	}
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-8))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+8:], castagnoli))
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// frameAt returns the payload of the framed record at off.
func frameAt(data []byte, off int) ([]byte, int, bool) {
	if len(data)-off < 8 {
		return nil, 0, false
	}
	n := int(binary.LittleEndian.Uint32(data[off:]))
	sum := binary.LittleEndian.Uint32(data[off+4:])
	if n > len(data)-off-8 {
		return nil, 0, false
	}
	p := data[off+8 : off+8+n]
	if crc32.Checksum(p, castagnoli) != sum {
		return nil, 0, false
	}
	return p, off + 8 + n, true
}

type decoder struct {
	b   []byte
	err error
}

func (r *decoder) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *decoder) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *decoder) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *decoder) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// portable returns a bitmap's portable encoding, checked (the caller
// copies it).
func (r *decoder) portable() []byte {
	p := r.bytes()
	if r.err != nil {
		return nil
	}
	bm := roaring.New()
	if _, err := bm.FromUnsafeBytes(p); err != nil {
		r.err = err
		return nil
	}
	if err := bm.Validate(); err != nil {
		r.err = err
		return nil
	}
	return p
}

func (r *decoder) bitmap() *roaring.Bitmap {
	p := r.bytes()
	if r.err != nil {
		return nil
	}
	bm := roaring.New()
	if _, err := bm.ReadFrom(strings.NewReader(string(p))); err != nil {
		r.err = err
		return nil
	}
	return bm
}

func decodeWatchRecord(p []byte, loc *time.Location, withChanges bool) (watchRecord, error) {
	r := &decoder{b: p}
	var rec watchRecord
	rec.rec = r.uvarint()
	rec.firstSeq = r.uvarint()
	rec.count = r.uvarint()
	rec.ixSeq = r.uvarint()
	rec.now = time.Unix(0, r.varint()).In(loc)
	nn := r.uvarint()
	if r.err == nil && nn > uint64(len(r.b)) {
		r.err = io.ErrUnexpectedEOF
	}
	if r.err == nil && rec.count > uint64(len(r.b)) {
		r.err = io.ErrUnexpectedEOF
	}
	if !withChanges || r.err != nil {
		return rec, r.err
	}
	names := make([]string, 0, nn)
	for range nn {
		names = append(names, string(r.bytes()))
	}
	rec.changes = make([]Change, 0, rec.count)
	for i := range rec.count {
		ni := r.uvarint()
		id := r.uvarint()
		kind := ChangeKind(r.byte())
		key := string(r.bytes())
		if r.err != nil {
			break
		}
		if ni >= uint64(len(names)) || id > uint64(^uint32(0)) || (kind != Entered && kind != Left) {
			return rec, fmt.Errorf("record %d: change %d is malformed", rec.rec, i)
		}
		rec.changes = append(rec.changes, Change{Seq: rec.firstSeq + i, Segment: names[ni], Key: key, ID: uint32(id), Kind: kind, At: rec.now})
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("record %d: %d bytes after its changes", rec.rec, len(r.b))
	}
	return rec, r.err
}

// read calls fn with every record of the log files, in order.
func (d *watchDur) read(loc *time.Location, fn func(watchRecord) error) error {
	for _, first := range d.logs {
		name := watchLogName(first)
		data, err := os.ReadFile(filepath.Join(d.dir, name))
		if err != nil {
			return fmt.Errorf("segment: watcher log: %w", err)
		}
		for off := 0; off < len(data); {
			p, next, ok := frameAt(data, off)
			if !ok {
				break // a torn tail, cut off at open; none elsewhere
			}
			r, err := decodeWatchRecord(p, loc, true)
			if err != nil {
				return fmt.Errorf("segment: watcher log %s offset %d: %w", name, off, err)
			}
			if err := fn(r); err != nil {
				return err
			}
			off = next
		}
	}
	return nil
}

// replay applies the records after the checkpoint to the membership and
// history read from it, cuts a torn tail off the last log file and opens
// that file for appending.
func (d *watchDur) replay(w *Watcher) error {
	loc := w.view.Location()
	if len(d.logs) == 0 {
		return d.startLog(d.stateRec + 1)
	}
	for i, first := range d.logs {
		name := watchLogName(first)
		path := filepath.Join(d.dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("segment: open watcher: %w", err)
		}
		off := 0
		for off < len(data) {
			p, next, ok := frameAt(data, off)
			if !ok {
				break
			}
			r, err := decodeWatchRecord(p, loc, true)
			if err != nil {
				return fmt.Errorf("segment: open watcher: log %s offset %d: %w", name, off, err)
			}
			if r.rec <= d.stateRec {
				off = next
				continue
			}
			if r.rec != d.rec+1 || r.firstSeq != w.seq+1 {
				return fmt.Errorf("segment: open watcher: log %s offset %d: record %d with change %d follows record %d and change %d", name, off, r.rec, r.firstSeq, d.rec, w.seq)
			}
			for _, c := range r.changes {
				bm := w.members[c.Segment]
				if bm == nil {
					bm = roaring.New()
					w.members[c.Segment] = bm
				}
				if c.Kind == Entered {
					bm.Add(c.ID)
				} else {
					bm.Remove(c.ID)
				}
			}
			w.hist.Apply(r.changes...)
			w.seq += r.count
			w.now = r.now
			d.rec, d.ixSeq, d.now = r.rec, r.ixSeq, r.now
			off = next
		}
		last := i == len(d.logs)-1
		if off < len(data) && !last {
			return fmt.Errorf("segment: open watcher: log %s is damaged at offset %d and later logs follow", name, off)
		}
		if last {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return fmt.Errorf("segment: open watcher: %w", err)
			}
			if off < len(data) { // a torn tail: never delivered
				if err := f.Truncate(int64(off)); err != nil {
					f.Close()
					return fmt.Errorf("segment: open watcher: %w", err)
				}
				if err := f.Sync(); err != nil {
					f.Close()
					return fmt.Errorf("segment: open watcher: %w", err)
				}
			}
			if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
				f.Close()
				return fmt.Errorf("segment: open watcher: %w", err)
			}
			d.f, d.size = f, int64(off)
		}
	}
	if d.rec < d.stateRec {
		return fmt.Errorf("segment: open watcher: the log ends at record %d, before the checkpoint's %d", d.rec, d.stateRec)
	}
	return nil
}

// ---- checkpoint -----------------------------------------------------------------

func (d *watchDur) writeState(w *Watcher) error {
	w.settle()
	b := []byte(watchMagic)
	b = binary.AppendUvarint(b, d.rec)
	b = binary.AppendUvarint(b, w.seq)
	b = binary.AppendUvarint(b, w.ixSeq)
	b = binary.AppendVarint(b, w.now.UnixNano())
	names := make([]string, 0, len(w.members))
	for n := range w.members {
		names = append(names, n)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		b = appendString(b, n)
		b = appendBitmap(b, w.members[n])
	}
	if err := w.hist.sync(); err != nil { // the days the checkpoint refers to, on stable storage first
		return fmt.Errorf("segment: watcher checkpoint: %w", err)
	}
	b = w.hist.appendTo(b, true)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	path := filepath.Join(d.dir, watchStateName)
	tmp := path + watchTmpSuffix
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("segment: watcher checkpoint: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("segment: watcher checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("segment: watcher checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("segment: watcher checkpoint: %w", err)
	}
	hookAt("state-written")
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("segment: watcher checkpoint: %w", err)
	}
	if err := syncDir(d.dir); err != nil {
		return err
	}
	d.stateRec, d.stateSeq, d.ixSeq, d.now = d.rec, w.seq, w.ixSeq, w.now
	return nil
}

func appendBitmap(b []byte, bm *roaring.Bitmap) []byte {
	b = binary.AppendUvarint(b, bm.GetSerializedSizeInBytes())
	p, _ := bm.ToBytes() // writing to memory does not fail
	return append(b, p...)
}

func (d *watchDur) readState(w *Watcher, v *bitmapindex.View, data []byte) error {
	fail := func(what string, err error) error {
		return fmt.Errorf("segment: open watcher: %s: %s: %w", filepath.Join(d.dir, watchStateName), what, err)
	}
	if len(data) < len(watchMagic)+4 || string(data[:len(watchMagic)]) != watchMagic && string(data[:len(watchMagic)]) != watchMagicV1 {
		return fail("header", errors.New("not a watcher checkpoint"))
	}
	v1 := string(data[:len(watchMagic)]) == watchMagicV1
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return fail("checksum", errors.New("damaged"))
	}
	r := &decoder{b: body[len(watchMagic):]}
	d.rec = r.uvarint()
	w.seq = r.uvarint()
	d.ixSeq = r.uvarint()
	d.now = time.Unix(0, r.varint()).In(v.Location())
	w.now = d.now
	d.stateRec, d.stateSeq = d.rec, w.seq
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		return fail("segments", io.ErrUnexpectedEOF)
	}
	w.members = make(map[string]*roaring.Bitmap, n)
	for range n {
		name := string(r.bytes())
		bm := r.bitmap()
		if r.err != nil {
			return fail("segments", r.err)
		}
		w.members[name] = bm
	}
	h, err := readHistory(r, v.Zone(), d.hist, v1)
	if err != nil {
		return fail("history", err)
	}
	if len(r.b) != 0 {
		return fail("end", fmt.Errorf("%d bytes after the history", len(r.b)))
	}
	w.hist = h
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("segment: watcher: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("segment: watcher: sync %s: %w", dir, err)
	}
	return nil
}
