package persona

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBSIArithmeticAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n = 3000
	all := roaring.New()
	for id := range uint32(n) {
		if rng.IntN(10) != 0 { // holes: not every ID is live
			all.Add(id)
		}
	}
	randomSubset := func(p float64) *roaring.Bitmap {
		b := roaring.New()
		it := all.Iterator()
		for it.HasNext() {
			id := it.Next()
			if rng.Float64() < p {
				b.Add(id)
			}
		}
		return b
	}
	for trial := range 20 {
		var a, b bsi
		va, vb := make([]uint64, n), make([]uint64, n)
		for range 1 + rng.IntN(6) {
			x, w := randomSubset(rng.Float64()), uint64(rng.IntN(40))
			a.addWeighted(x, w)
			for it := x.Iterator(); it.HasNext(); {
				va[it.Next()] += w
			}
			y, v := randomSubset(rng.Float64()), uint64(rng.IntN(40))
			b.addWeighted(y, v)
			for it := y.Iterator(); it.HasNext(); {
				vb[it.Next()] += v
			}
		}
		c := uint64(rng.IntN(120))
		ge, eq := a.geConst(all, c), a.eqConst(all, c)
		mask := randomSubset(0.7)
		gt := gtWithin(&a, &b, mask)
		m := randomSubset(0.5)
		muxed := bsi{slices: cloneSlices(b.slices)}
		muxed.mux(&a, m)
		for it := all.Iterator(); it.HasNext(); {
			id := it.Next()
			require.Equal(t, va[id], a.value(id), "trial %d id %d value", trial, id)
			assert.Equal(t, va[id] >= c, ge.Contains(id), "trial %d id %d: %d >= %d", trial, id, va[id], c)
			assert.Equal(t, va[id] == c, eq.Contains(id), "trial %d id %d: %d == %d", trial, id, va[id], c)
			assert.Equal(t, mask.Contains(id) && va[id] > vb[id], gt.Contains(id), "trial %d id %d: %d > %d", trial, id, va[id], vb[id])
			want := vb[id]
			if m.Contains(id) {
				want = va[id]
			}
			assert.Equal(t, want, muxed.value(id), "trial %d id %d mux", trial, id)
		}
	}
}

func cloneSlices(s []*roaring.Bitmap) []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, len(s))
	for i, b := range s {
		if b != nil {
			out[i] = b.Clone()
		}
	}
	return out
}

// TestScoringAgainstNaive holds the bitmap assignment to a per-customer
// reference: scores as sums of weights, eligibility, best persona with the
// documented tie-break, and the bulk decoder.
func TestScoringAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	for trial := range 40 {
		np := 1 + rng.IntN(6)
		defs := make([]Definition, np)
		for p := range defs {
			defs[p] = Definition{Name: fmt.Sprintf("p%d", rng.IntN(3*np)) + fmt.Sprint(p), Priority: rng.IntN(3)}
			for range 1 + rng.IntN(8) {
				w := float64(rng.IntN(9) - 3)
				if w == 0 {
					w = 0.5
				}
				defs[p].Conditions = append(defs[p].Conditions, Condition{Rule: "x", Weight: w})
			}
			defs[p].MinScore = float64(rng.IntN(10)-3) + []float64{0, 0.25, 0.5}[rng.IntN(3)]
		}
		s, errs := newScoring(defs, 2)
		require.Empty(t, errs)
		const n = 700
		spread := uint32(1)
		if trial%5 == 4 {
			spread = 5000 // sparse IDs: per-customer decoding instead of the dense engine
		}
		all := roaring.New()
		for id := range uint32(n) {
			if rng.IntN(7) != 0 {
				all.Add(id * spread)
			}
		}
		require.Equal(t, spread == 1, useDense(all))
		conds := make([][]*roaring.Bitmap, np)
		for p := range conds {
			for range defs[p].Conditions {
				b := roaring.New()
				dens := rng.Float64()
				for id := range uint32(n) {
					if rng.Float64() < dens {
						b.Add(id * spread) // may include IDs outside all: assign must ignore them
					}
				}
				if trial%3 == 0 {
					b.Add(1 << 31) // far beyond the population
				}
				conds[p] = append(conds[p], b)
			}
		}
		noStop := func() error { return nil }
		st, err := s.assign(all, conds, noStop)
		require.NoError(t, err)
		dense, err := s.assignDense(all, conds, noStop)
		require.NoError(t, err)
		require.True(t, dense.assigned.Equals(st.assigned), "trial %d: dense and compressed engines agree on assigned", trial)
		for p := range st.elig {
			require.True(t, dense.elig[p].Equals(st.elig[p]), "trial %d persona %d eligible", trial, p)
			require.True(t, dense.members[p].Equals(st.members[p]), "trial %d persona %d members", trial, p)
		}
		if trial%2 == 1 {
			st = dense
		}

		got := map[uint32][]ranked{}
		s.each(st, all, func(id uint32, rs []ranked) bool {
			got[id] = append([]ranked(nil), rs...)
			return true
		})
		for it := all.Iterator(); it.HasNext(); {
			id := it.Next()
			// naive: float sums and a linear scan for the best
			type cand struct {
				p     int
				score float64
			}
			var bestP = -1
			var bestScore float64
			var cands []cand
			for p, d := range defs {
				score := 0.0
				for i, c := range d.Conditions {
					if conds[p][i].Contains(id) {
						score += c.Weight
					}
				}
				if score < d.MinScore {
					continue
				}
				cands = append(cands, cand{p, score})
				better := bestP < 0 || score > bestScore ||
					score == bestScore && (d.Priority > defs[bestP].Priority ||
						d.Priority == defs[bestP].Priority && d.Name < defs[bestP].Name)
				if better {
					bestP, bestScore = p, score
				}
			}
			matched := make([][]bool, np)
			for p := range defs {
				for i := range defs[p].Conditions {
					matched[p] = append(matched[p], conds[p][i].Contains(id))
				}
			}
			viaIndex, viaProfile, viaEach := s.ranking(st, id), s.rankingOf(matched), got[id]
			require.Len(t, viaIndex, len(cands), "trial %d id %d", trial, id)
			assert.Equal(t, viaIndex, viaProfile, "trial %d id %d", trial, id)
			assert.Equal(t, viaIndex, viaEach, "trial %d id %d", trial, id)
			for _, r := range viaIndex {
				for _, c := range cands {
					if c.p == r.p {
						assert.InDelta(t, c.score, s.value(r.r), 1e-9)
					}
				}
			}
			if bestP < 0 {
				assert.False(t, st.assigned.Contains(id), "trial %d id %d should be unassigned", trial, id)
				continue
			}
			require.True(t, st.assigned.Contains(id), "trial %d id %d", trial, id)
			assert.Equal(t, bestP, viaIndex[0].p, "trial %d id %d best", trial, id)
			for p := range defs {
				assert.Equal(t, p == bestP, st.members[p].Contains(id), "trial %d id %d member of %d", trial, id, p)
			}
		}
		assert.True(t, roaring.AndNot(st.assigned, all).IsEmpty())
	}
}

func TestFixedPoint(t *testing.T) {
	tests := []struct {
		v        float64
		decimals int
		want     int64
		ok       bool
	}{
		{0.1, 1, 1, true},
		{0.3, 3, 300, true},
		{1.25, 1, 0, false},
		{-2.5, 1, -25, true},
		{1e9, 6, 1e15, true},
		{0.000001, 6, 1, true},
		{0.0000001, 6, 0, false},
	}
	for _, tt := range tests {
		got, ok := fixedUnits(tt.v, tt.decimals)
		assert.Equal(t, tt.ok, ok, "%v at %d", tt.v, tt.decimals)
		if tt.ok {
			assert.Equal(t, tt.want, got, "%v at %d", tt.v, tt.decimals)
		}
	}
	// ⌈v·10^d / g⌉, clamped
	assert.Equal(t, int64(3), ceilUnits(0.3, 1, 1, -100, 100))
	assert.Equal(t, int64(2), ceilUnits(0.3, 1, 2, -100, 100))   // 3/2 → 2
	assert.Equal(t, int64(-1), ceilUnits(-0.3, 1, 2, -100, 100)) // −3/2 → −1
	assert.Equal(t, int64(100), ceilUnits(1e12, 3, 1, -100, 100))
	assert.Equal(t, int64(-100), ceilUnits(-1e12, 3, 1, -100, 100))
}
