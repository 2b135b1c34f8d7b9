package retention

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/synth"
)

// BenchmarkCompute is weekly signup → login retention over the year of
// events of synth's reference population, broken down by acquisition
// source (SEGKIT_BENCH_10M=1 adds 10M customers; SEGKIT_BENCH_CACHE=DIR
// keeps the population as a snapshot, shared with audience's benchmark).
func BenchmarkCompute(b *testing.B) {
	sizes := []int{1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			cfg := synth.Reference(n)
			var ix *bitmapindex.Index
			path := ""
			if dir := os.Getenv("SEGKIT_BENCH_CACHE"); dir != "" {
				path = filepath.Join(dir, fmt.Sprintf("synth-reference-%d.segkit", n))
				ix, _ = bitmapindex.Load(path)
			}
			if ix == nil {
				g, err := synth.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				if ix, err = bitmapindex.New(bitmapindex.DefaultConfig()); err != nil {
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
			}
			v := ix.View()
			through := segkit.DayOf(cfg.End, nil).AddDays(-1)
			for _, by := range []string{"", "source"} {
				b.Run("by="+by, func(b *testing.B) {
					c := Config{Period: Week, CohortEvent: "signup", ActiveEvent: "login",
						From: through.AddDays(-364), Through: through, By: by}
					b.ReportAllocs()
					var m *Matrix
					cpu0, ok := processCPU()
					for b.Loop() {
						var err error
						if m, err = Compute(context.Background(), v, c); err != nil {
							b.Fatal(err)
						}
					}
					if cpu1, ok1 := processCPU(); ok && ok1 {
						b.ReportMetric(float64(cpu1-cpu0)/1e6/float64(b.N), "cpu-ms/op")
					}
					b.ReportMetric(float64(len(m.Cohorts)), "cohorts")
				})
			}
		})
	}
}
