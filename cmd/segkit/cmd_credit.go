package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/credit"
	"github.com/segkit/segkit/internal/atomicfile"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/internal/textwidth"
)

// creditCmd is "segkit credit".
type creditCmd struct {
	scorecard string
	customers string
	events    string
	joined    string
	now       timeFlag
	format    string
	fit       string
	outcome   string
}

func (*creditCmd) doc() doc {
	return doc{
		name:    "credit",
		summary: "score customers with a credit scorecard (信誉模型): score, band, the band's restrictions and the reasons; or fit the scorecard's points from outcomes",
		usage:   "--scorecard JSON --customers FILE [--events FILE] [--joined ATTR] --now DATE [--format csv|json|summary] [--fit OUT.json --outcome ATTR]",
		example: `segkit credit --scorecard scorecard.json --customers customers.jsonl --events events.jsonl --now 2026-12-01 --format summary
segkit credit --scorecard scorecard.json --customers history.jsonl --events events.jsonl --now 2025-12-31 --fit fitted.json --outcome defaulted`,
	}
}

func (c *creditCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.scorecard, "scorecard", "", "scorecard `JSON` (characteristics with bins and points, bands with restrictions)")
	fs.StringVar(&c.customers, "customers", "", "customers `FILE` (JSON Lines); their attributes feed attribute characteristics")
	fs.StringVar(&c.events, "events", "", "events `FILE` (JSON Lines): late payments, refunds, complaints, … counted by the scorecard")
	fs.StringVar(&c.joined, "joined", "", "time `ATTR` of the customers holding the join time, for tenure characteristics")
	nowVar(fs, &c.now, "now", "scoring `DATE` (YYYY-MM-DD): windows end on it, later events are ignored")
	fs.StringVar(&c.format, "format", "csv", "output `format`: csv (customer_id,score,band,restrictions,reasons), json, or summary (customers per band)")
	fs.StringVar(&c.fit, "fit", "", "fit the points from outcomes and write the fitted scorecard to this `FILE`; prints the WoE and IV of every bin")
	fs.StringVar(&c.outcome, "outcome", "", "with --fit: the bool `ATTR` of the customers that is true for a bad outcome (customers without it are left out)")
}

func (c *creditCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if err := checkFormat(c.format, "csv", "json", "summary"); err != nil {
		return err
	}
	if c.scorecard == "" || c.customers == "" {
		return usagef("--scorecard and --customers are required")
	}
	if (c.fit == "") != (c.outcome == "") {
		return usagef("--fit and --outcome go together")
	}
	if err := c.now.required(); err != nil {
		return err
	}
	data, err := os.ReadFile(c.scorecard)
	if err != nil {
		return err
	}
	sc, err := credit.ParseScorecard(data)
	if err != nil {
		return fmt.Errorf("%s: %w", c.scorecard, err)
	}
	m, err := credit.Compile(sc)
	if err != nil {
		return fmt.Errorf("%s: %w", c.scorecard, err)
	}
	now, err := c.now.in(m.Location())
	if err != nil {
		return err
	}
	asOf := segkit.DayOf(now, m.Location())
	cus, err := c.read(m.Location())
	if err != nil {
		return err
	}
	if c.fit != "" {
		return c.fitPoints(e, sc, cus, now)
	}
	results := make([]credit.Result, 0, len(cus))
	for _, cu := range cus {
		r, err := m.Score(cu, now)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	switch c.format {
	case "summary":
		return creditSummary(e.stdout, sc, results, asOf)
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"customer_id", "score", "band", "restrictions", "reasons"})
	for _, r := range results {
		reasons := ""
		for i, rs := range r.Reasons {
			if rs.Penalty == 0 {
				break
			}
			if i > 0 {
				reasons += "; "
			}
			reasons += fmt.Sprintf("%s = %s (%+d)", rs.Characteristic, rs.Value, rs.Points)
		}
		_ = w.Write([]string{r.Customer, strconv.Itoa(r.Score), r.Band, r.Restrictions.String(), reasons})
	}
	w.Flush()
	return w.Error()
}

// read loads the customers with their attributes and events.
func (c *creditCmd) read(loc *time.Location) ([]credit.Customer, error) {
	f, err := os.Open(c.customers)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cus []credit.Customer
	index := map[string]int{}
	for rec, err := range dataio.NewCustomerReader(c.customers, f, nil).All() {
		if err != nil {
			return nil, err
		}
		cu := credit.Customer{Key: rec.ID, Attributes: rec.Attrs}
		if c.joined != "" {
			if v, ok := rec.Attrs[c.joined]; ok {
				t, ok := v.AsTime()
				if !ok {
					return nil, fmt.Errorf("%s: customer %q: --joined attribute %q is %s, not a time", c.customers, rec.ID, c.joined, v.Kind())
				}
				cu.Joined = t
			}
		}
		index[rec.ID] = len(cus)
		cus = append(cus, cu)
	}
	if c.events != "" {
		ef, err := os.Open(c.events)
		if err != nil {
			return nil, err
		}
		defer ef.Close()
		for ev, err := range dataio.ReadEvents(c.events, ef, loc) {
			if err != nil {
				return nil, err
			}
			if i, ok := index[ev.Customer]; ok {
				cus[i].Events = append(cus[i].Events, ev)
			}
		}
	}
	return cus, nil
}

func (c *creditCmd) fitPoints(e *env, sc credit.Scorecard, cus []credit.Customer, now time.Time) error {
	var samples []credit.Sample
	for _, cu := range cus {
		v, ok := cu.Attributes[c.outcome]
		if !ok {
			continue
		}
		bad, ok := v.AsBool()
		if !ok {
			return fmt.Errorf("%s: customer %q: --outcome attribute %q is %s, not a bool", c.customers, cu.Key, c.outcome, v.Kind())
		}
		samples = append(samples, credit.Sample{Customer: cu, Bad: bad})
	}
	f, err := credit.Fit(sc, slices.Values(samples), now, credit.DefaultFitConfig())
	if err != nil {
		return err
	}
	out, err := f.Scorecard.MarshalIndent()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(c.fit, func(w io.Writer) error {
		_, err := w.Write(append(out, '\n'))
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "fitted on %d customers (%d bad) as of %s; base %d (600 points at 50:1, 20 to double the odds)\n",
		f.Samples, f.Bads, c.now.raw, f.Scorecard.Base)
	tw := textwidth.NewTabWriter(e.stdout, 2, false)
	fmt.Fprintln(tw, "characteristic\tbin\tgoods\tbads\tWoE\tIV\tcoefficient\tpoints")
	for i, st := range f.Stats {
		ch := f.Scorecard.Characteristics[i]
		for j, b := range st.Bins {
			pts := ch.Missing
			if j < len(ch.Bins) {
				pts = ch.Bins[j].Points
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%+.4f\t%.4f\t%.3f\t%+d\n", st.Characteristic, b.Bin, b.Goods, b.Bads, b.WoE, b.IV, f.Coefficients[i], pts)
		}
		fmt.Fprintf(tw, "%s\tIV\t\t\t\t%.4f\t\t\n", st.Characteristic, st.IV)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(e.stderr, "segkit credit: %s\n", w)
	}
	return nil
}

func creditSummary(w io.Writer, sc credit.Scorecard, results []credit.Result, asOf segkit.Day) error {
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Band]++
	}
	fmt.Fprintf(w, "credit bands at %s: %d customers\n", asOf, len(results))
	tw := textwidth.NewTabWriter(w, 2, false)
	fmt.Fprintln(tw, "band\tfrom score\tcustomers\tshare\trestrictions")
	for _, b := range sc.Bands {
		from := "-"
		if b.Min != nil {
			from = strconv.Itoa(*b.Min)
		}
		share := 0.0
		if len(results) > 0 {
			share = 100 * float64(counts[b.Name]) / float64(len(results))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%s\n", b.Name, from, counts[b.Name], share, b.Restrictions)
	}
	return tw.Flush()
}
