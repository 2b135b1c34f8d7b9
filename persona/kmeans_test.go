package persona

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adjustedRand is the adjusted Rand index of two labelings (Hubert & Arabie
// 1985): 1 for identical partitions, about 0 for independent ones.
func adjustedRand(a, b []int) float64 {
	type pair struct{ x, y int }
	n := len(a)
	cont := map[pair]int{}
	ra, rb := map[int]int{}, map[int]int{}
	for i := range a {
		cont[pair{a[i], b[i]}]++
		ra[a[i]]++
		rb[b[i]]++
	}
	c2 := func(m int) float64 { return float64(m) * float64(m-1) / 2 }
	var index, sa, sb float64
	for _, v := range cont {
		index += c2(v)
	}
	for _, v := range ra {
		sa += c2(v)
	}
	for _, v := range rb {
		sb += c2(v)
	}
	expected := sa * sb / c2(n)
	maxIndex := (sa + sb) / 2
	if maxIndex == expected {
		return 1
	}
	return (index - expected) / (maxIndex - expected)
}

func TestAdjustedRand(t *testing.T) {
	// Textbook checks: identical (up to renaming) → 1; scikit-learn's
	// documented examples → 4/7 and −1/2.
	assert.InDelta(t, 1, adjustedRand([]int{0, 0, 1, 1, 2}, []int{5, 5, 3, 3, 9}), 1e-12)
	assert.InDelta(t, 4.0/7, adjustedRand([]int{0, 0, 1, 1}, []int{0, 0, 1, 2}), 1e-12)
	assert.InDelta(t, -0.5, adjustedRand([]int{0, 0, 1, 1}, []int{0, 1, 0, 1}), 1e-12)
}

// blobs generates k well-separated Gaussian clusters in d dimensions, with
// features on very different scales (so standardisation matters).
func blobs(seed uint64, k, perCluster, d int) (Features, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	f := Features{}
	for j := range d {
		f.Names = append(f.Names, fmt.Sprintf("f%d", j))
	}
	centers := make([][]float64, k)
	for c := range centers {
		for range d {
			centers[c] = append(centers[c], float64(rng.IntN(2*k))*10)
		}
		// guarantee separation on the first feature
		centers[c][0] = float64(c) * 12
	}
	var truth []int
	for c := range k {
		for i := range perCluster {
			row := make([]float64, d)
			for j := range d {
				scale := math.Pow(10, float64(j)) // f0 in units, f1 in tens, …
				row[j] = (centers[c][j] + rng.NormFloat64()) * scale
			}
			f.Add(fmt.Sprintf("c%d-%d", c, i), row...)
			truth = append(truth, c)
		}
	}
	// shuffle rows so clusters are not contiguous
	perm := rng.Perm(len(f.Rows))
	g := Features{Names: f.Names}
	var tr []int
	for _, i := range perm {
		g.Add(f.Keys[i], f.Rows[i]...)
		tr = append(tr, truth[i])
	}
	return g, tr
}

func TestKMeansRecoversSeparatedClusters(t *testing.T) {
	for _, tc := range []struct{ k, per, d int }{{2, 300, 2}, {4, 250, 3}, {6, 150, 4}} {
		t.Run(fmt.Sprintf("k=%d", tc.k), func(t *testing.T) {
			f, truth := blobs(uint64(tc.k), tc.k, tc.per, tc.d)
			cfg := DefaultKMeansConfig()
			cfg.K = tc.k
			c, err := KMeans(f, cfg)
			require.NoError(t, err)
			ari := adjustedRand(truth, c.Labels)
			assert.GreaterOrEqual(t, ari, 0.9, "ARI")
			assert.True(t, c.Converged)
			assert.Greater(t, c.Silhouette, 0.5)
			total := 0
			for i, s := range c.Sizes {
				total += s
				if i > 0 {
					assert.GreaterOrEqual(t, c.Sizes[i-1], s, "clusters are numbered by size")
				}
			}
			assert.Equal(t, len(f.Rows), total)
		})
	}
}

func TestKMeansDeterministic(t *testing.T) {
	f, _ := blobs(5, 5, 120, 3)
	cfg := DefaultKMeansConfig()
	cfg.K = 5
	cfg.Seed = 42
	a, err := KMeans(f, cfg)
	require.NoError(t, err)
	b, err := KMeans(f, cfg)
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same output")
	cfg.Seed = 43
	cfg.Restarts = 1
	c, err := KMeans(f, cfg)
	require.NoError(t, err)
	assert.Equal(t, len(a.Labels), len(c.Labels))
}

func TestKMeansInertiaAndPredict(t *testing.T) {
	f, _ := blobs(3, 3, 100, 2)
	cfg := DefaultKMeansConfig()
	cfg.K = 3
	cfg.Transforms = map[string]Transform{"f1": TransformLog1p}
	// f1 can be negative in the generated data: the transform must refuse it.
	if _, err := KMeans(f, cfg); err != nil {
		require.ErrorIs(t, err, ErrInvalidInput)
		cfg.Transforms = nil
	}
	c, err := KMeans(f, cfg)
	require.NoError(t, err)
	// inertia recomputed naively from the centers
	inertia := 0.0
	for i, row := range f.Rows {
		z := make([]float64, len(row))
		for j, v := range row {
			z[j] = (v - c.Means[j]) / c.Scales[j]
		}
		for j := range z {
			d := z[j] - c.Centers[c.Labels[i]][j]
			inertia += d * d
		}
		k, err := c.Predict(row)
		require.NoError(t, err)
		assert.Equal(t, c.Labels[i], k, "row %d predicts its own cluster", i)
	}
	assert.InDelta(t, inertia, c.Inertia, 1e-6*inertia)
	// centers are means of their rows (standardised)
	for k := range c.K {
		for j := range f.Names {
			sum, n := 0.0, 0
			for i, row := range f.Rows {
				if c.Labels[i] == k {
					sum += (row[j] - c.Means[j]) / c.Scales[j]
					n++
				}
			}
			assert.InDelta(t, sum/float64(n), c.Centers[k][j], 1e-9)
		}
	}
}

// naiveSilhouette is the textbook O(n²) definition.
func naiveSilhouette(rows [][]float64, labels []int) float64 {
	total := 0.0
	for i := range rows {
		dist := map[int][]float64{}
		for j := range rows {
			if i == j {
				continue
			}
			s := 0.0
			for k := range rows[i] {
				s += (rows[i][k] - rows[j][k]) * (rows[i][k] - rows[j][k])
			}
			dist[labels[j]] = append(dist[labels[j]], math.Sqrt(s))
		}
		mean := func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s / float64(len(xs))
		}
		own := dist[labels[i]]
		if len(own) == 0 {
			continue
		}
		a, b := mean(own), math.Inf(1)
		for l, ds := range dist {
			if l != labels[i] {
				b = math.Min(b, mean(ds))
			}
		}
		total += (b - a) / math.Max(a, b)
	}
	return total / float64(len(rows))
}

func TestSilhouetteAgainstNaive(t *testing.T) {
	f, _ := blobs(8, 3, 40, 2)
	cfg := DefaultKMeansConfig()
	cfg.K = 4 // one more than the truth: a worse silhouette, still exact
	cfg.Raw = true
	cfg.SilhouetteSample = 1000
	c, err := KMeans(f, cfg)
	require.NoError(t, err)
	assert.InDelta(t, naiveSilhouette(f.Rows, c.Labels), c.Silhouette, 1e-9)
}

func TestChooseK(t *testing.T) {
	f, _ := blobs(9, 4, 80, 2)
	cfg := DefaultKMeansConfig()
	scores, err := ChooseK(f, []int{2, 3, 4, 5, 6}, cfg)
	require.NoError(t, err)
	require.Len(t, scores, 5)
	best := scores[0]
	for i, s := range scores {
		if s.Silhouette > best.Silhouette {
			best = s
		}
		if i > 0 {
			assert.LessOrEqual(t, s.Inertia, scores[i-1].Inertia*1.0001, "inertia falls with k")
		}
	}
	assert.Equal(t, 4, best.K, "the silhouette peaks at the true k")
}

func TestKMeansBadInput(t *testing.T) {
	good := Features{Names: []string{"a", "b"}}
	for i := range 5 {
		good.Add(fmt.Sprint(i), float64(i), float64(i*i))
	}
	cfg := DefaultKMeansConfig()
	tests := []struct {
		name string
		f    Features
		k    int
		mod  func(*KMeansConfig)
		want error
		msg  string
	}{
		{"k zero", good, 0, nil, ErrInvalidK, "k = 0, want k ≥ 1"},
		{"k negative", good, -2, nil, ErrInvalidK, "k = -2"},
		{"k above rows", good, 6, nil, ErrInvalidK, "k = 6 is larger than the 5 customers"},
		{"no rows", Features{Names: []string{"a"}}, 1, nil, ErrInvalidK, "larger than the 0 customers"},
		{"NaN value", Features{Names: []string{"a"}, Keys: []string{"x"}, Rows: [][]float64{{math.NaN()}}}, 1, nil, ErrInvalidInput, `row 0 ("x"): a is NaN`},
		{"Inf value", Features{Names: []string{"a"}, Keys: []string{"x"}, Rows: [][]float64{{math.Inf(-1)}}}, 1, nil, ErrInvalidInput, "a is -Inf"},
		{"ragged", Features{Names: []string{"a", "b"}, Keys: []string{"x"}, Rows: [][]float64{{1}}}, 1, nil, ErrInvalidInput, "1 values for 2 columns"},
		{"duplicate key", Features{Names: []string{"a"}, Keys: []string{"x", "x"}, Rows: [][]float64{{1}, {2}}}, 1, nil, ErrInvalidInput, `duplicate key "x"`},
		{"no columns", Features{}, 1, nil, ErrInvalidInput, "no columns"},
		{"log of zero", good, 2, func(c *KMeansConfig) { c.Transforms = map[string]Transform{"a": TransformLog} }, ErrInvalidInput, "outside the domain of log"},
		{"unknown transform feature", good, 2, func(c *KMeansConfig) { c.Transforms = map[string]Transform{"zz": TransformLog} }, ErrInvalidConfig, `"zz"`},
		{"negative restarts", good, 2, func(c *KMeansConfig) { c.Restarts = -1 }, ErrInvalidConfig, "restarts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.K = tt.k
			if tt.mod != nil {
				tt.mod(&c)
			}
			_, err := KMeans(tt.f, c)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestKMeansDuplicatePoints(t *testing.T) {
	// Fewer distinct points than k: every cluster must still be non-empty.
	f := Features{Names: []string{"a"}}
	for i := range 10 {
		f.Add(fmt.Sprint(i), float64(i%2))
	}
	cfg := DefaultKMeansConfig()
	cfg.K = 4
	c, err := KMeans(f, cfg)
	require.NoError(t, err)
	for _, s := range c.Sizes {
		assert.Positive(t, s)
	}
	assert.InDelta(t, 0, c.Inertia, 1e-12)
}
