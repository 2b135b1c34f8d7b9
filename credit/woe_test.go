package credit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Hand-computed: goods 100/300/600 of 1,000 and bads 50/30/20 of 100 give
// shares 0.1/0.5, 0.3/0.3 and 0.6/0.2, so WoE ln 0.2, 0 and ln 3 and IV
// 0.4·ln 5, 0 and 0.4·ln 3.
func TestWeightOfEvidenceTextbook(t *testing.T) {
	woe, iv, err := WeightOfEvidence([]int{100, 300, 600}, []int{50, 30, 20})
	require.NoError(t, err)
	want := []float64{-1.6094379124341003, 0, 1.0986122886681096}
	wantIV := []float64{0.6437751649736402, 0, 0.4394449154672438}
	require.InDeltaSlice(t, want, woe, 1e-12)
	require.InDeltaSlice(t, wantIV, iv, 1e-12)
	require.InDelta(t, 1.0832200804408840, iv[0]+iv[1]+iv[2], 1e-12)

	// A bin without bads counts 0.5 of them: shares 0.5 and 0.005.
	woe, iv, err = WeightOfEvidence([]int{500, 500}, []int{100, 0})
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{math.Log(0.5), math.Log(100)}, woe, 1e-12)
	require.InDeltaSlice(t, []float64{0.5 * math.Log(2), 0.495 * math.Log(100)}, iv, 1e-12)

	_, _, err = WeightOfEvidence([]int{5, 6}, []int{0, 0})
	require.ErrorIs(t, err, ErrOneClass)
	_, _, err = WeightOfEvidence([]int{5}, []int{1, 2})
	require.Error(t, err)
}

// Siddiqi's example: 600 points at 50:1 with 20 points to double the odds
// gives Factor 20/ln 2 = 28.8539 and Offset 600 − 28.8539·ln 50 = 487.123.
func TestScalingTextbook(t *testing.T) {
	s := DefaultScaling()
	require.InDelta(t, 28.8539, s.Factor(), 1e-4)
	require.InDelta(t, 487.123, s.Offset(), 1e-3)
	require.InDelta(t, 600, s.Score(50), 1e-9)
	require.InDelta(t, 620, s.Score(100), 1e-9)
	require.InDelta(t, 580, s.Score(25), 1e-9)
	require.InDelta(t, 640, s.Score(200), 1e-9)
}

func TestPooledWoEMonotonic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 2 + rng.IntN(8)
		goods, bads := make([]float64, n), make([]float64, n)
		var g, b float64
		for i := range n {
			goods[i], bads[i] = float64(rng.IntN(50)), float64(rng.IntN(20))
			g += goods[i]
			b += bads[i]
		}
		if g == 0 || b == 0 {
			continue
		}
		for _, inc := range []bool{true, false} {
			w := pooledWoE(goods, bads, g, b, inc)
			require.Len(t, w, n)
			for i := 1; i < n; i++ {
				if inc {
					require.LessOrEqual(t, w[i-1], w[i]+1e-12, "%v %v → %v", goods, bads, w)
				} else {
					require.GreaterOrEqual(t, w[i-1], w[i]-1e-12, "%v %v → %v", goods, bads, w)
				}
			}
			// Against the naive reference: each run of equal WoE is the
			// WoE of its pooled counts.
			for i := 0; i < n; {
				j := i
				var pg, pb float64
				for j < n && w[j] == w[i] {
					pg, pb = pg+goods[j], pb+bads[j]
					j++
				}
				ref, _ := woeOf(pg, pb, g, b)
				if pg+pb > 0 {
					require.InDelta(t, ref, w[i], 1e-12)
				}
				i = j
			}
		}
	}
	// Already monotonic counts are left alone.
	goods, bads := []float64{10, 20, 30}, []float64{5, 3, 1}
	w := pooledWoE(goods, bads, 60, 9, true)
	for i := range goods {
		ref, _ := woeOf(goods[i], bads[i], 60, 9)
		require.Equal(t, ref, w[i])
	}
}

// The regression itself recovers known coefficients of a logistic model on
// continuous covariates.
func TestLogisticRecovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	truth := []float64{-1, 0.8, -0.5}
	const n = 100_000
	x := make([]float64, 0, 2*n)
	wg, wb := make([]float64, n), make([]float64, n)
	for r := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x = append(x, a, b)
		if rng.Float64() < sigmoid(truth[0]+truth[1]*a+truth[2]*b) {
			wb[r] = 1
		} else {
			wg[r] = 1
		}
	}
	beta, _, _, err := logistic(x, wg, wb, 2, []float64{0, 0, 0}, 0)
	require.NoError(t, err)
	require.InDeltaSlice(t, truth, beta, 0.04)
}
