package campaign

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

func TestAttributeLabels(t *testing.T) {
	cfg := bitmapindex.DefaultConfig()
	cfg.Schema = []bitmapindex.Attribute{
		{Name: "persona", Kind: bitmapindex.KindCategory},
		{Name: "age", Kind: bitmapindex.KindInt},
	}
	ix, err := bitmapindex.New(cfg)
	require.NoError(t, err)
	personas := []string{"student", "mother", "office worker"}
	b := ix.NewBatch()
	for i := range 300 {
		k := keyOf(i)
		b.Add(k)
		if i%4 != 3 {
			b.Set(k, "persona", bitmapindex.Category(personas[i%4]))
		}
		b.Set(k, "age", bitmapindex.Int(int64(20+i%40)))
	}
	require.NoError(t, b.Commit())
	v := ix.View()
	label, err := AttributeLabels(v, "persona")
	require.NoError(t, err)
	for i := range 300 {
		got, ok := label(keyOf(i))
		if i%4 == 3 {
			assert.False(t, ok, "customer without a persona")
			continue
		}
		require.True(t, ok)
		assert.Equal(t, personas[i%4], got)
	}
	_, ok := label("stranger")
	assert.False(t, ok)

	_, err = AttributeLabels(v, "nope")
	assert.ErrorIs(t, err, ErrAttribute)
	_, err = AttributeLabels(v, "age")
	assert.ErrorIs(t, err, ErrAttribute)
	_, err = AttributeLabels(nil, "persona")
	assert.ErrorIs(t, err, ErrAttribute)

	// End to end: outcomes broken down by persona.
	sp := MustSplitter("labels", Group{"control", 0.5}, Group{"T", 0.5})
	var outs []Outcome
	for i := range 300 {
		outs = append(outs, Outcome{Key: keyOf(i), Converted: i%3 == 0})
	}
	a := sp.Analysis("control")
	a.Label = label
	res, err := a.Run(slices.Values(outs), DefaultConfig())
	require.NoError(t, err)
	var got []string
	for _, s := range res.Slices {
		got = append(got, s.Label)
		if s.Labeled {
			assert.Equal(t, 75, s.Results.Customers)
		}
	}
	assert.Equal(t, []string{"mother", "office worker", "student", ""}, got)
}
