package bitmapindex

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestWideColumns checks the interleaved-column comparisons against a naive
// reference and against the bit-sliced comparison, for every operator, on
// values spread over many bits (negative ones, a constant reference) and
// constants inside, between and outside the stored values, with and without
// a conjunction's within set, and through writes that make new versions.
func TestWideColumns(t *testing.T) {
	defer func(c uint64, s int, b int64) {
		wideMinCustomers, wideMinSlices, wideBinsAfter = c, s, b
	}(wideMinCustomers, wideMinSlices, wideBinsAfter)
	wideBinsAfter = 1 << 62 // the columns answer (widebins_test.go tests the bins)
	defer func(g int) { wideParallelGroups = g }(wideParallelGroups)
	wideMinCustomers, wideMinSlices = 1, 1
	for seed := range uint64(6) {
		wideParallelGroups = 1 + int(seed%2)*1000 // split scans, and single ones
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			ix, err := New(Config{Location: time.UTC, Schema: []Attribute{
				{Name: "x", Kind: KindInt},
				{Name: "d", Kind: KindDecimal, Scale: 2},
			}})
			if err != nil {
				t.Fatal(err)
			}
			n := 3000 + r.IntN(3000)
			span := int64(1) << (8 + r.IntN(40))
			vals := map[uint32]int64{}
			b := ix.NewBatch()
			for i := range n {
				b.Add(fmt.Sprintf("k%d", i))
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			write := func(count int) {
				b := ix.NewBatch()
				for range count {
					id := uint32(r.IntN(n))
					if r.IntN(10) == 0 {
						b.Clear(fmt.Sprintf("k%d", id), "x")
						delete(vals, id)
						continue
					}
					x := r.Int64N(span) - span/3
					b.SetIDs("x", []uint32{id}, []Value{Int(x)})
					vals[id] = x
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			write(n)
			for round := range 4 {
				if round > 0 {
					write(50 + r.IntN(200))
				}
				v := ix.View()
				a := v.st.attrs["x"]
				if a.wideColumns(nil) == nil {
					t.Fatal("no interleaved columns")
				}
				var within Set
				{
					var ids []uint32
					for id := range uint32(n) {
						if r.IntN(3) != 0 {
							ids = append(ids, id)
						}
					}
					within = v.Wrap(roaring.BitmapOf(ids...))
				}
				for range 40 {
					var c int64
					switch r.IntN(4) {
					case 0: // a stored value
						for _, x := range vals {
							c = x
							break
						}
					case 1:
						c = r.Int64N(span) - span/3
					case 2:
						c = -span - r.Int64N(10)
					default:
						c = span + r.Int64N(10)
					}
					op := Op(1 + r.IntN(6))
					want := map[uint32]bool{}
					for id, x := range vals {
						if op == Ne && x != c || op != Ne && cmpHolds(cmp.Compare(x, c), op) {
							want[id] = true
						}
					}
					if op == Ne {
						for id := range uint32(n) {
							if _, ok := vals[id]; !ok {
								want[id] = true
							}
						}
					}
					s, err := v.Compare("x", op, Int(c))
					if err != nil {
						t.Fatal(err)
					}
					got := s.bm
					if int(got.GetCardinality()) != len(want) {
						t.Fatalf("round %d: x %v %d: %d members, want %d", round, op, c, got.GetCardinality(), len(want))
					}
					for id := range want {
						if !got.Contains(id) {
							t.Fatalf("round %d: x %v %d: %d missing", round, op, c, id)
						}
					}
					cnt, err := v.CompareCount("x", op, Int(c))
					if err != nil || cnt != len(want) {
						t.Fatalf("round %d: CompareCount x %v %d = %d, %v; want %d", round, op, c, cnt, err, len(want))
					}
					in, err := v.CompareIn(within, "x", op, Int(c))
					if err != nil {
						t.Fatal(err)
					}
					if wantIn := got.Clone(); true {
						wantIn.And(within.bm)
						if !wantIn.Equals(in.bm) {
							t.Fatalf("round %d: CompareIn x %v %d differs", round, op, c)
						}
					}
					lo, hi := c, c+r.Int64N(span/4+1)
					bs, err := v.Between("x", Int(lo), Int(hi))
					if err != nil {
						t.Fatal(err)
					}
					nb := 0
					for _, x := range vals {
						if x >= lo && x <= hi {
							nb++
						}
					}
					bc, _ := v.BetweenCount("x", Int(lo), Int(hi))
					if bs.Len() != nb || bc != nb {
						t.Fatalf("round %d: between %d and %d: %d / %d, want %d", round, lo, hi, bs.Len(), bc, nb)
					}
					// the bit-sliced comparison agrees
					if op != Ne {
						b, ok := a.boundOf(Int(c))
						if ok {
							q := toUop(b, op)
							if !q.all && !q.none {
								old := oneil(a.present.bits(), a.sliceBitmaps(), a.ref, q.op, q.c, nil)
								w, _ := a.wideRange([]uop{q}, nil)
								if !old.Equals(w) {
									t.Fatalf("round %d: x %v %d: columns and bit slices differ", round, op, c)
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestWideColumnsCancel checks that a cancelled wide comparison stops.
func TestWideColumnsCancel(t *testing.T) {
	defer func(c uint64, s int, b int64) {
		wideMinCustomers, wideMinSlices, wideBinsAfter = c, s, b
	}(wideMinCustomers, wideMinSlices, wideBinsAfter)
	wideBinsAfter = 1 << 62 // the columns answer (widebins_test.go tests the bins)
	wideMinCustomers, wideMinSlices = 1, 1
	ix, err := New(Config{Schema: []Attribute{{Name: "x", Kind: KindInt}}})
	if err != nil {
		t.Fatal(err)
	}
	b := ix.NewBatch()
	const n = 200_000
	ids := make([]uint32, n)
	xs := make([]Value, n)
	for i := range n {
		b.Add(fmt.Sprintf("k%d", i))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ids[i], xs[i] = uint32(i), Int(int64(i)*7919%1_000_003)
	}
	b = ix.NewBatch()
	b.SetIDs("x", ids, xs)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
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
	// the bit-sliced comparison (columns off) stops at its first bit
	wideMinSlices = 65
	s, err = ix.View().WithContext(ctx).Compare("x", Ge, Int(500_000))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 {
		t.Fatalf("a cancelled bit-sliced comparison returned %d members", s.Len())
	}
	full, _ := ix.View().CompareCount("x", Ge, Int(500_000))
	if full == 0 {
		t.Fatal("the uncancelled comparison is empty")
	}
}

// TestWideColumnsStats checks that Stats reports the columns once built.
func TestWideColumnsStats(t *testing.T) {
	defer func(c uint64, s int, b int64) {
		wideMinCustomers, wideMinSlices, wideBinsAfter = c, s, b
	}(wideMinCustomers, wideMinSlices, wideBinsAfter)
	wideBinsAfter = 1 << 62 // the columns answer (widebins_test.go tests the bins)
	wideMinCustomers, wideMinSlices = 1, 1
	ix, err := New(Config{Schema: []Attribute{{Name: "x", Kind: KindInt}}})
	if err != nil {
		t.Fatal(err)
	}
	b := ix.NewBatch()
	for i := range 1000 {
		b.Set(fmt.Sprintf("k%d", i), "x", Int(int64(i)*1_000_003))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	v := ix.View()
	before := v.Stats()
	if _, err := v.CompareCount("x", Ge, Int(500_000_000)); err != nil {
		t.Fatal(err)
	}
	after := v.Stats()
	if after.Fields[0].ColumnBytes <= 0 || after.MemoryBytes != before.MemoryBytes+after.Fields[0].ColumnBytes {
		t.Fatalf("column bytes %d, memory %d → %d", after.Fields[0].ColumnBytes, before.MemoryBytes, after.MemoryBytes)
	}
}
