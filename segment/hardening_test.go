package segment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layeredRegistry is the construction of issue 14 item 6: levels of n
// segments, each the && of inSegment on all n segments of the level below,
// over n leaf segments on tags.
func layeredRegistry(t testing.TB, levels, n int, opts ...Option) (*Registry, string) {
	reg := NewRegistry(opts...)
	var defs []Definition
	for i := range n {
		defs = append(defs, Definition{Name: fmt.Sprintf("l0s%d", i), Rule: fmt.Sprintf(`has("t%d") || age > %d`, i, 10+i)})
	}
	for l := 1; l < levels; l++ {
		for i := range n {
			var refs []string
			for j := range n {
				refs = append(refs, fmt.Sprintf(`inSegment("l%ds%d")`, l-1, j))
			}
			defs = append(defs, Definition{Name: fmt.Sprintf("l%ds%d", l, i), Rule: strings.Join(refs, " && ")})
		}
	}
	require.NoError(t, reg.DefineAll(defs...))
	return reg, fmt.Sprintf("l%ds0", levels-1)
}

// TestMatchSharedReferences is issue 14 item 6: Registry.Match evaluates
// each referenced segment once per call, so 9 levels of 10 segments match
// as fast as Eval (before: over 10 s), with the same answer.
func TestMatchSharedReferences(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	reg, top := layeredRegistry(t, 9, 10)
	members, err := reg.Eval(context.Background(), top, v, now)
	require.NoError(t, err)
	start := time.Now()
	for k := range v.All().Keys() {
		p, ok := v.Profile(k)
		require.True(t, ok)
		done := make(chan struct{})
		var got bool
		var err error
		go func() {
			got, err = reg.Match(top, p, now)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Match of %s took over 5 s", k)
		}
		require.NoError(t, err)
		assert.Equal(t, members.ContainsKey(k), got, k)
	}
	t.Logf("Match of %d profiles: %v", v.Len(), time.Since(start))
	assert.Less(t, time.Since(start), 2*time.Second)
}

// TestMatchWorkBound: the total work of one Match is bounded.
func TestMatchWorkBound(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	reg, top := layeredRegistry(t, 4, 5, WithLimits(Limits{MaxMatchWork: 40}))
	p, _ := v.Profile("ann")
	_, err := reg.Match(top, p, now)
	require.ErrorIs(t, err, ErrMatchWork)
	reg, top = layeredRegistry(t, 4, 5)
	_, err = reg.Match(top, p, now)
	require.NoError(t, err)
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestRuleLengthLimit is issue 14 item 7: a rule longer than
// Limits.MaxRuleBytes is rejected before it is lexed.
func TestRuleLengthLimit(t *testing.T) {
	for _, src := range []string{strings.Repeat("(", 1<<20), strings.Repeat("[", 4<<20), strings.Repeat("a", 65<<10)} {
		var err error
		n := allocated(func() { _, err = Compile(src) })
		require.Error(t, err)
		assert.Contains(t, err.Error(), "rule is too long")
		assert.Less(t, n, uint64(64<<10), "allocated %d bytes for a rejected rule of %d", n, len(src))
	}
	_, err := Compile(`has("vip") && age > 20`, WithLimits(Limits{MaxRuleBytes: 10}))
	require.ErrorContains(t, err, "more than the limit of 10")
	_, err = Compile(`has("vip") && age > 20`)
	require.NoError(t, err)
}

// TestCompileMemoryLinear is issue 14 item 7: compiling any rule, valid or
// not, allocates at most 100 bytes per byte of rule, rules under 8 KiB
// counting as 8 KiB (a list item costs about 700 bytes however short it is
// written; MaxListItems bounds the lists).
func TestCompileMemoryLinear(t *testing.T) {
	const maxLen = 64 << 10
	rep := func(unit, sep string, n int) string { return strings.TrimSuffix(strings.Repeat(unit+sep, n), sep) }
	items := func(n int) string { return rep("1", ",", n) }
	rules := map[string]string{
		"open brackets":     strings.Repeat("(", maxLen),
		"open lists":        strings.Repeat("[", maxLen),
		"closing brackets":  strings.Repeat(")", maxLen),
		"additions":         rep("1", "+", maxLen/2),
		"long string":       `city == "` + strings.Repeat("x", maxLen-20) + `"`,
		"long identifier":   strings.Repeat("a", maxLen-10) + " > 1",
		"list at its limit": "age in [" + items(1000) + "]",
		"list over limit":   "age in [" + items(maxLen/2-10) + "]",
		"many tags":         rep(`has("t")`, " || ", 255),
		"many nodes":        rep(`age > 1`, " && ", maxLen/12),
		"hasAny list":       `hasAny(interests, [` + rep(`"abcdefgh"`, ",", 1000) + `])`,
		"nested parens":     strings.Repeat("(", 32) + "age > 1" + strings.Repeat(")", 32),
		"nested not":        strings.Repeat("!", maxLen-10) + "has(\"a\")",
		"numbers":           rep("123456789012345", " ", maxLen/16),
		"strings":           rep(`"a"`, " ", maxLen/4),
		"regex":             `city matches "` + rep("abcdefghij", "|", 900) + `"`,
		"regex repeats":     `city matches "(((a{100}){100}){100})"`,
		"unterminated":      `city == "` + strings.Repeat("x", maxLen-20),
		"min int":           rep("age > -9223372036854775808", " && ", 200),
		"unicode":           `city == "` + strings.Repeat("語", (maxLen-20)/3) + `"`,
	}
	for name, src := range rules {
		require.LessOrEqual(t, len(src), maxLen, name)
		n := allocated(func() { _, _ = Compile(src) })
		limit := 100 * uint64(max(len(src), 8<<10))
		t.Logf("%-18s %6d bytes: %8d allocated (%.1f× the rule)", name, len(src), n, float64(n)/float64(len(src)))
		assert.LessOrEqual(t, n, limit, "%s: %d bytes allocated compiling %d bytes", name, n, len(src))
	}
}

// TestRegexProgramBound is issue 14 item 7: matches patterns whose program
// would be large are errors (a 100k alternation compiled to 54 MB).
func TestRegexProgramBound(t *testing.T) {
	var sb strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&sb, "a%d|", i)
	}
	alt := sb.String() + "c"
	var err error
	n := allocated(func() {
		_, err = Compile(`city matches "`+alt+`"`, WithLimits(Limits{MaxRuleBytes: 1 << 20, MaxNodes: 10}))
	})
	require.ErrorContains(t, err, "pattern too large")
	assert.Less(t, n, uint64(100*len(alt)))
	_, err = Compile(`city matches "a{999}b{999}c{999}d{999}e{999}f{999}g{999}h{999}i{999}j{999}k{999}"`)
	require.ErrorContains(t, err, "pattern too large")
	_, err = Compile(`city matches "^[A-Z][a-z]+(ing|jing)$"`)
	require.NoError(t, err)
	_, err = Compile(`city matches "a{2}"`, WithLimits(Limits{MaxRegexInsts: 2}))
	require.ErrorContains(t, err, "pattern too large")
}

// TestMinInt64Literal is issue 14 item 10: the smallest int64 can be
// written as a literal; its digits without the minus are out of range.
func TestMinInt64Literal(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}})
	require.NoError(t, err)
	require.NoError(t, ix.Set("min", "age", bitmapindex.Int(math.MinInt64)))
	require.NoError(t, ix.Set("one", "age", bitmapindex.Int(1)))
	require.NoError(t, ix.Set("max", "age", bitmapindex.Int(math.MaxInt64)))
	v := ix.View()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for src, want := range map[string][]string{
		"age > -9223372036854775808":                 {"max", "one"},
		"age == -9223372036854775808":                {"min"},
		"age >= -9223372036854775808":                {"max", "min", "one"},
		"age in [-9223372036854775808, 1]":           {"min", "one"},
		"age < - 9223372036854775808 + 0 || age < 0": {"min"},
	} {
		r, err := Compile(src)
		if !assert.NoError(t, err, src) {
			continue
		}
		s, err := r.Eval(context.Background(), v, now)
		require.NoError(t, err)
		assert.ElementsMatch(t, want, keysOf(s), src)
		for k := range v.All().Keys() {
			p, _ := v.Profile(k)
			ok, err := r.Match(p, now)
			require.NoError(t, err)
			assert.Equal(t, s.ContainsKey(k), ok, "%s: %s", src, k)
		}
	}
	for _, src := range []string{"age > 9223372036854775808", "age > --9223372036854775808"} {
		_, err := Compile(src)
		require.Error(t, err, src)
	}
	_, err = Compile(`city == "9223372036854775808"`)
	require.NoError(t, err, "digits in a string are a string")
	var el ErrorList
	_, err = Compile("age > 1 &&\n  age > 9223372036854775808")
	require.True(t, errors.As(err, &el))
	assert.Equal(t, 2, el[0].Line)
	assert.Equal(t, 9, el[0].Column)
}
