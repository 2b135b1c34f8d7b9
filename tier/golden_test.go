package tier_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got, "golden file %s differs (run go test -update after checking the change)", path)
}

func TestGoldenHotelAudit(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	tl, err := e.ReplayDay(richHotelHistory(), day("2029-06-30"))
	require.NoError(t, err)
	golden(t, "hotel_audit.txt", tl.String())
}

func TestGoldenRetailAudit(t *testing.T) {
	e := loadEngine(t, "testdata/retail.json")
	h := tier.History{Customer: "R-77", Joined: at("2025-01-05"),
		Transactions: []segkit.Transaction{
			buy("2025-01-20", 1800, "A1"), buy("2025-03-02", 900, "A2"), buy("2025-05-18", 2400, "A3"),
			buy("2025-06-01", -400, "A3"), buy("2025-08-09", 3100, "A4"), buy("2025-09-30", 650, "A5"),
			buy("2025-11-11", 1200, "A6"), buy("2025-12-02", 700, "A7"), buy("2025-12-20", -1200, "A6"),
			buy("2026-02-14", 500, "A8"), buy("2026-07-01", -250, ""),
		},
		Activities: []tier.Activity{{At: at("2025-10-03"), Metric: "nights", Value: 3, Ref: "H-881"}},
		Points: []tier.PointEvent{
			{At: at("2025-10-01"), Kind: tier.Redeem, Points: 3000, Note: "voucher"},
			{At: at("2026-01-15"), Kind: tier.Earn, Points: 200, Note: "birthday"},
		},
		Overrides: []tier.Override{{At: at("2026-04-01"), Level: 3, Until: at("2026-04-30"), Reason: "anniversary campaign"}},
	}
	tl, err := e.ReplayDay(h, day("2027-03-31"))
	require.NoError(t, err)
	golden(t, "retail_audit.txt", tl.String())
}

func TestGoldenProgramErrors(t *testing.T) {
	src := `{
	  "window": {"kind": "rolling", "months": 0},
	  "levels": [
	    {"name": "Member"},
	    {"name": "Silver", "entry": {"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": -4}]}},
	    {"name": "Silver", "entry": {"any": [{"metric": "nights", "min": 8}, {"metric": "stayz", "min": 20}]},
	     "retain": {"metric": "nights", "min": 9}}
	  ]
	}`
	_, err := tier.ParseProgram([]byte(src))
	require.Error(t, err)
	var pe *tier.ProgramError
	require.ErrorAs(t, err, &pe)
	var out string
	for _, p := range pe.Problems {
		out += p.String() + "\n"
	}
	golden(t, "program_errors.txt", out)
}
