package bitmapindex

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/stretchr/testify/require"
)

// heldCountBytes is the size of the block counters v holds for event.
func heldCountBytes(v *View, event string) (n int64) {
	for _, b := range v.st.events[event].blocks {
		for _, x := range b.built() {
			if x != nil {
				n += int64(x.b.GetSizeInBytes())
			}
		}
	}
	return n
}

// TestBlockCountsLazy: a count over whole blocks builds their counters
// (Stats counts them) and nothing else does; writers carry built counters
// into their copies and update them (records by key, a chunk of new
// customers, deletes) while the older view keeps its own; a snapshot
// holds none after a load and answers the same.
func TestBlockCountsLazy(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	day0 := segkit.DayOf(t0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	record := func(n, days int) {
		b := ix.NewBatch()
		for range n {
			k := fmt.Sprintf("c%03d", rng.IntN(300))
			b.Add(k)
			b.Record(k, "login", t0.AddDate(0, 0, rng.IntN(days)), 0)
		}
		require.NoError(t, b.Commit())
	}
	record(3000, 120)
	past := day0.AddDays(100) // before the last day: the ranks do not answer
	counts := func(v *View) []int {
		var out []int
		for from := day0 - 3; from < day0+70; from += 7 {
			for n := int64(1); n <= 6; n++ {
				out = append(out, v.Count("login", from, past, Ge, n).Len(), v.Count("login", from, past, Eq, n).Len())
			}
		}
		return out
	}
	// the answers of a copy: counters built there, not in v
	fresh := func(v *View) []int {
		var buf bytes.Buffer
		_, err := v.WriteTo(&buf)
		require.NoError(t, err)
		ix2, err := Read(&buf)
		require.NoError(t, err)
		v2 := ix2.View()
		require.Zero(t, heldCountBytes(v2, "login"), "a load holds no counters")
		return counts(v2)
	}

	v1 := ix.View()
	mem0 := v1.Stats().MemoryBytes
	require.Zero(t, heldCountBytes(v1, "login"))
	var snap0 bytes.Buffer // (counters summed for the write)
	_, err := v1.WriteTo(&snap0)
	require.NoError(t, err)
	require.Zero(t, heldCountBytes(v1, "login"), "a write holds no counters")
	v1.Did("login", day0, past)
	v1.Did("login", day0, day0.AddDays(200)) // the ranks
	p, _ := v1.Profile("c001")
	require.NotEmpty(t, p.Events["login"])
	require.Zero(t, heldCountBytes(v1, "login"), "did and profiles build no counter")
	want1 := fresh(v1)
	require.Equal(t, want1, counts(v1))
	held := heldCountBytes(v1, "login")
	require.Positive(t, held)
	require.GreaterOrEqual(t, v1.Stats().MemoryBytes-mem0, held, "Stats counts the counters")
	checkHeldCounts(t, v1, false)
	var snap1 bytes.Buffer // (counters held)
	_, err = v1.WriteTo(&snap1)
	require.NoError(t, err)
	require.Equal(t, snap0.Bytes(), snap1.Bytes(), "the snapshot does not depend on the counters held")

	// writes on built blocks: records, a chunk of new customers, deletes
	record(200, 120)
	var keys []string
	var ev EventColumns
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("new%02d", i))
		for range 2 { // twice on one day
			ev.Rows = append(ev.Rows, uint32(i))
			ev.At = append(ev.At, t0.AddDate(0, 0, i).Unix())
		}
	}
	c := ix.NewChunk(keys)
	c.Events("login", ev)
	_, err = c.Commit()
	require.NoError(t, err)
	b := ix.NewBatch()
	for i := range 20 {
		b.Delete(fmt.Sprintf("c%03d", i*11))
	}
	require.NoError(t, b.Commit())
	v2 := ix.View()
	require.Positive(t, heldCountBytes(v2, "login"), "the writer carried the built counters")
	checkHeldCounts(t, v2, false)
	want2 := fresh(v2)
	require.Equal(t, want2, counts(v2))
	require.NotEqual(t, want1, want2)
	require.Equal(t, want1, counts(v1), "the older view keeps its counters")
	checkHeldCounts(t, v1, false)
}

// TestBlockCountsConcurrent has readers of several views build and use the
// block counters at once while a writer records more occurrences: every
// answer must equal that of a copy of the view. Run with -race.
func TestBlockCountsConcurrent(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	day0 := segkit.DayOf(t0, time.UTC)
	rng := rand.New(rand.NewPCG(5, 6))
	record := func(n int) {
		b := ix.NewBatch()
		for range n {
			k := fmt.Sprintf("c%03d", rng.IntN(300))
			b.Add(k)
			b.Record(k, "login", t0.AddDate(0, 0, rng.IntN(120)), 0)
		}
		require.NoError(t, b.Commit())
	}
	record(2000)
	var views []*View
	for range 4 {
		views = append(views, ix.View())
		record(50)
	}
	to := day0.AddDays(90)
	query := func(v *View, i int) int {
		return v.Count("login", day0.AddDays(i%40), to, Op(i%6+1), int64(i%7+1)).Len()
	}
	want := make([][]int, len(views))
	for vi, v := range views {
		var buf bytes.Buffer
		_, err := v.WriteTo(&buf)
		require.NoError(t, err)
		cp, err := Read(&buf)
		require.NoError(t, err)
		for i := range 60 {
			want[vi] = append(want[vi], query(cp.View(), i))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for r := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for vi, v := range views {
				for i := range 60 {
					j := (i + 7*r) % 60
					if got := query(v, j); got != want[vi][j] {
						errs <- fmt.Errorf("view %d query %d: got %d, want %d", vi, j, got, want[vi][j])
						return
					}
				}
			}
		}()
	}
	for range 20 {
		record(10)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestSumBlockDense: the block counters summed in arrays equal those of
// the bit-sliced adder, with customers several times on a day (up to the
// 11 day-counter slices the arrays take) and IDs over several ranges of
// 65536; a day with more slices falls back to the adder.
func TestSumBlockDense(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 200_000
	ids := make([]uint32, 0, 40_000)
	b := ix.NewBatch()
	for i := range n {
		b.Add(fmt.Sprintf("c%06d", i))
	}
	require.NoError(t, b.Commit())
	for d := range 40 {
		ids = ids[:0]
		for range 30_000 {
			ids = append(ids, uint32(rng.IntN(n)))
		}
		for range 3 { // a few customers many times (up to 2^11 on day 5)
			id := uint32(rng.IntN(n))
			for range 1 + rng.IntN(1<<uint(min(d, 11))) {
				ids = append(ids, id)
			}
		}
		b := ix.NewBatch()
		b.RecordIDs("login", t0.AddDate(0, 0, d), ids, nil)
		require.NoError(t, b.Commit())
	}
	v := ix.View()
	e := v.st.events["login"]
	check := func(b int32) {
		var terms [][]*roaring.Bitmap
		for d := blockStart(b); d < blockStart(b)+blockDays; d++ {
			if dn := e.days[d]; dn != nil && !dn.one.empty() {
				terms = append(terms, []*roaring.Bitmap{dn.one.b}, bitmapsOf(dn.extra))
			}
		}
		want := sumTerms(terms, nil).s
		for len(want) > 0 && (want[len(want)-1] == nil || want[len(want)-1].IsEmpty()) {
			want = want[:len(want)-1]
		}
		got := e.sumBlock(b)
		require.Len(t, got, len(want), "block %d", b)
		for i := range want {
			require.True(t, orEmpty(want[i]).Equals(got[i].b), "block %d slice %d", b, i)
		}
	}
	dense := 0
	for b := range e.blocks {
		small := true
		for d := blockStart(b); d < blockStart(b)+blockDays; d++ {
			if dn := e.days[d]; dn != nil && len(dn.extra) > 11 {
				small = false
			}
		}
		if small {
			dense++
		}
		check(b)
	}
	require.Positive(t, dense, "no block summed in arrays")
	// a customer of the days missing from the block's union: the arrays
	// decline (the count left behind), whichever range it is in
	for b, n := range e.blocks {
		for _, id := range []uint32{n.any.b.Minimum(), n.any.b.Maximum(), 70_000} {
			if !n.any.b.Contains(id) {
				continue
			}
			short := n.any.b.Clone()
			short.Remove(id)
			_, ok := e.sumBlockDense(b, short)
			require.False(t, ok, "block %d without %d", b, id)
		}
		_, ok := e.sumBlockDense(b, n.any.b)
		require.True(t, ok, "block %d", b)
	}
	// a customer 5000 times on a day: 13 slices, the adder
	b = ix.NewBatch()
	ids = ids[:0]
	for range 5000 {
		ids = append(ids, 7)
	}
	b.RecordIDs("login", t0, ids, nil)
	require.NoError(t, b.Commit())
	v = ix.View()
	e = v.st.events["login"]
	require.Greater(t, len(e.days[segkit.DayOf(t0, time.UTC)].extra), 11)
	check(blockOf(segkit.DayOf(t0, time.UTC)))
}

// TestSnapshotCountersBefore loads a version-2 snapshot, written when
// every block counter was kept up to date and stored
// (testdata/snapshot-v2-counters.bin: 40 customers' logins over 60 days, a
// customer 5 more times on one day, a delete): it holds no counter after
// the load and answers counts as the writer's version did; written again,
// it is a version-3 snapshot without block sections, which loads with the
// same answers and is written again byte for byte, before and after its
// counters are built.
func TestSnapshotCountersBefore(t *testing.T) {
	raw, err := os.ReadFile("testdata/snapshot-v2-counters.bin")
	require.NoError(t, err)
	require.Equal(t, uint32(2), binary.LittleEndian.Uint32(raw[8:]))
	ix, err := Read(bytes.NewReader(raw))
	require.NoError(t, err)
	v := ix.View()
	require.Zero(t, heldCountBytes(v, "login"))
	var v3 bytes.Buffer
	_, err = v.WriteTo(&v3)
	require.NoError(t, err)
	require.Equal(t, uint32(snapVersion), binary.LittleEndian.Uint32(v3.Bytes()[8:]))
	require.Less(t, v3.Len(), len(raw), "no block sections")
	ix3, err := Read(bytes.NewReader(v3.Bytes()))
	require.NoError(t, err)
	var again bytes.Buffer
	_, err = ix3.View().WriteTo(&again)
	require.NoError(t, err)
	require.Equal(t, v3.Bytes(), again.Bytes(), "written again before its counters are built")
	d0 := segkit.Date(2025, 1, 1)
	for _, v := range []*View{v, ix3.View()} {
		for _, c := range [][4]int{ // from, to (days after d0), n, customers with count ≥ n (from the writer's version)
			{0, 59, 1, 39}, {0, 59, 4, 36}, {0, 59, 7, 27}, {0, 59, 10, 10},
			{3, 40, 1, 38}, {3, 40, 4, 26}, {3, 40, 7, 11}, {3, 40, 10, 2},
			{16, 31, 1, 31}, {16, 31, 4, 6}, {16, 31, 7, 1}, {16, 31, 10, 0},
			{10, 50, 1, 39}, {10, 50, 4, 30}, {10, 50, 7, 8}, {10, 50, 10, 4},
		} {
			got := v.Count("login", d0.AddDays(c[0]), d0.AddDays(c[1]), Ge, int64(c[2])).Len()
			require.Equal(t, c[3], got, "count [%d, %d] ≥ %d", c[0], c[1], c[2])
		}
		require.Positive(t, heldCountBytes(v, "login"))
		checkHeldCounts(t, v, true)
		var again bytes.Buffer
		_, err = v.WriteTo(&again)
		require.NoError(t, err)
		require.Equal(t, v3.Bytes(), again.Bytes(), "written again with the counters held")
	}
}
