package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/tier"
)

// readActivities reads an activities CSV: customer_id,date,metric,value.
func readActivities(path string) ([]tier.Activity, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s:1: want a header customer_id,date,metric,value", path)
	}
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"customer_id", "date", "metric", "value"} {
		if _, ok := pos[c]; !ok {
			return nil, fmt.Errorf("%s:1: no column %q (want customer_id,date,metric,value)", path, c)
		}
	}
	var out []tier.Activity
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		line, _ := r.FieldPos(0) // valid only after a successful Read
		get := func(c string) string {
			if i := pos[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		at, err := parseNow(get("date"), time.UTC)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: field date: want YYYY-MM-DD or RFC 3339, got %q", path, line, get("date"))
		}
		v, err := strconv.ParseFloat(get("value"), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s:%d: field value: want a finite number, got %q", path, line, get("value"))
		}
		if get("customer_id") == "" || get("metric") == "" {
			return nil, fmt.Errorf("%s:%d: customer_id and metric must not be empty", path, line)
		}
		out = append(out, tier.Activity{Customer: get("customer_id"), At: at, Metric: get("metric"), Value: v})
	}
}

func init() {
	register(&command{
		name:    "tier",
		summary: "replay membership tier programs: each customer's level, points and progress, or one customer's audit trail",
		usage:   "--program JSON --transactions CSV [--columns …] [--activities CSV] --now DATE [--customer KEY] [--format csv|json|summary] [--svg FILE]",
		example: `segkit tier --program hotel.json --transactions stays.csv --activities nights.csv --now 2026-06-30 --format summary
segkit tier --program hotel.json --transactions stays.csv --now 2026-06-30 --customer c00000042   # audit trail`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var tx txFlags
			tx.register(fs)
			program := fs.String("program", "", "tier program `JSON` (levels, criteria, windows, policies, points)")
			activities := fs.String("activities", "", "activities `CSV` with header customer_id,date,metric,value (nights, stays, fees, counters)")
			now := fs.String("now", "", "as-of `DATE` (YYYY-MM-DD): later records are not replayed")
			customer := fs.String("customer", "", "print the audit trail (every level change with its reason) and progress of this customer `KEY`")
			format := fs.String("format", "csv", "output `format`: csv (customer_id,level,since,points,valid_through), json, or summary (members per level)")
			svg := fs.String("svg", "", "write the members-per-level bar chart to this SVG `FILE`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				if *program == "" {
					return usagef("--program is required")
				}
				if err := checkFormat(*format, "csv", "json", "summary"); err != nil {
					return err
				}
				t, err := parseNow(*now, time.UTC)
				if err != nil {
					return err
				}
				data, err := os.ReadFile(*program)
				if err != nil {
					return err
				}
				prog, err := tier.ParseProgram(data)
				if err != nil {
					return fmt.Errorf("%s: %w", *program, err)
				}
				eng, err := tier.Compile(prog)
				if err != nil {
					return fmt.Errorf("%s: %w", *program, err)
				}
				asOf := segkit.DayOf(t, eng.Location())
				txs, err := tx.read(eng.Location())
				if err != nil {
					return err
				}
				var acts []tier.Activity
				if *activities != "" {
					if acts, err = readActivities(*activities); err != nil {
						return err
					}
				}
				histories := tier.Group(tier.Sources{Transactions: slices.Values(txs), Activities: slices.Values(acts)})
				if *customer != "" {
					i := slices.IndexFunc(histories, func(h tier.History) bool { return h.Customer == *customer })
					if i < 0 {
						return fmt.Errorf("customer %q has no records", *customer)
					}
					tl, err := eng.Replay(histories[i], asOf)
					if err != nil {
						return err
					}
					if _, err := tl.WriteTo(e.stdout); err != nil {
						return err
					}
					p, err := eng.Progress(histories[i], asOf)
					if err != nil {
						return err
					}
					return writeProgress(e.stdout, eng, p)
				}
				slices.SortFunc(histories, func(a, b tier.History) int { return strings.Compare(a.Customer, b.Customer) })
				var statuses []tier.Status
				for st, err := range eng.EvaluateAll(slices.Values(histories), asOf) {
					if err != nil {
						return err
					}
					statuses = append(statuses, st)
				}
				counts := make([]int, eng.Levels())
				for _, st := range statuses {
					counts[st.Level]++
				}
				if *svg != "" {
					c := chart.BarChart{Title: fmt.Sprintf("Members per level at %s (%s)", asOf, prog.Name)}
					for l, n := range counts {
						c.Bars = append(c.Bars, chart.Bar{Label: eng.Name(tier.Level(l)), Value: float64(n)})
					}
					if err := writeSVG(*svg, c); err != nil {
						return err
					}
				}
				switch *format {
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
						ValidThrough string `json:"valid_through,omitempty"`
					}
					rows := make([]row, 0, len(statuses))
					for _, st := range statuses {
						r := row{ID: st.Customer, Level: eng.Name(st.Level), Since: st.Since.String(), Points: st.Points}
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
				_ = w.Write([]string{"customer_id", "level", "since", "points", "valid_through"})
				for _, st := range statuses {
					valid := ""
					if st.Guaranteed {
						valid = st.ValidThrough.String()
					}
					_ = w.Write([]string{st.Customer, eng.Name(st.Level), st.Since.String(), strconv.FormatInt(st.Points, 10), valid})
				}
				w.Flush()
				return w.Error()
			}
		},
	})
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
