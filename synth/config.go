package synth

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config describes a synthetic population. Start from [DefaultConfig] or
// [Reference] and change what you need; [New] validates it. Zero values mean
// zero (no missing values, no signup growth, …) except where a field says
// otherwise. A Config is a plain value, safe to copy.
type Config struct {
	// Seed selects the population: the same Config (seed included) always
	// generates the same customers, events and transactions, whatever the
	// consumer's speed or the number of workers.
	Seed uint64
	// Customers is the population size. Customer i (0-based) depends only on
	// Seed, i and the rest of the Config, so a population of n customers is a
	// prefix of every larger one with the same Config.
	Customers int

	// End is the exclusive end of the observation period: every generated
	// time is before End. It must be set explicitly (the wall clock is never
	// read). DefaultConfig uses 2026-07-01T00:00:00Z.
	End time.Time
	// Location is the time zone of day buckets and of the hour-of-day pattern
	// of logins; nil means UTC.
	Location *time.Location
	// SignupDays is the span, ending at End, over which customers signed up.
	SignupDays int
	// SignupGrowth is the ratio of the signup rate at End to the rate one
	// year earlier (1.5: the business grows 50% a year); 0 or 1 means a
	// uniform signup rate.
	SignupGrowth float64
	// EventDays is the number of whole days, ending with End's day, covered
	// by the event streams (transactions cover the whole history).
	EventDays int

	// Tags is the size of the tag vocabulary; tag popularity follows a Zipf
	// law over it.
	Tags int
	// TagNames names the most popular tags in rank order; nil means
	// [DefaultTagNames]. Tags ranked beyond it are named "tag%04d" by rank.
	TagNames []string
	// TopTagShare is the share of customers carrying the most popular tag.
	TopTagShare float64
	// MeanTags is the mean number of tags per customer. Together with
	// TopTagShare it fixes the Zipf exponent s: share(rank k) = TopTagShare/k^s.
	MeanTags float64

	// Cities is the number of distinct cities; their popularity is Zipf with
	// exponent CityZipf. The first are [DefaultCities], then "city_%03d".
	Cities   int
	CityZipf float64

	// Personas are the latent customer types that drive tags, attributes and
	// behaviour; nil means [DefaultPersonas]. Weights are normalised.
	Personas []Persona

	// MissingShare is the probability that each optional attribute (age,
	// gender, occupation, source) is missing for a customer.
	MissingShare float64
	// DailyActive is the mean share of customers who log in on a day of the
	// event window (0.05: 500k logins a day at 10M customers). Per-persona
	// login rates are scaled to reach it.
	DailyActive float64
	// VIPSpend is the total spend from which a customer is a VIP with
	// probability 0.9 (below it, with probability 0.01).
	VIPSpend float64
	// FirstPurchaseDays is the mean delay in days from signup (or from the
	// first trial class, for trial takers) to the first purchase of a buyer.
	FirstPurchaseDays float64

	// BGNBD drives the repeat purchases of buyers, in days.
	BGNBD BGNBD
	// GammaGamma drives the transaction amounts.
	GammaGamma GammaGamma

	// Workers is the number of goroutines that generate customers ahead of
	// the consumer of a stream; 0 or 1 generates on the consumer's goroutine.
	// The output does not depend on it.
	Workers int
}

// BGNBD holds the parameters of the BG/NBD purchase process (Fader, Hardie &
// Lee 2005) with time measured in days; a plain value. Each buyer draws a purchase rate
// λ ~ Gamma(shape R, rate Alpha) and a dropout probability p ~ Beta(A, B);
// while alive it buys as a Poisson process of rate λ and becomes inactive
// with probability p right after each repeat purchase. Time 0 is the buyer's
// first purchase.
type BGNBD struct {
	R, Alpha, A, B float64
}

// GammaGamma holds the parameters of the Gamma-Gamma spend model (Fader &
// Hardie 2013), a plain value: each buyer draws ν ~ Gamma(shape Q, rate Gamma) and each of
// its transactions is worth z ~ Gamma(shape P, rate ν), so the population's
// mean transaction value is P·Gamma/(Q−1).
type GammaGamma struct {
	P, Q, Gamma float64
}

// Persona is a latent customer type: it decides a customer's age range,
// gender, occupation, favoured tags and interests, and behaviour rates. It
// is a plain value; [New] copies what it keeps, so callers may reuse theirs.
type Persona struct {
	// Name identifies the persona ("college_student").
	Name string
	// Label is a human label ("大学生").
	Label string
	// Weight is the persona's relative share of the population.
	Weight float64
	// AgeMin and AgeMax bound the age (inclusive); the age is triangular
	// around the middle of the range.
	AgeMin, AgeMax int
	// FemaleShare is the probability that gender is "F" (else "M").
	FemaleShare float64
	// Occupations are drawn uniformly; empty means the occupation is missing.
	Occupations []string
	// Tags gives P(tag | persona) for the tags this persona drives. The
	// other personas carry the tag with whatever probability keeps its
	// overall popularity on the Zipf curve (0 when the driving personas
	// already exceed it). Every name must be in the tag vocabulary.
	Tags map[string]float64
	// Interests are favoured interests (probability 0.42 each, 0.06 for the
	// others); they must be in [Interests].
	Interests []string
	// LoginRate is the persona's relative daily login propensity (1 is
	// average); the absolute level is set by Config.DailyActive.
	LoginRate float64
	// ActiveDays is the mean number of days a customer keeps logging in
	// after signup (exponentially distributed).
	ActiveDays float64
	// TrialShare is the probability of taking at least one trial class.
	TrialShare float64
	// BuyerShare is the probability of ever buying (trial takers are 1.8
	// times as likely as the others, keeping this overall share).
	BuyerShare float64
}

// defaultEnd is the End of DefaultConfig.
var defaultEnd = time.Date(2026, time.July, 1, 0, 0, 0, 0, time.UTC)

// DefaultConfig returns the reference workload of DESIGN.md §6 with 10,000
// customers: 1,000 tags with Zipf popularity (the top tag on half of the
// customers, 10 tags per customer on average), 300 cities, the
// [DefaultPersonas], three years of signups, a year of events ending at
// End = 2026-07-01T00:00:00Z with 5% of customers active per day, and transactions from a
// BG/NBD process with Gamma-Gamma spends. At 10M customers this is about
// 500k logins and 55k purchases a day.
func DefaultConfig() Config {
	return Config{
		Seed:              1,
		Customers:         10_000,
		End:               defaultEnd,
		SignupDays:        3 * 365,
		SignupGrowth:      1.5,
		EventDays:         365,
		Tags:              1000,
		TopTagShare:       0.5,
		MeanTags:          10,
		Cities:            300,
		CityZipf:          1.0,
		MissingShare:      0.03,
		DailyActive:       0.05,
		VIPSpend:          500,
		FirstPurchaseDays: 14,
		BGNBD:             BGNBD{R: 0.75, Alpha: 12, A: 0.8, B: 5},
		GammaGamma:        GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44},
	}
}

// Reference returns [DefaultConfig] with n customers: the reference workload
// of the benchmarks (Reference(10_000_000) is the 10M population).
func Reference(n int) Config {
	c := DefaultConfig()
	c.Customers = n
	return c
}

// ErrConfig is wrapped by every error [New] returns for an invalid Config.
var ErrConfig = errors.New("synth: invalid config")

func cfgErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func prob(x float64) bool { return finite(x) && x >= 0 && x <= 1 }

// validate checks c (after defaults are applied).
func (c *Config) validate() error {
	switch {
	case c.Customers < 0:
		return cfgErr("Customers = %d, want ≥ 0", c.Customers)
	case c.End.IsZero():
		return cfgErr("End is zero; set an explicit end time (the wall clock is never read)")
	case c.SignupDays < 1 || c.SignupDays > 100*366:
		return cfgErr("SignupDays = %d, want 1..36600", c.SignupDays)
	case c.EventDays < 0 || c.EventDays > c.SignupDays+1:
		return cfgErr("EventDays = %d, want 0..SignupDays+1 (%d)", c.EventDays, c.SignupDays+1)
	case !finite(c.SignupGrowth) || c.SignupGrowth < 0:
		return cfgErr("SignupGrowth = %v, want ≥ 0", c.SignupGrowth)
	case c.Tags < 0 || c.Tags > 1<<20:
		return cfgErr("Tags = %d, want 0..%d", c.Tags, 1<<20)
	case c.Cities < 1 || c.Cities > 1<<20:
		return cfgErr("Cities = %d, want 1..%d", c.Cities, 1<<20)
	case !finite(c.CityZipf) || c.CityZipf < 0:
		return cfgErr("CityZipf = %v, want ≥ 0", c.CityZipf)
	case !prob(c.MissingShare):
		return cfgErr("MissingShare = %v, want 0..1", c.MissingShare)
	case !finite(c.DailyActive) || c.DailyActive < 0 || c.DailyActive >= 1:
		return cfgErr("DailyActive = %v, want 0 ≤ x < 1", c.DailyActive)
	case !finite(c.VIPSpend) || c.VIPSpend < 0:
		return cfgErr("VIPSpend = %v, want ≥ 0", c.VIPSpend)
	case !finite(c.FirstPurchaseDays) || c.FirstPurchaseDays < 0:
		return cfgErr("FirstPurchaseDays = %v, want ≥ 0", c.FirstPurchaseDays)
	case c.Workers < 0 || c.Workers > 1024:
		return cfgErr("Workers = %d, want 0..1024", c.Workers)
	}
	if c.Tags > 0 {
		if !finite(c.TopTagShare) || c.TopTagShare <= 0 || c.TopTagShare > 1 {
			return cfgErr("TopTagShare = %v, want 0 < x ≤ 1", c.TopTagShare)
		}
		if !finite(c.MeanTags) || c.MeanTags < c.TopTagShare || c.MeanTags > c.TopTagShare*float64(c.Tags) {
			return cfgErr("MeanTags = %v, want TopTagShare..TopTagShare·Tags (%v..%v)",
				c.MeanTags, c.TopTagShare, c.TopTagShare*float64(c.Tags))
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"BGNBD.R", c.BGNBD.R}, {"BGNBD.Alpha", c.BGNBD.Alpha}, {"BGNBD.A", c.BGNBD.A}, {"BGNBD.B", c.BGNBD.B},
		{"GammaGamma.P", c.GammaGamma.P}, {"GammaGamma.Q", c.GammaGamma.Q}, {"GammaGamma.Gamma", c.GammaGamma.Gamma},
	} {
		if !finite(p.v) || p.v <= 0 || p.v > 1e6 {
			return cfgErr("%s = %v, want 0 < x ≤ 1e6", p.name, p.v)
		}
	}
	if len(c.Personas) == 0 {
		return cfgErr("no personas")
	}
	total := 0.0
	seen := map[string]bool{}
	for i, p := range c.Personas {
		name := p.Name
		if name == "" {
			return cfgErr("persona %d has no name", i)
		}
		if seen[name] {
			return cfgErr("duplicate persona %q", name)
		}
		seen[name] = true
		switch {
		case !finite(p.Weight) || p.Weight < 0:
			return cfgErr("persona %q: Weight = %v, want ≥ 0", name, p.Weight)
		case p.AgeMin < 1 || p.AgeMax < p.AgeMin || p.AgeMax > 150:
			return cfgErr("persona %q: ages %d..%d, want 1 ≤ AgeMin ≤ AgeMax ≤ 150", name, p.AgeMin, p.AgeMax)
		case !prob(p.FemaleShare):
			return cfgErr("persona %q: FemaleShare = %v, want 0..1", name, p.FemaleShare)
		case !finite(p.LoginRate) || p.LoginRate < 0:
			return cfgErr("persona %q: LoginRate = %v, want ≥ 0", name, p.LoginRate)
		case !finite(p.ActiveDays) || p.ActiveDays < 0:
			return cfgErr("persona %q: ActiveDays = %v, want ≥ 0", name, p.ActiveDays)
		case !prob(p.TrialShare):
			return cfgErr("persona %q: TrialShare = %v, want 0..1", name, p.TrialShare)
		case !prob(p.BuyerShare):
			return cfgErr("persona %q: BuyerShare = %v, want 0..1", name, p.BuyerShare)
		}
		for tag, q := range p.Tags {
			if !prob(q) {
				return cfgErr("persona %q: tag %q probability %v, want 0..1", name, tag, q)
			}
		}
		total += p.Weight
	}
	if total <= 0 {
		return cfgErr("persona weights sum to %v, want > 0", total)
	}
	return nil
}
