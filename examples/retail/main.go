// Retail: RFM segments, lifecycle stages and customer lifetime value on a
// generated shop, written into a bitmap index so that rules can select on
// them, with SVG charts of the results.
//
//	go run ./examples/retail
//
// The transactions come from synth, which draws them from a BG/NBD process
// with known parameters (in days) and Gamma-Gamma spends, so the fitted
// models can be compared with the truth.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/clv"
	"github.com/segkit/segkit/lifecycle"
	"github.com/segkit/segkit/rfm"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/synth"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run is the example; it writes what it finds to w.
func run(w io.Writer) error {
	ctx := context.Background()
	cfg := synth.Reference(30_000)
	g, err := synth.New(cfg)
	if err != nil {
		return err
	}
	txns := slices.Collect(g.Transactions())
	now := cfg.End.Add(-time.Second) // the last moment of the observed period
	asOf := segkit.DayOf(now, time.UTC)
	fmt.Fprintf(w, "%d transactions of %d customers up to %s\n\n", len(txns), g.Len(), asOf)

	// RFM with the 11-segment scheme.
	res, err := rfm.Analyze(slices.Values(txns), now, rfm.DefaultConfig())
	if err != nil {
		return err
	}
	scheme, _ := rfm.Preset("rfm10")
	segs, err := res.Segment(scheme)
	if err != nil {
		return err
	}
	if err := segs.Summary().WriteText(w); err != nil {
		return err
	}

	// BG/NBD on weekly summaries, Gamma-Gamma on repeat buyers, 12-month CLV.
	table, err := clv.Summarize(slices.Values(txns), clv.SummaryConfig{CalibrationEnd: asOf, Unit: clv.Weeks})
	if err != nil {
		return err
	}
	bg, rep, err := clv.FitBGNBD(table.Customers, clv.DefaultFitConfig())
	if err != nil {
		return err
	}
	gg, _, err := clv.FitGammaGamma(table.Customers, clv.DefaultFitConfig())
	if err != nil {
		return err
	}
	truth := cfg.BGNBD
	fmt.Fprintf(w, "\nBG/NBD fit (weeks): r=%.3f α=%.2f a=%.3f b=%.3f, LL %.1f, %d iterations\n", bg.R, bg.Alpha, bg.A, bg.B, rep.LogLik, rep.Iterations)
	fmt.Fprintf(w, "generated with (days): r=%.3f α=%.2f a=%.3f b=%.3f — α in weeks is %.2f\n", truth.R, truth.Alpha, truth.A, truth.B, truth.Alpha/7)
	fmt.Fprintf(w, "Gamma-Gamma fit: p=%.2f q=%.2f γ=%.2f\n", gg.P, gg.Q, gg.Gamma)
	preds, err := clv.Predict(bg, table.Customers, 52)
	if err != nil {
		return err
	}
	clv, err := clv.CLVAll(bg, gg, table.Customers, clv.DefaultCLVConfig(clv.Weeks))
	if err != nil {
		return err
	}

	// Lifecycle stages by each customer's own rhythm, now and a quarter ago.
	hist, err := lifecycle.NewHistories(slices.Values(txns), nil, time.UTC)
	if err != nil {
		return err
	}
	stages, err := hist.Stages(now, lifecycle.DefaultConfig())
	if err != nil {
		return err
	}
	moves, err := hist.Transitions(now.AddDate(0, 0, -91), now, lifecycle.DefaultConfig())
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nlifecycle stages:")
	for _, st := range lifecycle.AllStages() {
		fmt.Fprintf(w, "  %-12s %6d  %s\n", st, stages.Count(st), st.Chinese())
	}

	// Everything into one index; rules select on model output.
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		return err
	}
	if err := rfm.Update(ix, rfm.Output{Result: res, Segments: segs}, rfm.DefaultIndexConfig()); err != nil {
		return err
	}
	if err := lifecycle.Update(ix, lifecycle.Output{Stages: stages, Predictions: preds, CLV: clv}, lifecycle.DefaultIndexConfig()); err != nil {
		return err
	}
	v := ix.View()
	for _, r := range []string{
		`rfm_segment in ["Champions", "Loyal"] && lifecycle_stage in ["at_risk", "sleeping"]`,
		`p_alive < 0.3 && clv >= 100`,
		`rfm_segment == "Cannot Lose Them" || (lifecycle_stage == "churned" && rfm_m >= 4)`,
	} {
		n, err := segment.MustCompile(r).Count(ctx, v, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%6d  %s\n", n, r)
	}

	// Charts, in a temporary directory.
	dir, err := os.MkdirTemp("", "segkit-retail-")
	if err != nil {
		return err
	}
	for name, c := range map[string]interface{ WriteSVG(w io.Writer) error }{
		// Each model draws its own results: no internal package needed.
		"rf_heatmap.svg": res.Grid(), "rfm_segments.svg": segs.Summary(), "lifecycle_transitions.svg": moves,
	} {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = c.WriteSVG(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\ncharts written to", dir)
	return nil
}
