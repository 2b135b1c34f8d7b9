package bitmapindex

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// smallLog builds a directory whose log holds batches 1..n (one record
// each, plus a declaration after batch 2) and returns it with the models
// after 0, 1, … records, the last batch after each record, and the record
// offsets of the segment.
type smallLog struct {
	dir     string
	scratch string
	seg     []byte
	offs    []int64  // record offsets, then the file size
	models  []*model // after k records
	batchOf []int    // the last batch in the first j+1 records
}

func buildSmallLog(t testing.TB, n int) *smallLog {
	dir := t.TempDir()
	cfg := crashConfig()
	ix, err := Open(dir, cfg)
	require.NoError(t, err)
	m := newModel(cfg)
	sl := &smallLog{dir: dir, models: []*model{m.clone()}}
	for i := 1; i <= n; i++ {
		b := ix.NewBatch()
		ops := crashBatch(i)
		for _, o := range ops {
			addToBatch(b, o)
		}
		require.NoError(t, b.Commit())
		require.True(t, m.applyBatch(ops))
		sl.models = append(sl.models, m.clone())
		sl.batchOf = append(sl.batchOf, i)
		if i == 2 {
			a := Attribute{Name: "extra", Kind: KindBool}
			require.NoError(t, ix.Declare(a))
			m.schema[a.Name] = a
			sl.models = append(sl.models, m.clone())
			sl.batchOf = append(sl.batchOf, i)
		}
	}
	require.NoError(t, ix.Close())
	sl.seg, err = os.ReadFile(filepath.Join(dir, logName(1)))
	require.NoError(t, err)
	recs, dmg, err := scanSegment(sl.seg, 1, walVersion)
	require.NoError(t, err)
	require.Nil(t, dmg)
	require.Len(t, recs, n+1)
	for _, r := range recs {
		sl.offs = append(sl.offs, r.off)
	}
	sl.offs = append(sl.offs, int64(len(sl.seg)))
	return sl
}

// withSegment returns a scratch copy of the directory with the given
// segment bytes (the same directory each time: creating directories is
// slow on some disks).
func (sl *smallLog) withSegment(t *testing.T, seg []byte) string {
	if sl.scratch == "" {
		sl.scratch = t.TempDir()
		ck, err := os.ReadFile(filepath.Join(sl.dir, checkpointName(0)))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(sl.scratch, checkpointName(0)), ck, 0o644))
	}
	for _, n := range dirNames(t, sl.scratch) {
		if n != checkpointName(0) && n != logName(1) {
			require.NoError(t, os.Remove(filepath.Join(sl.scratch, n)))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(sl.scratch, logName(1)), seg, 0o644))
	return sl.scratch
}

// recordsWithin returns how many whole records the first size bytes hold.
func (sl *smallLog) recordsWithin(size int64) int {
	k := 0
	for k+1 < len(sl.offs) && sl.offs[k+1] <= size {
		k++
	}
	return k
}

func TestTornLogEveryOffset(t *testing.T) {
	sl := buildSmallLog(t, 6)
	h := &harness{t: t, r: randSource(3)}
	for size := int64(0); size <= int64(len(sl.seg)); size++ {
		dir := sl.withSegment(t, sl.seg[:size])
		if size < walHeaderSize {
			_, err := LoadDir(dir)
			require.ErrorIs(t, err, ErrCorrupt, "size %d", size)
			continue
		}
		// Open (which truncates) at some sizes, LoadDir (which only
		// reports) at the others
		open := size%31 == 0 || size == int64(len(sl.seg))-1
		var ix *Index
		var err error
		if open {
			ix, err = Open(dir, Config{})
		} else {
			ix, err = LoadDir(dir)
		}
		require.NoError(t, err, "size %d", size)
		k := sl.recordsWithin(size)
		boundary := sl.offs[k]
		rep, _ := ix.Recovery()
		require.Equal(t, size != boundary, rep.Truncated, "size %d: %v", size, rep)
		if rep.Truncated {
			require.Equal(t, boundary, rep.TruncatedOffset)
			require.Equal(t, size-boundary, rep.TruncatedBytes)
			require.EqualValues(t, k+1, rep.TruncatedSeq)
			require.Equal(t, logName(1), rep.TruncatedFile)
		}
		require.EqualValues(t, k, rep.LastSeq)
		batches := 0
		if k > 0 {
			batches = sl.batchOf[k-1]
		}
		v := ix.View()
		require.Equal(t, batches, lastBatch(v), "size %d", size)
		if size%5 == 0 || open {
			h.check(v, sl.models[k])
		}
		if open {
			// the log continues after the truncation point
			b := ix.NewBatch()
			b.AddTag("after", "after-tag")
			require.NoError(t, b.Commit())
			require.NoError(t, ix.Close())
			ix, err = Open(dir, Config{})
			require.NoError(t, err)
			rep, _ := ix.Recovery()
			require.False(t, rep.Truncated)
			require.Equal(t, []string{"after"}, setKeys(ix.View().Tag("after-tag")))
			require.Equal(t, batches, lastBatch(ix.View()))
			require.NoError(t, ix.Close())
		}
	}
}

func TestBitFlipsInLog(t *testing.T) {
	sl := buildSmallLog(t, 8)
	h := &harness{t: t, r: randSource(4)}
	last := len(sl.offs) - 2 // index of the last record
	for pos := range len(sl.seg) {
		if pos >= walHeaderSize && int64(pos) < sl.offs[last] && pos%3 != 0 {
			continue // every third byte before the last record, every byte of it
		}
		seg := bytes.Clone(sl.seg)
		seg[pos] ^= 1 << (pos * 5 % 8)
		dir := sl.withSegment(t, seg)
		ix, err := LoadDir(dir)
		if pos < walHeaderSize {
			require.ErrorIs(t, err, ErrCorrupt, "flip at %d", pos)
			require.ErrorContains(t, err, "header")
			continue
		}
		j := sl.recordsWithin(int64(pos)) // the record holding pos
		if j < last {
			// damage before the tail: rejected, naming the record's offset
			require.ErrorIs(t, err, ErrCorrupt, "flip at %d (record %d)", pos, j)
			require.ErrorContains(t, err, fmt.Sprintf("offset %d", sl.offs[j]))
			continue
		}
		// the last record: a torn tail, recovered to the records before it
		require.NoError(t, err, "flip at %d", pos)
		rep, _ := ix.Recovery()
		require.True(t, rep.Truncated)
		require.Equal(t, sl.offs[last], rep.TruncatedOffset)
		batches := sl.batchOf[last-1]
		require.Equal(t, batches, lastBatch(ix.View()))
		if pos%4 == 0 {
			h.check(ix.View(), sl.models[last])
		}
	}
}

func TestLogRecordFraming(t *testing.T) {
	sl := buildSmallLog(t, 3)
	// a readable record with the wrong sequence number is an error, not a tail
	seg := bytes.Clone(sl.seg)
	off := sl.offs[2]
	binary.LittleEndian.PutUint64(seg[off+recHeaderSize:], 99)
	frameRecord(seg[off:sl.offs[3]])
	_, err := LoadDir(sl.withSegment(t, seg))
	require.ErrorContains(t, err, "sequence number 99, want 3")
	// zeros after the last record: in a version 2 segment, the unused
	// preallocated space; in a version 1 segment (a file extended but not
	// written), a torn tail
	seg = append(bytes.Clone(sl.seg), make([]byte, 100)...)
	ix, err := LoadDir(sl.withSegment(t, seg))
	require.NoError(t, err)
	rep, _ := ix.Recovery()
	require.False(t, rep.Truncated)
	require.EqualValues(t, 4, rep.LastSeq)
	require.EqualValues(t, len(sl.seg), rep.LogBytes)
	ix, err = LoadDir(sl.withSegment(t, asVersion1(seg)))
	require.NoError(t, err)
	rep, _ = ix.Recovery()
	require.True(t, rep.Truncated)
	require.EqualValues(t, 100, rep.TruncatedBytes)
	require.Contains(t, rep.String(), "torn log tail: 100 bytes")
	// a header of an unknown version is refused, naming it
	seg = bytes.Clone(sl.seg)
	copy(seg, withHeaderVersion(walHeader(1), 3))
	_, err = LoadDir(sl.withSegment(t, seg))
	require.ErrorContains(t, err, "log version 3 not supported (want 1 or 2)")
	// a record of an unknown type (a newer segkit) is rejected with its offset
	seg = bytes.Clone(sl.seg)
	seg[off+recHeaderSize+8] = 9
	frameRecord(seg[off:sl.offs[3]])
	_, err = LoadDir(sl.withSegment(t, seg))
	require.ErrorContains(t, err, fmt.Sprintf("record 3 at offset %d: unknown record type 9", off))
}

func TestLogEncodingRoundTrip(t *testing.T) {
	// every write kind, through the log and back, applies as the original
	ix, err := New(DefaultConfig())
	require.NoError(t, err)
	b := ix.NewBatch()
	b.Add("a")
	b.AddTag("a", "vip")
	b.RemoveTag("a", "x")
	b.Set("a", "city", Category("Zürich"))
	b.Set("a", "likes", SetOf("math", "art"))
	b.Set("a", "n", Int(-1<<63))
	b.Set("a", "spend", Decimal(12.5))
	b.Set("a", "seen", Time(time.Unix(1700000000, 123456789)))
	b.Set("a", "ok", Bool(true))
	b.Clear("a", "n")
	b.Record("a", "buy", baseTime, 3.25)
	b.Add("b")
	b.Delete("b")
	b.AddTagIDs("bulk", []uint32{0, 0})
	b.SetIDs("n", []uint32{0}, []Value{Int(7)})
	b.RecordIDs("login", baseTime, []uint32{0}, nil)
	b.RecordIDs("login", baseTime, []uint32{0}, []float64{2})
	b.RecordEvent("a", "buy", baseTime, EventDetail{Value: 1234567, Props: map[string]string{"sku": "A1", "channel": "app"}})
	b.RecordEvent("a", "view", baseTime, EventDetail{})
	c := ix.NewChunk([]string{"c", "a"})
	c.Tag("bulk", nil)
	c.Ints("n", []uint32{1}, []int64{9})
	c.Decimals("spend", nil, []float64{1.25, 2})
	c.Times("seen", nil, []int64{1700000000, -5})
	c.Bools("ok", []uint32{0}, []bool{false})
	c.Categories("city", nil, []string{"Bern", ""})
	c.Sets("likes", nil, [][]string{{"b", "a", "b"}, nil})
	c.Events("buy", EventColumns{Rows: []uint32{0, 1, 0}, At: []int64{1700000000, 0, 1700090000}, Values: []Amount{1, 0, -20000}, Props: []PropColumn{{Name: "sku", Values: []string{"A", "", "B"}}}})
	c.Events("login", EventColumns{Rows: []uint32{1}, At: []int64{1700000000}})
	b.addChunk(c)
	seen := map[opKind]bool{}
	b.each(func(_ int, o *op) error { seen[o.kind] = true; return nil })
	require.Len(t, seen, len(opKindNames)-1, "every write kind is in the batch")
	rec, err := appendBatchPayload(binary.LittleEndian.AppendUint64(nil, 1), b)
	require.NoError(t, err)
	lr, err := decodeRecord(ix, rec)
	require.NoError(t, err)
	require.Equal(t, b.n, lr.batch.n)
	var want, got []op
	b.each(func(_ int, o *op) error { want = append(want, *o); return nil })
	lr.batch.each(func(_ int, o *op) error { got = append(got, *o); return nil })
	require.Equal(t, want, got)
	require.Equal(t, b.bulk, lr.batch.bulk)
	require.Equal(t, b.dets, lr.batch.dets)
	// a declaration
	lr, err = decodeRecord(ix, appendDeclarePayload(binary.LittleEndian.AppendUint64(nil, 5), Attribute{Name: "d", Kind: KindDecimal, Scale: 3}))
	require.NoError(t, err)
	require.Equal(t, Attribute{Name: "d", Kind: KindDecimal, Scale: 3}, lr.declare)
	require.EqualValues(t, 5, lr.seq)
}

// FuzzLogSegment reads arbitrary bytes as a log segment after an empty
// checkpoint: it must never panic, and whatever it recovers must be a
// consistent index.
func FuzzLogSegment(f *testing.F) {
	sl := buildSmallLog(f, 4)
	f.Add(sl.seg)
	f.Add(sl.seg[:len(sl.seg)-3])
	f.Add(walHeader(1))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := New(crashConfig())
		require.NoError(t, err)
		// as a segment of either version (version 2: zeros end the log)
		recs, dmg, err := scanSegment(data, 1, uint32(1+len(data)%2))
		if err != nil {
			return
		}
		if dmg != nil {
			require.Less(t, dmg.off, int64(len(data)))
			require.Less(t, dmg.follows, int64(len(data)))
		}
		for _, r := range recs {
			lr, err := decodeRecord(ix, r.payload)
			if err != nil {
				return
			}
			if err := ix.replay(lr); err != nil {
				return
			}
		}
		v := ix.View()
		_, err = v.WriteTo(&bytes.Buffer{})
		require.NoError(t, err)
	})
}

// FuzzLogRecord frames arbitrary bytes as a record payload with a valid
// checksum, so the fuzzer reaches the decoder of the writes: decoding and
// applying must never panic, and a decoded batch must encode and decode
// back to itself.
func FuzzLogRecord(f *testing.F) {
	sl := buildSmallLog(f, 4)
	recs, _, _ := scanSegment(sl.seg, 1, walVersion)
	for _, r := range recs {
		f.Add(bytes.Clone(r.payload[8:]))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ix, err := New(crashConfig())
		require.NoError(t, err)
		payload := append(binary.LittleEndian.AppendUint64(nil, 1), body...)
		lr, err := decodeRecord(ix, payload)
		if err != nil {
			return
		}
		if lr.batch != nil {
			// the encoding is canonical after one round
			once, err := appendBatchPayload(binary.LittleEndian.AppendUint64(nil, 1), lr.batch)
			require.NoError(t, err)
			lr2, err := decodeRecord(ix, once)
			require.NoError(t, err)
			twice, err := appendBatchPayload(binary.LittleEndian.AppendUint64(nil, 1), lr2.batch)
			require.NoError(t, err)
			require.Equal(t, once, twice)
		}
		_ = ix.replay(lr)
		_ = ix.View().Len()
	})
}

// withHeaderVersion returns a segment header with its version replaced
// (and its checksum recomputed).
func withHeaderVersion(h []byte, v uint32) []byte {
	h = bytes.Clone(h[:walHeaderSize])
	binary.LittleEndian.PutUint32(h[8:], v)
	binary.LittleEndian.PutUint32(h[20:], crc32.Checksum(h[:20], crcTable))
	return h
}

// asVersion1 returns a copy of a segment with a version 1 header, as a
// segkit before preallocation wrote it.
func asVersion1(seg []byte) []byte {
	out := bytes.Clone(seg)
	copy(out, withHeaderVersion(seg, 1))
	return out
}

func TestTornLogInPreallocatedSegment(t *testing.T) {
	// a crash leaves the records written so far, perhaps a torn one, and
	// the preallocated zeros after them
	sl := buildSmallLog(t, 5)
	for size := int64(walHeaderSize); size <= int64(len(sl.seg)); size++ {
		seg := append(bytes.Clone(sl.seg[:size]), make([]byte, 1000)...)
		ix, err := LoadDir(sl.withSegment(t, seg))
		require.NoError(t, err, "size %d", size)
		k := sl.recordsWithin(size)
		if k+1 < len(sl.offs) && allZeroBytes(sl.seg[size:sl.offs[k+1]]) {
			k++ // the record's missing bytes were zeros: it is whole
		}
		rep, _ := ix.Recovery()
		require.EqualValues(t, k, rep.LastSeq, "size %d", size)
		require.Equal(t, sl.offs[k], rep.LogBytes, "size %d", size)
		if rep.Truncated {
			require.Equal(t, sl.offs[k], rep.TruncatedOffset, "size %d", size)
			require.Equal(t, int64(len(seg))-sl.offs[k], rep.TruncatedBytes, "size %d", size)
		} else {
			// only zeros after the last whole record
			require.True(t, allZeroBytes(seg[sl.offs[k]:]), "size %d", size)
		}
		if size%7 == 0 {
			// Open truncates, and logging continues
			ix, err := Open(sl.scratch, Config{})
			require.NoError(t, err, "size %d", size)
			require.NoError(t, ix.AddTag("after", "after-tag"))
			require.NoError(t, ix.Close())
			ix, err = Open(sl.scratch, Config{})
			require.NoError(t, err)
			rep, _ := ix.Recovery()
			require.False(t, rep.Truncated)
			require.EqualValues(t, k+1, rep.LastSeq)
			require.Equal(t, []string{"after"}, setKeys(ix.View().Tag("after-tag")))
			require.NoError(t, ix.Close())
		}
	}
}

func TestPreallocatedSegment(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, DefaultConfig())
	require.NoError(t, err)
	seg := filepath.Join(dir, logName(1))
	size := func() int64 {
		fi, err := os.Stat(seg)
		require.NoError(t, err)
		return fi.Size()
	}
	require.EqualValues(t, preallocFirst, size())
	// past the first chunk: the file grows by doubling, ahead of the records
	for i := range 3000 {
		require.NoError(t, ix.AddTag(benchKey(i), "t"))
	}
	st, _ := ix.LogStats()
	require.Greater(t, st.LogBytes, int64(preallocFirst))
	require.Greater(t, size(), st.LogBytes)
	require.Equal(t, preallocSize(preallocFirst, st.LogBytes), size())
	// a reader of the open directory sees the records and no torn tail
	ro, err := LoadDir(dir)
	require.NoError(t, err)
	rep, _ := ro.Recovery()
	require.False(t, rep.Truncated)
	require.EqualValues(t, 3000, rep.LastSeq)
	require.Equal(t, st.LogBytes, rep.LogBytes)
	// Close cuts the unused zeros
	require.NoError(t, ix.Close())
	require.Equal(t, st.LogBytes, size())
	ix, err = Open(dir, Config{})
	require.NoError(t, err)
	require.NoError(t, ix.AddTag("x", "t"))
	require.Equal(t, 3001, ix.View().Tag("t").Len())
	require.NoError(t, ix.Close())

	require.EqualValues(t, 1<<17, preallocSize(preallocFirst, preallocFirst+1))
	require.EqualValues(t, 8<<20, preallocSize(4<<20, 4<<20+1))
	require.EqualValues(t, 12<<20, preallocSize(8<<20, 8<<20+1))
}

func TestLogVersion1Directory(t *testing.T) {
	// a directory written before preallocation: its segment is read as
	// version 1 (ending at the end of the file), Open cuts its torn tail and
	// starts a version 2 segment after it, and both open afterwards
	sl := buildSmallLog(t, 6)
	torn := append(asVersion1(sl.seg), 50, 0, 0, 0, 7)
	dir := sl.withSegment(t, torn)
	ix, err := Open(dir, Config{})
	require.NoError(t, err)
	rep, _ := ix.Recovery()
	require.True(t, rep.Truncated)
	require.EqualValues(t, 5, rep.TruncatedBytes)
	require.EqualValues(t, 7, rep.LastSeq)
	after := []op{{kind: opTag, key: "after", name: "after-tag"}}
	b := ix.NewBatch()
	addToBatch(b, after[0])
	require.NoError(t, b.Commit())
	require.NoError(t, ix.Close())
	want := sl.models[7].clone()
	require.True(t, want.applyBatch(after))
	require.ElementsMatch(t, []string{"LOCK", checkpointName(0), logName(1), logName(8)}, dirNames(t, dir))
	old, err := os.ReadFile(filepath.Join(dir, logName(1)))
	require.NoError(t, err)
	require.Equal(t, asVersion1(sl.seg), old, "the old segment is kept, cut at its last record")
	h := &harness{t: t, r: randSource(5)}
	for _, open := range []bool{true, false} {
		var ix *Index
		if open {
			ix, err = Open(dir, Config{})
		} else {
			ix, err = LoadDir(dir)
		}
		require.NoError(t, err)
		rep, _ := ix.Recovery()
		require.False(t, rep.Truncated)
		require.EqualValues(t, 8, rep.LastSeq)
		require.Equal(t, []string{"after"}, setKeys(ix.View().Tag("after-tag")))
		h.check(ix.View(), want)
		require.NoError(t, ix.Close())
	}
	// a checkpoint retires both
	ix, err = Open(dir, Config{})
	require.NoError(t, err)
	require.NoError(t, ix.Checkpoint())
	require.NoError(t, ix.Close())
	require.ElementsMatch(t, []string{"LOCK", checkpointName(8), logName(9)}, dirNames(t, dir))
}
