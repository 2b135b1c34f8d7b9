package synth

import (
	"cmp"
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newIndex(t testing.TB) *bitmapindex.Index {
	t.Helper()
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	return ix
}

// TestLoadMatchesRecords loads a population and checks the index's answers
// against the same population counted naively from the records.
func TestLoadMatchesRecords(t *testing.T) {
	cfg := Reference(2000)
	cfg.Workers = 2
	g := mustNew(t, cfg)
	ix := newIndex(t)
	var progress []int
	lc := LoadConfig{BatchCustomers: 700, Progress: func(n int) { progress = append(progress, n) }}
	require.NoError(t, g.Load(context.Background(), ix, lc))
	assert.Equal(t, []int{700, 1400, 2000}, progress)
	v := ix.View()
	require.Equal(t, 2000, v.Len())

	var recs []*Record
	for r := range g.Records() {
		recs = append(recs, r.Clone())
	}
	today := segkit.DayOf(cfg.End.Add(-time.Second), nil)
	tagCount := map[string]int{}
	var age26to30, beijingOrShanghai, vips, noInterests int
	did30, buy3in90, firstTrial14 := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range recs {
		for _, tag := range r.Tags {
			tagCount[tag]++
		}
		if r.Age >= 26 && r.Age <= 30 {
			age26to30++
		}
		if r.City == "Beijing" || r.City == "Shanghai" {
			beijingOrShanghai++
		}
		if r.VIP {
			vips++
		}
		if len(r.Interests) == 0 {
			noInterests++
		}
		purchases := 0
		firstTrial := segkit.Day(-1)
		for _, e := range r.Events {
			d := segkit.DayOf(e.At, nil)
			age := today.Sub(d)
			switch e.Name {
			case EventLogin:
				if age < 30 {
					did30[r.Key] = true
				}
			case EventPurchase:
				if age < 90 {
					purchases++
				}
			case EventTrialClass:
				if firstTrial < 0 {
					firstTrial = d
				}
			}
		}
		if purchases >= 3 {
			buy3in90[r.Key] = true
		}
		// The index only knows the window's events: the first trial it has.
		if firstTrial >= 0 && today.Sub(firstTrial) < 14 {
			firstTrial14[r.Key] = true
		}
	}

	for _, tc := range v.Tags() {
		assert.Equal(t, tagCount[tc.Name], tc.Count, "tag %s", tc.Name)
	}
	assert.Equal(t, len(tagCount), len(v.Tags()))

	s, err := v.Between("age", bitmapindex.Int(26), bitmapindex.Int(30))
	require.NoError(t, err)
	assert.Equal(t, age26to30, s.Len())
	bj, err := v.WithValue("city", "Beijing")
	require.NoError(t, err)
	sh, err := v.WithValue("city", "Shanghai")
	require.NoError(t, err)
	assert.Equal(t, beijingOrShanghai, bj.Or(sh).Len())
	s, err = v.Compare("vip", bitmapindex.Eq, bitmapindex.Bool(true))
	require.NoError(t, err)
	assert.Equal(t, vips, s.Len())
	s, err = v.Present("interests")
	require.NoError(t, err)
	assert.Equal(t, 2000-noInterests, s.Len())

	assert.Equal(t, len(did30), v.Did(EventLogin, today-29, today).Len())
	assert.Equal(t, len(buy3in90), v.Count(EventPurchase, today-89, today, bitmapindex.Ge, 3).Len())
	assert.Equal(t, len(firstTrial14), v.FirstIn(EventTrialClass, today-13, today).Len())
	assert.ElementsMatch(t, EventNames(), v.Events())

	// One profile in full.
	r := recs[17]
	p, ok := v.Profile(r.Key)
	require.True(t, ok)
	assert.Len(t, p.Tags, len(r.Tags))
	if r.Age != 0 {
		got, _ := p.Attrs["age"].AsInt()
		assert.Equal(t, int64(r.Age), got)
	}
	city, _ := p.Attrs["city"].AsString()
	assert.Equal(t, r.City, city)
	spend, _ := p.Attrs["spend"].AsDecimal()
	assert.InDelta(t, r.Spend, spend, 1e-9)
	at, _ := p.Attrs["last_login_at"].AsTime()
	assert.True(t, r.LastLoginAt.Equal(at))
	logins := 0
	for _, e := range r.Events {
		if e.Name == EventLogin {
			logins++
		}
	}
	assert.Len(t, p.Events[EventLogin], logins)
}

func TestLoadSelectedEventsAndCancel(t *testing.T) {
	cfg := Reference(1000)
	g := mustNew(t, cfg)

	t.Run("only purchases", func(t *testing.T) {
		ix := newIndex(t)
		require.NoError(t, g.Load(context.Background(), ix, LoadConfig{Events: []string{EventPurchase}}))
		assert.Equal(t, []string{EventPurchase}, ix.View().Events())
	})
	t.Run("no events", func(t *testing.T) {
		ix := newIndex(t)
		require.NoError(t, g.Load(context.Background(), ix, LoadConfig{Events: []string{}}))
		assert.Empty(t, ix.View().Events())
		assert.Equal(t, 1000, ix.View().Len())
	})
	t.Run("cancelled between batches", func(t *testing.T) {
		ix := newIndex(t)
		ctx, cancel := context.WithCancel(context.Background())
		err := g.Load(ctx, ix, LoadConfig{BatchCustomers: 400, Progress: func(n int) {
			if n == 800 {
				cancel()
			}
		}})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 800, ix.View().Len(), "whole batches only")
	})
	t.Run("already cancelled", func(t *testing.T) {
		ix := newIndex(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		assert.ErrorIs(t, g.Load(ctx, ix, DefaultLoadConfig()), context.Canceled)
		assert.Zero(t, ix.View().Len())
	})
	t.Run("schema conflict", func(t *testing.T) {
		ix := newIndex(t)
		require.NoError(t, ix.Declare(bitmapindex.Attribute{Name: "age", Kind: bitmapindex.KindCategory}))
		err := g.Load(context.Background(), ix, DefaultLoadConfig())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "synth: load:")
		assert.Contains(t, err.Error(), "age")
	})
	t.Run("package Load and invalid config", func(t *testing.T) {
		ix := newIndex(t)
		require.NoError(t, Load(context.Background(), ix, Reference(50)))
		assert.Equal(t, 50, ix.View().Len())
		bad := Reference(50)
		bad.End = time.Time{}
		assert.ErrorIs(t, Load(context.Background(), ix, bad), ErrConfig)
	})
}

// TestLoad10M builds the 10M-customer reference index (DESIGN.md §6 target:
// ≤ 60 s end to end). Set SEGKIT_BENCH_10M=1 to run it.
func TestLoad10M(t *testing.T) {
	if os.Getenv("SEGKIT_BENCH_10M") != "1" {
		t.Skip("set SEGKIT_BENCH_10M=1 to build the 10M-customer index")
	}
	n := 10_000_000
	if s := os.Getenv("SEGKIT_LOAD_N"); s != "" { // a smaller population, to compare
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	cfg := Reference(n)
	cfg.Workers = runtime.GOMAXPROCS(0)
	g := mustNew(t, cfg)
	ix := newIndex(t)
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	last := start
	chunk := 65_536 // whole containers of IDs: no container is merged into twice
	if s := os.Getenv("SEGKIT_LOAD_CHUNK"); s != "" {
		var err error
		chunk, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	heapPath := os.Getenv("SEGKIT_LOAD_HEAP") // heap profiles: at half the load (.half, for pprof -base) and at the end
	half := false
	err := g.Load(context.Background(), ix, LoadConfig{BatchCustomers: chunk, Progress: func(n int) {
		if heapPath != "" && !half && n >= cfg.Customers/2 {
			half = true
			writeHeapProfile(t, heapPath+".half")
		}
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			t.Logf("%d customers after %v", n, time.Since(start).Round(time.Second))
		}
	}})
	require.NoError(t, err)
	elapsed := time.Since(start)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	v := ix.View()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	st := v.Stats()
	t.Logf("built %d customers in %v wall, %v CPU (target ≤ 60 s); %.2f GiB allocated; heap in use %.2f GiB; Stats.MemoryBytes %.2f GiB (%.1f B a customer), max RSS %.2f GiB (%.2f× Stats)",
		v.Len(), elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(ms.TotalAlloc-ms0.TotalAlloc)/(1<<30),
		float64(ms.HeapInuse)/(1<<30), float64(st.MemoryBytes)/(1<<30), float64(st.MemoryBytes)/float64(v.Len()),
		float64(ru.Maxrss)/(1<<20), float64(ru.Maxrss<<10)/float64(st.MemoryBytes))
	if elapsed > 60*time.Second {
		t.Logf("over the 60 s target")
	}
	if heapPath != "" { // a heap profile with the index live
		writeHeapProfile(t, heapPath)
	}
	if os.Getenv("SEGKIT_LOAD_STATS") == "1" { // where the bytes go
		fs := slices.Clone(st.Fields)
		slices.SortFunc(fs, func(a, b bitmapindex.FieldStats) int {
			return cmp.Compare(b.Bytes+b.DetailBytes, a.Bytes+a.DetailBytes)
		})
		var tags, total int64
		for _, f := range st.Fields {
			total += f.Bytes + f.DetailBytes
			if f.Kind == "tag" {
				tags += f.Bytes
			}
		}
		t.Logf("keys %.1f B/customer; fields %.1f B/customer, of which tags %.1f; other (live, bookkeeping) %.1f", float64(st.KeyBytes)/float64(n),
			float64(total)/float64(n), float64(tags)/float64(n), float64(st.MemoryBytes-st.KeyBytes-total)/float64(n))
		for _, f := range fs[:min(len(fs), 16)] {
			t.Logf("  %-16s %-11s %6.2f B/customer bitmaps (%d bitmaps) + %6.2f details", f.Name, f.Kind, float64(f.Bytes)/float64(n), f.Bitmaps, float64(f.DetailBytes)/float64(n))
		}
	}
	require.Equal(t, n, v.Len())
}

func writeHeapProfile(t *testing.T, path string) {
	t.Helper()
	runtime.GC() // the profile is as of the last collection
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, pprof.WriteHeapProfile(f))
	require.NoError(t, f.Close())
}
