package bitmapindex

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the durable index (issue 16). Sizes: 100k and 1M, plus 10M
// with SEGKIT_BENCH_10M=1. The directory is under SEGKIT_BENCH_DIR when
// set (to measure a particular disk), else the test's temporary directory.

func benchDir(b *testing.B) string {
	if d := os.Getenv("SEGKIT_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "segkit-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

// fsyncLatency measures the median and 90th percentile of appending 4 KiB
// and fsyncing it in dir (the cost of a sync that grows the file, as log
// syncs did before segments were preallocated).
func fsyncLatency(b *testing.B, dir string) (p50, p90 time.Duration) {
	f, err := os.Create(filepath.Join(dir, "fsync-probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	var ds []time.Duration
	for range 200 {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*9/10]
}

// fdatasyncPrealloc measures the median of overwriting 512 bytes of a
// file whose blocks are written already, then fdatasync: what a log sync
// costs in a preallocated segment (no new size, no journal commit).
func fdatasyncPrealloc(b *testing.B, dir string) time.Duration {
	f, err := os.Create(filepath.Join(dir, "fsync-probe-prealloc"))
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := writeZeros(f, 0, 1<<20); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 512)
	var ds []time.Duration
	for i := range 200 {
		if _, err := f.WriteAt(buf, int64(i)*512); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := syncData(f); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// openWithPopulation creates a durable directory whose first checkpoint is
// the benchmark population of n customers (written as Checkpoint would)
// and opens it.
func openWithPopulation(b *testing.B, n int, cfg Config) (*Index, string, *population) {
	p := buildPopulation(b, n)
	dir := benchDir(b)
	if _, err := writeCheckpoint(p.ix.View(), filepath.Join(dir, checkpointName(0))); err != nil {
		b.Fatal(err)
	}
	ix, err := Open(dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return ix, dir, p
}

// tagBatches commits batches of per tag assignments by key (existing
// customers, 100 tags) from committers goroutines until stop is closed or
// limit batches are done, and returns the assignments made.
func tagBatches(b *testing.B, ix *Index, n, per, committers, limit int, stop <-chan struct{}) int64 {
	keys := benchKeys(n)
	tags := make([]string, 100)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%04d", i)
	}
	var total, batches atomic.Int64
	var wg sync.WaitGroup
	for g := range committers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if limit > 0 && batches.Add(1) > int64(limit) {
					return
				}
				batch := ix.NewBatch()
				for range per {
					batch.AddTag(keys[r.IntN(n)], tags[r.IntN(len(tags))])
				}
				if err := batch.Commit(); err != nil {
					b.Error(err)
					return
				}
				total.Add(int64(per))
			}
		}()
	}
	wg.Wait()
	return total.Load()
}

var (
	benchKeysMu  sync.Mutex
	benchKeysAll []string
)

// benchKeys returns the keys of the first n benchmark customers, made once
// (so that formatting them is not measured).
func benchKeys(n int) []string {
	benchKeysMu.Lock()
	defer benchKeysMu.Unlock()
	for i := len(benchKeysAll); i < n; i++ {
		benchKeysAll = append(benchKeysAll, benchKey(i))
	}
	return benchKeysAll[:n]
}

// BenchmarkDurableTagBatches: batches of 1,000 tag assignments by key under
// SyncAlways, from 1 and from 4 committers. Target (issue 16): ≥ 1M
// assignments/s.
func BenchmarkDurableTagBatches(b *testing.B) {
	for _, n := range []int{1_000_000} {
		for _, committers := range []int{1, 4} {
			b.Run(fmt.Sprintf("n=%d/committers=%d", n, committers), func(b *testing.B) {
				ix, dir, _ := openWithPopulation(b, n, Config{})
				defer ix.Close()
				benchKeys(n) // made before the clock starts
				p50, p90 := fsyncLatency(b, dir)
				pre := fdatasyncPrealloc(b, dir)
				runtime.GC()
				b.ReportAllocs()
				var total int64
				start, cpu := time.Now(), cpuTime()
				for b.Loop() {
					total += tagBatches(b, ix, n, 1000, committers, 400, nil)
				}
				el := time.Since(start)
				st, _ := ix.LogStats()
				b.ReportMetric(float64(total)/el.Seconds(), "assignments/s")
				b.ReportMetric(float64(total)/(cpuTime()-cpu).Seconds(), "assignments/cpu-s")
				b.ReportMetric(float64(st.LogRecords)/float64(st.Syncs), "batches/fsync")
				b.ReportMetric(loadAvg(), "load1")
				b.ReportMetric(float64(st.LogBytes)/float64(st.LogRecords), "log-bytes/batch")
				b.ReportMetric(float64(p50.Microseconds()), "fsync-p50-µs")
				b.ReportMetric(float64(p90.Microseconds()), "fsync-p90-µs")
				b.ReportMetric(float64(pre.Microseconds()), "prealloc-fdatasync-p50-µs")
			})
		}
	}
}

// BenchmarkDurableSingleCommits: 8 goroutines each committing one
// customer's writes (a tag and an attribute) per batch under SyncAlways;
// group commit shares fsyncs. Target: ≥ 20,000 commits/s.
func BenchmarkDurableSingleCommits(b *testing.B) {
	for _, goroutines := range []int{1, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			dir := benchDir(b)
			ix, err := Open(dir, Config{Schema: []Attribute{{Name: "score", Kind: KindInt}}})
			if err != nil {
				b.Fatal(err)
			}
			defer ix.Close()
			p50, p90 := fsyncLatency(b, dir)
			pre := fdatasyncPrealloc(b, dir)
			b.ReportAllocs()
			var commits atomic.Int64
			start := time.Now()
			for b.Loop() {
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range 2000 / goroutines {
							key := fmt.Sprintf("g%d-%d", g, i)
							batch := ix.NewBatch()
							batch.AddTag(key, "active")
							batch.Set(key, "score", Int(int64(i)))
							if err := batch.Commit(); err != nil {
								b.Error(err)
								return
							}
							commits.Add(1)
						}
					}()
				}
				wg.Wait()
			}
			el := time.Since(start)
			st, _ := ix.LogStats()
			b.ReportMetric(float64(commits.Load())/el.Seconds(), "commits/s")
			b.ReportMetric(float64(commits.Load())/float64(st.Syncs), "commits/fsync")
			b.ReportMetric(loadAvg(), "load1")
			b.ReportMetric(float64(el.Microseconds())/float64(st.Syncs), "µs/fsync-round")
			b.ReportMetric(float64(p50.Microseconds()), "fsync-p50-µs")
			b.ReportMetric(float64(p90.Microseconds()), "fsync-p90-µs")
			b.ReportMetric(float64(pre.Microseconds()), "prealloc-fdatasync-p50-µs")
		})
	}
}

func durableSizes() []int {
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		return []int{1_000_000, 10_000_000}
	}
	return []int{1_000_000}
}

// BenchmarkDurableOpen: Open of a directory whose checkpoint holds n
// customers and whose log holds n/10 tag writes after it (1,000 per
// record). Target at 10M with 1M logged writes: ≤ 5 s.
func BenchmarkDurableOpen(b *testing.B) {
	for _, n := range durableSizes() {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ix, dir, _ := openWithPopulation(b, n, Config{Sync: SyncInterval(10 * time.Millisecond)})
			logged := tagBatches(b, ix, n, 1000, 2, n/10/1000, nil)
			st, _ := ix.LogStats()
			if err := ix.Close(); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var last, lastCPU time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				ix, err := Open(dir, Config{})
				if err != nil {
					b.Fatal(err)
				}
				last, lastCPU = time.Since(t0), cpuTime()-c0
				if rep, _ := ix.Recovery(); rep.Replayed != int(st.LogRecords) {
					b.Fatalf("replayed %d records, want %d", rep.Replayed, st.LogRecords)
				}
				if err := ix.Close(); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
			}
			b.ReportMetric(float64(logged), "logged-writes")
			b.ReportMetric(float64(st.LogBytes)/1e6, "log-MB")
			b.ReportMetric(last.Seconds(), "open-s")
			b.ReportMetric(lastCPU.Seconds(), "open-cpu-s")
			b.ReportMetric(loadAvg(), "load1")
		})
	}
}

// BenchmarkDurableCheckpoint: a checkpoint of n customers while two
// committers write batches of 1,000 tag assignments (SyncAlways); reports
// the checkpoint's duration and the write rate during it relative to the
// rate just before. Targets at 10M: ≤ 10 s, writes ≥ 50% of undisturbed.
func BenchmarkDurableCheckpoint(b *testing.B) {
	for _, n := range durableSizes() {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ix, dir, _ := openWithPopulation(b, n, Config{})
			defer ix.Close()
			p50, _ := fsyncLatency(b, dir)
			runtime.GC()
			rate := func(d time.Duration, during func()) (float64, time.Duration) {
				stop := make(chan struct{})
				var got int64
				done := make(chan struct{})
				t0 := time.Now()
				go func() { got = tagBatches(b, ix, n, 1000, 2, 0, stop); close(done) }()
				if during != nil {
					during()
				} else {
					time.Sleep(d)
				}
				close(stop)
				<-done
				el := time.Since(t0)
				return float64(got) / el.Seconds(), el
			}
			var before, while float64
			var ck, ckCPU time.Duration
			for b.Loop() {
				before, _ = rate(3*time.Second, nil)
				while, _ = rate(0, func() {
					t0, c0 := time.Now(), cpuTime()
					if err := ix.Checkpoint(); err != nil {
						b.Fatal(err)
					}
					ck, ckCPU = time.Since(t0), cpuTime()-c0
				})
			}
			st, _ := ix.LogStats()
			b.ReportMetric(ck.Seconds(), "checkpoint-s")
			b.ReportMetric(ckCPU.Seconds(), "process-cpu-s-during")
			b.ReportMetric(float64(st.CheckpointBytes)/1e6, "checkpoint-MB")
			b.ReportMetric(before, "writes/s-before")
			b.ReportMetric(while, "writes/s-during")
			b.ReportMetric(while/before, "during/before")
			b.ReportMetric(float64(p50.Microseconds()), "fsync-p50-µs")
			b.ReportMetric(loadAvg(), "load1")
		})
	}
}

// loadAvg returns the machine's one-minute load average (0 when unknown):
// the figures above depend on it on a shared machine.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(data), &l)
	return l
}
