package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/rfm"
)

// rfmCmd is "segkit rfm".
type rfmCmd struct {
	tx      txFlags
	now     timeFlag
	bins    int
	binning string
	scheme  string
	format  string
	svg     string
	svgSeg  string
	exclude excludeFlag
	from    timeFlag
	custs   string
}

func (*rfmCmd) doc() doc {
	return doc{
		name:    "rfm",
		summary: "score customers by recency, frequency and monetary value and name their segments",
		usage:   "--transactions CSV [--columns …] --now DATE [--bins N] [--binning B] [--scheme S] [--format csv|json|summary] [--svg FILE] [--exclude FROM..TO]… [--from DATE [--customers FILE]]",
		example: `segkit rfm --transactions orders.csv --columns id=customer_id,time=order_date,amount=revenue \
  --now 2006-12-31 --binning rcompat --scheme rfm10 --format summary`,
	}
}

func (c *rfmCmd) flags(fs *flag.FlagSet) {
	c.tx.register(fs)
	nowVar(fs, &c.now, "now", "analysis `DATE` (YYYY-MM-DD): recency is counted in days up to it, later transactions are left out")
	fs.IntVar(&c.bins, "bins", 0, "score bins per dimension, `N` in 2..9 (default 5; 2 for cn8 and quadrant)")
	fs.StringVar(&c.binning, "binning", "", "binning `B`: quantile, rcompat (the R package rfm's rule), rank, splitmean or splitmedian (default quantile; splitmean for cn8 and quadrant)")
	fs.StringVar(&c.scheme, "scheme", "rfm10", "segment scheme `S`: rfm10, cn8, quadrant, or a FILE (.json scheme or .csv cell map)")
	fs.StringVar(&c.format, "format", "csv", "output `format`: csv (one row per customer), json, or summary (a table per segment)")
	fs.StringVar(&c.svg, "svg", "", "write the R × F heatmap (customers per cell) to this SVG `FILE`")
	fs.StringVar(&c.svgSeg, "svg-segments", "", "write the segment sizes bar chart to this SVG `FILE`")
	c.exclude.register(fs, "transactions")
	nowVar(fs, &c.from, "from", "report how customers moved between the A–E groups (A prospects, B–E frequency × order value) from this earlier `DATE` to --now; with --svg, draw the transitions")
	fs.StringVar(&c.custs, "customers", "", "with --from: customers `FILE` (JSON Lines) whose non-buyers are the A group (prospects)")
}

func (c *rfmCmd) run(ctx context.Context, e *env, args []string) error {
	if err := checkFormat(c.format, "csv", "json", "summary"); err != nil {
		return err
	}
	t, err := c.now.in(time.UTC)
	if err != nil {
		return err
	}
	sch, err := loadScheme(c.scheme)
	if err != nil {
		return err
	}
	cfg := rfm.DefaultConfig()
	cfg.Exclude = c.exclude.periods
	if c.from.set() {
		return c.transitions(e, t, cfg)
	}
	cfg = sch.Configure(cfg) // the scheme's bins, and cn8's and quadrant's split at the mean
	if c.binning != "" {
		b, err := rfm.ParseBinning(c.binning)
		if err != nil {
			return usagef("--binning: %v", err)
		}
		cfg.Binning = b
	}
	if c.bins != 0 {
		cfg.Bins = c.bins
	}
	txs, err := c.tx.read(time.UTC)
	if err != nil {
		return err
	}
	res, err := rfm.Analyze(slices.Values(txs.Records), t, cfg)
	if err != nil {
		return txs.Locate(err)
	}
	c.exclude.report(e, "rfm", res.Excluded, "transactions")
	segs, err := res.Segment(sch)
	if err != nil {
		return err
	}
	if c.svg != "" {
		if err := writeSVG(c.svg, res.Grid()); err != nil {
			return err
		}
	}
	if c.svgSeg != "" {
		if err := writeSVG(c.svgSeg, segs.Summary()); err != nil {
			return err
		}
	}
	switch c.format {
	case "summary":
		if res.Future > 0 {
			fmt.Fprintf(e.stderr, "segkit rfm: %d transactions after %s left out\n", res.Future, c.now.raw)
		}
		return segs.Summary().WriteText(e.stdout)
	case "json":
		return writeRFMJSON(e, res, segs)
	}
	return writeRFMCSV(e, res, segs)
}

func loadScheme(s string) (*rfm.Scheme, error) {
	if slices.Contains(rfm.PresetNames(), s) {
		return rfm.Preset(s)
	}
	if !strings.ContainsAny(s, "./\\") {
		return nil, usagef("--scheme %q: not a preset (%s) nor a file path", s, strings.Join(rfm.PresetNames(), ", "))
	}
	return dataio.ReadRFMSchemeFile(s)
}

// sortedCustomers yields the result's customers sorted by key.
func sortedCustomers(res *rfm.Result) iter.Seq[rfm.Customer] {
	idx := make([]int, len(res.Customers))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(res.Customers[a].Key, res.Customers[b].Key) })
	return func(yield func(rfm.Customer) bool) {
		for _, i := range idx {
			if !yield(res.Customers[i]) {
				return
			}
		}
	}
}

func writeRFMCSV(e *env, res *rfm.Result, segs *rfm.Assignment) error {
	w := csv.NewWriter(e.stdout)
	if err := w.Write([]string{"customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "score", "segment"}); err != nil {
		return err
	}
	for c := range sortedCustomers(res) {
		seg, _ := segs.Of(c.Key)
		if err := w.Write([]string{c.Key, strconv.Itoa(c.Recency), strconv.Itoa(c.Frequency), strconv.FormatFloat(c.Monetary, 'f', -1, 64),
			strconv.Itoa(int(c.Score.R)), strconv.Itoa(int(c.Score.F)), strconv.Itoa(int(c.Score.M)), c.Score.String(), seg}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func writeRFMJSON(e *env, res *rfm.Result, segs *rfm.Assignment) error {
	type row struct {
		ID        string  `json:"customer_id"`
		Recency   int     `json:"recency_days"`
		Frequency int     `json:"frequency"`
		Monetary  float64 `json:"monetary"`
		R         int     `json:"r"`
		F         int     `json:"f"`
		M         int     `json:"m"`
		Score     string  `json:"score"`
		Segment   string  `json:"segment"`
	}
	out := struct {
		Now       string      `json:"now"`
		Binning   string      `json:"binning"`
		Cuts      any         `json:"cuts"`
		Summary   rfm.Summary `json:"summary"`
		Customers []row       `json:"customers"`
	}{Now: res.Now.String(), Binning: res.Config.Binning.String(),
		Cuts:    map[string][]float64{"r": res.R.Points, "f": res.F.Points, "m": res.M.Points},
		Summary: segs.Summary()}
	for c := range sortedCustomers(res) {
		seg, _ := segs.Of(c.Key)
		out.Customers = append(out.Customers, row{c.Key, c.Recency, c.Frequency, c.Monetary, int(c.Score.R), int(c.Score.F), int(c.Score.M), c.Score.String(), seg})
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
