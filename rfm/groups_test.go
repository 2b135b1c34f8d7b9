package rfm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
)

// randomTxns draws purchases of nCust customers (some never buy) over 2026.
func randomTxns(rng *rand.Rand, nCust int) ([]segkit.Transaction, []string) {
	var txns []segkit.Transaction
	keys := make([]string, nCust)
	for c := range nCust {
		keys[c] = fmt.Sprintf("c%03d", c)
		for range rng.IntN(6) {
			d := segkit.Date(2026, 1, 1).AddDays(rng.IntN(365))
			txns = append(txns, segkit.Transaction{Customer: keys[c], At: d.Time(nil).Add(time.Hour),
				Amount: float64(10 + rng.IntN(300))})
		}
	}
	rng.Shuffle(len(txns), func(i, j int) { txns[i], txns[j] = txns[j], txns[i] })
	return txns, keys
}

// naiveGroups is the reference: per customer orders and spend up to now,
// thresholds at the median by sorting, A for everyone else.
func naiveGroups(txns []segkit.Transaction, keys []string, now segkit.Day, fa, va float64) (map[string]AEGroup, float64, float64) {
	orders, spend := map[string]float64{}, map[string]float64{}
	for _, t := range txns {
		if segkit.DayOf(t.At, nil) <= now {
			orders[t.Customer]++
			spend[t.Customer] += t.Amount
		}
	}
	median := func(m map[string]float64, f func(string) float64) float64 {
		var v []float64
		for k := range m {
			v = append(v, f(k))
		}
		sort.Float64s(v)
		if len(v) == 0 {
			return 0
		}
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	if fa <= 0 {
		fa = median(orders, func(k string) float64 { return orders[k] })
		va = median(orders, func(k string) float64 { return spend[k] / orders[k] })
	}
	out := map[string]AEGroup{}
	for _, k := range keys {
		o, ok := orders[k]
		if !ok {
			out[k] = GroupA
			continue
		}
		hiF, hiV := o > fa, spend[k]/o > va
		switch {
		case hiF && hiV:
			out[k] = GroupE
		case hiF:
			out[k] = GroupD
		case hiV:
			out[k] = GroupC
		default:
			out[k] = GroupB
		}
	}
	return out, fa, va
}

func TestAEGroupsAgainstNaive(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 99))
		txns, keys := randomTxns(rng, 20+rng.IntN(200))
		from, to := segkit.Date(2026, 6, 30), segkit.Date(2026, 12, 31)
		tr, g1, g2, err := TransitionReport(slices.Values(txns), from.Time(nil), to.Time(nil), keys, DefaultConfig(), AEConfig{})
		require.NoError(t, err)
		want1, fa, va := naiveGroups(txns, keys, from, 0, 0)
		want2, _, _ := naiveGroups(txns, keys, to, fa, va)
		require.InDelta(t, fa, g1.FrequencyAbove, 1e-9)
		require.InDelta(t, va, g1.OrderValueAbove, 1e-9)
		require.Equal(t, g1.FrequencyAbove, g2.FrequencyAbove, "the second day keeps the first day's thresholds")
		var counts [5][5]int
		for _, k := range keys {
			got1, ok := g1.Of(k)
			require.True(t, ok)
			require.Equal(t, want1[k], got1, "%s on %s", k, from)
			got2, _ := g2.Of(k)
			require.Equal(t, want2[k], got2, "%s on %s", k, to)
			counts[got1-1][got2-1]++
		}
		require.Equal(t, counts, tr.Counts)
		require.Equal(t, [5]int{}, tr.New)
		require.Equal(t, len(keys), g1.Len())
		// Nobody moves back to A once they bought.
		for j := 1; j < 5; j++ {
			require.Zero(t, tr.Counts[j][0])
		}
	}
}

func TestAEGroupsNamesAndReport(t *testing.T) {
	require.Equal(t, "E 高频高客单 (Core)", GroupE.String())
	require.Equal(t, "A", GroupA.Letter())
	require.Equal(t, "Prospects", GroupA.Alias())
	require.Equal(t, "AEGroup(0)", AEGroup(0).String())

	day := func(m time.Month, d int) time.Time { return segkit.Date(2026, m, d).Time(nil) }
	tx := func(c string, t time.Time, amt float64) segkit.Transaction {
		return segkit.Transaction{Customer: c, At: t, Amount: amt}
	}
	txns := []segkit.Transaction{
		tx("ann", day(1, 5), 500), tx("ann", day(2, 5), 500), tx("ann", day(8, 5), 400), // E → E
		tx("bob", day(3, 1), 20), // B, then D with two more small orders
		tx("bob", day(9, 1), 30), tx("bob", day(10, 1), 25),
		tx("cat", day(4, 1), 900),                          // C → C
		tx("dan", day(2, 1), 30), tx("dan", day(3, 1), 40), // D, then E with big orders
		tx("dan", day(9, 1), 900), tx("dan", day(9, 20), 900),
		tx("eve", day(9, 1), 60), // A → B
	}
	cfg := AEConfig{FrequencyAbove: 1, OrderValueAbove: 100}
	tr, _, g2, err := TransitionReport(slices.Values(txns), segkit.Date(2026, 6, 30).Time(nil), segkit.Date(2026, 12, 31).Time(nil),
		[]string{"ann", "bob", "cat", "dan", "eve", "fay"}, DefaultConfig(), cfg)
	require.NoError(t, err)
	require.Equal(t, [5]int{1, 1, 1, 1, 2}, g2.Counts)
	require.Equal(t, []Move{{GroupA, GroupB, 1}, {GroupB, GroupD, 1}, {GroupD, GroupE, 1}}, tr.Moves())
	golden(t, "ae_transitions.golden", func(b *bytes.Buffer) { require.NoError(t, tr.WriteText(b)) })
	golden(t, "ae_transitions.svg", func(b *bytes.Buffer) { require.NoError(t, tr.WriteSVG(b)) })
}
