package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/segment"
	"github.com/stretchr/testify/require"
)

// replayFixture writes random customers, events over two months and
// segment definitions using time windows, tags, attributes and references.
func replayFixture(t *testing.T, seed uint64) (dir string) {
	dir = t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 3))
	var cust, evs strings.Builder
	for i := range 40 {
		tags := `[]`
		if rng.IntN(3) == 0 {
			tags = `["vip"]`
		}
		fmt.Fprintf(&cust, `{"id":"c%02d","tags":%s,"attrs":{"age":%d}}`+"\n", i, tags, 18+rng.IntN(50))
		for range rng.IntN(8) {
			day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(61))
			at := day.Add(time.Duration(rng.IntN(86400)) * time.Second)
			name := []string{"purchase", "login"}[rng.IntN(2)]
			fmt.Fprintf(&evs, `{"id":"c%02d","event":%q,"at":%q,"value":%d}`+"\n", i, name, at.Format(time.RFC3339), rng.IntN(100))
		}
	}
	defs := `[
 {"name":"buyers","rule":"did(\"purchase\")"},
 {"name":"sleeping","rule":"inSegment(\"buyers\") && !didWithin(\"purchase\", \"10d\")"},
 {"name":"vip_active","rule":"has(\"vip\") && countWithin(\"login\", \"7d\") >= 1"},
 {"name":"young","rule":"age < 30"}
]`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "customers.jsonl"), []byte(cust.String()), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte(evs.String()), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "defs.json"), []byte(defs), 0o644))
	return dir
}

// naiveReplay builds, for every day, a fresh index with the events of the
// days up to it and evaluates every segment in full: the reference.
func naiveReplay(t *testing.T, dir string, d1, d2 segkit.Day) []string {
	ctx := context.Background()
	evf, err := os.Open(filepath.Join(dir, "events.jsonl"))
	require.NoError(t, err)
	var all []segkit.Event
	for ev, err := range dataio.ReadEvents("events", evf, time.UTC) {
		require.NoError(t, err)
		all = append(all, ev)
	}
	evf.Close()
	eval := func(d segkit.Day) map[string]map[string]bool {
		ix, err := dataio.NewIndex(nil)
		require.NoError(t, err)
		_, err = dataio.LoadCustomersFile(ctx, ix, filepath.Join(dir, "customers.jsonl"), nil)
		require.NoError(t, err)
		b := ix.NewBatch()
		for _, ev := range all {
			if segkit.DayOf(ev.At, time.UTC) <= d {
				b.Record(ev.Customer, ev.Name, ev.At, ev.Value)
			}
		}
		require.NoError(t, b.Commit())
		reg := segment.NewRegistry()
		_, err = dataio.DefineSegmentsFile(filepath.Join(dir, "defs.json"), reg)
		require.NoError(t, err)
		sets, err := reg.EvalAll(ctx, ix.View(), d.Time(time.UTC))
		require.NoError(t, err)
		out := map[string]map[string]bool{}
		for name, s := range sets {
			out[name] = map[string]bool{}
			for k := range s.Keys() {
				out[name][k] = true
			}
		}
		return out
	}
	var lines []string
	prev := eval(d1 - 1)
	for d := d1; d <= d2; d++ {
		cur := eval(d)
		for name, m := range cur {
			for k := range m {
				if !prev[name][k] {
					lines = append(lines, fmt.Sprintf("%s %s %s entered", d, name, k))
				}
			}
			for k := range prev[name] {
				if !m[k] {
					lines = append(lines, fmt.Sprintf("%s %s %s left", d, name, k))
				}
			}
		}
		prev = cur
	}
	sort.Strings(lines)
	return lines
}

// TestReplayEqualsDailyFullEvaluations: segkit replay's lines are exactly
// the differences of full evaluations day by day.
func TestReplayEqualsDailyFullEvaluations(t *testing.T) {
	for seed := range uint64(3) {
		dir := replayFixture(t, seed)
		out, stderr, code := runCLI(t, "replay", "--defs", filepath.Join(dir, "defs.json"),
			"--customers", filepath.Join(dir, "customers.jsonl"), "--events", filepath.Join(dir, "events.jsonl"),
			"--from", "2026-10-01", "--to", "2026-10-20")
		require.Equal(t, 0, code, stderr)
		var got []string
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			var l replayLine
			require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
			got = append(got, fmt.Sprintf("%s %s %s %s", l.Day, l.Segment, l.ID, l.Change))
		}
		sort.Strings(got)
		d1 := segkit.DayOf(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.UTC)
		want := naiveReplay(t, dir, d1, d1+19)
		require.NotEmpty(t, want)
		require.Equal(t, want, got, "seed %d", seed)
	}
}

func TestReplaySummaryGolden(t *testing.T) {
	dir := replayFixture(t, 1)
	svg := filepath.Join(t.TempDir(), "sizes.svg")
	out, stderr, code := runCLI(t, "replay", "--summary", "--svg", svg, "--defs", filepath.Join(dir, "defs.json"),
		"--customers", filepath.Join(dir, "customers.jsonl"), "--events", filepath.Join(dir, "events.jsonl"),
		"--from", "2026-10-01", "--to", "2026-10-03")
	require.Equal(t, 0, code, stderr)
	golden(t, "replay_summary", out)
	data, err := os.ReadFile(svg)
	require.NoError(t, err)
	golden(t, "replay_sizes.svg", string(data))
	_, stderr, code = runCLI(t, "replay", "--defs", filepath.Join(dir, "defs.json"),
		"--customers", filepath.Join(dir, "customers.jsonl"), "--events", filepath.Join(dir, "events.jsonl"),
		"--from", "2026-10-03", "--to", "2026-10-01")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "before --from")
}
