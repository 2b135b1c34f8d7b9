package campaign

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

func checkChanges(t *testing.T, was, is map[string]bool, c *Changes) {
	t.Helper()
	want := DiffKeys(slices.Values(sortedKeys(was)), slices.Values(sortedKeys(is)))
	// The naive reference.
	var entered, left, stayed []string
	for k := range is {
		if was[k] {
			stayed = append(stayed, k)
		} else {
			entered = append(entered, k)
		}
	}
	for k := range was {
		if !is[k] {
			left = append(left, k)
		}
	}
	slices.Sort(entered)
	slices.Sort(left)
	slices.Sort(stayed)
	assert.Equal(t, entered, want.Entered)
	assert.Equal(t, left, want.Left)
	assert.Equal(t, stayed, want.Stayed)

	assert.Equal(t, entered, nilIfEmpty(keysOf(c.Entered)), "entered")
	assert.Equal(t, left, nilIfEmpty(keysOf(c.Left)), "left")
	assert.Equal(t, stayed, nilIfEmpty(keysOf(c.Stayed)), "stayed")
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// Property test: Diff by key equals the naive map-based diff, between views
// of one index with deletions, re-additions (new IDs) and tag changes in
// between, within one view, and across two indexes with different IDs.
func TestDiffMatchesNaive(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			ix := population(t, 2000, seed, map[string]float64{"seg": 0.4, "other": 0.5})
			v1 := ix.View()
			was := setOf(v1.Tag("seg"))

			b := ix.NewBatch()
			for i := range 2600 {
				k := keyOf(rng.IntN(2600)) // some beyond 2000: new customers
				switch rng.IntN(5) {
				case 0:
					b.Delete(k)
				case 1:
					b.Delete(k)
					b.AddTag(k, "seg") // comes back with a new ID
				case 2:
					b.AddTag(k, "seg")
				case 3:
					b.RemoveTag(k, "seg")
				default:
					b.AddTag(keyOf(2600+i), "other")
				}
			}
			require.NoError(t, b.Commit())
			v2 := ix.View()
			is := setOf(v2.Tag("seg"))

			c, err := Diff(v1, v1.Tag("seg"), v2, v2.Tag("seg"))
			require.NoError(t, err)
			checkChanges(t, was, is, c)
			// Left is a set of the old view, which still knows the deleted.
			for k := range c.Left.Keys() {
				_, ok := v1.ID(k)
				require.True(t, ok)
			}

			// Within one view: two segments.
			c, err = Diff(v2, v2.Tag("other"), v2, v2.Tag("seg"))
			require.NoError(t, err)
			checkChanges(t, setOf(v2.Tag("other")), is, c)

			// Across indexes: the same customers inserted in another order.
			keys := sortedKeys(is)
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			other, err := bitmapindex.New(bitmapindex.DefaultConfig())
			require.NoError(t, err)
			ob := other.NewBatch()
			for i, k := range keys {
				if i%4 != 0 {
					ob.AddTag(k, "seg")
				} else {
					ob.Add(k)
				}
			}
			ob.AddTag("newcomer", "seg")
			require.NoError(t, ob.Commit())
			ov := other.View()
			c, err = Diff(v1, v1.Tag("seg"), ov, ov.Tag("seg"))
			require.NoError(t, err)
			checkChanges(t, was, setOf(ov.Tag("seg")), c)
		})
	}
}

func TestDiffEdgeCases(t *testing.T) {
	ix := population(t, 200, 5, map[string]float64{"a": 0.5})
	v := ix.View()
	c, err := Diff(v, bitmapindex.Set{}, v, v.Tag("a"))
	require.NoError(t, err)
	assert.Equal(t, v.Tag("a").Len(), c.Entered.Len())
	assert.Zero(t, c.Left.Len())

	v2 := population(t, 10, 6, nil).View()
	c, err = Diff(v, v.Tag("a"), v2, bitmapindex.Set{})
	require.NoError(t, err)
	assert.Equal(t, v.Tag("a").Len(), c.Left.Len())
	assert.Zero(t, c.Stayed.Len())

	_, err = Diff(nil, v.Tag("a"), v, v.Tag("a"))
	assert.ErrorIs(t, err, ErrForeignSet)
	_, err = Diff(v, v.Tag("a"), nil, v.Tag("a"))
	assert.ErrorIs(t, err, ErrForeignSet)

	// A Set of another index passed with the wrong view.
	rev, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	rb := rev.NewBatch()
	for i := 199; i >= 0; i-- {
		rb.AddTag(keyOf(i), "a")
	}
	require.NoError(t, rb.Commit())
	foreign := rev.View().Tag("a")
	_, err = Diff(v, foreign, v2, bitmapindex.Set{})
	assert.ErrorIs(t, err, ErrForeignSet)
	_, err = Diff(v2, bitmapindex.Set{}, v, foreign)
	assert.ErrorIs(t, err, ErrForeignSet)
}

func TestDiffKeys(t *testing.T) {
	c := DiffKeys(slices.Values([]string{"a", "b", "c", "a"}), slices.Values([]string{"c", "d", "d", "b"}))
	assert.Equal(t, KeyChanges{Entered: []string{"d"}, Left: []string{"a"}, Stayed: []string{"b", "c"}}, c)
	assert.Equal(t, KeyChanges{}, DiffKeys(slices.Values([]string(nil)), slices.Values([]string(nil))))
}
