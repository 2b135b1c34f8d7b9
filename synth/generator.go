package synth

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/segkit/segkit"
)

// Generator produces the population described by a [Config]. It is
// immutable after [New] and safe for concurrent use: every stream method may
// be called from any number of goroutines, and each iteration of a stream
// uses its own scratch state.
type Generator struct {
	cfg Config
	loc *time.Location

	tagNames  []string // by rank (index 0 = rank 1)
	tagShare  []float64
	zipfS     float64
	cityNames []string

	personas     []persona
	personaAlias alias
	cityAlias    alias
	sourceAlias  alias
	hourAlias    alias
	missT        uint64

	// Day table: dayStart[i] is the Unix second of midnight (in loc) of day
	// day0+i; it has one entry more than there are days.
	day0        segkit.Day
	dayStart    []int64
	lastDay     int // index of End's day (the day of End−1s)
	windowFirst int // index of the first day of the event window
	windowStart int64
	endUnix     int64

	signupK    float64 // signup density ∝ exp(−signupK · days before End)
	signupNorm float64 // 1 − exp(−signupK · SignupDays), or 0 when uniform
	signupSpan float64 // seconds

	loginScale float64 // c: π = min(1, c · LoginRate · Exp(1))

	lambda gammaDist
	drop   betaDist
	nu     gammaDist
	amount gammaDist
}

// persona is a compiled Persona.
type persona struct {
	Persona
	index       int
	femaleT     uint64
	tagP        []float64 // P(tag | persona) by rank
	tags        bernSet
	interests   bernSet
	loginMean   float64 // c · LoginRate
	trialT      uint64
	buyTrialT   uint64
	buyNoTrialT uint64
}

const (
	trialLift   = 1.8        // P(buy | trial) / P(buy) before capping
	daySeconds  = 86400      // seconds in a (non-DST) day
	maxKeyIndex = 99_999_999 // beyond this, keys grow past 8 digits
)

// New validates cfg and prepares the tables of its population (tag and city
// popularity, persona tag probabilities, the login rate that reaches
// cfg.DailyActive). The error wraps [ErrConfig] when cfg is invalid.
func New(cfg Config) (*Generator, error) {
	if cfg.Personas == nil {
		cfg.Personas = DefaultPersonas()
	}
	if cfg.TagNames == nil {
		cfg.TagNames = DefaultTagNames()
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, loc: cfg.Location}
	if g.loc == nil {
		g.loc = time.UTC
	}
	if err := g.initTags(); err != nil {
		return nil, err
	}
	g.initCities()
	if err := g.initPersonas(); err != nil {
		return nil, err
	}
	g.initDays()
	if err := g.initLogins(); err != nil {
		return nil, err
	}
	sw := make([]float64, len(sources))
	for i, s := range sources {
		sw[i] = s.weight
	}
	g.sourceAlias = newAlias(sw)
	g.hourAlias = newAlias(hourWeights[:])
	g.missT = thresh(cfg.MissingShare)
	g.lambda = newGamma(cfg.BGNBD.R)
	g.drop = newBeta(cfg.BGNBD.A, cfg.BGNBD.B)
	g.nu = newGamma(cfg.GammaGamma.Q)
	g.amount = newGamma(cfg.GammaGamma.P)
	return g, nil
}

// hourWeights is the relative login activity per hour of day (local time):
// quiet nights, a morning peak and an evening peak.
var hourWeights = [24]float64{
	1.0, 0.6, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 3.5, 4.0, 4.2, 4.0,
	4.5, 4.0, 3.5, 3.5, 3.6, 3.8, 4.2, 5.5, 6.5, 6.8, 5.0, 2.5,
}

// Config returns the Config of g, with defaults applied (Personas, TagNames).
func (g *Generator) Config() Config { return g.cfg }

// Len returns the number of customers.
func (g *Generator) Len() int { return g.cfg.Customers }

// Location returns the time zone of the generated times.
func (g *Generator) Location() *time.Location { return g.loc }

// WindowStart returns the start of the event window: midnight of the first
// of the Config.EventDays days that end with End's day.
func (g *Generator) WindowStart() time.Time { return g.time(g.windowStart) }

// TagNames returns the tag vocabulary in rank order (most popular first).
func (g *Generator) TagNames() []string { return slices.Clone(g.tagNames) }

// TagShare returns the expected share of customers carrying each tag, in
// rank order: TopTagShare/k^s, the Zipf curve the population follows.
func (g *Generator) TagShare() []float64 { return slices.Clone(g.tagShare) }

// ZipfExponent returns the exponent s of the tag popularity curve.
func (g *Generator) ZipfExponent() float64 { return g.zipfS }

// Cities returns the city vocabulary in popularity order.
func (g *Generator) Cities() []string { return slices.Clone(g.cityNames) }

// Personas returns the personas of the population with weights normalised
// to sum to 1.
func (g *Generator) Personas() []Persona {
	out := make([]Persona, len(g.personas))
	for i, p := range g.personas {
		out[i] = p.Persona
	}
	return out
}

// TagProbability returns P(tag | persona) as the generator uses it (0 for an
// unknown tag or persona).
func (g *Generator) TagProbability(personaName, tag string) float64 {
	for i := range g.personas {
		p := &g.personas[i]
		if p.Name != personaName {
			continue
		}
		for k, name := range g.tagNames {
			if name == tag {
				return p.tagP[k]
			}
		}
	}
	return 0
}

// zipfExponent solves Σ_{k=1..n} min(1, top/k^s) = mean for s by bisection.
func zipfExponent(n int, top, mean float64) float64 {
	sum := func(s float64) float64 {
		t := 0.0
		for k := 1; k <= n; k++ {
			t += math.Min(1, top*math.Pow(float64(k), -s))
		}
		return t
	}
	lo, hi := 0.0, 64.0
	for range 200 {
		mid := (lo + hi) / 2
		if sum(mid) > mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func (g *Generator) initTags() error {
	n := g.cfg.Tags
	g.tagNames = make([]string, n)
	seen := make(map[string]bool, n)
	for k := range n {
		name := "tag" + pad(k+1, 4)
		if k < len(g.cfg.TagNames) {
			name = g.cfg.TagNames[k]
		}
		if name == "" || seen[name] {
			return cfgErr("tag name %q at rank %d is empty or duplicate", name, k+1)
		}
		seen[name] = true
		g.tagNames[k] = name
	}
	g.tagShare = make([]float64, n)
	if n == 0 {
		return nil
	}
	g.zipfS = zipfExponent(n, g.cfg.TopTagShare, g.cfg.MeanTags)
	for k := range n {
		g.tagShare[k] = math.Min(1, g.cfg.TopTagShare*math.Pow(float64(k+1), -g.zipfS))
	}
	return nil
}

func (g *Generator) initCities() {
	n := g.cfg.Cities
	g.cityNames = make([]string, n)
	w := make([]float64, n)
	for k := range n {
		if k < len(defaultCities) {
			g.cityNames[k] = defaultCities[k]
		} else {
			g.cityNames[k] = "city_" + pad(k+1, 3)
		}
		w[k] = math.Pow(float64(k+1), -g.cfg.CityZipf)
	}
	g.cityAlias = newAlias(w)
}

// pad formats v with at least width digits.
func pad(v, width int) string {
	s := strconv.Itoa(v)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

func (g *Generator) initPersonas() error {
	ps := g.cfg.Personas
	total := 0.0
	for _, p := range ps {
		total += p.Weight
	}
	rank := make(map[string]int, len(g.tagNames))
	for k, name := range g.tagNames {
		rank[name] = k
	}
	interestIdx := make(map[string]int, len(interests))
	for j, s := range interests {
		interestIdx[s] = j
	}
	g.personas = make([]persona, len(ps))
	weights := make([]float64, len(ps))
	// cond[p][k] is P(tag k | persona p) when persona p drives tag k, else NaN.
	cond := make([][]float64, len(ps))
	for i, p := range ps {
		p.Weight /= total
		p.Occupations = slices.Clone(p.Occupations)
		p.Interests = slices.Clone(p.Interests)
		tags := make(map[string]float64, len(p.Tags))
		cond[i] = make([]float64, len(g.tagNames))
		for k := range cond[i] {
			cond[i][k] = math.NaN()
		}
		for name, q := range p.Tags {
			k, ok := rank[name]
			if !ok {
				return cfgErr("persona %q: tag %q is not in the vocabulary of %d tags", p.Name, name, len(g.tagNames))
			}
			cond[i][k] = q
			tags[name] = q
		}
		p.Tags = tags
		cp := persona{Persona: p, index: i, femaleT: thresh(p.FemaleShare)}
		iq := make([]float64, len(interests))
		for j := range interests {
			iq[j] = interestBase
		}
		for _, s := range p.Interests {
			j, ok := interestIdx[s]
			if !ok {
				return cfgErr("persona %q: interest %q is not in Interests()", p.Name, s)
			}
			iq[j] = interestFavoured
		}
		cp.interests = newBernSet(iq)
		cp.trialT = thresh(p.TrialShare)
		pt := math.Min(1, p.BuyerShare*trialLift)
		pn := 0.0
		if p.TrialShare < 1 {
			pn = math.Max(0, (p.BuyerShare-p.TrialShare*pt)/(1-p.TrialShare))
		}
		cp.buyTrialT, cp.buyNoTrialT = thresh(pt), thresh(pn)
		g.personas[i] = cp
		weights[i] = p.Weight
	}
	g.personaAlias = newAlias(weights)

	// Per tag: the driving personas keep their probabilities; the others
	// share what is left of the Zipf share.
	probs := make([][]float64, len(ps))
	for i := range probs {
		probs[i] = make([]float64, len(g.tagNames))
	}
	for k := range g.tagNames {
		wDriven, mass := 0.0, 0.0
		for i := range ps {
			if q := cond[i][k]; !math.IsNaN(q) {
				wDriven += weights[i]
				mass += weights[i] * q
			}
		}
		base := 0.0
		if wDriven < 1 {
			base = math.Min(1, math.Max(0, (g.tagShare[k]-mass)/(1-wDriven)))
		}
		for i := range ps {
			if q := cond[i][k]; !math.IsNaN(q) {
				probs[i][k] = q
			} else {
				probs[i][k] = base
			}
		}
	}
	for i := range g.personas {
		g.personas[i].tagP = probs[i]
		g.personas[i].tags = newBernSet(probs[i])
	}
	return nil
}

func (g *Generator) initDays() {
	cfg := &g.cfg
	g.endUnix = cfg.End.Unix()
	if cfg.End.Nanosecond() != 0 {
		g.endUnix++ // every time is truncated to the second and must stay < End
	}
	last := segkit.DayOf(time.Unix(g.endUnix-1, 0), g.loc)
	first := segkit.DayOf(time.Unix(g.endUnix-int64(cfg.SignupDays)*daySeconds, 0), g.loc) - 1
	g.day0 = first
	n := int(last-first) + 2
	g.dayStart = make([]int64, n)
	for i := range n {
		g.dayStart[i] = (first + segkit.Day(i)).Time(g.loc).Unix()
	}
	g.lastDay = n - 2
	g.windowFirst = g.lastDay - cfg.EventDays + 1
	if g.windowFirst < 0 {
		g.windowFirst = 0
	}
	g.windowStart = g.dayStart[g.windowFirst]
	if cfg.EventDays == 0 {
		g.windowStart = g.endUnix
		g.windowFirst = g.lastDay + 1
	}
	g.signupSpan = float64(cfg.SignupDays) * daySeconds
	if cfg.SignupGrowth > 0 && cfg.SignupGrowth != 1 {
		g.signupK = math.Log(cfg.SignupGrowth) / 365
		g.signupNorm = -math.Expm1(-g.signupK * float64(cfg.SignupDays))
	}
}

// signupOffset maps u ∈ [0,1) to seconds before End by the inverse CDF of
// the signup density.
func (g *Generator) signupOffset(u float64) float64 {
	if g.signupNorm == 0 {
		return u * g.signupSpan
	}
	return -math.Log1p(-u*g.signupNorm) / g.signupK * daySeconds
}

// signupCDF is P(signup offset ≤ x seconds before End).
func (g *Generator) signupCDF(x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= g.signupSpan:
		return 1
	case g.signupNorm == 0:
		return x / g.signupSpan
	}
	return -math.Expm1(-g.signupK*x/daySeconds) / g.signupNorm
}

// dayIndex returns the index in the day table of the day holding Unix second s.
func (g *Generator) dayIndex(s int64) int {
	i := sort.Search(len(g.dayStart), func(i int) bool { return g.dayStart[i] > s }) - 1
	return max(i, 0)
}

// initLogins finds the scale c of the daily login probabilities so that the
// expected share of customers logging in per day of the event window is
// Config.DailyActive. A customer with persona p logs in on its signup day and
// then, until its churn day (signup + Exp(ActiveDays)), on each day with
// probability π = min(1, c·LoginRate·E), E ~ Exp(1), so E[π] = m(1−e^(−1/m))
// with m = c·LoginRate.
func (g *Generator) initLogins() error {
	nd := g.lastDay + 1
	if g.windowFirst > g.lastDay {
		return nil
	}
	f := make([]float64, nd) // P(signup on day s)
	end := float64(g.endUnix)
	for s := range nd {
		f[s] = g.signupCDF(end-float64(g.dayStart[s])) - g.signupCDF(end-float64(g.dayStart[s+1]))
	}
	days := float64(nd - g.windowFirst)
	floor := 0.0 // from signup-day logins
	for d := g.windowFirst; d < nd; d++ {
		floor += f[d]
	}
	floor /= days
	// gp[i] = mean over window days of Σ_{s<d} f(s)·P(still active on d).
	gp := make([]float64, len(g.personas))
	for i, p := range g.personas {
		if p.ActiveDays == 0 {
			continue
		}
		decay := math.Exp(-1 / p.ActiveDays)
		acc := 0.0
		for d := 1; d < nd; d++ {
			acc = decay * (acc + f[d-1])
			if d >= g.windowFirst {
				gp[i] += acc
			}
		}
		gp[i] /= days
	}
	mean := func(c float64) float64 {
		t := floor
		for i, p := range g.personas {
			m := c * p.LoginRate
			if m > 0 {
				t += p.Weight * m * -math.Expm1(-1/m) * gp[i]
			}
		}
		return t
	}
	target := g.cfg.DailyActive
	c := 0.0
	if target > floor {
		if mean(1e9) < target {
			return cfgErr("DailyActive = %v is unreachable: at most %.4f of the customers can be active per day with these personas and signup span", target, mean(1e9))
		}
		lo, hi := 0.0, 1e9
		for range 200 {
			mid := (lo + hi) / 2
			if mean(mid) < target {
				lo = mid
			} else {
				hi = mid
			}
		}
		c = (lo + hi) / 2
	}
	g.loginScale = c
	for i := range g.personas {
		g.personas[i].loginMean = c * g.personas[i].LoginRate
	}
	return nil
}

// time converts a Unix second to a time in the generator's location.
func (g *Generator) time(s int64) time.Time { return time.Unix(s, 0).In(g.loc) }

// Key returns the key of customer i (0-based): "c" and i+1 in at least 8
// digits, so Key(0) == "c00000001" and keys sort in index order up to
// 99,999,999 customers.
func Key(i int) string {
	var b [24]byte
	return string(appendKey(b[:0], i))
}

func appendKey(b []byte, i int) []byte {
	if i < 0 || i >= maxKeyIndex {
		return fmt.Appendf(b, "c%08d", i+1)
	}
	v := i + 1
	var d [9]byte
	d[0] = 'c'
	for j := 8; j >= 1; j-- {
		d[j] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}
