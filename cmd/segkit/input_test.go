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

// Whatever package reports a bad value, the command quotes at most ~100
// bytes of it (issue 14: a 50 MB field was echoed whole into stderr).
func TestLongValuesNeverEchoed(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 200_000)
	write := func(name string, v any) string {
		p := filepath.Join(dir, name)
		var data []byte
		if s, ok := v.(string); ok {
			data = []byte(s)
		} else {
			var err error
			data, err = json.Marshal(v)
			require.NoError(t, err)
		}
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	cust := write("c.jsonl", `{"id":"a"}`+"\n")
	tx := filepath.Join("..", "..", "examples", "cli", "transactions.csv")
	for name, args := range map[string][]string{
		"persona name": {"persona", "--defs", write("p.json", map[string]any{"personas": []any{map[string]any{"name": big, "min_score": 1,
			"conditions": []any{map[string]any{"rule": `has("a")`, "weight": 1}}}}}), "--customers", cust, "--now", "2026-01-01"},
		"tier level": {"tier", "--program", write("prog.json", map[string]any{"window": map[string]any{"kind": "rolling", "months": 12},
			"levels": []any{map[string]any{"name": big}}}), "--transactions", tx, "--now", "2026-01-01"},
		"rfm cell map":      {"rfm", "--scheme", write("cells.csv", "rfm_cell,segment\n555,"+big+"\n"+big+",x\n"), "--transactions", tx, "--now", "2026-06-30"},
		"rule tag warning":  {"eval", "--customers", cust, "--now", "2026-01-01", "--rule", `has("` + big + `")`},
		"segment name":      {"segments", "--defs", write("s.json", []any{map[string]any{"name": big, "rule": `has("a")`}}), "--customers", cust, "--now", "2026-01-01"},
		"transaction field": {"rfm", "--transactions", write("t.csv", "customer_id,date,amount\na,2026-01-01,"+big+"\n"), "--now", "2026-06-30"},
		"schema time zone":  {"eval", "--schema", write("schema.json", map[string]any{"time_zone": big}), "--customers", cust, "--now", "2026-01-01", "--rule", `has("a")`},
		"now flag":          {"eval", "--now", big},
	} {
		_, stderr, code := runCLI(t, args...)
		assert.NotZero(t, len(stderr), name)
		assert.Less(t, len(stderr), 2000, "%s: %d bytes of stderr (code %d): %.300s", name, len(stderr), code, stderr)
		if name == "rule tag warning" {
			// rules are at most 64 KiB (segment.Limits.MaxRuleBytes): rejected before the warning
			assert.Contains(t, stderr, "rule is too long (200007 bytes", name)
			continue
		}
		assert.Contains(t, stderr, "(200000 bytes)", name)
	}
}

// Records a model rejects are reported at their file:line, not by their
// position in a sequence (issue 14).
func TestModelErrorsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	tx := filepath.Join(dir, "tx.csv")
	require.NoError(t, os.WriteFile(tx, []byte("customer_id,date,amount\na,2026-01-01,3\n\nb,2026-01-02,1e300\n"), 0o644))
	_, stderr, code := runCLI(t, "tier", "--program", filepath.Join("..", "..", "examples", "cli", "program.json"), "--transactions", tx, "--now", "2026-06-30")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, tx+`:4: customer "b": tier: invalid record: amount 1e+300`)
	acts := filepath.Join(dir, "acts.csv")
	require.NoError(t, os.WriteFile(acts, []byte("customer_id,date,metric,value\na,2026-01-01,nights,2\na,2026-01-02,parking,1\n"), 0o644))
	_, stderr, code = runCLI(t, "tier", "--program", filepath.Join("..", "..", "examples", "cli", "hotel.json"), "--transactions", filepath.Join("..", "..", "examples", "cli", "transactions.csv"),
		"--activities", acts, "--now", "2026-06-30")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, acts+`:3: customer "a": `)
}

// Empty inputs say so.
func TestEmptyInputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o644))
	cust := filepath.Join(dir, "c.jsonl")
	require.NoError(t, os.WriteFile(cust, []byte(`{"id":"a"}`+"\n"), 0o644))
	_, stderr, code := runCLI(t, "eval", "--customers", empty, "--now", "2026-01-01", "--rule", `has("x")`)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, empty+": no customers: the file is empty")
	out, stderr, code := runCLI(t, "eval", "--customers", cust, "--events", empty, "--now", "2026-01-01", "--rule", `has("x")`, "--format", "count")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "0\n", out)
	assert.Contains(t, stderr, empty+" holds no events")
	hdr := filepath.Join(dir, "tx.csv")
	require.NoError(t, os.WriteFile(hdr, []byte("customer_id,date,amount\n"), 0o644))
	_, stderr, code = runCLI(t, "rfm", "--transactions", hdr, "--now", "2026-01-01")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, hdr+": no transactions: the file has only a header")
}
