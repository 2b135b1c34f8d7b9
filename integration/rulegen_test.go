package integration

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// ruleGen writes random, well-typed rules over the test schema using every
// form of the rule language.
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
	switch g.rng.IntN(7) {
	case 0, 1:
		return a + " && " + b
	case 2, 3:
		return a + " || " + b
	case 4:
		return "!(" + a + ")"
	case 5:
		return "(" + a + " || " + b + ") && " + g.rule(depth-1)
	}
	return "(" + a + ")"
}

func (g *ruleGen) tag() string {
	if g.rng.IntN(20) == 0 {
		return fmt.Sprintf("%q", "'; DROP TABLE customers; --")
	}
	return fmt.Sprintf("%q", fmt.Sprintf("t%d", g.rng.IntN(8)))
}

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
	city := func() string { return fmt.Sprintf("%q", cities[g.rng.IntN(len(cities))]) }
	interest := func() string { return fmt.Sprintf("%q", interests[g.rng.IntN(len(interests))]) }
	event := func() string { return fmt.Sprintf("%q", g.pick(append(events, "never")...)) }
	intAttr := func() string { return g.pick("age", "score") }
	timeAttr := func() string { return g.pick("signup", "last_login") }
	if g.rng.IntN(4) == 0 {
		return g.eventAtom()
	}
	switch g.rng.IntN(42) {
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
		return fmt.Sprintf("%s %s nil", g.pick("age", "city", "signup", "vip", "interests", "spend"), g.pick("==", "!="))
	case 8:
		return fmt.Sprintf("%s(%s)", g.pick("exists", "missing"), g.pick("age", "score", "spend", "signup", "last_login", "city", "interests", "vip"))
	case 9, 10:
		return g.cmp("spend", g.pick("100.555", "50", "123.45", "0.005", "299.99", "150", "-1", "1e30", "-1e30", fmt.Sprintf("%d.%02d", g.rng.IntN(300), g.rng.IntN(100))))
	case 11:
		return fmt.Sprintf("between(spend, %d.%d5, %d)", g.rng.IntN(150), g.rng.IntN(10), 100+g.rng.IntN(200))
	case 12:
		return g.cmp("city", city())
	case 13:
		return fmt.Sprintf("city %s [%s, %s]", g.pick("in", "not in"), city(), city())
	case 14:
		return fmt.Sprintf("city %s %q", g.pick("startsWith", "endsWith", "contains", "not startsWith", "not contains"), g.pick("B", "Sh", "g", "en", "ai", "x", "_", "%", "'", "\\", "北", "ü"))
	case 15, 16:
		return fmt.Sprintf("%s matches %q", g.pick("city", "interests"), g.pick("^B.*g$", "^S", "(?i)ber", "a|o", "^ma", `\bart`, "(?i)k", "^.{5}$", "^..$", "[[:upper:]]h", `\d|_`, "ß", "(?i)STRASSE|straße", "^[^aeiou]+$", "ma(th)?s?$", "h{2,}", `\pL{6}`, "^$", "(?s).", "ng\\z"))
	case 17, 18:
		return fmt.Sprintf("%s %s interests", interest(), g.pick("in", "not in"))
	case 19:
		return fmt.Sprintf("interests %s %q", g.pick("startsWith", "endsWith", "contains", "not contains"), g.pick("ma", "s", "rt", "z", "K"))
	case 20:
		return g.pick("vip", "!vip", "vip == true", "vip == false", "vip != true", "vip != false", "not vip")
	case 21, 22:
		return g.cmp(timeAttr(), g.date())
	case 23:
		return fmt.Sprintf("between(%s, %s, %s)", timeAttr(), g.date(), g.date())
	case 24:
		return fmt.Sprintf("within(%s, %q)", timeAttr(), g.window())
	case 25, 26:
		return g.cmp("daysSince("+timeAttr()+")", fmt.Sprint(g.rng.IntN(90)-5))
	case 27:
		lo := g.rng.IntN(60) - 3
		return fmt.Sprintf("daysSince(%s) in %d..%d", timeAttr(), lo, lo+g.rng.IntN(30))
	case 28:
		return fmt.Sprintf("between(daysSince(%s), %d.5, %d)", timeAttr(), g.rng.IntN(30), g.rng.IntN(60))
	case 29:
		return fmt.Sprintf("did(%s)", event())
	case 30, 31:
		return fmt.Sprintf("didWithin(%s, %q)", event(), g.window())
	case 32, 33:
		return g.cmp(fmt.Sprintf("countWithin(%s, %q)", event(), g.window()), g.pick("-1", "0", "1", "2", "3", "2.5", "5", "8"))
	case 34:
		lo := g.rng.IntN(4)
		return fmt.Sprintf("countWithin(%s, %q) in %d..%d", event(), g.window(), lo, lo+g.rng.IntN(4))
	case 35, 36:
		return fmt.Sprintf("firstWithin(%s, %q)", event(), g.window())
	case 37:
		return fmt.Sprintf("inSegment(%q)", g.pick("adults", "b_cities", "recent"))
	case 38:
		return g.pick("true", "false", "1 < 2", "2 + 2 == 5")
	case 39:
		lo := 15 + g.rng.IntN(30)
		return fmt.Sprintf("%d <= age <= %d", lo, lo+g.rng.IntN(20))
	case 40:
		return fmt.Sprintf("city %s %q", g.pick("<", "<=", ">", ">="), g.pick("B", "Boston", "S", "a", "Ö"))
	}
	return fmt.Sprintf("%s %s %s", g.pick("age", "score"), g.op(), g.pick("10 * 3", "100 / 4", "-(3 + 4)", "2 ** 5"))
}

// filter is a property filter, possibly empty, naming unknown properties
// or values now and then.
func (g *ruleGen) filter() string {
	return g.pick(`{}`, `{category: "math"}`, `{category: ["math", "art"]}`, `{"channel": "app"}`,
		`{category: "数学", channel: ["app", "web"]}`, `{category: "none"}`, `{colour: "red"}`,
		`{channel: "web", "category": ["music", "math", "art"]}`, `{category: "it's"}`, `{category: "'; DROP TABLE customers; --"}`)
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
	event := func() string { return fmt.Sprintf("%q", g.pick(append(events, "never")...)) }
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
