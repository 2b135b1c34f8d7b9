package persona

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
)

var prefNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// naivePreferences recomputes each (customer, tag) score from scratch by
// scanning every record, with the formulas written out.
func naivePreferences(recs []Behavior, now time.Time, cfg PreferenceConfig) map[string][]TagScore {
	weight := func(typ string) float64 {
		if w, ok := cfg.Weights[typ]; ok {
			return w
		}
		return cfg.DefaultWeight
	}
	counted := func(r Behavior) bool { return !r.At.After(now) && weight(r.Type) > 0 }
	customers := map[string]bool{}
	for _, r := range recs {
		if counted(r) {
			customers[r.Customer] = true
		}
	}
	n := float64(len(customers))
	if cfg.Population > 0 {
		n = float64(cfg.Population)
	}
	df := func(tag string) float64 {
		who := map[string]bool{}
		for _, r := range recs {
			if r.Tag == tag && counted(r) {
				who[r.Customer] = true
			}
		}
		return float64(len(who))
	}
	out := map[string][]TagScore{}
	for c := range customers {
		tags := map[string]bool{}
		for _, r := range recs {
			if r.Customer == c && counted(r) {
				tags[r.Tag] = true
			}
		}
		var scores []TagScore
		for tag := range tags {
			s := 0.0
			for _, r := range recs {
				if r.Customer != c || r.Tag != tag || !counted(r) {
					continue
				}
				ageDays := now.Sub(r.At).Hours() / 24
				f := 1.0
				if cfg.HalfLife > 0 {
					f = math.Pow(0.5, ageDays/(cfg.HalfLife.Hours()/24))
				}
				s += weight(r.Type) * f
			}
			switch cfg.Rarity {
			case RaritySmooth:
				s *= math.Log((1+n)/(1+df(tag))) + 1
			case RarityPlain:
				s *= math.Log(n / df(tag))
			}
			scores = append(scores, TagScore{tag, s})
		}
		sort.Slice(scores, func(i, j int) bool {
			if scores[i].Score != scores[j].Score {
				return scores[i].Score > scores[j].Score
			}
			return scores[i].Tag < scores[j].Tag
		})
		if cfg.Top > 0 && len(scores) > cfg.Top {
			scores = scores[:cfg.Top]
		}
		out[c] = scores
	}
	return out
}

func randomBehaviors(rng *rand.Rand, n int) []Behavior {
	types := []string{"purchase", "favorite", "search", "browse", "impression"}
	tags := []string{"outdoor", "python", "baby", "yoga", "finance", "games", "travel", "books"}
	recs := make([]Behavior, n)
	for i := range recs {
		recs[i] = Behavior{
			Customer: fmt.Sprintf("c%02d", rng.IntN(40)),
			Tag:      tags[rng.IntN(1+rng.IntN(len(tags)))], // skewed popularity
			Type:     types[rng.IntN(len(types))],
			At:       prefNow.Add(-time.Duration(rng.IntN(200*24)) * time.Hour).Add(time.Duration(rng.IntN(3)) * 24 * time.Hour),
		}
	}
	return recs
}

func TestPreferencesAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := DefaultPreferenceConfig()
	base.Weights["impression"] = 0
	configs := map[string]func(*PreferenceConfig){
		"default":       func(*PreferenceConfig) {},
		"no decay":      func(c *PreferenceConfig) { c.HalfLife = 0 },
		"plain idf":     func(c *PreferenceConfig) { c.Rarity = RarityPlain },
		"no idf, all":   func(c *PreferenceConfig) { c.Rarity = RarityNone; c.Top = 0 },
		"population":    func(c *PreferenceConfig) { c.Population = 1000; c.Top = 3 },
		"short decay":   func(c *PreferenceConfig) { c.HalfLife = 36 * time.Hour },
		"default types": func(c *PreferenceConfig) { delete(c.Weights, "impression"); c.DefaultWeight = 0.5 },
	}
	for name, mod := range configs {
		t.Run(name, func(t *testing.T) {
			cfg := base
			cfg.Weights = map[string]float64{}
			for k, v := range base.Weights {
				cfg.Weights[k] = v
			}
			mod(&cfg)
			recs := randomBehaviors(rng, 800)
			p, err := ComputePreferences(slices.Values(recs), prefNow, cfg)
			require.NoError(t, err)
			want := naivePreferences(recs, prefNow, cfg)
			require.Equal(t, len(want), p.Len())
			future := 0
			for _, r := range recs {
				if r.At.After(prefNow) {
					future++
				}
			}
			assert.Equal(t, future, p.Future())
			for c, got := range p.All() {
				w := want[c]
				require.Len(t, got, len(w), "customer %s", c)
				for i := range w {
					assert.Equal(t, w[i].Tag, got[i].Tag, "customer %s rank %d", c, i)
					assert.InDelta(t, w[i].Score, got[i].Score, 1e-9*math.Max(1, w[i].Score), "customer %s tag %s", c, w[i].Tag)
				}
			}
		})
	}
}

func TestPreferencesWorkedExample(t *testing.T) {
	day := 24 * time.Hour
	recs := []Behavior{
		{"ann", "yoga", "purchase", prefNow},              // 4
		{"ann", "yoga", "browse", prefNow.Add(-30 * day)}, // 1 · ½
		{"ann", "books", "purchase", prefNow.Add(-60 * day)},
		{"bob", "books", "search", prefNow.Add(-30 * day)},
		{"bob", "yoga", "purchase", prefNow.Add(day)}, // future: ignored
	}
	cfg := DefaultPreferenceConfig()
	cfg.Rarity = RarityNone
	p, err := ComputePreferences(slices.Values(recs), prefNow, cfg)
	require.NoError(t, err)
	assert.Equal(t, []TagScore{{"yoga", 4.5}, {"books", 1}}, p.Top("ann"))
	assert.Equal(t, []TagScore{{"books", 1}}, p.Top("bob"))
	assert.Equal(t, 1, p.Future())
	assert.Equal(t, 2, p.DocFreq("books"))

	cfg.Rarity = RaritySmooth // yoga is rarer (1 of 2) than books (2 of 2)
	p, err = ComputePreferences(slices.Values(recs), prefNow, cfg)
	require.NoError(t, err)
	assert.InDelta(t, 4.5*(math.Log(3.0/2)+1), p.Top("ann")[0].Score, 1e-12)
	assert.InDelta(t, 1.0, p.Rarity("books"), 1e-12)
	assert.Equal(t, 0.0, p.Rarity("unknown"))
}

func TestPreferencesBadInput(t *testing.T) {
	ok := Behavior{"c", "t", "purchase", prefNow}
	tests := []struct {
		name string
		recs []Behavior
		mod  func(*PreferenceConfig)
		want error
		msg  string
	}{
		{"empty customer", []Behavior{ok, {"", "t", "purchase", prefNow}}, nil, ErrInvalidInput, "behaviour 1: empty customer"},
		{"empty tag", []Behavior{{"c", "", "browse", prefNow}}, nil, ErrInvalidInput, "empty tag"},
		{"unknown type", []Behavior{{"c", "t", "purchse", prefNow}}, nil, ErrInvalidInput, `type "purchse" has no weight`},
		{"NaN weight", []Behavior{ok}, func(c *PreferenceConfig) { c.Weights["browse"] = math.NaN() }, ErrInvalidConfig, `weight of "browse" is NaN`},
		{"Inf weight", []Behavior{ok}, func(c *PreferenceConfig) { c.Weights["browse"] = math.Inf(1) }, ErrInvalidConfig, "+Inf"},
		{"negative weight", []Behavior{ok}, func(c *PreferenceConfig) { c.Weights["browse"] = -1 }, ErrInvalidConfig, "want a finite number ≥ 0"},
		{"NaN default", []Behavior{ok}, func(c *PreferenceConfig) { c.DefaultWeight = math.NaN() }, ErrInvalidConfig, "default weight"},
		{"negative half-life", []Behavior{ok}, func(c *PreferenceConfig) { c.HalfLife = -time.Hour }, ErrInvalidConfig, "half-life"},
		{"population too small", []Behavior{ok, {"d", "t", "browse", prefNow}}, func(c *PreferenceConfig) { c.Population = 1 }, ErrInvalidConfig, "smaller than the 2 customers"},
		{"bad rarity", []Behavior{ok}, func(c *PreferenceConfig) { c.Rarity = 9 }, ErrInvalidConfig, "unknown rarity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultPreferenceConfig()
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			_, err := ComputePreferences(slices.Values(tt.recs), prefNow, cfg)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestPreferencesExclude(t *testing.T) {
	p, _ := segkit.ParsePeriod("双十一=2026-11-01..2026-11-11")
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, sh)
	recs := []Behavior{
		{Customer: "a", Tag: "outdoor", Type: "purchase", At: time.Date(2026, 10, 20, 12, 0, 0, 0, sh)},
		// 2026-11-01 00:30 in Shanghai is 2026-10-31 in UTC: excluded only
		// when days are counted in Shanghai.
		{Customer: "a", Tag: "beauty", Type: "purchase", At: time.Date(2026, 11, 1, 0, 30, 0, 0, sh)},
		{Customer: "a", Tag: "beauty", Type: "purchase", At: time.Date(2026, 11, 11, 20, 0, 0, 0, sh)},
		{Customer: "a", Tag: "beauty", Type: "cart", At: time.Date(2026, 11, 11, 21, 0, 0, 0, sh)},
	}
	cfg := DefaultPreferenceConfig()
	cfg.Exclude, cfg.Location = []segkit.Period{p}, sh
	prefs, err := ComputePreferences(slices.Values(recs), now, cfg)
	require.NoError(t, err)
	require.Equal(t, []segkit.Excluded{{Period: p, Records: 3}}, prefs.Excluded())
	require.Len(t, prefs.Top("a"), 1)
	require.Equal(t, "outdoor", prefs.Top("a")[0].Tag)

	cfg.Location = nil
	prefs, err = ComputePreferences(slices.Values(recs), now, cfg)
	require.NoError(t, err)
	require.Equal(t, []segkit.Excluded{{Period: p, Records: 2}}, prefs.Excluded())

	f, ex, err := RFMFeaturesExcluding(slices.Values([]segkit.Transaction{
		{Customer: "a", At: time.Date(2026, 11, 5, 0, 0, 0, 0, sh), Amount: 100},
		{Customer: "a", At: time.Date(2026, 10, 5, 0, 0, 0, 0, sh), Amount: 10},
	}), now, sh, []segkit.Period{p})
	require.NoError(t, err)
	require.Equal(t, 1, ex[0].Records)
	require.Equal(t, []float64{57, 1, 10}, f.Rows[0])
}
