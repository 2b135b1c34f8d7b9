package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/segkit/segkit"
)

// excludeFlag is --exclude, repeatable: periods whose records a model
// leaves out ("2026-11-01..2026-11-11" or "双十一=2026-11-01..2026-11-11").
type excludeFlag struct {
	periods []segkit.Period
}

func (f *excludeFlag) String() string {
	if f == nil {
		return ""
	}
	parts := make([]string, len(f.periods))
	for i, p := range f.periods {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (f *excludeFlag) Set(s string) error {
	p, err := segkit.ParsePeriod(s)
	if err != nil {
		return err
	}
	f.periods = append(f.periods, p)
	return nil
}

func (f *excludeFlag) register(fs *flag.FlagSet, records string) {
	fs.Var(f, "exclude", "leave out the "+records+" of this `PERIOD` (FROM..TO or NAME=FROM..TO, days inclusive; repeatable), such as a promotion that distorts normal behaviour")
}

// report says on stderr what the excluded periods removed.
func (f *excludeFlag) report(e *env, cmdName string, report []segkit.Excluded, records string) {
	if len(report) == 0 {
		return
	}
	fmt.Fprintf(e.stderr, "segkit %s: %s\n", cmdName, segkit.ExclusionSummary(report, records))
}
