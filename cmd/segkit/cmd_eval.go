package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"

	"github.com/segkit/segkit/segment"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "evaluate one rule and print the matching customers (ids), their number (count) or both (json)",
		usage:   "(--customers FILE [--events FILE] [--schema FILE] | --index SNAPSHOT) --now T --rule R [--format ids|count|json] [--explain]",
		example: `segkit eval --customers customers.jsonl --events events.jsonl --now 2026-11-22 \
  --rule 'has("undergrad") && age in 18..24 && !didWithin("purchase","30d")' --format count`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var d dataFlags
			d.register(fs)
			now := fs.String("now", "", "evaluation time `T` (YYYY-MM-DD or RFC 3339); windows end on this day")
			rule := fs.String("rule", "", "the `RULE` in segkit's rule language")
			format := fs.String("format", "ids", "output `format`: ids (keys in byte order, one per line), count, or json")
			explain := fs.Bool("explain", false, "print the evaluated plan with each node's member count to stderr")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q (quote the rule and pass it with --rule)", args)
				}
				if *rule == "" {
					return usagef("--rule is required")
				}
				if err := checkFormat(*format, "ids", "count", "json"); err != nil {
					return err
				}
				if _, err := parseNow(*now, nil); err != nil {
					return err
				}
				ix, err := d.load(ctx, e)
				if err != nil {
					return err
				}
				v := ix.View()
				t, err := parseNow(*now, v.Location())
				if err != nil {
					return err
				}
				r, err := compileRule(*rule, segment.WithSchema(v.Schema()))
				if err != nil {
					return err
				}
				if *explain {
					plan, err := r.Explain(ctx, v, t)
					if err != nil {
						return err
					}
					fmt.Fprint(e.stderr, plan)
				}
				if *format == "count" {
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
				if *format == "json" {
					enc := json.NewEncoder(e.stdout)
					return enc.Encode(struct {
						Rule  string   `json:"rule"`
						Now   string   `json:"now"`
						Count int      `json:"count"`
						IDs   []string `json:"ids"`
					}{*rule, t.Format("2006-01-02T15:04:05Z07:00"), len(keys), keys})
				}
				bw := newLineWriter(e.stdout)
				for _, k := range keys {
					bw.line(k)
				}
				return bw.flush()
			}
		},
	})
}
