package audience

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

const (
	svgFont   = `font-family="sans-serif" font-size="12"`
	segColour = "#4C78A8"
	baseColor = "#BAB0AC"
)

// WriteSVG draws the profile as a static SVG 1.1 image: the top
// distinguishing traits (all when top ≤ 0) as pairs of bars (segment and
// base share, with the lift), then one histogram per numeric attribute with
// the segment's and the base's share of members per shared bin side by
// side. Every bar carries its figure in data-* attributes.
func (p *Profile) WriteSVG(w io.Writer, top int) error {
	traits := p.Traits
	if top > 0 && len(traits) > top {
		traits = traits[:top]
	}
	const (
		width  = 900
		labelW = 260
		plotW  = 480
		pairH  = 30
		panelW = 420
		panelH = 190
	)
	traitsH := 60 + len(traits)*pairH
	rows := (len(p.Numbers) + 1) / 2
	height := traitsH + 30 + rows*(panelH+40) + 20
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, height, width, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(bw, `<text x="12" y="22" font-family="sans-serif" font-size="15" font-weight="bold">segment profile: %s customers against a base of %s</text>`+"\n",
		thousands(p.Segment), thousands(p.Base))
	// legend
	fmt.Fprintf(bw, `<rect x="%d" y="32" width="12" height="12" fill="%s"/><text x="%d" y="43" %s>segment</text>`+"\n", labelW, segColour, labelW+16, svgFont)
	fmt.Fprintf(bw, `<rect x="%d" y="32" width="12" height="12" fill="%s"/><text x="%d" y="43" %s>base</text>`+"\n", labelW+90, baseColor, labelW+106, svgFont)
	fmt.Fprintf(bw, `<text x="%d" y="43" %s>share of members · lift</text>`+"\n", labelW+170, svgFont)
	maxShare := 0.0
	for _, t := range traits {
		maxShare = math.Max(maxShare, math.Max(t.Segment, t.Base))
	}
	for i, t := range traits {
		y := 56 + i*pairH
		name := t.Name()
		fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="end" %s>%s</text>`+"\n", labelW-8, y+17, svgFont, esc(name))
		for j, share := range []float64{t.Segment, t.Base} {
			l := 0.0
			if maxShare > 0 {
				l = share / maxShare * plotW
			}
			colour, side := segColour, "segment"
			if j == 1 {
				colour, side = baseColor, "base"
			}
			by := y + 3 + j*12
			fmt.Fprintf(bw, `<rect class="trait" x="%d" y="%d" width="%.1f" height="11" fill="%s" data-label="%s" data-side="%s" data-value="%s"/>`+"\n",
				labelW, by, l, colour, esc(name), side, num(share))
			fmt.Fprintf(bw, `<text x="%.1f" y="%d" font-family="sans-serif" font-size="10">%s</text>`+"\n", float64(labelW)+l+4, by+9, pct(share, 1))
		}
		fmt.Fprintf(bw, `<text x="%d" y="%d" %s>×%s</text>`+"\n", labelW+plotW+60, y+17, svgFont, ratio(t.Lift))
	}
	top0 := traitsH + 30
	if len(p.Numbers) > 0 {
		fmt.Fprintf(bw, `<text x="12" y="%d" font-family="sans-serif" font-size="14" font-weight="bold">distributions (share of members with a value, per shared bin)</text>`+"\n", top0-8)
	}
	for k, n := range p.Numbers {
		px := 20 + (k%2)*(panelW+30)
		py := top0 + (k/2)*(panelH+40)
		p.histogram(bw, n, px, py, panelW, panelH)
	}
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// histogram draws one numeric attribute's panel at (x, y).
func (p *Profile) histogram(w io.Writer, n Number, x, y, pw, ph int) {
	fmt.Fprintf(w, `<text x="%d" y="%d" %s font-weight="bold">%s (std diff %s)</text>`+"\n", x, y+12, svgFont, esc(n.Field), signed(n.StdDiff))
	bins := len(n.Edges) + 1
	shares := [2][]float64{}
	maxS := 0.0
	for j, d := range []Distribution{n.Segment, n.Base} {
		shares[j] = make([]float64, bins)
		for i := range bins {
			if d.N > 0 && i < len(d.Counts) {
				shares[j][i] = float64(d.Counts[i]) / float64(d.N)
			}
			maxS = math.Max(maxS, shares[j][i])
		}
	}
	plotTop, plotH := y+22, ph-60
	base := plotTop + plotH
	slot := float64(pw) / float64(bins)
	barW := math.Max(1, slot/2-2)
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`+"\n", x, base, x+pw, base)
	for i := range bins {
		for j := range 2 {
			h := 0.0
			if maxS > 0 {
				h = shares[j][i] / maxS * float64(plotH)
			}
			colour, side := segColour, "segment"
			if j == 1 {
				colour, side = baseColor, "base"
			}
			bx := float64(x) + float64(i)*slot + 1 + float64(j)*(barW+1)
			fmt.Fprintf(w, `<rect class="bin" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" data-label="%s" data-bin="%d" data-side="%s" data-value="%s"/>`+"\n",
				bx, float64(base)-h, barW, h, colour, esc(n.Field), i, side, num(shares[j][i]))
		}
	}
	// edge labels: first, middle and last interior edge
	if len(n.Edges) > 0 {
		for _, i := range uniqueInts(0, len(n.Edges)/2, len(n.Edges)-1) {
			ex := float64(x) + float64(i+1)*slot
			fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle" font-family="sans-serif" font-size="10">%s</text>`+"\n", ex, base+14, esc(p.format(n.Kind, n.Edges[i])))
		}
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" font-family="sans-serif" font-size="10">mean %s vs %s · missing %s vs %s</text>`+"\n",
		x, base+32, esc(p.format(n.Kind, n.Segment.Mean)), esc(p.format(n.Kind, n.Base.Mean)), pct(n.Segment.Missing, 1), pct(n.Base.Missing, 1))
}

func uniqueInts(xs ...int) []int {
	var out []int
	for _, x := range xs {
		if len(out) == 0 || x > out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

func signed(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%+.2f", x)
}

// num formats a value with at most four decimals and no trailing zeros.
func num(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

func esc(s string) string { return html.EscapeString(s) }
