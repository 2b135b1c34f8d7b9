package persona

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// KMeansConfig configures [KMeans]. It is a plain value; start from
// [DefaultKMeansConfig].
type KMeansConfig struct {
	// K is the number of clusters, 1 ≤ K ≤ the number of rows.
	K int
	// Seed makes the run deterministic: the same features, config and seed
	// give identical output.
	Seed uint64
	// Restarts is the number of independent k-means++ starts; the run with
	// the lowest inertia is kept. 0 means 1.
	Restarts int
	// MaxIter caps Lloyd iterations per start. 0 means 300.
	MaxIter int
	// Transforms maps feature names to the transform applied before
	// standardisation (absent: none).
	Transforms map[string]Transform
	// Raw skips standardisation (features are used on their own scales).
	// By default every feature is standardised to mean 0 and standard
	// deviation 1 (population SD; a constant feature becomes 0).
	Raw bool
	// SilhouetteSample caps the rows the silhouette is computed over (a
	// seeded random sample when there are more rows; the silhouette costs
	// O(rows²)). 0 means 2,000; set it ≥ the number of rows for the exact
	// value.
	SilhouetteSample int
}

// DefaultKMeansConfig returns k = 4, seed 1, 4 restarts, 300 iterations,
// standardised features without transforms, and a 2,000-row silhouette
// sample.
func DefaultKMeansConfig() KMeansConfig {
	return KMeansConfig{K: 4, Seed: 1, Restarts: 4, MaxIter: 300, SilhouetteSample: 2000}
}

// Clustering is the result of [KMeans]. Clusters are numbered by size,
// largest first (ties: the cluster of the earlier row first). It is immutable
// after KMeans returns and safe for concurrent reads; do not modify its
// slices.
type Clustering struct {
	// K is the number of clusters.
	K int
	// Features are the feature names, Keys the customers (row order).
	Features []string
	Keys     []string
	// Labels holds each row's cluster, 0..K−1.
	Labels []int
	// Sizes holds each cluster's number of rows.
	Sizes []int
	// Centers are the cluster means in the space clustered in (transformed,
	// standardised unless Raw): a center coordinate of +1 means one
	// population standard deviation above the population mean.
	Centers [][]float64
	// Inertia is the sum of squared distances of rows to their centers, in
	// that space.
	Inertia float64
	// Silhouette is the mean silhouette coefficient in [−1, 1] (over a
	// sample, see KMeansConfig.SilhouetteSample); 0 when K is 1.
	Silhouette float64
	// Iterations and Converged describe the kept run: Converged is false when
	// it stopped at MaxIter with labels still changing.
	Iterations int
	Converged  bool
	// Means and Scales are the standardisation parameters per feature (of the
	// transformed values): z = (t(x) − Mean) / Scale.
	Means, Scales []float64

	transforms []Transform
	raw        [][]float64
}

// KScore is one line of a [ChooseK] table. It is a plain value.
type KScore struct {
	K          int
	Inertia    float64
	Silhouette float64
}

// KMeans clusters the rows of f with k-means++ seeding (the greedy variant,
// 2 + ⌊ln k⌋ candidates per center) and Lloyd iterations until no row changes
// cluster, on transformed and standardised features. A cluster that empties
// takes the row farthest from its center. The run is deterministic for a
// seed.
func KMeans(f Features, cfg KMeansConfig) (*Clustering, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	n, d := len(f.Rows), len(f.Names)
	switch {
	case cfg.K < 1:
		return nil, fmt.Errorf("%w: k = %d, want k ≥ 1", ErrInvalidK, cfg.K)
	case cfg.K > n:
		return nil, fmt.Errorf("%w: k = %d is larger than the %d customers", ErrInvalidK, cfg.K, n)
	case cfg.Restarts < 0 || cfg.MaxIter < 0 || cfg.SilhouetteSample < 0:
		return nil, fmt.Errorf("%w: kmeans: restarts, max iterations and silhouette sample must be ≥ 0", ErrInvalidConfig)
	}
	for name := range cfg.Transforms {
		if !slices.Contains(f.Names, name) {
			return nil, fmt.Errorf("%w: kmeans: transform for unknown feature %q", ErrInvalidConfig, name)
		}
	}
	c := &Clustering{
		K: cfg.K, Features: slices.Clone(f.Names), Keys: slices.Clone(f.Keys),
		Means: make([]float64, d), Scales: make([]float64, d),
		transforms: make([]Transform, d), raw: cloneRows(f.Rows),
	}
	x, err := c.standardise(f, cfg)
	if err != nil {
		return nil, err
	}
	restarts, maxIter := max(cfg.Restarts, 1), cfg.MaxIter
	if maxIter == 0 {
		maxIter = 300
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5e6b17))
	var best *lloyd
	for range restarts {
		l := newLloyd(x, n, d, cfg.K)
		l.seed(rng)
		l.run(maxIter)
		if best == nil || l.inertia < best.inertia {
			best = l
		}
	}
	c.fromRun(best)
	sample := cfg.SilhouetteSample
	if sample == 0 {
		sample = 2000
	}
	c.Silhouette = silhouette(x, d, c.Labels, c.K, sample, rand.New(rand.NewPCG(cfg.Seed, 0x51e7)))
	return c, nil
}

// ChooseK runs [KMeans] for each k in ks (same config otherwise) and returns
// inertia and silhouette per k, to help choose k: look for the elbow in
// inertia and a high silhouette.
func ChooseK(f Features, ks []int, cfg KMeansConfig) ([]KScore, error) {
	out := make([]KScore, 0, len(ks))
	for _, k := range ks {
		cfg.K = k
		c, err := KMeans(f, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, KScore{K: k, Inertia: c.Inertia, Silhouette: c.Silhouette})
	}
	return out, nil
}

// standardise returns the row-major matrix clustered on.
func (c *Clustering) standardise(f Features, cfg KMeansConfig) ([]float64, error) {
	n, d := len(f.Rows), len(f.Names)
	x := make([]float64, n*d)
	col := make([]float64, n)
	for j, name := range f.Names {
		t := cfg.Transforms[name]
		if t > TransformLog {
			return nil, fmt.Errorf("%w: kmeans: unknown transform %v for %q", ErrInvalidConfig, t, name)
		}
		c.transforms[j] = t
		for i, row := range f.Rows {
			v, ok := t.apply(row[j])
			if !ok {
				return nil, fmt.Errorf("%w: features: row %d (%q): %s = %v is outside the domain of %v", ErrInvalidInput, i, f.Keys[i], name, row[j], t)
			}
			col[i] = v
		}
		mean, sd := 0.0, 1.0
		if !cfg.Raw {
			mean, sd = stat.PopMeanStdDev(col, nil)
			if !(sd > 0) || math.IsInf(sd, 0) {
				sd = 1
			}
		}
		c.Means[j], c.Scales[j] = mean, sd
		for i, v := range col {
			x[i*d+j] = (v - mean) / sd
		}
	}
	return x, nil
}

// Predict returns the cluster whose center is nearest to a new row of raw
// feature values (in the order of Features).
func (c *Clustering) Predict(values []float64) (int, error) {
	if len(values) != len(c.Features) {
		return 0, fmt.Errorf("%w: predict: %d values for %d features", ErrInvalidInput, len(values), len(c.Features))
	}
	z := make([]float64, len(values))
	for j, v := range values {
		t, ok := c.transforms[j].apply(v)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%w: predict: %s = %v is not usable under %v", ErrInvalidInput, c.Features[j], v, c.transforms[j])
		}
		z[j] = (t - c.Means[j]) / c.Scales[j]
	}
	best, bestD := 0, math.Inf(1)
	for k, center := range c.Centers {
		if dd := sqDist(z, center); dd < bestD {
			best, bestD = k, dd
		}
	}
	return best, nil
}

// fromRun copies a finished run, renumbering clusters by size.
func (c *Clustering) fromRun(l *lloyd) {
	sizes := make([]int, l.k)
	first := make([]int, l.k)
	for i := range first {
		first[i] = l.n
	}
	for i, lab := range l.labels {
		sizes[lab]++
		first[lab] = min(first[lab], i)
	}
	order := make([]int, l.k)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(sizes[b], sizes[a]); c != 0 {
			return c
		}
		return cmp.Compare(first[a], first[b])
	})
	newID := make([]int, l.k)
	c.Sizes = make([]int, l.k)
	c.Centers = make([][]float64, l.k)
	for to, from := range order {
		newID[from] = to
		c.Sizes[to] = sizes[from]
		c.Centers[to] = slices.Clone(l.centers[from*l.d : (from+1)*l.d])
	}
	c.Labels = make([]int, l.n)
	for i, lab := range l.labels {
		c.Labels[i] = newID[lab]
	}
	c.Inertia, c.Iterations, c.Converged = l.inertia, l.iterations, l.converged
}

// lloyd is one k-means run over a row-major n×d matrix.
type lloyd struct {
	x          []float64
	n, d, k    int
	centers    []float64 // k×d
	labels     []int
	dist       []float64 // squared distance of each row to its center
	inertia    float64
	iterations int
	converged  bool
}

func newLloyd(x []float64, n, d, k int) *lloyd {
	return &lloyd{x: x, n: n, d: d, k: k, centers: make([]float64, k*d), labels: make([]int, n), dist: make([]float64, n)}
}

func (l *lloyd) row(i int) []float64 { return l.x[i*l.d : (i+1)*l.d] }

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		t := v - b[i]
		s += t * t
	}
	return s
}

// seed chooses the initial centers by greedy k-means++.
func (l *lloyd) seed(rng *rand.Rand) {
	d2 := make([]float64, l.n)
	cand := make([]float64, l.n)
	first := rng.IntN(l.n)
	copy(l.centers[:l.d], l.row(first))
	for i := range l.n {
		d2[i] = sqDist(l.row(i), l.centers[:l.d])
	}
	trials := 2 + int(math.Log(float64(l.k)))
	cum := make([]float64, l.n)
	for c := 1; c < l.k; c++ {
		floats.CumSum(cum, d2)
		total := cum[l.n-1]
		bestIdx, bestPot := -1, math.Inf(1)
		var bestD2 []float64
		for range trials {
			var idx int
			if total > 0 {
				idx, _ = slices.BinarySearch(cum, rng.Float64()*total)
				idx = min(idx, l.n-1)
				for d2[idx] == 0 && idx < l.n-1 { // never pick a row that is already a center
					idx++
				}
			} else {
				idx = rng.IntN(l.n) // every row coincides with a center
			}
			pot := 0.0
			for i := range l.n {
				cand[i] = min(d2[i], sqDist(l.row(i), l.row(idx)))
				pot += cand[i]
			}
			if pot < bestPot {
				bestIdx, bestPot = idx, pot
				bestD2 = append(bestD2[:0], cand...)
			}
		}
		copy(l.centers[c*l.d:(c+1)*l.d], l.row(bestIdx))
		copy(d2, bestD2)
	}
}

// assign puts every row in its nearest cluster and reports whether any label
// changed. Ties keep the current cluster (the lowest index on the first
// pass), so coinciding centers cannot make rows oscillate.
func (l *lloyd) assign(first bool) bool {
	changed := false
	l.inertia = 0
	for i := range l.n {
		r := l.row(i)
		best, bestD := 0, math.Inf(1)
		if !first {
			best = l.labels[i]
			bestD = sqDist(r, l.centers[best*l.d:(best+1)*l.d])
		}
		for c := range l.k {
			if dd := sqDist(r, l.centers[c*l.d:(c+1)*l.d]); dd < bestD {
				best, bestD = c, dd
			}
		}
		if first || l.labels[i] != best {
			changed = true
		}
		l.labels[i], l.dist[i] = best, bestD
		l.inertia += bestD
	}
	return changed
}

// update moves every center to the mean of its rows; an empty cluster takes
// the row farthest from its own center (from a cluster with ≥ 2 rows).
func (l *lloyd) update() {
	sizes := make([]int, l.k)
	for _, lab := range l.labels {
		sizes[lab]++
	}
	for c := range l.k {
		if sizes[c] > 0 {
			continue
		}
		far, farD := -1, -1.0
		for i, lab := range l.labels {
			if sizes[lab] > 1 && l.dist[i] > farD {
				far, farD = i, l.dist[i]
			}
		}
		sizes[l.labels[far]]--
		l.labels[far], l.dist[far] = c, 0
		sizes[c] = 1
	}
	clear(l.centers)
	for i, lab := range l.labels {
		floats.Add(l.centers[lab*l.d:(lab+1)*l.d], l.row(i))
	}
	for c := range l.k {
		floats.Scale(1/float64(sizes[c]), l.centers[c*l.d:(c+1)*l.d])
	}
}

func (l *lloyd) run(maxIter int) {
	l.assign(true)
	for l.iterations < maxIter {
		l.iterations++
		l.update()
		if !l.assign(false) {
			l.converged = true
			break
		}
	}
	// The last assignment may have emptied a cluster (only when stopped by
	// MaxIter or with coinciding centers): relocate, and keep the labels.
	l.update()
	l.inertia = 0
	for i, lab := range l.labels {
		l.dist[i] = sqDist(l.row(i), l.centers[lab*l.d:(lab+1)*l.d])
		l.inertia += l.dist[i]
	}
}

// silhouette is the mean silhouette coefficient over at most sample rows
// (chosen by rng when there are more), with Euclidean distances among the
// sampled rows. A row alone in its cluster (within the sample) scores 0.
func silhouette(x []float64, d int, labels []int, k, sample int, rng *rand.Rand) float64 {
	n := len(labels)
	if k < 2 || n < 2 {
		return 0
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n > sample {
		for i := range sample { // partial Fisher–Yates
			j := i + rng.IntN(n-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		idx = idx[:sample]
		slices.Sort(idx)
	}
	count := make([]int, k)
	for _, i := range idx {
		count[labels[i]]++
	}
	sum := make([]float64, k)
	total := 0.0
	for _, i := range idx {
		clear(sum)
		ri := x[i*d : (i+1)*d]
		for _, j := range idx {
			if j != i {
				sum[labels[j]] += math.Sqrt(sqDist(ri, x[j*d:(j+1)*d]))
			}
		}
		own := labels[i]
		if count[own] < 2 {
			continue // s = 0
		}
		a := sum[own] / float64(count[own]-1)
		b := math.Inf(1)
		for c := range k {
			if c != own && count[c] > 0 {
				b = min(b, sum[c]/float64(count[c]))
			}
		}
		if math.IsInf(b, 1) {
			continue
		}
		if m := max(a, b); m > 0 {
			total += (b - a) / m
		}
	}
	return total / float64(len(idx))
}

func cloneRows(rows [][]float64) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}
