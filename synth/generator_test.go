package synth

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const popSize = 30_000

// population is the reference workload at popSize customers, generated once
// for the distribution tests.
var population = sync.OnceValues(func() (*Generator, []*Record) {
	cfg := Reference(popSize)
	cfg.Workers = 2
	g, err := New(cfg)
	if err != nil {
		panic(err)
	}
	recs := make([]*Record, 0, popSize)
	for r := range g.Records() {
		recs = append(recs, r.Clone())
	}
	return g, recs
})

func mustNew(t testing.TB, cfg Config) *Generator {
	t.Helper()
	g, err := New(cfg)
	require.NoError(t, err)
	return g
}

// digest hashes every field of a stream of records.
func digest(recs func(func(*Record) bool)) string {
	h := fnv.New128a()
	n := 0
	var b []byte
	for r := range recs {
		b = appendRecord(b[:0], r)
		h.Write(b)
		n++
	}
	return fmt.Sprintf("%d:%x", n, h.Sum(nil))
}

// appendRecord encodes every field of r (cheaper than fmt under -race).
func appendRecord(b []byte, r *Record) []byte {
	c := &r.Customer
	str := func(s string) { b = append(strconv.AppendInt(b, int64(len(s)), 10), s...) }
	num := func(x int64) { b = append(strconv.AppendInt(b, x, 10), ' ') }
	flt := func(x float64) { num(int64(math.Float64bits(x))) }
	num(int64(c.Index))
	str(c.Key)
	str(c.Persona)
	for _, t := range c.Tags {
		str(t)
	}
	num(int64(c.Age))
	str(c.Gender)
	str(c.City)
	str(c.Occupation)
	str(c.Source)
	flt(c.Spend)
	num(c.SignupAt.Unix())
	num(c.LastLoginAt.Unix())
	str(strconv.FormatBool(c.VIP))
	for _, s := range c.Interests {
		str(s)
	}
	l := c.Latent
	flt(l.LoginProb)
	num(int64(l.ActiveUntil))
	str(fmt.Sprint(l.TrialTaker, l.Buyer, l.Alive))
	num(l.FirstPurchase.Unix())
	flt(l.Lambda)
	flt(l.DropoutP)
	flt(l.Nu)
	num(int64(l.Repeat))
	for _, e := range r.Events {
		str(e.Customer)
		str(e.Name)
		num(e.At.Unix())
		flt(e.Value)
	}
	for _, t := range r.Transactions {
		str(t.Customer)
		num(t.At.Unix())
		flt(t.Amount)
		num(int64(t.Quantity))
		str(t.Order)
	}
	return append(b, '\n')
}

func TestDeterminism(t *testing.T) {
	cfg := Reference(3000)
	base := digest(mustNew(t, cfg).Records())

	t.Run("same config twice", func(t *testing.T) {
		assert.Equal(t, base, digest(mustNew(t, cfg).Records()))
	})
	for _, w := range []int{2, 3, 8} {
		t.Run(fmt.Sprintf("%d workers", w), func(t *testing.T) {
			c := cfg
			c.Workers = w
			assert.Equal(t, base, digest(mustNew(t, c).Records()))
		})
	}
	t.Run("different seed differs", func(t *testing.T) {
		c := cfg
		c.Seed = 2
		assert.NotEqual(t, base, digest(mustNew(t, c).Records()))
	})
	t.Run("smaller population is a prefix", func(t *testing.T) {
		small := Reference(1000)
		small.Workers = 2
		want := digest(mustNew(t, cfg).Range(0, 1000))
		assert.Equal(t, want, digest(mustNew(t, small).Records()))
	})
	t.Run("ranges concatenate to the whole", func(t *testing.T) {
		g := mustNew(t, cfg)
		var all []string
		for r := range g.Records() {
			all = append(all, string(appendRecord(nil, r)))
		}
		var parts []string
		for _, rg := range [][2]int{{-5, 700}, {700, 2100}, {2100, 99999}} {
			for r := range g.Range(rg[0], rg[1]) {
				parts = append(parts, string(appendRecord(nil, r)))
			}
		}
		assert.Equal(t, all, parts)
		assert.Equal(t, all[1234], string(appendRecord(nil, g.Record(1234))))
		assert.Nil(t, g.Record(-1))
		assert.Nil(t, g.Record(3000))
	})
}

func TestStreamsAgreeWithRecords(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			cfg := Reference(1500)
			cfg.Workers = workers
			g := mustNew(t, cfg)
			var recs []*Record
			for r := range g.Records() {
				recs = append(recs, r.Clone())
			}
			var custs []Customer
			for c := range g.Customers() {
				custs = append(custs, c.Clone())
			}
			require.Len(t, custs, len(recs))
			var wantEv []segkit.Event
			var wantTx []segkit.Transaction
			for i, r := range recs {
				assert.Equal(t, r.Customer, custs[i], "customer %d", i)
				wantEv = append(wantEv, r.Events...)
				wantTx = append(wantTx, r.Transactions...)
			}
			assert.Equal(t, wantEv, slices.Collect(g.Events()))
			assert.Equal(t, wantTx, slices.Collect(g.Transactions()))
		})
	}
}

func TestStreamsStopEarly(t *testing.T) {
	cfg := Reference(5000)
	cfg.Workers = 2
	g := mustNew(t, cfg)
	n := 0
	for c := range g.Customers() {
		if c.Index == 3000 {
			break
		}
		n++
	}
	assert.Equal(t, 3000, n)
	n = 0
	for range g.Events() {
		n++
		if n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)
	n = 0
	for range g.Transactions() {
		n++
		if n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)
}

func TestKey(t *testing.T) {
	tests := []struct {
		i    int
		want string
	}{{0, "c00000001"}, {9, "c00000010"}, {12345677, "c12345678"}, {99_999_998, "c99999999"}, {99_999_999, "c100000000"}}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Key(tc.i))
	}
	assert.Less(t, Key(8), Key(9), "keys sort in index order")
	assert.Less(t, Key(999), Key(1000))
}

func TestZipfTagPopularity(t *testing.T) {
	g, recs := population()
	n := float64(len(recs))
	count := map[string]int{}
	total := 0
	for _, r := range recs {
		total += len(r.Tags)
		for _, tag := range r.Tags {
			count[tag]++
		}
	}
	names, share := g.TagNames(), g.TagShare()
	require.Len(t, names, 1000)
	assert.Equal(t, "app_user", names[0])
	assert.InDelta(t, 0.74, g.ZipfExponent(), 0.01, "exponent for top share 0.5 and 10 tags on average")

	top := float64(count[names[0]]) / n
	within(t, "top tag share", top, 0.5, math.Sqrt(0.25/n), 5)
	mean := float64(total) / n
	assert.InDelta(t, 10, mean, 0.3, "mean tags per customer")

	// Every tag's share matches the generator's marginal Σ_p w_p P(tag|p),
	// which is on the Zipf curve except where driving personas exceed it.
	personas := g.Personas()
	offCurve := 0
	for k, name := range names {
		marg := 0.0
		for _, p := range personas {
			marg += p.Weight * g.TagProbability(p.Name, name)
		}
		got := float64(count[name]) / n
		within(t, name, got, marg, math.Sqrt(marg*(1-marg)/n)+1e-4, 5)
		if math.Abs(marg-share[k]) > 1e-9 {
			offCurve++
			assert.InDelta(t, share[k], marg, 0.035, "tag %s (rank %d) strays from the Zipf curve", name, k+1)
		}
	}
	assert.LessOrEqual(t, offCurve, 12, "tags off the Zipf curve")

	// The log-log slope of share against rank is −s.
	var xs, ys []float64
	for k := 9; k < 1000; k++ {
		if c := count[names[k]]; c > 0 {
			xs = append(xs, math.Log(float64(k+1)))
			ys = append(ys, math.Log(float64(c)/n))
		}
	}
	assert.InDelta(t, -g.ZipfExponent(), slope(xs, ys), 0.05, "log-log slope")
}

func slope(xs, ys []float64) float64 {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	return sxy / sxx
}

func TestPersonasDriveTagsAndAttributes(t *testing.T) {
	g, recs := population()
	type tally struct{ n int }
	byPersona := map[string]*tally{}
	rate := func(persona, tag string, in bool) float64 {
		var n, with int
		for _, r := range recs {
			if (r.Persona == persona) != in {
				continue
			}
			n++
			if slices.Contains(r.Tags, tag) {
				with++
			}
		}
		return float64(with) / float64(n)
	}
	tests := []struct {
		persona, tag string
		want         float64
	}{
		{"college_student", "undergrad", 0.82},
		{"college_student", "job_seeking", 0.40},
		{"young_mother", "mother", 0.92},
		{"young_mother", "side_income", 0.40},
		{"office_worker", "office_worker", 0.70},
		{"retiree", "retired", 0.62},
		{"freelancer", "side_income", 0.45},
	}
	for _, tc := range tests {
		t.Run(tc.persona+"/"+tc.tag, func(t *testing.T) {
			in, out := rate(tc.persona, tc.tag, true), rate(tc.persona, tc.tag, false)
			assert.InDelta(t, tc.want, in, 0.04, "P(tag | persona)")
			assert.Greater(t, in, 4*out, "lift over the other personas (%.3f vs %.3f)", in, out)
			assert.InDelta(t, tc.want, g.TagProbability(tc.persona, tc.tag), 1e-12)
		})
	}

	ps := map[string]Persona{}
	for _, p := range g.Personas() {
		ps[p.Name] = p
		byPersona[p.Name] = &tally{}
	}
	female := map[string]int{}
	gendered := map[string]int{}
	for _, r := range recs {
		p := ps[r.Persona]
		byPersona[r.Persona].n++
		if r.Age != 0 {
			assert.True(t, r.Age >= p.AgeMin && r.Age <= p.AgeMax, "age %d outside %s %d..%d", r.Age, p.Name, p.AgeMin, p.AgeMax)
		}
		if r.Occupation != "" {
			assert.Contains(t, p.Occupations, r.Occupation)
		}
		if r.Gender != "" {
			gendered[r.Persona]++
			if r.Gender == "F" {
				female[r.Persona]++
			}
		}
	}
	for name, p := range ps {
		n := float64(len(recs))
		within(t, name+" share", float64(byPersona[name].n)/n, p.Weight, math.Sqrt(p.Weight*(1-p.Weight)/n), 5)
		m := float64(gendered[name])
		within(t, name+" female share", float64(female[name])/m, p.FemaleShare, math.Sqrt(p.FemaleShare*(1-p.FemaleShare)/m)+1e-9, 5)
	}
}

func TestAttributeDistributions(t *testing.T) {
	g, recs := population()
	n := float64(len(recs))
	cities := map[string]int{}
	missing := map[string]int{}
	vip, buyers, trialBuyers, trials := 0, 0, 0, 0
	for _, r := range recs {
		cities[r.City]++
		if r.Age == 0 {
			missing["age"]++
		}
		if r.Gender == "" {
			missing["gender"]++
		}
		if r.Source == "" {
			missing["source"]++
		}
		if len(r.Interests) == 0 {
			missing["interests"]++
		}
		if r.VIP {
			vip++
		}
		if r.Latent.Buyer {
			buyers++
		}
		if r.Latent.TrialTaker {
			trials++
			if r.Latent.Buyer {
				trialBuyers++
			}
		}
		assert.True(t, slices.IsSorted(r.Interests) || isVocabOrder(r.Interests))
	}
	for _, attr := range []string{"age", "gender", "source"} {
		within(t, "missing "+attr, float64(missing[attr])/n, 0.03, math.Sqrt(0.03*0.97/n), 5)
	}
	assert.Greater(t, missing["interests"], 0, "some customers have no interests (missing set)")

	// Cities: Zipf(1) over 300, Beijing first.
	h := 0.0
	for k := 1; k <= 300; k++ {
		h += 1 / float64(k)
	}
	within(t, "Beijing share", float64(cities["Beijing"])/n, 1/h, math.Sqrt(1/h/n), 5)
	within(t, "Chengdu share", float64(cities["Chengdu"])/n, 1/(5*h), math.Sqrt(1/(5*h)/n), 5)
	assert.Greater(t, len(cities), 280, "nearly all 300 cities occur")
	assert.Equal(t, "Beijing", g.Cities()[0])
	assert.Len(t, g.Cities(), 300)

	assert.Greater(t, float64(trialBuyers)/float64(trials), float64(buyers-trialBuyers)/(n-float64(trials)),
		"trial takers buy more often")
	assert.InDelta(t, 0.39, float64(buyers)/n, 0.03, "buyers")
	assert.True(t, vip > 0 && float64(vip)/n < 0.1, "vip share %.3f", float64(vip)/n)
}

func isVocabOrder(xs []string) bool {
	last := -1
	for _, x := range xs {
		i := slices.Index(interests, x)
		if i <= last {
			return false
		}
		last = i
	}
	return true
}

func TestRecordConsistency(t *testing.T) {
	g, recs := population()
	end := g.Config().End
	ws := g.WindowStart()
	assert.Equal(t, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), ws)
	// Millions of checks: plain conditions, formatting only on failure.
	for _, r := range recs {
		c := r.Customer
		if !(c.SignupAt.Before(end) && !c.SignupAt.Before(end.AddDate(0, 0, -3*365))) {
			t.Fatalf("%s: signup %v", c.Key, c.SignupAt)
		}
		if c.LastLoginAt.Before(c.SignupAt) {
			t.Fatalf("%s: last login before signup", c.Key)
		}
		if !c.LastLoginAt.Before(end) {
			t.Fatalf("%s: last login after End", c.Key)
		}

		var cents int64
		for j, tx := range r.Transactions {
			if c.Key != tx.Customer {
				t.Fatalf("%s: transaction of %s", c.Key, tx.Customer)
			}
			if !tx.At.Before(end) {
				t.Fatalf("%s: transaction after End", c.Key)
			}
			if tx.At.Before(c.SignupAt) {
				t.Fatalf("%s: transaction before signup", c.Key)
			}
			if tx.Amount < 0.01 {
				t.Fatalf("%s: amount %v", c.Key, tx.Amount)
			}
			if math.Abs(tx.Amount-math.Round(tx.Amount*100)/100) >= 1e-9 {
				t.Fatalf("%s: amount %v not in cents", c.Key, tx.Amount)
			}
			cents += int64(math.Round(tx.Amount * 100))
			if j > 0 {
				if tx.At.Before(r.Transactions[j-1].At) {
					t.Fatalf("%s: transactions out of order", c.Key)
				}
			}
		}
		if math.Abs(float64(cents)/100-c.Spend) >= 1e-9 {
			t.Fatalf("%s: spend %v is not the sum of transactions %v", c.Key, c.Spend, float64(cents)/100)
		}
		if c.Latent.Buyer != (len(r.Transactions) > 0) {
			t.Fatalf("%s: buyer flag", c.Key)
		}
		if c.Latent.Buyer {
			if c.Latent.Repeat != len(r.Transactions)-1 {
				t.Fatalf("%s: repeat count", c.Key)
			}
			if !c.Latent.FirstPurchase.Equal(r.Transactions[0].At) {
				t.Fatalf("%s: first purchase", c.Key)
			}
		}

		// Events: sorted, inside the window, consistent with the customer.
		var purchases []segkit.Event
		loginDays := map[segkit.Day]bool{}
		var lastLogin time.Time
		signups := 0
		for j, e := range r.Events {
			if c.Key != e.Customer {
				t.Fatalf("%s: event of %s", c.Key, e.Customer)
			}
			if e.At.Before(ws) {
				t.Fatalf("%s: event before the window", c.Key)
			}
			if !e.At.Before(end) {
				t.Fatalf("%s: event after End", c.Key)
			}
			if j > 0 {
				if e.At.Before(r.Events[j-1].At) {
					t.Fatalf("%s: events out of order", c.Key)
				}
			}
			switch e.Name {
			case EventLogin:
				d := segkit.DayOf(e.At, nil)
				if loginDays[d] {
					t.Fatalf("%s: two logins on %v", c.Key, d)
				}
				loginDays[d] = true
				lastLogin = e.At
				if e.At.Before(c.SignupAt) {
					t.Fatalf("%s: login before signup", c.Key)
				}
			case EventSignup:
				signups++
				if !e.At.Equal(c.SignupAt) {
					t.Fatalf("%s: signup event time", c.Key)
				}
			case EventPurchase:
				purchases = append(purchases, e)
			case EventTrialClass:
				if !c.Latent.TrialTaker {
					t.Fatalf("%s: trial without TrialTaker", c.Key)
				}
				if e.At.Before(c.SignupAt) {
					t.Fatalf("%s: trial before signup", c.Key)
				}
			default:
				t.Fatalf("unexpected event %q", e.Name)
			}
		}
		if signedUpInWindow := !c.SignupAt.Before(ws); signedUpInWindow != (signups == 1) {
			t.Fatalf("%s: %d signup events", c.Key, signups)
		}
		if !c.SignupAt.Before(ws) {
			if !loginDays[segkit.DayOf(c.SignupAt, nil)] {
				t.Fatalf("%s: no login on the signup day", c.Key)
			}
		}
		if !c.LastLoginAt.Before(ws) {
			if !lastLogin.Equal(c.LastLoginAt) {
				t.Fatalf("%s: last_login_at %v, last login event %v", c.Key, c.LastLoginAt, lastLogin)
			}
		} else {
			if len(loginDays) != 0 {
				t.Fatalf("%s: logins after last_login_at", c.Key)
			}
		}
		var inWindow []segkit.Event
		for _, tx := range r.Transactions {
			if !tx.At.Before(ws) {
				inWindow = append(inWindow, segkit.Event{Customer: c.Key, Name: EventPurchase, At: tx.At, Value: tx.Amount})
			}
		}
		if !slices.EqualFunc(inWindow, purchases, func(a, b segkit.Event) bool {
			return a.Customer == b.Customer && a.Name == b.Name && a.At.Equal(b.At) && a.Value == b.Value
		}) {
			require.Equal(t, inWindow, purchases, "%s: purchase events are the transactions in the window", c.Key)
		}
	}
}

func TestEventRates(t *testing.T) {
	g, recs := population()
	n := float64(len(recs))
	days := float64(g.Config().EventDays)
	count := map[string]int{}
	dau := map[segkit.Day]int{}
	for _, r := range recs {
		for _, e := range r.Events {
			count[e.Name]++
			if e.Name == EventLogin {
				dau[segkit.DayOf(e.At, nil)]++
			}
		}
	}
	assert.Len(t, dau, 365, "logins every day of the window")
	// 5% daily active: 500k logins a day at 10M.
	assert.InDelta(t, 0.05, float64(count[EventLogin])/days/n, 0.003, "daily active share")
	// ~55k purchases a day at 10M.
	assert.InDelta(t, 55_000, float64(count[EventPurchase])/days/n*1e7, 5_000, "purchases per day at 10M")
	assert.Greater(t, count[EventTrialClass], 0)
	// Growth: a year's signups are 1.5 times the previous year's.
	end := g.Config().End
	var last, prev float64
	for _, r := range recs {
		switch {
		case !r.SignupAt.Before(end.AddDate(0, 0, -365)):
			last++
		case !r.SignupAt.Before(end.AddDate(0, 0, -730)):
			prev++
		}
	}
	assert.InDelta(t, 1.5, last/prev, 0.06, "signup growth")
	assert.Equal(t, int(last), count[EventSignup])

	// The calibration follows DailyActive.
	for _, target := range []float64{0.02, 0.12} {
		cfg := Reference(8000)
		cfg.DailyActive = target
		g := mustNew(t, cfg)
		logins := 0
		for e := range g.Events() {
			if e.Name == EventLogin {
				logins++
			}
		}
		assert.InDelta(t, target, float64(logins)/days/8000, target*0.12, "daily active share for target %v", target)
	}
}

func TestLocationAndEnd(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	cfg := Reference(3000)
	cfg.Location = shanghai
	cfg.End = time.Date(2026, 3, 15, 14, 30, 0, 500, shanghai) // not midnight, not a whole second
	cfg.EventDays = 30
	g := mustNew(t, cfg)
	assert.Equal(t, time.Date(2026, 2, 14, 0, 0, 0, 0, shanghai), g.WindowStart())
	hours := make([]int, 24)
	for r := range g.Records() {
		for _, e := range r.Events {
			require.True(t, e.At.Before(cfg.End), "%v before End", e.At)
			require.Equal(t, shanghai, e.At.Location())
			if e.Name == EventLogin {
				hours[e.At.Hour()]++
			}
		}
		for _, tx := range r.Transactions {
			require.True(t, tx.At.Before(cfg.End))
		}
	}
	// Local evening (20–21h) is busier than local night (3–4h).
	assert.Greater(t, hours[20]+hours[21], 5*(hours[3]+hours[4]))
}

func TestZeroEventDays(t *testing.T) {
	cfg := Reference(500)
	cfg.EventDays = 0
	g := mustNew(t, cfg)
	assert.Empty(t, slices.Collect(g.Events()))
	assert.NotEmpty(t, slices.Collect(g.Transactions()))
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"zero end", func(c *Config) { c.End = time.Time{} }, "End is zero"},
		{"negative customers", func(c *Config) { c.Customers = -1 }, "Customers"},
		{"no signup days", func(c *Config) { c.SignupDays = 0 }, "SignupDays"},
		{"event days beyond signups", func(c *Config) { c.EventDays = 5000 }, "EventDays"},
		{"top share above one", func(c *Config) { c.TopTagShare = 1.5 }, "TopTagShare"},
		{"mean tags impossible", func(c *Config) { c.MeanTags = 600 }, "MeanTags"},
		{"NaN alpha", func(c *Config) { c.BGNBD.Alpha = math.NaN() }, "BGNBD.Alpha"},
		{"zero q", func(c *Config) { c.GammaGamma.Q = 0 }, "GammaGamma.Q"},
		{"no cities", func(c *Config) { c.Cities = 0 }, "Cities"},
		{"missing share", func(c *Config) { c.MissingShare = 2 }, "MissingShare"},
		{"daily active one", func(c *Config) { c.DailyActive = 1 }, "DailyActive"},
		{"daily active unreachable", func(c *Config) {
			c.Personas = DefaultPersonas()
			for i := range c.Personas {
				c.Personas[i].ActiveDays = 1
			}
		}, "unreachable"},
		{"empty personas", func(c *Config) { c.Personas = []Persona{} }, "no personas"},
		{"unknown persona tag", func(c *Config) {
			c.Personas = DefaultPersonas()
			c.Personas[0].Tags["no_such_tag"] = 0.5
		}, `tag "no_such_tag"`},
		{"unknown interest", func(c *Config) {
			c.Personas = DefaultPersonas()
			c.Personas[1].Interests = append(c.Personas[1].Interests, "knitting")
		}, `interest "knitting"`},
		{"duplicate persona", func(c *Config) {
			c.Personas = DefaultPersonas()
			c.Personas[1].Name = c.Personas[0].Name
		}, "duplicate persona"},
		{"bad ages", func(c *Config) {
			c.Personas = DefaultPersonas()
			c.Personas[2].AgeMin = 50
		}, `persona "young_mother": ages`},
		{"duplicate tag names", func(c *Config) { c.TagNames = []string{"a", "b", "a"} }, `tag name "a" at rank 3`},
		{"zero weights", func(c *Config) {
			c.Personas = DefaultPersonas()
			for i := range c.Personas {
				c.Personas[i].Weight = 0
			}
		}, "weights sum"},
		{"too many workers", func(c *Config) { c.Workers = 5000 }, "Workers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.modify(&cfg)
			_, err := New(cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tc.want)
			assert.Regexp(t, `^synth: `, err.Error())
		})
	}
}

func TestConfigVariants(t *testing.T) {
	t.Run("no tags", func(t *testing.T) {
		cfg := Reference(200)
		cfg.Tags = 0
		cfg.Personas = DefaultPersonas()
		for i := range cfg.Personas {
			cfg.Personas[i].Tags = nil
		}
		for c := range mustNew(t, cfg).Customers() {
			require.Empty(t, c.Tags)
		}
	})
	t.Run("custom personas and certain tags", func(t *testing.T) {
		cfg := Reference(300)
		cfg.Personas = []Persona{{
			Name: "only", Weight: 1, AgeMin: 30, AgeMax: 30, FemaleShare: 1,
			Tags:      map[string]float64{"undergrad": 1, "gaming": 0},
			LoginRate: 1, ActiveDays: 100, TrialShare: 1, BuyerShare: 1,
		}}
		cfg.MissingShare = 0
		for c := range mustNew(t, cfg).Customers() {
			require.Contains(t, c.Tags, "undergrad")
			require.NotContains(t, c.Tags, "gaming")
			require.Equal(t, 30, c.Age)
			require.Equal(t, "F", c.Gender)
			require.Empty(t, c.Occupation, "no occupations: missing")
			require.True(t, c.Latent.TrialTaker || !c.SignupAt.Before(cfg.End.Add(-72*time.Hour)))
		}
	})
	t.Run("defaults are applied and reported", func(t *testing.T) {
		cfg := DefaultConfig()
		g := mustNew(t, cfg)
		assert.Len(t, g.Config().Personas, 8)
		assert.Equal(t, DefaultTagNames(), g.Config().TagNames)
		assert.Equal(t, time.UTC, g.Location())
		assert.Equal(t, 10_000, g.Len())
		total := 0.0
		for _, p := range g.Personas() {
			total += p.Weight
		}
		assert.InDelta(t, 1, total, 1e-12)
		assert.Equal(t, 1000, Reference(1000).Customers)
	})
}
