package persona

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// benchTags is the number of tags in the benchmark population; tag j is on
// about 0.5/(j+1)^0.7 of the customers (Zipf-like: the top tag on half).
const benchTags = 64

func benchTagShare(j int) float64 { return 0.5 / math.Pow(float64(j+1), 0.7) }

// benchIndex builds n customers with Zipf-popular tags, in batches.
func benchIndex(b *testing.B, n int) *bitmapindex.View {
	b.Helper()
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	names := make([]string, benchTags)
	shares := make([]float64, benchTags)
	for j := range names {
		names[j] = fmt.Sprintf("t%02d", j)
		shares[j] = benchTagShare(j)
	}
	const batch = 100_000
	bt := ix.NewBatch()
	for i := range n {
		key := "c" + fmt.Sprint(i)
		bt.Add(key)
		for j, s := range shares {
			if rng.Float64() < s {
				bt.AddTag(key, names[j])
			}
		}
		if (i+1)%batch == 0 || i == n-1 {
			if err := bt.Commit(); err != nil {
				b.Fatal(err)
			}
			bt = ix.NewBatch()
		}
	}
	return ix.View()
}

// benchCatalog has personas × 8 weighted tag conditions, each persona using
// tags of mixed popularity (so score slices are neither empty nor full).
func benchCatalog(b *testing.B, personas int) *Catalog {
	b.Helper()
	weights := []float64{3, 2, 1.5, 1, 1, 0.5, -1, 2.5}
	defs := make([]Definition, personas)
	for p := range defs {
		defs[p] = Definition{Name: fmt.Sprintf("persona%02d", p), MinScore: 3, Priority: p % 3}
		for i := range 8 {
			tag := (p*5 + i*7) % benchTags
			defs[p].Conditions = append(defs[p].Conditions, Condition{Rule: fmt.Sprintf("has(%q)", fmt.Sprintf("t%02d", tag)), Weight: weights[i]})
		}
	}
	c, err := Compile(defs, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchSizes() []int {
	sizes := []int{1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

// BenchmarkAssign is the target: personas with 8 weighted (tag)
// conditions each, assigned to every customer, ≤ 1 s at 10M customers.
func BenchmarkAssign(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			v := benchIndex(b, n)
			for _, personas := range []int{6, 12} {
				cat := benchCatalog(b, personas)
				b.Run(fmt.Sprintf("personas=%d", personas), func(b *testing.B) {
					b.ReportAllocs()
					var a *Assignment
					runtime.GC() // setup garbage is not the benchmark's
					if os.Getenv("SEGKIT_BENCH_GCOFF") == "1" {
						// isolates the assignment's own work from collecting
						// the (large) index it shares the heap with
						defer debug.SetGCPercent(debug.SetGCPercent(-1))
					}
					cpu := processCPU()
					for b.Loop() {
						var err error
						a, err = cat.Assign(context.Background(), v, testNow)
						if err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, cpu)
					b.ReportMetric(float64(a.Assigned().Len())/float64(v.Len()), "coverage")
				})
			}
		})
	}
}

// reportCPU reports the process CPU time per operation since start (user +
// system, all threads, GC included): on a shared machine it shows the work
// done, where ns/op also counts waiting for a core.
func reportCPU(b *testing.B, start int64) {
	if end := processCPU(); end > 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

// BenchmarkAssignCore is the bit-sliced scoring alone, on precomputed
// condition bitmaps (no rule evaluation), with the dense engine (used for
// the index's dense IDs) and the compressed one (used for sparse IDs).
func BenchmarkAssignCore(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			v := benchIndex(b, n)
			cat := benchCatalog(b, 6)
			all := v.All().Bitmap()
			conds := make([][]*roaring.Bitmap, cat.Len())
			for p := range conds {
				for i := range cat.rules[p] {
					s, err := cat.rules[p][i].Eval(context.Background(), v, testNow)
					if err != nil {
						b.Fatal(err)
					}
					conds[p] = append(conds[p], s.Bitmap())
				}
			}
			engines := []struct {
				name string
				run  func(*roaring.Bitmap, [][]*roaring.Bitmap, func() error) (*state, error)
			}{{"dense", cat.sc.assignDense}, {"compressed", cat.sc.assign}}
			for _, e := range engines {
				b.Run(fmt.Sprintf("personas=6/%s", e.name), func(b *testing.B) {
					b.ReportAllocs()
					runtime.GC()
					cpu := processCPU()
					for b.Loop() {
						_, err := e.run(all, conds, func() error { return nil })
						if err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, cpu)
				})
			}
		})
	}
}

// BenchmarkScores decodes every customer's ranked personas.
func BenchmarkScores(b *testing.B) {
	v := benchIndex(b, 1_000_000)
	cat := benchCatalog(b, 6)
	a, err := cat.Assign(context.Background(), v, testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for range a.Scores(3) {
			n++
		}
		if n != a.Assigned().Len() {
			b.Fatal(n)
		}
	}
}

// BenchmarkAssignProfile is one customer checked against the catalog.
func BenchmarkAssignProfile(b *testing.B) {
	v := benchIndex(b, 10_000)
	cat := benchCatalog(b, 6)
	p, _ := v.Profile("c42")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cat.AssignProfile(p, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
