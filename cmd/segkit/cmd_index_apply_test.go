package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIndexApply: build a durable index directory from the example files,
// apply changes in batches, and read the directory with the commands that
// read snapshots.
func TestIndexApply(t *testing.T) {
	ex := filepath.Join("..", "..", "examples", "cli")
	dir := filepath.Join(t.TempDir(), "crm.index")
	out, stderr, code := runCLI(t, "index", "build", "--customers", filepath.Join(ex, "customers.jsonl"),
		"--events", filepath.Join(ex, "events.jsonl"), "--schema", filepath.Join(ex, "schema.json"), "--durable", "--out", dir)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "4 customers indexed into the durable index directory "+dir+"\n", out)

	work := t.TempDir()
	changes := filepath.Join(work, "changes.jsonl")
	require.NoError(t, os.WriteFile(changes, []byte(
		`{"id":"c1","tags":["vip"],"attrs":{"age":22}}`+"\n"+
			`{"id":"c9","tags":["new"],"attrs":{"city":"Hangzhou"}}`+"\n"+
			`{"id":"c10","tags":["new"]}`+"\n"), 0o644))
	events := filepath.Join(work, "events.jsonl")
	require.NoError(t, os.WriteFile(events, []byte(`{"id":"c9","event":"login","at":"2026-06-30T08:00:00Z"}`+"\n"), 0o644))
	out, stderr, code = runCLI(t, "index", "apply", "--index", dir, "--customers", changes, "--events", events, "--batch", "2", "--progress")
	require.Equal(t, 0, code, stderr)
	stable := strings.NewReplacer(dir, "DIR", work, "WORK")
	dur := regexp.MustCompile(`in [0-9.]+(µs|ms|s)`)
	golden(t, "index_apply", dur.ReplaceAllString(stable.Replace(out+"--- stderr\n"+stderr), "in TIME"))

	// every command that reads a snapshot reads the directory
	out, stderr, code = runCLI(t, "eval", "--index", dir, "--now", "2026-07-01", "--rule", `has("new") || (has("vip") && age == 22)`)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "c1\nc10\nc9\n", out)
	out, stderr, code = runCLI(t, "index", "stats", "--index", dir)
	require.Equal(t, 0, code, stderr)
	written := regexp.MustCompile(`written \S+`)
	golden(t, "index_stats_durable", written.ReplaceAllString(out, "written TIME"))
	out, _, code = runCLI(t, "index", "stats", "--index", dir, "--format", "json")
	require.Equal(t, 0, code)
	require.Contains(t, out, `"last_seq": 3`)

	// a second build into the directory is refused; apply to a snapshot file is a usage mistake
	_, stderr, code = runCLI(t, "index", "build", "--customers", filepath.Join(ex, "customers.jsonl"), "--durable", "--out", dir)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "already holds an index")
	_, stderr, code = runCLI(t, "index", "apply", "--index", filepath.Join(ex, "customers.jsonl"), "--customers", changes)
	require.Equal(t, 1, code)
	require.True(t, strings.Contains(stderr, "is not an index directory"), stderr)
	// a bad record names the file and line; the batches before it stay applied
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"id":"c11","tags":["x"]}`+"\n"+`{"id":"c12","attrs":{"age":"old"}}`+"\n"), 0o644))
	_, stderr, code = runCLI(t, "index", "apply", "--index", dir, "--customers", bad, "--batch", "1")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "bad.jsonl:2")
	out, _, _ = runCLI(t, "eval", "--index", dir, "--now", "2026-07-01", "--rule", `has("x")`)
	require.Equal(t, "c11\n", out)
}
