package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventForms runs the rule forms over event values and properties
// through the CLI: JSON Lines value/props, the schema's events section, a
// compile error for an undeclared property, a warning for an unknown value.
func TestEventForms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	customers := write("c.jsonl", `{"id":"c1"}
{"id":"c2"}
{"id":"c3"}
`)
	events := write("e.jsonl", `{"id":"c1","event":"trial_class","at":"2026-11-01T10:00:00+08:00"}
{"id":"c1","event":"purchase","at":"2026-11-05T10:00:00+08:00","value":299.5,"props":{"category":"math"}}
{"id":"c2","event":"purchase","at":"2026-11-11T23:59:59+08:00","value":100,"props":{"category":"art"}}
{"id":"c2","event":"recharge","at":"2026-11-11T20:00:00+08:00","value":500}
{"id":"c3","event":"purchase","at":"2026-11-12T00:00:01+08:00","value":50,"props":{"category":"math"}}
`)
	schema := write("s.json", `{"timezone":"Asia/Shanghai","events":{"purchase":{"properties":["category","channel"]}}}`)
	run := func(rule string) (string, string, int) {
		return runCLI(t, "eval", "--customers", customers, "--events", events, "--schema", schema, "--now", "2026-11-12T12:00:00+08:00", "--rule", rule)
	}
	for _, tc := range []struct{ rule, want string }{
		{`didWithin("purchase", "14d", {category: "math"})`, "c1\nc3\n"},
		{`didBetween("purchase", date("2026-11-01"), date("2026-11-11"))`, "c1\nc2\n"},
		{`sumWithin("purchase", "90d") >= 100 && avgWithin("purchase", "90d") > 99.9999`, "c1\nc2\n"},
		{`didThen("trial_class", "purchase", "7d")`, "c1\n"},
		{`sumWithin("recharge", "30d") in [100, 200, 500]`, "c2\n"},
	} {
		out, errOut, code := run(tc.rule)
		require.Equal(t, 0, code, "%s: %s", tc.rule, errOut)
		assert.Equal(t, tc.want, out, tc.rule)
	}
	_, errOut, code := run(`did("purchase", {colour: "red"})`)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `event "purchase" has no property "colour" (declared: category, channel)`)
	_, errOut, code = run(`did("purchase", {category: "chemistry"})`)
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, `no occurrence of "purchase" has category "chemistry"`)
	bad := write("bad.jsonl", `{"id":"c1","event":"purchase","at":"2026-11-05","value":1.23456}`+"\n")
	_, errOut, code = runCLI(t, "eval", "--customers", customers, "--events", bad, "--now", "2026-11-12", "--rule", "true")
	assert.NotEqual(t, 0, code)
	assert.True(t, strings.Contains(errOut, "bad.jsonl:1: field \"value\""), errOut)
}
