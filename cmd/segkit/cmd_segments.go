package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/segment"
)

// readDefinitions reads named segment definitions: either a registry as
// segment.Registry.MarshalJSON writes it, or a plain JSON array of
// definitions.
func readDefinitions(path string) (*segment.Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reg := segment.NewRegistry()
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "[") {
		var defs []segment.Definition
		dec := json.NewDecoder(strings.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&defs); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if err := reg.DefineAll(defs...); err != nil {
			return nil, defError(path, err)
		}
		return reg, nil
	}
	if err := reg.UnmarshalJSON(data); err != nil {
		return nil, defError(path, err)
	}
	return reg, nil
}

// defError marks rule errors in definitions as rule errors (exit 2).
func defError(path string, err error) error {
	var el segment.ErrorList
	var e *segment.Error
	var ce *segment.CycleError
	if errors.As(err, &el) || errors.As(err, &e) || errors.As(err, &ce) {
		return &ruleError{fmt.Errorf("%s: %w", path, err)}
	}
	return fmt.Errorf("%s: %w", path, err)
}

func init() {
	register(&command{
		name:    "segments",
		summary: "evaluate a file of named segment definitions together: sizes, overlaps and size warnings",
		usage:   "--defs FILE (--customers FILE [--events FILE] [--schema FILE] | --index SNAPSHOT) --now T [--format text|csv|json] [--min-size N] [--svg FILE]",
		example: `segkit segments --defs segments.json --index crm.segkit --now 2026-11-22
# segments.json: [{"name":"students","rule":"has(\"undergrad\")"},
#                 {"name":"recall","rule":"inSegment(\"students\") && !didWithin(\"login\",\"30d\")"}]`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var d dataFlags
			d.register(fs)
			defs := fs.String("defs", "", "segment definitions `FILE` (JSON: an array of {name, rule, description, static} or a saved registry)")
			now := fs.String("now", "", "evaluation time `T` (YYYY-MM-DD or RFC 3339)")
			format := fs.String("format", "text", "output `format`: text, csv (size per segment) or json (sizes and overlap matrix)")
			minSize := fs.Int("min-size", campaign.DefaultConfig().MinSize, "warn about segments smaller than `N`")
			svg := fs.String("svg", "", "write the segment sizes bar chart to this SVG `FILE`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				if *defs == "" {
					return usagef("--defs is required")
				}
				if err := checkFormat(*format, "text", "csv", "json"); err != nil {
					return err
				}
				if _, err := parseNow(*now, nil); err != nil {
					return err
				}
				reg, err := readDefinitions(*defs)
				if err != nil {
					return err
				}
				ix, err := d.load(ctx, e)
				if err != nil {
					return err
				}
				v := ix.View()
				t, _ := parseNow(*now, v.Location())
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
				cfg.MinSize = *minSize
				m, err := campaign.Overlap(segs, cfg)
				if err != nil {
					return err
				}
				if *svg != "" {
					c := chart.BarChart{Title: fmt.Sprintf("Segment sizes (%d customers)", v.Len())}
					for i, n := range m.Names {
						c.Bars = append(c.Bars, chart.Bar{Label: n, Value: float64(m.Sizes[i])})
					}
					if err := writeSVG(*svg, c); err != nil {
						return err
					}
				}
				switch *format {
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
		},
	})
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
