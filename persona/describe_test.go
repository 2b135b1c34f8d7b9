package persona

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discoveryData is three customer groups with different RFM-like features
// and group-typical tags, also loaded into an index.
func discoveryData(t *testing.T) (Features, map[string][]string, *bitmapindex.Index) {
	rng := rand.New(rand.NewPCG(31, 4))
	f := Features{Names: []string{"recency_days", "frequency", "age"}}
	tags := map[string][]string{}
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	groups := []struct {
		recency, freq, age float64
		tags               []string
	}{
		{5, 30, 21, []string{"undergrad", "games"}},
		{90, 3, 33, []string{"mother", "baby"}},
		{20, 10, 45, []string{"office", "golf"}},
	}
	for i := range 300 {
		g := groups[i%3]
		key := fmt.Sprintf("k%03d", i)
		f.Add(key,
			math.Max(0, g.recency*math.Exp(rng.NormFloat64()*0.2)),
			math.Max(1, math.Round(g.freq*math.Exp(rng.NormFloat64()*0.2))),
			g.age+rng.NormFloat64()*2)
		var ts []string
		for _, tg := range g.tags {
			if rng.IntN(4) > 0 {
				ts = append(ts, tg)
			}
		}
		if rng.IntN(5) == 0 {
			ts = append(ts, "vip")
		}
		tags[key] = ts
		for _, tg := range ts {
			require.NoError(t, ix.AddTag(key, tg))
		}
		ix.Add(key)
	}
	ix.Add("not-clustered") // in the index, not in the features
	require.NoError(t, ix.AddTag("not-clustered", "undergrad"))
	return f, tags, ix
}

func TestClusterProfiles(t *testing.T) {
	f, tags, ix := discoveryData(t)
	cfg := DefaultKMeansConfig()
	cfg.K = 3
	cfg.Transforms = map[string]Transform{"recency_days": TransformLog1p, "frequency": TransformLog1p}
	c, err := KMeans(f, cfg)
	require.NoError(t, err)
	rcfg := DefaultReportConfig()
	rcfg.Top = 3
	ps, err := c.Profiles(func(k string) []string { return tags[k] }, rcfg)
	require.NoError(t, err)
	require.Len(t, ps, 3)

	for k, p := range ps {
		assert.Equal(t, k, p.Cluster)
		assert.Equal(t, c.Sizes[k], p.Size)
		// features: naive means and z on the transformed scale
		for j, fp := range p.Features {
			sum, popSum := 0.0, 0.0
			var tr []float64
			for i, row := range f.Rows {
				popSum += row[j]
				v, _ := cfg.Transforms[f.Names[j]].apply(row[j])
				tr = append(tr, v)
				if c.Labels[i] == k {
					sum += row[j]
				}
			}
			mean, sd := 0.0, 0.0
			for _, v := range tr {
				mean += v
			}
			mean /= float64(len(tr))
			for _, v := range tr {
				sd += (v - mean) * (v - mean)
			}
			sd = math.Sqrt(sd / float64(len(tr)))
			cm := 0.0
			for i, v := range tr {
				if c.Labels[i] == k {
					cm += v
				}
			}
			cm /= float64(p.Size)
			assert.Equal(t, f.Names[j], fp.Name)
			assert.InDelta(t, sum/float64(p.Size), fp.Mean, 1e-9)
			assert.InDelta(t, popSum/float64(len(f.Rows)), fp.PopulationMean, 1e-9)
			assert.InDelta(t, (cm-mean)/sd, fp.Z, 1e-9)
		}
		// traits: naive lifts over the clustered customers
		inK, pop := map[string]int{}, map[string]int{}
		for i, key := range f.Keys {
			for _, tg := range tags[key] {
				pop[tg]++
				if c.Labels[i] == k {
					inK[tg]++
				}
			}
		}
		var want []Lift
		for tg, n := range inK {
			share := float64(n) / float64(p.Size)
			ps := float64(pop[tg]) / float64(len(f.Keys))
			if n >= rcfg.MinCount && share >= rcfg.MinShare && share/ps > 1 {
				want = append(want, Lift{Value: tg, Count: n, Share: share, PopulationShare: ps, Lift: share / ps})
			}
		}
		sortLifts(want)
		if len(want) > rcfg.Top {
			want = want[:rcfg.Top]
		}
		assert.Equal(t, want, p.Traits, "cluster %d", k)
	}

	// The same traits from the index (the extra customer is not clustered,
	// so it does not count in the population).
	pv, err := c.ProfilesView(ix.View(), rcfg)
	require.NoError(t, err)
	for k := range ps {
		require.Len(t, pv[k].Traits, len(ps[k].Traits))
		for i := range ps[k].Traits {
			assert.Equal(t, ps[k].Traits[i].Value, pv[k].Traits[i].Value)
			assert.Equal(t, ps[k].Traits[i].Count, pv[k].Traits[i].Count)
			assert.InDelta(t, ps[k].Traits[i].Lift, pv[k].Traits[i].Lift, 1e-12)
		}
	}

	var buf bytes.Buffer
	require.NoError(t, WriteProfiles(&buf, ps))
	golden(t, "profiles.golden", buf.Bytes())
}

func TestFeatureLevel(t *testing.T) {
	for z, want := range map[float64]string{-2: "very low", -1.5: "very low", -0.7: "low", 0: "average", 0.49: "average", 0.5: "high", 1.6: "very high"} {
		assert.Equal(t, want, FeatureProfile{Z: z}.Level(), "z=%v", z)
	}
	p := ClusterProfile{Features: []FeatureProfile{{Name: "a", Z: 0.1}, {Name: "b", Z: -0.8}, {Name: "c", Z: 2}},
		Traits: []Lift{{Value: "vip", Lift: 2.25}}}
	assert.Equal(t, "c very high (+2.0σ), b low (−0.8σ); tag vip ×2.2", p.Summary())
}
