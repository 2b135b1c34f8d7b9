package audience

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/synth"
)

func benchSizes() []int {
	sizes := []int{1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

var benchViews = map[int]*bitmapindex.View{}

// benchView builds synth's reference population of n customers (a year of
// events); SEGKIT_BENCH_CACHE=DIR keeps it as a snapshot between runs.
func benchView(b *testing.B, n int) *bitmapindex.View {
	if v := benchViews[n]; v != nil {
		return v
	}
	path := ""
	if dir := os.Getenv("SEGKIT_BENCH_CACHE"); dir != "" {
		path = filepath.Join(dir, fmt.Sprintf("synth-reference-%d.segkit", n))
		if ix, err := bitmapindex.Load(path); err == nil {
			benchViews[n] = ix.View()
			return benchViews[n]
		}
	}
	g, err := synth.New(synth.Reference(n))
	if err != nil {
		b.Fatal(err)
	}
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Load(context.Background(), ix, synth.DefaultLoadConfig()); err != nil {
		b.Fatal(err)
	}
	if path != "" {
		if err := ix.Save(path); err != nil {
			b.Fatal(err)
		}
	}
	benchViews[n] = ix.View()
	return benchViews[n]
}

// BenchmarkDescribe is the target: the profile of a 1M-member
// segment of a 10M index against all customers, ≤ 2 s on one core. Two
// segments: every tenth customer (a random 10% sample, exactly a tenth)
// and a rule (students or job seekers, about a fifth). cpu-ms/op is the
// process CPU time per profile, which other processes sharing the machine
// do not inflate the way they inflate ns/op.
func BenchmarkDescribe(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			v := benchView(b, n)
			tenth := roaring.New()
			for id := range v.All().IDs() {
				if id%10 == 0 {
					tenth.Add(id)
				}
			}
			segs := []struct {
				name string
				s    bitmapindex.Set
			}{
				{"sample10pct", v.Wrap(tenth)},
				{"rule", eval(b, v, `occupation == "student" || has("job_seeking")`)},
			}
			for _, sg := range segs {
				b.Run("segment="+sg.name, func(b *testing.B) {
					b.ReportAllocs()
					cpu0, ok := processCPU()
					for b.Loop() {
						if _, err := Describe(context.Background(), v, sg.s, v.All(), testNow, DefaultConfig()); err != nil {
							b.Fatal(err)
						}
					}
					if cpu1, ok1 := processCPU(); ok && ok1 {
						b.ReportMetric(float64(cpu1-cpu0)/1e6/float64(b.N), "cpu-ms/op")
					}
					b.ReportMetric(float64(sg.s.Len()), "segment-members")
				})
			}
		})
	}
}
