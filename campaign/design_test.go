package campaign

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestSampleSizePublished checks the sample sizes against published
// figures: 3,841 per group for a 10% baseline and +2 points (α 0.05 two
// sided, power 0.8, the pooled-variance normal formula), and the
// continuity-corrected figures of Fleiss, Levin & Paik's Table A.4 (474
// per group for 5% vs 10%, 219 for 10% vs 20%).
func TestSampleSizePublished(t *testing.T) {
	cases := []struct {
		d    Design
		want int
	}{
		{Design{Baseline: 0.10, MDE: 0.02}, 3841},
		{Design{Baseline: 0.10, MDE: 0.02, ContinuityCorrection: true}, 3941},
		{Design{Baseline: 0.05, MDE: 0.05, ContinuityCorrection: true}, 474},
		{Design{Baseline: 0.10, MDE: 0.10, ContinuityCorrection: true}, 219},
		{Design{Baseline: 0.05, MDE: 0.05}, 435},
		{Design{Baseline: 0.10, MDE: 0.10}, 199},
		// a decrease of the same size needs the mirrored design's figure
		{Design{Baseline: 0.90, MDE: -0.02}, 3841},
	}
	for _, c := range cases {
		got, err := c.d.SampleSize()
		if err != nil {
			t.Fatal(err)
		}
		if got.Control != c.want || got.Treatment != c.want || got.Total != 2*c.want {
			t.Errorf("%+v: %+v, want %d per group", c.d, got, c.want)
		}
	}
}

func TestSampleSizeRatio(t *testing.T) {
	// a 10% holdout as control (k = 9): the control needs fewer than half
	// the equal-split group but the total grows
	d := Design{Baseline: 0.10, MDE: 0.02, Ratio: 9}
	s, err := d.SampleSize()
	if err != nil {
		t.Fatal(err)
	}
	if s.Treatment < 9*s.Control || s.Treatment > 9*s.Control+9 {
		t.Fatalf("treatment %d for control %d at ratio 9", s.Treatment, s.Control)
	}
	if s.Total <= 2*3841 || s.Control >= 3841 {
		t.Fatalf("holdout design %+v", s)
	}
	// the power at the planned sizes is at least the target, one fewer
	// control customer falls short
	p, _ := d.PowerFor(s.Control, s.Treatment)
	if p < 0.8 {
		t.Fatalf("power %v at the planned sizes", p)
	}
	if p, _ := d.PowerFor(s.Control-1, 9*(s.Control-1)); p >= 0.8 {
		t.Fatalf("power %v one customer short", p)
	}
}

// TestDetectableEffectInverts checks that the MDE of a size needs that
// size, for several baselines and ratios.
func TestDetectableEffectInverts(t *testing.T) {
	for _, base := range []float64{0.01, 0.05, 0.1, 0.3, 0.6} {
		for _, k := range []float64{1, 3, 9, 0.25} {
			for _, cc := range []bool{false, true} {
				d := Design{Baseline: base, Ratio: k, ContinuityCorrection: cc}
				for _, total := range []int{500, 7682, 100_000} {
					mde, err := d.DetectableEffect(total)
					if err != nil {
						t.Fatalf("%+v total %d: %v", d, total, err)
					}
					d.MDE = mde
					s, err := d.SampleSize()
					if err != nil {
						t.Fatal(err)
					}
					n1 := float64(total) / (1 + k)
					if math.Abs(float64(s.Control)-n1) > 1.5 {
						t.Fatalf("%+v: MDE %v for %d customers needs a control of %d, want %.1f", d, mde, total, s.Control, n1)
					}
				}
			}
		}
	}
	d := Design{Baseline: 0.1}
	if mde, _ := d.DetectableEffect(7682); math.Abs(mde-0.02) > 1e-4 {
		t.Fatalf("MDE of 2×3841 at 10%%: %v, want 0.02", mde)
	}
	if _, err := d.DetectableEffect(3); err == nil {
		t.Fatal("3 customers: an MDE")
	}
}

// TestSampleSizeSimulation runs the planned experiment many times with
// binomial draws and the pooled z-test: the share of significant results
// is the power (0.8) under the effect and α (0.05) without it.
func TestSampleSizeSimulation(t *testing.T) {
	d := Design{Baseline: 0.10, MDE: 0.02}
	s, err := d.SampleSize()
	if err != nil {
		t.Fatal(err)
	}
	sims := 4000
	if testing.Short() {
		sims = 1500
	}
	src := rand.New(rand.NewPCG(20, 26))
	rate := func(p2 float64) float64 {
		c := distuv.Binomial{N: float64(s.Control), P: d.Baseline, Src: src}
		tr := distuv.Binomial{N: float64(s.Treatment), P: p2, Src: src}
		hits := 0
		for range sims {
			a := Proportion{Successes: int(tr.Rand()), Trials: s.Treatment}
			b := Proportion{Successes: int(c.Rand()), Trials: s.Control}
			if _, p, _ := ZTest(a, b); p < d.alpha() {
				hits++
			}
		}
		return float64(hits) / float64(sims)
	}
	se := func(p float64) float64 { return math.Sqrt(p * (1 - p) / float64(sims)) }
	if got := rate(0.12); math.Abs(got-0.8) > 4*se(0.8) {
		t.Errorf("simulated power %.3f, want 0.80 ± %.3f", got, 4*se(0.8))
	}
	if got := rate(0.10); math.Abs(got-0.05) > 4*se(0.05) {
		t.Errorf("simulated type I error %.3f, want 0.05 ± %.3f", got, 4*se(0.05))
	}
}

func TestDesignErrors(t *testing.T) {
	for _, d := range []Design{
		{Baseline: 0, MDE: 0.1},
		{Baseline: 0.5},
		{Baseline: 0.95, MDE: 0.1},
		{Baseline: 0.1, MDE: 0.1, Alpha: 1},
		{Baseline: 0.1, MDE: 0.1, Power: -1},
		{Baseline: 0.1, MDE: 0.1, Ratio: -2},
		{Baseline: 0.1, MDE: math.NaN()},
	} {
		if _, err := d.SampleSize(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", d, err)
		}
	}
	if _, err := (Design{Baseline: 0.1, MDE: 1e-9}).SampleSize(); !errors.Is(err, ErrConfig) {
		t.Errorf("a tiny effect: %v", err)
	}
}
