package segment

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Every core (issue 21 item 4): a registry of 100 segments evaluated by
// EvalAll, and many goroutines querying one view. Run with -cpu 1,2,4 to
// compare.

// parallelDefs is a realistic mix: tags, attribute ranges (wide spend and
// second-precision signup among them), event windows and references.
func parallelDefs() []Definition {
	var defs []Definition
	add := func(name, rule string) { defs = append(defs, Definition{Name: name, Rule: rule}) }
	for i := range 30 {
		add(fmt.Sprintf("tag%02d", i), fmt.Sprintf(`has("t%d") && has("t%d")`, 1+i%7, 8+i))
	}
	for i := range 20 {
		add(fmt.Sprintf("attr%02d", i), fmt.Sprintf(`age in %d..%d && spend >= %d`, 18+i, 30+i, 100+i*37))
	}
	for i := range 10 {
		add(fmt.Sprintf("signup%02d", i), fmt.Sprintf(`signup >= date("2025-%02d-11") && has("t%d")`, 1+i, 1+i%3))
	}
	for i := range 20 {
		add(fmt.Sprintf("event%02d", i), fmt.Sprintf(`didWithin("login", "%dd") && !didWithin("purchase", "%dd")`, 7+i, 30+i*3))
	}
	for i := range 20 {
		add(fmt.Sprintf("ref%02d", i), fmt.Sprintf(`inSegment("tag%02d") && (inSegment("event%02d") || inSegment("attr%02d"))`, i, i, i))
	}
	return defs
}

func BenchmarkEvalAll(b *testing.B) {
	defs := parallelDefs()
	for _, n := range benchSizes() {
		p := getBenchPop(b, n)
		b.Run("n="+sizeName(n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				reg := NewRegistry(WithSchema(benchSchema))
				if err := reg.DefineAll(defs...); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := reg.EvalAll(context.Background(), p.v, p.now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQueriesParallel runs rules from GOMAXPROCS goroutines at once on
// one view and reports queries per second.
func BenchmarkQueriesParallel(b *testing.B) {
	rules := []*Rule{
		MustCompile(ruleFiveTags, WithSchema(benchSchema)),
		MustCompile(ruleMixed(), WithSchema(benchSchema)),
		MustCompile(`didWithin("login", "30d") && has("t2")`, WithSchema(benchSchema)),
		MustCompile(`spend >= 400 && age < 40`, WithSchema(benchSchema)),
	}
	for _, n := range benchSizes() {
		p := getBenchPop(b, n)
		b.Run("n="+sizeName(n), func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := rules[i%len(rules)].Eval(context.Background(), p.v, p.now); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
		})
	}
}
