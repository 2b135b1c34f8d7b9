package compare

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the report: per population size, one table of query
// times (median and min–max, in ms) with the ratio segkit ÷ engine next to
// every other engine, then a table of load times and memory.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s. now = %s. Query times in ms: median (min–max) of %d runs after one untimed checking run; "+
		"÷ columns are segkit's median divided by the engine's (below 1: segkit is faster; **bold**: segkit is slower).\n",
		r.Machine, r.Now.UTC().Format(time.RFC3339), r.Runs)
	for _, s := range r.Sizes {
		s.markdown(&b)
	}
	return b.String()
}

func (s *SizeReport) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n### %s customers\n\n", fmtCount(int64(s.N)))
	if s.LoadAvg[0] != "" {
		fmt.Fprintf(b, "Load average at start: %s; at end: %s.\n\n", s.LoadAvg[0], s.LoadAvg[1])
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "%s\n\n", n)
	}
	var sk *EngineReport
	var others []*EngineReport
	for i := range s.Engines {
		e := &s.Engines[i]
		if e.Name == "segkit" {
			sk = e
		} else if len(e.Times) > 0 {
			others = append(others, e)
		}
	}
	withSK := sk != nil && len(sk.Times) > 0
	if withSK || len(others) > 0 {
		b.WriteString("| rule | class | members |")
		if withSK {
			b.WriteString(" segkit |")
		}
		for _, e := range others {
			if withSK {
				fmt.Fprintf(b, " %s | ÷ %s |", e.Name, e.Name)
			} else {
				fmt.Fprintf(b, " %s |", e.Name)
			}
		}
		b.WriteString("\n|---|---|--:|")
		if withSK {
			b.WriteString("--:|")
		}
		for range others {
			if withSK {
				b.WriteString("--:|--:|")
			} else {
				b.WriteString("--:|")
			}
		}
		b.WriteString("\n")
		for i, r := range s.Rules {
			fmt.Fprintf(b, "| %s | %s | %s |", r.Name, r.Class, fmtCount(s.Counts[i]))
			if withSK {
				fmt.Fprintf(b, " %s |", cell(sk.Times[i]))
			}
			for _, e := range others {
				if !withSK {
					fmt.Fprintf(b, " %s |", cell(e.Times[i]))
					continue
				}
				ratio := fmtRatio(sk.Times[i].Median(), e.Times[i].Median())
				if sk.Times[i].Median() > e.Times[i].Median() {
					ratio = "**" + ratio + "**"
				}
				fmt.Fprintf(b, " %s | %s |", cell(e.Times[i]), ratio)
			}
			b.WriteString("\n")
		}
		for _, e := range others {
			if e.Sample != s.N {
				fmt.Fprintf(b, "\n%s evaluated the first %s customers; its times are extrapolated ×%.0f.", e.Name,
					fmtCount(int64(e.Sample)), float64(s.N)/float64(e.Sample))
			}
		}
		b.WriteString("\n")
	} else {
		b.WriteString("Counts checked only (no timed runs).\n")
	}
	b.WriteString("\nRules (segkit's language; the SQL translations are in compare/rules.go):\n\n")
	for _, r := range s.Rules {
		fmt.Fprintf(b, "- `%s`: `%s`\n", r.Name, r.Segkit)
	}
	b.WriteString("\n| engine | load s | memory | how memory is measured | layout |\n|---|--:|--:|---|---|\n")
	for _, e := range s.Engines {
		fmt.Fprintf(b, "| %s | %.1f | %s | %s | %s |\n", e.Name, e.Load.Seconds(), fmtBytes(e.Memory.Bytes), e.Memory.How, e.Describe)
	}
	if s.Gen > 0 {
		fmt.Fprintf(b, "\nLoad times include generating the population; the generator alone took %.1f s.\n", s.Gen.Seconds())
	}
}

func cell(t Timing) string {
	if !t.Valid() {
		return "–"
	}
	if len(t.Runs) == 1 {
		return fmtMs(t.Median())
	}
	return fmt.Sprintf("%s (%s–%s)", fmtMs(t.Median()), fmtMs(t.Min()), fmtMs(t.Max()))
}
