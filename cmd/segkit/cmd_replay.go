package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/segment"
)

// replayCmd is "segkit replay": a backtest of segment entries and exits.
type replayCmd struct {
	d        dataFlags
	limits   limitsFlag
	defs     string
	from, to timeFlag
	summary  bool
	svg      string
}

func (*replayCmd) doc() doc {
	return doc{
		name:    "replay",
		summary: "backtest: replay events day by day and print who entered or left each segment on each day",
		usage:   "--defs FILE --customers FILE --events FILE [--schema FILE] --from D1 --to D2 [--summary] [--svg FILE]",
		example: `segkit replay --defs segments.json --customers customers.jsonl --events events.jsonl --from 2026-10-01 --to 2026-10-31
# {"day":"2026-10-02","segment":"sleeping","id":"c00012","change":"entered"}`,
	}
}

func (c *replayCmd) flags(fs *flag.FlagSet) {
	c.d.register(fs)
	c.limits.register(fs)
	fs.StringVar(&c.defs, "defs", "", "segment definitions `FILE` (as for segkit segments)")
	nowVar(fs, &c.from, "from", "first day `D1` reported (YYYY-MM-DD, in the index's zone)")
	nowVar(fs, &c.to, "to", "last day `D2` reported (YYYY-MM-DD)")
	fs.BoolVar(&c.summary, "summary", false, "print entries, exits and the size per segment per day instead of one line per change")
	fs.StringVar(&c.svg, "svg", "", "write a line chart of each segment's daily size to this SVG `FILE`")
}

// replayLine is one change as printed.
type replayLine struct {
	Day     string `json:"day"`
	Segment string `json:"segment"`
	ID      string `json:"id"`
	Change  string `json:"change"`
}

func (c *replayCmd) run(ctx context.Context, e *env, args []string) error {
	switch {
	case c.defs == "":
		return usagef("--defs is required")
	case c.d.index != "":
		return usagef("replay reads --customers and --events (the events are applied day by day), not --index")
	case c.d.customers == "" || c.d.events == "":
		return usagef("--customers and --events are required")
	}
	events := c.d.events
	c.d.events = "" // loaded day by day below
	ix, err := c.d.load(ctx, e)
	if err != nil {
		return err
	}
	loc := ix.Location()
	d1, err := c.from.day(loc)
	if err != nil {
		return err
	}
	d2, err := c.to.day(loc)
	if err != nil {
		return err
	}
	if d2 < d1 {
		return usagef("--to (%s) is before --from (%s)", d2, d1)
	}
	if d2-d1 > 3660 {
		return usagef("--from %s --to %s spans more than 10 years", d1, d2)
	}
	opts := c.limits.options(ix.View())
	reg := segment.NewRegistry(opts...)
	if _, err := dataio.DefineSegmentsFile(c.defs, reg, opts...); err != nil {
		if dataio.IsRuleProblem(err) {
			return &ruleError{err}
		}
		return err
	}
	// events by day; those after D2 are never applied
	f, err := os.Open(events)
	if err != nil {
		return err
	}
	byDay := map[segkit.Day][]segkit.Event{}
	for ev, err := range dataio.ReadEvents(events, f, loc) {
		if err != nil {
			f.Close()
			return err
		}
		if d := segkit.DayOf(ev.At, loc); d <= d2 {
			byDay[d] = append(byDay[d], ev)
		}
	}
	f.Close()
	apply := func(evs []segkit.Event) error {
		if len(evs) == 0 {
			return nil
		}
		b := ix.NewBatch()
		for _, ev := range evs {
			if len(ev.Props) > 0 {
				a, _ := bitmapindex.AmountFromFloat(ev.Value)
				b.RecordEvent(ev.Customer, ev.Name, ev.At, bitmapindex.EventDetail{Value: a, Props: ev.Props})
			} else {
				b.Record(ev.Customer, ev.Name, ev.At, ev.Value)
			}
		}
		if err := b.Commit(); err != nil {
			return fmt.Errorf("%s: %w", events, err)
		}
		return nil
	}
	var before []segkit.Event
	for d, evs := range byDay {
		if d < d1 {
			before = append(before, evs...)
		}
	}
	if err := apply(before); err != nil {
		return err
	}
	w, err := segment.NewWatcher(ctx, reg, ix, (d1 - 1).Time(loc))
	if err != nil {
		return replayErr(err)
	}
	defer w.Close()
	sub := w.Subscribe(1 << 30)
	names := reg.Names()
	enc := json.NewEncoder(e.stdout)
	if c.summary {
		fmt.Fprintf(e.stdout, "%-10s  %-*s  %8s  %8s  %8s\n", "day", nameWidth(names), "segment", "entered", "left", "size")
	}
	sizes := map[string][]int{}
	for d := d1; d <= d2; d++ {
		// time first (the day's events are not yet there), then the events:
		// both are changes against day d-1, netted per customer below
		if err := w.Advance(ctx, d.Time(loc)); err != nil {
			return replayErr(err)
		}
		if err := apply(byDay[d]); err != nil {
			return err
		}
		if err := w.Sync(ctx); err != nil {
			return replayErr(err)
		}
		got, err := sub.Next(0)
		if err != nil {
			return err
		}
		net := netChanges(got)
		for _, name := range names {
			m, _ := w.Members(name)
			sizes[name] = append(sizes[name], m.Len())
		}
		if c.summary {
			counts := map[string][2]int{}
			for _, ch := range net {
				n := counts[ch.Segment]
				if ch.Kind == segment.Entered {
					n[0]++
				} else {
					n[1]++
				}
				counts[ch.Segment] = n
			}
			for _, name := range names {
				s := sizes[name]
				fmt.Fprintf(e.stdout, "%-10s  %-*s  %8d  %8d  %8d\n", d, nameWidth(names), name, counts[name][0], counts[name][1], s[len(s)-1])
			}
			continue
		}
		for _, ch := range net {
			if err := enc.Encode(replayLine{Day: d.String(), Segment: ch.Segment, ID: ch.Key, Change: ch.Kind.String()}); err != nil {
				return err
			}
		}
	}
	if c.svg != "" {
		f, err := os.Create(c.svg)
		if err != nil {
			return err
		}
		err = writeSizesSVG(f, names, sizes, d1, d2)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil
}

// writeSizesSVG draws each segment's daily size as a line.
func writeSizesSVG(w io.Writer, names []string, sizes map[string][]int, d1, d2 segkit.Day) error {
	const width, height, left, right, top, bottom = 720.0, 360.0, 60.0, 160.0, 30.0, 40.0
	maxSize := 1
	for _, s := range sizes {
		for _, n := range s {
			maxSize = max(maxSize, n)
		}
	}
	days := int(d2-d1) + 1
	x := func(i int) float64 {
		if days == 1 {
			return left
		}
		return left + float64(i)*(width-left-right)/float64(days-1)
	}
	y := func(n int) float64 { return height - bottom - float64(n)*(height-top-bottom)/float64(maxSize) }
	colors := []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="%s" font-size="12">`+"\n", width, height, width, height, html.EscapeString(chart.FontFamily))
	fmt.Fprintf(&b, `<text x="%g" y="18" font-size="14">Segment sizes by day, %s to %s</text>`+"\n", left, d1, d2)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#999"/>`+"\n", left, y(0), x(days-1), y(0))
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">0</text><text x="%g" y="%g" text-anchor="end">%d</text>`+"\n", left-6, y(0)+4, left-6, y(maxSize)+4, maxSize)
	fmt.Fprintf(&b, `<text x="%g" y="%g">%s</text><text x="%g" y="%g" text-anchor="end">%s</text>`+"\n", left, height-bottom+16, d1, x(days-1), height-bottom+16, d2)
	for i, name := range names {
		col := colors[i%len(colors)]
		var pts []string
		for j, n := range sizes[name] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(j), y(n)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		ly := top + 16*float64(i)
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g">%s</text>`+"\n", width-right+12, ly, col, width-right+26, ly+9, html.EscapeString(name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// netChanges keeps, per segment and customer, the change of a day that
// remains against the day before (an entry and an exit on one day cancel),
// sorted by segment and key.
func netChanges(cs []segment.Change) []segment.Change {
	type sk struct{ seg, key string }
	first := map[sk]segment.Change{}
	flips := map[sk]int{}
	for _, c := range cs {
		k := sk{c.Segment, c.Key}
		if _, ok := first[k]; !ok {
			first[k] = c
		}
		flips[k]++
	}
	var out []segment.Change
	for k, n := range flips {
		if n%2 == 1 {
			out = append(out, first[k])
		}
	}
	slices.SortFunc(out, func(a, b segment.Change) int {
		if c := strings.Compare(a.Segment, b.Segment); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

func nameWidth(names []string) int {
	w := 7
	for _, n := range names {
		w = max(w, len(n))
	}
	return w
}

func replayErr(err error) error {
	var el segment.ErrorList
	if errors.As(err, &el) {
		return &ruleError{err}
	}
	return err
}
