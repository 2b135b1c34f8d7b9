package persona

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
	"gonum.org/v1/gonum/stat"
)

// ClusterProfile is a readable description of one discovered cluster, so a
// person can name it ("young, frequent, low spend; mostly undergrad"). It is
// plain data.
type ClusterProfile struct {
	// Cluster is the cluster number (0 is the largest); Size its rows; Share
	// Size / all rows.
	Cluster, Size int
	Share         float64
	// Features compares the cluster's feature means with the population's.
	Features []FeatureProfile
	// Traits are the tags (and, from a view, attribute values) most
	// over-represented in the cluster, by lift; the population is the
	// clustered customers.
	Traits []Lift
}

// FeatureProfile is one feature of a [ClusterProfile]. It is a plain value.
type FeatureProfile struct {
	Name string
	// Mean and PopulationMean are in the feature's own units (before any
	// transform).
	Mean, PopulationMean float64
	// Z is the cluster's mean minus the population's, in population
	// standard deviations, on the transformed scale the clustering used:
	// +1 is one SD above average. 0 for a constant feature.
	Z float64
}

// Level renders Z as "very low", "low", "average", "high" or "very high"
// (cut at ±0.5 and ±1.5 standard deviations).
func (f FeatureProfile) Level() string {
	switch {
	case f.Z <= -1.5:
		return "very low"
	case f.Z <= -0.5:
		return "low"
	case f.Z < 0.5:
		return "average"
	case f.Z < 1.5:
		return "high"
	}
	return "very high"
}

// Summary is a one-line description: the features away from average, most
// distinctive first, then the top traits, e.g. "frequency very high
// (+1.8σ), recency_days low (−0.9σ); tag undergrad ×3.2".
func (p ClusterProfile) Summary() string {
	fs := slices.Clone(p.Features)
	slices.SortStableFunc(fs, func(a, b FeatureProfile) int {
		return -compareFloat(math.Abs(a.Z), math.Abs(b.Z))
	})
	var parts []string
	for _, f := range fs {
		if f.Level() != "average" {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", f.Name, f.Level(), sigma(f.Z)))
		}
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		s = "all features average"
	}
	var ts []string
	for _, t := range p.Traits {
		ts = append(ts, fmt.Sprintf("%s ×%.1f", t, t.Lift))
	}
	if len(ts) > 0 {
		s += "; " + strings.Join(ts, ", ")
	}
	return s
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sigma renders z as "+1.2σ" or "−0.8σ" (a true minus sign; no "−0.0").
func sigma(z float64) string {
	s := fmt.Sprintf("%+.1f", z)
	if s == "-0.0" {
		s = "+0.0"
	}
	return strings.Replace(s, "-", "−", 1) + "σ"
}

// Profiles describes every cluster: feature means against the population,
// and the tags most lifted in the cluster, with tagsOf giving a customer's
// tags (nil for none; may be nil to skip traits).
func (c *Clustering) Profiles(tagsOf func(key string) []string, cfg ReportConfig) ([]ClusterProfile, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	out := c.featureProfiles()
	if tagsOf == nil || cfg.NoTags || cfg.Top == 0 {
		return out, nil
	}
	pop := map[string]int{}
	per := make([]map[string]int, c.K)
	for k := range per {
		per[k] = map[string]int{}
	}
	for i, key := range c.Keys {
		tags := slices.Clone(tagsOf(key))
		slices.Sort(tags)
		for _, t := range slices.Compact(tags) {
			pop[t]++
			per[c.Labels[i]][t]++
		}
	}
	n := len(c.Keys)
	for k := range out {
		var ls []Lift
		for t, cnt := range per[k] {
			if cnt < cfg.MinCount {
				continue
			}
			l := Lift{Value: t, Count: cnt, Share: ratio(cnt, c.Sizes[k]), PopulationShare: ratio(pop[t], n)}
			l.Lift = l.Share / l.PopulationShare
			if l.Share >= cfg.MinShare && l.Lift > 1 {
				ls = append(ls, l)
			}
		}
		sortLifts(ls)
		if len(ls) > cfg.Top {
			ls = ls[:cfg.Top]
		}
		out[k].Traits = ls
	}
	return out, nil
}

// ProfilesView is [Clustering.Profiles] with traits taken from an index view:
// its tags and its category, set and bool attribute values (see
// ReportConfig.Attributes), computed with bitmap intersections. The
// population is the clustered customers present in v; keys not in v are
// left out of the traits.
func (c *Clustering) ProfilesView(v *bitmapindex.View, cfg ReportConfig) ([]ClusterProfile, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	out := c.featureProfiles()
	traits, err := traitSets(v, cfg)
	if err != nil {
		return nil, err
	}
	groups := make([]*roaring.Bitmap, c.K)
	for k := range groups {
		groups[k] = roaring.New()
	}
	for i, key := range c.Keys {
		if id, ok := v.ID(key); ok {
			groups[c.Labels[i]].Add(id)
		}
	}
	pop := roaring.FastOr(groups...)
	n := int(pop.GetCardinality())
	for i := range traits {
		traits[i].count = int(traits[i].set.AndCardinality(pop))
	}
	for k := range out {
		out[k].Traits = lifts(groups[k], int(groups[k].GetCardinality()), n, traits, cfg)
	}
	return out, nil
}

func (c *Clustering) featureProfiles() []ClusterProfile {
	n := len(c.Keys)
	out := make([]ClusterProfile, c.K)
	for k := range out {
		out[k] = ClusterProfile{Cluster: k, Size: c.Sizes[k], Share: ratio(c.Sizes[k], n)}
	}
	raw := make([]float64, n)
	tr := make([]float64, n)
	for j, name := range c.Features {
		for i, row := range c.raw {
			raw[i] = row[j]
			tr[i], _ = c.transforms[j].apply(row[j])
		}
		popMean := stat.Mean(raw, nil)
		tMean, tSD := stat.PopMeanStdDev(tr, nil)
		sum := make([]float64, c.K)
		tSum := make([]float64, c.K)
		for i, lab := range c.Labels {
			sum[lab] += raw[i]
			tSum[lab] += tr[i]
		}
		for k := range out {
			f := FeatureProfile{Name: name, Mean: sum[k] / float64(c.Sizes[k]), PopulationMean: popMean}
			if tSD > 0 {
				f.Z = (tSum[k]/float64(c.Sizes[k]) - tMean) / tSD
			}
			out[k].Features = append(out[k].Features, f)
		}
	}
	return out
}
