package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// watchBench builds an index of n customers (tags, an age, purchases over
// 90 days) and a registry of segs segments mixing tag, attribute, event and
// reference rules.
func watchBench(b testing.TB, n, segs int) (*bitmapindex.Index, *Registry, time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Schema: []bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	bt := ix.NewBatch()
	for i := range n {
		k := "c" + strconv.Itoa(i)
		bt.AddTag(k, fmt.Sprintf("t%d", rng.IntN(20)))
		bt.Set(k, "age", bitmapindex.Int(int64(18+rng.IntN(60))))
		for range rng.IntN(4) {
			bt.Record(k, "purchase", now.AddDate(0, 0, -rng.IntN(90)), 0)
		}
	}
	if err := bt.Commit(); err != nil {
		b.Fatal(err)
	}
	reg := NewRegistry(WithSchemaOf(ix)) // comparisons resolved once, at definition
	var defs []Definition
	for i := range segs {
		var rule string
		switch i % 4 {
		case 0:
			rule = fmt.Sprintf(`has("t%d") || has("t%d")`, i%20, (i+3)%20)
		case 1:
			rule = fmt.Sprintf(`age >= %d && age < %d`, 18+i%40, 30+i%40)
		case 2:
			rule = fmt.Sprintf(`countWithin("purchase", "%dd") >= 2`, 7+i%60)
		default:
			rule = fmt.Sprintf(`inSegment("s%d") && !didWithin("purchase", "30d")`, i-1)
		}
		defs = append(defs, Definition{Name: fmt.Sprintf("s%d", i), Rule: rule})
	}
	if err := reg.DefineAll(defs...); err != nil {
		b.Fatal(err)
	}
	return ix, reg, now
}

func benchSize() (int, int) {
	n, segs := 100_000, 100
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		n, segs = 10_000_000, 1000
	}
	if os.Getenv("SEGKIT_BENCH_WATCH_N") != "" {
		n, _ = strconv.Atoi(os.Getenv("SEGKIT_BENCH_WATCH_N"))
	}
	if os.Getenv("SEGKIT_BENCH_WATCH_SEGMENTS") != "" {
		segs, _ = strconv.Atoi(os.Getenv("SEGKIT_BENCH_WATCH_SEGMENTS"))
	}
	return n, segs
}

// watchCPU is the process's CPU time (user and system, every thread): the
// figure to give when the machine is shared and wall time is not the
// benchmark's own.
func watchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWatcherSync: batches of 1,000 writes (tags, ages, purchases) to
// random customers, each followed by a Sync that re-evaluates the touched
// customers against every segment and emits their changes. durable: the
// same over a durable index (SyncAlways) with an OpenWatcher, whose Sync
// also logs and syncs its changes before the subscriber gets them.
//
// per-customer: the in-memory Watcher with the bitmap-diff path turned off,
// what a 1,000-write batch costs at 10M customers (1 in 10,000 touched) on
// a smaller index.
func BenchmarkWatcherSync(b *testing.B) {
	for _, name := range []string{"memory", "durable", "per-customer"} {
		durable := name == "durable"
		b.Run(name, func(b *testing.B) {
			if name == "per-customer" {
				old := fullSyncRatio
				fullSyncRatio = 0
				defer func() { fullSyncRatio = old }()
			}
			n, segs := benchSize()
			ix, reg, now := watchBench(b, n, segs)
			ctx := context.Background()
			var w *Watcher
			if durable {
				dir := b.TempDir()
				if err := bitmapindex.CreateDir(dir, ix.View()); err != nil {
					b.Fatal(err)
				}
				dix, err := bitmapindex.Open(dir, bitmapindex.Config{Location: time.UTC})
				if err != nil {
					b.Fatal(err)
				}
				defer dix.Close()
				ix = dix
				if w, err = OpenWatcher(ctx, reg, ix, dir+"/watch", now); err != nil {
					b.Fatal(err)
				}
			} else {
				var err error
				if w, err = NewWatcher(ctx, reg, ix, now); err != nil {
					b.Fatal(err)
				}
			}
			defer w.Close()
			sub := w.Subscribe(1 << 24)
			rng := rand.New(rand.NewPCG(3, 4))
			const writes = 1000
			changes := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := watchCPU()
			for range b.N {
				bt := ix.NewBatch()
				for range writes {
					k := "c" + strconv.Itoa(rng.IntN(n))
					switch rng.IntN(3) {
					case 0:
						bt.AddTag(k, fmt.Sprintf("t%d", rng.IntN(20)))
					case 1:
						bt.Set(k, "age", bitmapindex.Int(int64(18+rng.IntN(60))))
					default:
						bt.Record(k, "purchase", now, 0)
					}
				}
				if err := bt.Commit(); err != nil {
					b.Fatal(err)
				}
				if err := w.Sync(ctx); err != nil {
					b.Fatal(err)
				}
				cs, err := sub.Next(0)
				if err != nil {
					b.Fatal(err)
				}
				changes += len(cs)
			}
			w.Members("s0") // applies the membership changes still queued (timed)
			b.ReportMetric(float64(writes*b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(writes*b.N)/(watchCPU()-cpu0).Seconds(), "writes/cpu-s")
			b.ReportMetric(float64(changes)/float64(b.N), "changes/op")
		})
	}
}

// BenchmarkWatcherAdvance: Advance over one day boundary, after a first
// Advance (not timed) that keeps the time conditions' values, as every
// night but the first after a start.
func BenchmarkWatcherAdvance(b *testing.B) {
	n, segs := benchSize()
	ix, reg, now := watchBench(b, n, segs)
	ctx := context.Background()
	w, err := NewWatcher(ctx, reg, ix, now)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	sub := w.Subscribe(1 << 30)
	start := time.Now()
	if err := w.Advance(ctx, now.AddDate(0, 0, 1)); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	_, _ = sub.Next(0)
	w.adv = advanceStats{}
	changes := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := watchCPU()
	for i := range b.N {
		if err := w.Advance(ctx, now.AddDate(0, 0, i+2)); err != nil {
			b.Fatal(err)
		}
		cs, _ := sub.Next(0)
		changes += len(cs)
	}
	b.ReportMetric((watchCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(first.Seconds(), "first-s")
	b.ReportMetric(float64(changes)/float64(b.N), "changes/op")
	b.ReportMetric(float64(w.adv.skipped)/float64(b.N), "skipped/op")
	b.ReportMetric(float64(w.adv.combined)/float64(b.N), "combined/op")
}

// TestHistoryYearMemory measures a year of membership history: the bench
// population (SEGKIT_HISTORY_YEAR customers, SEGKIT_BENCH_WATCH_SEGMENTS
// segments, 1,000 by default) lives 365 days, each day a purchase by 1% of
// the customers, a new tag or age for 0.5%, then Advance to the next day.
// Two histories record it: one in memory (NewHistory) and one with its
// sealed days in a file, as an OpenWatcher keeps it. Each is then encoded,
// decoded afresh and its heap measured, next to the index's MemoryBytes.
// The target is at most 25% of the index for the one an OpenWatcher keeps.
func TestHistoryYearMemory(t *testing.T) {
	if os.Getenv("SEGKIT_HISTORY_YEAR") == "" {
		t.Skip("set SEGKIT_HISTORY_YEAR to the number of customers (e.g. 100000)")
	}
	n, _ := strconv.Atoi(os.Getenv("SEGKIT_HISTORY_YEAR"))
	segs := 1000
	if s := os.Getenv("SEGKIT_BENCH_WATCH_SEGMENTS"); s != "" {
		segs, _ = strconv.Atoi(s)
	}
	days := 365
	if s := os.Getenv("SEGKIT_HISTORY_DAYS"); s != "" {
		days, _ = strconv.Atoi(s)
	}
	ix, reg, now := watchBench(t, n, segs)
	ctx := context.Background()
	w, err := NewWatcher(ctx, reg, ix, now)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	path := t.TempDir() + "/" + histFileName
	st, err := openHistStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	hMem := NewHistory(w)
	w.mu.Lock()
	hFile := newHistoryLocked(w, st)
	w.mu.Unlock()
	sub := w.Subscribe(1 << 30)
	rng := rand.New(rand.NewPCG(5, 6))
	start := time.Now()
	var changes int
	for d := 1; d <= days; d++ {
		bt := ix.NewBatch()
		for range n / 100 {
			bt.Record("c"+strconv.Itoa(rng.IntN(n)), "purchase", now, 0)
		}
		for range n / 200 {
			k := "c" + strconv.Itoa(rng.IntN(n))
			if rng.IntN(2) == 0 {
				bt.AddTag(k, fmt.Sprintf("t%d", rng.IntN(20)))
			} else {
				bt.Set(k, "age", bitmapindex.Int(int64(18+rng.IntN(60))))
			}
		}
		if err := bt.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := w.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.AddDate(0, 0, 1)
		if err := w.Advance(ctx, now); err != nil {
			t.Fatal(err)
		}
		cs, err := sub.Next(0)
		if err != nil {
			t.Fatal(err)
		}
		changes += len(cs)
		hMem.Apply(cs...)
		hFile.Apply(cs...)
	}
	if err := hFile.sync(); err != nil {
		t.Fatal(err)
	}
	// each history encoded (as a checkpoint holds it) and read afresh
	fresh := func(h *History, refs bool) (int64, int) {
		enc := h.appendTo(nil, refs)
		st := &histStore{}
		if refs {
			var err error
			if st, err = openHistStore(path); err != nil {
				t.Fatal(err)
			}
			defer st.close()
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		x, err := readHistory(&decoder{b: enc}, ix.View().Zone(), st, false)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		runtime.KeepAlive(x)
		runtime.KeepAlive(enc) // (allocated before m0)
		return int64(m1.HeapAlloc) - int64(m0.HeapAlloc), len(enc)
	}
	memHeap, memEnc := fresh(hMem, false)
	fileHeap, fileEnc := fresh(hFile, true)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(sub)
	runtime.KeepAlive(hMem) // (measured afresh: the originals stay alive throughout)
	runtime.KeepAlive(hFile)
	idx := ix.View().Stats().MemoryBytes
	t.Logf("%d customers, %d segments, %d days (%s): %d changes; index %d bytes", n, segs, days, time.Since(start).Round(time.Second), changes, idx)
	t.Logf("in memory (NewHistory): %d bytes (%.1f%% of the index), %d bytes encoded (%.2f bytes per change)",
		memHeap, 100*float64(memHeap)/float64(idx), memEnc, float64(memEnc)/float64(max(changes, 1)))
	t.Logf("with a file (OpenWatcher): %d bytes in memory (%.1f%% of the index), checkpoint part %d bytes, %s %d bytes (%.2f bytes per change)",
		fileHeap, 100*float64(fileHeap)/float64(idx), fileEnc, histFileName, fi.Size(), float64(fi.Size())/float64(max(changes, 1)))
	if fileHeap*4 > idx {
		t.Errorf("history memory %d is more than 25%% of the index's %d", fileHeap, idx)
	}
}

// BenchmarkMemberLogApply: applying queued membership changes (memberLog)
// to segments of 10M customers, as Sync's settle does: 50 segments of 10–30%
// density, 8,000 changes each (half entries, half exits) per operation.
func BenchmarkMemberLogApply(b *testing.B) {
	const n, segs = 10_000_000, 50
	per := 8000
	if s := os.Getenv("SEGKIT_BENCH_LOG_PER"); s != "" {
		per, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	bms := make([]*roaring.Bitmap, segs)
	for s := range bms {
		dens := 0.1 + 0.2*rng.Float64()
		ids := make([]uint32, 0, int(dens*n))
		for i := range uint32(n) {
			if rng.Float64() < dens {
				ids = append(ids, i)
			}
		}
		bms[s] = roaring.BitmapOf(ids...)
	}
	qs := make([][]uint64, segs)
	var l memberLog
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for s, bm := range bms {
			q := qs[s][:0]
			for range per {
				id := rng.Uint32N(n)
				x := uint64(id) << 1
				if !bm.Contains(id) {
					x |= 1
				}
				q = append(q, x)
			}
			qs[s] = q
		}
		b.StartTimer()
		for s, bm := range bms {
			l.apply(bm, qs[s])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*segs*per), "ns/change")
}
