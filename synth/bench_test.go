package synth

import (
	"testing"
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
