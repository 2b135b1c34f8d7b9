package bitmapindex

import (
	"fmt"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// TestExactBuilder: built bitmaps hold their IDs (array and bitmap
// containers, a full container, several containers), and the bitmaps they
// were merged into keep their IDs when the builder builds again and when
// the receiver is written afterwards (the shared containers are copied
// first).
func TestExactBuilder(t *testing.T) {
	r := randSource(7)
	var eb exactBuilder
	shapes := map[string][]uint32{
		"one":        {5},
		"array":      {1, 2, 3, 70000, 70001},
		"max array":  seq(0, arrayMaxCard, 1),
		"bitmap":     seq(0, arrayMaxCard+1, 1),
		"full":       seq(1<<16, 1<<16, 1),
		"spread":     seq(3, 20000, 977),
		"last ID":    {0, 1<<32 - 2, 1<<32 - 1},
		"containers": nil,
	}
	for range 30000 {
		shapes["containers"] = append(shapes["containers"], uint32(r.IntN(1<<22)))
	}
	slices.Sort(shapes["containers"])
	shapes["containers"] = slices.Compact(shapes["containers"])
	for name, ids := range shapes {
		t.Run(name, func(t *testing.T) {
			want := roaring.BitmapOf(ids...)
			require.True(t, want.Equals(eb.build(ids)))
			dst := roaring.BitmapOf(1<<20+1, 1<<31)
			dst.SetCopyOnWrite(true)
			eb.orInto(dst, ids)
			want.Or(roaring.BitmapOf(1<<20+1, 1<<31))
			require.True(t, want.Equals(dst))
			require.NoError(t, dst.Validate())
			eb.build(seq(0, 5000, 3)) // the builder's next bitmap
			require.True(t, want.Equals(dst), "after another build")
			for _, id := range ids[:min(len(ids), 50)] {
				dst.Remove(id) // writes copy the shared containers
				want.Remove(id)
			}
			dst.Add(9)
			want.Add(9)
			require.True(t, want.Equals(dst), "after writes")
		})
	}
	require.Equal(t, fmt.Sprint([]uint32{}), fmt.Sprint(eb.build(nil).ToArray()))
}

// seq returns n IDs from first, step apart.
func seq(first uint32, n int, step uint32) []uint32 {
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = first + uint32(i)*step
	}
	return ids
}
