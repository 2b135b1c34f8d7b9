package segment

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var fuzzFixture struct {
	once sync.Once
	pop  *population
	reg  *Registry
}

// FuzzCompile: any rule text compiles to a Rule or fails with an ErrorList
// whose positions lie inside the text; never a panic (Compile and the
// evaluators recover panics into "internal error" errors, which fail the
// fuzz run). Rules that compile are also evaluated and matched.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`has("vip") && !has("churned")`,
		`age in 26..30 && city in ["Beijing", "Shanghai"] && hasAny("a", "b")`,
		`countWithin("purchase", "90d") >= 3 || firstWithin("trial", "7d")`,
		`daysSince(last_login) > 30 and not vip`,
		`city startsWith "B" || interests matches "^m" || "math" in interests`,
		`between(spend, 100, 200.5) && signup < date("2025-01-01")`,
		`within(signup, "2w") || didWithin("login", "3mo") || did("x")`,
		`inSegment("adults")`,
		`26 <= age <= 30`,
		`age == nil || exists(score) || missing(city)`,
		`didWithin("purchase", "14d", {category: ["math", "art"], "channel": "app"})`,
		`sumWithin("purchase", "90d") >= 500.25 && avgWithin("purchase", "180d", {}) in 1..200`,
		`didBetween("purchase", date("2026-11-01"), date("2026-11-11")) || countBetween("p", date("2026-01-01"), date("2026-02-01")) > 2`,
		`didThen("trial", "purchase", "7d", {}, {category: "math"}) && !sumBetween("r", date("2026-01-01"), date("2026-01-31"), {tier: "500"}) < 0`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, opts := range [][]Option{nil, {WithSchema(testSchema)}} {
			r, err := Compile(src, opts...)
			if err != nil {
				el, ok := err.(ErrorList)
				if !ok || len(el) == 0 {
					t.Fatalf("Compile(%q) returned %T %v, want a non-empty ErrorList", src, err, err)
				}
				for _, e := range el {
					if strings.Contains(e.Msg, "internal error") {
						t.Fatalf("Compile(%q): %v", src, err)
					}
					if e.Line < 1 || e.Column < 1 || e.Line > strings.Count(src, "\n")+1 {
						t.Fatalf("Compile(%q): position %d:%d outside the rule", src, e.Line, e.Column)
					}
					_ = e.Error()
				}
				continue
			}
			fuzzFixture.once.Do(func() {
				fuzzFixture.pop = randomPopulation(t, 5, 40, time.UTC)
				fuzzFixture.reg = testRegistry(t, fuzzFixture.pop.v, fuzzFixture.pop.now)
			})
			pop := fuzzFixture.pop
			r2 := MustCompile(src, append(opts, WithResolver(fuzzFixture.reg))...)
			for _, rule := range []*Rule{r, r2} {
				_, err := rule.Eval(context.Background(), pop.v, pop.now)
				if err != nil && strings.Contains(err.Error(), "internal error") {
					t.Fatalf("Eval(%q): %v", src, err)
				}
				for _, k := range pop.keys[:5] {
					_, err := rule.Match(pop.profiles[k], pop.now)
					if err != nil && strings.Contains(err.Error(), "internal error") {
						t.Fatalf("Match(%q): %v", src, err)
					}
				}
				_ = rule.Warnings(pop.v)
			}
		}
	})
}

// FuzzRegistryJSON: any bytes either fail to decode (leaving the registry
// unchanged) or decode into definitions that encode back to the same JSON.
func FuzzRegistryJSON(f *testing.F) {
	f.Add([]byte(`{"version":1,"segments":[{"name":"a","rule":"has(\"x\")"},{"name":"b","rule":"inSegment(\"a\") && age > 3","description":"d"}]}`))
	f.Add([]byte(`{"version":1,"segments":[{"name":"s","rule":"true","static":true,"members":["k1","k2"]}]}`))
	f.Add([]byte(`{"version":1,"segments":[{"name":"a","rule":"inSegment(\"a\")"}]}`))
	f.Add([]byte(`{"version":1,"segments":[]}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg := NewRegistry()
		require := func(cond bool, format string, args ...any) {
			if !cond {
				t.Fatalf(format, args...)
			}
		}
		require(reg.Define(Definition{Name: "keep", Rule: `has("k")`}) == nil, "define")
		if err := reg.UnmarshalJSON(data); err != nil {
			require(len(reg.Names()) == 1 && reg.Names()[0] == "keep", "failed decode changed the registry: %v", reg.Names())
			return
		}
		out, err := reg.MarshalJSON()
		require(err == nil, "marshal: %v", err)
		var back Registry
		require(back.UnmarshalJSON(out) == nil, "re-decode of %s failed", out)
		out2, err := back.MarshalJSON()
		require(err == nil && string(out) == string(out2), "round trip differs:\n%s\n%s", out, out2)
	})
}

// FuzzRegistryDefine: the rule-with-registry compile path. Any rule text is
// defined as a segment of a registry that already holds referenced and
// layered segments (and a segment referencing the new one); it is accepted
// or rejected with an error, never a panic, and once accepted Eval and Match
// agree on every profile, through the references (Match remembers each
// segment once per call).
func FuzzRegistryDefine(f *testing.F) {
	for _, s := range []string{
		`inSegment("adults") && !inSegment("recent")`,
		`inSegment("l2s0") || has("t1")`,
		`inSegment("fz_user")`, // a cycle
		`inSegment("nope")`,
		`inSegment("b_cities") && age > -9223372036854775808`,
		`countWithin("login", "30d") >= 2 && inSegment("l1s1")`,
		`city matches "^(B|S)"`,
		strings.Repeat("(", 40) + "true" + strings.Repeat(")", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fuzzFixture.once.Do(func() {
			fuzzFixture.pop = randomPopulation(t, 5, 40, time.UTC)
			fuzzFixture.reg = testRegistry(t, fuzzFixture.pop.v, fuzzFixture.pop.now)
		})
		pop := fuzzFixture.pop
		reg := testRegistry(t, pop.v, pop.now)
		var defs []Definition
		for l := range 3 {
			for i := range 3 {
				rule := fmt.Sprintf(`has("t%d") || age > %d`, i, 20+10*i)
				if l > 0 {
					rule = fmt.Sprintf(`inSegment("l%ds0") && inSegment("l%ds1") || inSegment("l%ds2")`, l-1, l-1, l-1)
				}
				defs = append(defs, Definition{Name: fmt.Sprintf("l%ds%d", l, i), Rule: rule})
			}
		}
		if err := reg.DefineAll(defs...); err != nil {
			t.Fatal(err)
		}
		err := reg.DefineAll(Definition{Name: "fz", Rule: src}, Definition{Name: "fz_user", Rule: `inSegment("fz") || has("t2")`})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Define(%q): %v", src, err)
			}
			return
		}
		for _, name := range []string{"fz", "fz_user"} {
			set, err := reg.Eval(context.Background(), name, pop.v, pop.now)
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("Eval(%q): %v", src, err)
				}
				continue
			}
			for _, k := range pop.keys {
				ok, err := reg.Match(name, pop.profiles[k], pop.now)
				if err != nil {
					if strings.Contains(err.Error(), "internal error") {
						t.Fatalf("Match(%q): %v", src, err)
					}
					continue
				}
				if ok != set.ContainsKey(k) {
					t.Fatalf("%s = %q: Match(%s) = %v, Eval says %v", name, src, k, ok, set.ContainsKey(k))
				}
			}
		}
	})
}
