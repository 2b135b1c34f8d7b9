package campaign

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/textwidth"
)

// Property test: the overlap matrix and its warnings equal a naive
// computation over key maps, on random populations.
func TestOverlapMatchesNaive(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			density := map[string]float64{"dense": 0.7, "half": 0.5, "sparse": 0.05, "tiny": 0.002, "none": 0}
			ix := population(t, 3000, seed, density)
			// "twin" is "half" plus a few more customers: nearly identical.
			b := ix.NewBatch()
			v0 := ix.View()
			for k := range v0.Tag("half").Keys() {
				b.AddTag(k, "twin")
			}
			for i := 0; i < 3000; i += 97 {
				b.AddTag(keyOf(i), "twin")
			}
			require.NoError(t, b.Commit())
			v := ix.View()
			names := []string{"dense", "half", "twin", "sparse", "tiny", "none"}
			var segs []Segment
			naive := map[string]map[string]bool{}
			for _, n := range names {
				segs = append(segs, Segment{Name: n, Members: v.Tag(n)})
				naive[n] = setOf(v.Tag(n))
			}
			cfg := Config{MinSize: 100, NearDuplicate: 0.9}
			m, err := Overlap(segs, cfg)
			require.NoError(t, err)
			assert.Equal(t, names, m.Names)
			var want []Warning
			for i, a := range names {
				assert.Equal(t, len(naive[a]), m.Sizes[i])
				if len(naive[a]) < cfg.MinSize {
					want = append(want, Warning{Kind: TooSmall, Segment: a, Size: len(naive[a])})
				}
				for j, b := range names {
					shared, union := 0, len(naive[b])
					for k := range naive[a] {
						if naive[b][k] {
							shared++
						} else {
							union++
						}
					}
					jac := 0.0
					if union > 0 {
						jac = float64(shared) / float64(union)
					}
					assert.Equal(t, shared, m.Shared[i][j], "%s ∩ %s", a, b)
					assert.InDelta(t, jac, m.Jaccard[i][j], 1e-15, "J(%s, %s)", a, b)
				}
			}
			for i, a := range names {
				for j := i + 1; j < len(names); j++ {
					if m.Jaccard[i][j] > cfg.NearDuplicate {
						want = append(want, Warning{Kind: NearlyIdentical, Segment: a, Other: names[j], Jaccard: m.Jaccard[i][j]})
					}
				}
			}
			assert.Equal(t, want, m.Warnings)
			hi, _ := m.Index("half")
			ti, _ := m.Index("twin")
			assert.Greater(t, m.Jaccard[hi][ti], 0.9, "the twin is flagged")
			assert.Contains(t, m.Warnings, Warning{Kind: TooSmall, Segment: "none", Size: 0})
		})
	}
}

func TestOverlapConfig(t *testing.T) {
	ix := population(t, 500, 9, map[string]float64{"a": 0.5, "b": 0.01})
	v := ix.View()
	segs := []Segment{{"a", v.Tag("a")}, {"a2", v.Tag("a")}, {"b", v.Tag("b")}}
	m, err := Overlap(segs, Config{})
	require.NoError(t, err)
	assert.Empty(t, m.Warnings, "zero MinSize and NearDuplicate disable the checks")
	m, err = Overlap(segs, DefaultConfig())
	require.NoError(t, err)
	require.Len(t, m.Warnings, 2)
	assert.Equal(t, TooSmall, m.Warnings[0].Kind)
	assert.Equal(t, NearlyIdentical, m.Warnings[1].Kind)
	assert.Equal(t, 1.0, m.Warnings[1].Jaccard)
	_, ok := m.Index("zzz")
	assert.False(t, ok)

	m, err = Overlap(nil, DefaultConfig())
	require.NoError(t, err)
	assert.Empty(t, m.Names)

	for _, tc := range []struct {
		name string
		segs []Segment
		cfg  Config
		want error
	}{
		{"empty name", []Segment{{"", v.Tag("a")}}, DefaultConfig(), ErrSegmentName},
		{"duplicate", []Segment{{"a", v.Tag("a")}, {"a", v.Tag("b")}}, DefaultConfig(), ErrSegmentName},
		{"negative threshold", segs, Config{NearDuplicate: -0.1}, ErrConfig},
		{"NaN threshold", segs, Config{NearDuplicate: math.NaN()}, ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Overlap(tc.segs, tc.cfg)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestOverlapReportGolden(t *testing.T) {
	ix := population(t, 2000, 11, map[string]float64{"students": 0.3, "mothers": 0.25, "trial": 0.4, "vip": 0.02})
	v := ix.View()
	b := ix.NewBatch()
	for k := range v.Tag("trial").Keys() {
		b.AddTag(k, "trial_recent")
	}
	b.AddTag(keyOf(1), "trial_recent")
	require.NoError(t, b.Commit())
	v = ix.View()
	var segs []Segment
	for _, n := range []string{"students", "mothers", "trial", "trial_recent", "vip"} {
		segs = append(segs, Segment{n, v.Tag(n)})
	}
	m, err := Overlap(segs, DefaultConfig())
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = m.WriteTo(&buf)
	require.NoError(t, err)
	golden(t, "overlap.golden", buf.Bytes())
	assert.Equal(t, "WarningKind(7)", WarningKind(7).String())
}

// TestOverlapTableWideNames: the overlap tables line up when segment names
// are Chinese (two columns a character).
func TestOverlapTableWideNames(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	b := ix.NewBatch()
	for i := range 300 {
		key := fmt.Sprintf("c%d", i)
		b.AddTag(key, "a")
		if i%3 == 0 {
			b.AddTag(key, "b")
		}
	}
	require.NoError(t, b.Commit())
	v := ix.View()
	m, err := Overlap([]Segment{{Name: "忠诚客户", Members: v.Tag("a")}, {Name: "new", Members: v.Tag("b")}}, DefaultConfig())
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = m.WriteTo(&out)
	require.NoError(t, err)
	blocks := strings.Split(out.String(), "\n\n")
	require.GreaterOrEqual(t, len(blocks), 3, out.String())
	for _, table := range blocks[1:3] { // shared, jaccard
		lines := strings.Split(strings.Trim(table, "\n"), "\n")
		require.Len(t, lines, 3, table)
		for _, l := range lines[1:] {
			assert.Equal(t, textwidth.Width(lines[0]), textwidth.Width(l), "%q vs %q", lines[0], l)
		}
	}
}
