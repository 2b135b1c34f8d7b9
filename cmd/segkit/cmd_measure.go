package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/internal/dataio"
)

// outcomeRow is one line of an outcomes CSV: a customer, its group and the
// values of the requested columns.
type outcomeRow struct {
	key, group string
	values     []float64
	line       int
}

// readOutcomes reads an outcomes CSV with a header holding customer_id,
// group and the named value columns. Rate columns (rate[i]) accept 0/1,
// true/false and yes/no; the others finite numbers. Errors name
// file:line and the column.
func readOutcomes(name string, r io.Reader, cols []string, rate []bool) ([]outcomeRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file (want a header with customer_id,group,…)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	pos := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := pos[h]; dup {
			return nil, fmt.Errorf("%s:1: column %s appears twice", name, dataio.Quote(h))
		}
		pos[h] = i
	}
	need := append([]string{"customer_id", "group"}, cols...)
	idx := make([]int, len(need))
	for i, c := range need {
		p, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("%s:1: no column %s (the header has %s)", name, dataio.Quote(c), dataio.Quote(strings.Join(header, ",")))
		}
		idx[i] = p
	}
	var rows []outcomeRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: %d fields, the header has %d", name, line, len(rec), len(header))
		}
		row := outcomeRow{key: strings.TrimSpace(rec[idx[0]]), group: strings.TrimSpace(rec[idx[1]]), line: line}
		if row.key == "" {
			return nil, fmt.Errorf("%s:%d: customer_id is empty", name, line)
		}
		for j, c := range cols {
			s := strings.TrimSpace(rec[idx[j+2]])
			var v float64
			if rate[j] {
				switch strings.ToLower(s) {
				case "1", "true", "yes":
					v = 1
				case "0", "false", "no", "":
				default:
					return nil, fmt.Errorf("%s:%d: column %s: %s is not 0/1, true/false or yes/no", name, line, c, dataio.Quote(s))
				}
			} else {
				if s == "" {
					s = "0"
				}
				v, err = strconv.ParseFloat(s, 64)
				if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("%s:%d: column %s: %s is not a finite number", name, line, c, dataio.Quote(s))
				}
			}
			row.values = append(row.values, v)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no outcomes after the header", name)
	}
	return rows, nil
}

func readOutcomesFile(path string, cols []string, rate []bool) ([]outcomeRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOutcomes(path, f, cols, rate)
}

// parseMetrics parses "clicked:rate,converted:rate,revenue:mean".
func parseMetrics(s string) ([]campaign.Metric, error) {
	var ms []campaign.Metric
	for _, part := range strings.Split(s, ",") {
		name, kind, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || name == "" || (kind != "rate" && kind != "mean") {
			return nil, usagef("--metrics %q: want COLUMN:rate or COLUMN:mean, separated by commas", s)
		}
		m := campaign.Metric{Name: name, Kind: campaign.Rate}
		if kind == "mean" {
			m.Kind = campaign.Mean
		}
		if slices.ContainsFunc(ms, func(x campaign.Metric) bool { return x.Name == name }) {
			return nil, usagef("--metrics: %q twice", name)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// measureCmd is "segkit measure".
type measureCmd struct {
	outcomes string
	control  string
	metrics  string
	level    float64
}

func (*measureCmd) doc() doc {
	return doc{
		name:    "measure",
		summary: "read an experiment's outcomes on several metrics at once: rates (clicks, conversions) and means (revenue per customer, Welch), Holm-adjusted",
		usage:   "--outcomes CSV --control GROUP --metrics COL:rate|mean,… [--level 0.95]",
		example: `segkit measure --outcomes outcomes.csv --control holdout --metrics clicked:rate,converted:rate,revenue:mean`,
	}
}

func (c *measureCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.outcomes, "outcomes", "", "outcomes `CSV`: customer_id,group and one column per metric")
	fs.StringVar(&c.control, "control", "", "the control `GROUP` (holdout)")
	fs.StringVar(&c.metrics, "metrics", "", "the metric columns `COL:rate|mean,…` (rate: 0/1 per customer; mean: a number)")
	fs.Float64Var(&c.level, "level", 0.95, "confidence level of the intervals")
}

func (c *measureCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if c.outcomes == "" || c.control == "" || c.metrics == "" {
		return usagef("--outcomes, --control and --metrics are required")
	}
	ms, err := parseMetrics(c.metrics)
	if err != nil {
		return err
	}
	cols := make([]string, len(ms))
	rate := make([]bool, len(ms))
	for i, m := range ms {
		cols[i], rate[i] = m.Name, m.Kind == campaign.Rate
	}
	rows, err := readOutcomesFile(c.outcomes, cols, rate)
	if err != nil {
		return err
	}
	x := campaign.Experiment{Control: c.control, Metrics: ms}
	res, err := x.Run(func(yield func(campaign.Observation) bool) {
		for _, r := range rows {
			if !yield(campaign.Observation{Key: r.key, Group: r.group, Values: r.values}) {
				return
			}
		}
	}, c.level)
	if err != nil {
		return err
	}
	_, err = res.WriteTo(e.stdout)
	return err
}
