package synth

import (
	"math"
	"slices"
	"time"

	"github.com/segkit/segkit"
)

// Customer is one generated customer: its key, tags and attributes. In the
// streams of a [Generator] the slices (Tags, Interests) are reused between
// iterations: a Customer is valid until the loop body returns; keep a
// [Customer.Clone] to retain it. A Customer is a plain value.
type Customer struct {
	// Index is the customer's 0-based position in the population.
	Index int
	// Key is [Key](Index), e.g. "c00000001".
	Key string
	// Persona is the name of the latent persona that generated the customer.
	// It is ground truth for tests and model checks, not an attribute.
	Persona string
	// Tags in vocabulary rank order (most popular first).
	Tags []string

	// Age in years; 0 when missing.
	Age int
	// Gender is "F" or "M"; "" when missing.
	Gender string
	// City is always present.
	City string
	// Occupation; "" when missing.
	Occupation string
	// Source is the acquisition channel (wechat, douyin, …); "" when missing.
	Source string
	// Spend is the total of the customer's transactions before End, in
	// cents precision (0 for customers who never bought).
	Spend float64
	// SignupAt is when the customer signed up.
	SignupAt time.Time
	// LastLoginAt is the customer's last login before End (at least the
	// login of the signup day).
	LastLoginAt time.Time
	// VIP is true for 90% of the customers whose Spend reaches
	// Config.VIPSpend and 1% of the others.
	VIP bool
	// Interests in [Interests] order; empty when missing.
	Interests []string

	// Latent holds the hidden variables the customer was drawn from.
	Latent Latent
}

// Latent holds a customer's hidden variables: the truth that model fits and
// predictions (P(alive), expected purchases, spend) can be checked against.
// It is a plain value.
type Latent struct {
	// LoginProb is the daily login probability while active.
	LoginProb float64
	// ActiveUntil is the last day (in the generator's location) on which the
	// customer may log in; it may be after End.
	ActiveUntil segkit.Day
	// TrialTaker is true when the customer took a trial class before End.
	TrialTaker bool
	// Buyer is true when the customer made a first purchase before End;
	// the fields below are zero otherwise.
	Buyer bool
	// FirstPurchase is the time of the first purchase (BG/NBD time 0).
	FirstPurchase time.Time
	// Lambda is the BG/NBD purchase rate per day while alive.
	Lambda float64
	// DropoutP is the BG/NBD probability of becoming inactive after each
	// repeat purchase.
	DropoutP float64
	// Nu is the Gamma-Gamma rate: the customer's mean transaction value is
	// GammaGamma.P / Nu.
	Nu float64
	// Alive is true when the buyer had not dropped out by End.
	Alive bool
	// Repeat is the number of repeat purchases before End (x in BG/NBD).
	Repeat int
}

// Clone returns a copy of c that does not share slices with the stream.
func (c Customer) Clone() Customer {
	c.Tags = slices.Clone(c.Tags)
	c.Interests = slices.Clone(c.Interests)
	return c
}

// Record is everything generated for one customer: the customer, its events
// inside the event window in time order, and all its transactions (the whole
// history since the first purchase) in time order. In streams a Record and
// its slices are reused between iterations and belong to the loop body until
// it returns; see [Record.Clone]. [Generator.Record] returns one the caller
// owns.
type Record struct {
	Customer
	Events       []segkit.Event
	Transactions []segkit.Transaction
}

// Clone returns a deep copy of r.
func (r *Record) Clone() *Record {
	c := &Record{Customer: r.Customer.Clone()}
	c.Events = slices.Clone(r.Events)
	c.Transactions = slices.Clone(r.Transactions)
	return c
}

// what a generation pass needs.
type need uint8

const (
	needAttrs  need = 1 << iota // demographics, tags, interests, last login
	needEvents                  // the event list
	needTx                      // the transaction list
)

// A trial taker takes another trial class with probability 0.45, at most 8.
var moreTrialsT = thresh(0.45)

const maxTrials = 8

// state is the scratch of one stream: reusable random streams and buffers.
// It is not safe for concurrent use.
type state struct {
	attrs, logins, trials, buys *rng

	tagIdx  []int32
	logAt   []int64
	trialAt []int64
	txAt    []int64
	txCents []int64
}

func newState() *state {
	return &state{attrs: newRNG(), logins: newRNG(), trials: newRNG(), buys: newRNG()}
}

// generate fills rec with customer i, using st's scratch.
func (g *Generator) generate(st *state, rec *Record, i int, what need) {
	cfg := &g.cfg
	c := &rec.Customer
	tags, ints := c.Tags[:0], c.Interests[:0]
	*c = Customer{Index: i, Key: Key(i), Tags: tags, Interests: ints}
	rec.Events = rec.Events[:0]
	rec.Transactions = rec.Transactions[:0]

	// Core draws, always made and always first in the attribute stream.
	a := st.attrs
	a.seed(cfg.Seed, i, streamAttrs)
	p := &g.personas[g.personaAlias.draw(a)]
	c.Persona = p.Name
	signup := max(g.endUnix-1-int64(g.signupOffset(a.float())), g.endUnix-int64(g.signupSpan))
	signupDay := g.dayIndex(signup)
	churnDay := signupDay + int(min(a.exp()*p.ActiveDays, 1e6))
	loginP := math.Min(1, p.loginMean*a.exp())
	vipU := a.u64()
	signupLogin := signup + 30 + int64(a.exp()*600)
	signupLogin = min(signupLogin, g.dayStart[signupDay+1]-1, g.endUnix-1)
	c.SignupAt = g.time(signup)
	c.Latent.LoginProb = loginP
	c.Latent.ActiveUntil = g.day0 + segkit.Day(churnDay)

	if what&needAttrs != 0 {
		g.demographics(a, p, c, st)
	}

	// Trials: the first one decides the purchase propensity.
	tr := st.trials
	tr.seed(cfg.Seed, i, streamTrials)
	st.trialAt = st.trialAt[:0]
	if tr.bern(p.trialT) {
		t := float64(signup) + 60 + tr.exp()*3*daySeconds
		for {
			if t >= float64(g.endUnix) {
				break
			}
			st.trialAt = append(st.trialAt, int64(t))
			if !tr.bern(moreTrialsT) || len(st.trialAt) == maxTrials {
				break
			}
			t += 600 + tr.exp()*5*daySeconds
		}
	}
	c.Latent.TrialTaker = len(st.trialAt) > 0

	// Purchases: the BG/NBD process from the first purchase, Gamma-Gamma spends.
	g.purchases(st, i, p, signup, c)
	var cents int64
	for _, x := range st.txCents {
		cents += x
	}
	c.Spend = float64(cents) / 100
	vipP := 0.01
	if c.Spend >= cfg.VIPSpend && cents > 0 {
		vipP = 0.9
	}
	c.VIP = vipU < thresh(vipP)

	// Logins, generated backwards from the last active day: the first draw
	// is the last login.
	if what&(needAttrs|needEvents) != 0 {
		g.logins(st, i, signupDay, churnDay, loginP, signupLogin, what&needEvents != 0)
		c.LastLoginAt = g.time(signupLogin)
		if len(st.logAt) > 0 {
			c.LastLoginAt = g.time(st.logAt[0])
		}
	}

	if what&needTx != 0 {
		for j, at := range st.txAt {
			rec.Transactions = append(rec.Transactions, segkit.Transaction{
				Customer: c.Key, At: g.time(at), Amount: float64(st.txCents[j]) / 100, Quantity: 1,
			})
		}
	}
	if what&needEvents != 0 {
		g.mergeEvents(st, rec, signup, signupLogin)
	}
}

// demographics draws the attribute stream after the core draws.
func (g *Generator) demographics(a *rng, p *persona, c *Customer, st *state) {
	miss := func() bool { return a.bern(g.missT) }
	span := p.AgeMax - p.AgeMin + 1
	age := p.AgeMin + (a.intn(span)+a.intn(span))/2
	if !miss() {
		c.Age = age
	}
	gender := "M"
	if a.bern(p.femaleT) {
		gender = "F"
	}
	if !miss() {
		c.Gender = gender
	}
	c.City = g.cityNames[g.cityAlias.draw(a)]
	if len(p.Occupations) > 0 {
		occ := p.Occupations[a.intn(len(p.Occupations))]
		if !miss() {
			c.Occupation = occ
		}
	}
	src := sources[g.sourceAlias.draw(a)].name
	if !miss() {
		c.Source = src
	}
	idx := p.interests.sample(a, st.tagIdx[:0])
	for _, j := range idx {
		c.Interests = append(c.Interests, interests[j])
	}
	idx = p.tags.sample(a, idx[:0])
	for _, k := range idx {
		c.Tags = append(c.Tags, g.tagNames[k])
	}
	st.tagIdx = idx
}

// purchases simulates the buyer's transactions into st.txAt / st.txCents.
func (g *Generator) purchases(st *state, i int, p *persona, signup int64, c *Customer) {
	cfg := &g.cfg
	st.txAt, st.txCents = st.txAt[:0], st.txCents[:0]
	b := st.buys
	b.seed(cfg.Seed, i, streamBuys)
	bt := p.buyNoTrialT
	base := float64(signup) + 60
	if len(st.trialAt) > 0 {
		bt = p.buyTrialT
		base = float64(st.trialAt[0]) + 600
	}
	if !b.bern(bt) {
		return
	}
	first := base + b.exp()*cfg.FirstPurchaseDays*daySeconds
	if first >= float64(g.endUnix) {
		return
	}
	lambda := g.lambda.draw(b) / cfg.BGNBD.Alpha // per day
	dropP := g.drop.draw(b)
	// ν has shape q and rate γ: ν = X/γ with X ~ Gamma(q, 1); an amount has
	// shape p and rate ν: z = Y/ν with Y ~ Gamma(p, 1).
	nu := g.nu.draw(b) / cfg.GammaGamma.Gamma
	amount := func() int64 {
		z := g.amount.draw(b) / nu
		return max(1, int64(math.Round(z*100)))
	}
	l := &c.Latent
	l.Buyer, l.FirstPurchase = true, g.time(int64(first))
	l.Lambda, l.DropoutP, l.Nu, l.Alive = lambda, dropP, nu, true
	st.txAt = append(st.txAt, int64(first))
	st.txCents = append(st.txCents, amount())
	dropT := thresh(dropP)
	t := first
	end := float64(g.endUnix)
	for lambda > 0 {
		t += b.exp() / lambda * daySeconds
		if t >= end {
			break
		}
		st.txAt = append(st.txAt, int64(t))
		st.txCents = append(st.txCents, amount())
		l.Repeat++
		if b.bern(dropT) {
			l.Alive = false
			break
		}
	}
}

// logins fills st.logAt with login times in descending order: all logins in
// the event window when full, else only the last login (if after the signup
// day). The signup-day login is added by the caller.
func (g *Generator) logins(st *state, i, signupDay, churnDay int, loginP float64, signupLogin int64, full bool) {
	st.logAt = st.logAt[:0]
	if loginP <= 0 || churnDay <= signupDay {
		return
	}
	lg := st.logins
	lg.seed(g.cfg.Seed, i, streamLogins)
	// The days between logins are geometric: ⌊E/−log(1−π)⌋ with E ~ Exp(1).
	scale := -1 / math.Log1p(-loginP) // 0 when loginP == 1: every day
	d := min(churnDay, g.lastDay) + 1
	for {
		skip := lg.exp() * scale
		if skip >= float64(d-signupDay-1) {
			return
		}
		d -= 1 + int(skip)
		if full && d < g.windowFirst && len(st.logAt) > 0 {
			return
		}
		start, stop := g.dayStart[d], min(g.dayStart[d+1], g.endUnix)
		at := start + int64(g.hourAlias.draw(lg))*3600 + int64(lg.intn(3600))
		if at >= stop {
			at = start + (at-start)%(stop-start)
		}
		st.logAt = append(st.logAt, at)
		if !full || d < g.windowFirst {
			return
		}
	}
}

// mergeEvents builds rec.Events in time order from the signup, the logins,
// the trials and the purchases inside the event window.
func (g *Generator) mergeEvents(st *state, rec *Record, signup, signupLogin int64) {
	key := rec.Key
	ws := g.windowStart
	logs := st.logAt // descending
	li := len(logs) - 1
	for li >= 0 && logs[li] < ws {
		li--
	}
	// The signup-day login precedes every other login.
	haveSignupLogin := signupLogin >= ws
	haveSignup := signup >= ws
	ti, pi := 0, 0
	for ti < len(st.trialAt) && st.trialAt[ti] < ws {
		ti++
	}
	for pi < len(st.txAt) && st.txAt[pi] < ws {
		pi++
	}
	const never = math.MaxInt64
	for {
		next, kind := int64(never), -1
		if haveSignup {
			next, kind = signup, 0
		}
		if haveSignupLogin && signupLogin < next {
			next, kind = signupLogin, 1
		} else if !haveSignupLogin && li >= 0 && logs[li] < next {
			next, kind = logs[li], 2
		}
		if ti < len(st.trialAt) && st.trialAt[ti] < next {
			next, kind = st.trialAt[ti], 3
		}
		if pi < len(st.txAt) && st.txAt[pi] < next {
			next, kind = st.txAt[pi], 4
		}
		ev := segkit.Event{Customer: key, At: g.time(next)}
		switch kind {
		case -1:
			return
		case 0:
			ev.Name = EventSignup
			haveSignup = false
		case 1:
			ev.Name = EventLogin
			haveSignupLogin = false
		case 2:
			ev.Name = EventLogin
			li--
		case 3:
			ev.Name = EventTrialClass
			ti++
		case 4:
			ev.Name = EventPurchase
			ev.Value = float64(st.txCents[pi]) / 100
			ev.Props = categoryProps[purchaseCategory(g.cfg.Seed, key, pi)]
			pi++
		}
		rec.Events = append(rec.Events, ev)
	}
}
