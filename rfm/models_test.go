package rfm

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// revenueResult analyses one purchase per customer with the given revenues.
func revenueResult(t *testing.T, revs ...float64) *Result {
	t.Helper()
	var txns []segkit.Transaction
	for i, r := range revs {
		txns = append(txns, segkit.Transaction{Customer: "c" + strconv.Itoa(i), At: day("2024-01-01"), Amount: 0})
		if r != 0 {
			txns = append(txns, segkit.Transaction{Customer: "c" + strconv.Itoa(i), At: day("2024-01-01"), Amount: r})
		}
	}
	res, err := Analyze(slices.Values(txns), day("2024-02-01"), DefaultConfig())
	require.NoError(t, err)
	return res
}

func labels(a *Assignment) []string {
	var out []string
	for i := range a.Result().Customers {
		out = append(out, a.Label(i))
	}
	return out
}

func TestValueABC(t *testing.T) {
	// Total 100: 50 (50%), 30 (80%), 10, 5, 5 (95%, 100%), refunds net to −3.
	res := revenueResult(t, 50, 30, 10, 5, 5, -3)
	vt, err := res.Value(ValueConfig{Method: ValueABC})
	require.NoError(t, err)
	// 50: 0% before → A; 30: 50% before → A; 10: 80% before → B;
	// 5 and 5 share 90% before → B; −3 → C.
	assert.Equal(t, []string{"A", "A", "B", "B", "B", "C"}, labels(vt.Assignment))
	assert.Equal(t, []float64{30, 5}, vt.Thresholds)
	sum := vt.Summary()
	a, _ := sum.Group("A")
	assert.InDelta(t, 80.0/97, a.RevenueShare, 1e-12, "net total 97")
	assert.Equal(t, 2, a.Customers)

	_, err = revenueResult(t, -1, 0).Value(ValueConfig{Method: ValueABC})
	assert.EqualError(t, err, "rfm: value: ABC needs a positive finite total revenue, have 0")
}

// TestValueABCNaive checks ABC tiers against a direct reading of the rule on
// random revenues with ties: a customer is in the first tier whose share
// bound exceeds the revenue share of the customers strictly above it.
func TestValueABCNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := range 50 {
		N := 1 + rng.IntN(60)
		revs := make([]float64, N)
		for i := range revs {
			revs[i] = float64(rng.IntN(8)*10 - 5)
		}
		revs[0] = 100 // a positive total
		res := revenueResult(t, revs...)
		top := []float64{0.5, 0.8, 0.95}
		vt, err := res.Value(ValueConfig{Method: ValueABC, Top: top, Names: []string{"A", "B", "C", "D"}})
		require.NoError(t, err)
		total := 0.0
		for _, v := range revs {
			total += max(v, 0)
		}
		for i, c := range res.Customers {
			above := 0.0
			for _, d := range res.Customers {
				if d.Revenue > c.Revenue && d.Revenue > 0 {
					above += d.Revenue
				}
			}
			want := 3
			if c.Revenue > 0 {
				for k, t := range top {
					if above/total < t {
						want = k
						break
					}
				}
			}
			require.Equal(t, []string{"A", "B", "C", "D"}[want], vt.Label(i), "iter %d customer %d revenue %v", iter, i, c.Revenue)
		}
	}
}

func TestValueQuantile(t *testing.T) {
	res := revenueResult(t, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	vt, err := res.Value(DefaultValueConfig())
	require.NoError(t, err)
	// q(0.8) = 8.2, q(0.5) = 5.5 → high: 9, 10; medium: 6, 7, 8.
	assert.InDeltaSlice(t, []float64{8.2, 5.5}, vt.Thresholds, 1e-12)
	assert.Equal(t, []string{"low", "low", "low", "low", "low", "medium", "medium", "medium", "high", "high"}, labels(vt.Assignment))
	assert.Equal(t, "高价值", vt.Alias("high"))
	assert.Equal(t, []string{"high", "medium", "low"}, vt.Names())

	// Equal values share a tier.
	res = revenueResult(t, 5, 5, 5, 5, 5, 5, 5, 5, 5, 9)
	vt, err = res.Value(ValueConfig{})
	require.NoError(t, err)
	assert.Equal(t, 1, vt.Count("high"))
	assert.Equal(t, 0, vt.Count("medium"))
	assert.Equal(t, 9, vt.Count("low"))
}

func TestValueConfigErrors(t *testing.T) {
	res := revenueResult(t, 1, 2, 3)
	tests := []struct {
		cfg  ValueConfig
		want string
	}{
		{ValueConfig{Top: []float64{0.5, 0.2}, Names: []string{"a", "b", "c"}}, "rfm: value: shares are not increasing: 0.2 at position 2 is not above 0.5"},
		{ValueConfig{Top: []float64{0, 0.5}, Names: []string{"a", "b", "c"}}, "rfm: value: share 0 at position 1 is not in (0, 1)"},
		{ValueConfig{Top: []float64{math.NaN()}, Names: []string{"a", "b"}}, "rfm: value: share NaN at position 1 is not in (0, 1)"},
		{ValueConfig{Top: []float64{0.5}}, "rfm: value: 0 names for 2 tiers"},
		{ValueConfig{Top: []float64{0.5}, Names: []string{"a", "a"}}, `rfm: value: tier name "a" used twice`},
		{ValueConfig{Top: []float64{0.5}, Names: []string{"a", ""}}, "rfm: value: tier 2 has an empty name"},
		{ValueConfig{Top: []float64{0.5}, Names: []string{"a", "b"}, Aliases: []string{"x"}}, "rfm: value: 1 aliases for 2 tiers"},
		{ValueConfig{Top: []float64{}}, "rfm: value: 0 cuts, want 1..254"},
		{ValueConfig{Method: 9}, "rfm: value: unknown method 9"},
	}
	for _, tc := range tests {
		_, err := res.Value(tc.cfg)
		assert.EqualError(t, err, tc.want)
	}
}

func TestLoyalty(t *testing.T) {
	txns := []segkit.Transaction{
		tx("once", "2024-03-01", 10),
		tx("twice", "2024-01-01", 10), tx("twice", "2024-02-01", 10),
		tx("often", "2024-01-01", 1), tx("often", "2024-01-11", 1), tx("often", "2024-01-15", 1),
		tx("often", "2024-02-14", 1), tx("often", "2024-02-14", 1),
	}
	cfg := DefaultConfig()
	cfg.Cycles = true
	res, err := Analyze(slices.Values(txns), day("2024-03-31"), cfg)
	require.NoError(t, err)

	lt, err := res.Loyalty(DefaultLoyaltyConfig())
	require.NoError(t, err)
	assert.Equal(t, []string{"one-time", "repeat", "loyal"}, labels(lt.Assignment))
	assert.Equal(t, "忠诚客户", lt.Alias("loyal"))

	_, ok := lt.Next(0)
	assert.False(t, ok, "one purchase day: no cycle")
	next, ok := lt.Next(1)
	require.True(t, ok)
	assert.Equal(t, "2024-03-03", next.String(), "2024-02-01 + 31 days")
	over, _ := lt.Overdue(1)
	assert.Equal(t, 28, over)
	// often: gaps 10, 4, 30 → mean 14.67 → 15 days; median 10.
	next, _ = lt.Next(2)
	assert.Equal(t, "2024-02-29", next.String())
	lt, err = res.Loyalty(LoyaltyConfig{Cycle: CycleMedian, Thresholds: []int{3}, Names: []string{"low", "high"}})
	require.NoError(t, err)
	next, _ = lt.Next(2)
	assert.Equal(t, "2024-02-24", next.String())
	g, _ := lt.Gap(2)
	assert.Equal(t, 10.0, g)
	assert.Equal(t, []string{"low", "low", "high"}, labels(lt.Assignment))

	for _, bad := range []struct {
		cfg  LoyaltyConfig
		want string
	}{
		{LoyaltyConfig{Thresholds: []int{3, 3}, Names: []string{"a", "b", "c"}}, "rfm: loyalty: thresholds are not increasing: 3 at position 2 is not above 3"},
		{LoyaltyConfig{Thresholds: []int{0}, Names: []string{"a", "b"}}, "rfm: loyalty: threshold 0 at position 1 is below 1"},
		{LoyaltyConfig{Thresholds: []int{2}}, "rfm: loyalty: 0 names for 2 tiers"},
		{LoyaltyConfig{Thresholds: []int{}}, "rfm: loyalty: 0 thresholds, want 1..254"},
		{LoyaltyConfig{Cycle: 7}, "rfm: loyalty: unknown cycle statistic 7"},
	} {
		_, err := res.Loyalty(bad.cfg)
		assert.EqualError(t, err, bad.want)
	}

	res, err = Analyze(slices.Values(txns), day("2024-03-31"), DefaultConfig())
	require.NoError(t, err)
	_, err = res.Loyalty(DefaultLoyaltyConfig())
	assert.ErrorIs(t, err, ErrNoCycles)
}

func TestSegmentBinsMismatch(t *testing.T) {
	res := revenueResult(t, 1, 2, 3)
	_, err := res.Segment(mustPreset(t, "cn8"))
	assert.EqualError(t, err, `rfm: scheme "cn8" is written for 2 bins but the scores have R 5, F 5, M 5 bins (set Config.Bins or the binning to match)`)
	_, err = res.Segment(nil)
	assert.Error(t, err)
}

// TestSummaryGolden is the human-readable output on deterministic generated
// data: the cn8 summary (Chinese names, English aliases), the quadrant
// summary, value and loyalty tiers and the R × F grid.
func TestSummaryGolden(t *testing.T) {
	now := day("2024-06-30")
	txns := genTransactions(rand.New(rand.NewPCG(42, 42)), 400, 4, now)

	cfg := DefaultConfig()
	cfg.Binning = SplitMean
	res, err := Analyze(slices.Values(txns), now, cfg)
	require.NoError(t, err)
	cn8, err := res.Segment(mustPreset(t, "cn8"))
	require.NoError(t, err)

	qcfg := cfg
	qcfg.Binning = SplitMedian
	qcfg.Monetary = Mean
	qres, err := Analyze(slices.Values(txns), now, qcfg)
	require.NoError(t, err)
	quad, err := qres.Segment(mustPreset(t, "quadrant"))
	require.NoError(t, err)

	qt, err := Analyze(slices.Values(txns), now, Config{Cycles: true})
	require.NoError(t, err)
	rfm11, err := qt.Segment(rfm11FromData(t))
	require.NoError(t, err)
	vt, err := qt.Value(ValueConfig{Method: ValueABC})
	require.NoError(t, err)
	lt, err := qt.Loyalty(DefaultLoyaltyConfig())
	require.NoError(t, err)

	golden(t, "summary.golden", func(b *bytes.Buffer) {
		for _, a := range []*Assignment{cn8, quad, rfm11, vt.Assignment, lt.Assignment} {
			b.WriteString("== " + a.Model() + "\n")
			require.NoError(t, a.Summary().WriteText(b))
			b.WriteString("\n")
		}
		b.WriteString("== grid\n")
		require.NoError(t, qt.Grid().WriteText(b))
	})

	// The summary adds up.
	for _, a := range []*Assignment{cn8, quad, rfm11, vt.Assignment, lt.Assignment} {
		s := a.Summary()
		n, o, share := 0, 0, 0.0
		for _, g := range s.Groups {
			n += g.Customers
			o += g.Orders
			share += g.CustomerShare
			assert.Equal(t, g.Customers, a.Count(g.Name))
			members := slices.Collect(a.Members(g.Name))
			assert.Len(t, members, g.Customers)
		}
		assert.Equal(t, a.Result().Len(), n)
		assert.Equal(t, s.Orders, o)
		assert.InDelta(t, 1, share, 1e-9)
	}
	// Grid cells add up to every customer.
	g := qt.Grid()
	total := 0
	for _, row := range g.Counts {
		for _, c := range row {
			total += c
		}
	}
	assert.Equal(t, qt.Len(), total)
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", -0.4: "0", 999: "999", 1000: "1,000", 1234567.6: "1,234,568", -4321: "-4,321"} {
		assert.Equal(t, want, thousands(v), "%v", v)
	}
	assert.Equal(t, 4, displayWidth("重要"))
	assert.Equal(t, 3, displayWidth("abc"))
}
