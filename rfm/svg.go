package rfm

import (
	"fmt"
	"io"
	"strconv"

	"github.com/segkit/segkit/internal/chart"
)

// WriteSVG draws the R × F grid as a heatmap: R scores down from the best,
// F scores across, each cell shaded by its number of customers and labelled
// with that number and the cell's mean monetary value.
func (g Grid) WriteSVG(w io.Writer) error {
	h := chart.Heatmap{
		Title:    "Customers by R and F score",
		RowTitle: "R score",
		ColTitle: "F score",
		Legend:   "customers",
	}
	for f := 1; f <= g.FBins; f++ {
		h.Cols = append(h.Cols, strconv.Itoa(f))
	}
	for r := g.RBins; r >= 1; r-- {
		h.Rows = append(h.Rows, strconv.Itoa(r))
		vals := make([]float64, g.FBins)
		text := make([]string, g.FBins)
		for f := 1; f <= g.FBins; f++ {
			n := g.Counts[r-1][f-1]
			vals[f-1] = float64(n)
			text[f-1] = chart.Number(float64(n))
			if n > 0 {
				text[f-1] += "\n(avg " + chart.Number(float64(int64(g.MeanMonetary[r-1][f-1]+0.5))) + ")"
			}
		}
		h.Values = append(h.Values, vals)
		h.Text = append(h.Text, text)
	}
	return h.WriteSVG(w)
}

// WriteSVG draws the customers of each segment as a bar chart, largest
// first, each bar labelled with its count and share.
func (s Summary) WriteSVG(w io.Writer) error {
	c := chart.BarChart{Title: fmt.Sprintf("Customers per segment (%s, %s customers)", s.Model, chart.Number(float64(s.Customers))),
		Total: float64(s.Customers)}
	for _, g := range s.Groups {
		c.Bars = append(c.Bars, chart.Bar{Label: g.Name, Value: float64(g.Customers)})
	}
	return c.WriteSVG(w)
}
