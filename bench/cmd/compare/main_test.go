package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  bool
	}{
		{in: "1000000", want: []int{1_000_000}},
		{in: "1M,10M", want: []int{1_000_000, 10_000_000}},
		{in: "10k, 2_000", want: []int{10_000, 2_000}},
		{in: "", err: true},
		{in: "0", err: true},
		{in: "-5", err: true},
		{in: "1G", err: true},
	}
	for _, tt := range tests {
		got, err := parseSizes(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

// TestRunSmall runs the command end to end on a tiny population with the
// engines that need no server and checks the table it prints and writes.
func TestRunSmall(t *testing.T) {
	out := filepath.Join(t.TempDir(), "table.md")
	err := run([]string{"--customers", "500", "--engines", "segkit,sqlite", "--runs", "1", "--quiet",
		"--gen-time=false", "--rules", "tags2,buy3_90d", "--tmp", t.TempDir(), "--out", out})
	require.NoError(t, err)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	table := string(b)
	assert.Contains(t, table, "### 500 customers")
	assert.Contains(t, table, "| tags2 |")
	assert.Contains(t, table, "| buy3_90d |")
	assert.False(t, strings.Contains(table, "| city_list |"), "--rules not honoured")
	assert.Contains(t, table, "÷ sqlite")
}

func TestRunBadFlags(t *testing.T) {
	assert.Error(t, run([]string{"--now", "yesterday"}))
	assert.Error(t, run([]string{"--rules", "nope"}))
	assert.Error(t, run([]string{"--customers", "x"}))
	assert.Error(t, run([]string{"--expr-sample", "1,2"}))
}

// TestReferenceAndMerge saves a run with segkit, checks a second engine
// against its counts in a separate run, and merges the two tables.
func TestReferenceAndMerge(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	common := []string{"--customers", "500", "--runs", "1", "--quiet", "--gen-time=false", "--rules", "tags2,buy3_90d", "--tmp", dir}
	require.NoError(t, run(append([]string{"--engines", "segkit", "--baselines=false", "--json", first}, common...)))
	require.NoError(t, run(append([]string{"--engines", "sqlite", "--baselines=false", "--reference", first, "--json", second}, common...)))
	out := filepath.Join(dir, "merged.md")
	require.NoError(t, run([]string{"--merge", first + "," + second, "--out", out}))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	table := string(b)
	assert.Contains(t, table, "÷ sqlite")
	assert.Contains(t, table, "Run 1 measured segkit")
	assert.Contains(t, table, "Run 2 measured sqlite")

	// A reference with other rules, or the expr sample without segkit, is refused.
	assert.Error(t, run([]string{"--engines", "sqlite", "--baselines=false", "--reference", first,
		"--customers", "500", "--runs", "1", "--quiet", "--gen-time=false", "--rules", "city_list", "--tmp", dir}))
	assert.Error(t, run(append([]string{"--engines", "sqlite", "--reference", first, "--expr-sample", "100"}, common...)))
	assert.Error(t, run([]string{"--merge", filepath.Join(dir, "missing.json")}))
}
