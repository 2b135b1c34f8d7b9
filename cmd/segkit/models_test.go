package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rfm --from reports the A–E transitions (prospects from --customers) and
// --exclude says what it removed.
func TestRFMGroupsAndExclude(t *testing.T) {
	dir := t.TempDir()
	tx := filepath.Join(dir, "tx.csv")
	require.NoError(t, os.WriteFile(tx, []byte(`customer_id,date,amount
ann,2026-01-05,500
ann,2026-02-05,500
ann,2026-08-05,400
bob,2026-03-01,20
bob,2026-09-01,30
bob,2026-10-01,25
cat,2026-04-01,900
eve,2026-09-01,60
eve,2026-11-11,999
`), 0o644))
	cu := filepath.Join(dir, "customers.jsonl")
	require.NoError(t, os.WriteFile(cu, []byte(`{"id":"ann"}
{"id":"bob"}
{"id":"cat"}
{"id":"eve"}
{"id":"fay"}
`), 0o644))
	svg := filepath.Join(dir, "ae.svg")
	out, errOut, code := runCLI(t, "rfm", "--transactions", tx, "--now", "2026-12-31", "--from", "2026-06-30",
		"--customers", cu, "--exclude", "双十一=2026-11-01..2026-11-11", "--svg", svg)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "segkit rfm: excluded 双十一 (2026-11-01..2026-11-11): 1 transactions removed\n", errOut)
	golden(t, "rfm_ae_transitions", out)
	b, err := os.ReadFile(svg)
	require.NoError(t, err)
	require.Contains(t, string(b), "<svg")

	_, errOut, code = runCLI(t, "rfm", "--transactions", tx, "--now", "2026-12-31", "--exclude", "2026-11-11..2026-11-01")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "ends before it starts")

	out, errOut, code = runCLI(t, "rfm", "--transactions", tx, "--now", "2026-12-31", "--exclude", "2026-11-01..2026-11-11", "--format", "summary")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "excluded 2026-11-01..2026-11-11: 1 transactions removed")
	require.NotEmpty(t, out)
}

// credit scores customers from their attributes and events, and fits the
// points from an outcome attribute.
func TestCredit(t *testing.T) {
	dir := t.TempDir()
	cu := filepath.Join(dir, "customers.jsonl")
	var b strings.Builder
	for i := range 400 {
		verified := i%3 != 0
		bad := (i%3 == 0 && i%4 == 0) || i%17 == 0
		fmt.Fprintf(&b, `{"id":"c%03d","attrs":{"verified":%t,"signup_at":"2024-%02d-01","defaulted":%t}}`+"\n", i, verified, 1+i%12, bad)
	}
	require.NoError(t, os.WriteFile(cu, []byte(b.String()), 0o644))
	ev := filepath.Join(dir, "events.jsonl")
	b.Reset()
	for i := range 400 {
		for k := range i % 5 {
			fmt.Fprintf(&b, `{"id":"c%03d","event":"late_payment","at":"2026-%02d-10"}`+"\n", i, 1+k)
		}
	}
	require.NoError(t, os.WriteFile(ev, []byte(b.String()), 0o644))
	sc := filepath.Join("..", "..", "credit", "testdata", "retail.json")
	out, errOut, code := runCLI(t, "credit", "--scorecard", sc, "--customers", cu, "--events", ev, "--joined", "signup_at", "--now", "2026-12-01", "--format", "summary")
	require.Equal(t, 0, code, errOut)
	golden(t, "credit_summary", out)

	out, errOut, code = runCLI(t, "credit", "--scorecard", sc, "--customers", cu, "--events", ev, "--joined", "signup_at", "--now", "2026-12-01")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "customer_id,score,band,restrictions,reasons\n")
	require.Contains(t, out, "c004,")

	fitted := filepath.Join(dir, "fitted.json")
	out, errOut, code = runCLI(t, "credit", "--scorecard", sc, "--customers", cu, "--events", ev, "--joined", "signup_at", "--now", "2026-12-01",
		"--fit", fitted, "--outcome", "defaulted")
	require.Equal(t, 0, code, errOut)
	golden(t, "credit_fit", out)
	_, errOut, code = runCLI(t, "credit", "--scorecard", fitted, "--customers", cu, "--now", "2026-12-01", "--format", "summary")
	require.Equal(t, 0, code, errOut)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"base":1,"characteristics":[],"bands":[]}`), 0o644))
	_, errOut, code = runCLI(t, "credit", "--scorecard", bad, "--customers", cu, "--now", "2026-12-01")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "bad.json: credit: invalid scorecard: characteristics: at least one characteristic is needed")
}

// lifecycle --events --activity: stages from logins, reasons naming them.
func TestLifecycleFromEvents(t *testing.T) {
	dir := t.TempDir()
	ev := filepath.Join(dir, "events.jsonl")
	require.NoError(t, os.WriteFile(ev, []byte(`{"id":"u1","event":"login","at":"2026-01-05"}
{"id":"u1","event":"login","at":"2026-01-12"}
{"id":"u1","event":"login","at":"2026-01-19"}
{"id":"u1","event":"share","at":"2026-03-01"}
{"id":"u2","event":"login","at":"2026-03-10"}
{"id":"u2","event":"login","at":"2026-03-11"}
`), 0o644))
	out, errOut, code := runCLI(t, "lifecycle", "--events", ev, "--activity", "login", "--now", "2026-03-15")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `customer_id,stage,reason,p_alive,expected_purchases
u1,churned,"no login for 55 days (> 42 days = max(6 × typical gap 7 days, 2 × longest gap 7 days))",,
u2,new,first login 5 days ago (< 30),,
`, out)
	_, errOut, code = runCLI(t, "lifecycle", "--events", ev, "--now", "2026-03-15")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--events and --activity go together")
	_, errOut, code = runCLI(t, "lifecycle", "--events", ev, "--activity", "login", "--model", "bgnbd", "--now", "2026-03-15")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "needs purchases")
}
