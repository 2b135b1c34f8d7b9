package bitmapindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"runtime"
	"sync"
	"time"
)

// The write-ahead log: a sequence of segment files, each holding the
// records of consecutive batches (all integers little-endian):
//
//	segment = header | record*
//	header  = magic "SEGKITWL" | version u32 | first seq u64 | crc u32
//	record  = length u32 | crc u32 | payload[length]
//
// The header's crc is CRC-32C of its first 20 bytes; a record's is CRC-32C
// of its length (the 4 bytes as written) followed by its payload, so a
// damaged length is detected like damaged data. The payload starts with the
// record's sequence number (see wal_ops.go); the records of a segment have
// the sequence numbers first, first+1, … in order.
//
// A record is appended by one write(2) of the batches committed since the
// previous write, then (under SyncAlways) one fsync for all of them: group
// commit. A crash can leave the last write incomplete: the log then ends in
// a record that is cut short or fails its checksum, with nothing readable
// after it (a torn tail), which recovery truncates. A record that cannot be
// read but is followed by a readable one was not the last thing written, so
// it is damage (a bad disk, a file edited by hand): recovery stops with an
// error naming the offset and does not guess.
//
// Version 2 segments are preallocated: the file is extended with zeros
// (written, not fallocated, so the blocks are allocated and initialised)
// ahead of the records, in chunks that double from 64 KiB up to 4 MiB, and
// records overwrite the zeros. The fdatasync of a record then writes data
// only, without committing the file system's journal for a new file size
// (on this project's ext4 disk, 85–140 µs instead of 135–175 µs per sync).
// The log of a version 2 segment ends at the first record position from
// which every byte to the end of the file is zero; Close truncates the
// unused zeros. Version 1 segments (written before preallocation) end at
// the end of the file, and zeros after the last record are a torn tail; they
// are read as before, and Open starts a version 2 segment after them
// rather than appending to them. A segkit that knows only version 1 refuses
// a version 2 segment ("log version 2 not supported").

const (
	walMagic      = "SEGKITWL"
	walVersion    = 2 // of the segments written
	walHeaderSize = 24
	recHeaderSize = 8
	minPayload    = 9 // seq and type

	// preallocation of version 2 segments: the first chunk, and the
	// largest (each extension doubles the file up to it)
	preallocFirst = 64 << 10
	preallocMax   = 4 << 20
)

// walVersionPrealloc is the first version whose segments are preallocated
// with zeros.
const walVersionPrealloc = 2

func walHeader(first uint64) []byte {
	h := make([]byte, 0, walHeaderSize)
	h = append(h, walMagic...)
	h = binary.LittleEndian.AppendUint32(h, walVersion)
	h = binary.LittleEndian.AppendUint64(h, first)
	return binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, crcTable))
}

// parseWalHeader returns the first sequence number and the version of a
// segment (1 or 2).
func parseWalHeader(data []byte) (first uint64, version uint32, err error) {
	if len(data) < walHeaderSize {
		return 0, 0, fmt.Errorf("header: %d of %d bytes", len(data), walHeaderSize)
	}
	h := data[:walHeaderSize]
	if string(h[:8]) != walMagic {
		return 0, 0, errors.New("header: not a segkit log (bad magic)")
	}
	if crc32.Checksum(h[:20], crcTable) != binary.LittleEndian.Uint32(h[20:]) {
		return 0, 0, errors.New("header: checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != 1 && v != walVersion {
		return 0, 0, fmt.Errorf("header: log version %d not supported (want 1 or %d)", v, walVersion)
	}
	return binary.LittleEndian.Uint64(h[12:]), binary.LittleEndian.Uint32(h[8:]), nil
}

// allZeroBytes reports whether every byte of p is zero.
func allZeroBytes(p []byte) bool {
	for len(p) >= 8 {
		if binary.LittleEndian.Uint64(p) != 0 {
			return false
		}
		p = p[8:]
	}
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}

// frameRecord turns rec, which holds recHeaderSize reserved bytes followed
// by the payload, into a framed record.
func frameRecord(rec []byte) {
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(rec)-recHeaderSize))
	c := crc32.Update(crc32.Checksum(rec[0:4], crcTable), crcTable, rec[recHeaderSize:])
	binary.LittleEndian.PutUint32(rec[4:], c)
}

// recordAt checks the record at off: it returns the payload and the
// offset after the record, or a reason it is not a valid record.
func recordAt(data []byte, off int) (payload []byte, next int, problem string) {
	rest := len(data) - off
	if rest < recHeaderSize {
		return nil, 0, fmt.Sprintf("record header cut short (%d of %d bytes)", rest, recHeaderSize)
	}
	n := binary.LittleEndian.Uint32(data[off:])
	if n < minPayload {
		return nil, 0, fmt.Sprintf("record length %d is too small", n)
	}
	if uint64(n) > uint64(rest-recHeaderSize) {
		return nil, 0, fmt.Sprintf("record cut short (%d of %d bytes)", rest-recHeaderSize, n)
	}
	p := data[off+recHeaderSize : off+recHeaderSize+int(n)]
	c := crc32.Update(crc32.Checksum(data[off:off+4], crcTable), crcTable, p)
	if c != binary.LittleEndian.Uint32(data[off+4:]) {
		return nil, 0, "record checksum mismatch"
	}
	return p, off + recHeaderSize + int(n), ""
}

// logRec is a record found in a segment.
type logRec struct {
	off     int64
	seq     uint64
	payload []byte
}

// logDamage describes where a segment stops being readable.
type logDamage struct {
	off     int64  // where the unreadable bytes start
	problem string // why
	// follows is the offset of a readable record after the damage, or -1:
	// with one, the damage is not a torn tail.
	follows    int64
	followsSeq uint64
}

// scanSegment reads the records of a segment's bytes (after its header)
// in order, checking that their sequence numbers are first, first+1, ….
// It stops at the first unreadable record and reports it; a record that
// reads but has the wrong sequence number is an error. In a segment of
// version 2, zeros from a record position to the end are the unused
// preallocated space, not damage.
func scanSegment(data []byte, first uint64, version uint32) ([]logRec, *logDamage, error) {
	var recs []logRec
	off := walHeaderSize
	want := first
	for off < len(data) {
		p, next, problem := recordAt(data, off)
		if problem != "" {
			if version >= walVersionPrealloc && allZeroBytes(data[off:]) {
				return recs, nil, nil
			}
			dmg := &logDamage{off: int64(off), problem: problem, follows: -1}
			dmg.follows, dmg.followsSeq = findRecordAfter(data, off+1, want)
			return recs, dmg, nil
		}
		seq := binary.LittleEndian.Uint64(p)
		if seq != want {
			return recs, nil, fmt.Errorf("record at offset %d has sequence number %d, want %d", off, seq, want)
		}
		recs = append(recs, logRec{off: int64(off), seq: seq, payload: p})
		off, want = next, want+1
	}
	return recs, nil, nil
}

// findRecordAfter looks for a readable record at any offset from off on
// whose sequence number is at least want (a record that was written after
// the damaged one). It returns its offset and sequence number, or -1.
func findRecordAfter(data []byte, off int, want uint64) (int64, uint64) {
	for p := off; p+recHeaderSize+minPayload <= len(data); p++ {
		n := binary.LittleEndian.Uint32(data[p:])
		if n < minPayload || uint64(n) > uint64(len(data)-p-recHeaderSize) {
			continue
		}
		seq := binary.LittleEndian.Uint64(data[p+recHeaderSize:])
		// every record takes more than minPayload+recHeaderSize bytes
		if seq < want || seq-want > uint64(len(data)/(minPayload+recHeaderSize)) {
			continue
		}
		if _, _, problem := recordAt(data, p); problem == "" {
			return int64(p), seq
		}
	}
	return -1, 0
}

// ---- appending ---------------------------------------------------------------

// logWriter appends records to the current segment with group commit.
// Records are appended (under the index's lock, in sequence order) to an
// in-memory buffer; a committer waiting for its record becomes the leader
// when no write is in progress: it takes everything appended so far, writes
// it with one write(2) at the end of the records (over the preallocated
// zeros, extending them first when they run out) and, when syncing, one
// fdatasync, while later committers append and wait for the next round.
type logWriter struct {
	mu       sync.Mutex
	cond     sync.Cond
	f        *os.File
	path     string
	buf      []byte // appended, not yet written
	spare    []byte
	size     int64 // bytes of the segment's records and header, including buf
	wpos     int64 // where buf goes: size - len(buf)
	alloc    int64 // the file's size: zeros from wpos to alloc
	appended uint64
	written  uint64
	synced   uint64
	busy     bool // a leader is writing
	err      error
	records  int64 // records in the segment
	syncs    int64 // fsyncs since Open
	// the last fsync round: records it made durable, and its duration
	lastGroup uint64
	lastSync  time.Duration
}

// maxGather bounds how long a leader waits for more records before a sync.
const maxGather = 500 * time.Microsecond

func newLogWriter(f *os.File, path string, size, alloc int64, last uint64, records int64) *logWriter {
	l := &logWriter{f: f, path: path, size: size, wpos: size, alloc: alloc, appended: last, written: last, synced: last, records: records}
	l.cond.L = &l.mu
	return l
}

// append adds a framed record with sequence number seq.
func (l *logWriter) append(seq uint64, rec []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	l.buf = append(l.buf, rec...)
	l.size += int64(len(rec))
	l.appended = seq
	l.records++
	return nil
}

// zeroBlock is written to extend segments.
var zeroBlock = make([]byte, 64<<10)

// preallocSize returns the size to extend a segment of alloc bytes to so
// that it holds end bytes: doubling, by at most preallocMax at a time.
func preallocSize(alloc, end int64) int64 {
	n := max(alloc, preallocFirst)
	for n < end {
		n += min(n, preallocMax)
	}
	return n
}

// writeZeros writes zeros to f from off up to end.
func writeZeros(f *os.File, off, end int64) error {
	for off < end {
		n := min(end-off, int64(len(zeroBlock)))
		if _, err := f.WriteAt(zeroBlock[:n], off); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// writeAt writes buf at off, extending the preallocated zeros first when
// buf passes alloc; it returns the new allocated size.
func writeAt(f *os.File, buf []byte, off, alloc int64) (int64, error) {
	end := off + int64(len(buf))
	if end > alloc {
		// the zeros first, then the records over them: a crash in
		// between leaves zeros (the end of the log) where records go
		n := preallocSize(alloc, end)
		if err := writeZeros(f, max(alloc, end), n); err != nil {
			return alloc, err
		}
		alloc = n
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		return alloc, err
	}
	return alloc, nil
}

// flush returns when the record seq is written to the file and, with sync,
// synced to stable storage. A failed write or sync is sticky: the file's
// state is then unknown, so every later flush and append fails.
func (l *logWriter) flush(seq uint64, sync bool) error {
	return l.flushGather(seq, sync, false)
}

// commitFlush is flush for a committer that just appended seq. When the
// previous fsync round made several committers' records durable, a leader
// first lets the committers that are still on their way append theirs
// (yielding the processor to them), until the group is as large as the
// previous one or half the previous fsync's time (at most maxGather) has
// passed. Without it, committers that loop on Commit split into two halves
// that alternate between fsyncs: those arriving while one runs wait for it
// and form the next group while the others return, so each fsync carries
// half of them. A lone committer (a group of one) never waits.
func (l *logWriter) commitFlush(seq uint64, sync bool) error {
	return l.flushGather(seq, sync, true)
}

func (l *logWriter) flushGather(seq uint64, sync, gather bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.err != nil {
			return l.err
		}
		if (sync && l.synced >= seq) || (!sync && l.written >= seq) {
			return nil
		}
		if l.busy {
			l.cond.Wait()
			continue
		}
		l.busy = true
		if gather && sync && l.lastGroup > 1 && l.appended-l.synced < l.lastGroup {
			deadline := time.Now().Add(min(l.lastSync/2, maxGather))
			for l.appended-l.synced < l.lastGroup && time.Now().Before(deadline) {
				l.mu.Unlock()
				runtime.Gosched()
				l.mu.Lock()
			}
		}
		buf, target, f, off, alloc := l.buf, l.appended, l.f, l.wpos, l.alloc
		before := l.synced
		l.buf = l.spare[:0]
		l.mu.Unlock()
		var err error
		var took time.Duration
		if len(buf) > 0 {
			alloc, err = writeAt(f, buf, off, alloc)
		}
		if err == nil && sync {
			if hook := testHook; hook != nil {
				hook("log-sync")
			}
			t0 := time.Now()
			err = syncData(f)
			took = time.Since(t0)
		}
		l.mu.Lock()
		l.busy = false
		l.wpos, l.alloc = off+int64(len(buf)), alloc
		if cap(buf) <= 4<<20 {
			l.spare = buf[:0]
		}
		if err != nil {
			l.err = fmt.Errorf("bitmapindex: log %s: %w (the index refuses further writes; Close it and Open the directory again)", l.path, err)
		} else {
			l.written = target
			if sync {
				l.synced = target
				l.syncs++
				l.lastGroup, l.lastSync = target-before, took
			}
		}
		l.cond.Broadcast()
	}
}

// idle waits for a write in progress and returns with l.mu held.
func (l *logWriter) idle() {
	l.mu.Lock()
	for l.busy {
		l.cond.Wait()
	}
}

// stats returns the size of the segment's records (with its header) and
// their count, and the fsyncs since Open.
func (l *logWriter) stats() (size, records, syncs int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size, l.records, l.syncs
}

// syncIfNeeded syncs what was written but not synced (SyncInterval).
func (l *logWriter) syncIfNeeded() error {
	l.mu.Lock()
	seq := l.appended
	need := l.synced < seq
	l.mu.Unlock()
	if !need {
		return nil
	}
	return l.flush(seq, true)
}
