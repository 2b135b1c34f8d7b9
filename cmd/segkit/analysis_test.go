package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProfileCommand(t *testing.T) {
	dir := population(t)
	svg := filepath.Join(t.TempDir(), "profile.svg")
	args := []string{"profile", "--customers", filepath.Join(dir, "customers.jsonl"), "--events", filepath.Join(dir, "events.jsonl"),
		"--schema", filepath.Join(dir, "schema.json"), "--now", "2026-06-30", "--rule", `occupation == "student"`, "--top", "10"}
	out, stderr, code := runCLI(t, append(args, "--svg", svg)...)
	require.Equal(t, 0, code, stderr)
	golden(t, "profile", out)
	b, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(b), `data-label="occupation == &#34;student&#34;"`)

	out, stderr, code = runCLI(t, append(args, "--format", "json", "--base", "age < 30")...)
	require.Equal(t, 0, code, stderr)
	var p struct {
		Segment, Base int
		Traits        []struct{ Field, Value string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	assert.Less(t, p.Segment, 2000)
	assert.Less(t, p.Base, 2000)
	assert.NotEmpty(t, p.Traits)

	_, stderr, code = runCLI(t, "profile", "--customers", filepath.Join(dir, "customers.jsonl"), "--now", "2026-06-30", "--rule", `occupation == `)
	assert.Equal(t, 2, code, stderr)
	_, stderr, code = runCLI(t, "profile", "--customers", filepath.Join(dir, "customers.jsonl"), "--now", "2026-06-30", "--rule", `age > 200`)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no members")
}

func TestRetentionCommand(t *testing.T) {
	// CDNOW as a transactions CSV: monthly repeat-purchase retention
	src, err := os.ReadFile(sharedData(t, "cdnow_sample.txt"))
	require.NoError(t, err)
	var csv strings.Builder
	csv.WriteString("customer_id,date,amount\n")
	for _, line := range strings.Split(string(src), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 {
			continue
		}
		csv.WriteString(f[1] + "," + f[2][:4] + "-" + f[2][4:6] + "-" + f[2][6:] + "," + f[4] + "\n")
	}
	path := filepath.Join(t.TempDir(), "cdnow.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv.String()), 0o644))
	out, stderr, code := runCLI(t, "retention", "--transactions", path, "--period", "month", "--format", "csv")
	require.Equal(t, 0, code, stderr)
	want, err := os.ReadFile(filepath.Join("..", "..", "retention", "testdata", "cdnow_month.csv"))
	require.NoError(t, err)
	assert.Equal(t, string(want), out, "the CLI and the library disagree on CDNOW")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "cohort,size,period,retained,share", lines[0])
	assert.Equal(t, "1997-01,781,1,124,0.158771", lines[1])

	dir := population(t)
	svg := filepath.Join(t.TempDir(), "retention.svg")
	out, stderr, code = runCLI(t, "retention", "--customers", filepath.Join(dir, "customers.jsonl"), "--events", filepath.Join(dir, "events.jsonl"),
		"--schema", filepath.Join(dir, "schema.json"), "--cohort-event", "signup", "--event", "login", "--period", "week",
		"--from", "2026-04-01", "--now", "2026-06-30", "--max-periods", "6", "--by", "source", "--svg", svg)
	require.Equal(t, 0, code, stderr)
	golden(t, "retention", out)
	_, err = os.Stat(svg)
	require.NoError(t, err)

	_, _, code = runCLI(t, "retention", "--transactions", path, "--period", "year")
	assert.Equal(t, 2, code)
	_, stderr, code = runCLI(t, "retention", "--customers", filepath.Join(dir, "customers.jsonl"), "--events", filepath.Join(dir, "events.jsonl"),
		"--cohort-event", "nope", "--event", "login", "--from", "2026-04-01", "--now", "2026-06-30")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `event "nope"`)
}

func TestSplitMDEWarning(t *testing.T) {
	dir := population(t)
	args := []string{"split", "--customers", filepath.Join(dir, "customers.jsonl"), "--schema", filepath.Join(dir, "schema.json"),
		"--now", "2026-06-30", "--rule", `occupation == "student"`, "--groups", "A=0.45,B=0.45,holdout=0.1", "--salt", "s", "--format", "count"}
	_, stderr, code := runCLI(t, append(args, "--baseline", "0.04", "--mde", "0.01")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, `warning: group "A"`)
	assert.Contains(t, stderr, `against "holdout"`)
	// a large effect is detectable with these sizes: no warning
	_, stderr, code = runCLI(t, append(args, "--baseline", "0.1", "--mde", "0.5")...)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "warning")
	_, _, code = runCLI(t, append(args, "--mde", "0.01")...)
	assert.Equal(t, 2, code)
}
