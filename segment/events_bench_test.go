package segment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// Benchmarks of the event forms over values and properties (issue 15), on a
// population shaped like synth's reference workload: a year of ~10 logins
// and ~2 purchases per customer (purchases with an amount and one of four
// categories), ~0.5 trial classes, a few tags and attributes for Match.
// Sizes 100k and 1M; 10M with SEGKIT_BENCH_10M=1.
//
//	go test -run '^$' -bench 'Event' -benchmem -cpu 1 ./segment/

const (
	evLoginRate = 10.0 / 365
	evPurchRate = 2.0 / 365
	evTrialRate = 0.5 / 365
)

var evCategories = []string{"math", "english", "art", "coding"}

// eventRules are the rules of the targets.
var eventRules = []struct{ name, rule string }{
	{"didWithin-14d-math", `didWithin("purchase", "14d", {category: "math"})`},
	{"sumWithin-90d", `sumWithin("purchase", "90d") >= 500`},
	{"avgWithin-180d", `avgWithin("purchase", "180d") >= 200`},
	{"didBetween-11d", `didBetween("purchase", date("2025-11-01"), date("2025-11-11"))`},
	{"didThen-7d", `didThen("trial_class", "purchase", "7d")`},
}

// ruleMatchEvents is the 6-predicate rule of the Match target.
const ruleMatchEvents = `has("vip") && age >= 18 && didWithin("purchase", "1y", {category: ["math", "art"]}) && sumWithin("purchase", "1y") >= 100 && avgWithin("purchase", "1y") >= 20 && didWithin("login", "30d")`

type evPop struct {
	v   *bitmapindex.View
	now time.Time
}

var (
	evMu   sync.Mutex
	evPops = map[string]*evPop{}
)

// getEvPop builds (once) a population of n customers; details false
// records purchases without values and categories (today's index, for the
// memory comparison).
func getEvPop(tb testing.TB, n int, details bool) *evPop {
	evMu.Lock()
	defer evMu.Unlock()
	key := fmt.Sprint(n, details)
	if p := evPops[key]; p != nil {
		return p
	}
	start := time.Now()
	p := buildEvPop(tb, n, details, 7)
	tb.Logf("built %s-customer event population in %v", sizeName(n), time.Since(start).Round(time.Millisecond))
	evPops[key] = p
	return p
}

func buildEvPop(tb testing.TB, n int, details bool, seed uint64) *evPop {
	rng := rand.New(rand.NewPCG(seed, seed*3+1))
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Strict: true, Schema: []bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	today := segkit.DayOf(now, time.UTC)
	keys := make([]string, n)
	b := ix.NewBatch()
	commit := func(force bool) {
		if b.Len() >= 1<<16 || (force && b.Len() > 0) {
			if err := b.Commit(); err != nil {
				tb.Fatal(err)
			}
			b = ix.NewBatch()
		}
	}
	for i := range keys {
		keys[i] = fmt.Sprintf("k%08d", i)
		b.Add(keys[i])
		b.Set(keys[i], "age", bitmapindex.Int(int64(16+rng.IntN(50))))
		if rng.IntN(5) == 0 {
			b.AddTag(keys[i], "vip")
		}
		commit(false)
	}
	commit(true)
	props := make([]map[string]string, len(evCategories))
	for i, c := range evCategories {
		props[i] = map[string]string{"category": c}
	}
	for d := 364; d >= 0; d-- {
		at := today.AddDays(-d).Time(time.UTC).Add(11 * time.Hour)
		// logins by ID (distinct per day)
		m := int(float64(n) * evLoginRate)
		seen := make(map[uint32]bool, m)
		ids := make([]uint32, 0, m)
		for len(ids) < m {
			id := uint32(rng.IntN(n))
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		b.RecordIDs("login", at, ids, nil)
		commit(true)
		for j := 0; j < int(float64(n)*evTrialRate); j++ {
			b.Record(keys[rng.IntN(n)], "trial_class", at, 0)
		}
		for j := 0; j < int(float64(n)*evPurchRate); j++ {
			k := keys[rng.IntN(n)]
			if !details {
				b.Record(k, "purchase", at, 0)
				continue
			}
			// amounts: log-normal around 120, in cents
			cents := int64(math.Exp(rng.NormFloat64()*0.9+math.Log(12000))) + 100
			c := rng.IntN(10)
			cat := 0
			switch {
			case c >= 9:
				cat = 3
			case c >= 7:
				cat = 2
			case c >= 4:
				cat = 1
			}
			b.RecordEvent(k, "purchase", at, bitmapindex.EventDetail{Value: bitmapindex.Amount(cents * 100), Props: props[cat]})
			commit(false)
		}
		commit(true)
	}
	commit(true)
	v := ix.View()
	runtime.GC()
	return &evPop{v: v, now: now}
}

func BenchmarkEventForms(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		p := getEvPop(b, n, true)
		for _, er := range eventRules {
			r := MustCompile(er.rule)
			set, err := r.Eval(ctx, p.v, p.now)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("n="+sizeName(n)+"/"+er.name, func(b *testing.B) {
				b.ReportAllocs()
				b.ReportMetric(float64(set.Len()), "members")
				cpu := cpuTime()
				for b.Loop() {
					if _, err := r.Eval(ctx, p.v, p.now); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkEventMatch: one profile against a 6-predicate rule using the
// new forms (target ≤ 2 µs, ≤ 2 allocations).
func BenchmarkEventMatch(b *testing.B) {
	p := getEvPop(b, benchSizes()[0], true)
	r := MustCompile(ruleMatchEvents, WithSchema([]bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}))
	set, err := r.Eval(context.Background(), p.v, p.now)
	if err != nil || set.Len() == 0 {
		b.Fatal("no customer satisfies the rule", err)
	}
	var prof bitmapindex.Profile
	for id := range set.IDs() {
		key, _ := p.v.Key(id)
		prof, _ = p.v.Profile(key)
		break
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if ok, err := r.Match(prof, p.now); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time in nanoseconds: on a
// shared machine it measures the work of a benchmark where wall time also
// measures the waiting (run the benchmarks with -cpu 1 and nothing else of
// the process running).
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestEventMemory reports the index's memory with and without purchase
// values and categories (SEGKIT_EVENT_MEMORY=N customers; skipped
// otherwise): Stats' estimate and the Go heap after GC.
func TestEventMemory(t *testing.T) {
	var n int
	if _, err := fmt.Sscan(os.Getenv("SEGKIT_EVENT_MEMORY"), &n); err != nil || n <= 0 {
		t.Skip("set SEGKIT_EVENT_MEMORY=N to measure")
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	h0 := heap()
	ref := buildBenchPop(t, n, 42)
	h1 := heap()
	st := ref.v.Stats()
	t.Logf("reference workload (benchPop): heap %d MiB, Stats %d MiB", (h1-h0)>>20, st.MemoryBytes>>20)
	runtime.KeepAlive(ref)
	ref = nil
	for _, details := range []bool{false, true} {
		h0 := heap()
		p := buildEvPop(t, n, details, 7)
		h1 := heap()
		st := p.v.Stats()
		var det int64
		for _, f := range st.Fields {
			det += f.DetailBytes
		}
		t.Logf("details=%v: heap %d MiB, Stats %d MiB (event details %d MiB)", details, (h1-h0)>>20, st.MemoryBytes>>20, det>>20)
		runtime.KeepAlive(p)
	}
}
