package bitmapindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"sync"
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

const (
	walMagic      = "SEGKITWL"
	walVersion    = 1
	walHeaderSize = 24
	recHeaderSize = 8
	minPayload    = 9 // seq and type
)

func walHeader(first uint64) []byte {
	h := make([]byte, 0, walHeaderSize)
	h = append(h, walMagic...)
	h = binary.LittleEndian.AppendUint32(h, walVersion)
	h = binary.LittleEndian.AppendUint64(h, first)
	return binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, crcTable))
}

// parseWalHeader returns the first sequence number of a segment.
func parseWalHeader(data []byte) (uint64, error) {
	if len(data) < walHeaderSize {
		return 0, fmt.Errorf("header: %d of %d bytes", len(data), walHeaderSize)
	}
	h := data[:walHeaderSize]
	if string(h[:8]) != walMagic {
		return 0, errors.New("header: not a segkit log (bad magic)")
	}
	if crc32.Checksum(h[:20], crcTable) != binary.LittleEndian.Uint32(h[20:]) {
		return 0, errors.New("header: checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != walVersion {
		return 0, fmt.Errorf("header: log version %d not supported (want %d)", v, walVersion)
	}
	return binary.LittleEndian.Uint64(h[12:]), nil
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
// reads but has the wrong sequence number is an error.
func scanSegment(data []byte, first uint64) ([]logRec, *logDamage, error) {
	var recs []logRec
	off := walHeaderSize
	want := first
	for off < len(data) {
		p, next, problem := recordAt(data, off)
		if problem != "" {
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
// it with one write(2) and, when syncing, one fsync, while later committers
// append and wait for the next round.
type logWriter struct {
	mu       sync.Mutex
	cond     sync.Cond
	f        *os.File
	path     string
	buf      []byte // appended, not yet written
	spare    []byte
	size     int64 // bytes of the segment, including buf
	appended uint64
	written  uint64
	synced   uint64
	busy     bool // a leader is writing
	err      error
	records  int64 // records in the segment
	syncs    int64 // fsyncs since Open
}

func newLogWriter(f *os.File, path string, size int64, last uint64, records int64) *logWriter {
	l := &logWriter{f: f, path: path, size: size, appended: last, written: last, synced: last, records: records}
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

// flush returns when the record seq is written to the file and, with sync,
// synced to stable storage. A failed write or sync is sticky: the file's
// state is then unknown, so every later flush and append fails.
func (l *logWriter) flush(seq uint64, sync bool) error {
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
		buf, target, f := l.buf, l.appended, l.f
		l.buf = l.spare[:0]
		l.mu.Unlock()
		var err error
		if len(buf) > 0 {
			_, err = f.Write(buf)
		}
		if err == nil && sync {
			if hook := testHook; hook != nil {
				hook("log-sync")
			}
			err = syncData(f)
		}
		l.mu.Lock()
		l.busy = false
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

// stats returns the segment's size and record count, and the fsyncs since
// Open.
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
