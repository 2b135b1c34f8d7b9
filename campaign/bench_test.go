package campaign

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

// bigEnabled reports whether the 10M-customer benchmarks should run.
func bigEnabled() bool { return os.Getenv("SEGKIT_BENCH_10M") == "1" }

func benchSizes() []int {
	sizes := []int{1_000_000}
	if bigEnabled() {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

var (
	benchIndexes = map[int]*bitmapindex.Index{}
	benchKeyOnly = map[int]*bitmapindex.Index{}
)

// benchKeys builds (once per size) an index of n customers without tags.
func benchKeys(b *testing.B, n int) *bitmapindex.Index {
	if ix, ok := benchKeyOnly[n]; ok {
		return ix
	}
	ix := population(b, n, 1, nil)
	benchKeyOnly[n] = ix
	return ix
}

// benchIndex builds (once per size) an index of n customers, each with the
// tags seg0..seg9 at densities 5%..95%.
func benchIndex(b *testing.B, n int) *bitmapindex.Index {
	if ix, ok := benchIndexes[n]; ok {
		return ix
	}
	density := map[string]float64{}
	for i := range 10 {
		density[fmt.Sprintf("seg%d", i)] = 0.05 + 0.1*float64(i)
	}
	ix := population(b, n, 1, density)
	benchIndexes[n] = ix
	return ix
}

func BenchmarkAssign(b *testing.B) {
	sp := MustSplitter("bench", Group{"holdout", 0.1}, Group{"A", 0.45}, Group{"B", 0.45})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = keyOf(i * 7919)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = sp.Assign(keys[i&1023])
		i++
	}
}

// BenchmarkSplit splits a segment holding every customer (1M; 10M with
// SEGKIT_BENCH_10M=1) into holdout/A/B. Target: ≤ 1 s at 10M.
func BenchmarkSplit(b *testing.B) {
	sp := MustSplitter("bench", Group{"holdout", 0.1}, Group{"A", 0.45}, Group{"B", 0.45})
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			v := benchKeys(b, n).View()
			seg := v.All()
			require.Equal(b, n, seg.Len())
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if _, err := sp.Split(v, seg); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/member")
		})
	}
}

// BenchmarkOverlap computes the overlap matrix of 10 segments (45 pairs).
func BenchmarkOverlap(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("customers=%d/segments=10", n), func(b *testing.B) {
			v := benchIndex(b, n).View()
			var segs []Segment
			for i := range 10 {
				name := fmt.Sprintf("seg%d", i)
				segs = append(segs, Segment{Name: name, Members: v.Tag(name)})
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if _, err := Overlap(segs, DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkDiff diffs a 50% segment between two views of one index after
// 1% of the customers changed.
type cpuClock struct {
	start time.Duration
	ok    bool
}

// startCPU collects the garbage of the setup first, so that a collection
// of the freshly built index is not charged to the measured operation.
func startCPU() cpuClock {
	runtime.GC()
	d, ok := processCPU()
	return cpuClock{d, ok}
}

// report adds cpu-ns/op: process CPU time (all threads, GC included) per
// iteration; on a shared machine it is the steadier figure.
func (c cpuClock) report(b *testing.B) {
	if end, ok := processCPU(); ok && c.ok && b.N > 0 {
		b.ReportMetric(float64((end-c.start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
