package campaign

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Published values are rounded to 4 decimals.
const published = 0.5e-4 + 1e-12

// Wilson score intervals of Newcombe, "Two-sided confidence intervals for
// the single proportion: comparison of seven methods", Statistics in
// Medicine 17:857–872 (1998), Table I, method 3, 95%.
func TestWilsonMatchesNewcombe1998a(t *testing.T) {
	tests := []struct {
		x, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0.0000, 0.1611},
		{1, 29, 0.0061, 0.1718},
	}
	for _, tc := range tests {
		got, err := Wilson(Proportion{tc.x, tc.n}, 0.95)
		require.NoError(t, err)
		assert.InDelta(t, tc.lo, got.Lo, published, "%d/%d lower", tc.x, tc.n)
		assert.InDelta(t, tc.hi, got.Hi, published, "%d/%d upper", tc.x, tc.n)
	}
}

// Newcombe, "Interval estimation for the difference between independent
// proportions: comparison of eleven methods", Statistics in Medicine
// 17:873–890 (1998), Table II, method 10 (hybrid score), 95%.
func TestDiffIntervalMatchesNewcombe1998b(t *testing.T) {
	tests := []struct {
		name           string
		x1, n1, x2, n2 int
		lo, hi         float64
	}{
		{"a", 56, 70, 48, 80, 0.0524, 0.3339},
		{"b", 9, 10, 3, 10, 0.1705, 0.8090},
		{"d", 5, 56, 0, 29, -0.0381, 0.1926},
		{"e", 0, 10, 0, 20, -0.1611, 0.2775},
		{"f", 0, 10, 0, 10, -0.2775, 0.2775},
		{"g", 10, 10, 0, 20, 0.6791, 1.0000},
		{"h", 10, 10, 0, 10, 0.6075, 1.0000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DiffInterval(Proportion{tc.x1, tc.n1}, Proportion{tc.x2, tc.n2}, 0.95)
			require.NoError(t, err)
			assert.InDelta(t, tc.lo, got.Lo, published)
			assert.InDelta(t, tc.hi, got.Hi, published)
			d := float64(tc.x1)/float64(tc.n1) - float64(tc.x2)/float64(tc.n2)
			assert.True(t, got.Contains(d), "interval %v must contain the estimate %v", got, d)
		})
	}
}

// The pooled two-proportion z-test against worked textbook examples (z and
// P as printed there, to their precision), and exactly against two
// independent textbook formulas: z² is Pearson's χ² for the 2×2 table,
// n(ad−bc)²/((a+b)(c+d)(a+c)(b+d)), and the two-sided P is erfc(|z|/√2).
func TestZTestMatchesTextbooks(t *testing.T) {
	tests := []struct {
		name           string
		x1, n1, x2, n2 int
		z, zTol        float64 // printed |z| and half its last digit
		p, pTol        float64 // printed two-sided P (NaN: not printed)
	}{
		// C. T. Le, Introductory Biostatistics (Wiley, 2003), Example 6.6:
		// shipbuilding among lung-cancer cases 11/61 vs controls 35/238, z = 0.64.
		{"Le 6.6", 11, 61, 35, 238, 0.64, 0.005, math.NaN(), 0},
		// Le (2003), section 6.3 example: X² = 2.80 for the table 8, 31 / 12, 19.
		{"Le X2", 8, 39, 12, 31, math.Sqrt(2.80), math.Sqrt(2.805) - math.Sqrt(2.80), math.NaN(), 0},
		// Calcium-channel blockers 27/202 vs beta-blockers 28/424 (a textbook
		// exercise): z = 2.8, one-sided P = 0.0026, so two-sided 0.0052.
		{"blockers", 27, 202, 28, 424, 2.8, 0.05, 0.0052, 0.0001},
		// A null effect: equal rates give z = 0 and P = 1.
		{"equal", 50, 1000, 100, 2000, 0, 1e-12, 1, 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := Proportion{tc.x1, tc.n1}, Proportion{tc.x2, tc.n2}
			z, p, err := ZTest(a, b)
			require.NoError(t, err)
			assert.InDelta(t, tc.z, math.Abs(z), tc.zTol)
			if !math.IsNaN(tc.p) {
				assert.InDelta(t, tc.p, p, tc.pTol)
			}
			ad, bc := float64(tc.x1*(tc.n2-tc.x2)), float64((tc.n1-tc.x1)*tc.x2)
			r1, r2 := float64(tc.n1), float64(tc.n2)
			c1, c2 := float64(tc.x1+tc.x2), float64(tc.n1+tc.n2-tc.x1-tc.x2)
			chi2 := (r1 + r2) * (ad - bc) * (ad - bc) / (r1 * r2 * c1 * c2)
			assert.InEpsilon(t, chi2+1, z*z+1, 1e-12, "z² must equal Pearson's χ²")
			assert.InDelta(t, math.Erfc(math.Abs(z)/math.Sqrt2), p, 1e-12)
			zr, pr, err := ZTest(b, a)
			require.NoError(t, err)
			assert.Equal(t, -z, zr+0, "swapping the groups flips the sign")
			assert.InDelta(t, p, pr, 1e-15)
		})
	}
}

func TestZTestDegenerate(t *testing.T) {
	for _, c := range [][2]Proportion{{{0, 10}, {0, 30}}, {{10, 10}, {30, 30}}} {
		z, p, err := ZTest(c[0], c[1])
		require.NoError(t, err)
		assert.Equal(t, 0.0, z)
		assert.Equal(t, 1.0, p)
	}
}

// The Katz log interval of the rate ratio in Gardner & Altman's 2×2
// notation, SE(ln RR) = √(1/a − 1/(a+b) + 1/c − 1/(c+d)).
func TestRatioInterval(t *testing.T) {
	a, b, c, d := 63.0, 15.0, 43.0, 34.0 // stroke trial: 63/78 vs 43/77 favourable
	rr := (a / (a + b)) / (c / (c + d))
	se := math.Sqrt(1/a - 1/(a+b) + 1/c - 1/(c+d))
	got, err := RatioInterval(Proportion{63, 78}, Proportion{43, 77}, 0.95)
	require.NoError(t, err)
	assert.InDelta(t, rr*math.Exp(-1.959963984540054*se), got.Lo, 1e-12)
	assert.InDelta(t, rr*math.Exp(1.959963984540054*se), got.Hi, 1e-12)
	assert.True(t, got.Contains(rr))

	got, err = RatioInterval(Proportion{0, 78}, Proportion{43, 77}, 0.95)
	require.NoError(t, err)
	assert.False(t, got.Valid(), "a zero count leaves the ratio interval undefined")
}

func TestLevels(t *testing.T) {
	p := Proportion{30, 200}
	w90, err := Wilson(p, 0.90)
	require.NoError(t, err)
	w95, _ := Wilson(p, 0.95)
	w99, _ := Wilson(p, 0.99)
	assert.Less(t, w95.Lo, w90.Lo)
	assert.Less(t, w99.Lo, w95.Lo)
	assert.Greater(t, w99.Hi, w95.Hi)
	assert.Greater(t, w95.Hi, w90.Hi)
}

func TestStatsBadInput(t *testing.T) {
	ok := Proportion{5, 10}
	_, err := Wilson(Proportion{0, 0}, 0.95)
	assert.ErrorIs(t, err, ErrNoExposures)
	_, err = Wilson(Proportion{11, 10}, 0.95)
	assert.ErrorIs(t, err, ErrOutcome)
	_, err = Wilson(Proportion{-1, 10}, 0.95)
	assert.ErrorIs(t, err, ErrOutcome)
	for _, level := range []float64{0, 1, -0.5, 1.5, math.NaN()} {
		_, err = Wilson(ok, level)
		assert.ErrorIs(t, err, ErrConfig, "level %v", level)
		_, err = DiffInterval(ok, ok, level)
		assert.ErrorIs(t, err, ErrConfig, "level %v", level)
	}
	_, err = DiffInterval(ok, Proportion{}, 0.95)
	assert.ErrorIs(t, err, ErrNoExposures)
	_, err = RatioInterval(Proportion{}, ok, 0.95)
	assert.ErrorIs(t, err, ErrNoExposures)
	_, _, err = ZTest(ok, Proportion{0, -3})
	assert.ErrorIs(t, err, ErrNoExposures)
	assert.True(t, math.IsNaN(Proportion{}.Rate()))
}

// R: p.adjust(c(0.01, 0.04, 0.03), "holm") gives 0.03 0.06 0.06.
func TestHolm(t *testing.T) {
	assert.InDeltaSlice(t, []float64{0.03, 0.06, 0.06}, holm([]float64{0.01, 0.04, 0.03}), 1e-15)
	got := holm([]float64{0.5, math.NaN(), 0.9})
	// NaN is skipped (m = 2): 2·0.5 = 1, then max(1, 1·0.9) = 1.
	assert.InDelta(t, 1, got[0], 1e-15)
	assert.True(t, math.IsNaN(got[1]))
	assert.InDelta(t, 1, got[2], 1e-15)
}

// R: chisq.test(c(10, 20, 30), p = c(1, 1, 1)/3) gives X-squared = 10,
// df = 2, p-value = 0.006738 (exactly exp(−5)).
func TestChiSquareGOF(t *testing.T) {
	stat, df, p := chiSquareGOF([]int{10, 20, 30}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3})
	assert.InDelta(t, 10, stat, 1e-9)
	assert.Equal(t, 2, df)
	assert.InDelta(t, math.Exp(-5), p, 1e-12)
	// A group planned at 0 that received customers is a certain mismatch.
	stat, _, p = chiSquareGOF([]int{10, 1}, []float64{1, 0})
	assert.True(t, math.IsInf(stat, 1))
	assert.Equal(t, 0.0, p)
}
