package segment

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in   string
		days int
		bad  string
	}{
		{in: "7d", days: 7},
		{in: " 2w ", days: 14},
		{in: "3mo", days: 90},
		{in: "1y", days: 365},
		{in: "100y", days: 36500},
		{in: "36500d", days: 36500},
		{in: "0d", bad: "empty"},
		{in: "101y", bad: "longer than"},
		{in: "99999999999999999999d", bad: "longer than"},
		{in: "7", bad: "bad duration"},
		{in: "d", bad: "bad duration"},
		{in: "-7d", bad: "bad duration"},
		{in: "7.5d", bad: "bad duration"},
		{in: "7h", bad: "bad duration"},
		{in: "7md", bad: "bad duration"},
	} {
		days, err := parseWindow(tc.in)
		if tc.bad != "" {
			require.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), tc.bad, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.days, days, tc.in)
	}
}

// TestDayStartSaturates: a rule's far-away day constants saturate into
// segkit.Day instead of overflowing (the calendar itself is tested in
// package segkit).
func TestDayStartSaturates(t *testing.T) {
	assert.Equal(t, segkit.MaxDay, toDay(math.MaxInt64))
	assert.Equal(t, segkit.MinDay, toDay(math.MinInt64))
	assert.Equal(t, segkit.Day(-5), toDay(-5))
	assert.NotPanics(t, func() {
		dayStart(math.MaxInt64, time.UTC)
		dayStart(math.MinInt64, loadLoc(t, "America/New_York"))
	})
	assert.Equal(t, "2026-03-01", formatDay(int64(segkit.Date(2026, time.March, 1))))
}

func TestLimitsDefaults(t *testing.T) {
	assert.Equal(t, Limits{MaxNodes: 256, MaxDepth: 32, MaxListItems: 1000, MaxRefDepth: 8, MaxRuleBytes: 64 << 10, MaxRegexInsts: 10_000, MaxMatchWork: 100_000}, DefaultLimits())
	assert.Equal(t, Limits{MaxNodes: 5, MaxDepth: 32, MaxListItems: 1000, MaxRefDepth: 8, MaxRuleBytes: 64 << 10, MaxRegexInsts: 10_000, MaxMatchWork: 100_000}, Limits{MaxNodes: 5, MaxDepth: -1}.withDefaults())
	// The default node limit admits a long but reasonable rule, and the
	// list limit a 1,000-item list.
	long := `has("t0")`
	for i := 1; i < 60; i++ {
		long += ` && has("t` + string(rune('a'+i%26)) + `")`
	}
	_, err := Compile(long)
	require.NoError(t, err)
	list := `city in [`
	for i := 0; i < 1000; i++ {
		if i > 0 {
			list += ", "
		}
		list += `"c"`
	}
	_, err = Compile(list + `]`)
	require.NoError(t, err)
	_, err = Compile(list + `, "c"]`)
	require.ErrorContains(t, err, "more than the limit of 1000")
	deep := ""
	for i := 0; i < 40; i++ {
		deep += "!("
	}
	deep += "true"
	for i := 0; i < 40; i++ {
		deep += ")"
	}
	_, err = Compile(deep)
	require.ErrorContains(t, err, "nested deeper than 32")
	_, err = Compile(deep, WithLimits(Limits{MaxDepth: 200}))
	require.NoError(t, err)
}

func TestConstantFolding(t *testing.T) {
	for _, tc := range []struct{ rule, plan string }{
		{`age > 1 + 2 * 3`, `age > 7`},
		{`age > 10 / 4`, `age > 2.5`},
		{`age < 2 ** 3`, `age < 8.0`},
		{`age >= -(3 - 10)`, `age >= 7`},
		{`age > 7 % 4`, `age > 3`},
		{`city == "Bei" + "jing"`, `city == "Beijing"`},
		{`signup < date("2025-01-02")`, `signup < date("2025-01-02")`},
		{`1 < 2 && has("a")`, `has("a")`},
		{`1 > 2 || has("a")`, `has("a")`},
		{`has("a") && !(2 > 1)`, `false`},
		{`5 in 1..10`, `true`},
		{`"b" in ["a", "b"]`, `true`},
		{`between(5, 1, 3)`, `false`},
		{`"Beijing" startsWith "Bei"`, `true`},
		{`has("a") && has("a")`, `has("a")`},
		{`countWithin("p", "30d") >= 0`, `true`},
		{`countWithin("p", "30d") < 0`, `false`},
		{`countWithin("p", "30d") > 2.5`, `countWithin("p", "30d") > 2`},
		{`!(!has("a"))`, `has("a")`},
		{`!has("a") && !has("b")`, `and-not(; has("a"), has("b"))`},
		{`!has("a") || !has("b")`, `not and(has("a"), has("b"))`},
	} {
		r, err := Compile(tc.rule)
		require.NoError(t, err, tc.rule)
		assert.Equal(t, tc.plan, r.root.label, tc.rule)
	}
}
