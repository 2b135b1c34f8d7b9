package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/tier"
)

// tierCmd is "segkit tier".
type tierCmd struct {
	tx         txFlags
	program    string
	activities string
	now        timeFlag
	customer   string
	format     string
	svg        string
}

func (*tierCmd) doc() doc {
	return doc{
		name:    "tier",
		summary: "replay membership tier programs: each customer's level, points and progress, or one customer's audit trail",
		usage:   "--program JSON --transactions CSV [--columns …] [--activities CSV] --now DATE [--customer KEY] [--format csv|json|summary] [--svg FILE]",
		example: `segkit tier --program hotel.json --transactions stays.csv --activities nights.csv --now 2026-06-30 --format summary
segkit tier --program hotel.json --transactions stays.csv --now 2026-06-30 --customer c00000042   # audit trail`,
	}
}

func (c *tierCmd) flags(fs *flag.FlagSet) {
	c.tx.register(fs)
	fs.StringVar(&c.program, "program", "", "tier program `JSON` (levels, criteria, windows, policies, points; see "+formatsDoc+")")
	fs.StringVar(&c.activities, "activities", "", "activities `CSV` with header customer_id,date,metric,value (nights, stays, fees, counters)")
	nowVar(fs, &c.now, "now", "as-of `DATE` (YYYY-MM-DD): later records are not replayed")
	fs.StringVar(&c.customer, "customer", "", "print the audit trail (every level change with its reason) and progress of this customer `KEY`")
	fs.StringVar(&c.format, "format", "csv", "output `format`: csv (customer_id,level,since,points,valid_through), json, or summary (members per level)")
	fs.StringVar(&c.svg, "svg", "", "write the members-per-level bar chart to this SVG `FILE`")
}

func (c *tierCmd) run(ctx context.Context, e *env, args []string) error {
	if c.program == "" {
		return usagef("--program is required")
	}
	if err := checkFormat(c.format, "csv", "json", "summary"); err != nil {
		return err
	}
	if err := c.now.required(); err != nil {
		return err
	}
	prog, err := dataio.ReadProgramFile(c.program)
	if err != nil {
		return err
	}
	eng, err := tier.Compile(prog)
	if err != nil {
		return fmt.Errorf("%s: %w", c.program, err)
	}
	asOf, err := c.now.day(eng.Location())
	if err != nil {
		return err
	}
	txs, err := c.tx.read(eng.Location())
	if err != nil {
		return err
	}
	acts := &dataio.Activities{}
	if c.activities != "" {
		if acts, err = dataio.ReadActivitiesFile(c.activities, nil, eng.Location()); err != nil {
			return err
		}
	}
	locate := func(err error) error { return acts.Locate(txs.Locate(err)) }
	histories := tier.Group(tier.Sources{Transactions: slices.Values(txs.Records), Activities: slices.Values(acts.Records)})
	if c.customer != "" {
		i := slices.IndexFunc(histories, func(h tier.History) bool { return h.Customer == c.customer })
		if i < 0 {
			return fmt.Errorf("customer %q has no records", c.customer)
		}
		tl, err := eng.Replay(histories[i], asOf.Time(eng.Location()))
		if err != nil {
			return locate(err)
		}
		if _, err := tl.WriteTo(e.stdout); err != nil {
			return err
		}
		p, err := eng.Progress(histories[i], asOf.Time(eng.Location()))
		if err != nil {
			return locate(err)
		}
		return writeProgress(e.stdout, eng, p)
	}
	slices.SortFunc(histories, func(a, b tier.History) int { return strings.Compare(a.Customer, b.Customer) })
	var statuses []tier.Status
	for st, err := range eng.EvaluateAll(slices.Values(histories), asOf.Time(eng.Location())) {
		if err != nil {
			return locate(err)
		}
		statuses = append(statuses, st)
	}
	counts := make([]int, eng.Levels())
	for _, st := range statuses {
		counts[st.Level]++
	}
	if c.svg != "" {
		bc := chart.BarChart{Title: fmt.Sprintf("Members per level at %s (%s)", asOf, prog.Name), KeepOrder: true}
		for l, n := range counts {
			bc.Bars = append(bc.Bars, chart.Bar{Label: eng.Name(tier.Level(l)), Value: float64(n)})
		}
		if err := writeSVG(c.svg, bc); err != nil {
			return err
		}
	}
	switch c.format {
	case "summary":
		fmt.Fprintf(e.stdout, "%s at %s: %d members\n", prog.Name, asOf, len(statuses))
		for l, n := range counts {
			fmt.Fprintf(e.stdout, "  %-12s %8d  %5.1f%%\n", eng.Name(tier.Level(l)), n, 100*share(n, len(statuses)))
		}
		return nil
	case "json":
		type row struct {
			ID           string `json:"customer_id"`
			Level        string `json:"level"`
			Since        string `json:"since"`
			Points       int64  `json:"points"`
			Growth       *int64 `json:"growth,omitempty"`
			ValidThrough string `json:"valid_through,omitempty"`
		}
		rows := make([]row, 0, len(statuses))
		for _, st := range statuses {
			r := row{ID: st.Customer, Level: eng.Name(st.Level), Since: st.Since.String(), Points: st.Points}
			if prog.Growth != nil {
				r.Growth = &st.Growth
			}
			if st.Guaranteed {
				r.ValidThrough = st.ValidThrough.String()
			}
			rows = append(rows, r)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	w := csv.NewWriter(e.stdout)
	header := []string{"customer_id", "level", "since", "points", "valid_through"}
	if prog.Growth != nil {
		header = append(header, "growth")
	}
	_ = w.Write(header)
	for _, st := range statuses {
		valid := ""
		if st.Guaranteed {
			valid = st.ValidThrough.String()
		}
		rec := []string{st.Customer, eng.Name(st.Level), st.Since.String(), strconv.FormatInt(st.Points, 10), valid}
		if prog.Growth != nil {
			rec = append(rec, strconv.FormatInt(st.Growth, 10))
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}

func writeProgress(w io.Writer, eng *tier.Engine, p tier.Progress) error {
	fmt.Fprintf(w, "\nprogress as of %s: %s", p.AsOf, eng.Name(p.Earned))
	if p.HasNext {
		when := "as soon as it is met"
		if p.UpgradeReview != 0 {
			when = "at the review of " + p.UpgradeReview.String()
		}
		fmt.Fprintf(w, "; next level %s %s: %v", eng.Name(p.Next), when, p.ToNext)
	}
	if p.Secure {
		fmt.Fprintln(w, "; the level is secure")
	} else {
		fmt.Fprintf(w, "; to keep it by %s: %v\n", p.KeepBy, p.ToKeep)
	}
	return nil
}
