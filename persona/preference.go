package persona

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/segkit/segkit"
)

// Behavior is one interaction of a customer with something carrying a tag: a
// purchase of a product tagged "outdoor", a search for "python course", a
// favourite, a page view. It is a plain value.
type Behavior struct {
	// Customer is the host's customer key.
	Customer string
	// Tag is what the behaviour was about.
	Tag string
	// Type is the kind of behaviour ("purchase", "favorite", "search",
	// "browse", …); its weight comes from [PreferenceConfig.Weights].
	Type string
	// At is when it happened.
	At time.Time
}

// Rarity selects how much rare tags are boosted over common ones (the IDF
// factor of TF-IDF). It is a comparable value; the zero value is RarityNone.
type Rarity uint8

const (
	// RarityNone applies no rarity factor (every tag counts 1).
	RarityNone Rarity = iota
	// RaritySmooth multiplies by ln((1+N)/(1+df)) + 1, where N is the
	// population and df the number of customers with the tag: a tag everyone
	// has still counts 1, a rare one more.
	RaritySmooth
	// RarityPlain multiplies by ln(N/df): a tag everyone has counts 0.
	RarityPlain
)

// String returns "none", "smooth" or "plain".
func (r Rarity) String() string {
	switch r {
	case RarityNone:
		return "none"
	case RaritySmooth:
		return "smooth"
	case RarityPlain:
		return "plain"
	}
	return fmt.Sprintf("Rarity(%d)", uint8(r))
}

// PreferenceConfig configures [ComputePreferences]. It is a plain value
// (its Weights map is read, never modified). The zero value is not useful
// (no behaviour type has a weight); start from [DefaultPreferenceConfig].
type PreferenceConfig struct {
	// Weights gives each behaviour type its weight (finite, ≥ 0; 0 ignores
	// that type).
	Weights map[string]float64
	// DefaultWeight is the weight of types not in Weights. When it is 0, a
	// record of an unlisted type is an error (so a typo does not silently
	// drop data); set it > 0 to accept any type.
	DefaultWeight float64
	// HalfLife is the time after which a behaviour counts half as much
	// (continuous exponential decay from At to now). 0 means no decay.
	HalfLife time.Duration
	// Rarity is the rarity (IDF) factor.
	Rarity Rarity
	// Population is N in the rarity factor: the number of customers the tags
	// are rare among. 0 means the customers that appear in the behaviour
	// records (with a positive weight); otherwise it must be at least that.
	Population int
	// Top is how many tags to keep per customer, strongest first; 0 keeps
	// all.
	Top int
	// Exclude lists periods whose records are left out, such as promotions
	// (双十一) that distort normal preferences; their days are counted in
	// Location (nil means UTC). [Preferences.Excluded] says how many each
	// removed.
	Exclude  []segkit.Period
	Location *time.Location
}

// DefaultPreferenceConfig returns purchase 4 > favorite 3 (also "favourite")
// > cart 3 > search 2 > browse 1, a 30-day half-life, smooth rarity and the
// top 5 tags per customer.
func DefaultPreferenceConfig() PreferenceConfig {
	return PreferenceConfig{
		Weights: map[string]float64{
			"purchase": 4, "favorite": 3, "favourite": 3, "cart": 3, "search": 2, "browse": 1,
		},
		HalfLife: 30 * 24 * time.Hour,
		Rarity:   RaritySmooth,
		Top:      5,
	}
}

func (c PreferenceConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: preference: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	for _, t := range slices.Sorted(maps.Keys(c.Weights)) {
		if w := c.Weights[t]; math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return bad("weight of %q is %v, want a finite number ≥ 0", t, w)
		}
	}
	switch {
	case math.IsNaN(c.DefaultWeight) || math.IsInf(c.DefaultWeight, 0) || c.DefaultWeight < 0:
		return bad("default weight is %v, want a finite number ≥ 0", c.DefaultWeight)
	case c.HalfLife < 0:
		return bad("half-life %v is negative", c.HalfLife)
	case c.Rarity > RarityPlain:
		return bad("unknown rarity %v", c.Rarity)
	case c.Population < 0:
		return bad("population %d is negative", c.Population)
	case c.Top < 0:
		return bad("top %d is negative", c.Top)
	}
	return nil
}

// TagScore is a tag with a customer's preference score for it. It is a plain
// value.
type TagScore struct {
	Tag   string
	Score float64
}

// Preferences is the result of the preference model: each customer's
// strongest tags. It is immutable and safe for concurrent use.
type Preferences struct {
	top        map[string][]TagScore
	keys       []string // sorted
	docFreq    map[string]int
	population int
	future     int
	rarity     Rarity
	excluded   []segkit.Excluded
}

// Excluded returns, per excluded period, the number of behaviour records it
// removed; nil without excluded periods.
func (p *Preferences) Excluded() []segkit.Excluded { return slices.Clone(p.excluded) }

// ComputePreferences scores, for every customer, each tag it interacted with:
//
//	score(c, t) = Σ over c's records r on t of weight(r.Type) · 2^(−age(r)/HalfLife) · rarity(t)
//
// where age(r) = now − r.At (records after now are ignored and counted in
// [Preferences.Future]) and rarity(t) is the configured IDF factor over the
// number of customers with a positively weighted record on t. Each customer's
// tags are ranked by score, highest first, ties by tag name; records are
// accepted in any order. An empty customer or tag, or (when DefaultWeight is
// 0) a type without a weight, is an error naming the record's position.
func ComputePreferences(records iter.Seq[Behavior], now time.Time, cfg PreferenceConfig) (*Preferences, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ex, err := segkit.NewExclusion(cfg.Exclude)
	if err != nil {
		return nil, fmt.Errorf("%w: preference: %w", ErrInvalidConfig, err)
	}
	zone := segkit.NewZone(cfg.Location)
	raw := map[string]map[string]float64{}
	future, i := 0, -1
	for r := range records {
		i++
		switch {
		case r.Customer == "":
			return nil, fmt.Errorf("%w: behaviour %d: empty customer", ErrInvalidInput, i)
		case r.Tag == "":
			return nil, fmt.Errorf("%w: behaviour %d (customer %q): empty tag", ErrInvalidInput, i, r.Customer)
		}
		w, ok := cfg.Weights[r.Type]
		if !ok {
			if cfg.DefaultWeight == 0 {
				return nil, fmt.Errorf("%w: behaviour %d (customer %q): type %q has no weight (PreferenceConfig.Weights)", ErrInvalidInput, i, r.Customer, r.Type)
			}
			w = cfg.DefaultWeight
		}
		if r.At.After(now) {
			future++
			continue
		}
		if ex.Active() && ex.Drop(zone.DayOf(r.At)) {
			continue
		}
		if w == 0 {
			continue
		}
		tags := raw[r.Customer]
		if tags == nil {
			tags = map[string]float64{}
			raw[r.Customer] = tags
		}
		tags[r.Tag] += w * decay(now.Sub(r.At), cfg.HalfLife)
	}
	p := &Preferences{
		top:      make(map[string][]TagScore, len(raw)),
		keys:     slices.Sorted(maps.Keys(raw)),
		docFreq:  map[string]int{},
		future:   future,
		rarity:   cfg.Rarity,
		excluded: ex.Report(),
	}
	for _, tags := range raw {
		for t := range tags {
			p.docFreq[t]++
		}
	}
	p.population = len(raw)
	if cfg.Population > 0 {
		if cfg.Population < len(raw) {
			return nil, fmt.Errorf("%w: preference: population %d is smaller than the %d customers in the records", ErrInvalidConfig, cfg.Population, len(raw))
		}
		p.population = cfg.Population
	}
	for c, tags := range raw {
		scores := make([]TagScore, 0, len(tags))
		for t, s := range tags {
			scores = append(scores, TagScore{Tag: t, Score: s * p.Rarity(t)})
		}
		slices.SortFunc(scores, func(a, b TagScore) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			return cmp.Compare(a.Tag, b.Tag)
		})
		if cfg.Top > 0 && len(scores) > cfg.Top {
			scores = slices.Clip(scores[:cfg.Top])
		}
		p.top[c] = scores
	}
	return p, nil
}

// decay is 2^(−age/halfLife), continuous; 1 without a half-life.
func decay(age, halfLife time.Duration) float64 {
	if halfLife <= 0 {
		return 1
	}
	return math.Exp2(-age.Seconds() / halfLife.Seconds())
}

// Top returns the customer's strongest tags, best first (nil when the
// customer has no counted behaviour). The slice is shared: do not modify it.
func (p *Preferences) Top(customer string) []TagScore { return p.top[customer] }

// All yields every customer with its strongest tags, in key order.
func (p *Preferences) All() iter.Seq2[string, []TagScore] {
	return func(yield func(string, []TagScore) bool) {
		for _, k := range p.keys {
			if !yield(k, p.top[k]) {
				return
			}
		}
	}
}

// Len returns the number of customers with at least one counted behaviour.
func (p *Preferences) Len() int { return len(p.keys) }

// Population returns N, the population the rarity factor was computed over.
func (p *Preferences) Population() int { return p.population }

// Future returns the number of records dated after now, which were ignored.
func (p *Preferences) Future() int { return p.future }

// DocFreq returns the number of customers with a counted behaviour on tag.
func (p *Preferences) DocFreq(tag string) int { return p.docFreq[tag] }

// Rarity returns the factor applied to tag's scores: 1 under RarityNone, the
// configured IDF otherwise; 0 for a tag no customer has a counted behaviour
// on.
func (p *Preferences) Rarity(tag string) float64 {
	df := p.docFreq[tag]
	if df == 0 {
		return 0
	}
	n := float64(p.population)
	switch p.rarity {
	case RaritySmooth:
		return math.Log((1+n)/(1+float64(df))) + 1
	case RarityPlain:
		return math.Log(n / float64(df))
	}
	return 1
}
