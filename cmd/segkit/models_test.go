package main

import (
	"os"
	"path/filepath"
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
