package main

import (
	"encoding/json"
	"fmt"
	"math"
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

func TestDesignCommand(t *testing.T) {
	out, stderr, code := runCLI(t, "design", "--baseline", "0.10", "--mde", "0.02")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "control 3841\ntreatment 3841\ntotal 7682\n")
	out, stderr, code = runCLI(t, "design", "--baseline", "0.05", "--mde", "0.05", "--continuity")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "control 474\n") // Fleiss, Levin & Paik, Table A.4
	out, stderr, code = runCLI(t, "design", "--baseline", "0.10", "--size", "7682")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "detect an increase of +2.00 points")
	_, _, code = runCLI(t, "design", "--baseline", "0.10")
	assert.Equal(t, 2, code)
	_, _, code = runCLI(t, "design", "--baseline", "1.5", "--mde", "0.1")
	assert.Equal(t, 2, code)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestMeasureCommand(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,group,clicked,converted,revenue\n")
	for i := range 3000 {
		g := []string{"holdout", "A", "B"}[i%3]
		clicked := i%5 == 0 || (g == "A" && i%7 == 0)
		converted := clicked && i%2 == 0
		rev := 0.0
		if converted {
			rev = float64(50 + i%40)
		}
		fmt.Fprintf(&b, "c%d,%s,%v,%d,%.2f\n", i, g, clicked, map[bool]int{true: 1}[converted], rev)
	}
	path := writeFile(t, "outcomes.csv", b.String())
	out, stderr, code := runCLI(t, "measure", "--outcomes", path, "--control", "holdout", "--metrics", "clicked:rate,converted:rate,revenue:mean")
	require.Equal(t, 0, code, stderr)
	golden(t, "measure", out)

	bad := writeFile(t, "bad.csv", "customer_id,group,clicked\nc1,A,1\nc2,A,maybe\n")
	_, stderr, code = runCLI(t, "measure", "--outcomes", bad, "--control", "A", "--metrics", "clicked:rate")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "bad.csv:3: column clicked")
	_, stderr, code = runCLI(t, "measure", "--outcomes", bad, "--control", "A", "--metrics", "revenue:mean")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no column "revenue"`)
	_, _, code = runCLI(t, "measure", "--outcomes", bad, "--control", "A", "--metrics", "clicked:median")
	assert.Equal(t, 2, code)
}

func TestRespondersCommand(t *testing.T) {
	dir := population(t)
	// students converted at 30%, the others at 5%: outcomes for every
	// customer, keyed like the population
	ids, stderr, code := runCLI(t, "eval", "--customers", filepath.Join(dir, "customers.jsonl"), "--schema", filepath.Join(dir, "schema.json"),
		"--now", "2026-06-30", "--rule", `occupation == "student"`)
	require.Equal(t, 0, code, stderr)
	students := map[string]bool{}
	for _, k := range strings.Fields(ids) {
		students[k] = true
	}
	all, stderr, code := runCLI(t, "eval", "--customers", filepath.Join(dir, "customers.jsonl"), "--schema", filepath.Join(dir, "schema.json"),
		"--now", "2026-06-30", "--rule", `!has("no-such-tag")`)
	require.Equal(t, 0, code, stderr)
	var b strings.Builder
	b.WriteString("customer_id,group,converted\n")
	for i, k := range strings.Fields(all) {
		conv := (students[k] && i%10 < 3) || i%20 == 0
		fmt.Fprintf(&b, "%s,A,%v\n", k, conv)
	}
	path := writeFile(t, "outcomes.csv", b.String())
	out, stderr, code := runCLI(t, "responders", "--customers", filepath.Join(dir, "customers.jsonl"), "--schema", filepath.Join(dir, "schema.json"),
		"--outcomes", path, "--campaign", "2026-06-10..2026-06-20", "--exclude", "618=2026-06-01..2026-06-18", "--skip", "spend,vip", "--top", "5")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "warning: the campaign (campaign 2026-06-10..2026-06-20) overlaps the excluded period 618")
	assert.Contains(t, out, "Benjamini–Hochberg")
	assert.Regexp(t, `(?m)^occupation student `, out)
	_, _, code = runCLI(t, "responders", "--customers", filepath.Join(dir, "customers.jsonl"), "--outcomes", path, "--campaign", "2026-06-20..2026-06-10")
	assert.Equal(t, 2, code)
}

// FuzzReadOutcomes: any bytes give outcomes or an error naming the file,
// never a panic; values read are finite and rates 0 or 1.
func FuzzReadOutcomes(f *testing.F) {
	f.Add([]byte("customer_id,group,converted,revenue\nc1,A,1,20.5\nc2,holdout,no,0\n"))
	f.Add([]byte("\ufeffcustomer_id,group,converted,revenue\n\"c,1\",A,true,\n"))
	f.Add([]byte("group,customer_id\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readOutcomes("f.csv", strings.NewReader(string(data)), []string{"converted", "revenue"}, []bool{true, false})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.key == "" || (r.values[0] != 0 && r.values[0] != 1) || math.IsNaN(r.values[1]) || math.IsInf(r.values[1], 0) {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}
