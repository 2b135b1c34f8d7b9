package campaign

import (
	"bytes"
	"fmt"
	"github.com/segkit/segkit/internal/textwidth"
	"io"
	"math"
	"strconv"
)

// WriteTo writes the results as a plain-text report for people: one table
// of groups (exposed, converted, rate and its interval, lift against the
// control in percentage points and in percent with intervals, z and the
// p-values), the sample ratio check, and one table per slice. Values are
// shown only when some outcome carried one.
func (r *Results) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "campaign results: control %q, %s confidence, %s customers\n",
		r.Control, pct(r.Level, 0), thousands(r.Customers))
	showValue := r.hasValue()
	r.writeTable(&buf, showValue)
	if r.SampleRatio != nil {
		writeRatioCheck(&buf, r.SampleRatio)
	}
	for _, s := range r.Slices {
		label := "(no label)"
		if s.Labeled {
			label = strconv.Quote(s.Label)
		}
		fmt.Fprintf(&buf, "\nslice %s: %s customers\n", label, thousands(s.Results.Customers))
		s.Results.writeTable(&buf, showValue)
		if s.Err != nil {
			fmt.Fprintf(&buf, "no lift: %v\n", s.Err)
		}
		if s.Results.SampleRatio != nil {
			writeRatioCheck(&buf, s.Results.SampleRatio)
		}
	}
	return writeTrimmed(w, buf.Bytes())
}

// writeTrimmed writes b without the trailing blanks tabwriter leaves on
// lines whose last cells are empty.
func writeTrimmed(w io.Writer, b []byte) (int64, error) {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	for _, l := range lines {
		nl := bytes.HasSuffix(l, []byte("\n"))
		l = bytes.TrimRight(l, " \n")
		out = append(out, l...)
		if nl {
			out = append(out, '\n')
		}
	}
	n, err := w.Write(out)
	return int64(n), err
}

func (r *Results) hasValue() bool {
	for _, g := range r.Groups {
		if g.Value != 0 {
			return true
		}
	}
	return false
}

func writeRatioCheck(buf *bytes.Buffer, c *RatioCheck) {
	verdict := "exposures match the planned ratios"
	if c.P < 0.001 {
		verdict = "MISMATCH: exposures do not follow the planned ratios; do not trust the lifts"
	}
	fmt.Fprintf(buf, "sample ratio check: chi2 = %.2f, df = %d, p = %s (%s)\n", c.ChiSquare, c.DF, pvalue(c.P), verdict)
}

func (r *Results) writeTable(buf *bytes.Buffer, showValue bool) {
	tw := textwidth.NewTabWriter(buf, 2, false)
	level := pct(r.Level, 0)
	fmt.Fprintf(tw, "group\texposed\tconverted\trate\t%s CI\tlift\t%s CI\trel. lift\t%s CI\tz\tp\tp (Holm)", level, level, level)
	if showValue {
		fmt.Fprint(tw, "\tvalue\tvalue/exposed")
	}
	fmt.Fprintln(tw)
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t[%s, %s]", g.Name, thousands(g.Exposed), thousands(g.Converted),
			pct(g.Rate, 2), pct(g.RateCI.Lo, 2), pct(g.RateCI.Hi, 2))
		if l := g.Lift; l != nil {
			fmt.Fprintf(tw, "\t%s pp\t[%s, %s] pp\t%s\t%s\t%.2f\t%s\t%s",
				signed(100*l.Absolute, 2), signed(100*l.AbsoluteCI.Lo, 2), signed(100*l.AbsoluteCI.Hi, 2),
				signedPct(l.Relative), ciPct(l.RelativeCI), l.Z, pvalue(l.P), pvalue(l.PHolm))
		} else {
			mark := "-"
			if g.Name == r.Control {
				mark = "(control)"
			}
			fmt.Fprintf(tw, "\t%s\t\t\t\t\t\t", mark)
		}
		if showValue {
			fmt.Fprintf(tw, "\t%.2f\t%.2f", g.Value, g.ValuePerExposed)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func pct(x float64, digits int) string {
	return strconv.FormatFloat(100*x, 'f', digits, 64) + "%"
}

func signed(x float64, digits int) string {
	if x == 0 {
		x = 0 // no "-0.00"
	}
	s := strconv.FormatFloat(x, 'f', digits, 64)
	if x >= 0 && s[0] != '-' {
		s = "+" + s
	}
	if s == "-"+strconv.FormatFloat(0, 'f', digits, 64) {
		s = "+" + s[1:]
	}
	return s
}

func signedPct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return signed(100*x, 1) + "%"
}

func ciPct(i Interval) string {
	if !i.Valid() {
		return "n/a"
	}
	return "[" + signedPct(i.Lo) + ", " + signedPct(i.Hi) + "]"
}

func pvalue(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 0.0001:
		return "<0.0001"
	default:
		return strconv.FormatFloat(p, 'f', 4, 64)
	}
}

// thousands formats n with comma separators: 1234567 → "1,234,567".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return neg + string(out)
}
