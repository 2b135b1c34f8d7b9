package audience

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/textwidth"
)

// WriteText writes the profile as a plain-text report for people: the top
// distinguishing traits (all when top ≤ 0), the numeric distributions and
// the event activity.
func (p *Profile) WriteText(w io.Writer, top int) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "segment %s customers · base %s customers · %s intervals · events up to %s\n",
		thousands(p.Segment), thousands(p.Base), pct(p.Level, 0), p.Now.Format("2006-01-02"))
	traits := p.Traits
	if top > 0 && len(traits) > top {
		traits = traits[:top]
	}
	fmt.Fprintf(&buf, "\ntraits (%d of %d, by standardised difference)\n", len(traits), len(p.Traits))
	tw := textwidth.NewTabWriter(&buf, 2, false)
	fmt.Fprintln(tw, "trait\tsegment\tbase\tlift\tlift interval\tstd diff\t")
	for _, t := range traits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%+.2f\t\n", t.Name(), pct(t.Segment, 1), pct(t.Base, 1),
			ratio(t.Lift), interval(t.LiftInterval.Lo, t.LiftInterval.Hi), t.StdDiff)
	}
	tw.Flush()
	if len(p.Numbers) > 0 {
		fmt.Fprintf(&buf, "\nnumbers (quantiles %s)\n", strings.Join(p.quantileNames(), " "))
		tw = textwidth.NewTabWriter(&buf, 2, false)
		fmt.Fprintln(tw, "attribute\t\twith value\tmissing\tmean\tsd\tquantiles\tstd diff\t")
		for _, n := range p.Numbers {
			for i, d := range []Distribution{n.Segment, n.Base} {
				name, side, sd := n.Field, "segment", fmt.Sprintf("%+.2f", n.StdDiff)
				if i == 1 {
					name, side, sd = "", "base", ""
				}
				qs := make([]string, len(d.Quantiles))
				for j, q := range d.Quantiles {
					qs[j] = p.format(n.Kind, q)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, side, thousands(d.N), pct(d.Missing, 1),
					p.format(n.Kind, d.Mean), p.spread(n.Kind, d.SD), strings.Join(qs, " "), sd)
			}
		}
		tw.Flush()
	}
	if len(p.Events) > 0 {
		fmt.Fprintf(&buf, "\nevents (share of members active; occurrences per member)\n")
		tw = textwidth.NewTabWriter(&buf, 2, false)
		fmt.Fprintln(tw, "event\twindow\tactive segment\tactive base\tdifference interval\tper member segment\tper member base\t")
		for _, e := range p.Events {
			for _, x := range e.Windows {
				fmt.Fprintf(tw, "%s\t%dd\t%s\t%s\t%s\t%.2f\t%.2f\t\n", e.Event, x.Days, pct(x.ActiveSegment, 1), pct(x.ActiveBase, 1),
					pointInterval(x.DiffInterval.Lo, x.DiffInterval.Hi), x.MeanSegment, x.MeanBase)
			}
		}
		tw.Flush()
	}
	return writeTrimmed(w, buf.Bytes())
}

// quantileNames are the probabilities of the quantiles, as percentiles.
func (p *Profile) quantileNames() []string {
	var out []string
	for _, q := range p.Quantiles {
		out = append(out, "p"+strconv.FormatFloat(q*100, 'f', -1, 64))
	}
	return out
}

// format prints a value of the attribute's kind: times as dates in Now's
// location.
func (p *Profile) format(k bitmapindex.Kind, x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case k == bitmapindex.KindTime:
		return time.Unix(int64(math.Round(x)), 0).In(p.loc()).Format("2006-01-02")
	case k == bitmapindex.KindInt && x == math.Trunc(x):
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// spread prints a standard deviation: in days for times.
func (p *Profile) spread(k bitmapindex.Kind, sd float64) string {
	switch {
	case math.IsNaN(sd):
		return "n/a"
	case k == bitmapindex.KindTime:
		return strconv.FormatFloat(sd/86400, 'f', 1, 64) + "d"
	}
	return strconv.FormatFloat(sd, 'f', 2, 64)
}

func (p *Profile) loc() *time.Location {
	if l := p.Now.Location(); l != nil {
		return l
	}
	return time.UTC
}

// WriteJSON writes the profile as one JSON object with the fields of
// [Profile]; numbers that are not finite (a lift over an empty base share,
// an interval that cannot be computed) are written as null.
func (p *Profile) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(finite(reflect.ValueOf(p)))
}

// finite converts a value to plain JSON-ready data, with non-finite floats
// as nil and bitmapindex kinds as their names.
func finite(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finite(v.Elem())
	case reflect.Float64, reflect.Float32:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Slice:
		if v.IsNil() {
			return []any{}
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = finite(v.Index(i))
		}
		return out
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t.Format(time.RFC3339)
		}
		out := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			out[f.Name] = finite(v.Field(i))
		}
		return out
	}
	if k, ok := v.Interface().(bitmapindex.Kind); ok {
		return k.String()
	}
	return v.Interface()
}

func writeTrimmed(w io.Writer, b []byte) error {
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
	_, err := w.Write(out)
	return err
}

func pct(x float64, prec int) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x*100, 'f', prec, 64) + "%"
}

func ratio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func interval(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "n/a"
	}
	return fmt.Sprintf("[%.2f, %.2f]", lo, hi)
}

// pointInterval prints an interval of a difference of shares in
// percentage points.
func pointInterval(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "n/a"
	}
	return fmt.Sprintf("[%+.1f, %+.1f] pts", lo*100, hi*100)
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
