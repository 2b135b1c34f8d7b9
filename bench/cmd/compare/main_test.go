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
