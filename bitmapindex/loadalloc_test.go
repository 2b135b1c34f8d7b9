package bitmapindex

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocatedBy returns the bytes fn allocates.
func allocatedBy(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// Loading a snapshot allocates at most loadAllocFactor times its size plus
// loadAllocFixed (issue 14 item 4). The factor covers snapshots of many
// tiny bitmaps (a roaring bitmap costs about 150 bytes in memory however
// few bytes it takes on disk) and of very short keys; the 10M reference
// population allocates 1.9 times its size.
const (
	loadAllocFactor = 16
	loadAllocFixed  = 128 << 10
)

// TestLoadAllocationBounded is issue 14 item 4: what Read allocates is
// bounded by a small multiple of the snapshot's size, whatever the spread
// of the IDs (structures are sized by what is present, not by the ID
// range), for snapshots the library writes itself.
func TestLoadAllocationBounded(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	build := map[string]func() *Index{
		"two customers": func() *Index {
			ix := mustNew(t, DefaultConfig())
			ix.Add("a")
			ix.Add("b")
			return ix
		},
		"values 1024 IDs apart": func() *Index {
			ix := mustNew(t, DefaultConfig())
			b := ix.NewBatch()
			for i := range 600 * 1024 {
				b.Add(fmt.Sprintf("k%d", i))
			}
			require.NoError(t, b.Commit())
			b = ix.NewBatch()
			var ids []uint32
			var vals []float64
			for id := uint32(0); id < 600*1024; id += 1024 {
				ids = append(ids, id)
				vals = append(vals, 12.5)
			}
			b.RecordIDs("buy", t0, ids, vals)
			require.NoError(t, b.Commit())
			b = ix.NewBatch()
			for i := range 600 * 1024 {
				if i%1024 != 0 {
					b.Delete(fmt.Sprintf("k%d", i))
				}
			}
			require.NoError(t, b.Commit())
			return ix
		},
		"few live of many IDs": func() *Index {
			ix := mustNew(t, DefaultConfig())
			b := ix.NewBatch()
			for i := range 300_000 {
				b.Add(fmt.Sprintf("k%d", i))
			}
			require.NoError(t, b.Commit())
			b = ix.NewBatch()
			for i := range 300_000 {
				if i%50_000 != 7 {
					b.Delete(fmt.Sprintf("k%d", i))
				}
			}
			require.NoError(t, b.Commit())
			require.NoError(t, ix.Record("k50007", "e", t0, 1))
			require.NoError(t, ix.AddTag("k250007", "t"))
			return ix
		},
		"sample": func() *Index { return sampleIndex(t) },
		"events": func() *Index { return eventPopulation(t) },
	}
	for name, mk := range build {
		data := snapshotBytes(t, mk())
		var err error
		n := allocatedBy(func() { _, err = Read(bytes.NewReader(data)) })
		require.NoError(t, err, name)
		limit := uint64(loadAllocFactor*len(data) + loadAllocFixed)
		t.Logf("%-22s %8d bytes on disk, %9d allocated (%.1f×)", name, len(data), n, float64(n)/float64(len(data)))
		assert.LessOrEqual(t, n, limit, "%s: %d bytes allocated loading %d", name, n, len(data))
	}
}
