package lifecycle

import (
	"fmt"
	"io"

	"github.com/segkit/segkit/internal/chart"
)

// WriteSVG draws the customers per stage as a bar chart, in stage order,
// each bar labelled with its count and share.
func (s *Snapshot) WriteSVG(w io.Writer) error {
	c := chart.BarChart{Title: "Customers per lifecycle stage at " + s.AsOf.String(), KeepOrder: true}
	for _, st := range AllStages() {
		c.Bars = append(c.Bars, chart.Bar{Label: st.Label(), Value: float64(s.Count(st))})
	}
	return c.WriteSVG(w)
}

// WriteSVG draws the transition matrix as a heatmap: the stage at From
// down ("(new)" for customers without one), the stage at To across, each
// cell the number of customers.
func (t *Transitions) WriteSVG(w io.Writer) error {
	stages := append([]Stage{StageNone}, AllStages()...)
	h := chart.Heatmap{Title: fmt.Sprintf("Lifecycle transitions %s → %s", t.From, t.To),
		RowTitle: "from", ColTitle: "to", Legend: "customers"}
	label := func(s Stage) string {
		if s == StageNone {
			return "(new)"
		}
		return s.Label()
	}
	for _, s := range stages[1:] {
		h.Cols = append(h.Cols, label(s))
	}
	for _, from := range stages {
		h.Rows = append(h.Rows, label(from))
		row := make([]float64, 0, len(stages)-1)
		for _, to := range stages[1:] {
			row = append(row, float64(t.Count(from, to)))
		}
		h.Values = append(h.Values, row)
	}
	return h.WriteSVG(w)
}
