package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/segkit/segkit/campaign"
)

// designCmd is "segkit design".
type designCmd struct {
	d    campaign.Design
	size int
}

func (*designCmd) doc() doc {
	return doc{
		name:    "design",
		summary: "plan an A/B test: the sample size per group for a baseline rate and MDE, or the MDE a size can detect",
		usage:   "--baseline P (--mde D | --size N) [--alpha 0.05] [--power 0.8] [--ratio K] [--continuity]",
		example: `segkit design --baseline 0.10 --mde 0.02
segkit design --baseline 0.04 --size 20000 --ratio 9`,
	}
}

func (c *designCmd) flags(fs *flag.FlagSet) {
	fs.Float64Var(&c.d.Baseline, "baseline", 0, "the control group's expected conversion `RATE`")
	fs.Float64Var(&c.d.MDE, "mde", 0, "minimum detectable effect, an absolute difference of rates (`0.02` = +2 points)")
	fs.IntVar(&c.size, "size", 0, "instead of --mde: the `N` customers of the test (both groups); prints the MDE they detect")
	fs.Float64Var(&c.d.Alpha, "alpha", 0.05, "two-sided significance level")
	fs.Float64Var(&c.d.Power, "power", 0.8, "power")
	fs.Float64Var(&c.d.Ratio, "ratio", 1, "treatment customers per control customer (`K`; 9 for a 10% holdout)")
	fs.BoolVar(&c.d.ContinuityCorrection, "continuity", false, "apply Fleiss's continuity correction")
}

func (c *designCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if (c.d.MDE == 0) == (c.size == 0) {
		return usagef("give exactly one of --mde and --size")
	}
	fmt.Fprintf(e.stdout, "two-sided test of two proportions, pooled-variance normal formula (Fleiss, Levin & Paik §4.2)%s\n",
		map[bool]string{true: ", continuity-corrected", false: ""}[c.d.ContinuityCorrection])
	fmt.Fprintf(e.stdout, "baseline %.4g, α %.4g, power %.4g, treatment:control %.4g:1\n", c.d.Baseline, c.d.Alpha, c.d.Power, c.d.Ratio)
	if c.size != 0 {
		mde, err := c.d.DetectableEffect(c.size)
		if err != nil {
			return usagef("%v", err)
		}
		fmt.Fprintf(e.stdout, "%d customers detect an increase of %+.2f points (%.4g → %.4g)\n", c.size, mde*100, c.d.Baseline, c.d.Baseline+mde)
		return nil
	}
	s, err := c.d.SampleSize()
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(e.stdout, "effect %+.2f points (%.4g → %.4g)\ncontrol %d\ntreatment %d\ntotal %d\n",
		c.d.MDE*100, c.d.Baseline, c.d.Baseline+c.d.MDE, s.Control, s.Treatment, s.Total)
	return nil
}
