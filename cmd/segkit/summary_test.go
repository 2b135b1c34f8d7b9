package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segkit/segkit/clv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cdnowCSV writes the CDNOW sample as a transactions CSV, as a shop would
// export it.
func cdnowCSV(t *testing.T) string {
	f, err := os.Open(sharedData(t, "cdnow_sample.txt"))
	require.NoError(t, err)
	defer f.Close()
	txns, err := clv.ReadCDNOW(f)
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("customer_id,date,amount\n")
	for _, tx := range txns {
		fmt.Fprintf(&b, "%s,%s,%s\n", tx.Customer, tx.At.Format("2006-01-02"), strconv.FormatFloat(tx.Amount, 'f', -1, 64))
	}
	path := filepath.Join(t.TempDir(), "cdnow.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// The summary command reproduces the published CDNOW summary from the raw
// transactions, and fit on transactions gives the published BG/NBD fit.
func TestSummaryReproducesPublished(t *testing.T) {
	tx := cdnowCSV(t)
	out, stderr, code := runCLI(t, "summary", "--transactions", tx, "--now", "1997-09-30")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "transactions after 1997-09-30 left out")
	got := readCSV(t, out)
	want := readCSV(t, readFile(t, sharedData(t, "cdnow_summary.csv")))
	require.Equal(t, []string{"ID", "frequency", "recency", "T", "monetary_value"}, got[0])
	require.Len(t, got, len(want))
	byID := map[string][]string{}
	for _, r := range got[1:] {
		byID[r[0]] = r
	}
	for _, w := range want[1:] {
		g, ok := byID[w[0]]
		require.True(t, ok, "customer %s", w[0])
		assert.Equal(t, w[1], g[1], "customer %s frequency", w[0])
		for i := 2; i <= 3; i++ {
			gv, _ := strconv.ParseFloat(g[i], 64)
			wv, _ := strconv.ParseFloat(w[i], 64)
			assert.InDelta(t, wv, math.Round(gv*100)/100, 1e-9, "customer %s column %s", w[0], want[0][i])
		}
	}

	// The summary feeds fit, and fit on the transactions gives the same.
	summary := filepath.Join(t.TempDir(), "summary.csv")
	require.NoError(t, os.WriteFile(summary, []byte(out), 0o644))
	fromSummary, stderr, code := runCLI(t, "fit", "bgnbd", "--summary", summary)
	require.Equal(t, 0, code, stderr)
	fromTx, stderr, code := runCLI(t, "fit", "bgnbd", "--transactions", tx, "--now", "1997-09-30")
	require.Equal(t, 0, code, stderr)
	assert.JSONEq(t, fromSummary, fromTx)
	var fit struct {
		N      int                `json:"n"`
		Params map[string]float64 `json:"params"`
	}
	require.NoError(t, json.Unmarshal([]byte(fromTx), &fit))
	assert.Equal(t, 2357, fit.N)
	assert.InDelta(t, 0.243, fit.Params["r"], 0.005)
	assert.InDelta(t, 4.414, fit.Params["alpha"], 0.005)
	assert.InDelta(t, 0.793, fit.Params["a"], 0.005)
	assert.InDelta(t, 2.426, fit.Params["b"], 0.005)

	_, stderr, code = runCLI(t, "fit", "bgnbd", "--transactions", tx)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--now is required")
	_, _, code = runCLI(t, "fit", "bgnbd", "--transactions", tx, "--summary", summary, "--now", "1997-09-30")
	assert.Equal(t, 2, code)
}

// A hand-computed summary: purchases on the same day are one, refunds are
// left out, T is counted to the inclusive end day.
func TestSummarySmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tx.csv")
	require.NoError(t, os.WriteFile(path, []byte(`customer_id,date,amount
a,2026-01-01,10
a,2026-01-01 18:00:00,5
a,2026-01-08,20
a,2026-01-15,40
a,2026-01-16,-40
b,2026-01-29,9
c,2026-02-10,1
`), 0o644))
	out, stderr, code := runCLI(t, "summary", "--transactions", path, "--now", "2026-01-29", "--unit", "days")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "ID,frequency,recency,T,monetary_value\na,2,14,28,30\nb,0,0,0,0\n", out)
	assert.Contains(t, stderr, "1 refunds (negative amounts) left out")
	assert.Contains(t, stderr, "1 transactions after 2026-01-29 left out")
}

func readFile(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func readCSV(t *testing.T, s string) [][]string {
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	require.NoError(t, err)
	return rows
}
