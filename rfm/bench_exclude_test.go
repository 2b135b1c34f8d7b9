package rfm

import (
	"fmt"
	"testing"

	"github.com/segkit/segkit"
)

// BenchmarkAnalyzeExclude is BenchmarkAnalyze (by time, quantile bins) with
// and without two excluded periods (双十一 and 618, 29 days of the two
// years, about 4% of the transactions), to show what excluding costs:
// one day comparison per transaction per period. 10M customers with
// SEGKIT_BENCH_10M=1.
func BenchmarkAnalyzeExclude(b *testing.B) {
	periods := []segkit.Period{
		{Name: "双十一", From: segkit.Date(2024, 11, 1), To: segkit.Date(2024, 11, 11)},
		{Name: "618", From: segkit.Date(2025, 6, 1), To: segkit.Date(2025, 6, 18)},
	}
	for _, n := range benchSizes() {
		p := newBenchPopulation(n)
		txns := p.count()
		for _, ex := range []struct {
			name    string
			periods []segkit.Period
		}{{"without", nil}, {"excluding-2-periods", periods}} {
			b.Run(fmt.Sprintf("customers=%d/txns=%d/%s", n, txns, ex.name), func(b *testing.B) {
				cfg := DefaultConfig()
				cfg.Exclude = ex.periods
				b.ReportAllocs()
				var removed int
				u0, s0 := cpuTimes()
				for b.Loop() {
					res, err := Analyze(p.seq(false), benchNow, cfg)
					if err != nil {
						b.Fatal(err)
					}
					removed = 0
					for _, x := range res.Excluded {
						removed += x.Records
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txns), "ns/txn")
				b.ReportMetric(float64(removed), "removed")
				u1, s1 := cpuTimes()
				b.ReportMetric((u1-u0)/float64(b.N), "user-s/op")
				b.ReportMetric((s1-s0)/float64(b.N), "sys-s/op")
			})
		}
	}
}
