package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// segkit runs the command in-process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got, "output differs from %s (run go test -update after checking the change)", path)
}

func sharedData(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("SEGKIT_REQUIRE_DATA") == "1" {
			t.Fatalf("reference data required: %v", err)
		}
		t.Skipf("reference data not present: %v", err)
	}
	return path
}

// population generates a small deterministic population once per test.
func population(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, stderr, code := runCLI(t, "gen", "--out", dir, "--customers", "2000", "--seed", "7", "--end", "2026-07-01")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "customers.jsonl\t2000")
	return dir
}

func TestPipeline(t *testing.T) {
	dir := population(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	snap := p("crm.segkit")

	out, stderr, code := runCLI(t, "index", "build", "--customers", p("customers.jsonl"), "--events", p("events.jsonl"), "--schema", p("schema.json"), "--out", snap)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "2000 customers indexed into "+snap+"\n", out)

	out, _, code = runCLI(t, "index", "stats", "--index", snap)
	require.Equal(t, 0, code)
	golden(t, "stats", out[:strings.Index(out, "memory")])

	rule := `has("undergrad") && age in 18..24 && !didWithin("purchase","30d")`
	fromFiles, _, code := runCLI(t, "eval", "--customers", p("customers.jsonl"), "--events", p("events.jsonl"), "--schema", p("schema.json"), "--now", "2026-06-30", "--rule", rule)
	require.Equal(t, 0, code)
	fromSnap, _, code := runCLI(t, "eval", "--index", snap, "--now", "2026-06-30", "--rule", rule)
	require.Equal(t, 0, code)
	assert.Equal(t, fromFiles, fromSnap, "a snapshot answers like the files it was built from")
	ids := strings.Fields(fromSnap)
	require.NotEmpty(t, ids)
	assert.IsNonDecreasing(t, ids, "ids are printed in byte order")

	count, stderr, code := runCLI(t, "eval", "--index", snap, "--now", "2026-06-30", "--rule", rule, "--format", "count", "--explain")
	require.Equal(t, 0, code)
	assert.Equal(t, len(ids), atoi(t, strings.TrimSpace(count)))
	golden(t, "explain", stderr)

	js, _, code := runCLI(t, "eval", "--index", snap, "--now", "2026-06-30", "--rule", rule, "--format", "json")
	require.Equal(t, 0, code)
	var res struct {
		Count int      `json:"count"`
		IDs   []string `json:"ids"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &res))
	assert.Equal(t, ids, res.IDs)
	assert.Equal(t, len(ids), res.Count)

	defs := p("segments.json")
	require.NoError(t, os.WriteFile(defs, []byte(`[
 {"name":"students","rule":"has(\"undergrad\")"},
 {"name":"recall","rule":"inSegment(\"students\") && !didWithin(\"login\",\"30d\")","description":"30 days without login"},
 {"name":"mothers","rule":"has(\"mother\")"},
 {"name":"buyers","rule":"did(\"purchase\")"}]`), 0o644))
	out, stderr, code = runCLI(t, "segments", "--defs", defs, "--index", snap, "--now", "2026-06-30", "--svg", p("sizes.svg"))
	require.Equal(t, 0, code, stderr)
	golden(t, "segments", out)
	svg, err := os.ReadFile(p("sizes.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), `data-label="students" data-value="`)
	golden(t, "sizes.svg", string(svg))

	out, stderr, code = runCLI(t, "split", "--index", snap, "--now", "2026-06-30", "--rule", `has("mother")`, "--groups", "A=0.45,B=0.45,holdout=0.1", "--salt", "side-income", "--format", "count")
	require.Equal(t, 0, code, stderr)
	golden(t, "split", out)

	program := p("program.json")
	require.NoError(t, os.WriteFile(program, []byte(`{"name": "Shop Club", "window": {"kind": "rolling", "months": 12},
  "downgrade": {"policy": "period_end", "max_drop": 1}, "review": {"months": 3}, "points": {"per_unit": 1, "expiry_days": 365},
  "levels": [{"name": "Member"},
    {"name": "Silver", "entry": {"any": [{"metric": "spend", "min": 300}, {"metric": "orders", "min": 5}]}},
    {"name": "Gold", "entry": {"all": [{"metric": "spend", "min": 1000}, {"metric": "orders", "min": 8}]}}]}`), 0o644))
	out, stderr, code = runCLI(t, "tier", "--program", program, "--transactions", p("transactions.csv"), "--now", "2026-06-30", "--format", "summary", "--svg", p("tiers.svg"))
	require.Equal(t, 0, code, stderr)
	golden(t, "tier", out)
	rows, _, code := runCLI(t, "tier", "--program", program, "--transactions", p("transactions.csv"), "--now", "2026-06-30")
	require.Equal(t, 0, code)
	gold := ""
	for _, line := range strings.Split(rows, "\n") {
		if strings.Contains(line, ",Gold,") {
			gold = strings.Split(line, ",")[0]
			break
		}
	}
	require.NotEmpty(t, gold, "the population has Gold members")
	out, stderr, code = runCLI(t, "tier", "--program", program, "--transactions", p("transactions.csv"), "--now", "2026-06-30", "--customer", gold)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "customer "+gold+" · Shop Club · as of 2026-06-30")
	assert.Contains(t, out, "Gold")
	assert.Contains(t, out, "progress as of 2026-06-30: Gold")

	personas := p("personas.json")
	require.NoError(t, os.WriteFile(personas, []byte(`{"personas": [
  {"name": "大学生", "min_score": 2, "conditions": [{"rule": "has(\"undergrad\")", "weight": 2}, {"rule": "age in 18..24", "weight": 1}]},
  {"name": "宝妈", "min_score": 2, "conditions": [{"rule": "has(\"mother\")", "weight": 2}, {"rule": "gender == \"F\" && age in 25..38", "weight": 1}]},
  {"name": "上班族", "min_score": 2, "conditions": [{"rule": "has(\"office_worker\")", "weight": 2}, {"rule": "has(\"side_income\")", "weight": 0.5}]}]}`), 0o644))
	out, stderr, code = runCLI(t, "persona", "--defs", personas, "--index", snap, "--now", "2026-06-30", "--svg", p("personas.svg"))
	require.Equal(t, 0, code, stderr)
	golden(t, "persona", out)
	golden(t, "personas.svg", readFile(t, p("personas.svg")))
	golden(t, "tiers.svg", readFile(t, p("tiers.svg")))
	csvOut, stderr, code := runCLI(t, "persona", "--defs", personas, "--index", snap, "--now", "2026-06-30", "--format", "csv", "--top", "2")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(csvOut, "customer_id,persona,rank,score\n"))
	students, _, _ := runCLI(t, "eval", "--index", snap, "--now", "2026-06-30", "--format", "count", "--rule", `has("undergrad") && age in 18..24`)
	best := strings.Count(csvOut, ",大学生,1,3\n")
	assert.Equal(t, strings.TrimSpace(students), strconv.Itoa(best), "score 3 as best persona = both conditions")

	out, stderr, code = runCLI(t, "lifecycle", "--transactions", p("transactions.csv"), "--now", "2026-06-30", "--from", "2026-03-31", "--format", "summary",
		"--svg", p("stages.svg"), "--svg-transitions", p("transitions.svg"))
	require.Equal(t, 0, code, stderr)
	golden(t, "lifecycle", out)
	golden(t, "stages.svg", readFile(t, p("stages.svg")))
	golden(t, "transitions.svg", readFile(t, p("transitions.svg")))
	for _, f := range []string{"sizes.svg", "personas.svg", "tiers.svg", "stages.svg", "transitions.svg"} {
		fi, err := os.Stat(p(f))
		require.NoError(t, err)
		assert.Zero(t, fi.Mode().Perm()&^0o644, "%s: mode %v", f, fi.Mode())
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	require.NoError(t, json.Unmarshal([]byte(s), &n), s)
	return n
}

func TestRFMReproducesR(t *testing.T) {
	orders := sharedData(t, "rfm_data_orders.csv")
	out, stderr, code := runCLI(t, "rfm", "--transactions", orders, "--columns", "id=customer_id,time=order_date,amount=revenue",
		"--now", "2006-12-31", "--binning", "rcompat", "--scheme", "rfm10", "--format", "summary")
	require.Equal(t, 0, code, stderr)
	golden(t, "rfm_summary", out)
	for _, want := range []string{
		"Champions                  35    3.5%     316   31,646",
		"Potential Loyalist        342   34.4%   2,211  204,856",
		"Lost                      148   14.9%     393   35,324",
	} {
		assert.Contains(t, out, want)
	}
	csvOut, _, code := runCLI(t, "rfm", "--transactions", orders, "--columns", "id=customer_id,time=order_date,amount=revenue", "--now", "2006-12-31", "--binning", "rcompat")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	assert.Equal(t, "customer_id,recency_days,frequency,monetary,r,f,m,score,segment", lines[0])
	assert.Len(t, lines, 996)
	// the first customer's row: its aggregates computed here from the
	// orders, its scores as R's rfm package gives them
	first := strings.SplitN(lines[1], ",", 2)[0]
	var last time.Time
	n, sum := 0, 0
	for i, rec := range readCSV(t, readFile(t, orders)) {
		if i == 0 || rec[0] != first {
			continue
		}
		at, err := time.Parse(time.DateOnly, rec[1])
		require.NoError(t, err)
		amount, err := strconv.Atoi(rec[2])
		require.NoError(t, err)
		if at.After(last) {
			last = at
		}
		n, sum = n+1, sum+amount
	}
	require.Positive(t, n, first)
	days := int(time.Date(2006, 12, 31, 0, 0, 0, 0, time.UTC).Sub(last).Hours() / 24)
	assert.Equal(t, fmt.Sprintf("%s,%d,%d,%d,3,4,3,343,Potential Loyalist", first, days, n, sum), lines[1])

	// The R × F heatmap shows, in every cell, the customers with that R and F.
	svg := filepath.Join(t.TempDir(), "rf.svg")
	_, stderr, code = runCLI(t, "rfm", "--transactions", orders, "--columns", "id=customer_id,time=order_date,amount=revenue",
		"--now", "2006-12-31", "--binning", "rcompat", "--format", "summary", "--svg", svg)
	require.Equal(t, 0, code, stderr)
	want := map[string]int{}
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		want[f[len(f)-5]+"/"+f[len(f)-4]]++ // r/f
	}
	data, err := os.ReadFile(svg)
	require.NoError(t, err)
	golden(t, "rf.svg", string(data))
	got := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			a := map[string]string{}
			for _, at := range se.Attr {
				a[at.Name.Local] = at.Value
			}
			if a["class"] == "cell" {
				got[a["data-row"]+"/"+a["data-col"]] = atoi(t, a["data-value"])
			}
		}
	}
	require.Len(t, got, 25)
	for cell, n := range got {
		assert.Equal(t, want[cell], n, "cell R/F %s", cell)
	}
}

func TestFitReproducesPublished(t *testing.T) {
	summary := sharedData(t, "cdnow_summary.csv")
	out, stderr, code := runCLI(t, "fit", "bgnbd", "--summary", summary)
	require.Equal(t, 0, code, stderr)
	var fit struct {
		Model  string             `json:"model"`
		N      int                `json:"n"`
		Params map[string]float64 `json:"params"`
		LogLik float64            `json:"loglik"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &fit))
	assert.Equal(t, "bgnbd", fit.Model)
	assert.Equal(t, 2357, fit.N)
	assert.InDelta(t, 0.243, fit.Params["r"], 0.005)
	assert.InDelta(t, 4.414, fit.Params["alpha"], 0.005)
	assert.InDelta(t, 0.793, fit.Params["a"], 0.005)
	assert.InDelta(t, 2.426, fit.Params["b"], 0.005)
	assert.InDelta(t, -9582.4, fit.LogLik, 0.1)

	monetary := sharedData(t, "cdnow_summary_with_monetary.csv")
	out, stderr, code = runCLI(t, "fit", "gammagamma", "--summary", monetary, "--columns", "frequency=x,recency=t_x,monetary=zbar")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &fit))
	assert.Equal(t, 946, fit.N)
	assert.InDelta(t, 6.25, fit.Params["p"], 0.01)
	assert.InDelta(t, 3.74, fit.Params["q"], 0.01)
	assert.InDelta(t, 15.44, fit.Params["gamma"], 0.01)
}

func TestErrorsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "customers.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\"id\":\"a\",\"attrs\":{\"age\":3}}\n{\"id\":\"b\",\"attrs\":{\"age\":\"old\"}}\n"), 0o644))
	badTx := filepath.Join(dir, "tx.csv")
	require.NoError(t, os.WriteFile(badTx, []byte("customer_id,date,amount\na,2026-01-01,3\nb,2026-01-02,abc\n"), 0o644))
	prog := filepath.Join(dir, "program.json")
	require.NoError(t, os.WriteFile(prog, []byte(`{"window": {"kind": "calendar_year"}, "levels": [{"name": "Member"},
  {"name": "Silver", "entry": {"any": [{"metric": "nights", "min": 10}]}}]}`), 0o644))
	goodTx := filepath.Join(dir, "good.csv")
	require.NoError(t, os.WriteFile(goodTx, []byte("customer_id,date,amount\na,2026-01-01,3\n"), 0o644))
	badActs := filepath.Join(dir, "acts.csv")
	require.NoError(t, os.WriteFile(badActs, []byte("customer_id,date,metric,value\na,2026-01-01,nights,2\nb,\"2026-01-02,nights,1\n"), 0o644))
	absurdTx := filepath.Join(dir, "absurd.csv")
	require.NoError(t, os.WriteFile(absurdTx, []byte("customer_id,date,amount\na,2026-01-01,3\nb,0001-01-01,4\n"), 0o644))
	badSegs := filepath.Join(dir, "segments.json")
	require.NoError(t, os.WriteFile(badSegs, []byte(`[
  {"name": "a", "rule": "age > \"old\""},
  {"name": "b"},
  {"name": "c", "rule": "has(\"x\")", "colour": "red"}
]`), 0o644))
	badRules := filepath.Join(dir, "rules.json")
	require.NoError(t, os.WriteFile(badRules, []byte(`[
  {"name": "a", "rule": "age > \"old\""},
  {"name": "b", "rule": "nosuch(1)"}
]`), 0o644))
	longRule := "age > 3 && " + strings.Repeat(`has("x") && `, 3000) + `nosuch(1)`
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"segkit index alone lists its subcommands", []string{"index"}, 2},
		{"a placeholder date in transactions names file and line", []string{"tier", "--program", prog, "--transactions", absurdTx, "--now", "2026-06-30"}, 1},
		{"a placeholder date in rfm names file and line", []string{"rfm", "--transactions", absurdTx, "--now", "2026-06-30"}, 1},
		{"every problem of a segments file", []string{"segments", "--defs", badSegs, "--customers", goodCustomers(t, dir), "--now", "2026-06-30"}, 2},
		{"every rule error of a segments file", []string{"segments", "--defs", badRules, "--customers", goodCustomers(t, dir), "--now", "2026-06-30"}, 2},
		{"a long rule's error shows the neighbourhood", []string{"eval", "--customers", goodCustomers(t, dir), "--now", "2026-06-30", "--rule", longRule, "--rule-limits", "nodes=100000,depth=100000"}, 2},
		{"rule limits are enforced", []string{"eval", "--customers", goodCustomers(t, dir), "--now", "2026-06-30", "--rule", strings.Repeat(`has("x") && `, 200) + `has("y")`}, 2},
		{"bad rule limits", []string{"eval", "--rule-limits", "nodes=lots"}, 2},
		{"bad --now", []string{"eval", "--now", "yesterday"}, 2},
		{"malformed activities CSV names the line", []string{"tier", "--program", prog, "--transactions", goodTx, "--activities", badActs, "--now", "2026-06-30"}, 1},
		{"rule error shows line:column and caret", []string{"eval", "--customers", goodCustomers(t, dir), "--now", "2026-06-30", "--rule", "has(\"x\") &&\n  age > 3 || nosuch(1)"}, 2},
		{"every problem against the data's schema", []string{"eval", "--customers", goodCustomers(t, dir), "--now", "2026-06-30", "--rule", "age > \"old\" ||\n  city in [1, 2] || didWithin(\"login\", \"3x\")"}, 2},
		{"missing now", []string{"eval", "--customers", bad, "--rule", `has("x")`}, 2},
		{"data error names file and line", []string{"eval", "--customers", bad, "--now", "2026-06-30", "--rule", `has("x")`}, 1},
		{"transactions error names line and field", []string{"rfm", "--transactions", badTx, "--now", "2026-06-30"}, 1},
		{"unknown command", []string{"frobnicate"}, 2},
		{"unknown flag", []string{"eval", "--nope"}, 2},
		{"bad groups", []string{"split", "--customers", bad, "--now", "2026-06-30", "--rule", `has("x")`, "--groups", "A=0.5,B=0.6", "--salt", "s"}, 2},
		{"unknown scheme", []string{"rfm", "--transactions", badTx, "--now", "2026-06-30", "--scheme", "rfm12"}, 2},
	}
	var all strings.Builder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, "stdout %q stderr %q", out, stderr)
			assert.Empty(t, out)
			all.WriteString("## " + tc.name + "\n" + strings.ReplaceAll(stderr, dir, "$DIR") + "\n")
		})
	}
	golden(t, "errors", all.String())
}

func TestWarningsAndLimits(t *testing.T) {
	dir := t.TempDir()
	cust := goodCustomers(t, dir)
	out, stderr, code := runCLI(t, "eval", "--customers", cust, "--now", "2026-06-30", "--rule", `has("nosuchtag")`, "--format", "count")
	assert.Equal(t, 0, code)
	assert.Equal(t, "0\n", out)
	assert.Contains(t, stderr, `segkit eval: warning: 1:5: unknown tag "nosuchtag": no customer has it`)
	_, stderr, _ = runCLI(t, "split", "--customers", cust, "--now", "2026-06-30", "--rule", `has("nosuchtag")`, "--groups", "A=0.5,B=0.5", "--salt", "s", "--format", "count")
	assert.Contains(t, stderr, `segkit split: warning: 1:5: unknown tag "nosuchtag": no customer has it`)
	segs := filepath.Join(dir, "s.json")
	require.NoError(t, os.WriteFile(segs, []byte(`[{"name":"x","rule":"has(\"nosuchtag\")"}]`), 0o644))
	_, stderr, code = runCLI(t, "segments", "--defs", segs, "--customers", cust, "--now", "2026-06-30")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, `segkit segments: warning: `+segs+`:1: segment "x": 1:5: unknown tag "nosuchtag": no customer has it`)
	pers := filepath.Join(dir, "p.json")
	require.NoError(t, os.WriteFile(pers, []byte(`[{"name":"x","min_score":1,"conditions":[{"rule":"has(\"nosuchtag\")","weight":1}]}]`), 0o644))
	_, stderr, code = runCLI(t, "persona", "--defs", pers, "--customers", cust, "--now", "2026-06-30")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, `segkit persona: warning: `+pers+`: persona "x", condition 1: 1:5: unknown tag "nosuchtag": no customer has it`)

	// A rule longer than 64 KiB is refused before it is read, unless the
	// limit is raised.
	huge := strings.Repeat(" ", 70_000) + `has("x")`
	_, stderr, code = runCLI(t, "eval", "--customers", cust, "--now", "2026-06-30", "--rule", huge, "--format", "count")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "65536")
	out, stderr, code = runCLI(t, "eval", "--customers", cust, "--now", "2026-06-30", "--rule", huge, "--format", "count", "--rule-limits", "bytes=100000")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "0\n", out)

	// A rule over the default node limit compiles with --rule-limits.
	long := strings.Repeat(`has("x") || `, 200) + `age > 1`
	out, stderr, code = runCLI(t, "eval", "--customers", cust, "--now", "2026-06-30", "--rule", long, "--format", "count", "--rule-limits", "nodes=2000")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "1\n", out)
}

func goodCustomers(t *testing.T, dir string) string {
	path := filepath.Join(dir, "good.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"id":"a","attrs":{"age":3,"city":"Beijing"}}`+"\n"), 0o644))
	return path
}

func TestHelp(t *testing.T) {
	out, _, code := runCLI(t, "help")
	assert.Equal(t, 0, code)
	golden(t, "help", out)
	for _, d := range allDocs() {
		out, _, code := runCLI(t, append(strings.Fields(d.name), "--help")...)
		assert.Equal(t, 0, code, d.name)
		assert.Contains(t, out, "example:\n  segkit "+d.name, "every command has an example: %s", d.name)
		assert.Contains(t, out, "docs/formats.md", "every command's help links the file formats: %s", d.name)
	}
}
