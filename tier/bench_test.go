package tier_test

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// benchPopulation returns n customer keys and a pool of distinct 20-record
// purchase histories over two years (about one record in ten a refund of an
// earlier order). Customers share the pool's slices, so a million customers
// cost a few megabytes while each one is still replayed in full.
func benchPopulation(n, perCustomer int) ([]string, [][]segkit.Transaction) {
	rng := rand.New(rand.NewPCG(42, 42))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("C%07d", i)
	}
	pool := make([][]segkit.Transaction, 4096)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range pool {
		txs := make([]segkit.Transaction, 0, perCustomer)
		scale := []float64{50, 300, 1500}[rng.IntN(3)]
		for j := range perCustomer {
			at := start.Add(time.Duration(rng.IntN(730*24)) * time.Hour)
			order := fmt.Sprintf("O%d", j)
			amount := 5 + rng.Float64()*scale
			if j > 0 && rng.IntN(10) == 0 {
				prev := txs[rng.IntN(len(txs))]
				if prev.Amount > 0 {
					at, order, amount = prev.At.Add(72*time.Hour), prev.Order, -prev.Amount/2
				}
			}
			txs = append(txs, segkit.Transaction{At: at, Amount: amount, Quantity: 1 + rng.IntN(3), Order: order})
		}
		pool[i] = txs
	}
	return keys, pool
}

func histories(keys []string, pool [][]segkit.Transaction) iter.Seq[tier.History] {
	return func(yield func(tier.History) bool) {
		for i, k := range keys {
			if !yield(tier.History{Customer: k, Transactions: pool[i%len(pool)]}) {
				return
			}
		}
	}
}

// BenchmarkEvaluateAll evaluates every customer's level and points as of a
// date: the target is 1M customers with 20 transactions each in ≤ 5 s on
// one core.
func BenchmarkEvaluateAll(b *testing.B) {
	sizes := []int{10_000, 100_000, 1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	for _, c := range []struct {
		prog   string
		sorted bool
	}{{"retail", false}, {"retail", true}, {"hotel", false}} {
		e := loadEngine(b, "testdata/"+c.prog+".json")
		order := "shuffled"
		if c.sorted {
			order = "sorted"
		}
		for _, n := range sizes {
			keys, pool := benchPopulation(n, 20)
			if c.sorted {
				for _, txs := range pool {
					slices.SortStableFunc(txs, func(a, b segkit.Transaction) int { return a.At.Compare(b.At) })
				}
			}
			asOf := segkit.Date(2026, 12, 31)
			b.Run(fmt.Sprintf("%s/%s/customers=%d", c.prog, order, n), func(b *testing.B) {
				b.ReportAllocs()
				cpu0, cpuOK := processCPU()
				for b.Loop() {
					count := 0
					for _, err := range e.EvaluateAllDay(histories(keys, pool), asOf) {
						if err != nil {
							b.Fatal(err)
						}
						count++
					}
					if count != n {
						b.Fatalf("%d statuses", count)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/customer")
				if cpu1, ok := processCPU(); ok && cpuOK {
					b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/customer")
				}
			})
		}
	}
}

func BenchmarkReplay(b *testing.B) {
	e := loadEngine(b, "testdata/retail.json")
	_, pool := benchPopulation(1, 20)
	h := tier.History{Customer: "C", Transactions: pool[0]}
	asOf := segkit.Date(2026, 12, 31)
	b.Run("audit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.ReplayDay(h, asOf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("evaluate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.EvaluateDay(h, asOf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("progress", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.ProgressDay(h, asOf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGroup measures gathering flat transaction streams into histories.
func BenchmarkGroup(b *testing.B) {
	keys, pool := benchPopulation(10_000, 20)
	var flat []segkit.Transaction
	for i, k := range keys {
		for _, t := range pool[i%len(pool)] {
			t.Customer = k
			flat = append(flat, t)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		hs := tier.Group(tier.Sources{Transactions: func(yield func(segkit.Transaction) bool) {
			for _, t := range flat {
				if !yield(t) {
					return
				}
			}
		}})
		if len(hs) != len(keys) {
			b.Fatal(len(hs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(flat)), "ns/transaction")
}

func TestEvaluateAllowsFewAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled scratch state at random")
	}
	e := loadEngine(t, "testdata/retail.json")
	keys, pool := benchPopulation(200, 20)
	asOf := segkit.Date(2026, 12, 31)
	run := func() {
		for _, err := range e.EvaluateAllDay(histories(keys, pool), asOf) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	allocs := testing.AllocsPerRun(5, run)
	// The scratch state is reused: allocations do not grow per customer.
	if allocs > 20 {
		t.Fatalf("%v allocations for %d customers", allocs, len(keys))
	}
}
