package segment

import (
	"context"
	"testing"
	"time"
)

// Event rules answered from recency ranks (issue 21 item 2), on the event
// population of BenchmarkEventForms (shaped like synth's: a year of ~10
// logins, ~2 purchases with amounts and categories and ~0.5 trial classes
// per customer, 20% vip): Eval and Count with now on the last recorded day
// (the ranks answer) and 30 days before it (they do not: the day and block
// bitmaps do). The first evaluation builds the ranks; its time is in the
// log.
var rankRules = []struct{ name, rule string }{
	{"didWithin-login-30d", `didWithin("login", "30d")`},
	// windows starting 1–3 days after a suffix set (they are every 4 days
	// near the last day): 30d may start on one
	{"didWithin-login-29d", `didWithin("login", "29d")`},
	{"didWithin-login-28d", `didWithin("login", "28d")`},
	{"didWithin-login-27d", `didWithin("login", "27d")`},
	{"not-didWithin-login-90d", `!didWithin("login", "90d")`},
	{"countWithin-purchase-90d-ge3", `countWithin("purchase", "90d") >= 3`},
	// beyond the ranks' four levels: the block counters answer (the first
	// Eval builds the counters of the blocks the window covers)
	{"countWithin-login-90d-ge5", `countWithin("login", "90d") >= 5`},
	{"repeat-buyers-ref", `inSegment("repeat_buyers") && !has("vip")`},
}

func BenchmarkEventRanks(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run("n="+sizeName(n), func(b *testing.B) { benchEventRanks(b, n) })
	}
}

func benchEventRanks(b *testing.B, n int) {
	ctx := context.Background()
	p := getEvPop(b, n, true)
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
			b.Logf("%s %s %s: first Eval %v (the first at now builds the ranks)", sizeName(n), when.name, rr.name, time.Since(start))
			if when.name == "now" && rr.name == rankRules[len(rankRules)-1].name {
				st := p.v.Stats()
				var rk int64
				for _, f := range st.Fields {
					rk += f.RankBytes
				}
				b.Logf("%s: ranks %d bytes (%.1f B/customer), index %d bytes (%.1f B/customer)", sizeName(n), rk, float64(rk)/float64(n), st.MemoryBytes, float64(st.MemoryBytes)/float64(n))
			}
			k, err := r.Count(ctx, p.v, when.now)
			if err != nil || k != set.Len() {
				b.Fatalf("%s: Count %d, Eval %d, %v", rr.rule, k, set.Len(), err)
			}
			b.Run(when.name+"/"+rr.name+"/eval", func(b *testing.B) {
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
			b.Run(when.name+"/"+rr.name+"/count", func(b *testing.B) {
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
