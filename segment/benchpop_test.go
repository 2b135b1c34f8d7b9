package segment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// The benchmark population (DESIGN §6, scaled): 1,000 tags with Zipf
// popularity (tag t1 on about half of all customers, about ten tags per
// customer), age (5% missing), city (300 values, Zipf), signup time, spend,
// and a year of login and purchase events (at most one of each per
// customer per day, so the hand-written threshold counting below is exact).
// The same data is kept as plain roaring bitmaps (the hand-written floor)
// and as plain Go values (the expr-per-customer baseline).

const (
	benchTags        = 1000
	benchCities      = 300
	benchLoginRate   = 0.01   // share of customers logging in on a day
	benchPurchRate   = 0.0055 // share of customers buying on a day (55k a day at 10M)
	benchHistoryDays = 365
)

var benchSchema = []bitmapindex.Attribute{
	{Name: "age", Kind: bitmapindex.KindInt},
	{Name: "city", Kind: bitmapindex.KindCategory},
	{Name: "signup", Kind: bitmapindex.KindTime},
	{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
}

// benchPop is the population three ways. The plain-value side is kept in
// flat, pointer-free arrays so that the garbage collector does not scan
// hundreds of millions of pointers while the other sides are measured.
type benchPop struct {
	n     int
	v     *bitmapindex.View
	now   time.Time
	today segkit.Day
	// hand-written side
	tags      []*roaring.Bitmap // by tag number
	ageVals   map[int64]*roaring.Bitmap
	cityVals  []*roaring.Bitmap
	purchDays map[segkit.Day]*roaring.Bitmap
	loginDays map[segkit.Day]*roaring.Bitmap
	// plain values for expr: customer i's tags are tagData[tagOff[i]:tagOff[i+1]]
	// (ascending tag numbers), its events the days in *Data[*Off[i]:*Off[i+1]]
	// (ascending); age -1 when missing.
	age                  []int64
	city                 []uint16
	tagOff               []uint32
	tagData              []uint16
	loginOff, purchOff   []uint32
	loginData, purchData []int32
}

// flatten turns per-key bitmaps (iterated in ascending key order) into
// per-customer lists: off has n+1 entries, data the keys of customer i in
// data[off[i]:off[i+1]].
func flatten[K any](n int, keys []K, bm func(K) *roaring.Bitmap) ([]uint32, []K) {
	off := make([]uint32, n+1)
	for _, k := range keys {
		for id := range roaring.Values(bm(k)) {
			off[id+1]++
		}
	}
	for i := 1; i <= n; i++ {
		off[i] += off[i-1]
	}
	data := make([]K, off[n])
	next := slices.Clone(off[:n])
	for _, k := range keys {
		for id := range roaring.Values(bm(k)) {
			data[next[id]] = k
			next[id]++
		}
	}
	return off, data
}

func benchSizes() []int {
	sizes := []int{100_000, 1_000_000}
	if os.Getenv("SEGKIT_BENCH_10M") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

func sizeName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func cityName(c int) string { return fmt.Sprintf("c%03d", c) }

var (
	benchMu   sync.Mutex
	benchPops = map[int]*benchPop{}
)

func getBenchPop(tb testing.TB, n int) *benchPop {
	benchMu.Lock()
	defer benchMu.Unlock()
	if p := benchPops[n]; p != nil {
		return p
	}
	start := time.Now()
	p := buildBenchPop(tb, n, 42)
	tb.Logf("built %s-customer benchmark population in %v", sizeName(n), time.Since(start).Round(time.Millisecond))
	benchPops[n] = p
	return p
}

func buildBenchPop(tb testing.TB, n int, seed uint64) *benchPop {
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Strict: true, Schema: benchSchema})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	today := segkit.DayOf(now, time.UTC)
	p := &benchPop{
		n: n, now: now, today: today,
		tags:      make([]*roaring.Bitmap, benchTags+1),
		ageVals:   map[int64]*roaring.Bitmap{},
		cityVals:  make([]*roaring.Bitmap, benchCities),
		purchDays: map[segkit.Day]*roaring.Bitmap{},
		loginDays: map[segkit.Day]*roaring.Bitmap{},
		age:       make([]int64, n),
		city:      make([]uint16, n),
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%08d", i)
	}
	batch := ix.NewBatch()
	flush := func(force bool) {
		if batch.Len() >= 1<<16 || (force && batch.Len() > 0) {
			if err := batch.Commit(); err != nil {
				tb.Fatal(err)
			}
			batch = ix.NewBatch()
		}
	}
	// customers and attributes
	zipf := rand.NewZipf(rng, 1.1, 1, benchCities-1)
	for c := range p.cityVals {
		p.cityVals[c] = roaring.New()
	}
	for i := 0; i < n; i++ {
		k := keys[i]
		batch.Add(k)
		p.age[i] = -1
		if rng.Float64() >= 0.05 {
			age := min(18+int64(rng.ExpFloat64()*12), 90)
			p.age[i] = age
			batch.Set(k, "age", bitmapindex.Int(age))
			bm := p.ageVals[age]
			if bm == nil {
				bm = roaring.New()
				p.ageVals[age] = bm
			}
			bm.Add(uint32(i))
		}
		p.city[i] = uint16(zipf.Uint64())
		batch.Set(k, "city", bitmapindex.Category(cityName(int(p.city[i]))))
		p.cityVals[p.city[i]].Add(uint32(i))
		batch.Set(k, "signup", bitmapindex.Time(now.Add(-time.Duration(rng.IntN(3*365*86400))*time.Second)))
		batch.Set(k, "spend", bitmapindex.Decimal(float64(rng.IntN(100000))/100))
		flush(false)
	}
	flush(true)
	// tags: tag k is on each customer with probability 0.5/k^0.75, drawn by
	// geometric skips so the work is proportional to the memberships
	for t := 1; t <= benchTags; t++ {
		prob := 0.5 / math.Pow(float64(t), 0.75)
		name := fmt.Sprintf("t%d", t)
		bm := roaring.New()
		lq := math.Log1p(-prob)
		for i := -1; ; {
			i += 1 + int(math.Floor(math.Log(1-rng.Float64())/lq))
			if i >= n {
				break
			}
			bm.Add(uint32(i))
			batch.AddTag(keys[i], name)
			flush(false)
		}
		p.tags[t] = bm
	}
	flush(true)
	// a year of events
	for d := benchHistoryDays - 1; d >= 0; d-- {
		day := today.AddDays(-d)
		at := day.Time(time.UTC).Add(12 * time.Hour)
		for _, ev := range []struct {
			name string
			rate float64
		}{{"login", benchLoginRate}, {"purchase", benchPurchRate}} {
			m := int(float64(n) * ev.rate)
			bm := roaring.New()
			for j := 0; j < m; j++ {
				bm.Add(uint32(rng.IntN(n)))
			}
			for id := range roaring.Values(bm) {
				batch.Record(keys[id], ev.name, at, 0)
				flush(false)
			}
			if ev.name == "purchase" {
				p.purchDays[day] = bm
			} else {
				p.loginDays[day] = bm
			}
		}
	}
	flush(true)
	tagNos := make([]uint16, benchTags)
	for t := range tagNos {
		tagNos[t] = uint16(t + 1)
	}
	p.tagOff, p.tagData = flatten(n, tagNos, func(t uint16) *roaring.Bitmap { return p.tags[t] })
	var days []int32
	for d := benchHistoryDays - 1; d >= 0; d-- {
		days = append(days, int32(today.AddDays(-d)))
	}
	p.loginOff, p.loginData = flatten(n, days, func(d int32) *roaring.Bitmap { return p.loginDays[segkit.Day(d)] })
	p.purchOff, p.purchData = flatten(n, days, func(d int32) *roaring.Bitmap { return p.purchDays[segkit.Day(d)] })
	p.v = ix.View()
	if id, ok := p.v.ID(keys[0]); !ok || id != 0 {
		tb.Fatalf("benchmark population: want dense IDs from 0 in insertion order, got %d for the first key", id)
	}
	if id, ok := p.v.ID(keys[n-1]); !ok || id != uint32(n-1) {
		tb.Fatalf("benchmark population: want dense IDs in insertion order")
	}
	runtime.GC() // start measuring with the build's garbage collected
	return p
}
