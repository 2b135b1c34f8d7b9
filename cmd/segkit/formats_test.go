package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/formats.md shows each example file of examples/cli in full: the
// blocks must be the files, so the page cannot drift from what the command
// reads.
func TestFormatsDocShowsTheExampleFiles(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "formats.md"))
	require.NoError(t, err)
	re := regexp.MustCompile("(?s)\\[`examples/cli/([^`]+)`\\]\\([^)]*\\)[^`]*?```[a-z]*\n(.*?)```")
	shown := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		file, block := m[1], m[2]
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "cli", file))
		require.NoError(t, err, file)
		assert.Equal(t, string(data), block, "docs/formats.md shows examples/cli/%s as it is", file)
		shown[file] = true
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "examples", "cli"))
	require.NoError(t, err)
	for _, e := range entries {
		if e.Name() == "hotel.json" {
			continue // linked, not shown
		}
		assert.True(t, shown[e.Name()], "docs/formats.md shows examples/cli/%s", e.Name())
	}
}

// Every example file is read by the command it is for.
func TestExampleFilesRun(t *testing.T) {
	ex := func(name string) string { return filepath.Join("..", "..", "examples", "cli", name) }
	data := []string{"--customers", ex("customers.jsonl"), "--events", ex("events.jsonl"), "--schema", ex("schema.json"), "--now", "2026-06-30"}
	for _, args := range [][]string{
		append([]string{"eval", "--rule", `didWithin("purchase", "30d") || signup_at >= date("2026-01-02")`}, data...),
		append([]string{"segments", "--defs", ex("segments.json")}, data...),
		append([]string{"persona", "--defs", ex("personas.json"), "--format", "csv"}, data...),
		{"tier", "--program", ex("program.json"), "--transactions", ex("transactions.csv"), "--now", "2026-06-30"},
		{"tier", "--program", ex("hotel.json"), "--transactions", ex("transactions.csv"), "--activities", ex("activities.csv"), "--now", "2026-06-30"},
		{"rfm", "--transactions", ex("transactions.csv"), "--now", "2026-06-30"},
		{"summary", "--transactions", ex("transactions.csv"), "--now", "2026-06-30"},
	} {
		out, stderr, code := runCLI(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		require.NotEmpty(t, out, args)
	}
	out, _, _ := runCLI(t, append([]string{"persona", "--defs", ex("personas.json"), "--format", "csv"}, data...)...)
	assert.Equal(t, "customer_id,persona,rank,score\nc1,大学生,1,3\nc2,宝妈,1,3\nc3,上班族,1,2.5\n", out)
	// The summary in docs/formats.md is what the command writes.
	out, _, _ = runCLI(t, "summary", "--transactions", ex("transactions.csv"), "--now", "2026-06-30")
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "formats.md"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), "```csv\n"+out+"```")
	// Event properties declared in the schema filter events.
	out, _, _ = runCLI(t, append([]string{"eval", "--rule", `didWithin("purchase", "90d", {category: "toys"})`}, data...)...)
	assert.Equal(t, "c2\n", out)
	// Customer c1 signed up at "2026-01-01 23:30:00", read in the schema's
	// zone (Asia/Shanghai): still January 1 there (read as UTC it would be
	// January 2 in Shanghai).
	out, _, _ = runCLI(t, append([]string{"eval", "--rule", `signup_at < date("2026-01-02")`}, data...)...)
	assert.Equal(t, "c1\nc2\n", out)
}

// Examples are programs users copy: they must not import internal packages.
func TestExamplesImportNoInternal(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		require.NoError(t, err, f)
		for _, imp := range af.Imports {
			assert.NotContains(t, imp.Path.Value, "/internal/", "%s imports %s", f, imp.Path.Value)
		}
	}
}
