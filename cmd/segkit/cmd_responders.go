package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/audience"
	"github.com/segkit/segkit/campaign"
)

// parseSpan parses "2026-06-01..2026-06-18".
func parseSpan(name, s string) (audience.Span, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "..")
	if !ok {
		return audience.Span{}, usagef("%q: want FROM..TO (YYYY-MM-DD..YYYY-MM-DD)", s)
	}
	f, err := segkit.ParseDay(strings.TrimSpace(from))
	if err != nil {
		return audience.Span{}, usagef("%q: %v", s, err)
	}
	t, err := segkit.ParseDay(strings.TrimSpace(to))
	if err != nil {
		return audience.Span{}, usagef("%q: %v", s, err)
	}
	if t < f {
		return audience.Span{}, usagef("%q: ends before it starts", s)
	}
	return audience.Span{Name: name, From: f, To: t}, nil
}

// respondersCmd is "segkit responders".
type respondersCmd struct {
	d         dataFlags
	outcomes  string
	converted string
	groups    string
	persona   string
	personaAt string
	period    string
	exclude   string
	skip      string
	top       int
	cfg       audience.ResponderConfig
}

func (*respondersCmd) doc() doc {
	return doc{
		name:    "responders",
		summary: "what set a campaign's converters apart: traits ranked by conversion with and without them (Benjamini–Hochberg), with suggestions",
		usage:   "--outcomes CSV (--customers FILE … | --index SNAPSHOT) [--converted COL] [--groups A,B] [--persona P] [--campaign FROM..TO --exclude NAME=FROM..TO,…] [--min-group N] [--skip F,…] [--top N]",
		example: `segkit responders --index crm.segkit --outcomes outcomes.csv --groups A --persona 宝妈 \
  --campaign 2026-06-17..2026-06-30 --exclude 618=2026-06-01..2026-06-18 --skip spend,vip`,
	}
}

func (c *respondersCmd) flags(fs *flag.FlagSet) {
	c.d.register(fs)
	c.cfg = audience.DefaultResponderConfig()
	fs.StringVar(&c.outcomes, "outcomes", "", "outcomes `CSV`: customer_id,group and the converted column")
	fs.StringVar(&c.converted, "converted", "converted", "the `COLUMN` saying whether a customer converted (0/1, true/false, yes/no)")
	fs.StringVar(&c.groups, "groups", "", "analyse only these `GROUPS` (the treatments; default all)")
	fs.StringVar(&c.persona, "persona", "", "the persona the campaign was written for: suggestions say whether to widen it")
	fs.StringVar(&c.personaAt, "persona-attribute", "persona", "the category `ATTRIBUTE` holding customers' personas")
	fs.StringVar(&c.period, "campaign", "", "the campaign's days `FROM..TO`, checked against --exclude")
	fs.StringVar(&c.exclude, "exclude", "", "periods to keep out of analyses `NAME=FROM..TO,…` (promotions, holidays): an overlap is a warning")
	fs.StringVar(&c.skip, "skip", "", "tags and attributes not to test, `F,…` (those the outcome itself changes, such as total spend)")
	fs.IntVar(&c.cfg.MinGroup, "min-group", c.cfg.MinGroup, "test a trait only with at least `N` customers with and without it")
	fs.IntVar(&c.cfg.Pairs, "pairs", c.cfg.Pairs, "test the pairs of the `N` strongest traits")
	fs.IntVar(&c.cfg.Bands, "bands", c.cfg.Bands, "quantile bands per numeric attribute")
	fs.Float64Var(&c.cfg.FDR, "fdr", c.cfg.FDR, "false discovery rate")
	fs.IntVar(&c.top, "top", 15, "traits shown (`N`; 0: all)")
}

func (c *respondersCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if c.outcomes == "" {
		return usagef("--outcomes is required")
	}
	cfg := c.cfg
	if c.groups != "" {
		cfg.Groups = strings.Split(c.groups, ",")
	}
	if c.skip != "" {
		cfg.Skip = strings.Split(c.skip, ",")
	}
	cfg.Persona, cfg.PersonaAttribute = c.persona, c.personaAt
	if c.period != "" {
		s, err := parseSpan("campaign", c.period)
		if err != nil {
			return err
		}
		cfg.Campaign = s
	}
	if c.exclude != "" {
		for _, part := range strings.Split(c.exclude, ",") {
			name, span, ok := strings.Cut(part, "=")
			if !ok {
				return usagef("--exclude %q: want NAME=FROM..TO", part)
			}
			s, err := parseSpan(strings.TrimSpace(name), span)
			if err != nil {
				return err
			}
			cfg.Excluded = append(cfg.Excluded, s)
		}
	}
	rows, err := readOutcomesFile(c.outcomes, []string{c.converted}, []bool{true})
	if err != nil {
		return err
	}
	ix, err := c.d.load(ctx, e)
	if err != nil {
		return err
	}
	rep, err := audience.Responders(ctx, ix.View(), func(yield func(campaign.Outcome) bool) {
		for _, r := range rows {
			if !yield(campaign.Outcome{Key: r.key, Group: r.group, Converted: r.values[0] == 1}) {
				return
			}
		}
	}, cfg)
	if err != nil {
		return fmt.Errorf("responders: %w", err)
	}
	return rep.WriteText(e.stdout, c.top)
}
