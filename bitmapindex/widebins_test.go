package bitmapindex

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// wideTestGates lowers the gates of wide comparisons so that small
// populations take the binned index from their first comparison, with
// bins of about binSize customers; the returned function restores them.
func wideTestGates(binSize int) func() {
	c, s, after, size, vb, wf := wideMinCustomers, wideMinSlices, wideBinsAfter, wideBinSize, maxValueBitmaps, wideWordFlips
	wideMinCustomers, wideMinSlices, wideBinsAfter, wideBinSize = 1, 1, 0, binSize
	maxValueBitmaps = 4 // few distinct values already make an attribute wide
	return func() {
		wideMinCustomers, wideMinSlices, wideBinsAfter, wideBinSize, maxValueBitmaps, wideWordFlips = c, s, after, size, vb, wf
	}
}

// TestTranspose32x2 checks the bit transposition the bins read values with.
func TestTranspose32x2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		var m, in [32]uint64
		for i := range m {
			m[i] = r.Uint64()
		}
		in = m
		transpose32x2(&m)
		for c := range 64 {
			for i := range 32 {
				want := in[i] >> uint(c) & 1
				got := m[c%32] >> uint(i+32*(c/32)) & 1
				if got != want {
					t.Fatalf("customer %d bit %d: got %d, want %d", c, i, got, want)
				}
			}
		}
	}
}

// wideShape generates the values of one population shape, as int64 (an
// int attribute) and cents (a decimal attribute with scale 2).
type wideShape struct {
	name string
	n    func(r *rand.Rand) int
	gen  func(r *rand.Rand) int64
}

var wideShapes = []wideShape{
	{"uniform", func(r *rand.Rand) int { return 2000 + r.IntN(3000) }, func(r *rand.Rand) int64 {
		return r.Int64N(1<<30) - 1<<28 // negative values too
	}},
	{"lognormal", func(r *rand.Rand) int { return 2000 + r.IntN(3000) }, func(r *rand.Rand) int64 {
		return int64(math.Round(math.Exp(math.Log(30000) + r.NormFloat64())))
	}},
	{"ties", func(r *rand.Rand) int { return 2000 + r.IntN(3000) }, func(r *rand.Rand) int64 {
		switch x := r.IntN(10); {
		case x < 4:
			return 0 // 40% at one value, bins cut around it
		case x < 6:
			return 1234
		case x < 7:
			return -1 - r.Int64N(3) // a few negative ties
		}
		return r.Int64N(100_000)
	}},
	{"narrow", func(r *rand.Rand) int { return 1000 + r.IntN(2000) }, func(r *rand.Rand) int64 {
		return 1<<20 + r.Int64N(1<<14) // s ≤ 16: 16-bit keys
	}},
	{"spread64", func(r *rand.Rand) int { return 1000 + r.IntN(2000) }, func(r *rand.Rand) int64 {
		return int64(r.Uint64()) // 64-bit keys (too large for the decimal)
	}},
	{"tiny", func(r *rand.Rand) int { return 1 + r.IntN(40) }, func(r *rand.Rand) int64 {
		return r.Int64N(1000) - 500
	}},
	{"skewed", func(r *rand.Rand) int { return 2000 + r.IntN(2000) }, func(r *rand.Rand) int64 {
		if r.IntN(100) == 0 {
			return r.Int64N(1 << 40) // a far, sparse tail
		}
		return r.Int64N(50)
	}},
}

// TestWideBins checks the binned index against a naive reference (Holds
// on every stored value) for every operator, between, within sets, ties
// at bin boundaries, missing values and deleted customers, negative values
// and decimals, on populations of several shapes, through writes that make
// new versions (each with its own index).
func TestWideBins(t *testing.T) {
	defer wideTestGates(64)() // each case sets its own bin size
	for _, sh := range wideShapes {
		for seed := range uint64(2) {
			t.Run(fmt.Sprintf("%s/%d", sh.name, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 7))
				wideBinSize = 1 + r.IntN(64)
				// small populations: sets from the levels as often as not
				wideWordFlips = seed % 2 * 2
				testWideBins(t, r, sh)
			})
		}
	}
}

func testWideBins(t *testing.T, r *rand.Rand, sh wideShape) {
	ix, err := New(Config{Location: time.UTC, Schema: []Attribute{
		{Name: "x", Kind: KindInt},
		{Name: "d", Kind: KindDecimal, Scale: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	n := sh.n(r)
	key := func(id int) string { return fmt.Sprintf("k%d", id) }
	b := ix.NewBatch()
	for i := range n {
		b.Add(key(i))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	decimalOK := func(m int64) bool { return m > -1<<50 && m < 1<<50 }
	model := map[string]map[string]Value{"x": {}, "d": {}} // attribute → key → value
	deleted := map[string]bool{}
	write := func(count int) {
		b := ix.NewBatch()
		for range count {
			k := key(r.IntN(n))
			if deleted[k] {
				continue
			}
			switch r.IntN(12) {
			case 0:
				b.Clear(k, "x")
				b.Clear(k, "d")
				delete(model["x"], k)
				delete(model["d"], k)
				continue
			case 1:
				if r.IntN(4) == 0 {
					b.Delete(k)
					deleted[k] = true
					delete(model["x"], k)
					delete(model["d"], k)
					continue
				}
			}
			m := sh.gen(r)
			b.Set(k, "x", Int(m))
			model["x"][k] = Int(m)
			if decimalOK(m) {
				d := Decimal(float64(m) / 100)
				b.Set(k, "d", d)
				model["d"][k] = d
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	write(n + n/2)
	defs := map[string]Attribute{"x": {Name: "x", Kind: KindInt}, "d": {Name: "d", Kind: KindDecimal, Scale: 2}}
	for round := range 3 {
		if round > 0 {
			write(1 + r.IntN(n/4+1))
		}
		v := ix.View()
		// within sets of 2/3 and of 1/50 of the customers: the binned
		// index answers both
		within := func(keep func() bool) Set {
			var ids []uint32
			for id := range uint32(n) {
				if keep() {
					ids = append(ids, id)
				}
			}
			return v.Wrap(roaring.BitmapOf(ids...))
		}
		withins := []Set{
			within(func() bool { return r.IntN(3) != 0 }),
			within(func() bool { return r.IntN(50) == 0 }),
		}
		for _, name := range []string{"x", "d"} {
			def := defs[name]
			stored := model[name]
			if len(stored) == 0 {
				continue
			}
			// constants: stored values and their neighbours, bin bounds,
			// values off the decimal grid, outside every stored value
			var consts []Value
			num := func(m int64) Value {
				if name == "x" {
					return Int(m)
				}
				return Decimal(float64(m) / 100)
			}
			for _, x := range stored {
				m := x.n
				if name == "d" {
					m = int64(math.Round(x.f * 100))
				}
				consts = append(consts, num(m), num(m-1), num(m+1))
				if len(consts) > 30 {
					break
				}
			}
			if name == "d" {
				consts = append(consts, Decimal(float64(r.Int64N(200_000)-1000)/100+0.005), Decimal(-1e15), Decimal(1e15))
			} else {
				consts = append(consts, Int(math.MinInt64), Int(math.MaxInt64), Int(r.Int64()))
			}
			if _, err := v.CompareCount(name, Ge, consts[0]); err != nil { // builds the index
				t.Fatal(err)
			}
			a := v.st.attrs[name]
			bins := a.wcache.bins.Load()
			if a.wide && bins == nil {
				t.Fatalf("%s: no binned index", name)
			}
			if bins != nil {
				checkBins(t, a, bins)
				for _, lo := range bins.lo {
					u := a.ref&^(^uint64(0)>>uint(64-bins.s)) | lo
					consts = append(consts, num(unordered(u)), num(unordered(u)-1))
				}
			}
			rand.Shuffle(len(consts), func(i, j int) { consts[i], consts[j] = consts[j], consts[i] })
			for i, c := range consts[:min(len(consts), 24)] {
				op := Op(1 + r.IntN(6))
				var want []string
				for k, x := range stored {
					if Holds(def, x, op, c) {
						want = append(want, k)
					}
				}
				if op == Ne {
					for id := range n {
						if k := key(id); !deleted[k] && stored[k].k == 0 {
							want = append(want, k)
						}
					}
				}
				got, err := v.Compare(name, op, c)
				if err != nil {
					t.Fatal(err)
				}
				checkKeys(t, v, fmt.Sprintf("round %d: %s %v %v", round, name, op, c), want, got)
				if cnt, err := v.CompareCount(name, op, c); err != nil || cnt != len(want) {
					t.Fatalf("round %d: CompareCount %s %v %v = %d, %v; want %d", round, name, op, c, cnt, err, len(want))
				}
				for _, within := range withins {
					in, err := v.CompareIn(within, name, op, c)
					if err != nil {
						t.Fatal(err)
					}
					if w := roaring.And(orEmpty(got.bm), within.bm); !w.Equals(orEmpty(in.bm)) {
						t.Fatalf("round %d: CompareIn %s %v %v: %d members, want %d", round, name, op, c, in.Len(), w.GetCardinality())
					}
				}
				// a range from this constant to another
				hi := consts[(i+1+r.IntN(len(consts)))%len(consts)]
				want = want[:0]
				for k, x := range stored {
					if Holds(def, x, Ge, c) && Holds(def, x, Le, hi) {
						want = append(want, k)
					}
				}
				bs, err := v.Between(name, c, hi)
				if err != nil {
					t.Fatal(err)
				}
				checkKeys(t, v, fmt.Sprintf("round %d: %s between %v and %v", round, name, c, hi), want, bs)
				if cnt, err := v.BetweenCount(name, c, hi); err != nil || cnt != len(want) {
					t.Fatalf("round %d: BetweenCount %s %v %v = %d, %v; want %d", round, name, c, hi, cnt, err, len(want))
				}
				for _, within := range withins {
					bi, err := v.BetweenIn(within, name, c, hi)
					if err != nil {
						t.Fatal(err)
					}
					if w := roaring.And(orEmpty(bs.bm), within.bm); !w.Equals(orEmpty(bi.bm)) {
						t.Fatalf("round %d: BetweenIn %s %v %v differs", round, name, c, hi)
					}
				}
			}
		}
	}
}

// checkKeys fails unless s holds exactly the customers of want.
func checkKeys(t *testing.T, v *View, what string, want []string, s Set) {
	t.Helper()
	var got []string
	for _, id := range orEmpty(s.bm).ToArray() {
		k, ok := v.Key(id)
		if !ok {
			t.Fatalf("%s: ID %d has no key", what, id)
		}
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %d members, want %d", what, len(got), len(want))
	}
}

// widePopulation builds an index of n customers with spread int values.
func widePopulation(t *testing.T, n int) *Index {
	t.Helper()
	ix, err := New(Config{Schema: []Attribute{{Name: "x", Kind: KindInt}}})
	if err != nil {
		t.Fatal(err)
	}
	b := ix.NewBatch()
	for i := range n {
		b.Add(fmt.Sprintf("k%d", i))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	ids := make([]uint32, n)
	xs := make([]Value, n)
	for i := range n {
		ids[i], xs[i] = uint32(i), Int(int64(i)*7919%1_000_003)
	}
	b = ix.NewBatch()
	b.SetIDs("x", ids, xs)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestWideBinsConcurrent has readers race to build and use one version's
// index (run it with -race): they all get the same answers.
func TestWideBinsConcurrent(t *testing.T) {
	defer wideTestGates(64)()
	ix := widePopulation(t, 100_000)
	for range 2 {
		v := ix.View()
		var wg sync.WaitGroup
		counts := make([]int, 8)
		sets := make([]Set, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := Int(int64(100_000 * (g + 1)))
				var err error
				if sets[g], err = v.Compare("x", Ge, c); err != nil {
					t.Error(err)
				}
				if counts[g], err = v.CompareCount("x", Ge, c); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for g := range 8 {
			// x = i*7919 mod 1,000,003 takes each value at most once
			lo := int64(100_000 * (g + 1))
			n := 0
			for i := range int64(100_000) {
				if i*7919%1_000_003 >= lo {
					n++
				}
			}
			if counts[g] != n || sets[g].Len() != n {
				t.Fatalf("x >= %d: %d / %d, want %d", lo, counts[g], sets[g].Len(), n)
			}
		}
		if v.st.attrs["x"].wcache.bins.Load() == nil {
			t.Fatal("no binned index")
		}
		b := ix.NewBatch() // the next version starts without one
		b.Set("k1", "x", Int(5))
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if ix.View().st.attrs["x"].wcache.bins.Load() != nil {
			t.Fatal("a new version shares the binned index")
		}
	}
}

// TestWideBinsSplitFill checks that a fill split over goroutines places
// every customer as one goroutine does.
func TestWideBinsSplitFill(t *testing.T) {
	defer wideTestGates(64)()
	defer func(p int) { wideParallelBlocks = p }(wideParallelBlocks)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	ix := widePopulation(t, 300_000) // 5 blocks
	a := ix.View().st.attrs["x"]
	w := a.wideColumns(nil)
	wideParallelBlocks = 1000
	one := buildWideBins(a, w, nil)
	wideParallelBlocks = 1
	split := buildWideBins(a, w, nil)
	if !slices.Equal(one.lo, split.lo) || !slices.Equal(one.pre, split.pre) || !slices.Equal(one.off, split.off) ||
		!slices.Equal(one.lows, split.lows) || !slices.Equal(one.keys.(keySlice[uint16]), split.keys.(keySlice[uint16])) {
		t.Fatal("the split fill differs")
	}
	checkBins(t, a, split)
}

// checkBins checks the layout of b against a's values: every present
// customer once, in its block, in the bin of its value, by ID.
func checkBins(t *testing.T, a *attr, b *wideBins) {
	t.Helper()
	nb := len(b.lo)
	seen := 0
	for blk := range b.blocks {
		o := b.off[blk*(nb+1) : (blk+1)*(nb+1)]
		for x := range nb {
			if n := o[x+1] - o[x]; b.pre[x+1]-b.pre[x] < uint64(n) {
				t.Fatalf("bin %d: block %d holds %d of its %d", x, blk, n, b.pre[x+1]-b.pre[x])
			}
			for i := o[x]; i < o[x+1]; i++ {
				id := uint32(blk)<<16 | uint32(b.lows[i])
				if i > o[x] && b.lows[i] <= b.lows[i-1] {
					t.Fatalf("bin %d of block %d: IDs out of order", x, blk)
				}
				m, ok := a.numberOf(id)
				if !ok {
					t.Fatalf("ID %d is not present", id)
				}
				key := ordered(m) & (^uint64(0) >> uint(64-b.s))
				if key < b.lo[x] || x+1 < nb && key >= b.lo[x+1] || key-b.lo[x] != b.keys.key(int(i)) {
					t.Fatalf("ID %d (key %d) in bin %d [%d, ...) stored as %d", id, key, x, b.lo[x], b.keys.key(int(i)))
				}
				seen++
			}
		}
	}
	if uint64(seen) != b.n || b.pre[nb] != b.n || a.present.b.GetCardinality() != b.n {
		t.Fatalf("%d customers placed, %d counted, %d present", seen, b.pre[nb], a.present.b.GetCardinality())
	}
	// level k: the customers of the bins before lev[k]
	words := b.blocks * blockWords
	for k := 1; k < wideLevels; k++ {
		want := roaring.New()
		for blk := range b.blocks {
			o := b.off[blk*(nb+1):]
			for _, low := range b.lows[o[0]:o[b.lev[k]]] {
				want.Add(uint32(blk)<<16 | uint32(low))
			}
		}
		got := roaring.FromDense(slices.Clone(b.levels[(k-1)*words:k*words]), true)
		if !got.Equals(want) || b.lev[k] < b.lev[k-1] {
			t.Fatalf("level %d (bin %d): %d customers, want %d", k, b.lev[k], got.GetCardinality(), want.GetCardinality())
		}
	}
}

// TestWideBinsCancel checks that a cancelled comparison stops the build
// (keeping nothing) and the evaluation.
func TestWideBinsCancel(t *testing.T) {
	defer wideTestGates(64)()
	ix := widePopulation(t, 200_000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := ix.View().WithContext(ctx)
	s, err := v.Compare("x", Ge, Int(500_000))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 {
		t.Fatalf("a cancelled comparison returned %d members", s.Len())
	}
	a := v.st.attrs["x"]
	if a.wcache.bins.Load() != nil {
		t.Fatal("a cancelled build was kept")
	}
	full, _ := ix.View().CompareCount("x", Ge, Int(500_000))
	if full == 0 || a.wcache.bins.Load() == nil {
		t.Fatalf("the uncancelled comparison: %d members, index %v", full, a.wcache.bins.Load() != nil)
	}
	// built, the evaluation itself stops
	s, err = v.Compare("x", Ge, Int(500_000))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 {
		t.Fatalf("a cancelled evaluation returned %d members", s.Len())
	}
}

// TestWideBinsAfter checks the schedule: the columns answer a version's
// first wideBinsAfter wide comparisons, then the bins replace them, and
// Stats reports whichever the version holds.
func TestWideBinsAfter(t *testing.T) {
	defer wideTestGates(64)()
	wideBinsAfter = 2
	ix := widePopulation(t, 20_000)
	v := ix.View()
	a := v.st.attrs["x"]
	before := v.Stats()
	want := 0
	for i := range int64(20_000) {
		if i*7919%1_000_003 >= 500_000 {
			want++
		}
	}
	for i := range 4 {
		n, err := v.CompareCount("x", Ge, Int(500_000))
		if err != nil || n != want {
			t.Fatalf("comparison %d: %d, %v; want %d", i, n, err, want)
		}
		cols, bins := a.wcache.cols.Load(), a.wcache.bins.Load()
		st := v.Stats()
		fs := st.Fields[0]
		switch {
		case i < 2 && (cols == nil || bins != nil || fs.ColumnBytes == 0 || fs.BinBytes != 0):
			t.Fatalf("comparison %d: columns %v, bins %v, stats %+v", i, cols != nil, bins != nil, fs)
		case i >= 2 && (cols != nil || bins == nil || fs.ColumnBytes != 0 || fs.BinBytes == 0):
			t.Fatalf("comparison %d: columns %v, bins %v, stats %+v", i, cols != nil, bins != nil, fs)
		}
		if st.MemoryBytes != before.MemoryBytes+fs.ColumnBytes+fs.BinBytes {
			t.Fatalf("comparison %d: memory %d → %d with %+v", i, before.MemoryBytes, st.MemoryBytes, fs)
		}
	}
	// A reader finding another building the bins answers from the columns.
	b := ix.NewBatch()
	b.Set("k0", "x", Int(1)) // from 0: the count stays

	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	v2 := ix.View()
	a2 := v2.st.attrs["x"]
	if a2 == a || a2.wcache.cols.Load() != nil {
		t.Fatal("no new version")
	}
	if n, _ := v2.CompareCount("x", Ge, Int(500_000)); n != want {
		t.Fatalf("%d, want %d", n, want)
	}
	a2.wcache.mu.Lock()
	for range 4 {
		if n, _ := v2.CompareCount("x", Ge, Int(500_000)); n != want || a2.wcache.cols.Load() == nil || a2.wcache.bins.Load() != nil {
			t.Fatalf("while building: %d, want %d from the columns", n, want)
		}
	}
	a2.wcache.mu.Unlock()
	if n, _ := v2.CompareCount("x", Ge, Int(500_000)); n != want || a2.wcache.bins.Load() == nil {
		t.Fatalf("after: %d, want %d from the bins", n, want)
	}
	// 20,000 customers in one block: 2 + 2 bytes each (a bin holds at most
	// 65,536 keys), the bins' bounds and offsets, 7 levels of one block
	const fixed = 4*20_000 + (wideLevels-1)*blockWords*8
	if b := a.wcache.bins.Load(); b.bytes() < fixed || b.bytes() > fixed+20*(len(b.lo)+1) {
		t.Fatalf("%d bytes for 20,000 customers and %d bins", b.bytes(), len(b.lo))
	}
}

// TestCutBins checks the bins cut from a sample: about per values each,
// a frequent value alone in its bin.
func TestCutBins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sample []uint64
		per    int
		want   []uint64
	}{
		{"even", []uint64{1, 2, 3, 4, 5, 6}, 2, []uint64{0, 3, 5}},
		{"frequent", []uint64{1, 2, 2, 2, 2, 3, 4}, 2, []uint64{0, 2, 3}},
		{"frequent first", []uint64{0, 0, 0, 5, 6}, 2, []uint64{0, 1}},
		{"frequent last", []uint64{1, 7, 7, 7}, 2, []uint64{0, 7, 8}},
		{"frequent max", []uint64{1, 2, 15, 15}, 2, []uint64{0, 15}},
		{"one bin", []uint64{4, 9}, 5, []uint64{0}},
		{"empty", nil, 1, []uint64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cutBins(tc.sample, tc.per, 15, 0); !slices.Equal(got, tc.want) {
				t.Fatalf("cutBins = %v, want %v", got, tc.want)
			}
		})
	}
}
