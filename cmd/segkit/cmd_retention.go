package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segkit/segkit/internal/atomicfile"
	"github.com/segkit/segkit/retention"
)

// retentionCmd is "segkit retention".
type retentionCmd struct {
	tx          txFlags
	d           dataFlags
	now, from   timeFlag
	period      string
	cohortEvent string
	cohortAttr  string
	event       string
	by          string
	maxPeriods  int
	format      string
	svg         string
}

func (*retentionCmd) doc() doc {
	return doc{
		name:    "retention",
		summary: "cohort retention (留存) by day, week or month: from transactions (repeat purchases) or from an index's events",
		usage: "--transactions CSV [--columns …] --period P [--format text|csv] [--svg FILE]\n" +
			"  or (--customers FILE … | --index SNAPSHOT) (--cohort-event E | --cohort-attribute A) --event E --from D --now T --period P [--by ATTR] [--max-periods N]",
		example: `segkit retention --transactions orders.csv --period month --format csv
segkit retention --index crm.segkit --cohort-event signup --event login --period week --from 2026-01-01 --now 2026-06-30 --by source --svg retention.svg`,
	}
}

func (c *retentionCmd) flags(fs *flag.FlagSet) {
	c.tx.register(fs)
	c.d.register(fs)
	nowVar(fs, &c.now, "now", "last day of the data `T` (index mode)")
	nowVar(fs, &c.from, "from", "first cohort's day `D` (index mode)")
	fs.StringVar(&c.period, "period", "month", "cohort and period length: day, week (ISO, Monday first) or month")
	fs.StringVar(&c.cohortEvent, "cohort-event", "", "a customer's cohort is the period of its first `EVENT` (index mode)")
	fs.StringVar(&c.cohortAttr, "cohort-attribute", "", "a customer's cohort is the period of this time `ATTRIBUTE` (index mode)")
	fs.StringVar(&c.event, "event", "", "the `EVENT` that makes a customer active in a period (index mode)")
	fs.StringVar(&c.by, "by", "", "break the matrix down by this category `ATTRIBUTE` (index mode)")
	fs.IntVar(&c.maxPeriods, "max-periods", 0, "report at most `N` periods after each cohort (0: all)")
	fs.StringVar(&c.format, "format", "text", "output `format`: text (the matrix) or csv (cohort,size,period,retained,share)")
	fs.StringVar(&c.svg, "svg", "", "write the triangle heatmap to this SVG `FILE`")
}

func (c *retentionCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if err := checkFormat(c.format, "text", "csv"); err != nil {
		return err
	}
	period, err := retention.ParsePeriod(c.period)
	if err != nil {
		return usagef("--period %q: want day, week or month", c.period)
	}
	if c.maxPeriods < 0 {
		return usagef("--max-periods %d: want 0 (all) or more", c.maxPeriods)
	}
	var m *retention.Matrix
	title := ""
	if c.tx.path != "" {
		if c.d.customers != "" || c.d.index != "" || c.d.events != "" || c.cohortEvent != "" || c.cohortAttr != "" || c.event != "" || c.by != "" {
			return usagef("--transactions computes repeat-purchase retention alone: drop the index flags")
		}
		txs, err := c.tx.read(time.UTC)
		if err != nil {
			return err
		}
		if m, err = retention.FromTransactions(ctx, slices.Values(txs.Records), period, time.UTC); err != nil {
			return err
		}
		title = fmt.Sprintf("repeat-purchase retention by %s of first purchase", period)
	} else {
		if c.event == "" || (c.cohortEvent == "") == (c.cohortAttr == "") {
			return usagef("give --transactions, or an index with --event and one of --cohort-event, --cohort-attribute")
		}
		if err := c.now.required(); err != nil {
			return err
		}
		if err := c.from.required(); err != nil {
			return err
		}
		ix, err := c.d.load(ctx, e)
		if err != nil {
			return err
		}
		v := ix.View()
		through, err := c.now.day(v.Location())
		if err != nil {
			return err
		}
		from, err := c.from.day(v.Location())
		if err != nil {
			return err
		}
		if m, err = retention.Compute(ctx, v, retention.Config{
			Period: period, CohortEvent: c.cohortEvent, CohortAttribute: c.cohortAttr, ActiveEvent: c.event,
			From: from, Through: through, MaxPeriods: c.maxPeriods, By: c.by,
		}); err != nil {
			return usagef("%v", err)
		}
		cohort := c.cohortEvent
		if cohort == "" {
			cohort = c.cohortAttr
		}
		title = fmt.Sprintf("%s retention: %s cohorts, active = %s", period, cohort, c.event)
	}
	if c.maxPeriods > 0 && c.tx.path != "" {
		for i := range m.Cohorts {
			row := &m.Cohorts[i]
			n := min(len(row.Retained), c.maxPeriods)
			row.Retained, row.Share, row.Complete = row.Retained[:n], row.Share[:n], row.Complete[:n]
		}
		m.Overall = m.Overall[:min(len(m.Overall), c.maxPeriods)]
	}
	if len(m.Cohorts) == 0 {
		return fmt.Errorf("retention: no cohort in the data")
	}
	if c.svg != "" {
		if err := atomicfile.WriteFile(c.svg, func(w io.Writer) error { return m.WriteSVG(w, title) }); err != nil {
			return err
		}
	}
	if c.format == "csv" {
		return m.WriteCSV(e.stdout)
	}
	return m.WriteText(e.stdout)
}
