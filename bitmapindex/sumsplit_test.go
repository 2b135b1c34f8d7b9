package bitmapindex

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/segkit/segkit"
)

// TestSumsSplit checks that sums split over several goroutines (by ranges of
// customers) return exactly what one pass returns, for sums, averages and
// counts, with and without a property filter, and against a naive sum.
func TestSumsSplit(t *testing.T) {
	defer func(o int) { sumParallelOccs = o }(sumParallelOccs)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	ix, err := New(Config{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40_000
	b := ix.NewBatch()
	for i := range n {
		b.Add(fmt.Sprintf("k%05d", i))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	base := segkit.Date(2026, 1, 1)
	sum := map[uint32]int64{}   // naive: sum of values in the window, category math
	count := map[uint32]int64{} // and their number
	cats := []string{"math", "art"}
	const from, to = 10, 40 // window days
	for d := range 60 {
		at := base.AddDays(d).Time(time.UTC).Add(9 * time.Hour)
		b := ix.NewBatch()
		for range 2000 {
			id := uint32(r.IntN(n))
			v := Amount(r.IntN(10_000_000)) // up to 1,000 in units of 0.0001
			c := cats[r.IntN(2)]
			b.RecordEvent(fmt.Sprintf("k%05d", id), "buy", at, EventDetail{Value: v, Props: map[string]string{"category": c}})
			if d >= from && d <= to && c == "math" {
				sum[id] += int64(v)
				count[id]++
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	v := ix.View()
	f := Filter{{Key: "category", Values: []string{"math"}}}
	lo, hi := base.AddDays(from), base.AddDays(to)
	c := Amount(300_0000)
	type answer struct{ sum, avg, cnt, sumAll []uint32 }
	run := func() answer {
		ids := func(s Set) []uint32 { return s.bm.ToArray() }
		return answer{
			ids(v.SumWhere("buy", lo, hi, f, Ge, c)),
			ids(v.AvgWhere("buy", lo, hi, f, Lt, c)),
			ids(v.CountWhere("buy", lo, hi, f, Ge, 2)),
			ids(v.SumWhere("buy", lo, hi, nil, Le, c)), // includes customers without any: sum 0
		}
	}
	sumParallelOccs = 1 << 40
	one := run()
	sumParallelOccs = 1
	split := run()
	for i, pair := range [][2][]uint32{{one.sum, split.sum}, {one.avg, split.avg}, {one.cnt, split.cnt}, {one.sumAll, split.sumAll}} {
		if fmt.Sprint(pair[0]) != fmt.Sprint(pair[1]) {
			t.Fatalf("query %d: split sums differ from one pass (%d against %d members)", i, len(pair[1]), len(pair[0]))
		}
	}
	var want []uint32
	for id := range uint32(n) {
		if sum[id] >= int64(c) {
			want = append(want, id)
		}
	}
	if fmt.Sprint(want) != fmt.Sprint(split.sum) {
		t.Fatalf("sum ≥ 300: %d members, want %d", len(split.sum), len(want))
	}
	var wantCnt []uint32
	for id := range uint32(n) {
		if count[id] >= 2 {
			wantCnt = append(wantCnt, id)
		}
	}
	if fmt.Sprint(wantCnt) != fmt.Sprint(split.cnt) {
		t.Fatalf("count ≥ 2: %d members, want %d", len(split.cnt), len(wantCnt))
	}
}

// TestDidThenSplit checks that DidThen split over several goroutines (by
// ranges of customers) returns what one sweep returns, and what a naive
// pairing of each customer's days returns.
func TestDidThenSplit(t *testing.T) {
	defer func(o int) { thenParallelOccs = o }(thenParallelOccs)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	ix, err := New(Config{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200_000 // seven chunks of customers
	b := ix.NewBatch()
	for i := range n {
		b.Add(fmt.Sprintf("k%06d", i))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	base := segkit.Date(2026, 1, 1)
	days := map[string]map[uint32][]int{"trial": {}, "buy": {}}
	for d := range 40 {
		at := base.AddDays(d).Time(time.UTC).Add(9 * time.Hour)
		b := ix.NewBatch()
		for _, ev := range []string{"trial", "buy"} {
			ids := make([]uint32, 0, 3000)
			for range 3000 {
				ids = append(ids, uint32(r.IntN(n)))
			}
			if d == 3 && ev == "trial" || d == 5 && ev == "buy" {
				for c := uint32(accChunk); c < n; c += accChunk { // both sides of every chunk boundary
					ids = append(ids, c-1, c)
				}
			}
			for _, id := range ids {
				b.RecordIDs(ev, at, []uint32{id}, nil)
				days[ev][id] = append(days[ev][id], d)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	v := ix.View()
	const within = 5
	to := base.AddDays(35)
	thenParallelOccs = 1 << 40
	one := v.DidThen("trial", "buy", nil, nil, within, to).bm.ToArray()
	thenParallelOccs = 1
	split := v.DidThen("trial", "buy", nil, nil, within, to).bm.ToArray()
	if fmt.Sprint(one) != fmt.Sprint(split) {
		t.Fatalf("split DidThen differs from one sweep (%d against %d members)", len(split), len(one))
	}
	var want []uint32
	for id := range uint32(n) {
		ok := false
		for _, da := range days["trial"][id] {
			for _, db := range days["buy"][id] {
				if db >= da && db-da < within && db <= 35 {
					ok = true
				}
			}
		}
		if ok {
			want = append(want, id)
		}
	}
	if fmt.Sprint(want) != fmt.Sprint(split) {
		t.Fatalf("DidThen: %d members, naive %d", len(split), len(want))
	}
}
