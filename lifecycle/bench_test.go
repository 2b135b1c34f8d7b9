package lifecycle

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
)

// Benchmarks. The 10M-customer prediction run needs about 1.2 GB and runs
// only with SEGKIT_BENCH_10M=1:
//
//	SEGKIT_BENCH_10M=1 go test -run '^$' -bench . -benchmem ./lifecycle/

func BenchmarkFitBGNBD(b *testing.B) {
	data := cdnowSummary(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, err := FitBGNBD(data, FitConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, 1e6, "cpu-ms/op")
}

func BenchmarkFitMBGNBD(b *testing.B) {
	data := cdnowSummary(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, err := FitMBGNBD(data, FitConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, 1e6, "cpu-ms/op")
}

func BenchmarkFitParetoNBD(b *testing.B) {
	data := cdnowSummary(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, err := FitParetoNBD(data, FitConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, 1e6, "cpu-ms/op")
}

func BenchmarkFitGammaGamma(b *testing.B) {
	data := cdnowMonetary(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, err := FitGammaGamma(data, FitConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, 1e6, "cpu-ms/op")
}

// daySummaries simulates a BG/NBD population observed in whole days: T
// uniform in 1..730 days, t_x whole days, as Summarize produces.
func daySummaries(n int) []Summary {
	data := simulate(simBG, [4]float64{0.243, 4.414 * 7, 0.793, 2.426}, n, 99)
	for i := range data {
		s := &data[i]
		s.T = math.Floor(s.T * 730 / 60)
		s.Recency = math.Min(math.Floor(s.Recency*730/60), s.T)
		if s.Frequency == 0 {
			s.Recency = 0
		}
	}
	return data
}

func benchPredict(b *testing.B, m PurchaseModel, data []Summary, t float64) {
	dst := make([]Prediction, len(data))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := PredictInto(dst, m, data, t); err != nil {
			b.Fatal(err)
		}
	}
	per := float64(b.N) * float64(len(data))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/customer")
	reportCPU(b, cpu0, float64(len(data)), "cpu-ns/customer")
}

// BenchmarkPredict measures P(alive) and E[Y(t)] for whole populations: in
// days (as Summarize produces, many customers share (x, T)) and with
// continuous times (every customer distinct, the worst case).
func BenchmarkPredict(b *testing.B) {
	sizes := []int{1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	bgDays := BGNBD{R: 0.243, Alpha: 4.414 * 7, A: 0.793, B: 2.426}
	for _, n := range sizes {
		days := daySummaries(n)
		b.Run(fmt.Sprintf("bgnbd/days/%d", n), func(b *testing.B) { benchPredict(b, bgDays, days, 365) })
		b.Run(fmt.Sprintf("mbgnbd/days/%d", n), func(b *testing.B) {
			benchPredict(b, MBGNBD{R: 0.525, Alpha: 6.183 * 7, A: 0.891, B: 1.614}, days, 365)
		})
		if n <= 1_000_000 {
			b.Run(fmt.Sprintf("paretonbd/days/%d", n), func(b *testing.B) {
				benchPredict(b, ParetoNBD{R: 0.553, Alpha: 10.578 * 7, S: 0.606, Beta: 11.669 * 7}, days, 365)
			})
		}
		days = nil
		runtime.GC()
		cont := simulate(simBG, [4]float64{0.243, 4.414, 0.793, 2.426}, n, 7)
		b.Run(fmt.Sprintf("bgnbd/continuous/%d", n), func(b *testing.B) { benchPredict(b, paperBG, cont, 52) })
	}
}

func BenchmarkStages(b *testing.B) {
	ps := randomPurchases(100_000, 3)
	h, err := NewHistories(slices.Values(txnsOf(ps)), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, fam := range []Family{Fixed, Rhythm} {
		b.Run(fmt.Sprintf("%s/100000", fam), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Family = fam
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Stages(segkit.Date(2024, 12, 31), cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSummarize(b *testing.B) {
	txns := txnsOf(randomPurchases(100_000, 4))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(2024, 12, 31), Unit: Weeks}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(txns)), "transactions")
}

// reportCPU reports the process CPU time since cpu0 per iteration, divided
// by div (1e6 for milliseconds, n for nanoseconds per item).
func reportCPU(b *testing.B, cpu0 time.Duration, div float64, name string) {
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/div, name)
	}
}
