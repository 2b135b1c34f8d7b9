package bitmapindex_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

func diffKey(i int) string { return fmt.Sprintf("cust-%07d", i) }

// diffPopulation is an index of n customers tagged at random with the
// given densities.
func diffPopulation(tb testing.TB, n int, seed uint64, density map[string]float64) *bitmapindex.Index {
	tb.Helper()
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(tb, err)
	rng := rand.New(rand.NewPCG(seed, 1))
	tags := make([]string, 0, len(density))
	for t := range density {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	b := ix.NewBatch()
	for i := range n {
		b.Add(diffKey(i))
		for _, t := range tags {
			if rng.Float64() < density[t] {
				b.AddTag(diffKey(i), t)
			}
		}
	}
	require.NoError(tb, b.Commit())
	return ix
}

func keySet(s bitmapindex.Set) map[string]bool {
	m := map[string]bool{}
	for k := range s.Keys() {
		m[k] = true
	}
	return m
}

func sortedKeysOf(s bitmapindex.Set) []string {
	out := slices.Collect(s.Keys())
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkChanges compares c with the naive map-based diff of was and is.
func checkChanges(t *testing.T, was, is map[string]bool, c bitmapindex.Changes) {
	t.Helper()
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
	assert.Equal(t, entered, sortedKeysOf(c.Entered), "entered")
	assert.Equal(t, left, sortedKeysOf(c.Left), "left")
	assert.Equal(t, stayed, sortedKeysOf(c.Stayed), "stayed")
	// By ID: each part's IDs are its members' IDs in its own view.
	for _, s := range []bitmapindex.Set{c.Entered, c.Left, c.Stayed} {
		for id, key := range s.Members() {
			got, ok := s.View().ID(key)
			require.True(t, ok)
			require.Equal(t, id, got, key)
		}
	}
}

// Property test: Diff by key equals the naive map-based diff, between views
// of one index with deletions, re-additions (new IDs) and tag changes in
// between, within one view, and across two indexes with different IDs.
func TestDiffMatchesNaive(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			ix := diffPopulation(t, 2000, seed, map[string]float64{"seg": 0.4, "other": 0.5})
			v1 := ix.View()
			was := keySet(v1.Tag("seg"))

			b := ix.NewBatch()
			for i := range 2600 {
				k := diffKey(rng.IntN(2600)) // some beyond 2000: new customers
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
					b.AddTag(diffKey(2600+i), "other")
				}
			}
			require.NoError(t, b.Commit())
			v2 := ix.View()
			is := keySet(v2.Tag("seg"))

			c, err := bitmapindex.Diff(v1.Tag("seg"), v2.Tag("seg"))
			require.NoError(t, err)
			checkChanges(t, was, is, c)
			// Left is a set of the old view, which still knows the deleted.
			assert.Same(t, v1, c.Left.View())
			assert.Same(t, v2, c.Entered.View())

			// Within one view: two segments.
			c, err = bitmapindex.Diff(v2.Tag("other"), v2.Tag("seg"))
			require.NoError(t, err)
			checkChanges(t, keySet(v2.Tag("other")), is, c)

			// Across indexes: the same customers inserted in another order.
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range is {
					if !yield(k) {
						return
					}
				}
			})
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
			c, err = bitmapindex.Diff(v1.Tag("seg"), ov.Tag("seg"))
			require.NoError(t, err)
			checkChanges(t, was, keySet(ov.Tag("seg")), c)
		})
	}
}

func TestDiffEdgeCases(t *testing.T) {
	ix := diffPopulation(t, 200, 5, map[string]float64{"a": 0.5})
	v := ix.View()
	c, err := bitmapindex.Diff(bitmapindex.Set{}, v.Tag("a"))
	require.NoError(t, err)
	assert.Equal(t, v.Tag("a").Len(), c.Entered.Len())
	assert.Zero(t, c.Left.Len())

	v2 := diffPopulation(t, 10, 6, nil).View()
	c, err = bitmapindex.Diff(v.Tag("a"), v2.Tag("none"))
	require.NoError(t, err)
	assert.Equal(t, v.Tag("a").Len(), c.Left.Len())
	assert.Zero(t, c.Stayed.Len())
	c, err = bitmapindex.Diff(v.Tag("a"), bitmapindex.Set{})
	require.NoError(t, err)
	assert.Equal(t, v.Tag("a").Len(), c.Left.Len())

	c, err = bitmapindex.Diff(bitmapindex.Set{}, bitmapindex.Set{})
	require.NoError(t, err)
	assert.Zero(t, c.Entered.Len()+c.Left.Len()+c.Stayed.Len())

	// A Set combined across two indexes holds IDs its view does not know.
	big := diffPopulation(t, 400, 7, map[string]float64{"a": 0.9}).View()
	mixed := v2.All().Or(big.Tag("a"))
	_, err = bitmapindex.Diff(mixed, v.Tag("a"))
	assert.ErrorIs(t, err, bitmapindex.ErrForeignSet)
}

// TestSetMembers: Members yields every member's ID with its key, in
// ascending ID order, stops when asked, and agrees with IDs and Keys.
func TestSetMembers(t *testing.T) {
	ix := diffPopulation(t, 3000, 9, map[string]float64{"a": 0.3})
	v := ix.View()
	s := v.Tag("a")
	var ids []uint32
	var keys []string
	for id, k := range s.Members() {
		ids = append(ids, id)
		keys = append(keys, k)
		got, ok := v.Key(id)
		require.True(t, ok)
		require.Equal(t, got, k)
	}
	assert.Equal(t, slices.Collect(s.IDs()), ids)
	assert.Equal(t, slices.Collect(s.Keys()), keys)
	assert.True(t, slices.IsSorted(ids))
	assert.Equal(t, s.Len(), len(ids))
	n := 0
	for range s.Members() {
		n++
		if n == 5 {
			break
		}
	}
	assert.Equal(t, 5, n)
	for range (bitmapindex.Set{}).Members() {
		t.Fatal("the zero Set has no members")
	}
}

func ExampleDiff() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	for _, k := range []string{"ann", "bob", "cai", "dee"} {
		ix.AddTag(k, "inactive_30d")
	}
	yesterday := ix.View()

	ix.RemoveTag("bob", "inactive_30d") // bob logged in
	ix.Delete("dee")                    // dee closed her account
	ix.AddTag("eve", "inactive_30d")    // eve stopped logging in
	today := ix.View()

	c, err := bitmapindex.Diff(yesterday.Tag("inactive_30d"), today.Tag("inactive_30d"))
	if err != nil {
		panic(err)
	}
	fmt.Println("entered:", slices.Collect(c.Entered.Keys()))
	fmt.Println("left:   ", slices.Collect(c.Left.Keys()))
	fmt.Println("stayed: ", slices.Collect(c.Stayed.Keys()))
	// Output:
	// entered: [eve]
	// left:    [bob dee]
	// stayed:  [ann cai]
}

// BenchmarkDiff: a segment of ~30 % of 1M customers, 1 % of whom changed,
// between two views of one index (the lookup path, not the same-view
// bitmap operations).
func BenchmarkDiff(b *testing.B) {
	const n = 1_000_000
	b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
		ix := diffPopulation(b, n, 3, map[string]float64{"seg": 0.3})
		v1 := ix.View()
		batch := ix.NewBatch()
		for i := 0; i < n; i += 100 {
			batch.RemoveTag(diffKey(i), "seg")
			batch.AddTag(diffKey(i+1), "seg")
		}
		require.NoError(b, batch.Commit())
		v2 := ix.View()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bitmapindex.Diff(v1.Tag("seg"), v2.Tag("seg")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
