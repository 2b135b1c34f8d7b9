package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/clv"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/lifecycle"
)

// lifecycleCmd is "segkit lifecycle".
type lifecycleCmd struct {
	tx        txFlags
	now       timeFlag
	model     string
	probModel string
	horizon   int
	from      timeFlag
	format    string
	svg       string
	svgT      string
	exclude   excludeFlag
	events    string
	activity  string
}

func (*lifecycleCmd) doc() doc {
	return doc{
		name:    "lifecycle",
		summary: "assign lifecycle stages (new, growing, mature, at risk, sleeping, churned, reactivated) with reasons, P(alive) and expected purchases",
		usage:   "(--transactions CSV [--columns …] | --events FILE --activity NAME) --now DATE [--model rules|bgnbd|mbgnbd|paretonbd] [--horizon DAYS] [--from DATE] [--format csv|json|summary] [--svg FILE] [--exclude FROM..TO]…",
		example: "segkit lifecycle --transactions transactions.csv --now 2026-07-01 --model bgnbd --format summary",
	}
}

func (c *lifecycleCmd) flags(fs *flag.FlagSet) {
	c.tx.register(fs)
	nowVar(fs, &c.now, "now", "as-of `DATE` (YYYY-MM-DD): later transactions are ignored")
	fs.StringVar(&c.model, "model", "rules", "stage rules: `rules` (each customer's own rhythm, population fallback) or a model (bgnbd, mbgnbd, paretonbd: stages from P(alive))")
	fs.StringVar(&c.probModel, "predict", "bgnbd", "model for the P(alive) and expected-purchases columns when --model is rules: `bgnbd`, mbgnbd or paretonbd")
	fs.IntVar(&c.horizon, "horizon", 90, "expected purchases over the next `DAYS` days")
	nowVar(fs, &c.from, "from", "also compare with the stages at this earlier `DATE` (transition matrix)")
	fs.StringVar(&c.format, "format", "csv", "output `format`: csv (one row per customer), json, or summary (counts per stage, transitions)")
	fs.StringVar(&c.svg, "svg", "", "write the stage sizes bar chart to this SVG `FILE`")
	fs.StringVar(&c.svgT, "svg-transitions", "", "with --from: write the stage transition matrix to this SVG `FILE`")
	c.exclude.register(fs, "transactions (or events)")
	fs.StringVar(&c.events, "events", "", "stages from an events `FILE` (JSON Lines) instead of transactions, for businesses that do not live on purchases; with --activity, no predictions")
	fs.StringVar(&c.activity, "activity", "", "with --events: the event `NAME` whose days count as activity (login, interaction, …); reasons name it")
}

func (c *lifecycleCmd) run(ctx context.Context, e *env, args []string) error {
	if err := checkFormat(c.format, "csv", "json", "summary"); err != nil {
		return err
	}
	asOf, err := c.now.day(time.UTC)
	if err != nil {
		return err
	}
	if c.horizon <= 0 {
		return usagef("--horizon must be positive")
	}
	pm := c.probModel
	if c.model != "rules" {
		pm = c.model
	}
	if !slices.Contains([]string{"bgnbd", "mbgnbd", "paretonbd"}, pm) {
		return usagef("--model/--predict %q: want rules, bgnbd, mbgnbd or paretonbd", pm)
	}
	var fromDay segkit.Day
	if c.from.set() {
		if fromDay, err = c.from.day(time.UTC); err != nil {
			return err
		}
		if fromDay >= asOf {
			return usagef("--from must be before --now")
		}
	} else if c.svgT != "" {
		return usagef("--svg-transitions needs --from")
	}
	if c.events != "" || c.activity != "" {
		return c.fromEvents(e, asOf, fromDay)
	}
	txs, err := c.tx.read(time.UTC)
	if err != nil {
		return err
	}
	// The predictive model is fitted on the purchases (refunds are
	// not purchase activity) up to the as-of day, in weeks.
	purchases := txs.Filter(func(x segkit.Transaction) bool { return x.Amount >= 0 })
	table, err := clv.Summarize(slices.Values(purchases.Records), clv.SummaryConfig{CalibrationEnd: asOf, Unit: clv.Weeks, Exclude: c.exclude.periods})
	if err != nil {
		return purchases.Locate(err)
	}
	m, _, _, err := fitModel(pm, table.Customers)
	if err != nil {
		return err
	}
	hist, err := lifecycle.Build(lifecycle.Source{Transactions: slices.Values(txs.Records), Location: time.UTC, Exclude: c.exclude.periods})
	if err != nil {
		return txs.Locate(err)
	}
	c.exclude.report(e, "lifecycle", hist.Excluded(), "transactions")
	cfg := lifecycle.DefaultConfig()
	if c.model != "rules" {
		cfg.Family = lifecycle.Model
		cfg.PurchaseModel = m
		cfg.ModelUnit = clv.Weeks
	}
	snap, err := hist.Stages(asOf.Time(time.UTC), cfg)
	if err != nil {
		return err
	}
	preds, err := clv.Predict(m, table.Customers, float64(c.horizon)/7)
	if err != nil {
		return err
	}
	pred := make(map[string]clv.Prediction, len(preds))
	for _, p := range preds {
		pred[p.Customer] = p
	}
	trans, err := c.transitions(hist, snap, fromDay, cfg)
	if err != nil {
		return err
	}
	return c.write(e, asOf, fromDay, snap, trans, pred, fmt.Sprintf("%s rules, predictions %s", cfg.Family, m.Name()), m.Name(), paramMap(m.Params()))
}

// transitions compares snap with the stages on --from when it is set, and
// draws the --svg and --svg-transitions charts.
func (c *lifecycleCmd) transitions(hist *lifecycle.Histories, snap *lifecycle.Snapshot, fromDay segkit.Day, cfg lifecycle.Config) (*lifecycle.Transitions, error) {
	var trans *lifecycle.Transitions
	if c.from.set() {
		before, err := hist.Stages(fromDay.Time(time.UTC), cfg)
		if err != nil {
			return nil, err
		}
		if trans, err = lifecycle.Compare(before, snap); err != nil {
			return nil, err
		}
	}
	if c.svg != "" {
		if err := writeSVG(c.svg, snap); err != nil {
			return nil, err
		}
	}
	if trans != nil && c.svgT != "" {
		if err := writeSVG(c.svgT, trans); err != nil {
			return nil, err
		}
	}
	return trans, nil
}

// write prints the stages (and transitions) in the chosen format; what
// describes the rules and predictions in the summary's title.
func (c *lifecycleCmd) write(e *env, asOf, fromDay segkit.Day, snap *lifecycle.Snapshot, trans *lifecycle.Transitions,
	pred map[string]clv.Prediction, what, model string, params map[string]float64) error {
	switch c.format {
	case "summary":
		fmt.Fprintf(e.stdout, "lifecycle stages at %s (%s)\n", asOf, what)
		for _, st := range lifecycle.AllStages() {
			fmt.Fprintf(e.stdout, "  %-12s %8d  %s\n", st.String(), snap.Count(st), st.Chinese())
		}
		if trans != nil {
			fmt.Fprintf(e.stdout, "\ntransitions %s → %s\n", fromDay, asOf)
			return trans.WriteTable(e.stdout)
		}
		return nil
	case "json":
		type row struct {
			ID       string   `json:"customer_id"`
			Stage    string   `json:"stage"`
			Reason   string   `json:"reason"`
			PAlive   *float64 `json:"p_alive"`
			Expected *float64 `json:"expected_purchases"`
		}
		rows := make([]row, 0, len(snap.Assignments))
		for _, a := range snap.Assignments {
			r := row{ID: a.Customer, Stage: a.Stage.String(), Reason: a.Reason.String()}
			if p, ok := pred[a.Customer]; ok {
				pa, ex := p.PAlive, p.ExpectedPurchases
				r.PAlive, r.Expected = &pa, &ex
			}
			rows = append(rows, r)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			AsOf   string             `json:"as_of"`
			Model  string             `json:"model"`
			Params map[string]float64 `json:"params"`
			Rows   []row              `json:"customers"`
		}{asOf.String(), model, params, rows})
	}
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"customer_id", "stage", "reason", "p_alive", "expected_purchases"})
	for _, a := range snap.Assignments {
		pa, ex := "", ""
		if p, ok := pred[a.Customer]; ok {
			pa, ex = fmtFloat(p.PAlive), fmtFloat(p.ExpectedPurchases)
		}
		_ = w.Write([]string{a.Customer, a.Stage.String(), a.Reason.String(), pa, ex})
	}
	w.Flush()
	return w.Error()
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// fromEvents is "segkit lifecycle --events FILE --activity NAME": stages
// from the days of one event, without purchase predictions.
func (c *lifecycleCmd) fromEvents(e *env, asOf, fromDay segkit.Day) error {
	switch {
	case c.events == "" || c.activity == "":
		return usagef("--events and --activity go together")
	case c.tx.path != "":
		return usagef("--events replaces --transactions")
	case c.model != "rules":
		return usagef("--model %s needs purchases; stages from events use the rules", c.model)
	}
	f, err := os.Open(c.events)
	if err != nil {
		return err
	}
	defer f.Close()
	var readErr error
	events := func(yield func(segkit.Event) bool) {
		for ev, err := range dataio.ReadEvents(c.events, f, time.UTC) {
			if err != nil {
				readErr = err
				return
			}
			if !yield(ev) {
				return
			}
		}
	}
	hist, err := lifecycle.Build(lifecycle.Source{Events: events, Activity: c.activity, Location: time.UTC, Exclude: c.exclude.periods})
	if readErr != nil {
		return readErr
	}
	if err != nil {
		return err
	}
	c.exclude.report(e, "lifecycle", hist.Excluded(), "events")
	cfg := lifecycle.DefaultConfig()
	snap, err := hist.Stages(asOf.Time(time.UTC), cfg)
	if err != nil {
		return err
	}
	trans, err := c.transitions(hist, snap, fromDay, cfg)
	if err != nil {
		return err
	}
	return c.write(e, asOf, fromDay, snap, trans, nil, fmt.Sprintf("%s rules on %s events", cfg.Family, c.activity), "", nil)
}
