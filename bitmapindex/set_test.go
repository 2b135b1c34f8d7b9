package bitmapindex

import (
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetOperations(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	for _, k := range []string{"a", "b", "c", "d"} {
		ix.Add(k)
	}
	require.NoError(t, ix.AddTag("a", "x"))
	require.NoError(t, ix.AddTag("b", "x"))
	require.NoError(t, ix.AddTag("b", "y"))
	require.NoError(t, ix.AddTag("c", "y"))
	v := ix.View()
	x, y := v.Tag("x"), v.Tag("y")
	keys := func(s Set) []string { return slices.Collect(s.Keys()) }
	assert.Equal(t, []string{"b"}, keys(x.And(y)))
	assert.Equal(t, []string{"a", "b", "c"}, keys(x.Or(y)))
	assert.Equal(t, []string{"a"}, keys(x.AndNot(y)))
	assert.Equal(t, []uint32{0, 1}, slices.Collect(x.IDs()))
	assert.True(t, x.Contains(0))
	assert.True(t, x.ContainsKey("a"))
	assert.False(t, x.ContainsKey("c"))
	assert.False(t, x.ContainsKey("nobody"))

	var zero Set
	assert.Equal(t, 0, zero.Len())
	assert.False(t, zero.Contains(0))
	assert.Empty(t, keys(zero))
	assert.Equal(t, 0, zero.And(x).Len())
	assert.Equal(t, []string{"a", "b"}, keys(zero.Or(x)), "the view comes from the other operand")
	assert.Equal(t, 0, zero.AndNot(x).Len())
	assert.True(t, zero.Bitmap().IsEmpty())

	// Wrap drops IDs that are not live
	w := v.Wrap(roaring.BitmapOf(0, 3, 99))
	assert.Equal(t, []string{"a", "d"}, keys(w))

	// with every ID below n live, IDs at or past n are still dropped
	dense := mustNew(t, DefaultConfig())
	for _, k := range []string{"p", "q", "r"} {
		dense.Add(k)
	}
	dv := dense.View()
	assert.Equal(t, []string{"p", "r"}, keys(dv.Wrap(roaring.BitmapOf(0, 2))))
	assert.Equal(t, 1, dv.Wrap(roaring.BitmapOf(1, 3)).Len(), "ID 3 is the first past the live ones")
	assert.Equal(t, []string{"q"}, keys(dv.Wrap(roaring.BitmapOf(1, 3, 1000))))
}

func TestSetPortableRoundTrip(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	for i := range 70000 {
		if i%3 == 0 {
			require.NoError(t, ix.AddTag(string(rune(0x4e00+i)), "t"))
		} else {
			ix.Add(string(rune(0x4e00 + i)))
		}
	}
	v := ix.View()
	s := v.Tag("t")
	data, err := s.MarshalBinary()
	require.NoError(t, err)
	// the bytes are plain portable roaring: any roaring library reads them
	other := roaring.New()
	require.NoError(t, other.UnmarshalBinary(data))
	assert.True(t, other.Equals(s.Bitmap()))
	back, err := ReadSet(v, data)
	require.NoError(t, err)
	assert.Equal(t, s.Len(), back.Len())
	assert.True(t, back.Bitmap().Equals(s.Bitmap()))

	empty, err := Set{}.MarshalBinary()
	require.NoError(t, err)
	e, err := ReadSet(v, empty)
	require.NoError(t, err)
	assert.Equal(t, 0, e.Len())
}

func TestReadSetRejects(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	ix.Add("a")
	ix.Add("b")
	ix.Delete("b")
	v := ix.View()
	good, _ := roaring.BitmapOf(0).ToBytes()
	dead, _ := roaring.BitmapOf(0, 1).ToBytes()
	beyond, _ := roaring.BitmapOf(0, 1000).ToBytes()
	tests := []struct {
		name string
		data []byte
		sub  string
	}{
		{"empty input", nil, "corrupt"},
		{"garbage", []byte("hello world, not roaring"), "corrupt"},
		{"truncated", good[:len(good)-1], "corrupt"},
		{"trailing bytes", append(slices.Clone(good), 0), "trailing"},
		{"deleted ID", dead, "not live"},
		{"unknown ID", beyond, "not live"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSet(v, tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.sub)
		})
	}
	_, err := ReadSet(nil, good)
	require.Error(t, err)
	// every truncation of a valid encoding is an error, never a panic
	for n := range len(good) {
		_, err := ReadSet(v, good[:n])
		require.Error(t, err, "prefix %d", n)
	}
}
