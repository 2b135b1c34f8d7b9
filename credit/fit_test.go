package credit_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/credit"
)

func f64(v float64) *float64 { return &v }

// numBins returns numeric bins cut at the given bounds, all with 0 points.
func numBins(cuts ...float64) []credit.Bin {
	bins := make([]credit.Bin, len(cuts)+1)
	for i := range bins {
		if i > 0 {
			bins[i].Min = f64(cuts[i-1])
		}
		if i < len(cuts) {
			bins[i].Max = f64(cuts[i])
		}
	}
	return bins
}

var verifiedChar = credit.Characteristic{Name: "verified", Kind: credit.Attribute, Attribute: "verified",
	Bins: []credit.Bin{{Values: []string{"true"}}, {Values: []string{"false"}}}}

var oneBand = []credit.Band{{Name: "all"}}

func verified(key string, v bool) credit.Customer {
	return credit.Customer{Key: key, Attributes: map[string]bitmapindex.Value{"verified": bitmapindex.Bool(v)}}
}

// Hand-computed: verified customers are 600 goods and 20 bads, the others
// 300 and 80 (900 goods, 100 bads). WoE ln((600/900)/(20/100)) = 1.2040 and
// ln((300/900)/(80/100)) = −0.8755; a single characteristic's regression
// on its WoE has coefficient −1 and intercept ln(100/900), so Base =
// 487.123 + 28.8539·ln 9 = 550.52 → 551 and points 28.8539·WoE = 34.74 → 35
// and −25.26 → −25.
func TestFitTextbook(t *testing.T) {
	sc := credit.Scorecard{Characteristics: []credit.Characteristic{verifiedChar}, Bands: oneBand}
	var samples []credit.Sample
	add := func(v bool, n int, bad bool) {
		for range n {
			samples = append(samples, credit.Sample{Customer: verified("c", v), Bad: bad})
		}
	}
	add(true, 600, false)
	add(true, 20, true)
	add(false, 300, false)
	add(false, 80, true)
	f, err := credit.Fit(sc, slices.Values(samples), segkit.Date(2026, 1, 1).Time(nil), credit.DefaultFitConfig())
	require.NoError(t, err)
	require.InDelta(t, -1, f.Coefficients[0], 1e-6)
	require.InDelta(t, math.Log(100.0/900), f.Intercept, 1e-6)
	require.Equal(t, 551, f.Scorecard.Base)
	require.Equal(t, 35, f.Scorecard.Characteristics[0].Bins[0].Points)
	require.Equal(t, -25, f.Scorecard.Characteristics[0].Bins[1].Points)
	require.Equal(t, 0, f.Scorecard.Characteristics[0].Missing)
	st := f.Stats[0]
	require.Equal(t, []int{600, 300}, []int{st.Bins[0].Goods, st.Bins[1].Goods})
	require.InDelta(t, 1.203972804325936, st.Bins[0].WoE, 1e-12)
	require.InDelta(t, -0.8754687373539001, st.Bins[1].WoE, 1e-12)
	// IV = (2/3 − 0.2)·1.2040 + (1/3 − 0.8)·(−0.8755) = 0.5619 + 0.4086.
	require.InDelta(t, (2.0/3-0.2)*1.203972804325936+(1.0/3-0.8)*-0.8754687373539001, st.IV, 1e-12)
	require.Equal(t, 1000, f.Samples)
	require.Equal(t, 100, f.Bads)
	require.Equal(t, 2, f.Cells)

	_, err = credit.Fit(sc, slices.Values(samples[:600]), segkit.Day(0).Time(nil), credit.DefaultFitConfig())
	require.ErrorIs(t, err, credit.ErrOneClass)
}

// A population whose log-odds of default are known, additive over the bins
// of three independent characteristics: the fitted regression recovers each
// characteristic's effect, and the scorecard scores each combination at the
// score of its true odds.
func TestFitRecoversKnownRelation(t *testing.T) {
	asOf := segkit.Date(2026, 6, 30)
	sc := credit.Scorecard{
		Characteristics: []credit.Characteristic{
			{Name: "late", Kind: credit.Count, Event: "late_payment", Days: 365, Bins: numBins(1, 3)},
			verifiedChar,
			{Name: "tenure", Kind: credit.Tenure, Bins: numBins(180, 720)},
		},
		Bands: oneBand,
	}
	const intercept = -2.5
	gLate := []float64{0, 0.8, 1.6}
	gVer := []float64{-0.7, 0} // true, false
	gTen := []float64{0.5, 0, -0.5}
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 200_000
	samples := make([]credit.Sample, n)
	for i := range samples {
		l, v, tn := rng.IntN(3), rng.IntN(2), rng.IntN(3)
		cu := verified("c", v == 0)
		late := []int{0, 1 + rng.IntN(2), 3 + rng.IntN(3)}[l]
		for k := range late {
			cu.Events = append(cu.Events, segkit.Event{Name: "late_payment", At: asOf.AddDays(-k * 30).Time(nil)})
		}
		days := []int{rng.IntN(180), 180 + rng.IntN(540), 720 + rng.IntN(2000)}[tn]
		cu.Joined = asOf.AddDays(-days).Time(nil)
		z := intercept + gLate[l] + gVer[v] + gTen[tn]
		samples[i] = credit.Sample{Customer: cu, Bad: rng.Float64() < 1/(1+math.Exp(-z))}
	}
	f, err := credit.Fit(sc, slices.Values(samples), asOf.Time(nil), credit.DefaultFitConfig())
	require.NoError(t, err)
	require.Empty(t, f.Warnings)
	require.Equal(t, 18, f.Cells)
	effect := func(j, k int) float64 { return f.Coefficients[j] * f.Stats[j].Bins[k].Fitted }
	for j, g := range [][]float64{gLate, gVer, gTen} {
		for k := 1; k < len(g); k++ {
			require.InDelta(t, g[k]-g[0], effect(j, k)-effect(j, 0), 0.08, "characteristic %d bin %d", j, k)
		}
	}
	// The scorecard's score of each combination is the scaled true odds.
	m, err := credit.Compile(f.Scorecard)
	require.NoError(t, err)
	s := credit.DefaultScaling()
	for l := range 3 {
		for v := range 2 {
			for tn := range 3 {
				z := intercept + gLate[l] + gVer[v] + gTen[tn]
				want := s.Score(math.Exp(-z))
				got := f.Scorecard.Base + m.Scorecard().Characteristics[0].Bins[l].Points +
					m.Scorecard().Characteristics[1].Bins[v].Points + m.Scorecard().Characteristics[2].Bins[tn].Points
				require.InDelta(t, want, float64(got), 5, "late %d verified %d tenure %d", l, v, tn)
			}
		}
	}
}

// Bins declared monotonic keep their order through a fit whose raw WoE is
// not monotonic; the same data without the declaration gives points out of
// order (so the check below can fail).
func TestFitMonotonicBins(t *testing.T) {
	asOf := segkit.Date(2026, 6, 30)
	char := credit.Characteristic{Name: "late", Kind: credit.Count, Event: "late_payment", Bins: numBins(1, 2, 3, 4)}
	// Bad rates per count 0..4: 2%, 10%, 6% (a dip), 20%, 35%.
	goods := []int{980, 450, 470, 200, 130}
	bads := []int{20, 50, 30, 50, 70}
	var samples []credit.Sample
	for c := range goods {
		cu := credit.Customer{Key: "c"}
		for k := range c {
			cu.Events = append(cu.Events, segkit.Event{Name: "late_payment", At: asOf.AddDays(-k).Time(nil)})
		}
		for range goods[c] {
			samples = append(samples, credit.Sample{Customer: cu})
		}
		for range bads[c] {
			samples = append(samples, credit.Sample{Customer: cu, Bad: true})
		}
	}
	fit := func(dir credit.Direction) []int {
		c := char
		c.Monotonic = dir
		f, err := credit.Fit(credit.Scorecard{Characteristics: []credit.Characteristic{c}, Bands: oneBand},
			slices.Values(samples), asOf.Time(nil), credit.DefaultFitConfig())
		require.NoError(t, err)
		var pts []int
		for _, b := range f.Scorecard.Characteristics[0].Bins {
			pts = append(pts, b.Points)
		}
		return pts
	}
	free := fit("")
	require.False(t, slices.IsSortedFunc(free, func(a, b int) int { return b - a }), "raw points %v", free)
	mono := fit(credit.Decreasing)
	require.True(t, slices.IsSortedFunc(mono, func(a, b int) int { return b - a }), "monotonic points %v", mono)
	require.Equal(t, mono[1], mono[2], "the dip is pooled with its neighbour")

	// Property: random bad rates, declared decreasing, always give
	// non-increasing points.
	rng := rand.New(rand.NewPCG(9, 10))
	for range 50 {
		samples = samples[:0]
		for c := range 5 {
			cu := credit.Customer{Key: "c"}
			for k := range c {
				cu.Events = append(cu.Events, segkit.Event{Name: "late_payment", At: asOf.AddDays(-k).Time(nil)})
			}
			for range 1 + rng.IntN(200) {
				samples = append(samples, credit.Sample{Customer: cu, Bad: rng.Float64() < 0.3})
			}
		}
		samples = append(samples, credit.Sample{Customer: credit.Customer{}, Bad: true}, credit.Sample{Customer: credit.Customer{}})
		mono := fit(credit.Decreasing)
		require.True(t, slices.IsSortedFunc(mono, func(a, b int) int { return b - a }), "monotonic points %v", mono)
	}
}
