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
	design designFlags
}

// designFlags declare the effect a split must be able to detect; split warns
// when its groups are too small for it.
type designFlags struct {
	baseline, mde, alpha, power float64
	control                     string
}

func (d *designFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&d.mde, "mde", 0, "minimum detectable effect, an absolute difference of conversion rates (`0.02` = +2 points): warn when a group is too small to detect it")
	fs.Float64Var(&d.baseline, "baseline", 0, "the control group's expected conversion `RATE` (with --mde)")
	fs.Float64Var(&d.alpha, "alpha", 0.05, "two-sided significance level (with --mde)")
	fs.Float64Var(&d.power, "power", 0.8, "power to detect the effect (with --mde)")
	fs.StringVar(&d.control, "control", "", "the control `GROUP` the others are compared with (default: holdout when there is one, else the first group)")
}

// check warns on stderr about every group too small to detect the MDE
// against the control group.
func (d *designFlags) check(e *env, split *campaign.Split) error {
	if d.mde == 0 {
		if d.baseline != 0 || d.control != "" {
			return usagef("--baseline and --control go with --mde")
		}
		return nil
	}
	if d.baseline == 0 {
		return usagef("--mde needs --baseline (the control's expected conversion rate)")
	}
	control := d.control
	if control == "" {
		control = split.Groups[0].Name
		for _, g := range split.Groups {
			if g.Name == "holdout" {
				control = g.Name
			}
		}
	}
	var ctrl *campaign.SplitGroup
	for i := range split.Groups {
		if split.Groups[i].Name == control {
			ctrl = &split.Groups[i]
		}
	}
	if ctrl == nil {
		return usagef("--control %q is not one of the groups", control)
	}
	for _, g := range split.Groups {
		if g.Name == control {
			continue
		}
		des := campaign.Design{Baseline: d.baseline, MDE: d.mde, Alpha: d.alpha, Power: d.power}
		if ctrl.Size > 0 {
			des.Ratio = float64(g.Size) / float64(ctrl.Size)
		}
		if g.Size == 0 || ctrl.Size == 0 {
			fmt.Fprintf(e.stderr, "segkit split: warning: group %q or control %q is empty: nothing can be detected\n", g.Name, control)
			continue
		}
		p, err := des.PowerFor(ctrl.Size, g.Size)
		if err != nil {
			return usagef("%v", err)
		}
		if p >= des.Power {
			continue
		}
		need, err := des.SampleSize()
		if err != nil {
			return usagef("%v", err)
		}
		msg := fmt.Sprintf("group %q (%d) against %q (%d) has power %.2f for an effect of %+.2f points; power %.2f needs %d and %d",
			g.Name, g.Size, control, ctrl.Size, p, d.mde*100, des.Power, need.Treatment, need.Control)
		if mde, err := des.DetectableEffect(g.Size + ctrl.Size); err == nil {
			msg += fmt.Sprintf("; these sizes detect +%.2f points", mde*100)
		}
		fmt.Fprintf(e.stderr, "segkit split: warning: %s\n", msg)
	}
	return nil
}

func (*splitCmd) doc() doc {
	return doc{
		name:    "split",
		summary: "split a segment into A/B/n groups and a holdout, deterministically by key and salt",
		usage:   "--rule R --groups A=0.45,B=0.45,holdout=0.1 --salt S (--customers FILE … | --index SNAPSHOT) --now T [--format csv|count] [--mde D --baseline P [--alpha A] [--power B] [--control G]]",
		example: `segkit split --index crm.segkit --now 2026-11-22 --rule 'has("mother") && !didWithin("purchase","30d")' \
  --groups A=0.45,B=0.45,holdout=0.1 --salt side-income-2026-11 --baseline 0.04 --mde 0.01`,
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
	c.design.register(fs)
}

func (c *splitCmd) run(ctx context.Context, e *env, args []string) error {
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
	v, t, err := c.d.loadAt(ctx, e, &c.now)
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
	if err := c.design.check(e, split); err != nil {
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
