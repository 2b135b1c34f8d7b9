package bitmapindex_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

// TestDecimalNeedsScale: a decimal declared without a scale is an error
// naming the attribute, never a silent decimal(0) that stores 12.34 as 12.
func TestDecimalNeedsScale(t *testing.T) {
	_, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{{Name: "spend", Kind: bitmapindex.KindDecimal}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"spend"`)
	assert.Contains(t, err.Error(), "explicit Scale")
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	assert.ErrorContains(t, ix.Declare(bitmapindex.Attribute{Name: "spend", Kind: bitmapindex.KindDecimal}), "explicit Scale")
	require.NoError(t, ix.Declare(bitmapindex.Attribute{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2}))
	require.NoError(t, ix.Set("a", "spend", bitmapindex.Decimal(12.34)))
	p, _ := ix.View().Profile("a")
	got, _ := p.Attrs["spend"].AsDecimal()
	assert.Equal(t, 12.34, got)
	_, _, err = bitmapindex.ParseKind("decimal(0)")
	assert.Error(t, err)
}

func TestDeclareAllAndClearStale(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	attrs := []bitmapindex.Attribute{{Name: "seg", Kind: bitmapindex.KindCategory}, {Name: "score", Kind: bitmapindex.KindInt}}
	require.NoError(t, ix.DeclareAll(attrs))
	require.NoError(t, ix.DeclareAll(attrs), "declaring again is no error")
	assert.Error(t, ix.DeclareAll([]bitmapindex.Attribute{{Name: "seg", Kind: bitmapindex.KindInt}}))
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, ix.Set(k, "seg", bitmapindex.Category("x")))
	}
	b := ix.NewBatch()
	require.NoError(t, bitmapindex.ClearStale(b, ix.View(), "seg", func(k string) bool { return k == "b" }))
	require.NoError(t, bitmapindex.ClearStale(b, ix.View(), "nosuch", func(string) bool { return false }))
	require.NoError(t, b.Commit())
	s, err := ix.View().Present("seg")
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, slices.Collect(s.Keys()))
	assert.Error(t, bitmapindex.ClearStale(nil, ix.View(), "seg", nil))
}
