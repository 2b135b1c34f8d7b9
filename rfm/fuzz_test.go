package rfm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
)

// FuzzLoadScheme: any input yields a scheme or an error, never a panic; a
// scheme that loads survives a JSON round trip unchanged and assigns every
// cell.
func FuzzLoadScheme(f *testing.F) {
	f.Add(`{"name":"x","rules":[{"name":"a","r":[5,5]}]}`)
	f.Add(`{"name":"x","bins":2,"rules":[{"name":"a","pattern":"[12]2*"},{"name":"b","cells":["111"]}]}`)
	f.Add(`{"name":"x","bins":9,"default":"d","rules":[{"name":"a","f":3},{"name":"a","alias":"甲","m":[1,9]}]}`)
	f.Add(`{"rules":[{"name":"a","pattern":"5[4-5"}]}`)
	f.Fuzz(func(t *testing.T, src string) {
		s, err := LoadScheme(strings.NewReader(src))
		if err != nil {
			if s != nil {
				t.Fatal("scheme and error")
			}
			return
		}
		checkSchemeTotal(t, s)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		s2, err := LoadScheme(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("reload %s: %v", b, err)
		}
		for i := range s.table {
			if s.names[s.table[i]] != s2.names[s2.table[i]] {
				t.Fatalf("round trip changed cell %s", cellScore(i, s.bins))
			}
		}
	})
}

// FuzzLoadCellMap: any CSV yields a scheme or an error; a scheme that loads
// survives WriteCellMap and LoadCellMap unchanged.
func FuzzLoadCellMap(f *testing.F) {
	f.Add("rfm_cell,segment\n555,Top\n111,Gone\n", 0)
	f.Add("segment,cell,alias\nTop,222,最佳\nLow,111,\n", 2)
	f.Add("rfm_cell,segment\n555,a\n555,b\n", 5)
	f.Add("score,name\n\"9\"\"99\",x\n", 9)
	// the published 11-segment map, read from ../shared/data (never copied here)
	if data, err := os.ReadFile(filepath.Join("..", "..", "shared", "data", "rfm11_cells.csv")); err == nil {
		f.Add(string(data), 5)
	}
	f.Fuzz(func(t *testing.T, src string, bins int) {
		s, err := LoadCellMap(strings.NewReader(src), "fuzz", bins)
		if err != nil {
			if s != nil {
				t.Fatal("scheme and error")
			}
			return
		}
		checkSchemeTotal(t, s)
		var b bytes.Buffer
		if err := s.WriteCellMap(&b); err != nil {
			t.Fatal(err)
		}
		s2, err := LoadCellMap(&b, "fuzz", s.Bins())
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		for i := range s.table {
			if s.names[s.table[i]] != s2.names[s2.table[i]] {
				t.Fatalf("round trip changed cell %s", cellScore(i, s.bins))
			}
		}
	})
}

func checkSchemeTotal(t *testing.T, s *Scheme) {
	t.Helper()
	n := uint8(s.Bins())
	for r := uint8(1); r <= n; r++ {
		for fr := uint8(1); fr <= n; fr++ {
			for m := uint8(1); m <= n; m++ {
				if name, ok := s.Assign(Score{r, fr, m}); !ok || name == "" {
					t.Fatalf("cell %d%d%d unassigned", r, fr, m)
				}
			}
		}
	}
	if _, ok := s.Assign(Score{n + 1, 1, 1}); ok {
		t.Fatal("score beyond bins assigned")
	}
}

// FuzzParseScore: ParseScore and String are inverses on valid scores.
func FuzzParseScore(f *testing.F) {
	for _, s := range []string{"343", "555", "111", "999", "0", "1234", "x12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScore(s)
		if err != nil {
			return
		}
		if !sc.IsValid() || sc.String() != s {
			t.Fatalf("ParseScore(%q) = %v", s, sc)
		}
	})
}

// FuzzAnalyze decodes bytes into transactions (customer, day offset, amount
// bits) and config knobs: Analyze never panics, and on success every score is
// within its bins and every customer's metrics are consistent.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, uint8(0), uint8(5))
	f.Add(bytes.Repeat([]byte{7, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 1}, 5), uint8(1), uint8(3)) // NaN amounts
	f.Add(bytes.Repeat([]byte{1, 2, 0, 0, 0, 0, 0, 0x24, 0x40, 9, 200}, 20), uint8(2), uint8(9))
	f.Fuzz(func(t *testing.T, data []byte, binning, bins uint8) {
		now := time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)
		var txns []segkit.Transaction
		for len(data) >= 11 {
			cust := string(rune('a' + data[0]%16))
			dayOff := int(int8(data[1]))
			amt := math.Float64frombits(binary.LittleEndian.Uint64(data[2:10]))
			txns = append(txns, segkit.Transaction{Customer: cust, At: now.AddDate(0, 0, -dayOff), Amount: amt})
			data = data[11:]
		}
		cfg := DefaultConfig()
		cfg.Binning = Binning(binning % 7) // 6 is invalid on purpose
		cfg.Bins = int(bins % 11)
		cfg.Frequency = FrequencyMode(bins % 2)
		cfg.Monetary = MonetaryMode(binning % 2)
		cfg.Cycles = bins%3 == 0
		cfg.Breakpoints = Breakpoints{R: []float64{7, 30}, F: []float64{2}, M: []float64{0, 50, 1e6}}
		res, err := Analyze(sliceSeq(txns), now, cfg)
		if err != nil {
			if res != nil {
				t.Fatal("result and error")
			}
			return
		}
		rb, fb, mb := res.Bins()
		for _, c := range res.Customers {
			if c.Score.R < 1 || int(c.Score.R) > rb || c.Score.F < 1 || int(c.Score.F) > fb || c.Score.M < 1 || int(c.Score.M) > mb {
				t.Fatalf("score %v outside bins %d/%d/%d", c.Score, rb, fb, mb)
			}
			if c.Recency < 0 || c.Tenure < c.Recency || c.Orders < 1 || c.Frequency < 1 || c.Frequency > c.Orders {
				t.Fatalf("inconsistent metrics %+v", c)
			}
		}
		for _, name := range PresetNames() {
			s, _ := Preset(name)
			if a, err := res.Segment(s); err == nil {
				_ = a.Summary().String()
			}
		}
		_ = res.Grid()
		if _, err := res.Value(ValueConfig{Method: ValueABC}); err != nil && !strings.Contains(err.Error(), "positive finite total") {
			t.Fatal(err)
		}
		if _, err := res.Value(ValueConfig{}); err != nil {
			t.Fatal(err)
		}
		if l, err := res.Loyalty(LoyaltyConfig{}); err == nil {
			for i := range res.Customers {
				l.Next(i)
			}
		} else if cfg.Cycles {
			t.Fatal(err)
		}
	})
}
