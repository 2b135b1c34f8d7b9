package retention

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cdnow reads the CDNOW 1/10 sample (../shared/data/cdnow_sample.txt):
// whitespace-separated master_id, sample_id, YYYYMMDD, cds, dollars.
func cdnow(t *testing.T) []segkit.Transaction {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "cdnow_sample.txt")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("SEGKIT_REQUIRE_DATA") != "1" {
		t.Skipf("%s not found (set SEGKIT_REQUIRE_DATA=1 to fail instead)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var txs []segkit.Transaction
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 5 {
			t.Fatalf("%s:%d: %d fields", path, line, len(fs))
		}
		at, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		amount, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		txs = append(txs, segkit.Transaction{Customer: fs[1], At: at, Amount: amount})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return txs
}

// reference is the plain implementation: per customer its first
// purchase's period and the set of periods it bought in; cells counted
// customer by customer. Periods are numbered with the time package alone.
func reference(txs []segkit.Transaction, index func(time.Time) int) map[[2]int]int {
	first := map[string]int{}
	bought := map[string]map[int]bool{}
	for _, t := range txs {
		if t.Amount < 0 {
			continue
		}
		p := index(t.At)
		if f, ok := first[t.Customer]; !ok || p < f {
			first[t.Customer] = p
		}
		if bought[t.Customer] == nil {
			bought[t.Customer] = map[int]bool{}
		}
		bought[t.Customer][p] = true
	}
	cells := map[[2]int]int{} // (cohort, k) → customers; k = 0 is the size
	for c, f := range first {
		cells[[2]int{f, 0}]++
		for p := range bought[c] {
			if p > f {
				cells[[2]int{f, p - f}]++
			}
		}
	}
	return cells
}

func monthIndex(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

func weekIndex(t time.Time) int {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	return int(monday.Sub(time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)).Hours() / 24 / 7)
}

func dayIndex(t time.Time) int {
	return int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// TestCDNOWMatchesReference is monthly repeat-purchase retention of the
// CDNOW sample (and weekly and daily), cell by cell against the plain
// implementation.
func TestCDNOWMatchesReference(t *testing.T) {
	txs := cdnow(t)
	for _, c := range []struct {
		p     Period
		index func(time.Time) int
	}{{Month, monthIndex}, {Week, weekIndex}, {Day, dayIndex}} {
		t.Run(c.p.String(), func(t *testing.T) {
			m, err := FromTransactions(context.Background(), slices.Values(txs), c.p, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			ref := reference(txs, c.index)
			got := map[[2]int]int{}
			customers := 0
			for _, row := range m.Cohorts {
				ci := c.index(row.Start.Time(time.UTC))
				got[[2]int{ci, 0}] = row.Size
				customers += row.Size
				for k, r := range row.Retained {
					if r > 0 {
						got[[2]int{ci, k + 1}] = r
					}
				}
			}
			if customers != 2357 {
				t.Fatalf("%d customers in the cohorts, want 2,357", customers)
			}
			for cell, n := range ref {
				if got[cell] != n {
					t.Errorf("cohort %d period %d: %d, want %d", cell[0], cell[1], got[cell], n)
				}
			}
			for cell, n := range got {
				if ref[cell] != n {
					t.Errorf("cohort %d period %d: %d, reference has %d", cell[0], cell[1], n, ref[cell])
				}
			}
		})
	}
}

// TestCDNOWMonthly pins the monthly matrix: the sample's customers first
// bought in January to March 1997, the data ends with June 1998, so the
// cohorts have 17, 16 and 15 later months; golden CSV, text and SVG.
func TestCDNOWMonthly(t *testing.T) {
	txs := cdnow(t)
	m, err := FromTransactions(context.Background(), slices.Values(txs), Month, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cohorts) != 3 {
		t.Fatalf("%d cohorts", len(m.Cohorts))
	}
	for i, want := range []int{17, 16, 15} {
		c := m.Cohorts[i]
		if len(c.Retained) != want || c.Label != fmt.Sprintf("1997-%02d", i+1) || !c.Complete[len(c.Complete)-1] {
			t.Fatalf("cohort %d: %s with %d periods", i, c.Label, len(c.Retained))
		}
	}
	var csv, text, svg bytes.Buffer
	if err := m.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "cdnow_month.csv", csv.Bytes())
	if err := m.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "cdnow_month.txt", text.Bytes())
	if err := m.WriteSVG(&svg, "CDNOW sample: monthly repeat-purchase retention"); err != nil {
		t.Fatal(err)
	}
	golden(t, "cdnow_month.svg", svg.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestComputeMatchesNaive checks signup → login retention on a synthetic
// population, overall and by acquisition source, cohorts by the signup
// event and by the signup_at attribute, against a loop over profiles.
func TestComputeMatchesNaive(t *testing.T) {
	cfg := synth.Reference(1500)
	cfg.Tags = 60
	g, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Load(context.Background(), ix, synth.DefaultLoadConfig()); err != nil {
		t.Fatal(err)
	}
	v := ix.View()
	through := segkit.DayOf(cfg.End, nil).AddDays(-1)
	for _, p := range []Period{Week, Month} {
		for _, byAttr := range []bool{false, true} {
			c := Config{Period: p, ActiveEvent: "login", From: through.AddDays(-200), Through: through, By: "source", MaxPeriods: 12}
			if byAttr {
				c.CohortAttribute = "signup_at"
			} else {
				c.CohortEvent = "signup"
			}
			m, err := Compute(context.Background(), v, c)
			if err != nil {
				t.Fatal(err)
			}
			check := func(m *Matrix, keep func(bitmapindex.Profile) bool) {
				t.Helper()
				want := map[[2]segkit.Day]int{}
				for k := range v.All().Keys() {
					pr, _ := v.Profile(k)
					if !keep(pr) {
						continue
					}
					var cd segkit.Day
					if byAttr {
						x, ok := pr.Attrs["signup_at"]
						if !ok {
							continue
						}
						at, _ := x.AsTime()
						cd = segkit.DayOf(at, nil)
					} else {
						if len(pr.Events["signup"]) == 0 {
							continue
						}
						cd = segkit.DayOf(pr.Events["signup"][0], nil)
					}
					cs := p.start(cd)
					if cs < p.start(c.From) || cd > through {
						continue
					}
					want[[2]segkit.Day{cs, -1}]++
					seen := map[segkit.Day]bool{}
					for _, at := range pr.Events["login"] {
						ps := p.start(segkit.DayOf(at, nil))
						if ps > cs && !seen[ps] {
							seen[ps] = true
							want[[2]segkit.Day{cs, ps}]++
						}
					}
				}
				for _, row := range m.Cohorts {
					if row.Size != want[[2]segkit.Day{row.Start, -1}] {
						t.Fatalf("%v cohort %s: size %d, want %d", p, row.Label, row.Size, want[[2]segkit.Day{row.Start, -1}])
					}
					delete(want, [2]segkit.Day{row.Start, -1})
					for k, r := range row.Retained {
						ps := p.add(row.Start, k+1)
						if r != want[[2]segkit.Day{row.Start, ps}] {
							t.Fatalf("%v cohort %s period %d: %d, want %d", p, row.Label, k+1, r, want[[2]segkit.Day{row.Start, ps}])
						}
					}
				}
				for cell, n := range want {
					if cell[1] == -1 && n > 0 {
						t.Fatalf("%v: cohort %v with %d customers missing", p, cell[0], n)
					}
				}
			}
			check(m, func(bitmapindex.Profile) bool { return true })
			if len(m.Breakdown) < 2 {
				t.Fatalf("%d sources", len(m.Breakdown))
			}
			for _, s := range m.Breakdown {
				check(s.Matrix, func(pr bitmapindex.Profile) bool {
					x, ok := pr.Attrs["source"]
					val, _ := x.AsString()
					return ok && val == s.Value
				})
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	_ = ix.Record("a", "login", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	v := ix.View()
	d := segkit.Date(2026, 1, 1)
	for _, c := range []Config{
		{ActiveEvent: "login", From: d, Through: d},
		{CohortEvent: "login", CohortAttribute: "x", ActiveEvent: "login", From: d, Through: d},
		{CohortEvent: "login", From: d, Through: d},
		{CohortEvent: "nope", ActiveEvent: "login", From: d, Through: d},
		{CohortEvent: "login", ActiveEvent: "login", From: d, Through: d.AddDays(-1)},
		{CohortEvent: "login", ActiveEvent: "login", From: d, Through: d, By: "nope"},
		{CohortEvent: "login", ActiveEvent: "login", From: d, Through: d, Period: 7},
	} {
		if _, err := Compute(context.Background(), v, c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}
