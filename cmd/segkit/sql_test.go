package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSQLCommand(t *testing.T) {
	schema := filepath.Join("testdata", "sql", "schema.json")
	defs := filepath.Join("testdata", "sql", "segments.json")
	rule := `has("vip") && inSegment("adults") && city startsWith "Bei" && countWithin("purchase", "90d") >= 2 && within(signup, "7d")`
	var b strings.Builder
	for _, args := range [][]string{
		{"sql", "--dialect", "postgres", "--schema", schema, "--defs", defs, "--now", "2026-06-30", "--rule", rule},
		{"sql", "--dialect", "postgres", "--schema", schema, "--defs", defs, "--now", "2026-06-30", "--rule", rule, "--params", "--count"},
		{"sql", "--dialect", "clickhouse", "--schema", schema, "--defs", defs, "--now", "2026-06-30T12:00:00+08:00", "--rule", rule, "--events-table", "events_local"},
		{"sql", "ddl", "--dialect", "postgres", "--schema", schema},
		{"sql", "ddl", "--dialect", "clickhouse", "--schema", schema, "--cluster", "segkit", "--database", "crm"},
	} {
		out, stderr, code := runCLI(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		b.WriteString("$ segkit " + strings.Join(args[:3], " ") + " …\n" + out + "\n")
	}
	golden(t, "sql", b.String())

	_, stderr, code := runCLI(t, "sql", "--dialect", "postgres", "--schema", schema, "--now", "2026-06-30", "--rule", `city matches "(?m)^B"`)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `1:6: postgres: multi-line anchors`)
	_, stderr, code = runCLI(t, "sql", "--dialect", "mysql", "--schema", schema, "--now", "2026-06-30", "--rule", `has("a")`)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--dialect must be postgres or clickhouse`)
	_, stderr, code = runCLI(t, "sql", "--now", "2026-06-30", "--rule", `has("a")`)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--schema FILE (or --index SNAPSHOT) is required`)
	_, stderr, code = runCLI(t, "sql", "--schema", schema, "--now", "2026-06-30", "--rule", `age > "x"`)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `cannot compare int attribute age`)
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	in := func(n string) string { return filepath.Join("testdata", "sql", n) }
	var b strings.Builder
	for _, layout := range []string{"postgres", "clickhouse"} {
		out := filepath.Join(dir, layout)
		stdout, stderr, code := runCLI(t, "export", "--layout", layout, "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--out", out)
		require.Equal(t, 0, code, stderr)
		b.WriteString("$ segkit export --layout " + layout + " …\n" + strings.ReplaceAll(stdout, dir, "OUT") + "\n")
		entries, err := os.ReadDir(out)
		require.NoError(t, err)
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(out, e.Name()))
			require.NoError(t, err)
			b.WriteString("--- " + layout + "/" + e.Name() + "\n" + string(data) + "\n")
		}
	}
	golden(t, "export", b.String())

	// without a schema, kinds are inferred
	_, stderr, code := runCLI(t, "export", "--layout", "clickhouse", "--customers", in("customers.jsonl"), "--out", filepath.Join(dir, "inferred"))
	require.Equal(t, 0, code, stderr)
	_, stderr, code = runCLI(t, "export", "--layout", "oracle", "--customers", in("customers.jsonl"), "--out", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--layout must be postgres or clickhouse")
}
