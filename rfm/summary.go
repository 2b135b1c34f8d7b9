package rfm

import (
	"io"
	"math"
	"strconv"
	"strings"
)

// Group is the summary of one label (segment or tier). It is a plain value.
type Group struct {
	Name          string  `json:"name"`
	Alias         string  `json:"alias,omitempty"`
	Customers     int     `json:"customers"`
	Orders        int     `json:"orders"`         // purchase transactions
	Revenue       float64 `json:"revenue"`        // net
	AOV           float64 `json:"aov"`            // Revenue / Orders; 0 without orders
	CustomerShare float64 `json:"customer_share"` // of all customers, 0..1
	RevenueShare  float64 `json:"revenue_share"`  // of all net revenue, 0..1; 0 when the total is not positive
	// Mean metrics over the group's customers (0 for an empty group).
	MeanRecency   float64 `json:"mean_recency"`
	MeanFrequency float64 `json:"mean_frequency"`
	MeanMonetary  float64 `json:"mean_monetary"`
}

// Summary is a table of groups, in label order, with totals. It is a plain
// value.
type Summary struct {
	Model     string  `json:"model"`
	Groups    []Group `json:"groups"`
	Customers int     `json:"customers"`
	Orders    int     `json:"orders"`
	Revenue   float64 `json:"revenue"`
}

// Summary computes, per label, customers, orders, revenue, average order
// value and shares, as R's rfm_segment_summary does, plus mean metrics.
// Every label appears, empty ones with zeros.
func (a *Assignment) Summary() Summary {
	s := Summary{Model: a.model, Groups: make([]Group, len(a.names))}
	sumR := make([]float64, len(a.names))
	sumF := make([]float64, len(a.names))
	sumM := make([]float64, len(a.names))
	for i, g := range a.names {
		s.Groups[i].Name = g
		s.Groups[i].Alias = a.aliases[i]
	}
	for i, l := range a.labels {
		c := &a.res.Customers[i]
		g := &s.Groups[l]
		g.Customers++
		g.Orders += c.Orders
		g.Revenue += c.Revenue
		sumR[l] += float64(c.Recency)
		sumF[l] += float64(c.Frequency)
		sumM[l] += c.Monetary
		s.Customers++
		s.Orders += c.Orders
		s.Revenue += c.Revenue
	}
	for i := range s.Groups {
		g := &s.Groups[i]
		if g.Orders > 0 {
			g.AOV = g.Revenue / float64(g.Orders)
		}
		if s.Customers > 0 {
			g.CustomerShare = float64(g.Customers) / float64(s.Customers)
		}
		if s.Revenue > 0 {
			g.RevenueShare = g.Revenue / s.Revenue
		}
		if g.Customers > 0 {
			n := float64(g.Customers)
			g.MeanRecency, g.MeanFrequency, g.MeanMonetary = sumR[i]/n, sumF[i]/n, sumM[i]/n
		}
	}
	return s
}

// Group returns the group with the given name.
func (s Summary) Group(name string) (Group, bool) {
	for _, g := range s.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// WriteText writes the summary as an aligned plain-text table for people:
// one row per group and a total row. Money is rounded to whole units with
// thousands separators; AOV to two decimals.
func (s Summary) WriteText(w io.Writer) error {
	name := "segment"
	if s.Model == "value" || s.Model == "loyalty" {
		name = "tier"
	}
	t := table{align: "llrrrrrr"}
	t.add(name, "", "customers", "share", "orders", "revenue", "share", "AOV")
	for _, g := range s.Groups {
		t.add(g.Name, g.Alias, thousands(float64(g.Customers)), percent(g.CustomerShare),
			thousands(float64(g.Orders)), thousands(g.Revenue), percent(g.RevenueShare), strconv.FormatFloat(g.AOV, 'f', 2, 64))
	}
	aov := 0.0
	if s.Orders > 0 {
		aov = s.Revenue / float64(s.Orders)
	}
	revShare := 0.0
	if s.Revenue > 0 {
		revShare = 1
	}
	t.add("total", "", thousands(float64(s.Customers)), percent(1), thousands(float64(s.Orders)),
		thousands(s.Revenue), percent(revShare), strconv.FormatFloat(aov, 'f', 2, 64))
	return t.write(w)
}

// String returns the text of WriteText.
func (s Summary) String() string {
	var b strings.Builder
	_ = s.WriteText(&b)
	return b.String()
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

// thousands formats v rounded to a whole number with comma separators.
func thousands(v float64) string {
	r := math.Round(v)
	if r == 0 {
		r = 0 // no "-0"
	}
	s := strconv.FormatFloat(math.Abs(r), 'f', 0, 64)
	var b strings.Builder
	if r < 0 {
		b.WriteByte('-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Grid is the R × F table a heatmap needs: customer counts and mean monetary
// per cell, indexed [R−1][F−1]. It is a plain value.
type Grid struct {
	RBins  int     `json:"r_bins"`
	FBins  int     `json:"f_bins"`
	Counts [][]int `json:"counts"`
	// MeanMonetary is the mean M of the cell's customers; 0 for an empty
	// cell (look at Counts).
	MeanMonetary [][]float64 `json:"mean_monetary"`
}

// Grid returns the R × F grid of counts and mean monetary value.
func (r *Result) Grid() Grid {
	g := Grid{RBins: r.R.Bins, FBins: r.F.Bins}
	g.Counts = make([][]int, g.RBins)
	g.MeanMonetary = make([][]float64, g.RBins)
	for i := range g.Counts {
		g.Counts[i] = make([]int, g.FBins)
		g.MeanMonetary[i] = make([]float64, g.FBins)
	}
	for i := range r.Customers {
		c := &r.Customers[i]
		ri, fi := c.Score.R-1, c.Score.F-1
		g.Counts[ri][fi]++
		g.MeanMonetary[ri][fi] += c.Monetary
	}
	for ri := range g.Counts {
		for fi, n := range g.Counts[ri] {
			if n > 0 {
				g.MeanMonetary[ri][fi] /= float64(n)
			}
		}
	}
	return g
}

// WriteText writes the grid as two plain-text tables (counts, then mean
// monetary), R descending down the rows and F ascending across.
func (g Grid) WriteText(w io.Writer) error {
	for part, title := range []string{"customers", "mean monetary"} {
		if part > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		t := table{align: "l" + strings.Repeat("r", g.FBins)}
		head := []string{title}
		for f := 1; f <= g.FBins; f++ {
			head = append(head, "F"+strconv.Itoa(f))
		}
		t.add(head...)
		for r := g.RBins; r >= 1; r-- {
			row := []string{"R" + strconv.Itoa(r)}
			for f := 1; f <= g.FBins; f++ {
				if part == 0 {
					row = append(row, thousands(float64(g.Counts[r-1][f-1])))
				} else {
					row = append(row, thousands(g.MeanMonetary[r-1][f-1]))
				}
			}
			t.add(row...)
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	return nil
}

// table lays out rows of cells in columns two spaces apart, aligned left
// ('l') or right ('r') per column, measuring East Asian wide characters as
// two columns so that Chinese names line up in a terminal.
type table struct {
	align string
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	width := make([]int, len(t.align))
	for _, row := range t.rows {
		for i, c := range row {
			width[i] = max(width[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			if width[i] == 0 {
				continue
			}
			if line.Len() > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-displayWidth(c))
			if t.align[i] == 'r' {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// displayWidth is the number of terminal columns s takes: two for East
// Asian wide and fullwidth characters, one otherwise.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
			r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}
