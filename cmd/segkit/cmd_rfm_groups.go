package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/internal/textwidth"
	"github.com/segkit/segkit/rfm"
)

// transitions is "segkit rfm --from D1": the A–E groups on D1 and on --now
// (with D1's thresholds) and how customers moved between them.
func (c *rfmCmd) transitions(e *env, now time.Time, cfg rfm.Config) error {
	from, err := c.from.day(time.UTC)
	if err != nil {
		return err
	}
	to := segkit.DayOf(now, time.UTC)
	if from >= to {
		return usagef("--from must be before --now")
	}
	if c.svgSeg != "" {
		return usagef("--svg-segments does not apply with --from; --svg draws the transitions")
	}
	txs, err := c.tx.read(time.UTC)
	if err != nil {
		return err
	}
	var keys []string
	if c.custs != "" {
		if keys, err = customerKeys(c.custs); err != nil {
			return err
		}
	}
	tr, g1, g2, err := rfm.TransitionReport(slices.Values(txs.Records), from.Time(time.UTC), to.Time(time.UTC), keys, cfg, rfm.AEConfig{})
	if err != nil {
		return txs.Locate(err)
	}
	if len(cfg.Exclude) > 0 {
		ex, err := segkit.NewExclusion(cfg.Exclude)
		if err != nil {
			return err
		}
		for _, t := range txs.Records {
			if d := segkit.DayOf(t.At, time.UTC); d <= to {
				ex.Drop(d)
			}
		}
		c.exclude.report(e, "rfm", ex.Report(), "transactions")
	}
	if c.svg != "" {
		if err := writeSVG(c.svg, tr); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "A–E groups: high frequency above %s purchases, high order value above %s (medians on %s)\n",
		num(g1.FrequencyAbove), num(g1.OrderValueAbove), from)
	for i, g := range rfm.AllAEGroups {
		fmt.Fprintf(e.stdout, "  %s %s %-11s %8d → %8d\n", g.Letter(), textwidth.Pad(g.Name(), 10), g.Alias(), g1.Counts[i], g2.Counts[i])
	}
	fmt.Fprintln(e.stdout)
	return tr.WriteText(e.stdout)
}

func num(f float64) string { return fmt.Sprintf("%.4g", f) }

// customerKeys reads the ids of a customers JSON Lines file.
func customerKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var keys []string
	for cu, err := range dataio.NewCustomerReader(path, f, nil).All() {
		if err != nil {
			return nil, err
		}
		keys = append(keys, cu.ID)
	}
	return keys, nil
}
