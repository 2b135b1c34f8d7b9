package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/segkit/segkit/clv"
	"github.com/segkit/segkit/internal/dataio"
)

var fitModels = []string{"bgnbd", "mbgnbd", "paretonbd", "gammagamma"}

// fitModel fits the named model on summaries.
func fitModel(name string, data []clv.Summary) (clv.PurchaseModel, *clv.GammaGamma, clv.FitReport, error) {
	cfg := clv.DefaultFitConfig()
	switch name {
	case "bgnbd":
		m, rep, err := clv.FitBGNBD(data, cfg)
		return m, nil, rep, err
	case "mbgnbd":
		m, rep, err := clv.FitMBGNBD(data, cfg)
		return m, nil, rep, err
	case "paretonbd":
		m, rep, err := clv.FitParetoNBD(data, cfg)
		return m, nil, rep, err
	case "gammagamma":
		g, rep, err := clv.FitGammaGamma(data, cfg)
		return nil, &g, rep, err
	}
	return nil, nil, clv.FitReport{}, usagef("unknown model %q: want bgnbd, mbgnbd, paretonbd or gammagamma", name)
}

// fitCmd fits a predictive model to a customer summary.
type fitCmd struct {
	summary string
	columns string
	tx      txFlags
	now     timeFlag
	unit    string
}

func (*fitCmd) takesArgs() {}

func (*fitCmd) doc() doc {
	return doc{
		name:    "fit",
		summary: "fit a predictive model (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) to transactions or a customer summary CSV",
		usage:   "bgnbd|mbgnbd|paretonbd|gammagamma (--transactions CSV --now DATE [--unit weeks|days] | --summary CSV) [--columns …]",
		example: "segkit fit bgnbd --transactions transactions.csv --now 2026-06-30\nsegkit fit bgnbd --summary cdnow_summary.csv\nsegkit fit gammagamma --summary cdnow_summary_with_monetary.csv --columns frequency=x,recency=t_x,monetary=zbar",
	}
}

func (c *fitCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.summary, "summary", "", "summary `CSV` with a header (default columns frequency, recency, T, monetary_value), as 'segkit summary' writes")
	fs.StringVar(&c.tx.path, "transactions", "", "transactions `CSV` (customer_id,date,amount), summarised up to --now as 'segkit summary' does")
	fs.StringVar(&c.columns, "columns", "", "map fields to other column names: `NAME=COLUMN,…`; for --summary frequency, recency, T, monetary, id; for --transactions id, time, amount")
	nowVar(fs, &c.now, "now", "with --transactions: last `DATE` of the calibration period (YYYY-MM-DD)")
	fs.StringVar(&c.unit, "unit", "weeks", "with --transactions: `unit` of recency and T, weeks or days")
}

func (c *fitCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 || !slices.Contains(fitModels, args[0]) {
		return usagef("name one model: bgnbd, mbgnbd, paretonbd or gammagamma")
	}
	var data []clv.Summary
	switch {
	case (c.summary == "") == (c.tx.path == ""):
		return usagef("give --transactions (with --now) or --summary")
	case c.tx.path != "":
		c.tx.columns = c.columns
		table, err := summarize(e, "fit", &c.tx, &c.now, c.unit, nil)
		if err != nil {
			return err
		}
		data = table.Customers
	default:
		if c.now.set() {
			return usagef("--now applies to --transactions; a summary is already cut at its calibration end")
		}
		cols, err := summaryColumns(c.columns)
		if err != nil {
			return err
		}
		f, err := os.Open(c.summary)
		if err != nil {
			return err
		}
		data, err = clv.ReadSummaryCSV(f, cols)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.summary, err)
		}
	}
	_, _, rep, err := fitModel(args[0], data)
	if err != nil {
		return err
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
	}{rep.Model, rep.N, paramMap(rep.Params), rep.LogLik, rep.Iterations, rep.Converged})
}

// summaryColumns maps --columns onto the summary reader's column names.
func summaryColumns(s string) (clv.SummaryColumns, error) {
	cols := clv.DefaultSummaryColumns()
	m, err := dataio.ParseColumns(s, "frequency", "recency", "T", "monetary", "id")
	if err != nil {
		return cols, usagef("%v", err)
	}
	for k, v := range m {
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
		}
	}
	return cols, nil
}

func paramMap(ps []clv.Param) map[string]float64 {
	m := make(map[string]float64, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}
