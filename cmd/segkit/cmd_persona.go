package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/persona"
	"github.com/segkit/segkit/segment"
)

func init() {
	register(&command{
		name:    "persona",
		summary: "assign personas (weighted rule conditions) to every customer and report sizes, overlaps and distinguishing traits",
		usage:   "--defs JSON (--customers FILE … | --index SNAPSHOT) --now T [--top K] [--format summary|csv|json] [--svg FILE]",
		example: `segkit persona --defs personas.json --index crm.segkit --now 2026-06-30 --format summary
# personas.json: {"personas": [{"name": "宝妈", "min_score": 2, "conditions": [
#   {"rule": "has(\"mother\")", "weight": 2}, {"rule": "gender == \"F\" && age in 25..38", "weight": 1}]}]}`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var d dataFlags
			d.register(fs)
			defs := fs.String("defs", "", "persona definitions `JSON` ({\"personas\": [{name, description, conditions: [{rule, weight}], min_score, priority}]})")
			now := fs.String("now", "", "evaluation time `T` (YYYY-MM-DD or RFC 3339)")
			top := fs.Int("top", 1, "with --format csv or json: the best `K` personas per customer with their scores")
			format := fs.String("format", "summary", "output `format`: summary (report with traits and lift), csv (customer_id,persona,score) or json")
			svg := fs.String("svg", "", "write the persona sizes bar chart to this SVG `FILE`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				if *defs == "" {
					return usagef("--defs is required")
				}
				if *top < 1 {
					return usagef("--top must be at least 1")
				}
				if err := checkFormat(*format, "summary", "csv", "json"); err != nil {
					return err
				}
				if _, err := parseNow(*now, nil); err != nil {
					return err
				}
				f, err := openFile(*defs)
				if err != nil {
					return err
				}
				ds, err := persona.ReadDefinitions(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", *defs, err)
				}
				ix, err := d.load(ctx, e)
				if err != nil {
					return err
				}
				v := ix.View()
				t, _ := parseNow(*now, v.Location())
				cfg := persona.DefaultConfig()
				cfg.Rules = append(cfg.Rules, segment.WithSchema(v.Schema()))
				cat, err := persona.Compile(ds, cfg)
				if err != nil {
					var el persona.ErrorList
					var pe *persona.Error
					if errors.As(err, &el) || errors.As(err, &pe) {
						return &ruleError{fmt.Errorf("%s: %w", *defs, err)}
					}
					return fmt.Errorf("%s: %w", *defs, err)
				}
				a, err := cat.Assign(ctx, v, t)
				if err != nil {
					return err
				}
				if *svg != "" {
					c := chart.BarChart{Title: fmt.Sprintf("Customers per persona (%d customers)", v.Len())}
					for _, name := range cat.Names() {
						m, _ := a.Members(name)
						c.Bars = append(c.Bars, chart.Bar{Label: name, Value: float64(m.Len())})
					}
					c.Bars = append(c.Bars, chart.Bar{Label: "(unassigned)", Value: float64(a.Unassigned().Len())})
					if err := writeSVG(*svg, c); err != nil {
						return err
					}
				}
				switch *format {
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
					for id, scores := range a.Scores(*top) {
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
				for id, scores := range a.Scores(*top) {
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
		},
	})
}
