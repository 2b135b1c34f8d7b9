package campaign

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

// population builds an index of n customers keyOf(0..n-1); each customer
// gets tag t with probability density[t].
func population(tb testing.TB, n int, seed uint64, density map[string]float64) *bitmapindex.Index {
	tb.Helper()
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(tb, err)
	addPopulation(tb, ix, 0, n, seed, density)
	return ix
}

func addPopulation(tb testing.TB, ix *bitmapindex.Index, from, to int, seed uint64, density map[string]float64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(from)))
	tags := make([]string, 0, len(density))
	for t := range density {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	b := ix.NewBatch()
	for i := from; i < to; i++ {
		k := keyOf(i)
		b.Add(k)
		for _, t := range tags {
			if rng.Float64() < density[t] {
				b.AddTag(k, t)
			}
		}
		if b.Len() >= 100_000 {
			require.NoError(tb, b.Commit())
			b = ix.NewBatch()
		}
	}
	require.NoError(tb, b.Commit())
}

// keysOf returns the keys of a Set, sorted.
func keysOf(s bitmapindex.Set) []string {
	out := slices.Collect(s.Keys())
	slices.Sort(out)
	return out
}

// setOf returns the keys of a Set as a map.
func setOf(s bitmapindex.Set) map[string]bool {
	m := map[string]bool{}
	for k := range s.Keys() {
		m[k] = true
	}
	return m
}
