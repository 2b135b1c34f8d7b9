package bitmapindex

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rewriteSections applies fix to every section of a snapshot (payload
// only; the frame and checksum are rebuilt) and returns the new snapshot.
func rewriteSections(t *testing.T, data []byte, fix func(typ uint32, payload []byte) []byte) []byte {
	out := slices.Clone(data[:len(header())])
	for _, s := range splitSections(t, data) {
		typ := binary.LittleEndian.Uint32(s)
		out = append(out, section(typ, fix(typ, slices.Clone(s[16:])))...)
	}
	return out
}

// withIDCount returns ix read back from a snapshot whose ID count is
// rewritten to ids: legal, as deleted IDs are never reused, and the next
// customer added gets ID ids.
func withIDCount(t *testing.T, ix *Index, ids uint32) *Index {
	t.Helper()
	data := rewriteSections(t, snapshotBytes(t, ix), func(typ uint32, p []byte) []byte {
		if typ == secMeta {
			binary.LittleEndian.PutUint32(p[len(p)-4:], ids)
		}
		return p
	})
	back, err := Read(bytes.NewReader(data))
	require.NoError(t, err, "a large ID count is legal: deleted IDs are never reused")
	return back
}

// TestHostileIDCount is issue 14 item 1: a snapshot whose ID count leaves
// no room for new IDs is read, and the index must then refuse new
// customers instead of wrapping IDs around onto existing ones.
func TestHostileIDCount(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	ix.Add("a")
	ix.Add("b")
	back := withIDCount(t, ix, 0xFFFFFFFE)
	for i := range 3 {
		id, created := back.Add(fmt.Sprintf("new%d", i))
		if created {
			require.Less(t, id, uint32(math.MaxUint32), "IDs stay below the ID count limit")
			require.GreaterOrEqual(t, id, uint32(0xFFFFFFFE))
		}
		v := back.View()
		for k, want := range map[string]uint32{"a": 0, "b": 1} {
			got, ok := v.ID(k)
			require.True(t, ok, "%q lost after adding new%d", k, i)
			require.Equal(t, want, got)
			key, ok := v.Key(want)
			require.True(t, ok)
			require.Equal(t, k, key)
		}
	}
	assert.LessOrEqual(t, back.Len(), 3)
	err := back.AddTag("another", "t")
	var be *BatchError
	require.ErrorAs(t, err, &be, "a write that needs a new ID when none is left fails")
	assert.ErrorIs(t, err, ErrIDsExhausted)
	b := back.NewBatch()
	b.Add("x1")
	b.Add("x2")
	require.ErrorIs(t, b.Commit(), ErrIDsExhausted)
}

// eventPopulation builds an index with events over several blocks, repeat
// occurrences and values.
func eventPopulation(t testing.TB) *Index {
	ix := mustNew(t, DefaultConfig())
	b := ix.NewBatch()
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 200 {
		k := fmt.Sprintf("c%03d", i)
		for j := range i%7 + 1 {
			b.Record(k, "buy", t0.AddDate(0, 0, (i*3+j*5)%70), float64(j+1))
		}
	}
	require.NoError(t, b.Commit())
	return ix
}

// TestSnapshotCrossChecks is issue 14 item 1: sections with valid
// checksums whose content contradicts the other sections are rejected.
func TestSnapshotCrossChecks(t *testing.T) {
	// version 2 stores block counters, checked with arrays or bitmap
	// arithmetic; version 3 derives the blocks from the days
	for _, dense := range []int{12, 0} {
		old, oldVolume := maxDenseSlice, minDenseVolume
		maxDenseSlice, minDenseVolume = dense, 0 // 0: the bitmap-arithmetic check
		snapWriteVersion = 2
		t.Run(fmt.Sprint("v2/dense", dense), testSnapshotCrossChecks)
		snapWriteVersion = snapVersion
		maxDenseSlice, minDenseVolume = old, oldVolume
	}
	t.Run("v3", testSnapshotCrossChecks)
	old := denseBlockWords
	denseBlockWords = 0 // every block derived with roaring's operations
	t.Run("v3/sparse", testSnapshotCrossChecks)
	denseBlockWords = old
}

func testSnapshotCrossChecks(t *testing.T) {
	ix := eventPopulation(t)
	honest := snapshotBytes(t, ix)
	_, err := Read(bytes.NewReader(honest))
	require.NoError(t, err)
	// readName skips the event name and day/block number of a payload.
	head := func(p []byte) int {
		l, w := binary.Uvarint(p)
		return w + int(l) + 4
	}
	cases := map[string]func(typ uint32, p []byte) []byte{
		// a block counter that counts 2 more for one customer: the same
		// customers, other counts
		"block count differs from its days": func() func(uint32, []byte) []byte {
			done := false
			return func(typ uint32, p []byte) []byte {
				if typ != secBlock || done {
					return p
				}
				h := head(p)
				n, w := binary.Uvarint(p[h:])
				rest := p[h+w:]
				var slices_ []*roaring.Bitmap
				for range n {
					x, m, err := readBitmapPrefix(rest)
					require.NoError(t, err)
					slices_ = append(slices_, x)
					rest = rest[m:]
				}
				if len(slices_) < 2 {
					return p
				}
				extra := roaring.AndNot(slices_[0], slices_[1])
				if extra.IsEmpty() {
					return p
				}
				done = true
				slices_[1].Add(extra.Minimum())
				out := append(slices.Clone(p[:h]), binary.AppendUvarint(nil, n)...)
				for _, x := range slices_ {
					xb, err := x.ToBytes()
					require.NoError(t, err)
					out = append(out, xb...)
				}
				return out
			}
		}(),
	}
	if snapWriteVersion < 3 {
		for name, fix := range cases {
			_, err := Read(bytes.NewReader(rewriteSections(t, honest, fix)))
			assert.ErrorIs(t, err, ErrCorrupt, name)
		}
	} else {
		// a version-3 snapshot has no block sections, and a block section
		// in one is rejected
		sections := 0
		rewriteSections(t, honest, func(typ uint32, p []byte) []byte {
			require.NotEqual(t, secBlock, typ)
			sections++
			return p
		})
		require.Positive(t, sections)
		snapWriteVersion = 2
		v2 := snapshotBytes(t, ix)
		snapWriteVersion = snapVersion
		binary.LittleEndian.PutUint32(v2[8:], snapVersion)
		_, err := Read(bytes.NewReader(v2))
		assert.ErrorIs(t, err, ErrCorrupt, "block sections in a version-3 snapshot")
	}

	// first occurrences: find a customer with occurrences on two days and
	// claim its later day as the first, within a block and across blocks.
	v := ix.View()
	e := v.st.events["buy"]
	for _, sameBlock := range []bool{true, false} {
		var id uint32
		var d1, d2 segkit.Day
		found := false
		for cid := range roaring.Values(e.ever.b) {
			occ := e.occurrences(cid, math.MinInt32)
			for _, d := range occ[1:] {
				if d != occ[0] && !e.first[d].empty() && e.first[occ[0]].card() > 1 && (blockOf(d) == blockOf(occ[0])) == sameBlock {
					id, d1, d2, found = cid, occ[0], d, true
					break
				}
			}
			if found {
				break
			}
		}
		require.True(t, found, "same block %v", sameBlock)
		moved := rewriteSections(t, honest, func(typ uint32, p []byte) []byte {
			if typ != secFirst {
				return p
			}
			l, w := binary.Uvarint(p)
			day := segkit.Day(int32(binary.LittleEndian.Uint32(p[w+int(l):])))
			b, _, err := readBitmapPrefix(p[w+int(l)+4:])
			require.NoError(t, err)
			switch day {
			case d1:
				b.Remove(id)
			case d2:
				b.Add(id)
			default:
				return p
			}
			bb, err := b.ToBytes()
			require.NoError(t, err)
			return append(slices.Clone(p[:w+int(l)+4]), bb...)
		})
		_, err = Read(bytes.NewReader(moved))
		assert.ErrorIs(t, err, ErrCorrupt, "first occurrence later than an occurrence (same block %v)", sameBlock)
	}
}

// TestEventValueRangeRejected is issue 14 item 2: a value that would
// make a customer's event sum non-finite (1e308 twice) is rejected at the
// write, naming the event; event values are amounts of at most 10^12, so
// sums of any number of them stay finite and the index stays savable.
func TestEventValueRangeRejected(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ix := mustNew(t, DefaultConfig())
	for _, f := range []float64{1e308, -1e308, math.Inf(1), math.NaN(), 1e13} {
		err := ix.Record("c1", "purchase", t0, f)
		require.Error(t, err, "%v", f)
		assert.Contains(t, err.Error(), `"purchase"`)
		b := ix.NewBatch()
		b.Add("c1")
		b.RecordIDs("purchase", t0, []uint32{0}, []float64{f})
		require.Error(t, b.Commit(), "%v", f)
	}
	b := ix.NewBatch()
	for range 1000 {
		b.Record("c2", "purchase", t0, float64(MaxAmount)/amountUnit)
	}
	require.NoError(t, b.Commit())
	path := filepath.Join(t.TempDir(), "ix.segkit")
	require.NoError(t, ix.Save(path))
	back, err := Load(path)
	require.NoError(t, err)
	sum, ok := back.View().EventSum("purchase", "c2")
	assert.True(t, ok)
	assert.Equal(t, 1e15, sum)
}

// TestTimeOutOfRangeRejected is issue 14 item 2 for instants: times whose
// day does not fit the index's day numbers are rejected at the write.
func TestTimeOutOfRangeRejected(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	far := time.Unix(1<<52, 0)
	err := ix.Set("c", "born", Time(far))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"born"`)
	err = ix.Record("c", "visit", far, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"visit"`)
	b := ix.NewBatch()
	b.RecordIDs("visit", time.Unix(-1<<50, 0), nil, nil)
	require.Error(t, b.Commit())
	assert.Equal(t, 0, ix.Len())
	require.NoError(t, ix.Set("c", "born", Time(time.Date(-4000, 1, 1, 0, 0, 0, 0, time.UTC))))
	require.NoError(t, ix.Record("c", "visit", time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), 1))
	_, err = Read(bytes.NewReader(snapshotBytes(t, ix)))
	require.NoError(t, err)
}

// extremeValues are values at and beyond the edges of what an index
// stores, for the accept-then-round-trip property.
func extremeValue(r *randSrc, a Attribute) Value {
	switch a.Kind {
	case KindInt:
		return Int([]int64{math.MinInt64, math.MaxInt64, 0, -1, 1 << 62}[r.IntN(5)])
	case KindDecimal:
		return Decimal([]float64{math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.NaN(), 9.2e16, -9.2e16, 1e-300, 0}[r.IntN(8)])
	case KindTime:
		return Value{k: KindTime, n: []int64{math.MinInt64, math.MaxInt64, 1 << 46, -(1 << 46), 0, 253402300799}[r.IntN(6)]}
	case KindBool:
		return Bool(r.IntN(2) == 0)
	case KindCategory:
		return Category([]string{"", "x", string(bytes.Repeat([]byte{0xff}, 300))}[r.IntN(3)])
	default:
		return SetOf([]string{"", "a", "b"}[:r.IntN(4)%4]...)
	}
}

type randSrc struct{ s source }

func (r *randSrc) IntN(n int) int { return r.s.IntN(n) }

// TestAcceptedWritesRoundTrip is the property of issue 14 item 2: whatever
// the index accepts, including values at the edges of every kind, Save then
// Load gives back an index that writes the same snapshot.
func TestAcceptedWritesRoundTrip(t *testing.T) {
	attrs := []Attribute{{Name: "i", Kind: KindInt}, {Name: "d", Kind: KindDecimal, Scale: 2}, {Name: "t", Kind: KindTime},
		{Name: "b", Kind: KindBool}, {Name: "c", Kind: KindCategory}, {Name: "s", Kind: KindSet}}
	floats := []float64{1e308, -1e308, math.MaxFloat64, math.Inf(1), math.NaN(), 5e-324, 1, -1, 0}
	times := []time.Time{time.Unix(math.MaxInt64/2, 0), time.Unix(-1<<40, 0), time.Unix(0, 0), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(1<<45, 0)}
	dir := t.TempDir()
	for seed := range 40 {
		r := &randSrc{randSource(uint64(seed))}
		ix := mustNew(t, Config{Schema: attrs})
		accepted := 0
		path := filepath.Join(dir, "p.segkit")
		for range 60 {
			b := ix.NewBatch()
			for range 1 + r.IntN(4) {
				key := fmt.Sprintf("k%d", r.IntN(6))
				switch r.IntN(5) {
				case 0:
					a := attrs[r.IntN(len(attrs))]
					b.Set(key, a.Name, extremeValue(r, a))
				case 1:
					b.Record(key, "e", times[r.IntN(len(times))], floats[r.IntN(len(floats))])
				case 2:
					ids := []uint32{uint32(r.IntN(4)), uint32(r.IntN(4))}
					b.RecordIDs("e", times[r.IntN(len(times))], ids, []float64{floats[r.IntN(len(floats))], floats[r.IntN(len(floats))]})
				case 3:
					b.Delete(key)
				default:
					b.AddTag(key, "t")
				}
			}
			if b.Commit() == nil {
				accepted++
			}
			data := snapshotBytes(t, ix)
			back, err := Read(bytes.NewReader(data))
			require.NoError(t, err, "seed %d: Read rejects what WriteTo wrote", seed)
			require.Equal(t, data, snapshotBytes(t, back), "seed %d", seed)
		}
		require.NotZero(t, accepted)
		require.NoError(t, ix.Save(path))
		back, err := Load(path)
		require.NoError(t, err, "seed %d: Load rejects what Save wrote", seed)
		require.Equal(t, snapshotBytes(t, ix), snapshotBytes(t, back), "seed %d", seed)
	}
}

// TestBatchDeleteThenWriteByID is issue 14 item 3 (found by FuzzOperations):
// writes by ID to a customer deleted earlier in the same batch do nothing,
// as in the model, and leave no tag, attribute or event behind.
func TestBatchDeleteThenWriteByID(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	id, _ := ix.Add("f")
	require.Equal(t, uint32(0), id)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := ix.NewBatch()
	b.Delete("f")
	b.AddTagIDs("vip", []uint32{0})
	b.SetIDs("age", []uint32{0}, []Value{Int(3)})
	b.RecordIDs("buy", t0, []uint32{0}, nil)
	require.NoError(t, b.Commit())
	v := ix.View()
	assert.Equal(t, 0, v.Len())
	assert.False(t, v.HasTag("vip"), "no tag")
	assert.Empty(t, v.Schema(), "no attribute declared")
	assert.Empty(t, v.Events(), "no event")
	// written before the delete: the tag stays known with nobody in it
	ix2 := mustNew(t, DefaultConfig())
	ix2.Add("f")
	b = ix2.NewBatch()
	b.AddTagIDs("vip", []uint32{0})
	b.Delete("f")
	require.NoError(t, b.Commit())
	assert.True(t, ix2.View().HasTag("vip"))
	assert.Equal(t, 0, ix2.View().Len())
}
