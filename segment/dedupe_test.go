package segment

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

// TestUnknownAttributeOnce: an unknown attribute compared with a list of
// four values is reported once, at compile time with a schema and at
// evaluation without one; distinct problems are all kept.
func TestUnknownAttributeOnce(t *testing.T) {
	schema := WithSchema([]bitmapindex.Attribute{{Name: "city", Kind: bitmapindex.KindCategory}})
	_, err := Compile(`nosuch in ["a","b","c","d"]`, schema)
	var el ErrorList
	require.True(t, errors.As(err, &el))
	require.Len(t, el, 1, err.Error())
	assert.Contains(t, el[0].Msg, `unknown attribute "nosuch"`)

	r, err := Compile(`nosuch in ["a","b","c","d"]`)
	require.NoError(t, err)
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	_, err = r.Eval(t.Context(), ix.View(), dedupeNow)
	require.True(t, errors.As(err, &el))
	assert.Len(t, el, 1, err.Error())
	if _, err = r.Match(bitmapindex.Profile{Key: "a", Schema: map[string]bitmapindex.Attribute{}}, dedupeNow); errors.As(err, &el) {
		assert.Len(t, el, 1, err.Error())
	}

	_, err = Compile(`nosuch in ["a"] || other == 1`, schema)
	require.True(t, errors.As(err, &el))
	assert.Len(t, el, 2, "two attributes, two problems")
}

var dedupeNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// TestRegistrySeesAttributesAddedLater: with WithSchemaOf(ix), a segment
// defined after a model declared its attribute compiles against it; with
// the snapshot WithSchema(ix.Schema()) taken before, it does not.
func TestRegistrySeesAttributesAddedLater(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{Strict: true})
	require.NoError(t, err)
	live := NewRegistry(WithSchemaOf(ix))
	frozen := NewRegistry(WithSchema(ix.Schema()))
	def := Definition{Name: "champions", Rule: `rfm_segment in ["Champions", "Loyal"]`}
	assert.Error(t, live.Define(def), "not declared yet")

	require.NoError(t, ix.Declare(bitmapindex.Attribute{Name: "rfm_segment", Kind: bitmapindex.KindCategory}))
	require.NoError(t, ix.Set("ann", "rfm_segment", bitmapindex.Category("Champions")))
	require.NoError(t, live.Define(def))
	s, err := live.Eval(t.Context(), "champions", ix.View(), dedupeNow)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Len())
	assert.Error(t, frozen.Define(def), "WithSchema keeps the schema of its moment")

	// A kind mismatch against the live schema is still a compile error.
	_, err = Compile(`rfm_segment > 3`, WithSchemaOf(ix))
	assert.Error(t, err)
}
