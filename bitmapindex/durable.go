package bitmapindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A durable index lives in a directory:
//
//	LOCK                              held (flock) while an Index has the directory open
//	checkpoint-<seq, 20 digits>.segkit a snapshot (View.WriteTo) holding every batch up to seq
//	log-<seq, 20 digits>.wal          a log segment whose first record has sequence number seq
//
// Every committed batch (and every Declare) is a log record with the next
// sequence number. Open loads the newest checkpoint and replays the records
// after it. Checkpoint takes a view and the sequence number S of its last
// batch, starts a new segment at S+1 (the old one synced first), writes
// checkpoint-S atomically (temporary file, fsync, rename, fsync of the
// directory), then removes older checkpoints and the segments before S+1.
// A crash at any step leaves either the old checkpoint with every segment
// after it, or the new one (and perhaps leftovers, which hold only records
// the checkpoint already has and which the next Open removes): both open to
// the same state.

// SyncPolicy says when Commit returns relative to the log reaching stable
// storage. It is a plain value; the zero value is SyncAlways.
type SyncPolicy struct {
	interval time.Duration
	periodic bool
}

// SyncAlways makes Commit return only after its log record is on stable
// storage (fsync): a batch whose Commit has returned survives the process
// being killed and the machine losing power. Concurrent committers share
// fsyncs (group commit). It is the default.
var SyncAlways = SyncPolicy{}

// SyncInterval makes Commit return once its log record is written to the
// operating system, and syncs the log every d: a batch whose Commit has
// returned survives the process being killed, but a power loss or an
// operating-system crash can lose the batches committed in the last d
// (plus the time one fsync takes). d must be positive.
func SyncInterval(d time.Duration) SyncPolicy { return SyncPolicy{interval: d, periodic: true} }

// String returns "always" or "interval(d)".
func (p SyncPolicy) String() string {
	if !p.periodic {
		return "always"
	}
	return "interval(" + p.interval.String() + ")"
}

// Errors of durable indexes.
var (
	// ErrLocked is returned by Open when another Index (in this or another
	// process) has the directory open.
	ErrLocked = errors.New("bitmapindex: index directory is in use (its LOCK file is held by another Open)")
	// ErrClosed is returned by writes, Checkpoint and Close on an index
	// that was closed.
	ErrClosed = errors.New("bitmapindex: index is closed")
	// ErrNotDurable is returned by Checkpoint on an index that was not
	// opened from a directory.
	ErrNotDurable = errors.New("bitmapindex: the index was not opened from a directory")
)

// testHook, when set by a test, is called at the named steps of logging
// and checkpointing (a crash test kills the process there).
var testHook func(point string)

func hook(point string) {
	if h := testHook; h != nil {
		h(point)
	}
}

const (
	lockName   = "LOCK"
	ckptPrefix = "checkpoint-"
	ckptSuffix = ".segkit"
	logPrefix  = "log-"
	logSuffix  = ".wal"
	tmpSuffix  = ".tmp"
)

func checkpointName(seq uint64) string { return fmt.Sprintf("%s%020d%s", ckptPrefix, seq, ckptSuffix) }
func logName(first uint64) string      { return fmt.Sprintf("%s%020d%s", logPrefix, first, logSuffix) }

// parseSeqName returns the sequence number in a checkpoint or log file name.
func parseSeqName(name, prefix, suffix string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	if s, ok = strings.CutSuffix(s, suffix); !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// RecoveryReport says what Open (or LoadDir) found in an index directory
// and did with it. It is a plain value.
type RecoveryReport struct {
	Dir string
	// Created is true when Open created the index (the directory held none).
	Created bool
	// Checkpoint is the checkpoint file loaded (a name in Dir) and
	// CheckpointSeq the sequence number of the last batch it holds.
	Checkpoint    string
	CheckpointSeq uint64
	// CheckpointTime is when it was written (its modification time).
	CheckpointTime time.Time
	// Replayed is the number of log records applied after the checkpoint,
	// LogBytes the size of the log segments read (headers and records, not
	// the preallocated space after them), and LastSeq the sequence number
	// of the last batch in the index.
	Replayed int
	LogBytes int64
	LastSeq  uint64
	// Truncated is true when the log ended in a torn record (a write cut
	// short by a crash): TruncatedBytes bytes from TruncatedOffset of
	// TruncatedFile, which would have held the record with sequence number
	// TruncatedSeq, were cut off (by Open; LoadDir only reports them), for
	// the reason in TruncatedReason; in a preallocated segment they include
	// the unused zeros after the torn record. Such a record's Commit never
	// returned under SyncAlways.
	Truncated       bool
	TruncatedFile   string
	TruncatedOffset int64
	TruncatedBytes  int64
	TruncatedSeq    uint64
	TruncatedReason string
	// Removed lists leftovers Open removed: temporary files of interrupted
	// writes, and checkpoints and log segments that a newer checkpoint
	// replaces (left by a checkpoint that was interrupted).
	Removed []string
}

// String summarises the report in one line.
func (r RecoveryReport) String() string {
	var b strings.Builder
	if r.Created {
		fmt.Fprintf(&b, "created %s", r.Dir)
	} else {
		fmt.Fprintf(&b, "%s: checkpoint %s (seq %d), replayed %d log records (%d bytes), last seq %d",
			r.Dir, r.Checkpoint, r.CheckpointSeq, r.Replayed, r.LogBytes, r.LastSeq)
	}
	if r.Truncated {
		fmt.Fprintf(&b, "; torn log tail: %d bytes at %s offset %d (from seq %d: %s)",
			r.TruncatedBytes, r.TruncatedFile, r.TruncatedOffset, r.TruncatedSeq, r.TruncatedReason)
	}
	if len(r.Removed) > 0 {
		fmt.Fprintf(&b, "; removed %d leftover files", len(r.Removed))
	}
	return b.String()
}

// LogStats describes a durable index's log and last checkpoint. It is a
// plain value.
type LogStats struct {
	Dir  string
	Sync SyncPolicy
	// LastSeq is the sequence number of the last batch logged.
	LastSeq uint64
	// LogBytes and LogRecords are the size and record count of the log
	// segment after the last checkpoint.
	LogBytes   int64
	LogRecords int64
	// Syncs counts the log's fsyncs since Open: with group commit, fewer
	// than the batches committed.
	Syncs int64
	// The last checkpoint: its file (a name in Dir), the sequence number of
	// the last batch it holds, its size and when it was written (the file's
	// modification time).
	CheckpointFile  string
	CheckpointSeq   uint64
	CheckpointBytes int64
	CheckpointTime  time.Time
	// CheckpointError is the error of the last automatic checkpoint, if it
	// failed.
	CheckpointError error
}

type ckptInfo struct {
	file  string
	seq   uint64
	bytes int64
	at    time.Time
	err   error
}

// durable is the directory side of an Index opened with Open.
type durable struct {
	dir     string
	lock    *os.File
	log     *logWriter
	first   uint64 // first sequence number of the current segment (under ix.mu)
	sync    SyncPolicy
	auto    int64  // CheckpointLogBytes
	seq     uint64 // last sequence number logged (under ix.mu)
	scratch []byte // record buffer (under ix.mu)
	closed  bool   // under ix.mu

	ckMu    sync.Mutex // one checkpoint at a time
	infoMu  sync.Mutex
	info    ckptInfo
	running atomic.Bool // an automatic checkpoint is running
	stop    chan struct{}
	wg      sync.WaitGroup
}

// Open opens the durable index in dir, creating the directory and an empty
// index (with cfg's time zone, strictness and schema) when it holds none.
// An existing index keeps its time zone and strictness: a cfg.Location that
// differs, or cfg.Strict for an index that is not strict, is an error;
// attributes of cfg.Schema that are not declared yet are declared.
//
// Open loads the newest checkpoint and replays the log after it. A log that
// ends in a torn record (a crash during a write) is truncated there and the
// truncation reported by Recovery; a record that cannot be read but is
// followed by readable ones, a missing or out-of-order record, or a record
// that does not apply is an error naming the file and offset, and the
// directory is left as it was. Recovery never panics, and allocates in
// proportion to the files it reads.
//
// While the Index is open, a second Open of dir (from this process or
// another) fails with ErrLocked. Writes are logged before Commit (and the
// single-write methods and Declare) return, under cfg.Sync; see SyncPolicy.
// A failed log write or sync makes every later write fail: Close the index
// and Open the directory again. Close releases the directory.
func Open(dir string, cfg Config) (ix *Index, err error) {
	if cfg.Sync.periodic && cfg.Sync.interval <= 0 {
		return nil, fmt.Errorf("bitmapindex: open %s: sync interval %v must be positive", dir, cfg.Sync.interval)
	}
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bitmapindex: open %s: %w", dir, err)
	}
	if os.IsNotExist(statErr) {
		// the new directory's entry in its parent must survive a crash too
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlockDir(lock)
		}
	}()
	rec, err := recoverDir(dir, &cfg)
	if err != nil {
		return nil, err
	}
	ix = rec.ix
	d := &durable{dir: dir, lock: lock, sync: cfg.Sync, auto: cfg.CheckpointLogBytes, seq: rec.report.LastSeq, stop: make(chan struct{})}
	d.info = rec.ckpt
	// the segment to append to: the last one when its records end at the
	// index's last batch and it has the current version, else a new one (a
	// version 1 segment with records after the checkpoint stays, as a
	// segment before the last)
	tailCurrent := rec.tail != nil && rec.tail.first+uint64(rec.tail.records) == d.seq+1
	if tailCurrent && rec.report.Truncated {
		if err := truncateFile(rec.tail.path, rec.tail.end); err != nil {
			return nil, err
		}
	}
	if tailCurrent && rec.tail.version == walVersion {
		f, err := os.OpenFile(rec.tail.path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("bitmapindex: open %s: %w", dir, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("bitmapindex: open %s: %w", dir, err)
		}
		d.log = newLogWriter(f, rec.tail.path, rec.tail.end, max(fi.Size(), rec.tail.end), d.seq, int64(rec.tail.records))
		d.first = rec.tail.first
	} else {
		f, path, alloc, err := createSegment(dir, d.seq+1)
		if err != nil {
			return nil, err
		}
		d.log = newLogWriter(f, path, walHeaderSize, alloc, d.seq, 0)
		d.first = d.seq + 1
		// (an empty version 1 segment where the new one goes is replaced
		// by its rename)
		if rec.tail != nil && !tailCurrent {
			rec.retire = append(rec.retire, rec.tail.path)
		}
	}
	for _, p := range rec.retire {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			d.log.f.Close()
			return nil, fmt.Errorf("bitmapindex: open %s: remove leftover: %w", dir, err)
		}
		rec.report.Removed = append(rec.report.Removed, filepath.Base(p))
	}
	if len(rec.retire) > 0 {
		if err := syncDir(dir); err != nil {
			d.log.f.Close()
			return nil, err
		}
	}
	slices.Sort(rec.report.Removed)
	ix.dur = d
	report := rec.report
	ix.recovery = &report
	if d.sync.periodic {
		d.wg.Add(1)
		go d.syncEvery(d.sync.interval)
	}
	for _, a := range cfg.Schema {
		if err := ix.Declare(a); err != nil {
			ix.Close()
			return nil, fmt.Errorf("bitmapindex: open %s: %w", dir, err)
		}
	}
	return ix, nil
}

// CreateDir writes v as the first checkpoint of a new durable index in dir
// (created if missing; it must not hold an index yet), which Open then
// continues from. A host that built an index in memory (New and a bulk
// load) makes it durable with one snapshot write instead of logging every
// batch. The directory is locked while it is written, as Open locks it.
func CreateDir(dir string, v *View) (err error) {
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bitmapindex: create %s: %w", dir, err)
	}
	if os.IsNotExist(statErr) {
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return err
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := unlockDir(lock); err == nil {
			err = uerr
		}
	}()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("bitmapindex: create %s: %w", dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		if _, ok := parseSeqName(n, ckptPrefix, ckptSuffix); ok {
			return fmt.Errorf("bitmapindex: create %s: the directory already holds an index (%s)", dir, n)
		}
		if _, ok := parseSeqName(n, logPrefix, logSuffix); ok {
			return fmt.Errorf("bitmapindex: create %s: the directory already holds an index (%s)", dir, n)
		}
	}
	_, err = writeCheckpoint(v, filepath.Join(dir, checkpointName(0)))
	return err
}

// LoadDir reads the state of the durable index in dir (its newest
// checkpoint and the log after it) into a new in-memory Index, as Load
// reads a snapshot file: writes to it are not logged, and the directory is
// neither locked nor changed, so an index that another process has open
// can be read. A torn log tail is ignored (and reported by Recovery), as
// the unfinished write of a running writer would be; damage before it is
// an error as for Open.
func LoadDir(dir string) (*Index, error) {
	var err error
	for range 3 {
		var rec *recovered
		rec, err = recoverDir(dir, nil)
		if err == nil {
			report := rec.report
			rec.ix.recovery = &report
			return rec.ix, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			break
		}
		// a checkpoint of the process that has the directory open retired
		// a file between the listing and the read: read again
	}
	return nil, err
}

// Recovery returns what Open or LoadDir found and did, and false for an
// index that did not come from a directory.
func (ix *Index) Recovery() (RecoveryReport, bool) {
	if ix.recovery == nil {
		return RecoveryReport{}, false
	}
	r := *ix.recovery
	r.Removed = slices.Clone(r.Removed)
	return r, true
}

// LogStats describes the log and the last checkpoint of an index opened
// with Open, and returns false for any other index.
func (ix *Index) LogStats() (LogStats, bool) {
	d := ix.dur
	if d == nil {
		return LogStats{}, false
	}
	// the checkpoint first: a checkpoint completing meanwhile then cannot
	// look newer than the last sequence number
	d.infoMu.Lock()
	info := d.info
	d.infoMu.Unlock()
	ix.mu.Lock()
	seq := d.seq
	ix.mu.Unlock()
	size, n, syncs := d.log.stats()
	return LogStats{
		Dir: d.dir, Sync: d.sync, LastSeq: seq, LogBytes: size, LogRecords: n, Syncs: syncs,
		CheckpointFile: info.file, CheckpointSeq: info.seq, CheckpointBytes: info.bytes,
		CheckpointTime: info.at, CheckpointError: info.err,
	}, true
}

// logBatchLocked appends a batch's record to the log and returns its
// sequence number (0 when nothing is logged: an index without a directory,
// or an empty batch). ix.mu is held; the batch is validated.
func (ix *Index) logBatchLocked(b *Batch) (uint64, error) {
	d := ix.dur
	if d == nil {
		return 0, nil
	}
	if d.closed {
		return 0, ErrClosed
	}
	if b.n == 0 {
		return 0, nil
	}
	rec := d.startRecord()
	rec, err := appendBatchPayload(rec, b)
	if err != nil {
		return 0, err
	}
	return d.appendLocked(rec)
}

// logDeclareLocked appends a declaration's record.
func (ix *Index) logDeclareLocked(a Attribute) (uint64, error) {
	d := ix.dur
	if d == nil {
		return 0, nil
	}
	if d.closed {
		return 0, ErrClosed
	}
	return d.appendLocked(appendDeclarePayload(d.startRecord(), a))
}

func (d *durable) startRecord() []byte {
	rec := append(d.scratch[:0], make([]byte, recHeaderSize)...)
	return binary.LittleEndian.AppendUint64(rec, d.seq+1)
}

func (d *durable) appendLocked(rec []byte) (uint64, error) {
	if n := len(rec) - recHeaderSize; n > maxRecordBytes {
		return 0, fmt.Errorf("bitmapindex: the batch encodes to %d bytes, more than a log record holds (%d): commit it in parts", n, maxRecordBytes)
	}
	frameRecord(rec)
	if err := d.log.append(d.seq+1, rec); err != nil {
		return 0, err
	}
	d.seq++
	if cap(rec) <= 1<<20 {
		d.scratch = rec[:0]
	} else {
		d.scratch = nil
	}
	return d.seq, nil
}

// waitDurable returns once the record seq is durable under the sync policy
// (immediately for seq 0), and starts an automatic checkpoint when the log
// has grown past its threshold.
func (ix *Index) waitDurable(seq uint64) error {
	if seq == 0 {
		return nil
	}
	d := ix.dur
	if err := d.log.commitFlush(seq, !d.sync.periodic); err != nil {
		return err
	}
	if d.auto > 0 && !d.running.Load() {
		if size, _, _ := d.log.stats(); size >= d.auto && d.running.CompareAndSwap(false, true) {
			ix.mu.Lock()
			if d.closed {
				d.running.Store(false)
			} else {
				d.wg.Add(1)
				go func() {
					defer d.wg.Done()
					defer d.running.Store(false)
					if err := ix.Checkpoint(); err != nil && !errors.Is(err, ErrClosed) {
						d.infoMu.Lock()
						d.info.err = err
						d.infoMu.Unlock()
					}
				}()
			}
			ix.mu.Unlock()
		}
	}
	return nil
}

func (d *durable) syncEvery(every time.Duration) {
	defer d.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			_ = d.log.syncIfNeeded() // a failure is sticky: the next Commit returns it
		}
	}
}

// Checkpoint writes the index's current state as a new checkpoint of its
// directory and retires the log before it, so that the next Open replays
// only what was committed afterwards. It is safe to call while writers and
// readers run: writers wait only while the log switches to a new segment
// (one fsync and a file creation), not while the checkpoint is written,
// and readers never wait. Checkpoints do not run concurrently with each
// other (a second call waits for the first). A crash at any point of a
// checkpoint leaves a directory that opens to the same state. It returns
// ErrNotDurable for an index that was not opened from a directory.
func (ix *Index) Checkpoint() error {
	d := ix.dur
	if d == nil {
		return ErrNotDurable
	}
	d.ckMu.Lock()
	defer d.ckMu.Unlock()
	ix.mu.Lock()
	if d.closed {
		ix.mu.Unlock()
		return ErrClosed
	}
	seq := d.seq
	d.infoMu.Lock()
	done := d.info.file != "" && d.info.seq == seq
	d.infoMu.Unlock()
	if done {
		ix.mu.Unlock()
		return nil
	}
	v := ix.viewLocked()
	err := d.rotateLocked(seq + 1)
	ix.mu.Unlock()
	if err != nil {
		return err
	}
	hook("checkpoint-rotated")
	name := checkpointName(seq)
	path := filepath.Join(d.dir, name)
	size, err := writeCheckpoint(v, path)
	if err != nil {
		return err
	}
	hook("checkpoint-written")
	// retire what the new checkpoint replaces: older checkpoints and the
	// segments before seq+1
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("bitmapindex: checkpoint: %w", err)
	}
	removed := false
	for _, e := range entries {
		n := e.Name()
		old := false
		if s, ok := parseSeqName(n, ckptPrefix, ckptSuffix); ok && s < seq {
			old = true
		}
		if s, ok := parseSeqName(n, logPrefix, logSuffix); ok && s <= seq {
			old = true
		}
		if old {
			if err := os.Remove(filepath.Join(d.dir, n)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("bitmapindex: checkpoint: retire %s: %w", n, err)
			}
			removed = true
			hook("checkpoint-retired-one")
		}
	}
	if removed {
		if err := syncDir(d.dir); err != nil {
			return err
		}
	}
	hook("checkpoint-done")
	var at time.Time
	if fi, err := os.Stat(path); err == nil {
		at = fi.ModTime()
	}
	d.infoMu.Lock()
	d.info = ckptInfo{file: name, seq: seq, bytes: size, at: at}
	d.infoMu.Unlock()
	return nil
}

// rotateLocked syncs the current segment and switches to a new one whose
// first record will be first, unless the current one is empty and starts
// there. ix.mu is held, so nothing is appended meanwhile.
func (d *durable) rotateLocked(first uint64) error {
	l := d.log
	if err := l.flush(d.seq, true); err != nil {
		return err
	}
	l.idle()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if l.records == 0 && d.first == first {
		return nil
	}
	f, path, alloc, err := createSegment(d.dir, first)
	if err != nil {
		return err
	}
	old := l.f
	l.f, l.path, l.size, l.wpos, l.alloc, l.records = f, path, walHeaderSize, walHeaderSize, alloc, 0
	d.first = first
	if err := old.Close(); err != nil {
		return fmt.Errorf("bitmapindex: checkpoint: close log: %w", err)
	}
	return nil
}

// Close syncs the log, waits for a running checkpoint, and releases the
// directory. Views taken before stay usable; writes and Checkpoint return
// ErrClosed afterwards, and so does a second Close. Close of an index that
// was not opened from a directory does nothing.
func (ix *Index) Close() error {
	d := ix.dur
	if d == nil {
		return nil
	}
	ix.mu.Lock()
	if d.closed {
		ix.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	seq := d.seq
	ix.mu.Unlock()
	close(d.stop)
	d.wg.Wait()
	d.ckMu.Lock()
	defer d.ckMu.Unlock()
	err := d.log.flush(seq, true)
	d.log.idle()
	f := d.log.f
	if d.log.err == nil {
		d.log.err = ErrClosed
		if err == nil && d.log.alloc > d.log.wpos {
			// the unused preallocated zeros go; should the truncation
			// not reach the disk, zeros still end the log
			if terr := f.Truncate(d.log.wpos); terr != nil {
				err = fmt.Errorf("bitmapindex: close log: %w", terr)
			}
		}
	}
	d.log.mu.Unlock()
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("bitmapindex: close log: %w", cerr)
	}
	if uerr := unlockDir(d.lock); err == nil {
		err = uerr
	}
	return err
}

// ---- recovery ----------------------------------------------------------------

type segInfo struct {
	path    string
	first   uint64
	version uint32
	records int
	end     int64 // offset after the last readable record
}

type recovered struct {
	ix     *Index
	report RecoveryReport
	ckpt   ckptInfo
	tail   *segInfo // the last segment
	retire []string // leftovers to remove
}

// recoverDir loads the index in dir. With cfg (Open), a directory without
// an index gets a new one; without (LoadDir), nothing is written.
func recoverDir(dir string, cfg *Config) (*recovered, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("bitmapindex: open %s: "+format, append([]any{dir}, args...)...)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fail("%w", err)
	}
	var ckpts, logs []uint64
	rec := &recovered{report: RecoveryReport{Dir: dir}}
	for _, e := range entries {
		n := e.Name()
		if s, ok := parseSeqName(n, ckptPrefix, ckptSuffix); ok {
			ckpts = append(ckpts, s)
		} else if s, ok := parseSeqName(n, logPrefix, logSuffix); ok {
			logs = append(logs, s)
		} else if strings.HasSuffix(n, tmpSuffix) && (strings.HasPrefix(n, "."+ckptPrefix) || strings.HasPrefix(n, "."+logPrefix)) {
			rec.retire = append(rec.retire, filepath.Join(dir, n))
		}
	}
	slices.Sort(ckpts)
	slices.Sort(logs)
	if len(ckpts) == 0 {
		if len(logs) > 0 {
			return nil, fail("log segments but no checkpoint file (%s…): not an index this version can open", logName(logs[0]))
		}
		if cfg == nil {
			return nil, fail("no segkit index here (no %s file)", checkpointName(0))
		}
		ix, err := New(*cfg)
		if err != nil {
			return nil, err
		}
		// the zone, strictness and schema are kept in checkpoint 0
		name := checkpointName(0)
		size, err := writeCheckpoint(ix.View(), filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		rec.ix = ix
		rec.report.Created = true
		rec.report.Checkpoint = name
		rec.ckpt = ckptInfo{file: name, bytes: size, at: time.Now()}
		rec.report.CheckpointTime = rec.ckpt.at
		return rec, nil
	}
	snapSeq := ckpts[len(ckpts)-1]
	name := checkpointName(snapSeq)
	ix, err := Load(filepath.Join(dir, name))
	if err != nil {
		return nil, fail("checkpoint %s: %w", name, err)
	}
	rec.ix = ix
	rec.report.Checkpoint, rec.report.CheckpointSeq = name, snapSeq
	rec.ckpt = ckptInfo{file: name, seq: snapSeq}
	if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
		rec.ckpt.bytes, rec.ckpt.at = fi.Size(), fi.ModTime()
		rec.report.CheckpointTime = rec.ckpt.at
	}
	for _, s := range ckpts[:len(ckpts)-1] {
		rec.retire = append(rec.retire, filepath.Join(dir, checkpointName(s)))
	}
	if cfg != nil {
		if cfg.Location != nil && !sameZone(cfg.Location, ix.loc) {
			return nil, fail("the index's time zone is %s, the configuration's %s", ix.loc, cfg.Location)
		}
		if cfg.Strict && !ix.strict {
			return nil, fail("the index's schema is not strict, the configuration asks for a strict one")
		}
		if len(cfg.Events) > 0 {
			want, err := newIndexEvents(cfg.Events)
			if err != nil {
				return nil, err
			}
			if !maps.EqualFunc(want, ix.evDecl, slices.Equal) {
				return nil, fail("the index declares event properties %v, the configuration %v (they are fixed when the index is created)", ix.evDecl, want)
			}
		}
	}
	last := snapSeq
	for i, first := range logs {
		path := filepath.Join(dir, logName(first))
		if i+1 < len(logs) && logs[i+1] <= snapSeq+1 {
			// every record of this segment is in the checkpoint
			rec.retire = append(rec.retire, path)
			continue
		}
		seg, err := replaySegment(ix, path, first, &last, snapSeq, i == len(logs)-1, &rec.report)
		if err != nil {
			return nil, err
		}
		if i == len(logs)-1 {
			rec.tail = seg
		} else if first+uint64(seg.records) <= snapSeq+1 {
			rec.retire = append(rec.retire, path)
		}
	}
	rec.report.LastSeq = last
	return rec, nil
}

// replaySegment applies the records of a segment after snapSeq in order,
// advancing *last. Only the last segment may end in a torn record.
func replaySegment(ix *Index, path string, first uint64, last *uint64, snapSeq uint64, isLast bool, rep *RecoveryReport) (*segInfo, error) {
	name := filepath.Base(path)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: log %s: "+format, append([]any{ErrCorrupt, path}, args...)...)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bitmapindex: open %s: %w", filepath.Dir(path), err)
	}
	hfirst, version, err := parseWalHeader(data)
	if err != nil {
		return nil, fail("%v", err)
	}
	if hfirst != first {
		return nil, fail("header says the first record is %d, the name %d", hfirst, first)
	}
	recs, dmg, err := scanSegment(data, first, version)
	if err != nil {
		return nil, fail("%v", err)
	}
	seg := &segInfo{path: path, first: first, version: version, records: len(recs), end: walHeaderSize}
	if len(recs) > 0 {
		r := recs[len(recs)-1]
		seg.end = r.off + recHeaderSize + int64(len(r.payload))
	}
	if dmg == nil && version < walVersionPrealloc {
		seg.end = int64(len(data))
	}
	rep.LogBytes += seg.end
	for _, r := range recs {
		if r.seq <= snapSeq {
			continue
		}
		if r.seq != *last+1 {
			return nil, fail("the log jumps from sequence number %d to %d at offset %d (records are missing)", *last, r.seq, r.off)
		}
		lr, err := decodeRecord(ix, r.payload)
		if err == nil {
			err = ix.replay(lr)
		}
		if err != nil {
			return nil, fail("record %d at offset %d: %v", r.seq, r.off, trimPrefix(err))
		}
		*last = r.seq
		rep.Replayed++
	}
	if first > *last+1 && len(recs) == 0 {
		return nil, fail("the segment starts at sequence number %d, after %d (records are missing)", first, *last)
	}
	if dmg != nil {
		switch {
		case dmg.follows >= 0:
			return nil, fail("damaged record at offset %d (%s), followed by a readable record (sequence number %d) at offset %d: not a torn tail",
				dmg.off, dmg.problem, dmg.followsSeq, dmg.follows)
		case !isLast:
			return nil, fail("damaged record at offset %d (%s) in a segment that is not the last", dmg.off, dmg.problem)
		}
		seg.end = dmg.off
		rep.Truncated = true
		rep.TruncatedFile = name
		rep.TruncatedOffset = dmg.off
		rep.TruncatedBytes = int64(len(data)) - dmg.off
		rep.TruncatedSeq = first + uint64(len(recs))
		rep.TruncatedReason = dmg.problem
	}
	return seg, nil
}

// replay applies a decoded log record.
func (ix *Index) replay(r logRecord) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if r.batch == nil {
		_, err := ix.declareLocked(r.declare)
		return err
	}
	if err := r.batch.validateLocked(); err != nil {
		return err
	}
	if r.batch.n > 0 {
		r.batch.applyLocked()
	}
	return nil
}

// ---- files -------------------------------------------------------------------

// createSegment creates a log segment atomically (so that it never exists
// without its header), preallocated with zeros, and opens it for writing;
// it returns the file's size.
func createSegment(dir string, first uint64) (*os.File, string, int64, error) {
	path := filepath.Join(dir, logName(first))
	tmp := filepath.Join(dir, "."+logName(first)+tmpSuffix)
	fail := func(err error) (*os.File, string, int64, error) {
		os.Remove(tmp)
		return nil, "", 0, fmt.Errorf("bitmapindex: create log segment %s: %w", path, err)
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fail(err)
	}
	if _, err := f.Write(walHeader(first)); err != nil {
		f.Close()
		return fail(err)
	}
	if err := writeZeros(f, walHeaderSize, preallocFirst); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := syncDir(dir); err != nil {
		return nil, "", 0, err
	}
	f, err = os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, "", 0, fmt.Errorf("bitmapindex: open log segment: %w", err)
	}
	return f, path, preallocFirst, nil
}

// writeCheckpoint writes a view to path atomically, as Save does: a
// temporary file in the same directory, synced, renamed over path, and the
// directory synced. It returns the file's size.
func writeCheckpoint(v *View, path string) (size int64, err error) {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("bitmapindex: checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := newCheckpointWriter(f)
	if size, err = v.WriteTo(bw); err != nil {
		bw.Close()
		return 0, err
	}
	if err = bw.Close(); err != nil {
		return 0, fmt.Errorf("bitmapindex: checkpoint: %w", err)
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("bitmapindex: checkpoint: %w", err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("bitmapindex: checkpoint: %w", err)
	}
	hook("checkpoint-temp-synced")
	if err = os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("bitmapindex: checkpoint: %w", err)
	}
	hook("checkpoint-renamed")
	return size, syncDir(dir)
}

// checkpointWriter writes a checkpoint file from a goroutine of its own,
// so that encoding the snapshot overlaps the write(2) calls, and starts the
// write-back of each chunk it wrote: without that, the kernel keeps a
// checkpoint of a gigabyte in dirty pages until the final fsync, which then
// writes all of it while nothing else happens.
type checkpointWriter struct {
	f      *os.File
	cur    []byte
	free   chan []byte
	full   chan []byte
	done   chan struct{}
	failed atomic.Bool
	err    error // the goroutine's, read after done
	closed bool
}

const (
	ckptChunk   = 4 << 20 // bytes per write(2) and per write-back request
	ckptBuffers = 4
	ckptWindow  = 4 * ckptChunk // written but perhaps not on the disk yet
)

func newCheckpointWriter(f *os.File) *checkpointWriter {
	w := &checkpointWriter{f: f, free: make(chan []byte, ckptBuffers), full: make(chan []byte, ckptBuffers), done: make(chan struct{})}
	for range ckptBuffers - 1 {
		w.free <- make([]byte, 0, ckptChunk)
	}
	w.cur = make([]byte, 0, ckptChunk)
	go w.run()
	return w
}

func (w *checkpointWriter) run() {
	defer close(w.done)
	var off int64
	for b := range w.full {
		if w.err == nil {
			if _, err := w.f.Write(b); err != nil {
				w.err = err
				w.failed.Store(true)
			} else {
				startWriteback(w.f, off, int64(len(b)))
				off += int64(len(b))
				if prev := off - ckptWindow; prev > 0 {
					// pace: wait for the chunk before the window to
					// reach the disk, then leave the disk to the log's
					// syncs for half as long, so that commits keep most
					// of their rate while a checkpoint is written
					t0 := time.Now()
					waitWriteback(w.f, prev-int64(len(b)), int64(len(b)))
					time.Sleep(time.Since(t0) / 2)
				}
			}
		}
		w.free <- b[:0]
	}
}

// Write copies p into chunks that the goroutine writes. After a failed
// write it returns an error (the goroutine's, from Close).
func (w *checkpointWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.failed.Load() {
			return n - len(p), errors.New("checkpoint write failed")
		}
		k := copy(w.cur[len(w.cur):cap(w.cur)], p)
		w.cur = w.cur[:len(w.cur)+k]
		p = p[k:]
		if len(w.cur) == cap(w.cur) {
			w.full <- w.cur
			w.cur = <-w.free
		}
	}
	return n, nil
}

// Close writes what is buffered, stops the goroutine and returns the first
// write error.
func (w *checkpointWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if len(w.cur) > 0 {
		w.full <- w.cur
	}
	close(w.full)
	<-w.done
	return w.err
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("bitmapindex: truncate torn log tail: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("bitmapindex: truncate torn log tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("bitmapindex: truncate torn log tail: %w", err)
	}
	return nil
}

// syncDir makes the directory's entries (created, renamed and removed
// files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("bitmapindex: sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("bitmapindex: sync directory %s: %w", dir, err)
	}
	return nil
}

// newIndexEvents normalises event property declarations as New does.
func newIndexEvents(decl map[string][]string) (map[string][]string, error) {
	tmp := &Index{}
	if err := tmp.declareEvents(decl); err != nil {
		return nil, err
	}
	return tmp.evDecl, nil
}
