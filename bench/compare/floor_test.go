package compare

import (
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBSI holds the floor's bit-sliced comparisons to a naive scan.
func TestBSI(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 5000
	vals := map[uint32]int64{}
	b := newBSI()
	for id := uint32(0); id < n; id++ {
		if rng.IntN(10) == 0 {
			continue // missing
		}
		v := rng.Int64N(3000)
		vals[id] = v
		b.set(id, v)
	}
	naive := func(keep func(int64) bool) *roaring.Bitmap {
		bm := roaring.New()
		for id, v := range vals {
			if keep(v) {
				bm.Add(id)
			}
		}
		return bm
	}
	for _, c := range []int64{-5, -1, 0, 1, 2, 7, 100, 1023, 1024, 1500, 2999, 3000, 4096, 1 << 40} {
		assert.True(t, naive(func(v int64) bool { return v <= c }).Equals(b.le(c)), "le %d", c)
		assert.True(t, naive(func(v int64) bool { return v >= c }).Equals(b.ge(c)), "ge %d", c)
		lo, hi := c, c+rng.Int64N(500)
		assert.True(t, naive(func(v int64) bool { return v >= lo && v <= hi }).Equals(b.between(lo, hi)), "between %d %d", lo, hi)
	}
	require.Panics(t, func() { b.set(1, -1) })
}

// TestAtLeast holds the floor's saturating day counters to a naive sum over
// random per-day multiplicities.
func TestAtLeast(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const customers, days = 400, 40
	p := &Population{Today: 1000 + days - 1, EventCode: map[string]int{"purchase": 1}}
	e := &roaringEngine{p: p, day0: 1000}
	e.times = make([][][3]*roaring.Bitmap, 2)
	e.first = make([][]*roaring.Bitmap, 2)
	e.times[1] = make([][3]*roaring.Bitmap, days)
	e.first[1] = newBitmaps(days)
	count := make([][]int, customers) // [customer][day]
	for c := range count {
		count[c] = make([]int, days)
	}
	for d := range days {
		e.times[1][d] = [3]*roaring.Bitmap{roaring.New(), roaring.New(), roaring.New()}
		for c := range customers {
			k := 0
			if rng.IntN(8) == 0 {
				k = 1 + rng.IntN(4)
			}
			count[c][d] = k
			for j := 0; j < min(k, 3); j++ {
				e.times[1][d][j].Add(uint32(c))
			}
		}
	}
	for _, window := range []int{1, 5, 17, days, days + 10} {
		for k := 1; k <= 3; k++ {
			want := roaring.New()
			for c := range customers {
				sum := 0
				for d := max(days-window, 0); d < days; d++ {
					sum += count[c][d]
				}
				if sum >= k {
					want.Add(uint32(c))
				}
			}
			got := e.atLeast("purchase", window, k)
			assert.True(t, want.Equals(got), "window %d, at least %d: want %d, got %d", window, k, want.GetCardinality(), got.GetCardinality())
		}
	}
}
