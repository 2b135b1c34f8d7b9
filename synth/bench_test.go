package synth

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/segkit/segkit/bitmapindex"
)

func benchGen(b *testing.B, workers int) *Generator {
	cfg := Reference(1 << 30)
	cfg.Workers = workers
	g, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkCustomers measures customers per second (attributes, tags and
// last login; no event list).
func BenchmarkCustomers(b *testing.B) {
	g := benchGen(b, 1)
	st, rec := newState(), &Record{}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		g.generate(st, rec, i, needAttrs)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "customers/s")
}

// BenchmarkRecords measures full generation: customers, events and
// transactions.
func BenchmarkRecords(b *testing.B) {
	g := benchGen(b, 1)
	st, rec := newState(), &Record{}
	i, events, txs := 0, 0, 0
	b.ReportAllocs()
	for b.Loop() {
		g.generate(st, rec, i, needAttrs|needEvents|needTx)
		events += len(rec.Events)
		txs += len(rec.Transactions)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "customers/s")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEvents measures the event stream alone.
func BenchmarkEvents(b *testing.B) {
	g := benchGen(b, 1)
	st, rec := newState(), &Record{}
	i, events := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		g.generate(st, rec, i, needEvents)
		events += len(rec.Events)
		i++
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLoad measures building an index from the generator: customers
// with tags and attributes, with and without the year of events.
func BenchmarkLoad(b *testing.B) {
	for _, tc := range []struct {
		name    string
		n       int
		workers int
		events  []string
	}{
		{"20k/no-events/workers=1", 20_000, 1, []string{}},
		{"20k/no-events/workers=2", 20_000, 2, []string{}},
		{"20k/all-events/workers=1", 20_000, 1, nil},
		{"20k/all-events/workers=2", 20_000, 2, nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Reference(tc.n)
			cfg.Workers = tc.workers
			g, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			lc := DefaultLoadConfig()
			lc.Events = tc.events
			b.ReportAllocs()
			for b.Loop() {
				ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				if err := g.Load(context.Background(), ix, lc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(cfg.Customers)/b.Elapsed().Seconds(), "customers/s")
		})
	}
}

// BenchmarkPopulation streams whole populations through Records, as the
// index build and the CLI do: 100k customers, and the 10M reference
// population when SEGKIT_BENCH_10M=1.
func BenchmarkPopulation(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	for _, n := range sizes {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%d/workers=%d", n, workers), func(b *testing.B) {
				cfg := Reference(n)
				cfg.Workers = workers
				g, err := New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				events, customers := 0, 0
				b.ReportAllocs()
				for b.Loop() {
					for r := range g.Records() {
						customers++
						events += len(r.Events)
					}
				}
				b.ReportMetric(float64(customers)/b.Elapsed().Seconds(), "customers/s")
				b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkWrite measures writing the data contract's three files (as
// `segkit gen` does) for 100k customers, to io.Discard.
func BenchmarkWrite(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("100k/workers=%d", workers), func(b *testing.B) {
			cfg := Reference(100_000)
			cfg.Workers = workers
			g, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			var cw, ew, tw countingWriter
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Write(&cw, &ew, &tw); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes((cw.n + ew.n + tw.n) / int64(b.N))
			b.ReportMetric(float64(b.N)*float64(cfg.Customers)/b.Elapsed().Seconds(), "customers/s")
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
