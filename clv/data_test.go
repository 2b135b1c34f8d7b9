package clv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// openData opens a reference data file from ../../shared/data. It skips the
// test when the file is absent, unless SEGKIT_REQUIRE_DATA=1 (CI), where a
// missing file fails the test.
func openData(t testing.TB, name string) *os.File {
	t.Helper()
	path := dataPath(name)
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("SEGKIT_REQUIRE_DATA") == "1" {
			t.Fatalf("reference data %s is required (SEGKIT_REQUIRE_DATA=1): %v", path, err)
		}
		t.Skipf("reference data %s not available (clone ../shared beside the repository): %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// dataPath is where a reference data file is: ../shared/data beside the
// repository (read there, never copied into it).
func dataPath(name string) string { return filepath.Join("..", "..", "shared", "data", name) }

// addHead adds the first 20 lines of a reference data file to a fuzz
// corpus, when the file is there.
func addHead(f *testing.F, name string) {
	data, err := os.ReadFile(dataPath(name))
	if err != nil {
		return
	}
	lines := strings.SplitAfterN(string(data), "\n", 21)
	f.Add([]byte(strings.Join(lines[:min(len(lines), 20)], "")))
}

// cdnowSummary reads cdnow_summary.csv (ID, frequency, recency, T).
func cdnowSummary(t testing.TB) []Summary {
	t.Helper()
	data, err := ReadSummaryCSV(openData(t, "cdnow_summary.csv"), DefaultSummaryColumns())
	require.NoError(t, err)
	require.Len(t, data, 2357)
	return data
}

// cdnowMonetary reads cdnow_summary_with_monetary.csv (ID, x, t_x, T, zbar).
func cdnowMonetary(t testing.TB) []Summary {
	t.Helper()
	cols := SummaryColumns{ID: "ID", Frequency: "x", Recency: "t_x", T: "T", Monetary: "zbar"}
	data, err := ReadSummaryCSV(openData(t, "cdnow_summary_with_monetary.csv"), cols)
	require.NoError(t, err)
	require.Len(t, data, 2357)
	return data
}
