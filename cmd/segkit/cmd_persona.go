package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/persona"
	"github.com/segkit/segkit/segment"
)

// personaCmd is "segkit persona".
type personaCmd struct {
	d      dataFlags
	limits limitsFlag
	defs   string
	now    timeFlag
	top    int
	format string
	svg    string
}

func (*personaCmd) doc() doc {
	return doc{
		name:    "persona",
		summary: "assign personas (weighted rule conditions) to every customer and report sizes, overlaps and distinguishing traits",
		usage:   "--defs JSON (--customers FILE … | --index SNAPSHOT) --now T [--top K] [--format summary|csv|json] [--svg FILE]",
		example: `segkit persona --defs personas.json --index crm.segkit --now 2026-06-30 --format summary
# personas.json: {"personas": [{"name": "宝妈", "min_score": 2, "conditions": [
#   {"rule": "has(\"mother\")", "weight": 2}, {"rule": "gender == \"F\" && age in 25..38", "weight": 1}]}]}`,
	}
}

func (c *personaCmd) flags(fs *flag.FlagSet) {
	c.d.register(fs)
	fs.StringVar(&c.defs, "defs", "", "persona definitions `JSON` ({\"personas\": [{name, description, conditions: [{rule, weight}], min_score, priority}]})")
	c.limits.register(fs)
	nowVar(fs, &c.now, "now", "evaluation time `T` (YYYY-MM-DD or RFC 3339)")
	fs.IntVar(&c.top, "top", 1, "with --format csv or json: the best `K` personas per customer with their scores")
	fs.StringVar(&c.format, "format", "summary", "output `format`: summary (report with traits and lift), csv (customer_id,persona,score) or json")
	fs.StringVar(&c.svg, "svg", "", "write the persona sizes bar chart to this SVG `FILE`")
}

func (c *personaCmd) run(ctx context.Context, e *env, args []string) error {
	if c.defs == "" {
		return usagef("--defs is required")
	}
	if c.top < 1 {
		return usagef("--top must be at least 1")
	}
	if err := checkFormat(c.format, "summary", "csv", "json"); err != nil {
		return err
	}
	ds, err := dataio.ReadPersonasFile(c.defs)
	if err != nil {
		return err
	}
	v, t, err := c.d.loadAt(ctx, e, &c.now)
	if err != nil {
		return err
	}
	cfg := persona.DefaultConfig()
	cfg.Rules = append(cfg.Rules, c.limits.options(v)...)
	cat, err := persona.Compile(ds, cfg)
	if err != nil {
		return asRuleError(fmt.Errorf("%s: %w", c.defs, err))
	}
	// Warnings: a condition naming a tag, event or value no customer has.
	for _, d := range ds {
		for i, cond := range d.Conditions {
			if r, err := segment.Compile(cond.Rule, c.limits.options(v)...); err == nil {
				printWarnings(e, "persona", fmt.Sprintf("%s: persona %s, condition %d", c.defs, dataio.Quote(d.Name), i+1), r, v)
			}
		}
	}
	a, err := cat.Assign(ctx, v, t)
	if err != nil {
		return err
	}
	if c.svg != "" {
		bc := chart.BarChart{Title: fmt.Sprintf("Customers per persona (%s customers)", chart.Number(float64(v.Len())))}
		for _, name := range cat.Names() {
			m, _ := a.Members(name)
			bc.Bars = append(bc.Bars, chart.Bar{Label: name, Value: float64(m.Len())})
		}
		bc.Bars = append(bc.Bars, chart.Bar{Label: "(unassigned)", Value: float64(a.Unassigned().Len())})
		if err := writeSVG(c.svg, bc); err != nil {
			return err
		}
	}
	switch c.format {
	case "summary":
		rep, err := a.Report(persona.DefaultReportConfig())
		if err != nil {
			return err
		}
		return rep.WriteText(e.stdout)
	case "json":
		type pick struct {
			Persona string  `json:"persona"`
			Score   float64 `json:"score"`
		}
		type row struct {
			ID       string `json:"customer_id"`
			Personas []pick `json:"personas"`
		}
		var rows []row
		for id, scores := range a.Scores(c.top) {
			key, _ := v.Key(id)
			r := row{ID: key}
			for _, s := range scores {
				r.Personas = append(r.Personas, pick{s.Persona, s.Score})
			}
			rows = append(rows, r)
		}
		slices.SortFunc(rows, func(x, y row) int { return strings.Compare(x.ID, y.ID) })
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	type row struct {
		key, persona string
		rank         int
		score        float64
	}
	var rows []row
	for id, scores := range a.Scores(c.top) {
		key, _ := v.Key(id)
		for i, s := range scores {
			rows = append(rows, row{key, s.Persona, i + 1, s.Score})
		}
	}
	slices.SortFunc(rows, func(x, y row) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return x.rank - y.rank
	})
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"customer_id", "persona", "rank", "score"})
	for _, r := range rows {
		_ = w.Write([]string{r.key, r.persona, strconv.Itoa(r.rank), strconv.FormatFloat(r.score, 'f', -1, 64)})
	}
	w.Flush()
	return w.Error()
}
