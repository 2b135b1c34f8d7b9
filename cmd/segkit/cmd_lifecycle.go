package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/lifecycle"
)

// fitModel fits the named model on summaries.
func fitModel(name string, data []lifecycle.Summary) (lifecycle.PurchaseModel, *lifecycle.GammaGamma, lifecycle.FitReport, error) {
	cfg := lifecycle.DefaultFitConfig()
	switch name {
	case "bgnbd":
		m, rep, err := lifecycle.FitBGNBD(data, cfg)
		return m, nil, rep, err
	case "mbgnbd":
		m, rep, err := lifecycle.FitMBGNBD(data, cfg)
		return m, nil, rep, err
	case "paretonbd":
		m, rep, err := lifecycle.FitParetoNBD(data, cfg)
		return m, nil, rep, err
	case "gammagamma":
		g, rep, err := lifecycle.FitGammaGamma(data, cfg)
		return nil, &g, rep, err
	}
	return nil, nil, lifecycle.FitReport{}, usagef("unknown model %q: want bgnbd, mbgnbd, paretonbd or gammagamma", name)
}

func init() {
	register(&command{
		name:    "fit",
		summary: "fit a predictive model (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) to a customer summary CSV",
		usage:   "bgnbd|mbgnbd|paretonbd|gammagamma --summary CSV [--columns frequency=…,recency=…,T=…,monetary=…]",
		example: "segkit fit bgnbd --summary cdnow_summary.csv\nsegkit fit gammagamma --summary cdnow_summary_with_monetary.csv --columns frequency=x,recency=t_x,monetary=zbar",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			summary := fs.String("summary", "", "summary `CSV` with a header (default columns frequency, recency, T, monetary_value)")
			columns := fs.String("columns", "", "map fields to other column names: `frequency=…,recency=…,T=…,monetary=…,id=…`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 || !slices.Contains([]string{"bgnbd", "mbgnbd", "paretonbd", "gammagamma"}, args[0]) {
					return usagef("name one model: bgnbd, mbgnbd, paretonbd or gammagamma")
				}
				if *summary == "" {
					return usagef("--summary is required")
				}
				cols := lifecycle.DefaultSummaryColumns()
				if *columns != "" {
					for _, part := range strings.Split(*columns, ",") {
						k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
						if !ok || v == "" {
							return usagef("--columns %q: want field=column pairs", *columns)
						}
						switch k {
						case "frequency":
							cols.Frequency = v
						case "recency":
							cols.Recency = v
						case "T":
							cols.T = v
						case "monetary":
							cols.Monetary = v
						case "id":
							cols.ID = v
						default:
							return usagef("--columns: unknown field %q (want frequency, recency, T, monetary, id)", k)
						}
					}
				}
				f, err := openFile(*summary)
				if err != nil {
					return err
				}
				data, err := lifecycle.ReadSummaryCSV(f, cols)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", *summary, err)
				}
				_, _, rep, err := fitModel(args[0], data)
				if err != nil {
					return err
				}
				params := map[string]float64{}
				for _, p := range rep.Params {
					params[p.Name] = p.Value
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Model      string             `json:"model"`
					N          int                `json:"n"`
					Params     map[string]float64 `json:"params"`
					LogLik     float64            `json:"loglik"`
					Iterations int                `json:"iterations"`
					Converged  bool               `json:"converged"`
				}{rep.Model, rep.N, params, rep.LogLik, rep.Iterations, rep.Converged})
			}
		},
	})
	register(&command{
		name:    "lifecycle",
		summary: "assign lifecycle stages (new, growing, mature, at risk, sleeping, churned, reactivated) with reasons, P(alive) and expected purchases",
		usage:   "--transactions CSV [--columns …] --now DATE [--model rules|bgnbd|mbgnbd|paretonbd] [--horizon DAYS] [--from DATE] [--format csv|json|summary] [--svg FILE]",
		example: "segkit lifecycle --transactions transactions.csv --now 2026-07-01 --model bgnbd --format summary",
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var tx txFlags
			tx.register(fs)
			now := fs.String("now", "", "as-of `DATE` (YYYY-MM-DD): later transactions are ignored")
			model := fs.String("model", "rules", "stage rules: `rules` (each customer's own rhythm, population fallback) or a model (bgnbd, mbgnbd, paretonbd: stages from P(alive))")
			probModel := fs.String("predict", "bgnbd", "model for the P(alive) and expected-purchases columns when --model is rules: `bgnbd`, mbgnbd or paretonbd")
			horizon := fs.Int("horizon", 90, "expected purchases over the next `DAYS` days")
			from := fs.String("from", "", "also compare with the stages at this earlier `DATE` (transition matrix)")
			format := fs.String("format", "csv", "output `format`: csv (one row per customer), json, or summary (counts per stage, transitions)")
			svg := fs.String("svg", "", "write the stage sizes bar chart to this SVG `FILE`")
			svgT := fs.String("svg-transitions", "", "with --from: write the stage transition matrix to this SVG `FILE`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				if err := checkFormat(*format, "csv", "json", "summary"); err != nil {
					return err
				}
				t, err := parseNow(*now, time.UTC)
				if err != nil {
					return err
				}
				asOf := segkit.DayOf(t, time.UTC)
				if *horizon <= 0 {
					return usagef("--horizon must be positive")
				}
				pm := *probModel
				if *model != "rules" {
					pm = *model
				}
				if !slices.Contains([]string{"bgnbd", "mbgnbd", "paretonbd"}, pm) {
					return usagef("--model/--predict %q: want rules, bgnbd, mbgnbd or paretonbd", pm)
				}
				var fromDay segkit.Day
				if *from != "" {
					ft, err := parseNow(*from, time.UTC)
					if err != nil {
						return err
					}
					fromDay = segkit.DayOf(ft, time.UTC)
					if fromDay >= asOf {
						return usagef("--from must be before --now")
					}
				} else if *svgT != "" {
					return usagef("--svg-transitions needs --from")
				}
				txs, err := tx.read(time.UTC)
				if err != nil {
					return err
				}
				// The predictive model is fitted on the purchases (refunds are
				// not purchase activity) up to the as-of day, in weeks.
				purchases := slices.DeleteFunc(slices.Clone(txs), func(x segkit.Transaction) bool { return x.Amount < 0 })
				table, err := lifecycle.Summarize(slices.Values(purchases), lifecycle.SummaryConfig{CalibrationEnd: asOf, Unit: lifecycle.Weeks})
				if err != nil {
					return err
				}
				m, _, _, err := fitModel(pm, table.Customers)
				if err != nil {
					return err
				}
				hist, err := lifecycle.NewHistories(slices.Values(txs), nil, time.UTC)
				if err != nil {
					return err
				}
				cfg := lifecycle.DefaultConfig()
				if *model != "rules" {
					cfg.Family = lifecycle.Model
					cfg.PurchaseModel = m
					cfg.ModelUnit = lifecycle.Weeks
				}
				snap, err := hist.Stages(asOf, cfg)
				if err != nil {
					return err
				}
				preds, err := lifecycle.Predict(m, table.Customers, float64(*horizon)/7)
				if err != nil {
					return err
				}
				pred := make(map[string]lifecycle.Prediction, len(preds))
				for _, p := range preds {
					pred[p.Customer] = p
				}
				var trans *lifecycle.Transitions
				if *from != "" {
					before, err := hist.Stages(fromDay, cfg)
					if err != nil {
						return err
					}
					if trans, err = lifecycle.Compare(before, snap); err != nil {
						return err
					}
				}
				if *svg != "" {
					c := chart.BarChart{Title: "Customers per lifecycle stage at " + asOf.String()}
					for _, st := range lifecycle.AllStages() {
						c.Bars = append(c.Bars, chart.Bar{Label: st.Label(), Value: float64(snap.Count(st))})
					}
					if err := writeSVG(*svg, c); err != nil {
						return err
					}
				}
				if trans != nil && *svgT != "" {
					if err := writeSVG(*svgT, transitionHeatmap(trans)); err != nil {
						return err
					}
				}
				switch *format {
				case "summary":
					fmt.Fprintf(e.stdout, "lifecycle stages at %s (%s rules, predictions %s)\n", asOf, cfg.Family, m.Name())
					for _, st := range lifecycle.AllStages() {
						fmt.Fprintf(e.stdout, "  %-12s %8d  %s\n", st.String(), snap.Count(st), st.Chinese())
					}
					if trans != nil {
						fmt.Fprintf(e.stdout, "\ntransitions %s → %s\n", fromDay, asOf)
						return trans.WriteTable(e.stdout)
					}
					return nil
				case "json":
					type row struct {
						ID       string   `json:"customer_id"`
						Stage    string   `json:"stage"`
						Reason   string   `json:"reason"`
						PAlive   *float64 `json:"p_alive"`
						Expected *float64 `json:"expected_purchases"`
					}
					rows := make([]row, 0, len(snap.Assignments))
					for _, a := range snap.Assignments {
						r := row{ID: a.Customer, Stage: a.Stage.String(), Reason: a.Reason.String()}
						if p, ok := pred[a.Customer]; ok {
							pa, ex := p.PAlive, p.ExpectedPurchases
							r.PAlive, r.Expected = &pa, &ex
						}
						rows = append(rows, r)
					}
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(struct {
						AsOf   string             `json:"as_of"`
						Model  string             `json:"model"`
						Params map[string]float64 `json:"params"`
						Rows   []row              `json:"customers"`
					}{asOf.String(), m.Name(), paramMap(m.Params()), rows})
				}
				w := csv.NewWriter(e.stdout)
				_ = w.Write([]string{"customer_id", "stage", "reason", "p_alive", "expected_purchases"})
				for _, a := range snap.Assignments {
					pa, ex := "", ""
					if p, ok := pred[a.Customer]; ok {
						pa, ex = fmtFloat(p.PAlive), fmtFloat(p.ExpectedPurchases)
					}
					_ = w.Write([]string{a.Customer, a.Stage.String(), a.Reason.String(), pa, ex})
				}
				w.Flush()
				return w.Error()
			}
		},
	})
}

func paramMap(ps []lifecycle.Param) map[string]float64 {
	m := make(map[string]float64, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func transitionHeatmap(t *lifecycle.Transitions) chart.Heatmap {
	stages := append([]lifecycle.Stage{lifecycle.StageNone}, lifecycle.AllStages()...)
	h := chart.Heatmap{Title: fmt.Sprintf("Lifecycle transitions %s → %s", t.From, t.To), RowTitle: "from", ColTitle: "to"}
	label := func(s lifecycle.Stage) string {
		if s == lifecycle.StageNone {
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
	return h
}
