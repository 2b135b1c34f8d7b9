package bitmapindex

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/require"
)

// TestRanksConcurrent has readers of several views build and use the
// recency ranks at once while a writer records more occurrences (each view
// updates or rebuilds its own): every answer must equal the one computed
// with the ranks off. Run with -race.
func TestRanksConcurrent(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	record := func(n int) {
		b := ix.NewBatch()
		for range n {
			k := fmt.Sprintf("c%03d", rng.IntN(300))
			b.Add(k)
			b.Record(k, "login", t0.AddDate(0, 0, rng.IntN(120)), 0)
		}
		require.NoError(t, b.Commit())
	}
	record(2000)
	var views []*View
	for range 4 {
		views = append(views, ix.View())
		record(50)
	}
	type q struct {
		from segkit.Day
		op   Op
		n    int64
	}
	last := segkit.DayOf(t0, time.UTC).AddDays(400)
	var qs []q
	for i := range 40 {
		qs = append(qs, q{segkit.DayOf(t0, time.UTC).AddDays(i * 3), Op(i%6 + 1), int64(i%5 + 1)})
	}
	// the answers without ranks
	useRanks = false
	want := make([][]int, len(views))
	for vi, v := range views {
		for _, x := range qs {
			want[vi] = append(want[vi], v.Did("login", x.from, last).Len(), v.Count("login", x.from, last, x.op, x.n).Len())
		}
	}
	useRanks = true
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for r := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for vi, v := range views {
				for i, x := range qs {
					j := (i + r) % len(qs)
					x = qs[j]
					got := []int{v.Did("login", x.from, last).Len(), v.Count("login", x.from, last, x.op, x.n).Len()}
					if got[0] != want[vi][2*j] || got[1] != want[vi][2*j+1] || v.DidCount("login", x.from, last) != got[0] || v.CountCount("login", x.from, last, x.op, x.n) != got[1] {
						errs <- fmt.Errorf("view %d query %+v: got %v, want %v", vi, x, got, want[vi][2*j:2*j+2])
						return
					}
				}
			}
		}()
	}
	for range 20 {
		record(10)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestDidRankedEveryWindowStart: did over windows ending at or after the
// last day, for every start from before the first day to after the last,
// equals the answer without ranks: on the suffix sets (block starts, and
// every sufStep days near the last day) and between them, as built, after
// small batches (the ranks updated on first use, new and back-dated days
// included) and after deletes.
func TestDidRankedEveryWindowStart(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	rng := rand.New(rand.NewPCG(7, 8))
	first := segkit.Day(20000)
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(d segkit.Day) time.Time { return t0.AddDate(0, 0, int(d-first)) }
	record := func(n, lo, hi int) {
		b := ix.NewBatch()
		for range n {
			k := fmt.Sprintf("c%03d", rng.IntN(400))
			b.Add(k)
			b.Record(k, "login", at(first+segkit.Day(lo+rng.IntN(hi-lo))), 0)
		}
		require.NoError(t, b.Commit())
	}
	check := func(what string) {
		v := ix.View()
		last := first + 400
		for from := first - 5; from <= first+200; from++ {
			useRanks = false
			want := v.Did("login", from, last).Len()
			useRanks = true
			require.Equal(t, want, v.Did("login", from, last).Len(), "%s: from day %d", what, from-first)
			require.Equal(t, want, v.DidCount("login", from, last), "%s: count from day %d", what, from-first)
		}
	}
	record(3000, 10, 150)
	check("built")
	for i := range 6 {
		record(20, 100, 160+10*i) // later days: the last day moves on
		check(fmt.Sprintf("after batch %d", i))
	}
	record(5, 0, 5) // back-dated: the first day moves back
	check("back-dated")
	b := ix.NewBatch()
	for i := range 30 {
		b.Delete(fmt.Sprintf("c%03d", i*7))
	}
	require.NoError(t, b.Commit())
	check("after deletes")
}
