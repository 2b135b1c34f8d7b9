package scale

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/synth"
)

// rssBytes returns the process's resident memory now (VmRSS).
func rssBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status: resident memory is measured on Linux")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("VmRSS not found")
	return 0
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const gib = 1 << 30

// TestScale builds the reference population at 100M customers (or
// SEGKIT_SCALE_N), then reports build time, resident memory, snapshot size
// and load time, and the best of five runs of each headline rule, next to
// the targets of issue 21 item 6.
func TestScale(t *testing.T) {
	if os.Getenv("SEGKIT_BENCH_100M") != "1" {
		t.Skip("set SEGKIT_BENCH_100M=1 for the 100M-customer run (about 20 GiB and 11 minutes; see doc.go)")
	}
	n := 100_000_000
	if s := os.Getenv("SEGKIT_SCALE_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("SEGKIT_SCALE_N: %v", err)
		}
	}
	dir := os.Getenv("SEGKIT_SCALE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	cfg := synth.Reference(n)
	cfg.Workers = runtime.GOMAXPROCS(0)
	g, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	start, cpu0 := time.Now(), cpuNow()
	last := start
	err = g.Load(context.Background(), ix, synth.LoadConfig{Progress: func(k int) {
		if time.Since(last) > time.Minute {
			last = time.Now()
			t.Logf("%d customers after %v (RSS %.1f GiB)", k, time.Since(start).Round(time.Second), float64(rssBytes(t))/gib)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	build, buildCPU := time.Since(start), cpuNow()-cpu0
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	peak := ru.Maxrss << 10 // KiB on Linux
	runtime.GC()
	debug.FreeOSMemory()
	rss := rssBytes(t)
	st := ix.View().Stats()
	t.Logf("build: %d customers in %v wall, %v CPU (target ≤ 15 min); resident %.2f GiB after build (target ≤ 20 GiB), %.2f GiB at most during it (%.2f× Stats); Stats.MemoryBytes %.2f GiB (%.1f B a customer)",
		n, build.Round(time.Second), buildCPU.Round(time.Second), float64(rss)/gib, float64(peak)/gib, float64(peak)/float64(st.MemoryBytes),
		float64(st.MemoryBytes)/gib, float64(st.MemoryBytes)/float64(n))

	path := filepath.Join(dir, fmt.Sprintf("scale-%d.segkit", n))
	start = time.Now()
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	save := time.Since(start)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ix = nil
	runtime.GC()
	debug.FreeOSMemory()
	start, cpu0 = time.Now(), cpuNow()
	ix, err = bitmapindex.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	load, loadCPU := time.Since(start), cpuNow()-cpu0
	runtime.GC()
	debug.FreeOSMemory()
	t.Logf("snapshot: %.2f GiB, saved in %v, loaded in %v wall, %v CPU; resident %.2f GiB after load",
		float64(fi.Size())/gib, save.Round(time.Millisecond), load.Round(time.Millisecond), loadCPU.Round(time.Millisecond), float64(rssBytes(t))/gib)
	if os.Getenv("SEGKIT_SCALE_DIR") == "" {
		_ = os.Remove(path)
	}

	timeRules(t, ix.View(), cfg.End)
}

// TestScaleRules loads the snapshot SEGKIT_SCALE_SNAPSHOT (one TestScale
// kept with SEGKIT_SCALE_DIR) and times the headline rules on it, so a rule
// can be profiled at 100M without building the index again:
//
//	SEGKIT_SCALE_SNAPSHOT=/tmp/s100/scale-100000000.segkit go test -run TestScaleRules -v -cpuprofile cpu.out ./internal/scale/
func TestScaleRules(t *testing.T) {
	path := os.Getenv("SEGKIT_SCALE_SNAPSHOT")
	if path == "" {
		t.Skip("set SEGKIT_SCALE_SNAPSHOT to a snapshot TestScale kept")
	}
	start := time.Now()
	ix, err := bitmapindex.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	t.Logf("loaded %d customers in %v", ix.View().Len(), time.Since(start).Round(time.Millisecond))
	timeRules(t, ix.View(), synth.Reference(ix.View().Len()).End)
}

// timeRules logs the best of five runs of each headline rule of item 6.
func timeRules(t *testing.T, v *bitmapindex.View, now time.Time) {
	rules := []struct {
		name, rule, target string
		count              bool
	}{
		{"5-tag rule", `has("app_user") && has("wechat_follower") && (has("coupon_user") || has("newsletter")) && !has("mobile_only")`, "≤ 15 ms", false},
		{`didWithin("login","30d")`, `didWithin("login", "30d")`, "≤ 10 ms", false},
		{"2-tag Count", `has("app_user") && has("wechat_follower")`, "≤ 1 ms", true},
		{`!didWithin("login","90d")`, `!didWithin("login", "90d")`, "", false},
		{`countWithin("purchase","90d") >= 3`, `countWithin("purchase", "90d") >= 3`, "", false},
	}
	ctx := context.Background()
	for _, r := range rules {
		rule, err := segment.Compile(r.rule, segment.WithSchema(v.Schema()))
		if err != nil {
			t.Fatal(err)
		}
		best, members := time.Duration(1<<62), 0
		for range 5 {
			s := time.Now()
			if r.count {
				members, err = rule.Count(ctx, v, now)
			} else {
				var set bitmapindex.Set
				set, err = rule.Eval(ctx, v, now)
				members = set.Len()
			}
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(s))
		}
		t.Logf("%-40s %12d members  %10v (best of 5)  target %s", r.name, members, best.Round(time.Microsecond), r.target)
	}
}

// TestScaleCores loads the snapshot SEGKIT_SCALE_SNAPSHOT and times the
// tag rules of item 6 with GOMAXPROCS 1 and 2 in turn (issue 21 item 4:
// plans of tags are evaluated stripe by stripe on every core), 15 runs of
// Eval and Count each, after a collection:
//
//	GOMEMLIMIT=20GiB SEGKIT_SCALE_SNAPSHOT=/tmp/s100/scale-100000000.segkit go test -run TestScaleCores -v ./internal/scale/
func TestScaleCores(t *testing.T) {
	path := os.Getenv("SEGKIT_SCALE_SNAPSHOT")
	if path == "" {
		t.Skip("set SEGKIT_SCALE_SNAPSHOT to a snapshot TestScale kept")
	}
	ix, err := bitmapindex.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v := ix.View()
	now := synth.Reference(v.Len()).End
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	ctx := context.Background()
	for _, r := range []struct{ name, rule string }{
		{"5-tag rule", `has("app_user") && has("wechat_follower") && (has("coupon_user") || has("newsletter")) && !has("mobile_only")`},
		{"2-tag rule", `has("app_user") && has("wechat_follower")`},
	} {
		rule := segment.MustCompile(r.rule, segment.WithSchema(v.Schema()))
		for _, procs := range []int{1, 2, 1, 2} {
			runtime.GOMAXPROCS(procs)
			runtime.GC()
			var evals, counts []time.Duration
			for range 15 {
				s := time.Now()
				if _, err := rule.Eval(ctx, v, now); err != nil {
					t.Fatal(err)
				}
				evals = append(evals, time.Since(s))
				s = time.Now()
				if _, err := rule.Count(ctx, v, now); err != nil {
					t.Fatal(err)
				}
				counts = append(counts, time.Since(s))
			}
			slices.Sort(evals)
			slices.Sort(counts)
			t.Logf("%-10s GOMAXPROCS %d: Eval best %v, median %v; Count best %v, median %v", r.name, procs,
				evals[0].Round(time.Microsecond), evals[7].Round(time.Microsecond), counts[0].Round(time.Microsecond), counts[7].Round(time.Microsecond))
		}
	}
}
