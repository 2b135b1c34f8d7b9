package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/segment"
)

// segmentsCmd is "segkit segments".
type segmentsCmd struct {
	d       dataFlags
	limits  limitsFlag
	defs    string
	now     timeFlag
	format  string
	minSize int
	svg     string
}

func (*segmentsCmd) doc() doc {
	return doc{
		name:    "segments",
		summary: "evaluate a file of named segment definitions together: sizes, overlaps and size warnings",
		usage:   "--defs FILE (--customers FILE [--events FILE] [--schema FILE] | --index SNAPSHOT) --now T [--format text|csv|json] [--min-size N] [--svg FILE]",
		example: `segkit segments --defs segments.json --index crm.segkit --now 2026-11-22
# segments.json: [{"name":"students","rule":"has(\"undergrad\")"},
#                 {"name":"recall","rule":"inSegment(\"students\") && !didWithin(\"login\",\"30d\")"}]`,
	}
}

func (c *segmentsCmd) flags(fs *flag.FlagSet) {
	c.d.register(fs)
	c.limits.register(fs)
	fs.StringVar(&c.defs, "defs", "", "segment definitions `FILE` (JSON: an array of {name, rule, description, static}, or {\"segments\": [...]} as a saved registry)")
	nowVar(fs, &c.now, "now", "evaluation time `T` (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&c.format, "format", "text", "output `format`: text, csv (size per segment) or json (sizes and overlap matrix)")
	fs.IntVar(&c.minSize, "min-size", campaign.DefaultConfig().MinSize, "warn about segments smaller than `N`")
	fs.StringVar(&c.svg, "svg", "", "write the segment sizes bar chart to this SVG `FILE`")
}

func (c *segmentsCmd) run(ctx context.Context, e *env, args []string) error {
	if c.defs == "" {
		return usagef("--defs is required")
	}
	if err := checkFormat(c.format, "text", "csv", "json"); err != nil {
		return err
	}
	v, t, err := c.d.loadAt(ctx, e, &c.now)
	if err != nil {
		return err
	}
	opts := c.limits.options(v)
	reg := segment.NewRegistry(opts...)
	defs, err := dataio.DefineSegmentsFile(c.defs, reg, opts...)
	if err != nil {
		if dataio.IsRuleProblem(err) {
			return &ruleError{err}
		}
		return err
	}
	for _, d := range defs {
		if r, ok := reg.Rule(d.Name); ok {
			printWarnings(e, "segments", fmt.Sprintf("%s:%d: segment %s", c.defs, d.Line, dataio.Quote(d.Name)), r, v)
		}
	}
	sets, err := reg.EvalAll(ctx, v, t)
	if err != nil {
		var el segment.ErrorList
		if errors.As(err, &el) {
			return &ruleError{err}
		}
		return err
	}
	names := reg.Names()
	segs := make([]campaign.Segment, 0, len(names))
	for _, n := range names {
		segs = append(segs, campaign.Segment{Name: n, Members: sets[n]})
	}
	cfg := campaign.DefaultConfig()
	cfg.MinSize = c.minSize
	m, err := campaign.Overlap(segs, cfg)
	if err != nil {
		return err
	}
	if c.svg != "" {
		bc := chart.BarChart{Title: fmt.Sprintf("Segment sizes (%s customers; segments may overlap)", chart.Number(float64(v.Len()))), Total: float64(v.Len())}
		for i, n := range m.Names {
			bc.Bars = append(bc.Bars, chart.Bar{Label: n, Value: float64(m.Sizes[i])})
		}
		if err := writeSVG(c.svg, bc); err != nil {
			return err
		}
	}
	switch c.format {
	case "csv":
		w := csv.NewWriter(e.stdout)
		_ = w.Write([]string{"segment", "size", "share"})
		for i, n := range m.Names {
			_ = w.Write([]string{n, strconv.Itoa(m.Sizes[i]), strconv.FormatFloat(share(m.Sizes[i], v.Len()), 'f', 4, 64)})
		}
		w.Flush()
		return w.Error()
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		warnings := make([]string, 0, len(m.Warnings))
		for _, w := range m.Warnings {
			warnings = append(warnings, w.String())
		}
		return enc.Encode(struct {
			Customers int         `json:"customers"`
			Names     []string    `json:"segments"`
			Sizes     []int       `json:"sizes"`
			Shared    [][]int     `json:"shared"`
			Jaccard   [][]float64 `json:"jaccard"`
			Warnings  []string    `json:"warnings"`
		}{v.Len(), m.Names, m.Sizes, m.Shared, m.Jaccard, warnings})
	}
	return writeSegmentsText(e.stdout, v.Len(), reg, m)
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

func writeSegmentsText(w io.Writer, total int, reg *segment.Registry, m *campaign.OverlapMatrix) error {
	width := 7
	for _, n := range m.Names {
		width = max(width, len(n))
	}
	fmt.Fprintf(w, "%-*s  %9s  %6s  %s\n", width, "segment", "size", "share", "rule")
	for i, n := range m.Names {
		d, _ := reg.Get(n)
		fmt.Fprintf(w, "%-*s  %9d  %5.1f%%  %s\n", width, n, m.Sizes[i], 100*share(m.Sizes[i], total), d.Rule)
	}
	fmt.Fprintf(w, "(%d customers)\n\n", total)
	if _, err := m.WriteTo(w); err != nil {
		return err
	}
	return nil
}
