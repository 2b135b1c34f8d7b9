package bitmapindex

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// durableHarness drives random writes against an index opened with Open
// and the map model, reopening and checkpointing along the way.
type durableHarness struct {
	*harness
	dir string
	cfg Config
}

func (h *durableHarness) reopen() {
	t := h.t
	require.NoError(t, h.ix.Close())
	ix, err := Open(h.dir, h.cfg)
	require.NoError(t, err)
	rep, ok := ix.Recovery()
	require.True(t, ok)
	require.False(t, rep.Truncated, "clean close leaves no torn tail: %v", rep)
	h.ix = ix
	// the replayed index holds the same data (bit-sliced attributes may
	// pick another reference value than the original's history did, so the
	// snapshot bytes can differ)
	h.check(ix.View(), h.m)
}

func (h *durableHarness) step() {
	t, r := h.t, h.r
	switch k := r.IntN(60); {
	case k < 1:
		h.reopen()
	case k < 3:
		require.NoError(t, h.ix.Checkpoint())
	case k < 4:
		h.bulkBatch()
	case k < 5:
		a := genAttrs[r.IntN(len(genAttrs))]
		if _, ok := h.m.schema[a.Name]; !ok {
			require.NoError(t, h.ix.Declare(a))
			h.m.schema[a.Name] = a
		}
	case k < 30:
		o := genOp(r, h.ix.loc)
		ok := h.m.valid(o, map[string]Attribute{})
		err := applySingle(h.ix, o)
		if ok {
			require.NoError(t, err, "op %+v", o)
			h.m.apply(o)
		} else if o.kind != opAdd && o.kind != opDelete {
			require.Error(t, err, "op %+v", o)
		}
	default:
		b := h.ix.NewBatch()
		var ops []op
		for range r.IntN(12) + 1 {
			o := genOp(r, h.ix.loc)
			ops = append(ops, o)
			addToBatch(b, o)
		}
		ok := h.m.applyBatch(ops)
		err := b.Commit()
		if ok {
			require.NoError(t, err)
		} else {
			var be *BatchError
			require.ErrorAs(t, err, &be)
		}
	}
}

func TestDurableProperty(t *testing.T) {
	for seed := range uint64(4) {
		dir := t.TempDir()
		cfg := Config{Location: time.UTC}
		if seed%2 == 1 {
			shanghai, err := time.LoadLocation("Asia/Shanghai")
			require.NoError(t, err)
			cfg = Config{Location: shanghai, Strict: true, Schema: genAttrs[:5], Sync: SyncInterval(time.Millisecond)}
		}
		ix, err := Open(dir, cfg)
		require.NoError(t, err)
		h := &durableHarness{harness: &harness{t: t, r: randSource(seed), ix: ix, m: newModel(cfg)}, dir: dir, cfg: cfg}
		for i := range 500 {
			h.step()
			if i%100 == 99 {
				h.check(h.ix.View(), h.m)
			}
		}
		h.reopen()
		h.check(h.ix.View(), h.m)
		require.NoError(t, h.ix.Close())
		// LoadDir reads the same state without the lock
		ix2, err := LoadDir(dir)
		require.NoError(t, err)
		h.check(ix2.View(), h.m)
	}
}

func TestOpenLockAndClose(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, DefaultConfig())
	require.NoError(t, err)
	rep, _ := ix.Recovery()
	require.True(t, rep.Created)
	_, err = Open(dir, DefaultConfig())
	require.ErrorIs(t, err, ErrLocked)
	require.Contains(t, err.Error(), filepath.Join(dir, "LOCK"))
	require.NoError(t, ix.AddTag("a", "vip"))
	v := ix.View()
	require.NoError(t, ix.Close())
	require.ErrorIs(t, ix.Close(), ErrClosed)
	require.ErrorIs(t, ix.AddTag("b", "vip"), ErrClosed)
	b := ix.NewBatch()
	b.AddTag("c", "x")
	require.ErrorIs(t, b.Commit(), ErrClosed)
	require.ErrorIs(t, ix.Checkpoint(), ErrClosed)
	require.ErrorIs(t, ix.Declare(Attribute{Name: "z", Kind: KindInt}), ErrClosed)
	_, created := ix.Add("d")
	require.False(t, created)
	require.Equal(t, 1, v.Tag("vip").Len(), "views stay usable after Close")

	ix, err = Open(dir, DefaultConfig())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, setKeys(ix.View().Tag("vip")))
	require.Equal(t, 0, ix.View().Tag("x").Len())
	require.NoError(t, ix.Close())
}

func TestOpenConfigChecks(t *testing.T) {
	dir := t.TempDir()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	ix, err := Open(dir, Config{Location: shanghai, Schema: []Attribute{{Name: "age", Kind: KindInt}}, Events: map[string][]string{"buy": {"sku", "channel"}}})
	require.NoError(t, err)
	require.NoError(t, ix.Close())

	_, err = Open(dir, Config{Location: time.UTC})
	require.ErrorContains(t, err, "time zone is Asia/Shanghai")
	_, err = Open(dir, Config{Strict: true})
	require.ErrorContains(t, err, "not strict")
	_, err = Open(dir, Config{Schema: []Attribute{{Name: "age", Kind: KindTime}}})
	require.ErrorContains(t, err, `"age" is already declared as int`)
	_, err = Open(dir, Config{Events: map[string][]string{"buy": {"sku"}}})
	require.ErrorContains(t, err, "event properties")
	_, err = Open(dir, Config{Sync: SyncInterval(0)})
	require.ErrorContains(t, err, "must be positive")

	// the same event declarations in another order are the same
	ix, err = Open(dir, Config{Events: map[string][]string{"buy": {"channel", "sku"}}})
	require.NoError(t, err)
	require.Equal(t, map[string][]string{"buy": {"channel", "sku"}}, ix.View().EventSchema())
	require.NoError(t, ix.Close())
	// a nil Location keeps the index's; a new attribute is declared and logged
	ix, err = Open(dir, Config{Schema: []Attribute{{Name: "spend", Kind: KindDecimal, Scale: 2}}})
	require.NoError(t, err)
	require.Equal(t, shanghai.String(), ix.Location().String())
	require.Len(t, ix.Schema(), 2)
	require.NoError(t, ix.Close())
	ix, err = Open(dir, Config{})
	require.NoError(t, err)
	require.Len(t, ix.Schema(), 2)
	require.NoError(t, ix.Close())
}

func TestCheckpointRetiresLog(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, DefaultConfig())
	require.NoError(t, err)
	for i := range 100 {
		require.NoError(t, ix.Set(benchKey(i), "n", Int(int64(i))))
	}
	st, ok := ix.LogStats()
	require.True(t, ok)
	require.EqualValues(t, 100, st.LastSeq)
	require.EqualValues(t, 100, st.LogRecords)
	require.Greater(t, st.LogBytes, int64(walHeaderSize))
	require.NoError(t, ix.Checkpoint())
	st, _ = ix.LogStats()
	require.EqualValues(t, 100, st.CheckpointSeq)
	require.Equal(t, checkpointName(100), st.CheckpointFile)
	require.EqualValues(t, 0, st.LogRecords)
	require.EqualValues(t, walHeaderSize, st.LogBytes)
	require.Positive(t, st.CheckpointBytes)
	require.NoError(t, ix.Checkpoint(), "a checkpoint with nothing new does nothing")
	require.NoError(t, ix.AddTag(benchKey(3), "vip"))
	require.NoError(t, ix.Close())
	require.ElementsMatch(t, []string{"LOCK", checkpointName(100), logName(101)}, dirNames(t, dir))

	ix, err = Open(dir, DefaultConfig())
	require.NoError(t, err)
	rep, _ := ix.Recovery()
	require.Equal(t, 1, rep.Replayed)
	require.EqualValues(t, 101, rep.LastSeq)
	require.Equal(t, 100, ix.Len())
	require.Equal(t, []string{benchKey(3)}, setKeys(ix.View().Tag("vip")))
	require.NoError(t, ix.Close())

	mem, err := New(DefaultConfig())
	require.NoError(t, err)
	require.ErrorIs(t, mem.Checkpoint(), ErrNotDurable)
	require.NoError(t, mem.Close())
	_, ok = mem.LogStats()
	require.False(t, ok)
}

func TestAutoCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, Config{CheckpointLogBytes: 4 << 10})
	require.NoError(t, err)
	for i := range 2000 {
		require.NoError(t, ix.AddTag(benchKey(i), "t"))
	}
	require.NoError(t, ix.Close())
	st, _ := ix.LogStats()
	require.Positive(t, st.CheckpointSeq)
	require.NoError(t, st.CheckpointError)
	ix, err = Open(dir, Config{})
	require.NoError(t, err)
	rep, _ := ix.Recovery()
	require.Positive(t, rep.CheckpointSeq)
	require.Less(t, rep.LogBytes, int64(8<<10))
	require.Equal(t, 2000, ix.View().Tag("t").Len())
	require.NoError(t, ix.Close())
}

func dirNames(t testing.TB, dir string) []string {
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestLoadDirReadsWithoutChanging(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, DefaultConfig())
	require.NoError(t, err)
	for i := range 10 {
		require.NoError(t, ix.AddTag(benchKey(i), "t"))
	}
	// while open, a torn record at the end (as a writer mid-append leaves)
	seg := filepath.Join(dir, logName(1))
	st, _ := ix.LogStats()
	f, err := os.OpenFile(seg, os.O_WRONLY, 0)
	require.NoError(t, err)
	fi, err := f.Stat()
	require.NoError(t, err)
	require.Greater(t, fi.Size(), st.LogBytes, "the segment is preallocated")
	_, err = f.WriteAt([]byte{40, 0, 0, 0, 1, 2}, st.LogBytes)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	before, err := os.ReadFile(seg)
	require.NoError(t, err)
	ro, err := LoadDir(dir)
	require.NoError(t, err)
	require.Equal(t, 10, ro.View().Tag("t").Len())
	rep, ok := ro.Recovery()
	require.True(t, ok)
	require.True(t, rep.Truncated)
	require.EqualValues(t, fi.Size()-st.LogBytes, rep.TruncatedBytes, "the torn record and the zeros after it")
	require.Equal(t, st.LogBytes, rep.TruncatedOffset)
	require.EqualValues(t, 11, rep.TruncatedSeq)
	after, err := os.ReadFile(seg)
	require.NoError(t, err)
	require.Equal(t, before, after, "LoadDir changes nothing")
	require.NoError(t, ro.Close(), "an index from LoadDir has nothing to close")
	require.NoError(t, ix.Close())

	_, err = LoadDir(t.TempDir())
	require.ErrorContains(t, err, "no segkit index here")
	_, err = LoadDir(filepath.Join(dir, "missing"))
	require.Error(t, err)
}

func TestRecoveryErrors(t *testing.T) {
	build := func(t *testing.T) string {
		dir := t.TempDir()
		ix, err := Open(dir, DefaultConfig())
		require.NoError(t, err)
		for i := range 5 {
			require.NoError(t, ix.AddTag(benchKey(i), "t"))
		}
		require.NoError(t, ix.Checkpoint())
		for i := range 5 {
			require.NoError(t, ix.AddTag(benchKey(i), "u"))
		}
		require.NoError(t, ix.Close())
		return dir
	}
	t.Run("missing segment", func(t *testing.T) {
		dir := build(t)
		// a log that starts after the checkpoint's next record
		require.NoError(t, os.Rename(filepath.Join(dir, logName(6)), filepath.Join(dir, logName(7))))
		_, err := Open(dir, Config{})
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, "header says the first record is 6")
	})
	t.Run("damaged checkpoint", func(t *testing.T) {
		dir := build(t)
		p := filepath.Join(dir, checkpointName(5))
		data, _ := os.ReadFile(p)
		data[len(data)/2] ^= 0x10
		require.NoError(t, os.WriteFile(p, data, 0o644))
		_, err := Open(dir, Config{})
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, checkpointName(5))
	})
	t.Run("log without checkpoint", func(t *testing.T) {
		dir := build(t)
		require.NoError(t, os.Remove(filepath.Join(dir, checkpointName(5))))
		_, err := Open(dir, Config{})
		require.ErrorContains(t, err, "no checkpoint")
	})
	t.Run("leftovers removed", func(t *testing.T) {
		dir := build(t)
		// an interrupted checkpoint's temporary file, an old checkpoint and
		// a retired segment
		require.NoError(t, os.WriteFile(filepath.Join(dir, "."+checkpointName(9)+tmpSuffix), []byte("half"), 0o644))
		ix, err := Open(t.TempDir(), Config{})
		require.NoError(t, err)
		require.NoError(t, ix.Close())
		require.NoError(t, os.WriteFile(filepath.Join(dir, checkpointName(0)), nil, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, logName(1)), walHeader(1), 0o644))
		ix, err = Open(dir, Config{})
		require.NoError(t, err)
		rep, _ := ix.Recovery()
		require.ElementsMatch(t, []string{"." + checkpointName(9) + tmpSuffix, checkpointName(0), logName(1)}, rep.Removed)
		require.Equal(t, 5, ix.View().Tag("u").Len())
		require.NoError(t, ix.Close())
		require.ElementsMatch(t, []string{"LOCK", checkpointName(5), logName(6)}, dirNames(t, dir))
	})
}

func TestLogWriteFailureIsSticky(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ix.AddTag("a", "t"))
	// make the next write fail: close the segment under the writer
	ix.dur.log.mu.Lock()
	ix.dur.log.f.Close()
	ix.dur.log.mu.Unlock()
	err = ix.AddTag("b", "t")
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "refuses further writes"), err.Error())
	err2 := ix.AddTag("c", "t")
	require.True(t, errors.Is(err2, os.ErrClosed) || err2 != nil)
	require.Error(t, ix.Close())
	ix, err = Open(dir, DefaultConfig())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, setKeys(ix.View().Tag("t")))
	require.NoError(t, ix.Close())
}

func TestCreateDir(t *testing.T) {
	ix, err := New(Config{Schema: []Attribute{{Name: "age", Kind: KindInt}}})
	require.NoError(t, err)
	for i := range 50 {
		require.NoError(t, ix.Set(benchKey(i), "age", Int(int64(20+i))))
	}
	dir := filepath.Join(t.TempDir(), "new", "index")
	require.NoError(t, CreateDir(dir, ix.View()))
	require.ErrorContains(t, CreateDir(dir, ix.View()), "already holds an index")
	d, err := Open(dir, Config{})
	require.NoError(t, err)
	require.Equal(t, 50, d.Len())
	require.NoError(t, d.Set(benchKey(50), "age", Int(99)))
	// CreateDir refuses a directory that is open
	require.ErrorIs(t, CreateDir(dir, ix.View()), ErrLocked)
	require.NoError(t, d.Close())
	d, err = LoadDir(dir)
	require.NoError(t, err)
	require.Equal(t, 51, d.Len())
	rep, _ := d.Recovery()
	require.Equal(t, 1, rep.Replayed)
	require.False(t, rep.CheckpointTime.IsZero())
}

func TestGroupCommitGatherIsBounded(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, DefaultConfig())
	require.NoError(t, err)
	defer ix.Close()
	require.NoError(t, ix.AddTag("a", "t"))
	l := ix.dur.log
	// as if the last round had synced 50 committers' records and taken an
	// hour: a lone committer waits for the others at most maxGather
	l.mu.Lock()
	l.lastGroup, l.lastSync = 50, time.Hour
	syncs := l.syncs
	l.mu.Unlock()
	t0 := time.Now()
	require.NoError(t, ix.AddTag("b", "t"))
	waited := time.Since(t0)
	l.mu.Lock()
	require.EqualValues(t, 1, l.lastGroup, "the round synced one record")
	require.Equal(t, syncs+1, l.syncs)
	l.mu.Unlock()
	require.GreaterOrEqual(t, waited, maxGather, "the leader waited for more records")
	// after a round of one, a lone committer's rounds stay rounds of one
	require.NoError(t, ix.AddTag("c", "t"))
	l.mu.Lock()
	require.EqualValues(t, 1, l.lastGroup)
	l.mu.Unlock()
	require.Equal(t, 3, ix.View().Tag("t").Len())
}
