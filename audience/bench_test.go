package audience

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

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

// BenchmarkDescribe is the target: the profile of a segment of a
// tenth of the customers (1M at 10M) against all customers, ≤ 2 s on one
// core at 10M. The segment is selected by a rule (students or job seekers,
// about a third of the customers, so a larger segment than the target's).
func BenchmarkDescribe(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			v := benchView(b, n)
			seg := eval(b, v, `occupation == "student" || has("job_seeking")`)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Describe(context.Background(), v, seg, v.All(), testNow, DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(seg.Len()), "segment-members")
		})
	}
}
