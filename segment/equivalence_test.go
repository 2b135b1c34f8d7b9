package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// ruleGen writes random, well-typed rules over testSchema using every form
// of the language.
type ruleGen struct {
	rng *rand.Rand
	now time.Time
}

func (g *ruleGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

func (g *ruleGen) op() string { return g.pick("==", "!=", "<", "<=", ">", ">=") }

func (g *ruleGen) rule(depth int) string {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		return g.atom()
	}
	a, b := g.rule(depth-1), g.rule(depth-1)
	switch g.rng.IntN(8) {
	case 0:
		return a + " && " + b
	case 1:
		return a + " and " + b
	case 2:
		return a + " || " + b
	case 3:
		return a + " or " + b
	case 4:
		return "!(" + a + ")"
	case 5:
		return "not (" + a + ")"
	case 6:
		return "(" + a + " || " + b + ") && " + g.rule(depth-1)
	}
	return "(" + a + ")"
}

func (g *ruleGen) tag() string { return fmt.Sprintf("%q", fmt.Sprintf("t%d", g.rng.IntN(7))) }

func (g *ruleGen) tags() string {
	n := 1 + g.rng.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.tag()
	}
	return strings.Join(parts, ", ")
}

func (g *ruleGen) num() string {
	switch g.rng.IntN(4) {
	case 0:
		return fmt.Sprintf("%d.5", g.rng.IntN(70))
	case 1:
		return fmt.Sprintf("%d", g.rng.IntN(25)-12)
	}
	return fmt.Sprintf("%d", 15+g.rng.IntN(55))
}

func (g *ruleGen) window() string {
	switch g.rng.IntN(5) {
	case 0:
		return fmt.Sprintf("%dw", 1+g.rng.IntN(8))
	case 1:
		return fmt.Sprintf("%dmo", 1+g.rng.IntN(6))
	case 2:
		return "1y"
	}
	return fmt.Sprintf("%dd", 1+g.rng.IntN(120))
}

func (g *ruleGen) date() string {
	d := g.now.AddDate(0, 0, g.rng.IntN(120)-60)
	if g.rng.IntN(4) == 0 {
		t := g.now.Add(time.Duration(g.rng.IntN(120*86400)-60*86400) * time.Second).UTC()
		return fmt.Sprintf("date(%q)", t.Format(time.RFC3339))
	}
	return fmt.Sprintf("date(%q)", d.Format(time.DateOnly))
}

func (g *ruleGen) cmp(lhs, rhs string) string {
	if g.rng.IntN(2) == 0 {
		return lhs + " " + g.op() + " " + rhs
	}
	return rhs + " " + g.op() + " " + lhs
}

func (g *ruleGen) atom() string {
	city := func() string { return fmt.Sprintf("%q", testCities[g.rng.IntN(len(testCities))]) }
	interest := func() string { return fmt.Sprintf("%q", testInterests[g.rng.IntN(len(testInterests))]) }
	event := func() string { return fmt.Sprintf("%q", g.pick(append(testEvents, "never")...)) }
	intAttr := func() string { return g.pick("age", "score") }
	timeAttr := func() string { return g.pick("signup", "last_login") }
	if g.rng.IntN(4) == 0 {
		return g.eventAtom()
	}
	switch g.rng.IntN(40) {
	case 0:
		return "has(" + g.tag() + ")"
	case 1:
		return g.pick("hasAny", "hasAll", "hasNone") + "(" + g.tags() + ")"
	case 2, 3:
		return g.cmp(intAttr(), g.num())
	case 4:
		lo := g.rng.IntN(70) - 10
		return fmt.Sprintf("%s %s %d..%d", intAttr(), g.pick("in", "not in"), lo, lo+g.rng.IntN(20)-2)
	case 5:
		return fmt.Sprintf("between(%s, %s, %s)", intAttr(), g.num(), g.num())
	case 6:
		return fmt.Sprintf("%s %s [%s, %s, %s]", intAttr(), g.pick("in", "not in"), g.num(), g.num(), g.pick("nil", g.num()))
	case 7:
		return fmt.Sprintf("%s %s nil", g.pick("age", "city", "signup", "vip", "interests"), g.pick("==", "!="))
	case 8:
		return fmt.Sprintf("%s(%s)", g.pick("exists", "missing"), g.pick("age", "score", "spend", "signup", "last_login", "city", "interests", "vip"))
	case 9, 10:
		return g.cmp("spend", g.pick("100.555", "50", "123.45", "0.005", "299.99", "150", fmt.Sprintf("%d.%02d", g.rng.IntN(300), g.rng.IntN(100))))
	case 11:
		return fmt.Sprintf("between(spend, %d.%d5, %d)", g.rng.IntN(150), g.rng.IntN(10), 100+g.rng.IntN(200))
	case 12:
		return g.cmp("city", city())
	case 13:
		return fmt.Sprintf("city %s [%s, %s]", g.pick("in", "not in"), city(), city())
	case 14:
		return fmt.Sprintf("city %s %q", g.pick("startsWith", "endsWith", "contains", "not startsWith", "not contains"), g.pick("B", "Sh", "g", "en", "ai", "x"))
	case 15:
		return fmt.Sprintf("%s matches %q", g.pick("city", "interests"), g.pick("^B.*g$", "^S", "(?i)ber", "a|o", "^ma"))
	case 16, 17:
		return fmt.Sprintf("%s %s interests", interest(), g.pick("in", "not in"))
	case 18:
		return fmt.Sprintf("interests %s %q", g.pick("startsWith", "endsWith", "contains", "not contains"), g.pick("ma", "s", "rt", "z"))
	case 19:
		return g.pick("vip", "!vip", "vip == true", "vip == false", "vip != true", "vip != false", "not vip")
	case 20, 21:
		return g.cmp(timeAttr(), g.date())
	case 22:
		return fmt.Sprintf("between(%s, %s, %s)", timeAttr(), g.date(), g.date())
	case 23:
		return fmt.Sprintf("within(%s, %q)", timeAttr(), g.window())
	case 24, 25:
		return g.cmp("daysSince("+timeAttr()+")", fmt.Sprint(g.rng.IntN(90)-5))
	case 26:
		lo := g.rng.IntN(60) - 3
		return fmt.Sprintf("daysSince(%s) in %d..%d", timeAttr(), lo, lo+g.rng.IntN(30))
	case 27:
		return fmt.Sprintf("between(daysSince(%s), %d.5, %d)", timeAttr(), g.rng.IntN(30), g.rng.IntN(60))
	case 28:
		return fmt.Sprintf("did(%s)", event())
	case 29, 30:
		return fmt.Sprintf("didWithin(%s, %q)", event(), g.window())
	case 31, 32:
		return g.cmp(fmt.Sprintf("countWithin(%s, %q)", event(), g.window()), g.pick("-1", "0", "1", "2", "3", "2.5", "5", "8"))
	case 33:
		lo := g.rng.IntN(4)
		return fmt.Sprintf("countWithin(%s, %q) in %d..%d", event(), g.window(), lo, lo+g.rng.IntN(4))
	case 34, 35:
		return fmt.Sprintf("firstWithin(%s, %q)", event(), g.window())
	case 36:
		return fmt.Sprintf("inSegment(%q)", g.pick("adults", "b_cities", "recent"))
	case 37:
		return g.pick("true", "false", "1 < 2", "2 + 2 == 5")
	case 38:
		lo := 15 + g.rng.IntN(30)
		return fmt.Sprintf("%d <= age <= %d", lo, lo+g.rng.IntN(20))
	}
	return fmt.Sprintf("%s %s %s", g.pick("age", "score"), g.op(), g.pick("10 * 3", "100 / 4", "-(3 + 4)", "2 ** 5"))
}

// filter is a property filter, possibly empty, naming unknown properties
// or values now and then.
func (g *ruleGen) filter() string {
	return g.pick(`{}`, `{category: "math"}`, `{category: ["math", "art"]}`, `{"channel": "app"}`,
		`{category: "数学", channel: ["app", "web"]}`, `{category: "none"}`, `{colour: "red"}`,
		`{channel: "web", "category": ["music", "math", "art"]}`)
}

func (g *ruleGen) optFilter() string {
	if g.rng.IntN(3) == 0 {
		return ""
	}
	return ", " + g.filter()
}

func (g *ruleGen) amount() string {
	return g.pick("0", "12.5", "100", "99.9999", "-5", "250.25", "0.0001", "37.5", "150", fmt.Sprintf("%d.%d", g.rng.IntN(400), g.rng.IntN(10)))
}

// dates returns two calendar days a ≤ b around now.
func (g *ruleGen) dates() string {
	a := g.now.AddDate(0, 0, g.rng.IntN(240)-200)
	b := a.AddDate(0, 0, g.rng.IntN(40))
	return fmt.Sprintf("date(%q), date(%q)", a.Format(time.DateOnly), b.Format(time.DateOnly))
}

// eventAtom writes one of the event forms over values and properties.
func (g *ruleGen) eventAtom() string {
	event := func() string { return fmt.Sprintf("%q", g.pick(append(testEvents, "never")...)) }
	w := func() string { return fmt.Sprintf("%q", g.window()) }
	switch g.rng.IntN(16) {
	case 0:
		return fmt.Sprintf("did(%s%s)", event(), g.optFilter())
	case 1:
		return fmt.Sprintf("didWithin(%s, %s%s)", event(), w(), g.optFilter())
	case 2:
		return g.cmp(fmt.Sprintf("countWithin(%s, %s%s)", event(), w(), g.optFilter()), g.pick("0", "1", "2", "3"))
	case 3:
		return fmt.Sprintf("firstWithin(%s, %s%s)", event(), w(), g.optFilter())
	case 4, 5:
		return g.cmp(fmt.Sprintf("sumWithin(%s, %s%s)", event(), w(), g.optFilter()), g.amount())
	case 6, 7:
		return g.cmp(fmt.Sprintf("avgWithin(%s, %s%s)", event(), w(), g.optFilter()), g.amount())
	case 8:
		return fmt.Sprintf("didBetween(%s, %s%s)", event(), g.dates(), g.optFilter())
	case 9:
		return g.cmp(fmt.Sprintf("countBetween(%s, %s%s)", event(), g.dates(), g.optFilter()), g.pick("0", "1", "2"))
	case 10:
		return g.cmp(fmt.Sprintf("sumBetween(%s, %s%s)", event(), g.dates(), g.optFilter()), g.amount())
	case 11, 12:
		a, b := event(), event()
		fa, fb := "", ""
		switch g.rng.IntN(3) {
		case 1:
			fa = ", " + g.filter()
		case 2:
			fa, fb = ", "+g.filter(), ", "+g.filter()
		}
		if a == b {
			fa = `, {category: "math"}`
		}
		return fmt.Sprintf("didThen(%s, %s, %s%s%s)", a, b, w(), fa, fb)
	case 13:
		return fmt.Sprintf("between(%s(%s, %s%s), %s, %s)", g.pick("sumWithin", "avgWithin"), event(), w(), g.optFilter(), g.pick("0", "10", "-3"), g.amount())
	case 14:
		lo := g.rng.IntN(200)
		f, days := g.pick("sumWithin", "avgWithin", "sumBetween"), w()
		if f == "sumBetween" {
			days = g.dates()
		}
		return fmt.Sprintf("%s(%s, %s%s) in %d..%d", f, event(), days, g.optFilter(), lo, lo+g.rng.IntN(300))
	}
	return fmt.Sprintf("%s(%s, %s%s) in [%s, %s]", g.pick("sumWithin", "avgWithin"), event(), w(), g.optFilter(), g.amount(), g.amount())
}

// testRegistry defines the segments the random rules reference: two
// dynamic ones (one referencing the other) and a static one frozen on v.
func testRegistry(t testing.TB, v *bitmapindex.View, now time.Time) *Registry {
	reg := NewRegistry()
	require.NoError(t, reg.DefineAll(
		Definition{Name: "adults", Rule: `age >= 30 || has("t1")`},
		Definition{Name: "recent", Rule: `inSegment("adults") && didWithin("login", "30d")`},
		Definition{Name: "b_cities", Rule: `city startsWith "B"`, Static: true},
	))
	require.NoError(t, reg.Freeze(context.Background(), "b_cities", v, now))
	return reg
}

// TestEquivalence is the property that holds the two evaluators together:
// for random rules using every form, over random populations (missing
// values, events in past and future, deletions, several time zones, now at
// a random second), Eval selects exactly the customers Match accepts, and
// Count agrees with Eval.
func TestEquivalence(t *testing.T) {
	zones := []*time.Location{time.UTC, loadLoc(t, "Asia/Shanghai"), loadLoc(t, "America/New_York"), time.FixedZone("odd", -(3*3600 + 30*60)), loadLoc(t, "Europe/London")}
	rules := 150
	if testing.Short() {
		rules = 40
	}
	ctx := context.Background()
	for zi, loc := range zones {
		seed := uint64(1000 + zi)
		t.Run(loc.String(), func(t *testing.T) {
			pop := randomPopulation(t, seed, 240, loc)
			reg := testRegistry(t, pop.v, pop.now)
			g := &ruleGen{rng: rand.New(rand.NewPCG(seed, 7)), now: pop.now}
			for i := 0; i < rules; i++ {
				src := g.rule(3)
				opts := []Option{WithResolver(reg)}
				if i%2 == 0 {
					opts = append(opts, WithSchema(testSchema))
				}
				r, err := Compile(src, opts...)
				require.NoError(t, err, src)
				// now among the events, and after the last of them (the
				// recency ranks answer windows reaching the last recorded day)
				later := pop.now.Add(time.Duration(400*86400+g.rng.IntN(20*86400)) * time.Second)
				for _, now := range []time.Time{pop.now, later} {
					set, err := r.Eval(ctx, pop.v, now)
					require.NoError(t, err, src)
					n, err := r.Count(ctx, pop.v, now)
					require.NoError(t, err, src)
					require.Equal(t, set.Len(), n, "Count vs Eval: %s at %s", src, now)
					for _, k := range pop.keys {
						m, err := r.Match(pop.profiles[k], now)
						require.NoError(t, err, src)
						if m != set.ContainsKey(k) {
							p := pop.profiles[k]
							t.Fatalf("rule %s\ncustomer %s: Match=%v Eval=%v\nprofile attrs=%v tags=%v events=%v\nnow=%s", src, k, m, !m, p.Attrs, p.Tags, p.Events, now)
						}
					}
					for id := range set.IDs() {
						_, ok := pop.v.Key(id)
						require.True(t, ok, "Eval returned a non-live ID: %s", src)
					}
				}
			}
		})
	}
}

// TestDaysNaive checks the day arithmetic of daysSince, within, date,
// didWithin, countWithin and firstWithin against a direct computation with
// segkit.DayOf on each profile (a reference independent of the compiler's
// translation into instants).
func TestDaysNaive(t *testing.T) {
	ctx := context.Background()
	for zi, loc := range []*time.Location{time.UTC, loadLoc(t, "America/New_York"), loadLoc(t, "Asia/Kolkata")} {
		pop := randomPopulation(t, uint64(77+zi), 200, loc)
		today := segkit.DayOf(pop.now, loc)
		rng := rand.New(rand.NewPCG(uint64(zi), 3))
		for i := 0; i < 60; i++ {
			n := rng.IntN(60) - 5
			w := 1 + rng.IntN(60)
			op := []string{"==", "!=", "<", "<=", ">", ">="}[rng.IntN(6)]
			d := today.AddDays(rng.IntN(60) - 30)
			type check struct {
				src  string
				want func(p bitmapindex.Profile) bool
			}
			dayOfAttr := func(p bitmapindex.Profile, a string) (segkit.Day, bool) {
				v, ok := p.Attrs[a]
				if !ok {
					return 0, false
				}
				tm, _ := v.AsTime()
				return segkit.DayOf(tm, loc), true
			}
			events := func(p bitmapindex.Profile, e string) []segkit.Day {
				var out []segkit.Day
				for _, tm := range p.Events[e] {
					out = append(out, segkit.DayOf(tm, loc))
				}
				return out
			}
			inWindow := func(x segkit.Day) bool { ds := today.Sub(x); return ds >= 0 && ds < w }
			checks := []check{
				{fmt.Sprintf("daysSince(signup) %s %d", op, n), func(p bitmapindex.Profile) bool {
					x, ok := dayOfAttr(p, "signup")
					if !ok {
						return op == "!="
					}
					return cmpInts(int64(today.Sub(x)), op, int64(n))
				}},
				{fmt.Sprintf("within(last_login, \"%dd\")", w), func(p bitmapindex.Profile) bool {
					x, ok := dayOfAttr(p, "last_login")
					return ok && inWindow(x)
				}},
				{fmt.Sprintf("signup %s date(%q)", op, d.String()), func(p bitmapindex.Profile) bool {
					x, ok := dayOfAttr(p, "signup")
					if !ok {
						return op == "!="
					}
					return cmpInts(int64(x), op, int64(d))
				}},
				{fmt.Sprintf("didWithin(\"login\", \"%dd\")", w), func(p bitmapindex.Profile) bool {
					for _, x := range events(p, "login") {
						if inWindow(x) {
							return true
						}
					}
					return false
				}},
				{fmt.Sprintf("countWithin(\"purchase\", \"%dd\") %s %d", w, op, n%4), func(p bitmapindex.Profile) bool {
					c := 0
					for _, x := range events(p, "purchase") {
						if inWindow(x) {
							c++
						}
					}
					return cmpInts(int64(c), op, int64(n%4))
				}},
				{fmt.Sprintf("firstWithin(\"trial\", \"%dd\")", w), func(p bitmapindex.Profile) bool {
					es := events(p, "trial")
					return len(es) > 0 && inWindow(es[0])
				}},
				{`did("trial")`, func(p bitmapindex.Profile) bool {
					for _, x := range events(p, "trial") {
						if x <= today {
							return true
						}
					}
					return false
				}},
			}
			for _, c := range checks {
				r := MustCompile(c.src)
				set, err := r.Eval(ctx, pop.v, pop.now)
				require.NoError(t, err)
				for _, k := range pop.keys {
					assert.Equal(t, c.want(pop.profiles[k]), set.ContainsKey(k), "%s customer %s (zone %s)", c.src, k, loc)
				}
			}
		}
	}
}

func cmpInts(a int64, op string, b int64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	}
	return a >= b
}
