package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/clv"
)

// summaryCmd turns transactions into the customer summary the predictive
// models fit: frequency (x), recency (t_x), T and monetary value.
type summaryCmd struct {
	tx      txFlags
	now     timeFlag
	unit    string
	exclude excludeFlag
}

func (*summaryCmd) doc() doc {
	return doc{
		name:    "summary",
		summary: "turn transactions into the per-customer summary the predictive models fit: frequency (x), recency (t_x), T, monetary value",
		usage:   "--transactions CSV [--columns …] --now DATE [--unit weeks|days] [--exclude FROM..TO]…",
		example: `segkit summary --transactions transactions.csv --now 2026-06-30 > summary.csv
segkit fit bgnbd --summary summary.csv`,
	}
}

func (c *summaryCmd) flags(fs *flag.FlagSet) {
	c.tx.register(fs)
	nowVar(fs, &c.now, "now", "last `DATE` of the calibration period (YYYY-MM-DD), inclusive: T is measured up to it, later transactions are left out")
	fs.StringVar(&c.unit, "unit", "weeks", "`unit` of recency and T: weeks or days")
	c.exclude.register(fs, "purchases")
}

func (c *summaryCmd) run(ctx context.Context, e *env, args []string) error {
	table, err := summarize(e, "summary", &c.tx, &c.now, c.unit, c.exclude.periods)
	if err != nil {
		return err
	}
	return writeSummaryCSV(e.stdout, table)
}

// summarize reads transactions and summarises the purchases up to --now:
// refunds (negative amounts) are left out, as they are not purchase
// activity; what was left out is noted on stderr.
func summarize(e *env, cmdName string, tx *txFlags, now *timeFlag, unit string, exclude []segkit.Period) (*clv.SummaryTable, error) {
	var u clv.Unit
	switch unit {
	case "weeks":
		u = clv.Weeks
	case "days":
		u = clv.Days
	default:
		return nil, usagef("--unit %q: want weeks or days", unit)
	}
	end, err := now.day(time.UTC)
	if err != nil {
		return nil, err
	}
	txs, err := tx.read(time.UTC)
	if err != nil {
		return nil, err
	}
	purchases := txs.Filter(func(x segkit.Transaction) bool { return x.Amount >= 0 })
	table, err := clv.Summarize(slices.Values(purchases.Records), clv.SummaryConfig{CalibrationEnd: end, Unit: u, Exclude: exclude})
	if err != nil {
		return nil, purchases.Locate(err)
	}
	if len(table.Excluded) > 0 {
		fmt.Fprintf(e.stderr, "segkit %s: %s\n", cmdName, segkit.ExclusionSummary(table.Excluded, "purchases"))
	}
	if n := len(txs.Records) - len(purchases.Records); n > 0 {
		fmt.Fprintf(e.stderr, "segkit %s: %d refunds (negative amounts) left out\n", cmdName, n)
	}
	if table.Ignored > 0 {
		fmt.Fprintf(e.stderr, "segkit %s: %d transactions after %s left out\n", cmdName, table.Ignored, end)
	}
	if len(table.Customers) == 0 {
		return nil, fmt.Errorf("%s: no customer has a purchase on or before %s", txs.Name, end)
	}
	return table, nil
}

// writeSummaryCSV writes the summary with the column names 'segkit fit
// --summary' reads by default.
func writeSummaryCSV(w io.Writer, t *clv.SummaryTable) error {
	cw := csv.NewWriter(w)
	cols := clv.DefaultSummaryColumns()
	_ = cw.Write([]string{cols.ID, cols.Frequency, cols.Recency, cols.T, cols.Monetary})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, s := range t.Customers {
		_ = cw.Write([]string{s.Customer, strconv.Itoa(s.Frequency), f(s.Recency), f(s.T), f(s.Monetary)})
	}
	cw.Flush()
	return cw.Error()
}
