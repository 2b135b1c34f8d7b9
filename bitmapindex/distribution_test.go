package bitmapindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// TestDistributionInMatchesNaive checks MomentsIn, NthIn and EventCountIn
// against a loop over the members' stored values, on random populations
// with negative ints, decimals, times and bools, with and without value
// bitmaps, on random member sets.
func TestDistributionInMatchesNaive(t *testing.T) {
	seeds := uint64(4)
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		for _, vb := range []int{64, 3} {
			t.Run(fmt.Sprintf("seed%d/vals%d", seed, vb), func(t *testing.T) {
				old, oldDense := maxValueBitmaps, densePairs
				maxValueBitmaps = vb
				if vb == 3 {
					densePairs = 0 // the bitset path of MomentsIn
				}
				defer func() { maxValueBitmaps, densePairs = old, oldDense }()
				checkDistribution(t, seed)
			})
		}
	}
}

func checkDistribution(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	schema := []Attribute{
		{Name: "n", Kind: KindInt},
		{Name: "d", Kind: KindDecimal, Scale: 2},
		{Name: "t", Kind: KindTime},
		{Name: "b", Kind: KindBool},
	}
	ix, err := New(Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	n := 200 + r.IntN(1500)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b := ix.NewBatch()
	spread := []int64{10, 1000, 1 << 40}[r.IntN(3)]
	for i := range n {
		k := fmt.Sprintf("k%d", i)
		b.Add(k)
		if r.IntN(5) > 0 {
			b.Set(k, "n", Int(r.Int64N(2*spread)-spread/3))
		}
		if r.IntN(4) > 0 {
			b.Set(k, "d", Decimal(float64(r.IntN(2_000_000)-500_000)/100))
		}
		if r.IntN(3) > 0 {
			b.Set(k, "t", Time(base.Add(time.Duration(r.IntN(400*86400))*time.Second)))
		}
		if r.IntN(2) > 0 {
			b.Set(k, "b", Bool(r.IntN(3) == 0))
		}
		for range r.IntN(6) {
			b.Record(k, "e", base.AddDate(0, 0, r.IntN(120)), 1)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// delete a few, so that the live bitmap matters
	for i := 0; i < n; i += 17 {
		ix.Delete(fmt.Sprintf("k%d", i))
	}
	v := ix.View()
	sets := []Set{v.All(), {}}
	for range 4 {
		p := r.Float64()
		var keep []uint32
		for id := range v.All().IDs() {
			if r.Float64() < p {
				keep = append(keep, id)
			}
		}
		sets = append(sets, v.Wrap(roaring.BitmapOf(keep...)))
	}
	// Each customer's attributes, read once: a profile per key per set and
	// attribute made this test take minutes under -race.
	attrs := map[uint32]map[string]Value{}
	for id, k := range v.All().Members() {
		p, _ := v.Profile(k)
		attrs[id] = p.Attrs
	}
	for si, s := range sets {
		for _, a := range schema {
			var vals []float64
			for id := range s.IDs() {
				if x, ok := attrs[id][a.Name]; ok {
					vals = append(vals, asNumber(x))
				}
			}
			slices.Sort(vals)
			m, err := v.MomentsIn(s, a.Name)
			if err != nil {
				t.Fatal(err)
			}
			if m.N != len(vals) {
				t.Fatalf("set %d %s: N %d, want %d", si, a.Name, m.N, len(vals))
			}
			var sum float64
			for _, x := range vals {
				sum += x
			}
			mean := sum / float64(len(vals))
			var ss float64
			for _, x := range vals {
				ss += (x - mean) * (x - mean)
			}
			vr := ss / float64(len(vals))
			if len(vals) == 0 {
				if !math.IsNaN(m.Mean) || !math.IsNaN(m.Var) {
					t.Fatalf("set %d %s: empty moments %+v", si, a.Name, m)
				}
			} else if !closeTo(m.Sum, sum) || !closeTo(m.Mean, mean) || !closeTo(m.Var, vr) {
				t.Fatalf("set %d %s: moments %+v, want sum %v mean %v var %v", si, a.Name, m, sum, mean, vr)
			}
			ks := []int{-1, 0, len(vals) / 3, len(vals) / 2, len(vals) - 1, len(vals), len(vals) / 7}
			got, err := v.NthIn(s, a.Name, ks...)
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range ks {
				ok := got[i].IsValid()
				if ok != (k >= 0 && k < len(vals)) {
					t.Fatalf("set %d %s: NthIn(%d) valid=%v with %d values", si, a.Name, k, ok, len(vals))
				}
				if ok && asNumber(got[i]) != vals[k] {
					t.Fatalf("set %d %s: NthIn(%d) = %v, want %v", si, a.Name, k, asNumber(got[i]), vals[k])
				}
			}
			// CountBelowIn at values present, between them and outside
			var cs []Value
			for range 12 {
				var x float64
				if len(vals) > 0 && r.IntN(2) == 0 {
					x = vals[r.IntN(len(vals))]
				} else {
					x = (r.Float64()*2 - 0.5) * math.Max(1, spreadOf(vals))
				}
				cs = append(cs, constOf(a, x+[]float64{0, 0.004, -0.5}[r.IntN(3)]))
			}
			below, err := v.CountBelowIn(s, a.Name, cs...)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cs {
				want, err := v.CompareIn(s, a.Name, Lt, c)
				if err != nil {
					t.Fatal(err)
				}
				if below[i] != want.Len() {
					t.Fatalf("set %d %s: CountBelowIn(%v) = %d, want %d", si, a.Name, c, below[i], want.Len())
				}
			}
		}
		for _, w := range [][2]int{{0, 200}, {3, 40}, {17, 17}, {31, 95}, {50, 10}} {
			from, to := segkit.DayOf(base, time.UTC).AddDays(w[0]), segkit.DayOf(base, time.UTC).AddDays(w[1])
			want := 0
			for k := range s.Keys() {
				p, _ := v.Profile(k)
				for _, at := range p.Events["e"] {
					if d := segkit.DayOf(at, time.UTC); d >= from && d <= to {
						want++
					}
				}
			}
			if got := v.EventCountIn(s, "e", from, to); got != want {
				t.Fatalf("set %d: EventCountIn %v..%v = %d, want %d", si, from, to, got, want)
			}
		}
	}
	if _, err := v.MomentsIn(v.All(), "nope"); err == nil {
		t.Fatal("unknown attribute: no error")
	}
}

func asNumber(x Value) float64 {
	switch x.Kind() {
	case KindInt:
		n, _ := x.AsInt()
		return float64(n)
	case KindDecimal:
		f, _ := x.AsDecimal()
		return f
	case KindTime:
		tm, _ := x.AsTime()
		return float64(tm.Unix())
	case KindBool:
		b, _ := x.AsBool()
		if b {
			return 1
		}
	}
	return 0
}

func closeTo(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func spreadOf(vals []float64) float64 {
	if len(vals) == 0 {
		return 1
	}
	return math.Max(math.Abs(vals[0]), math.Abs(vals[len(vals)-1]))
}

func constOf(a Attribute, x float64) Value {
	switch a.Kind {
	case KindInt:
		return Int(int64(math.Round(x)))
	case KindDecimal:
		return Decimal(x)
	case KindTime:
		return Time(time.Unix(int64(x), 0))
	}
	return Bool(x > 0.5)
}
