package lifecycle

import (
	"math"
	"slices"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/clv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keysOf(t *testing.T, s bitmapindex.Set) []string {
	t.Helper()
	ks := slices.Collect(s.Keys())
	slices.Sort(ks)
	return ks
}

func TestIndexUpdate(t *testing.T) {
	ps := randomPurchases(300, 5)
	h, err := NewHistories(slices.Values(txnsOf(ps)), slices.Values([]string{"prospect-1"}), nil)
	require.NoError(t, err)
	asOf := segkit.Date(2024, 10, 1)
	snap, err := h.stages(asOf, DefaultConfig())
	require.NoError(t, err)
	tab, err := clv.Summarize(slices.Values(txnsOf(ps)), clv.SummaryConfig{CalibrationEnd: asOf, Unit: clv.Weeks})
	require.NoError(t, err)
	m, _, err := clv.FitBGNBD(tab.Customers, clv.FitConfig{})
	require.NoError(t, err)
	preds, err := clv.Predict(m, tab.Customers, 52)
	require.NoError(t, err)
	for i := range tab.Customers {
		tab.Customers[i].Monetary = 10 + float64(i%7) // give repeat buyers a spend
	}
	values, err := clv.CLVAll(m, clv.GammaGamma{P: 6, Q: 4, Gamma: 15}, tab.Customers, clv.DefaultCLVConfig(clv.Weeks))
	require.NoError(t, err)

	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ix.AddTag("someone-else", "vip"))
	require.NoError(t, ix.Set("someone-else", "lifecycle_stage", bitmapindex.Category("mature")))
	cfg := DefaultIndexConfig()
	out := Output{Stages: snap, Predictions: preds, CLV: values}
	require.NoError(t, Update(ix, out, cfg))
	v := ix.View()

	// Each stage's members in the index are exactly the snapshot's.
	for _, st := range AllStages() {
		var want []string
		for _, a := range snap.Assignments {
			if a.Stage == st {
				want = append(want, a.Customer)
			}
		}
		got, err := v.WithValue("lifecycle_stage", st.String())
		if len(want) == 0 {
			if err == nil {
				assert.Zero(t, got.Len(), "%s", st)
			}
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, want, keysOf(t, got), "%s", st)
	}
	// The stale stage of a customer not in the snapshot was cleared.
	p, ok := v.Profile("someone-else")
	require.True(t, ok)
	_, has := p.Attrs["lifecycle_stage"]
	assert.False(t, has)

	attr, ok := v.Attribute("p_alive")
	require.True(t, ok)
	assert.Equal(t, bitmapindex.Attribute{Name: "p_alive", Kind: bitmapindex.KindDecimal, Scale: 4}, attr)
	// Range queries on the written decimals select the right customers.
	likely, err := v.Compare("p_alive", bitmapindex.Ge, bitmapindex.Decimal(0.5))
	require.NoError(t, err)
	var want []string
	for _, pr := range preds {
		if math.Round(pr.PAlive*1e4)/1e4 >= 0.5 {
			want = append(want, pr.Customer)
		}
	}
	slices.Sort(want)
	assert.Equal(t, want, keysOf(t, likely))
	for i, pr := range preds[:20] {
		p, ok := v.Profile(pr.Customer)
		require.True(t, ok)
		got, _ := p.Attrs["expected_purchases"].AsDecimal()
		assert.InDelta(t, pr.ExpectedPurchases, got, 0.5e-4)
		got, _ = p.Attrs["clv"].AsDecimal()
		assert.InDelta(t, values[i], got, 0.005)
	}

	// A second, smaller output clears what it no longer covers; NaN clears.
	small := Output{Predictions: []clv.Prediction{{Customer: preds[0].Customer, PAlive: math.NaN(), ExpectedPurchases: 1.5}}}
	require.NoError(t, Update(ix, small, cfg))
	v = ix.View()
	present, err := v.Present("expected_purchases")
	require.NoError(t, err)
	assert.Equal(t, []string{preds[0].Customer}, keysOf(t, present))
	present, err = v.Present("p_alive")
	require.NoError(t, err)
	assert.Zero(t, present.Len())
	present, err = v.Present("clv")
	require.NoError(t, err)
	assert.Equal(t, len(preds), present.Len(), "clv untouched when the output has none")
	st, err := v.Present("lifecycle_stage")
	require.NoError(t, err)
	assert.Equal(t, len(snap.Assignments), st.Len(), "stages untouched when the output has none")
}

func TestIndexErrors(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	cfg := DefaultIndexConfig()
	assert.EqualError(t, Update(nil, Output{}, cfg), "lifecycle: index: nil index")
	assert.EqualError(t, Apply(nil, Output{}, cfg), "lifecycle: index: nil batch")
	assert.EqualError(t, Update(ix, Output{Predictions: []clv.Prediction{{Customer: "a"}}, CLV: []float64{1, 2}}, cfg), "lifecycle: index: 2 CLV values for 1 predictions")
	assert.EqualError(t, Update(ix, Output{Predictions: []clv.Prediction{{PAlive: 1}}}, cfg), "lifecycle: index: prediction 0 has no customer key")
	assert.EqualError(t, Update(ix, Output{Predictions: []clv.Prediction{{Customer: "a", PAlive: math.Inf(1)}}}, cfg), `lifecycle: index: customer "a": p_alive +Inf is not finite`)
	require.NoError(t, ix.Declare(bitmapindex.Attribute{Name: "clv", Kind: bitmapindex.KindInt}))
	err = Update(ix, Output{Predictions: []clv.Prediction{{Customer: "a"}}, CLV: []float64{3}}, cfg)
	assert.ErrorContains(t, err, "lifecycle: index: bitmapindex: attribute \"clv\" is already declared as int, not decimal(2)")
	assert.Equal(t, 0, ix.Len(), "a failed update writes nothing")
	snap := &Snapshot{Assignments: []Assignment{{Customer: "x"}}}
	assert.EqualError(t, Apply(ix.NewBatch(), Output{Stages: snap}, cfg), `lifecycle: index: customer "x" has no stage`)
	// Empty names skip attributes.
	none := IndexConfig{}
	assert.Empty(t, none.Attributes(Output{Stages: &Snapshot{}, Predictions: []clv.Prediction{}, CLV: []float64{}}))
	require.NoError(t, Update(ix, Output{Predictions: []clv.Prediction{{Customer: "b", PAlive: 0.3}}}, none))
}
