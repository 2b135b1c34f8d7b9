package campaign

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyOf returns "cust-" and i in 7 digits, without fmt (tests call it
// millions of times).
func keyOf(i int) string {
	var b [12]byte
	copy(b[:], "cust-")
	for j := 11; j >= 5; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b[:])
}

func TestNewSplitterBadInput(t *testing.T) {
	tests := []struct {
		name   string
		groups []Group
		want   error
	}{
		{"no groups", nil, ErrNoGroups},
		{"empty name", []Group{{"", 0.5}, {"B", 0.5}}, ErrGroupName},
		{"duplicate name", []Group{{"A", 0.5}, {"A", 0.5}}, ErrGroupName},
		{"negative", []Group{{"A", 1.2}, {"B", -0.2}}, ErrRatio},
		{"NaN", []Group{{"A", math.NaN()}, {"B", 1}}, ErrRatio},
		{"+Inf", []Group{{"A", math.Inf(1)}}, ErrRatio},
		{"-Inf", []Group{{"A", math.Inf(-1)}, {"B", 1}}, ErrRatio},
		{"sum below 1", []Group{{"A", 0.45}, {"B", 0.45}}, ErrRatio},
		{"sum above 1", []Group{{"A", 0.6}, {"B", 0.5}}, ErrRatio},
		{"sum just outside tolerance", []Group{{"A", 0.5}, {"B", 0.5 + 2e-9}}, ErrRatio},
		{"all zero", []Group{{"A", 0}, {"B", 0}}, ErrRatio},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := NewSplitter("salt", tc.groups...)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, sp)
			assert.Regexp(t, "^campaign: ", err.Error())
		})
	}
	_, err := NewSplitter("salt", Group{"A", 0.5}, Group{"B", 0.5 + 5e-10})
	assert.NoError(t, err, "within tolerance")
	assert.Panics(t, func() { MustSplitter("salt") })
}

// Group sizes on 1M keys lie within 3 standard errors √(N·r·(1−r)) of N·r.
func TestSplitRatiosWithinThreeStandardErrors(t *testing.T) {
	const n = 1_000_000
	const salt = "spring-sale"
	designs := [][]Group{
		{{"A", 0.5}, {"B", 0.5}},
		{{"control", 0.1}, {"A", 0.45}, {"B", 0.45}},
		{{"holdout", 0.05}, {"A", 0.3166}, {"B", 0.3167}, {"C", 0.3167}},
		{{"tiny", 0.001}, {"rest", 0.999}},
	}
	// A customer's point depends on the salt and key only, so it is hashed
	// once and reused for every design (the race detector makes hashing 4M
	// keys slow); Assign is checked against it on a sample.
	points := make([]uint64, n)
	probe := MustSplitter(salt, Group{"all", 1})
	for i := range points {
		points[i] = probe.point(keyOf(i))
	}
	for _, groups := range designs {
		t.Run(fmt.Sprint(groups), func(t *testing.T) {
			sp := MustSplitter(salt, groups...)
			counts := make([]int, len(groups))
			for i, u := range points {
				g := sp.groupOf(u)
				counts[g]++
				if i%1000 == 0 {
					require.Equal(t, groups[g].Name, sp.Assign(keyOf(i)))
				}
			}
			for i, g := range groups {
				exp := n * g.Ratio
				se := math.Sqrt(n * g.Ratio * (1 - g.Ratio))
				assert.LessOrEqual(t, math.Abs(float64(counts[i])-exp), 3*se,
					"group %s: %d members, expected %.0f ± %.0f", g.Name, counts[i], exp, 3*se)
				assert.LessOrEqual(t, math.Abs(deviation(counts[i], n, g.Ratio)), 3.0)
			}
		})
	}
}

// The positions u are uniform on [0, 1): χ² over 100 equal bins.
func TestPositionsAreUniform(t *testing.T) {
	const n, bins = 200_000, 100
	sp := MustSplitter("uniformity", Group{"all", 1})
	counts := make([]int, bins)
	for i := range n {
		u := sp.Position(keyOf(i))
		require.True(t, u >= 0 && u < 1)
		counts[int(u*bins)]++
	}
	shares := make([]float64, bins)
	for i := range shares {
		shares[i] = 1.0 / bins
	}
	stat, df, p := chiSquareGOF(counts, shares)
	assert.Greater(t, p, 1e-4, "χ² = %.1f on %d df", stat, df)
}

// A customer's group depends on its key and the salt only: adding customers
// to the segment or removing some moves nobody who was already assigned.
func TestSplitKeysStableUnderGrowthAndShrinkage(t *testing.T) {
	sp := MustSplitter("stable", Group{"control", 0.2}, Group{"A", 0.4}, Group{"B", 0.4})
	keys := func(from, to int) func(func(string) bool) {
		return func(yield func(string) bool) {
			for i := from; i < to; i++ {
				if !yield(keyOf(i)) {
					return
				}
			}
		}
	}
	groupOf := func(gs []KeyGroup) map[string]string {
		m := map[string]string{}
		for _, g := range gs {
			for _, k := range g.Keys {
				m[k] = g.Name
			}
		}
		return m
	}
	base, err := sp.SplitKeys(keys(0, 20_000))
	require.NoError(t, err)
	before := groupOf(base)
	require.Len(t, before, 20_000)

	grown, err := sp.SplitKeys(keys(0, 50_000))
	require.NoError(t, err)
	after := groupOf(grown)
	require.Len(t, after, 50_000)
	for k, g := range before {
		require.Equal(t, g, after[k], "customer %s moved when the segment grew", k)
	}

	shrunk, err := sp.SplitKeys(keys(5_000, 12_000))
	require.NoError(t, err)
	for k, g := range groupOf(shrunk) {
		require.Equal(t, before[k], g, "customer %s moved when the segment shrank", k)
	}

	// A new Splitter with the same salt and groups agrees; another salt
	// reshuffles (about half of the customers change group).
	again := MustSplitter("stable", sp.Groups()...)
	other := MustSplitter("other", sp.Groups()...)
	moved := 0
	for k, g := range before {
		require.Equal(t, g, again.Assign(k))
		if other.Assign(k) != g {
			moved++
		}
	}
	// Independent assignments agree with probability 0.2² + 0.4² + 0.4².
	assert.InDelta(t, 1-(0.04+0.16+0.16), float64(moved)/float64(len(before)), 0.02)
}

func TestSplitKeys(t *testing.T) {
	sp := MustSplitter("s", Group{"zero", 0}, Group{"A", 0.5}, Group{"B", 0.5}, Group{"none", 0})
	gs, err := sp.SplitKeys(slices.Values([]string{"k1", "k2", "k1", "k3", "k2", "k4"}))
	require.NoError(t, err)
	require.Len(t, gs, 4)
	assert.Equal(t, []string{"zero", "A", "B", "none"}, []string{gs[0].Name, gs[1].Name, gs[2].Name, gs[3].Name})
	assert.Empty(t, gs[0].Keys, "a zero ratio receives nobody")
	assert.Empty(t, gs[3].Keys, "a zero ratio receives nobody")
	all := append(append([]string{}, gs[1].Keys...), gs[2].Keys...)
	slices.Sort(all)
	assert.Equal(t, []string{"k1", "k2", "k3", "k4"}, all, "every key once")
	for _, g := range gs {
		for _, k := range g.Keys {
			assert.Equal(t, g.Name, sp.Assign(k))
		}
	}

	_, err = sp.SplitKeys(slices.Values([]string(nil)))
	assert.ErrorIs(t, err, ErrEmptySegment)
}

func TestSplitterEdgeRatios(t *testing.T) {
	everyone := MustSplitter("s", Group{"none", 0}, Group{"all", 1}, Group{"after", 0})
	for i := range 10_000 {
		require.Equal(t, "all", everyone.Assign(keyOf(i)))
	}
	assert.Equal(t, uint64(1)<<unitBits, everyone.bounds[1])
}

// The documented formula, so the split can be reproduced outside Go, and a
// few frozen positions: changing the hash would move customers between the
// groups of running experiments.
func TestAssignmentFormula(t *testing.T) {
	sp := MustSplitter("exp-42", Group{"control", 0.5}, Group{"treatment", 0.5})
	for i := range 1000 {
		k := keyOf(i)
		u := float64(xxhash.Sum64String("exp-42:"+k)>>11) / (1 << 53)
		require.Equal(t, u, sp.Position(k))
		want := "control"
		if u >= 0.5 {
			want = "treatment"
		}
		require.Equal(t, want, sp.Assign(k))
	}
	frozen := map[string]float64{
		"c1":                0.43228530019265465,
		"alice@example.com": 0.79666780809408,
		"客户-0001":           0.8095920918035487,
	}
	for k, u := range frozen {
		assert.Equal(t, u, sp.Position(k), k)
	}
}

func TestAssignDoesNotAllocate(t *testing.T) {
	sp := MustSplitter("alloc", Group{"A", 0.5}, Group{"B", 0.5})
	key := "customer-000123456"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = sp.Assign(key) }))
}
