package campaign

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

func checkSplit(t *testing.T, sp *Splitter, seg bitmapindex.Set, split *Split) {
	t.Helper()
	require.Len(t, split.Groups, len(sp.Groups()))
	assert.Equal(t, seg.Len(), split.Total)
	union := bitmapindex.Set{}
	sum := 0
	for i, g := range split.Groups {
		assert.Equal(t, sp.Groups()[i], g.Group)
		assert.Equal(t, g.Members.Len(), g.Size)
		assert.InDelta(t, deviation(g.Size, split.Total, g.Ratio), g.Deviation, 1e-12)
		sum += g.Size
		assert.Zero(t, union.And(g.Members).Len(), "groups are disjoint")
		union = union.Or(g.Members)
		i := 0
		for k := range g.Members.Keys() {
			if g.Name != sp.Assign(k) {
				require.Equal(t, g.Name, sp.Assign(k), "customer %s", k)
			}
			if i%16 == 0 { // GroupOf looks the key up in every group: sample it
				got, ok := split.GroupOf(k)
				require.True(t, ok)
				require.Equal(t, g.Name, got)
			}
			i++
		}
		m, ok := split.Group(g.Name)
		require.True(t, ok)
		assert.Equal(t, g.Size, m.Len())
	}
	assert.Equal(t, seg.Len(), sum)
	assert.Equal(t, keysOf(seg), keysOf(union), "the groups partition the segment")
	_, ok := split.Group("no such group")
	assert.False(t, ok)
}

func TestSplitSet(t *testing.T) {
	ix := population(t, 20_000, 1, map[string]float64{"trial": 0.6})
	v := ix.View()
	seg := v.Tag("trial")
	sp := MustSplitter("trial-followup", Group{"holdout", 0.1}, Group{"A", 0.45}, Group{"B", 0.45}, Group{"unused", 0})
	split, err := sp.Split(v, seg)
	require.NoError(t, err)
	checkSplit(t, sp, seg, split)
	assert.Zero(t, split.Groups[3].Size)
	for _, g := range split.Groups {
		assert.LessOrEqual(t, math.Abs(g.Deviation), 3.0, g.Name)
	}
	_, ok := split.GroupOf("not-a-customer")
	assert.False(t, ok)
}

// Stability: a customer's group survives the segment growing, shrinking, and
// a rebuild of the index in another order (other IDs, same keys).
func TestSplitSetStable(t *testing.T) {
	sp := MustSplitter("stable-set", Group{"control", 0.3}, Group{"A", 0.7})
	ix := population(t, 10_000, 2, map[string]float64{"seg": 0.5})
	v1 := ix.View()
	s1, err := sp.Split(v1, v1.Tag("seg"))
	require.NoError(t, err)
	before := map[string]string{}
	for _, g := range s1.Groups {
		for k := range g.Members.Keys() {
			before[k] = g.Name
		}
	}

	// Growth: 10,000 new customers, half of them in the segment.
	addPopulation(t, ix, 10_000, 20_000, 3, map[string]float64{"seg": 0.5})
	v2 := ix.View()
	s2, err := sp.Split(v2, v2.Tag("seg"))
	require.NoError(t, err)
	checkSplit(t, sp, v2.Tag("seg"), s2)
	grown := map[string]string{}
	for _, g := range s2.Groups {
		for k := range g.Members.Keys() {
			grown[k] = g.Name
		}
	}
	for k, g := range before {
		if grown[k] != g {
			t.Fatalf("customer %s moved from %s to %q when the segment grew", k, g, grown[k])
		}
	}

	// Shrinkage: delete every third original customer, untag every fifth.
	b := ix.NewBatch()
	for i := 0; i < 10_000; i++ {
		switch {
		case i%3 == 0:
			b.Delete(keyOf(i))
		case i%5 == 0:
			b.RemoveTag(keyOf(i), "seg")
		}
	}
	require.NoError(t, b.Commit())
	v3 := ix.View()
	s3, err := sp.Split(v3, v3.Tag("seg"))
	require.NoError(t, err)
	checkSplit(t, sp, v3.Tag("seg"), s3)
	for _, g := range s3.Groups {
		for k := range g.Members.Keys() {
			if old, ok := before[k]; ok && old != g.Name {
				t.Fatalf("customer %s moved from %s to %s when the segment shrank", k, old, g.Name)
			}
		}
	}

	// Rebuild: the same customers inserted in reverse order get other IDs.
	rebuilt, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	rb := rebuilt.NewBatch()
	for k := range before {
		rb.AddTag(k, "seg")
	}
	require.NoError(t, rb.Commit())
	rv := rebuilt.View()
	s4, err := sp.Split(rv, rv.Tag("seg"))
	require.NoError(t, err)
	rebuiltGroups := map[string]string{}
	for _, g := range s4.Groups {
		for k := range g.Members.Keys() {
			rebuiltGroups[k] = g.Name
		}
	}
	assert.Len(t, rebuiltGroups, len(before))
	for k, g := range before {
		if rebuiltGroups[k] != g {
			t.Fatalf("customer %s moved from %s to %q when the index was rebuilt", k, g, rebuiltGroups[k])
		}
	}
}

func TestSplitSetBadInput(t *testing.T) {
	sp := MustSplitter("bad", Group{"A", 0.5}, Group{"B", 0.5})
	ix := population(t, 100, 4, map[string]float64{"x": 1})
	v := ix.View()
	_, err := sp.Split(v, v.Tag("no such tag"))
	assert.ErrorIs(t, err, ErrEmptySegment)
	_, err = sp.Split(v, bitmapindex.Set{})
	assert.ErrorIs(t, err, ErrEmptySegment)
	_, err = sp.Split(nil, v.Tag("x"))
	assert.ErrorIs(t, err, ErrForeignSet)

	// A Set of another index whose IDs name other customers here.
	other, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	ob := other.NewBatch()
	for i := 99; i >= 0; i-- {
		ob.AddTag(keyOf(i), "x")
	}
	require.NoError(t, ob.Commit())
	_, err = sp.Split(v, other.View().Tag("x"))
	assert.ErrorIs(t, err, ErrForeignSet)
}
