package clv

import (
	"fmt"
	"math"
	"math/rand/v2"
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
//	SEGKIT_BENCH_10M=1 go test -run '^$' -bench . -benchmem ./clv/

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

func BenchmarkSummarize(b *testing.B) {
	txns := randomTransactions(100_000, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Summarize(slices.Values(txns), SummaryConfig{CalibrationEnd: segkit.Date(2024, 12, 31), Unit: Weeks}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(txns)), "transactions")
}

// randomTransactions draws n customers with their own purchase rhythms over
// two years, in random order.
func randomTransactions(n int, seed uint64) []segkit.Transaction {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := segkit.Date(2023, 1, 1)
	var out []segkit.Transaction
	for i := range n {
		key := fmt.Sprintf("c%04d", i)
		d := start.AddDays(rng.IntN(700))
		gap := 3 + rng.IntN(60)
		end := d.AddDays(rng.IntN(900))
		for d <= end && d < start.AddDays(730) {
			out = append(out, segkit.Transaction{Customer: key, At: d.Time(time.UTC).Add(13 * time.Hour), Amount: 10})
			d = d.AddDays(1 + int(rng.ExpFloat64()*float64(gap)))
			if rng.IntN(25) == 0 { // a long break
				d = d.AddDays(200 + rng.IntN(200))
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// reportCPU reports the process CPU time since cpu0 per iteration, divided
// by div (1e6 for milliseconds, n for nanoseconds per item).
func reportCPU(b *testing.B, cpu0 time.Duration, div float64, name string) {
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/div, name)
	}
}
