package retention

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/internal/textwidth"
)

// WriteCSV writes the matrix as CSV with the header
// cohort,size,period,retained,share: one row per cohort and period k ≥ 1,
// share with six decimals. A breakdown is written by calling WriteCSV on
// each Slice's matrix.
func (m *Matrix) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "cohort,size,period,retained,share")
	for _, c := range m.Cohorts {
		for k, r := range c.Retained {
			fmt.Fprintf(bw, "%s,%d,%d,%d,%s\n", c.Label, c.Size, k+1, r, strconv.FormatFloat(c.Share[k], 'f', 6, 64))
		}
	}
	return bw.Flush()
}

// WriteText writes the matrix as a table for people: one row per cohort
// with its size and the share retained in each period (a * marks a period
// that extends past the data), then the size-weighted overall row; with a
// breakdown, one such table per value.
func (m *Matrix) WriteText(w io.Writer) error {
	var buf bytes.Buffer
	m.table(&buf, "")
	for _, s := range m.Breakdown {
		buf.WriteString("\n")
		m2 := s.Matrix
		m2.table(&buf, s.Value)
	}
	_, err := w.Write(trim(buf.Bytes()))
	return err
}

func (m *Matrix) table(buf *bytes.Buffer, value string) {
	title := fmt.Sprintf("%s retention (share of each cohort active again %s k after its %s)", m.Period, m.Period, m.Period)
	if value != "" {
		title = fmt.Sprintf("%s — %s", title, value)
	}
	fmt.Fprintln(buf, title)
	periods := len(m.Overall)
	tw := textwidth.NewTabWriter(buf, 2, false)
	fmt.Fprint(tw, "cohort\tsize\t")
	for k := 1; k <= periods; k++ {
		fmt.Fprintf(tw, "%d\t", k)
	}
	fmt.Fprintln(tw)
	for _, c := range m.Cohorts {
		fmt.Fprintf(tw, "%s\t%d\t", c.Label, c.Size)
		for k, s := range c.Share {
			mark := ""
			if !c.Complete[k] {
				mark = "*"
			}
			fmt.Fprintf(tw, "%s%s\t", pct(s), mark)
		}
		// empty cells keep the columns one block for the aligner
		fmt.Fprintln(tw, strings.Repeat("\t", periods-len(c.Share)))
	}
	total := 0
	for _, c := range m.Cohorts {
		total += c.Size
	}
	fmt.Fprintf(tw, "all\t%d\t", total)
	for _, s := range m.Overall {
		fmt.Fprintf(tw, "%s\t", pct(s))
	}
	fmt.Fprintln(tw)
	tw.Flush()
}

// WriteSVG draws the matrix as a triangle heatmap: cohorts down, periods
// across, each cell shaded by its share (cells past the data empty, a * on
// periods that extend past it).
func (m *Matrix) WriteSVG(w io.Writer, title string) error {
	h := chart.Heatmap{
		Title:    title,
		RowTitle: "cohort (size)",
		ColTitle: fmt.Sprintf("%ss after the cohort's %s", m.Period, m.Period),
	}
	for k := 1; k <= len(m.Overall); k++ {
		h.Cols = append(h.Cols, strconv.Itoa(k))
	}
	if len(h.Cols) == 0 {
		return fmt.Errorf("retention: no period after the first cohort to draw")
	}
	for _, c := range m.Cohorts {
		h.Rows = append(h.Rows, fmt.Sprintf("%s (%d)", c.Label, c.Size))
		vals := make([]float64, len(h.Cols))
		text := make([]string, len(h.Cols))
		for k := range vals {
			vals[k] = math.NaN()
			if k < len(c.Share) {
				vals[k] = c.Share[k] * 100
				text[k] = pct(c.Share[k])
				if !c.Complete[k] {
					text[k] += "*" // the period extends past the data
				}
			}
		}
		h.Values = append(h.Values, vals)
		h.Text = append(h.Text, text)
	}
	return h.WriteSVG(w)
}

func pct(x float64) string { return strconv.FormatFloat(x*100, 'f', 1, 64) + "%" }

func trim(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	for _, l := range lines {
		nl := bytes.HasSuffix(l, []byte("\n"))
		out = append(out, bytes.TrimRight(l, " \n")...)
		if nl {
			out = append(out, '\n')
		}
	}
	return out
}
