package rfm

import (
	"slices"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateIndex(t *testing.T) {
	txns := []segkit.Transaction{
		tx("a", "2024-03-30", 100), tx("a", "2024-03-01", 100), tx("a", "2024-02-01", 100),
		tx("b", "2024-01-01", 5),
		tx("c", "2024-03-15", 40), tx("c", "2024-03-16", 40),
		tx("d", "2023-06-01", 300),
	}
	cfg := DefaultConfig()
	cfg.Bins = 3
	cfg.Cycles = true
	res, err := Analyze(slices.Values(txns), day("2024-03-31"), cfg)
	require.NoError(t, err)
	scheme := MustScheme(SchemeDef{Name: "s3", Bins: 3, Rules: []Rule{
		{Name: "best", Pattern: "3**"}, {Name: "lapsed", R: Range{1, 1}},
	}})
	segs, err := res.Segment(scheme)
	require.NoError(t, err)
	vt, err := res.Value(DefaultValueConfig())
	require.NoError(t, err)
	lt, err := res.Loyalty(DefaultLoyaltyConfig())
	require.NoError(t, err)
	out := Output{Result: res, Segments: segs, Value: vt.Assignment, Loyalty: lt.Assignment}

	ixCfg := bitmapindex.DefaultConfig()
	ixCfg.Strict = true // Update declares what it writes
	ix, err := bitmapindex.New(ixCfg)
	require.NoError(t, err)
	ix.Add("z") // a customer with no purchases: untouched
	require.NoError(t, Update(ix, out, DefaultIndexConfig()))

	v := ix.View()
	assert.Equal(t, 5, v.Len())
	for _, c := range res.Customers {
		p, ok := v.Profile(c.Key)
		require.True(t, ok, c.Key)
		seg, _ := segs.Of(c.Key)
		assert.Equal(t, bitmapindex.Category(seg), p.Attrs["rfm_segment"], c.Key)
		assert.Equal(t, bitmapindex.Category(c.Score.String()), p.Attrs["rfm_score"], c.Key)
		assert.Equal(t, bitmapindex.Int(int64(c.Score.R)), p.Attrs["rfm_r"], c.Key)
		assert.Equal(t, bitmapindex.Int(int64(c.Score.F)), p.Attrs["rfm_f"], c.Key)
		assert.Equal(t, bitmapindex.Int(int64(c.Score.M)), p.Attrs["rfm_m"], c.Key)
		vtier, _ := vt.Of(c.Key)
		assert.Equal(t, bitmapindex.Category(vtier), p.Attrs["value_tier"], c.Key)
		ltier, _ := lt.Of(c.Key)
		assert.Equal(t, bitmapindex.Category(ltier), p.Attrs["loyalty_tier"], c.Key)
	}
	pz, _ := v.Profile("z")
	assert.Empty(t, pz.Attrs)
	// Rules select on model output like on any attribute.
	best, err := v.WithValue("rfm_segment", "best")
	require.NoError(t, err)
	assert.Equal(t, slices.Collect(segs.Members("best")), slices.Collect(best.Keys()))
	r3, err := v.Compare("rfm_r", bitmapindex.Ge, bitmapindex.Int(3))
	require.NoError(t, err)
	assert.Equal(t, best.Len(), r3.Len())

	// Next run: d's only purchase is no longer in the data; its attributes
	// are cleared, the others are overwritten.
	res2, err := Analyze(slices.Values(txns[:6]), day("2024-04-30"), cfg)
	require.NoError(t, err)
	segs2, err := res2.Segment(scheme)
	require.NoError(t, err)
	require.NoError(t, Update(ix, Output{Result: res2, Segments: segs2}, DefaultIndexConfig()))
	v = ix.View()
	pd, ok := v.Profile("d")
	require.True(t, ok, "the customer stays in the index")
	assert.NotContains(t, pd.Attrs, "rfm_segment")
	assert.NotContains(t, pd.Attrs, "rfm_score")
	assert.Contains(t, pd.Attrs, "value_tier", "not written this run, so not cleared either")
	pa, _ := v.Profile("a")
	a2, _ := res2.Lookup("a")
	assert.Equal(t, bitmapindex.Category(a2.Score.String()), pa.Attrs["rfm_score"])
}

func TestApplyScoresAsCategories(t *testing.T) {
	res, err := Analyze(slices.Values([]segkit.Transaction{tx("a", "2024-03-30", 1), tx("b", "2024-03-01", 2)}), day("2024-03-31"), Config{Bins: 2})
	require.NoError(t, err)
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	b := ix.NewBatch()
	cfg := IndexConfig{R: "r", F: "f", M: "m", ScoresAsCategories: true} // only the scores
	require.NoError(t, Apply(b, Output{Result: res}, cfg))
	require.NoError(t, b.Commit())
	v := ix.View()
	vals, err := v.Values("r")
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, vals)
	_, ok := v.Attribute("rfm_segment")
	assert.False(t, ok)
	assert.Equal(t, []bitmapindex.Attribute{
		{Name: "r", Kind: bitmapindex.KindCategory}, {Name: "f", Kind: bitmapindex.KindCategory}, {Name: "m", Kind: bitmapindex.KindCategory},
	}, cfg.Attributes(Output{Result: res}))
}

func TestIndexErrors(t *testing.T) {
	txns := []segkit.Transaction{tx("a", "2024-03-30", 1)}
	res, err := Analyze(slices.Values(txns), day("2024-03-31"), DefaultConfig())
	require.NoError(t, err)
	other, err := Analyze(slices.Values(txns), day("2024-03-31"), DefaultConfig())
	require.NoError(t, err)
	segs, err := other.Segment(mustPreset(t, "rfm10"))
	require.NoError(t, err)
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)

	assert.EqualError(t, Update(ix, Output{}, DefaultIndexConfig()), "rfm: index: Output.Result is nil")
	assert.EqualError(t, Update(ix, Output{Result: res, Segments: segs}, DefaultIndexConfig()),
		"rfm: index: Output.Segments comes from a different Result")
	assert.Error(t, Update(nil, Output{Result: res}, DefaultIndexConfig()))
	assert.Error(t, Apply(nil, Output{Result: res}, DefaultIndexConfig()))

	// An attribute that exists with another kind: nothing is written.
	require.NoError(t, ix.Set("a", "rfm_r", bitmapindex.Category("x")))
	err = Update(ix, Output{Result: res}, DefaultIndexConfig())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rfm_r")
	p, _ := ix.View().Profile("a")
	assert.NotContains(t, p.Attrs, "rfm_score")
}
