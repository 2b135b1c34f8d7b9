package segment

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), got, "golden file %s differs (-want +got); rerun with -update after checking", path)
}

// TestErrorMessagesGolden pins the messages people see for bad rules: every
// problem, its position and its caret snippet.
func TestErrorMessagesGolden(t *testing.T) {
	schema := WithSchema(testSchema)
	cases := []struct {
		rule string
		opts []Option
	}{
		{rule: `has("a") &&`},
		{rule: `has("a") && (age > 3`},
		{rule: `has("a") && age >> 3`},
		{rule: `city > 3 && citty == "x" && daysSince(age) > 3`},
		{rule: `foo(1) || len(x) > 2 || count(x) > 1 || hasany("a")`},
		{rule: `age + 1 > 30`},
		{rule: `within(signup, "0d") && within(signup, "7x") && did(login)`},
		{rule: `city matches "(["`},
		{rule: "has(\"a\")\n  && vip == 3\n  && interests == \"math\""},
		{rule: `exists("age")`},
		{rule: `a.b > 1`},
		{rule: `age > 3 ? has("a") : has("b")`},
		{rule: `signup > "2025-01-01"`},
		{rule: `daysSince(signup) && countWithin("p", "30d")`},
		{rule: `1/0 > age`},
		{rule: `age in 1.5..3`},
		{rule: `"math" in city || interests == "x"`},
		{rule: `inSegment("")`},
		{rule: `between(age, 1) || hasAny()`},
		{rule: `9223372036854775807 + 1 > age`},
		{rule: `date("yesterday") < signup`},
		{rule: `city`},
		{rule: `age > spend`},
		{rule: `vip < true`},
		{rule: `let x = 1; x > 2`},
		{rule: `has('a'); has('b')`},
		{rule: `城市 == "北京" && has("学生") && age > "三十"`},
		{rule: `has("a") @ has("b")`},
		{rule: `has("a") && has("b") && has("c") && has("d")`, opts: []Option{WithLimits(Limits{MaxNodes: 5})}},
		{rule: `((((has("a")))))`, opts: []Option{WithLimits(Limits{MaxDepth: 3})}},
		{rule: `age in [1, 2, 3]`, opts: []Option{WithLimits(Limits{MaxListItems: 2})}},
		{rule: `age in [1, age, "x"] && city in [1]`},
		{rule: `countWithin("purchase", "90d") >= "3"`},
		{rule: `has(vip)`},
		{rule: ``},
	}
	var b strings.Builder
	for _, tc := range cases {
		opts := append([]Option{schema}, tc.opts...)
		_, err := Compile(tc.rule, opts...)
		require.Error(t, err, tc.rule)
		var el ErrorList
		require.ErrorAs(t, err, &el)
		b.WriteString("rule: ")
		b.WriteString(strings.ReplaceAll(tc.rule, "\n", "\n      "))
		b.WriteString("\n")
		b.WriteString(err.Error())
		b.WriteString("\n\n")
	}
	golden(t, "errors.golden", b.String())
}

// TestExplainGolden pins Explain's plan trees with member counts.
func TestExplainGolden(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	reg := NewRegistry()
	require.NoError(t, reg.Define(Definition{Name: "students", Rule: `has("undergrad")`}))
	rules := []string{
		`has("undergrad") && firstWithin("trial_class", "7d") && !did("purchase")`,
		`(has("office") or age > 30) and not vip`,
		`daysSince(last_login) > 30 || city startsWith "B"`,
		`hasNone("undergrad", "office") && countWithin("purchase", "90d") >= 3 && within(signup, "2w")`,
		`!has("undergrad") || !vip`,
		`inSegment("students") && "math" in interests && spend > 100.555`,
		`city in ["Beijing", "Shanghai", "Berlin"] && between(age, 20, 30)`,
	}
	var b strings.Builder
	for _, src := range rules {
		r := MustCompile(src, WithResolver(reg))
		out, err := r.Explain(context.Background(), v, now)
		require.NoError(t, err)
		b.WriteString(out)
		b.WriteString("\n")
	}
	golden(t, "explain.golden", b.String())
}
