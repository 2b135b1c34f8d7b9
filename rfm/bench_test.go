package rfm

import (
	"fmt"
	"iter"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/segkit/segkit"
)

// benchPopulation generates transactions for n customers with a seeded,
// allocation-free generator: customer i has 1 + h(i) mod 9 purchases (5 on
// average, so n customers make about 5n transactions) spread over the two
// years before benchNow. byCustomer yields each customer's purchases
// together (an export ordered by customer); otherwise the purchases are
// interleaved round by round, so consecutive transactions belong to
// different customers (an export ordered by time).
type benchPopulation struct {
	keys []string
}

var benchNow = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

func newBenchPopulation(n int) *benchPopulation {
	p := &benchPopulation{keys: make([]string, n)}
	for i := range p.keys {
		p.keys[i] = "cust-" + strconv.Itoa(10_000_000+i)
	}
	return p
}

func mix(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (p *benchPopulation) orders(i int) int { return 1 + int(mix(uint64(i))%9) }

func (p *benchPopulation) txn(i, j int) segkit.Transaction {
	h := mix(uint64(i)<<8 | uint64(j))
	secs := int64(h % (730 * 86400))
	cents := 100 + int64(h>>32%20000)
	return segkit.Transaction{Customer: p.keys[i], At: benchNow.Add(-time.Duration(secs) * time.Second), Amount: float64(cents) / 100}
}

func (p *benchPopulation) count() int {
	n := 0
	for i := range p.keys {
		n += p.orders(i)
	}
	return n
}

func (p *benchPopulation) seq(byCustomer bool) iter.Seq[segkit.Transaction] {
	return func(yield func(segkit.Transaction) bool) {
		if byCustomer {
			for i := range p.keys {
				for j := range p.orders(i) {
					if !yield(p.txn(i, j)) {
						return
					}
				}
			}
			return
		}
		for j := range 9 {
			for i := range p.keys {
				if j < p.orders(i) && !yield(p.txn(i, j)) {
					return
				}
			}
		}
	}
}

func benchSizes() []int {
	sizes := []int{1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

// BenchmarkAnalyze scores n customers from about 5n generated transactions
// (1M/5M always; 10M/50M with SEGKIT_BENCH_10M=1). The target (DESIGN.md §6)
// is 10M customers from 50M transactions in at most 10 s on one core. The
// time includes generating the transactions; BenchmarkGenerate measures that
// part alone.
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range benchSizes() {
		p := newBenchPopulation(n)
		txns := p.count()
		for _, order := range []struct {
			name       string
			byCustomer bool
		}{{"by-customer", true}, {"by-time", false}} {
			bins := []Binning{Quantile, RCompat}
			if n > 1_000_000 {
				bins = bins[:1] // the binning rule costs little next to reading
			}
			for _, bin := range bins {
				b.Run(fmt.Sprintf("customers=%d/txns=%d/%s/%v", n, txns, order.name, bin), func(b *testing.B) {
					cfg := DefaultConfig()
					cfg.Binning = bin
					b.ReportAllocs()
					u0, s0 := cpuTimes()
					for b.Loop() {
						res, err := Analyze(p.seq(order.byCustomer), benchNow, cfg)
						if err != nil || res.Len() != n {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txns), "ns/txn")
					// CPU time of the whole process (all threads, GC included)
					// per run: on a shared machine wall time overstates the cost.
					u1, s1 := cpuTimes()
					b.ReportMetric((u1-u0)/float64(b.N), "user-s/op")
					b.ReportMetric((s1-s0)/float64(b.N), "sys-s/op")
				})
			}
		}
	}
}

// BenchmarkAnalyzeOptions prices the optional work at 1M customers: rank
// binning (a sort per dimension), distinct purchase days, purchase cycles.
func BenchmarkAnalyzeOptions(b *testing.B) {
	p := newBenchPopulation(1_000_000)
	for _, o := range []struct {
		name string
		set  func(*Config)
	}{
		{"rank", func(c *Config) { c.Binning = Rank }},
		{"days", func(c *Config) { c.Frequency = Days }},
		{"cycles", func(c *Config) { c.Cycles = true }},
	} {
		b.Run(o.name, func(b *testing.B) {
			cfg := DefaultConfig()
			o.set(&cfg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyze(p.seq(false), benchNow, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerate is the cost of the benchmark's transaction generator
// alone, to subtract from BenchmarkAnalyze.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range benchSizes() {
		p := newBenchPopulation(n)
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			sum := 0.0
			for b.Loop() {
				for t := range p.seq(true) {
					sum += t.Amount
				}
			}
			if math.IsNaN(sum) {
				b.Fatal(sum)
			}
		})
	}
}

// BenchmarkSegment assigns and summarises segments for 1M scored customers.
func BenchmarkSegment(b *testing.B) {
	p := newBenchPopulation(1_000_000)
	res, err := Analyze(p.seq(true), benchNow, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	s, _ := Preset("rfm10")
	b.ReportAllocs()
	for b.Loop() {
		a, err := res.Segment(s)
		if err != nil {
			b.Fatal(err)
		}
		_ = a.Summary()
	}
}
