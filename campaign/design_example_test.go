package campaign_test

import (
	"fmt"
	"slices"

	"github.com/segkit/segkit/campaign"
)

func ExampleDesign() {
	// 10% of the audience converts today; the new message should be
	// detected if it adds 2 points (α 0.05 two-sided, power 0.8).
	d := campaign.Design{Baseline: 0.10, MDE: 0.02}
	s, _ := d.SampleSize()
	fmt.Println("equal groups:", s.Control, "+", s.Treatment)

	// with a 10% holdout as the control group
	d.Ratio = 9
	s, _ = d.SampleSize()
	fmt.Println("10% holdout:", s.Control, "+", s.Treatment)

	// what a segment of 20,000 customers can detect with equal groups
	d.Ratio = 1
	mde, _ := d.DetectableEffect(20_000)
	fmt.Printf("20,000 customers detect +%.2f points\n", mde*100)
	// Output:
	// equal groups: 3841 + 3841
	// 10% holdout: 2186 + 19674
	// 20,000 customers detect +1.22 points
}

func ExampleExperiment() {
	x := campaign.Experiment{
		Control: "holdout",
		Metrics: []campaign.Metric{
			{Name: "clicks", Kind: campaign.Rate},
			{Name: "revenue", Kind: campaign.Mean},
		},
	}
	obs := []campaign.Observation{
		{Key: "c1", Group: "holdout", Values: []float64{0, 0}},
		{Key: "c2", Group: "holdout", Values: []float64{1, 20}},
		{Key: "c3", Group: "holdout", Values: []float64{0, 0}},
		{Key: "c4", Group: "A", Values: []float64{1, 35}},
		{Key: "c5", Group: "A", Values: []float64{1, 0}},
		{Key: "c6", Group: "A", Values: []float64{0, 12}},
	}
	r, err := x.Run(slices.Values(obs), 0.95)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range r.Metrics {
		c := m.Comparisons[0]
		fmt.Printf("%s: %s %+.2f vs control, P %.3f, Holm %.3f\n", m.Metric.Name, c.Group, c.Difference, c.P, c.PHolm)
	}
	// Output:
	// clicks: A +0.33 vs control, P 0.414, Holm 0.828
	// revenue: A +9.00 vs control, P 0.509, Holm 0.828
}
