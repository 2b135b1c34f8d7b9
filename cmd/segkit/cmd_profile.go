package main

import (
	"context"
	"flag"
	"io"

	"github.com/segkit/segkit/audience"
	"github.com/segkit/segkit/internal/atomicfile"
)

// profileCmd is "segkit profile".
type profileCmd struct {
	d      dataFlags
	now    timeFlag
	limits limitsFlag
	rule   string
	base   string
	format string
	top    int
	svg    string
}

func (*profileCmd) doc() doc {
	return doc{
		name:    "profile",
		summary: "profile a segment against a base (分群画像): distinguishing traits, numeric distributions, activity",
		usage:   "--rule R [--base R2] (--customers FILE … | --index SNAPSHOT) --now T [--format text|json] [--top N] [--svg FILE]",
		example: `segkit profile --index crm.segkit --now 2026-11-22 --rule 'occupation == "student"' --top 15 --svg students.svg`,
	}
}

func (c *profileCmd) flags(fs *flag.FlagSet) {
	c.d.register(fs)
	c.limits.register(fs)
	nowVar(fs, &c.now, "now", "evaluation time `T` (YYYY-MM-DD or RFC 3339); event windows end on its day")
	fs.StringVar(&c.rule, "rule", "", "the segment's `RULE`")
	fs.StringVar(&c.base, "base", "", "the base's `RULE` (default: all customers)")
	fs.StringVar(&c.format, "format", "text", "output `format`: text or json (every trait and figure)")
	fs.IntVar(&c.top, "top", 20, "traits shown in the text report and the SVG (`N`; 0: all)")
	fs.StringVar(&c.svg, "svg", "", "write the top traits and the distributions side by side to this SVG `FILE`")
}

func (c *profileCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if c.rule == "" {
		return usagef("--rule is required")
	}
	if err := checkFormat(c.format, "text", "json"); err != nil {
		return err
	}
	if c.top < 0 {
		return usagef("--top %d: want 0 (all) or more", c.top)
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
	printWarnings(e, "profile", "--rule", r, v)
	seg, err := r.Eval(ctx, v, t)
	if err != nil {
		return err
	}
	base := v.All()
	if c.base != "" {
		br, err := compileRule(c.base, c.limits.options(v)...)
		if err != nil {
			return err
		}
		printWarnings(e, "profile", "--base", br, v)
		if base, err = br.Eval(ctx, v, t); err != nil {
			return err
		}
	}
	p, err := audience.Describe(ctx, v, seg, base, t, audience.DefaultConfig())
	if err != nil {
		return err
	}
	if c.svg != "" {
		if err := atomicfile.WriteFile(c.svg, func(w io.Writer) error { return p.WriteSVG(w, c.top) }); err != nil {
			return err
		}
	}
	if c.format == "json" {
		return p.WriteJSON(e.stdout)
	}
	return p.WriteText(e.stdout, c.top)
}
