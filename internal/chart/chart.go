package chart

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/internal/textwidth"
)

// FontFamily is the font stack of every chart: system UI fonts first, then
// families that cover Chinese, Japanese and Korean, then the generic
// sans-serif.
const FontFamily = `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, ` +
	`'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', ` +
	`'WenQuanYi Micro Hei', 'Noto Sans', sans-serif`

const (
	fontSize  = 12
	titleSize = 15
	barHeight = 24
	plotW     = 420
	margin    = 12
)

// textPx estimates the width in pixels of s at the given font size: about
// 0.6 em a column, two columns for wide (CJK) characters. It errs on the
// wide side, so text measured with it fits.
func textPx(s string, size float64) float64 {
	return float64(textwidth.Width(s)) * size * 0.6
}

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// BarChart is a horizontal bar chart. Set Title and Bars.
type BarChart struct {
	Title string
	Unit  string // appended to each value label, e.g. " customers"
	Bars  []Bar
	// Total is what each bar's share is a share of; 0 means the sum of the
	// bars (right when they partition a population; set it to the
	// population when bars overlap, as segments may).
	Total float64
	// KeepOrder draws the bars in the given order (levels, stages, ordinal
	// categories) instead of largest first.
	KeepOrder bool
}

// WriteSVG writes the chart. Values must be finite and non-negative.
func (c BarChart) WriteSVG(w io.Writer) error {
	if len(c.Bars) == 0 {
		return errors.New("chart: bar chart with no bars")
	}
	bars := slices.Clone(c.Bars)
	maxV, sum := 0.0, 0.0
	for _, b := range bars {
		if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) || b.Value < 0 {
			return fmt.Errorf("chart: bar %q: value %v is not a finite non-negative number", b.Label, b.Value)
		}
		maxV = math.Max(maxV, b.Value)
		sum += b.Value
	}
	total := c.Total
	if total < 0 || math.IsNaN(total) || math.IsInf(total, 0) {
		return fmt.Errorf("chart: total %v is not a finite non-negative number", total)
	}
	if total == 0 {
		total = sum
	}
	if !c.KeepOrder {
		slices.SortStableFunc(bars, func(a, b Bar) int {
			if c := cmp.Compare(b.Value, a.Value); c != 0 {
				return c
			}
			return strings.Compare(a.Label, b.Label)
		})
	}
	labelW, valueW := 60.0, 0.0
	values := make([]string, len(bars))
	shares := make([]string, len(bars))
	for i, b := range bars {
		labelW = math.Max(labelW, textPx(b.Label, fontSize))
		shares[i] = share(b.Value, total)
		values[i] = Number(b.Value) + c.Unit
		if shares[i] != "" {
			values[i] += " · " + shares[i]
		}
		valueW = math.Max(valueW, textPx(values[i], fontSize))
	}
	left := margin + labelW + 8
	width := int(math.Ceil(math.Max(left+plotW+6+valueW+margin, titleWidth(c.Title))))
	top := 40
	height := top + len(bars)*barHeight + 12
	bw := bufio.NewWriter(w)
	header(bw, width, height, c.Title)
	for i, b := range bars {
		y := top + i*barHeight
		l := 0.0
		if maxV > 0 {
			l = b.Value / maxV * plotW
		}
		fmt.Fprintf(bw, `<text x="%s" y="%d" text-anchor="end">%s</text>`+"\n", px(left-8), y+16, esc(b.Label))
		fmt.Fprintf(bw, `<rect class="bar" x="%s" y="%d" width="%.1f" height="%d" fill="#4C78A8" data-label="%s" data-value="%s" data-share="%s"><title>%s: %s</title></rect>`+"\n",
			px(left), y+4, l, barHeight-8, esc(b.Label), num(b.Value), esc(shares[i]), esc(b.Label), esc(values[i]))
		fmt.Fprintf(bw, `<text x="%.1f" y="%d">%s</text>`+"\n", left+l+6, y+16, esc(values[i]))
	}
	fmt.Fprintln(bw, `</g></svg>`)
	return bw.Flush()
}

// share formats v/total as a percentage with one decimal ("" when total is 0).
func share(v, total float64) string {
	if total <= 0 {
		return ""
	}
	return strconv.FormatFloat(100*v/total, 'f', 1, 64) + "%"
}

// Heatmap is a grid of values with row and column labels; cell colour is
// proportional to the value, and a legend under the grid gives the scale.
// Text, when set, replaces the number printed in a cell (it must have the
// shape of Values); a "\n" in it starts a second line.
type Heatmap struct {
	Title    string
	RowTitle string // the title of the row labels, drawn in the corner above them
	ColTitle string
	Rows     []string
	Cols     []string
	Values   [][]float64
	Text     [][]string
	// Legend names what the colour measures ("customers"); the legend is
	// drawn with or without it.
	Legend string
}

const lineH = 15

// WriteSVG writes the heatmap. Values must not be infinite; NaN cells are
// drawn empty (no data).
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
	// The text of every cell, and the cell size that fits the widest.
	labels := make([][][]string, len(h.Rows))
	cellW, lines := 48.0, 1
	for i := range h.Rows {
		labels[i] = make([][]string, len(h.Cols))
		for j := range h.Cols {
			v := h.Values[i][j]
			s := ""
			if !math.IsNaN(v) {
				s = Number(v)
			}
			if h.Text != nil {
				s = h.Text[i][j]
			}
			ls := strings.Split(s, "\n")
			labels[i][j] = ls
			lines = max(lines, len(ls))
			for _, l := range ls {
				cellW = math.Max(cellW, textPx(l, fontSize)+14)
			}
		}
	}
	for _, c := range h.Cols {
		cellW = math.Max(cellW, textPx(c, fontSize)+10)
	}
	cellW = math.Ceil(cellW)
	cellH := float64(max(40, lines*lineH+16))
	rowLabelW := textPx(h.RowTitle, fontSize)
	for _, r := range h.Rows {
		rowLabelW = math.Max(rowLabelW, textPx(r, fontSize))
	}
	left := math.Ceil(margin + rowLabelW + 10)
	top := 48.0
	if h.ColTitle != "" {
		top += 18
	}
	gridW := float64(len(h.Cols)) * cellW
	gridH := float64(len(h.Rows)) * cellH
	legendTop := top + gridH + 14
	legendW := math.Min(240, math.Max(120, gridW))
	legendText := legendLabel(h.Legend, lo, hi)
	width := int(math.Ceil(math.Max(math.Max(left+gridW+margin, titleWidth(h.Title)),
		math.Max(left+legendW+margin, left+textPx(legendText, fontSize)+margin))))
	if h.ColTitle != "" {
		width = max(width, int(math.Ceil(left+textPx(h.ColTitle, fontSize)+margin)))
	}
	height := int(math.Ceil(legendTop + 12 + 4 + lineH + 8))
	bw := bufio.NewWriter(w)
	header(bw, width, height, h.Title)
	fmt.Fprintf(bw, `<defs><linearGradient id="scale"><stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient></defs>`+"\n", shade(0), shade(1))
	if h.ColTitle != "" {
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle" font-weight="bold">%s</text>`+"\n", px(left+gridW/2), px(top-24), esc(h.ColTitle))
	}
	if h.RowTitle != "" {
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="end" font-weight="bold">%s</text>`+"\n", px(left-8), px(top-8), esc(h.RowTitle))
	}
	for j, c := range h.Cols {
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", px(left+float64(j)*cellW+cellW/2), px(top-8), esc(c))
	}
	for i, r := range h.Rows {
		y := top + float64(i)*cellH
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="end">%s</text>`+"\n", px(left-8), px(y+cellH/2+4), esc(r))
		for j := range h.Cols {
			v := h.Values[i][j]
			x := left + float64(j)*cellW
			fill, ink := "#f2f2f2", "#000"
			if !math.IsNaN(v) {
				t := 0.0
				if hi > lo {
					t = (v - lo) / (hi - lo)
				}
				fill = shade(t)
				if t > 0.55 {
					ink = "#fff"
				}
			}
			ls := labels[i][j]
			fmt.Fprintf(bw, `<rect class="cell" x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#fff" data-row="%s" data-col="%s" data-value="%s"><title>%s / %s: %s</title></rect>`+"\n",
				px(x), px(y), px(cellW), px(cellH), fill, esc(r), esc(h.Cols[j]), num(v), esc(r), esc(h.Cols[j]), esc(strings.Join(ls, " ")))
			y0 := y + cellH/2 + 4 - float64(len(ls)-1)*lineH/2
			for k, l := range ls {
				if l == "" {
					continue
				}
				fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle" fill="%s">%s</text>`+"\n", px(x+cellW/2), px(y0+float64(k)*lineH), ink, esc(l))
			}
		}
	}
	// The legend: the colour ramp from the smallest to the largest value.
	fmt.Fprintf(bw, `<rect class="legend" x="%s" y="%s" width="%s" height="12" fill="url(#scale)" stroke="#999" stroke-width="0.5" data-min="%s" data-max="%s"/>`+"\n",
		px(left), px(legendTop), px(legendW), num(lo), num(hi))
	fmt.Fprintf(bw, `<text x="%s" y="%s">%s</text>`+"\n", px(left), px(legendTop+12+4+lineH-3), esc(legendText))
	fmt.Fprintln(bw, `</g></svg>`)
	return bw.Flush()
}

// legendLabel says what the colour ramp spans.
func legendLabel(what string, lo, hi float64) string {
	if math.IsInf(lo, 1) {
		return "no data"
	}
	s := "colour from " + Number(lo) + " (light) to " + Number(hi) + " (dark)"
	if what != "" {
		s = what + ": " + s
	}
	return s
}

func header(w io.Writer, width, height int, title string) {
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(w, `<g font-family="%s" font-size="%d">`+"\n", FontFamily, fontSize)
	fmt.Fprintf(w, `<text x="%d" y="24" font-size="%d" font-weight="bold">%s</text>`+"\n", margin, titleSize, esc(title))
}

// titleWidth is the width a title needs at the title size, bold.
func titleWidth(title string) float64 {
	return 2*margin + textPx(title, titleSize)*1.08
}

// shade maps t ∈ [0,1] to a blue ramp.
func shade(t float64) string {
	r := int(math.Round(239 - t*(239-8)))
	g := int(math.Round(243 - t*(243-69)))
	b := int(math.Round(255 - t*(255-148)))
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// num formats a value for data-* attributes: at most two decimals, no
// trailing zeros, no separators.
func num(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	if math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// Number formats a value for people: thousands separators, at most two
// decimals, no trailing zeros (12345.5 → "12,345.5").
func Number(v float64) string {
	s := num(v)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if frac != "" {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

func px(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func esc(s string) string { return html.EscapeString(s) }
