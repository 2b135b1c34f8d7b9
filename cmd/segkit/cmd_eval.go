package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
)

// evalCmd evaluates one rule.
type evalCmd struct {
	data    dataFlags
	now     timeFlag
	limits  limitsFlag
	rule    string
	format  string
	explain bool
}

func (*evalCmd) doc() doc {
	return doc{
		name:    "eval",
		summary: "evaluate one rule and print the matching customers (ids), their number (count) or both (json)",
		usage:   "(--customers FILE [--events FILE] [--schema FILE] | --index SNAPSHOT) --now T --rule R [--format ids|count|json] [--explain]",
		example: `segkit eval --customers customers.jsonl --events events.jsonl --now 2026-11-22 \
  --rule 'has("undergrad") && age in 18..24 && !didWithin("purchase","30d")' --format count`,
	}
}

func (c *evalCmd) flags(fs *flag.FlagSet) {
	c.data.register(fs)
	nowVar(fs, &c.now, "now", "evaluation time `T` (YYYY-MM-DD or RFC 3339); windows end on this day")
	c.limits.register(fs)
	fs.StringVar(&c.rule, "rule", "", "the `RULE` in segkit's rule language")
	fs.StringVar(&c.format, "format", "ids", "output `format`: ids (keys in byte order, one per line), count, or json")
	fs.BoolVar(&c.explain, "explain", false, "print the evaluated plan with each node's member count (and the rule's warnings) to stderr")
}

func (c *evalCmd) run(ctx context.Context, e *env, args []string) error {
	if c.rule == "" {
		return usagef("--rule is required")
	}
	if err := checkFormat(c.format, "ids", "count", "json"); err != nil {
		return err
	}
	v, t, err := c.data.loadAt(ctx, e, &c.now)
	if err != nil {
		return err
	}
	r, err := compileRule(c.rule, c.limits.options(v)...)
	if err != nil {
		return err
	}
	printWarnings(e, "eval", "", r, v)
	if c.explain {
		plan, err := r.Explain(ctx, v, t)
		if err != nil {
			return err
		}
		fmt.Fprint(e.stderr, plan)
	}
	if c.format == "count" {
		n, err := r.Count(ctx, v, t)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, n)
		return nil
	}
	set, err := r.Eval(ctx, v, t)
	if err != nil {
		return err
	}
	keys := make([]string, 0, set.Len())
	for k := range set.Keys() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if c.format == "json" {
		return json.NewEncoder(e.stdout).Encode(struct {
			Rule  string   `json:"rule"`
			Now   string   `json:"now"`
			Count int      `json:"count"`
			IDs   []string `json:"ids"`
		}{c.rule, t.Format("2006-01-02T15:04:05Z07:00"), len(keys), keys})
	}
	bw := newLineWriter(e.stdout)
	for _, k := range keys {
		bw.line(k)
	}
	return bw.flush()
}
