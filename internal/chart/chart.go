// Package chart draws the small static SVG charts of segkit's command and
// examples: bar charts (segment and persona sizes) and heatmaps (the R × F
// grid, the lifecycle transition matrix). The output is plain SVG 1.1 with no
// JavaScript, readable in any browser.
//
// Every mark carries its figure in data-* attributes (data-label,
// data-value, data-row, data-col) as well as in visible text, so tests and
// tools can read back exactly what a chart shows.
package chart

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// BarChart is a horizontal bar chart. The zero value draws nothing useful;
// set Title and Bars.
type BarChart struct {
	Title string
	Unit  string // appended to each value label, e.g. " customers"
	Bars  []Bar
}

const (
	font      = `font-family="sans-serif" font-size="12"`
	barHeight = 22
	labelW    = 200
	plotW     = 420
)

// WriteSVG writes the chart. Values must be finite and non-negative.
func (c BarChart) WriteSVG(w io.Writer) error {
	if len(c.Bars) == 0 {
		return errors.New("chart: bar chart with no bars")
	}
	maxV := 0.0
	for _, b := range c.Bars {
		if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) || b.Value < 0 {
			return fmt.Errorf("chart: bar %q: value %v is not a finite non-negative number", b.Label, b.Value)
		}
		maxV = math.Max(maxV, b.Value)
	}
	width := max(labelW+plotW+120, titleWidth(c.Title))
	height := 40 + len(c.Bars)*barHeight + 10
	bw := bufio.NewWriter(w)
	header(bw, width, height, c.Title)
	for i, b := range c.Bars {
		y := 40 + i*barHeight
		l := 0.0
		if maxV > 0 {
			l = b.Value / maxV * plotW
		}
		fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="end" %s>%s</text>`+"\n", labelW-8, y+15, font, esc(b.Label))
		fmt.Fprintf(bw, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d" fill="#4C78A8" data-label="%s" data-value="%s"/>`+"\n",
			labelW, y+3, l, barHeight-6, esc(b.Label), num(b.Value))
		fmt.Fprintf(bw, `<text x="%.1f" y="%d" %s>%s%s</text>`+"\n", float64(labelW)+l+6, y+15, font, num(b.Value), esc(c.Unit))
	}
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// Heatmap is a grid of values with row and column labels; cell colour is
// proportional to the value. Text, when set, replaces the number printed in
// a cell (it must have the shape of Values).
type Heatmap struct {
	Title    string
	RowTitle string
	ColTitle string
	Rows     []string
	Cols     []string
	Values   [][]float64
	Text     [][]string
}

const cell = 64

// WriteSVG writes the heatmap. Values must be finite; NaN cells are drawn
// empty (no data).
func (h Heatmap) WriteSVG(w io.Writer) error {
	if len(h.Rows) == 0 || len(h.Cols) == 0 {
		return errors.New("chart: heatmap with no rows or columns")
	}
	if len(h.Values) != len(h.Rows) {
		return fmt.Errorf("chart: heatmap has %d rows of values for %d row labels", len(h.Values), len(h.Rows))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, row := range h.Values {
		if len(row) != len(h.Cols) {
			return fmt.Errorf("chart: heatmap row %q has %d values for %d columns", h.Rows[i], len(row), len(h.Cols))
		}
		if h.Text != nil && (len(h.Text) != len(h.Rows) || len(h.Text[i]) != len(h.Cols)) {
			return fmt.Errorf("chart: heatmap text does not have the shape of its values")
		}
		for _, v := range row {
			if math.IsInf(v, 0) {
				return fmt.Errorf("chart: heatmap row %q: infinite value", h.Rows[i])
			}
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	left, top := 140, 70
	width := max(left+len(h.Cols)*cell+20, titleWidth(h.Title))
	height := top + len(h.Rows)*cell + 20
	bw := bufio.NewWriter(w)
	header(bw, width, height, h.Title)
	if h.ColTitle != "" {
		fmt.Fprintf(bw, `<text x="%d" y="42" text-anchor="middle" %s>%s</text>`+"\n", left+len(h.Cols)*cell/2, font, esc(h.ColTitle))
	}
	if h.RowTitle != "" {
		fmt.Fprintf(bw, `<text x="12" y="%d" %s>%s</text>`+"\n", top-8, font, esc(h.RowTitle))
	}
	for j, c := range h.Cols {
		fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle" %s>%s</text>`+"\n", left+j*cell+cell/2, top-6, font, esc(c))
	}
	for i, r := range h.Rows {
		y := top + i*cell
		fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="end" %s>%s</text>`+"\n", left-8, y+cell/2+4, font, esc(r))
		for j := range h.Cols {
			v := h.Values[i][j]
			x := left + j*cell
			fill, ink := "#f2f2f2", "#000"
			if !math.IsNaN(v) {
				t := 0.0
				if hi > lo {
					t = (v - lo) / (hi - lo)
				}
				fill = shade(t)
				if t > 0.6 {
					ink = "#fff"
				}
			}
			label := num(v)
			if math.IsNaN(v) {
				label = ""
			}
			if h.Text != nil {
				label = h.Text[i][j]
			}
			fmt.Fprintf(bw, `<rect class="cell" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff" data-row="%s" data-col="%s" data-value="%s"/>`+"\n",
				x, y, cell, cell, fill, esc(r), esc(h.Cols[j]), num(v))
			fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle" fill="%s" %s>%s</text>`+"\n", x+cell/2, y+cell/2+4, ink, font, esc(label))
		}
	}
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

func header(w io.Writer, width, height int, title string) {
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(w, `<text x="12" y="22" font-family="sans-serif" font-size="15" font-weight="bold">%s</text>`+"\n", esc(title))
}

// titleWidth is the width a title needs at 15px bold (about 9px a rune,
// wide runes twice that).
func titleWidth(title string) int {
	w := 24
	for _, r := range title {
		if r > 0x2E80 {
			w += 17
		} else {
			w += 9
		}
	}
	return w
}

// shade maps t ∈ [0,1] to a blue ramp.
func shade(t float64) string {
	r := int(math.Round(239 - t*(239-8)))
	g := int(math.Round(243 - t*(243-69)))
	b := int(math.Round(255 - t*(255-148)))
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// num formats a value with at most two decimals and no trailing zeros.
func num(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func esc(s string) string { return html.EscapeString(s) }
