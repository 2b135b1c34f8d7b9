package compare

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestMarkdownGolden pins the human-facing table (go test -update rewrites it).
func TestMarkdownGolden(t *testing.T) {
	ms := func(xs ...float64) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	rules, err := SelectRules([]string{"tags2", "buy3_90d"})
	require.NoError(t, err)
	rep := &Report{
		Machine: Machine{CPU: "Test CPU", Cores: 2, MemTotal: "24 GiB", OS: "linux", Arch: "amd64", Go: "go1.26"},
		Now:     testNow,
		Runs:    3,
		Sizes: []SizeReport{{
			N:       1_000_000,
			Gen:     15 * time.Second,
			Rules:   rules,
			Counts:  []int64{221_234, 9_876},
			LoadAvg: [2]string{"1.00 2.00 3.00", "1.50 2.00 3.00"},
			Engines: []EngineReport{
				{Name: "segkit", Describe: "bitmaps", Load: 90 * time.Second, Memory: Memory{Bytes: 300 << 20, How: "heap"}, Sample: 1_000_000,
					Times: []Timing{newTiming(ms(0.05, 0.04, 0.06), 1), newTiming(ms(8, 9, 7.5), 1)}},
				{Name: "expr", Describe: "expr", Load: 5 * time.Second, Memory: Memory{Bytes: 200 << 20, How: "heap"}, Sample: 100_000,
					Times: []Timing{newTiming(ms(120), 10), newTiming(ms(130), 10)}},
				{Name: "duckdb", Describe: "columnar", Load: 30 * time.Second, Memory: Memory{Bytes: 900 << 20, How: "duckdb_memory()"}, Sample: 1_000_000,
					Times: []Timing{newTiming(ms(20, 25, 22), 1), newTiming(ms(5, 6, 7), 1)}},
				{Name: "sqlite", Describe: "btree", Load: 60 * time.Second, Memory: Memory{Bytes: 12 << 30, How: "pages"}, Sample: 1_000_000},
			},
		}},
	}
	got := rep.Markdown()
	path := filepath.Join("testdata", "report.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	assert.Equal(t, string(want), got)
}
