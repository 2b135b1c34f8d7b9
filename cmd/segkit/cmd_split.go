package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/campaign"
)

// parseGroups parses "A=0.45,B=0.45,holdout=0.1".
func parseGroups(s string) ([]campaign.Group, error) {
	var gs []campaign.Group
	for _, part := range strings.Split(s, ",") {
		name, r, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, usagef("--groups %q: want NAME=RATIO pairs separated by commas", s)
		}
		ratio, err := strconv.ParseFloat(r, 64)
		if err != nil || math.IsNaN(ratio) {
			return nil, usagef("--groups: group %q: ratio %q is not a number", name, r)
		}
		gs = append(gs, campaign.Group{Name: name, Ratio: ratio})
	}
	return gs, nil
}

// splitCmd is "segkit split".
type splitCmd struct {
	d      dataFlags
	now    timeFlag
	limits limitsFlag
	rule   string
	groups string
	salt   string
	format string
}

func (*splitCmd) doc() doc {
	return doc{
		name:    "split",
		summary: "split a segment into A/B/n groups and a holdout, deterministically by key and salt",
		usage:   "--rule R --groups A=0.45,B=0.45,holdout=0.1 --salt S (--customers FILE … | --index SNAPSHOT) --now T [--format csv|count]",
		example: `segkit split --index crm.segkit --now 2026-11-22 --rule 'has("mother") && !didWithin("purchase","30d")' \
  --groups A=0.45,B=0.45,holdout=0.1 --salt side-income-2026-11`,
	}
}

func (c *splitCmd) flags(fs *flag.FlagSet) {
	c.d.register(fs)
	c.limits.register(fs)
	nowVar(fs, &c.now, "now", "evaluation time `T` (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&c.rule, "rule", "", "the segment's `RULE`")
	fs.StringVar(&c.groups, "groups", "", "groups and ratios `NAME=RATIO,…`; ratios must sum to 1")
	fs.StringVar(&c.salt, "salt", "", "the experiment's `SALT`: the same salt keeps every customer in its group")
	fs.StringVar(&c.format, "format", "csv", "output `format`: csv (customer_id,group sorted by id) or count (size per group)")
}

func (c *splitCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if c.rule == "" || c.groups == "" || c.salt == "" {
		return usagef("--rule, --groups and --salt are required")
	}
	if err := checkFormat(c.format, "csv", "count"); err != nil {
		return err
	}
	gs, err := parseGroups(c.groups)
	if err != nil {
		return err
	}
	sp, err := campaign.NewSplitter(c.salt, gs...)
	if err != nil {
		return usagef("%v", err)
	}
	if err := c.now.required(); err != nil {
		return err
	}
	ix, err := c.d.load(ctx, e)
	if err != nil {
		return err
	}
	v := ix.View()
	t, err := c.now.in(v.Location())
	if err != nil {
		return err
	}
	r, err := compileRule(c.rule, c.limits.options(v)...)
	if err != nil {
		return err
	}
	printWarnings(e, "split", "", r, v)
	members, err := r.Eval(ctx, v, t)
	if err != nil {
		return err
	}
	split, err := sp.Split(v, members)
	if err != nil {
		return err
	}
	if c.format == "count" {
		fmt.Fprintf(e.stdout, "%-12s %10s %8s %8s\n", "group", "size", "ratio", "z")
		for _, g := range split.Groups {
			fmt.Fprintf(e.stdout, "%-12s %10d %8.4f %8.2f\n", g.Name, g.Size, g.Ratio, g.Deviation)
		}
		fmt.Fprintf(e.stdout, "%-12s %10d\n", "total", split.Total)
		return nil
	}
	type row struct{ key, group string }
	rows := make([]row, 0, split.Total)
	for _, g := range split.Groups {
		for k := range g.Members.Keys() {
			rows = append(rows, row{k, g.Name})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.key, b.key) })
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"customer_id", "group"})
	for _, r := range rows {
		_ = w.Write([]string{r.key, r.group})
	}
	w.Flush()
	return w.Error()
}
