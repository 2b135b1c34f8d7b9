package segment

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// naiveFilter is a filter as the naive reference sees it.
type naiveFilter struct {
	src   string
	terms map[string][]string
}

var naiveFilters = []naiveFilter{
	{"", nil},
	{"{}", nil},
	{`{category: "math"}`, map[string][]string{"category": {"math"}}},
	{`{category: ["math", "数学"]}`, map[string][]string{"category": {"math", "数学"}}},
	{`{"channel": "app"}`, map[string][]string{"channel": {"app"}}},
	{`{category: ["art", "music"], channel: "web"}`, map[string][]string{"category": {"art", "music"}, "channel": {"web"}}},
	{`{category: "none"}`, map[string][]string{"category": {"none"}}},
	{`{colour: "red"}`, map[string][]string{"colour": {"red"}}},
}

func (f naiveFilter) arg() string {
	if f.src == "" {
		return ""
	}
	return ", " + f.src
}

func (f naiveFilter) matches(r recorded) bool {
	for k, vs := range f.terms {
		v, ok := r.props[k]
		if !ok || !slices.Contains(vs, v) {
			return false
		}
	}
	return true
}

// TestEventFormsNaive checks every event form over values and properties
// against a direct computation on the occurrences as the test recorded
// them (per customer, with segkit.DayOf in the index's zone and big.Rat
// means): a reference independent of the index's columns, the compiler's
// plan and the profile.
func TestEventFormsNaive(t *testing.T) {
	ctx := context.Background()
	zones := []*time.Location{time.UTC, loadLoc(t, "America/New_York"), loadLoc(t, "Asia/Shanghai"), loadLoc(t, "Europe/London")}
	rounds := 80
	if testing.Short() {
		rounds = 25
	}
	for zi, loc := range zones {
		pop := randomPopulation(t, uint64(500+zi), 220, loc)
		today := segkit.DayOf(pop.now, loc)
		rng := rand.New(rand.NewPCG(uint64(zi), 11))
		pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
		for round := 0; round < rounds; round++ {
			ev := pick(testEvents...)
			f := naiveFilters[rng.IntN(len(naiveFilters))]
			w := 1 + rng.IntN(150)
			a := today.AddDays(rng.IntN(200) - 180)
			b := a.AddDays(rng.IntN(30))
			op := pick("==", "!=", "<", "<=", ">", ">=")
			amt := bitmapindex.Amount(rng.IntN(4_000_000) - 200_000)
			if rng.IntN(3) == 0 {
				amt = bitmapindex.Amount(rng.IntN(300)) * 10000
			}
			n := rng.IntN(4)
			inWin := func(d segkit.Day) bool { ds := today.Sub(d); return ds >= 0 && ds < w }
			inFixed := func(d segkit.Day) bool { return d >= a && d <= b }
			// occ returns the customer's matching occurrences of ev by day test.
			occ := func(k string, e string, fl naiveFilter, in func(segkit.Day) bool) []recorded {
				var out []recorded
				for _, r := range pop.recorded[k][e] {
					if in(segkit.DayOf(r.at, loc)) && fl.matches(r) {
						out = append(out, r)
					}
				}
				return out
			}
			sum := func(rs []recorded) int64 {
				s := int64(0)
				for _, r := range rs {
					s += int64(r.value)
				}
				return s
			}
			date := func(d segkit.Day) string { return fmt.Sprintf("date(%q)", d.String()) }
			thenB := pick(testEvents...)
			fb := naiveFilters[rng.IntN(len(naiveFilters))]
			if thenB == ev && f.terms == nil {
				f = naiveFilters[2]
			}
			type check struct {
				src  string
				want func(k string) bool
			}
			checks := []check{
				{fmt.Sprintf("did(%q%s)", ev, f.arg()), func(k string) bool {
					return len(occ(k, ev, f, func(d segkit.Day) bool { return d <= today })) > 0
				}},
				{fmt.Sprintf("didWithin(%q, \"%dd\"%s)", ev, w, f.arg()), func(k string) bool { return len(occ(k, ev, f, inWin)) > 0 }},
				{fmt.Sprintf("countWithin(%q, \"%dd\"%s) %s %d", ev, w, f.arg(), op, n), func(k string) bool {
					return cmpInts(int64(len(occ(k, ev, f, inWin))), op, int64(n))
				}},
				{fmt.Sprintf("firstWithin(%q, \"%dd\"%s)", ev, w, f.arg()), func(k string) bool {
					all := occ(k, ev, f, func(segkit.Day) bool { return true })
					if len(all) == 0 {
						return false
					}
					first := slices.MinFunc(all, func(x, y recorded) int { return x.at.Compare(y.at) })
					return inWin(segkit.DayOf(first.at, loc))
				}},
				{fmt.Sprintf("sumWithin(%q, \"%dd\"%s) %s %s", ev, w, f.arg(), op, amt), func(k string) bool {
					return cmpInts(sum(occ(k, ev, f, inWin)), op, int64(amt))
				}},
				{fmt.Sprintf("avgWithin(%q, \"%dd\"%s) %s %s", ev, w, f.arg(), op, amt), func(k string) bool {
					rs := occ(k, ev, f, inWin)
					if len(rs) == 0 {
						return op == "!="
					}
					mean := big.NewRat(sum(rs), int64(len(rs)))
					return cmpInts(int64(mean.Cmp(big.NewRat(int64(amt), 1))), op, 0)
				}},
				{fmt.Sprintf("didBetween(%q, %s, %s%s)", ev, date(a), date(b), f.arg()), func(k string) bool { return len(occ(k, ev, f, inFixed)) > 0 }},
				{fmt.Sprintf("countBetween(%q, %s, %s%s) %s %d", ev, date(a), date(b), f.arg(), op, n), func(k string) bool {
					return cmpInts(int64(len(occ(k, ev, f, inFixed))), op, int64(n))
				}},
				{fmt.Sprintf("sumBetween(%q, %s, %s%s) %s %s", ev, date(a), date(b), f.arg(), op, amt), func(k string) bool {
					return cmpInts(sum(occ(k, ev, f, inFixed)), op, int64(amt))
				}},
				{fmt.Sprintf("didThen(%q, %q, \"%dd\"%s%s)", ev, thenB, w%20+1, thenArg(f, fb), fb.arg()), func(k string) bool {
					upToToday := func(d segkit.Day) bool { return d <= today }
					for _, x := range occ(k, ev, f, upToToday) {
						for _, y := range occ(k, thenB, fb, upToToday) {
							gap := segkit.DayOf(y.at, loc).Sub(segkit.DayOf(x.at, loc))
							if gap >= 0 && gap < w%20+1 {
								return true
							}
						}
					}
					return false
				}},
			}
			for _, c := range checks {
				r, err := Compile(c.src)
				require.NoError(t, err, c.src)
				set, err := r.Eval(ctx, pop.v, pop.now)
				require.NoError(t, err, c.src)
				cnt, err := r.Count(ctx, pop.v, pop.now)
				require.NoError(t, err, c.src)
				require.Equal(t, set.Len(), cnt, c.src)
				for _, k := range pop.keys {
					want := c.want(k)
					if !assert.Equal(t, want, set.ContainsKey(k), "%s customer %s (zone %s, today %s)", c.src, k, loc, today) {
						t.FailNow()
					}
					m, err := r.Match(pop.profiles[k], pop.now)
					require.NoError(t, err)
					require.Equal(t, want, m, "Match: %s customer %s", c.src, k)
				}
			}
		}
	}
}

// thenArg is didThen's first filter argument: written as {} when only the
// second side has a filter.
func thenArg(fa, fb naiveFilter) string {
	if fa.src == "" && fb.src != "" {
		return ", {}"
	}
	return fa.arg()
}

func TestEventFormErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`didBetween("purchase", date("2026-11-11"), date("2026-11-01"))`, "the first date (2026-11-11) is after the second (2026-11-01)"},
		{`didThen("purchase", "purchase", "7d")`, "of one event with itself and no filters"},
		{`didThen("purchase", "purchase", "7d", {}, {})`, "of one event with itself and no filters"},
		{`sumWithin("purchase", "90d") >= 0.00001`, "at most 4 fractional digits"},
		{`sumWithin("purchase", "90d")`, "is an amount, not a condition"},
		{`avgWithin("purchase", "90d") >= "x"`, "is an amount: compare it with a number"},
		{`did("purchase", {category: 3})`, "a filter value is a string or a non-empty list of strings, found int 3"},
		{`did("purchase", {category: "a", category: "b"})`, `property "category" appears twice`},
		{`did("purchase", "30d")`, "last argument is a property filter"},
		{`didBetween("purchase", date("2026-11-01T00:00:00Z"), date("2026-11-11"))`, "needs calendar days"},
		{`didThen("a", "b")`, "didThen takes 3 to 5 arguments"},
		{`countWithin("purchase", "30d", {category: []}) > 1`, "a filter value is a string or a non-empty list of strings"},
	} {
		_, err := Compile(tc.src)
		require.Error(t, err, tc.src)
		assert.Contains(t, err.Error(), tc.want, tc.src)
	}
	// a declared event schema makes an unknown property a compile error
	_, err := Compile(`did("purchase", {colour: "red"}) || did("login", {colour: "red"})`, WithEventSchema(map[string][]string{"purchase": {"category", "channel"}}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `event "purchase" has no property "colour" (declared: category, channel)`)
	assert.NotContains(t, err.Error(), "problems", "login has no declarations: any property")
	_, err = Compile(`did("purchase", {category: "math"})`, WithEventSchema(map[string][]string{"purchase": {"category"}}))
	require.NoError(t, err)
}

func TestEventWarningsAndExplain(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	now := time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)
	b := ix.NewBatch()
	b.RecordEvent("c1", "purchase", time.Date(2026, 11, 11, 8, 0, 0, 0, time.UTC), bitmapindex.EventDetail{Value: 125000, Props: map[string]string{"category": "math"}})
	b.RecordEvent("c2", "purchase", time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC), bitmapindex.EventDetail{Value: 5000000, Props: map[string]string{"category": "art"}})
	require.NoError(t, b.Commit())
	v := ix.View()
	r := MustCompile(`did("purchase", {category: ["math", "chem"], colour: "red"}) || didBetween("purchase", date("2026-11-01"), date("2026-11-11"), {category: "art"})`)
	var msgs []string
	for _, w := range r.Warnings(v) {
		msgs = append(msgs, w.String())
	}
	assert.Equal(t, []string{
		`1:37: no occurrence of "purchase" has category "chem"`,
		`1:46: no occurrence of "purchase" has property "colour"`,
	}, msgs)
	out, err := r.Explain(context.Background(), v, now)
	require.NoError(t, err)
	assert.Contains(t, out, `didBetween("purchase", date("2026-11-01"), date("2026-11-11"), {category: "art"})`)
	assert.Contains(t, out, `filter {category: ["chem", "math"], colour: "red"}`)
	n, err := MustCompile(`sumWithin("purchase", "14d") >= 500 && avgWithin("purchase", "14d") > 12.4999`).Count(context.Background(), v, now)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestReadmeEventRules compiles every rule of the README's table of event
// forms, so the documentation cannot drift from the language.
func TestReadmeEventRules(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(raw)
	start := strings.Index(text, "### Events with values and properties")
	require.GreaterOrEqual(t, start, 0)
	text = text[start:]
	text = text[:strings.Index(text, "\n- **Filters**")]
	n := 0
	for _, line := range strings.Split(text, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 2 || !strings.HasPrefix(line, "| ") || strings.Contains(line, "---") {
			continue
		}
		for _, part := range strings.Split(strings.TrimSuffix(cells[1], " |"), "`") {
			part = strings.TrimSpace(part)
			if part == "" || part == "," || !strings.Contains(part, "(") {
				continue
			}
			_, err := Compile(part)
			require.NoError(t, err, part)
			n++
		}
	}
	require.GreaterOrEqual(t, n, 12)
}
