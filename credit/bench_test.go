package credit_test

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/credit"
)

// population yields n synthetic customers for the retail scorecard with
// outcomes from a known logistic relation. The yielded customer's slices
// are reused: Fit reads each sample once and keeps nothing of it.
func population(n int, asOf segkit.Day) iter.Seq[credit.Sample] {
	return func(yield func(credit.Sample) bool) {
		rng := rand.New(rand.NewPCG(11, 12))
		events := make([]segkit.Event, 0, 16)
		attrs := map[string]bitmapindex.Value{}
		for range n {
			events = events[:0]
			late, refunds := rng.IntN(5), rng.IntN(4)
			for k := range late {
				events = append(events, segkit.Event{Name: "late_payment", At: asOf.AddDays(-k * 40).Time(nil)})
			}
			for k := range refunds {
				events = append(events, segkit.Event{Name: "refund", At: asOf.AddDays(-k * 20).Time(nil)})
			}
			complained := rng.IntN(3) == 0
			since := rng.IntN(120)
			if complained {
				events = append(events, segkit.Event{Name: "complaint", At: asOf.AddDays(-since).Time(nil)})
			}
			tenure := rng.IntN(2000)
			ver := rng.IntN(3) > 0
			attrs["verified"] = bitmapindex.Bool(ver)
			z := -3 + 0.5*float64(late) + 0.3*float64(refunds) - float64(tenure)/2000
			if complained && since < 30 {
				z += 0.6
			}
			if !ver {
				z += 0.7
			}
			cu := credit.Customer{Joined: asOf.AddDays(-tenure).Time(nil), Attributes: attrs, Events: events}
			if !yield(credit.Sample{Customer: cu, Bad: rng.Float64() < 1/(1+math.Exp(-z))}) {
				return
			}
		}
	}
}

// BenchmarkFit is the scorecard fit on whole populations: characteristics
// of every customer from its events and attributes, WoE per bin, the
// regression and the scaling.
func BenchmarkFit(b *testing.B) {
	m := load(b)
	sc := m.Scorecard()
	asOf := segkit.Date(2026, 6, 30)
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				if _, err := credit.Fit(sc, population(n, asOf), asOf.Time(nil), credit.DefaultFitConfig()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkGenerate is the cost of the synthetic population alone, to
// subtract from BenchmarkFit.
func BenchmarkGenerate(b *testing.B) {
	asOf := segkit.Date(2026, 6, 30)
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		for range population(1_000_000, asOf) {
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

func BenchmarkScore(b *testing.B) {
	m := load(b)
	asOf := segkit.Date(2026, 6, 30)
	var cus []credit.Customer
	for s := range population(1000, asOf) {
		c := s.Customer
		c.Events = append([]segkit.Event(nil), c.Events...)
		c.Attributes = map[string]bitmapindex.Value{"verified": c.Attributes["verified"]}
		cus = append(cus, c)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := m.Score(cus[i%len(cus)], asOf.Time(m.Location())); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
