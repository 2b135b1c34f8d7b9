package bitmapindex

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segkit/segkit"
)

// The benchmark population (DESIGN.md §6, scaled): 1,000 tags with Zipf
// popularity (the top tag on about half of the customers, ~10 tags each),
// age 18–70, city with 300 values, spend as a wide decimal attribute, and a
// year of logins (~5% of customers a day) and purchases (~0.55% a day).

const benchYearDays = 365

var benchToday = segkit.Date(2025, 12, 31)

type population struct {
	snapshot []byte // written on demand by snapshot benchmarks
	ix       *Index
	n        int
	build    time.Duration
	buildCPU time.Duration
}

var (
	popMu    sync.Mutex
	popCache = map[int]*population{}
)

func benchSizes() []int {
	sizes := []int{100_000, 1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

func benchKey(i int) string { return fmt.Sprintf("c%08d", i) }

// tagProb is the share of customers with tag k (0-based): Zipf, s = 0.75.
func tagProb(k int) float64 { return 0.5 / math.Pow(float64(k+1), 0.75) }

// skipSample calls fn for each of n customers independently with
// probability p, in ascending order, using geometric skips.
func skipSample(r *rand.Rand, n int, p float64, fn func(i int)) {
	if p <= 0 {
		return
	}
	if p >= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	lq := math.Log1p(-p)
	i := -1
	for {
		u := r.Float64()
		i += 1 + int(math.Log(1-u)/lq)
		if i >= n || i < 0 {
			return
		}
		fn(i)
	}
}

// buildPopulation generates the population through the public batch API.
func buildPopulation(tb testing.TB, n int) *population {
	popMu.Lock()
	defer popMu.Unlock()
	if p := popCache[n]; p != nil {
		return p
	}
	// SEGKIT_BENCH_CACHE=DIR keeps generated populations as snapshots, to
	// iterate on query benchmarks without regenerating (build-s is then 0).
	cache := os.Getenv("SEGKIT_BENCH_CACHE")
	cachePath := filepath.Join(cache, fmt.Sprintf("population-%d.segkit", n))
	if cache != "" {
		if ix, err := Load(cachePath); err == nil {
			p := &population{ix: ix, n: n}
			popCache[n] = p
			return p
		}
	}
	start, startCPU := time.Now(), cpuTime()
	ix, err := New(Config{Schema: []Attribute{
		{Name: "age", Kind: KindInt},
		{Name: "city", Kind: KindCategory},
		{Name: "spend", Kind: KindDecimal, Scale: 2},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	commit := func(b *Batch) {
		if err := b.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	// customers by key (the key lookups are part of the build), then the
	// fields through the bulk path: keys added to an empty index get IDs
	// 0..n-1 in order.
	const chunk = 1 << 18
	for lo := 0; lo < n; lo += chunk {
		b := ix.NewBatch()
		for i := lo; i < min(n, lo+chunk); i++ {
			b.Add(benchKey(i))
		}
		commit(b)
	}
	ids := make([]uint32, n)
	ages := make([]Value, n)
	cities := make([]Value, n)
	spends := make([]Value, n)
	cityNames := make([]Value, 300)
	for i := range cityNames {
		cityNames[i] = Category(fmt.Sprintf("city%03d", i))
	}
	for i := range n {
		ids[i] = uint32(i)
		ages[i] = Int(int64(18 + r.IntN(53)))
		cities[i] = cityNames[r.IntN(300)]
		spends[i] = Decimal(float64(r.IntN(10_000_000)) / 100)
	}
	b := ix.NewBatch()
	b.SetIDs("age", ids, ages)
	b.SetIDs("city", ids, cities)
	b.SetIDs("spend", ids, spends)
	commit(b)
	for k := range 1000 {
		var sel []uint32
		skipSample(r, n, tagProb(k), func(i int) { sel = append(sel, uint32(i)) })
		b := ix.NewBatch()
		b.AddTagIDs(fmt.Sprintf("t%04d", k), sel)
		commit(b)
	}
	first := benchToday.AddDays(-benchYearDays + 1)
	for d := first; d <= benchToday; d++ {
		at := d.Time(time.UTC).Add(9 * time.Hour)
		var logins, buys []uint32
		var amounts []float64
		skipSample(r, n, 0.05, func(i int) { logins = append(logins, uint32(i)) })
		skipSample(r, n, 0.0055, func(i int) {
			buys = append(buys, uint32(i))
			amounts = append(amounts, float64(1+r.IntN(500)))
		})
		b := ix.NewBatch()
		b.RecordIDs("login", at, logins, nil)
		b.RecordIDs("purchase", at, buys, amounts)
		commit(b)
	}
	p := &population{ix: ix, n: n, build: time.Since(start), buildCPU: cpuTime() - startCPU}
	popCache[n] = p
	if cache != "" {
		if err := ix.Save(cachePath); err != nil {
			tb.Fatal(err)
		}
	}
	return p
}

// forSizes runs fn on the population of every size; prep (optional) runs
// before CPU time is counted.
func forSizes(b *testing.B, fn func(b *testing.B, p *population), prep ...func(b *testing.B, p *population)) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			p := buildPopulation(b, n)
			for _, f := range prep {
				f(b, p)
			}
			runtime.GC() // do not bill the next benchmark for this one's garbage
			b.ReportAllocs()
			cpu := cpuTime()
			fn(b, p)
			// CPU time per op: steadier than wall time on a shared machine.
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkBuild(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		for b.Loop() {
			// the build is measured once, when the population is generated
		}
		st := p.ix.View().Stats()
		b.ReportMetric(p.build.Seconds(), "build-s")
		b.ReportMetric(p.buildCPU.Seconds(), "build-cpu-s")
		b.ReportMetric(float64(st.MemoryBytes)/float64(p.n), "bytes/customer")
		b.ReportMetric(float64(st.PortableBytes)/float64(p.n), "portable-bytes/customer")
		b.ReportMetric(float64(st.KeyBytes)/float64(p.n), "key-bytes/customer")
	})
}

func BenchmarkTagAnd(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		x, y := v.Tag("t0000"), v.Tag("t0001")
		for b.Loop() {
			_ = x.And(y).Len()
		}
	})
}

func BenchmarkTagOr(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		x, y := v.Tag("t0000"), v.Tag("t0001")
		for b.Loop() {
			_ = x.Or(y).Len()
		}
	})
}

func BenchmarkTagAndNot(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		x, y := v.Tag("t0000"), v.Tag("t0001")
		for b.Loop() {
			_ = x.AndNot(y).Len()
		}
	})
}

func BenchmarkRangeAge(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		for b.Loop() {
			if _, err := v.Between("age", Int(26), Int(30)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRangeAgeBSI is the same range with the bit-sliced index alone
// (value bitmaps disabled), for comparison.
func BenchmarkRangeAgeBSI(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		a := *p.ix.View().st.attrs["age"]
		a.wide = true
		for b.Loop() {
			a.betweenNumeric(Int(26), Int(30), nil)
		}
	})
}

func BenchmarkRangeWide(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		for b.Loop() {
			if _, err := v.Compare("spend", Ge, Decimal(40000.5)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCount90 counts "at least 3 purchases in 90 days" and "at least 2
// in a year", by counting in a byte per customer (the default) and by
// summing the bit-sliced block counters.
func BenchmarkCount90(b *testing.B) {
	for _, q := range []struct {
		name string
		days int
		n    int64
	}{{"90d>=3", 90, 3}, {"365d>=2", 365, 2}} {
		for _, m := range []struct {
			name  string
			dense bool
		}{{"dense", true}, {"counters", false}} {
			b.Run(q.name+"/"+m.name, func(b *testing.B) {
				old := denseCount
				denseCount = m.dense
				defer func() { denseCount = old }()
				forSizes(b, func(b *testing.B, p *population) {
					v := p.ix.View()
					for b.Loop() {
						_ = v.Count("purchase", benchToday.AddDays(-q.days+1), benchToday, Ge, q.n)
					}
				})
			})
		}
	}
}

func BenchmarkDidLogin30(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		for b.Loop() {
			_ = v.Did("login", benchToday.AddDays(-29), benchToday)
		}
	})
}

func BenchmarkFirstIn14(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		for b.Loop() {
			_ = v.FirstIn("purchase", benchToday.AddDays(-13), benchToday)
		}
	})
}

// BenchmarkIngestTags measures batch ingest of tag assignments by key to
// existing customers (key lookups included), 100,000 per batch over 100
// tags, on a fresh index of n customers.
func BenchmarkIngestTags(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ix, _ := New(DefaultConfig())
			keys := make([]string, n)
			batch := ix.NewBatch()
			for i := range keys {
				keys[i] = benchKey(i)
				batch.Add(keys[i])
			}
			if err := batch.Commit(); err != nil {
				b.Fatal(err)
			}
			tags := make([]string, 100)
			for i := range tags {
				tags[i] = fmt.Sprintf("t%03d", i)
			}
			r := rand.New(rand.NewPCG(3, 4))
			const per = 100_000
			runtime.GC()
			b.ReportAllocs()
			var total int
			start, cpu := time.Now(), cpuTime()
			for b.Loop() {
				batch := ix.NewBatch()
				for range per {
					batch.AddTag(keys[r.IntN(n)], tags[r.IntN(len(tags))])
				}
				if err := batch.Commit(); err != nil {
					b.Fatal(err)
				}
				total += per
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "assignments/s")
			b.ReportMetric(float64(total)/(cpuTime()-cpu).Seconds(), "assignments/cpu-s")
		})
	}
}

// BenchmarkIngestTagIDs is BenchmarkIngestTags through the bulk path:
// 100,000 assignments per batch as AddTagIDs over 100 tags.
func BenchmarkIngestTagIDs(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ix, _ := New(DefaultConfig())
			batch := ix.NewBatch()
			for i := range n {
				batch.Add(benchKey(i))
			}
			if err := batch.Commit(); err != nil {
				b.Fatal(err)
			}
			tags := make([]string, 100)
			for i := range tags {
				tags[i] = fmt.Sprintf("t%03d", i)
			}
			r := rand.New(rand.NewPCG(3, 4))
			const per = 100_000
			runtime.GC()
			b.ReportAllocs()
			var total int
			start, cpu := time.Now(), cpuTime()
			for b.Loop() {
				batch := ix.NewBatch()
				for _, tag := range tags {
					ids := make([]uint32, per/len(tags))
					for i := range ids {
						ids[i] = uint32(r.IntN(n))
					}
					batch.AddTagIDs(tag, ids)
				}
				if err := batch.Commit(); err != nil {
					b.Fatal(err)
				}
				total += per
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "assignments/s")
			b.ReportMetric(float64(total)/(cpuTime()-cpu).Seconds(), "assignments/cpu-s")
		})
	}
}

// BenchmarkViewWhileWriting measures View() plus a 2-tag count while a
// writer commits batches of 10,000 tag assignments by key to 20 tags.
func BenchmarkViewWhileWriting(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			writeLoop(p, 7, stop, nil)
		}()
		for b.Loop() {
			v := p.ix.View()
			_ = v.Tag("t0000").And(v.Tag("t0001")).Len()
		}
		close(stop)
		<-done
	})
}

// BenchmarkWriteWhileReading measures batch ingest (10,000 tag assignments
// by key per batch) while a reader continuously takes views and evaluates a
// 2-tag intersection and an age range on them; it reports the writer's
// assignments/s and the reader's mean view+evaluation time.
func BenchmarkWriteWhileReading(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		stop := make(chan struct{})
		type readerStats struct {
			n   int
			dur time.Duration
		}
		done := make(chan readerStats)
		go func() {
			var rs readerStats
			for {
				select {
				case <-stop:
					done <- rs
					return
				default:
				}
				t0 := time.Now()
				v := p.ix.View()
				_ = v.Tag("t0000").And(v.Tag("t0001")).Len()
				if _, err := v.Between("age", Int(26), Int(30)); err != nil {
					panic(err)
				}
				rs.dur += time.Since(t0)
				rs.n++
			}
		}()
		var total int
		start := time.Now()
		tick := make(chan struct{}, 1)
		for b.Loop() {
			tick <- struct{}{}
			total += writeLoop(p, 8, nil, tick)
		}
		elapsed := time.Since(start)
		close(stop)
		rs := <-done
		b.ReportMetric(float64(total)/elapsed.Seconds(), "assignments/s")
		if rs.n > 0 {
			b.ReportMetric(float64(rs.dur.Nanoseconds())/float64(rs.n), "reader-ns/eval")
		}
	})
}

var writeTags = func() []string {
	tags := make([]string, 20)
	for i := range tags {
		tags[i] = fmt.Sprintf("w%02d", i)
	}
	return tags
}()

// writeLoop commits batches of 10,000 tag assignments by key until stop is
// closed, or once per value received on once; it returns the number of
// assignments written.
func writeLoop(p *population, seed uint64, stop <-chan struct{}, once <-chan struct{}) int {
	r := rand.New(rand.NewPCG(seed, seed))
	written := 0
	for {
		if once != nil {
			select {
			case <-once:
			default:
				return written
			}
		} else {
			select {
			case <-stop:
				return written
			default:
			}
		}
		batch := p.ix.NewBatch()
		for range 10_000 {
			batch.AddTag(benchKey(r.IntN(p.n)), writeTags[r.IntN(len(writeTags))])
		}
		if err := batch.Commit(); err != nil {
			panic(err)
		}
		written += 10_000
	}
}

func BenchmarkSnapshotSave(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		v := p.ix.View()
		var n int64
		for b.Loop() {
			var err error
			n, err = v.WriteTo(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/float64(p.n), "file-bytes/customer")
	})
}

func BenchmarkSnapshotLoad(b *testing.B) {
	forSizes(b, func(b *testing.B, p *population) {
		b.SetBytes(int64(len(p.snapshot)))
		for b.Loop() {
			if _, err := Read(bytes.NewReader(p.snapshot)); err != nil {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B, p *population) {
		if p.snapshot == nil {
			var buf bytes.Buffer
			if _, err := p.ix.View().WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			p.snapshot = buf.Bytes()
		}
	})
}

// BenchmarkKeyTable times lookups by key in a table of 4M keys (past every
// cache): one at a time, in groups (findMany, as batches resolve keys),
// and the insertion of new keys. SEGKIT_BENCH_KEYS sets another size.
func BenchmarkKeyTable(b *testing.B) {
	n := 4 << 20
	if s := os.Getenv("SEGKIT_BENCH_KEYS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("c%09d", i)
	}
	t := newKeyTable()
	for _, k := range keys {
		t.assign(k)
	}
	r := rand.New(rand.NewPCG(1, 2))
	probe := make([]string, 1<<16)
	for i := range probe {
		probe[i] = keys[r.IntN(n)]
	}
	b.Run("find", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if _, ok := t.find(probe[i&(len(probe)-1)]); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("findMany", func(b *testing.B) {
		b.ReportAllocs()
		ids, found := make([]uint32, 1024), make([]bool, 1024)
		for i := 0; i < b.N; i += 1024 {
			lo := i & (len(probe) - 1)
			t.findMany(probe[lo:lo+1024], ids, found)
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if _, ok := t.find(probe[i&(len(probe)-1)] + "x"); ok {
				b.Fatal("found")
			}
		}
	})
}
