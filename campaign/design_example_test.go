package campaign_test

import (
	"fmt"

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
