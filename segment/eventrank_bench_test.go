package segment

import (
	"context"
	"testing"
	"time"
)

// Event rules answered from recency ranks (issue 21 item 2), on the
// DESIGN §6 benchmark population (a year of logins, 1% of customers a day,
// and purchases, 0.55% a day): Eval and Count with now on the last recorded
// day (the ranks answer) and 30 days before it (they do not: the day and
// block bitmaps do). The first evaluation builds the ranks; its time is in
// the log.
var rankRules = []struct{ name, rule string }{
	{"didWithin-login-30d", `didWithin("login", "30d")`},
	{"not-didWithin-login-90d", `!didWithin("login", "90d")`},
	{"countWithin-purchase-90d-ge3", `countWithin("purchase", "90d") >= 3`},
	{"repeat-buyers-ref", `inSegment("repeat_buyers") && !has("t3")`},
}

func BenchmarkEventRanks(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		p := getBenchPop(b, n)
		reg := NewRegistry()
		if err := reg.Define(Definition{Name: "repeat_buyers", Rule: `countWithin("purchase", "1y") >= 2`}); err != nil {
			b.Fatal(err)
		}
		for _, when := range []struct {
			name string
			now  time.Time
		}{{"now", p.now}, {"past30d", p.now.AddDate(0, 0, -30)}} {
			for _, rr := range rankRules {
				r := MustCompile(rr.rule, WithResolver(reg))
				start := time.Now()
				set, err := r.Eval(ctx, p.v, when.now)
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("%s %s %s: first Eval %v (builds the ranks once)", sizeName(n), when.name, rr.name, time.Since(start))
				k, err := r.Count(ctx, p.v, when.now)
				if err != nil || k != set.Len() {
					b.Fatalf("%s: Count %d, Eval %d, %v", rr.rule, k, set.Len(), err)
				}
				b.Run("n="+sizeName(n)+"/"+when.name+"/"+rr.name+"/eval", func(b *testing.B) {
					b.ReportAllocs()
					b.ReportMetric(float64(set.Len()), "members")
					cpu := cpuTime()
					for b.Loop() {
						if _, err := r.Eval(ctx, p.v, when.now); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				})
				b.Run("n="+sizeName(n)+"/"+when.name+"/"+rr.name+"/count", func(b *testing.B) {
					b.ReportAllocs()
					cpu := cpuTime()
					for b.Loop() {
						if _, err := r.Count(ctx, p.v, when.now); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				})
			}
		}
	}
}
