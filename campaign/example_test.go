package campaign_test

import (
	"fmt"
	"os"
	"slices"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
)

func ExampleSplitter() {
	sp, err := campaign.NewSplitter("spring-2026",
		campaign.Group{Name: "holdout", Ratio: 0.1},
		campaign.Group{Name: "A", Ratio: 0.45},
		campaign.Group{Name: "B", Ratio: 0.45})
	if err != nil {
		panic(err)
	}
	keys := func(yield func(string) bool) {
		for i := range 10_000 {
			if !yield(fmt.Sprintf("c%05d", i)) {
				return
			}
		}
	}
	groups, err := sp.SplitKeys(keys)
	if err != nil {
		panic(err)
	}
	for _, g := range groups {
		fmt.Printf("%-7s %.2f %5d\n", g.Name, g.Ratio, len(g.Keys))
	}
	// One customer, in real time: always the same answer for this salt.
	fmt.Println(sp.Assign("c00042"))
	// Output:
	// holdout 0.10  1015
	// A       0.45  4366
	// B       0.45  4619
	// B
}

func ExampleSplitter_Split() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	b := ix.NewBatch()
	for i := range 2000 {
		key := fmt.Sprintf("c%04d", i)
		b.Add(key)
		if i%2 == 0 {
			b.AddTag(key, "trial_class")
		}
	}
	if err := b.Commit(); err != nil {
		panic(err)
	}
	view := ix.View()

	sp := campaign.MustSplitter("trial-followup",
		campaign.Group{Name: "control", Ratio: 0.2},
		campaign.Group{Name: "treatment", Ratio: 0.8})
	split, err := sp.Split(view, view.Tag("trial_class"))
	if err != nil {
		panic(err)
	}
	for _, g := range split.Groups {
		fmt.Printf("%-9s %4d members (deviation %+.2f SE)\n", g.Name, g.Size, g.Deviation)
	}
	// Output:
	// control    190 members (deviation -0.79 SE)
	// treatment  810 members (deviation +0.79 SE)
}

func ExampleOverlap() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	b := ix.NewBatch()
	for i := range 1000 {
		key := fmt.Sprintf("c%04d", i)
		if i%2 == 0 {
			b.AddTag(key, "students")
		}
		if i%2 == 0 || i%97 == 0 {
			b.AddTag(key, "job_seekers")
		}
		if i%3 == 0 {
			b.AddTag(key, "trial")
		}
		if i%250 == 0 {
			b.AddTag(key, "vip")
		}
	}
	if err := b.Commit(); err != nil {
		panic(err)
	}
	v := ix.View()
	var segs []campaign.Segment
	for _, name := range []string{"students", "job_seekers", "trial", "vip"} {
		segs = append(segs, campaign.Segment{Name: name, Members: v.Tag(name)})
	}
	m, err := campaign.Overlap(segs, campaign.DefaultConfig())
	if err != nil {
		panic(err)
	}
	fmt.Printf("students ∩ trial = %d, Jaccard %.3f\n", m.Shared[0][2], m.Jaccard[0][2])
	for _, w := range m.Warnings {
		fmt.Println(w)
	}
	// Output:
	// students ∩ trial = 167, Jaccard 0.250
	// segment "vip" is too small: 4 members
	// segments "students" and "job_seekers" are nearly identical: Jaccard 0.990
}

func ExampleAnalysis_Run() {
	sp := campaign.MustSplitter("side-income-message",
		campaign.Group{Name: "holdout", Ratio: 0.2},
		campaign.Group{Name: "message", Ratio: 0.8})
	// One outcome per exposed customer; the splitter fills in the group.
	outcomes := func(yield func(campaign.Outcome) bool) {
		for i := range 5000 {
			key := fmt.Sprintf("c%05d", i)
			rate := 20 // one in 20 holdout customers buys anyway …
			if sp.Assign(key) == "message" {
				rate = 14 // … and one in 14 who got the message
			}
			o := campaign.Outcome{Key: key, Converted: i%rate == 0}
			if !yield(o) {
				return
			}
		}
	}
	res, err := sp.Analysis("holdout").Run(outcomes, campaign.DefaultConfig())
	if err != nil {
		panic(err)
	}
	m, _ := res.Group("message")
	fmt.Printf("message: %d/%d = %.2f%%, lift %+.2f pp (95%% CI %+.2f to %+.2f), p = %.4f\n",
		m.Converted, m.Exposed, 100*m.Rate, 100*m.Lift.Absolute,
		100*m.Lift.AbsoluteCI.Lo, 100*m.Lift.AbsoluteCI.Hi, m.Lift.P)
	fmt.Printf("sample ratio check p = %.2f\n", res.SampleRatio.P)
	// Output:
	// message: 288/4012 = 7.18%, lift +2.12 pp (95% CI +0.39 to +3.58), p = 0.0175
	// sample ratio check p = 0.67
}

func ExampleResults_WriteTo() {
	var outcomes []campaign.Outcome
	for i := range 3000 {
		o := campaign.Outcome{Key: fmt.Sprint(i), Group: "control", Converted: i%25 == 0}
		if i%2 == 1 {
			o.Group, o.Converted = "A", i%15 == 1
		}
		outcomes = append(outcomes, o)
	}
	res, err := campaign.Analysis{Control: "control"}.Run(slices.Values(outcomes), campaign.DefaultConfig())
	if err != nil {
		panic(err)
	}
	res.WriteTo(os.Stdout)
	// Output:
	// campaign results: control "control", 95% confidence, 3,000 customers
	// group    exposed  converted  rate   95% CI          lift       95% CI             rel. lift  95% CI             z     p       p (Holm)
	// control  1,500    60         4.00%  [3.12%, 5.11%]  (control)
	// A        1,500    100        6.67%  [5.51%, 8.04%]  +2.67 pp   [+1.06, +4.30] pp  +66.7%     [+22.0%, +127.7%]  3.25  0.0012  0.0012
}

// Newcombe's example (a): 56/70 against 48/80.
func ExampleDiffInterval() {
	a := campaign.Proportion{Successes: 56, Trials: 70}
	b := campaign.Proportion{Successes: 48, Trials: 80}
	ci, _ := campaign.DiffInterval(a, b, 0.95)
	z, p, _ := campaign.ZTest(a, b)
	fmt.Printf("difference %.4f, 95%% CI %v, z = %.3f, p = %.4f\n", a.Rate()-b.Rate(), ci, z, p)
	// Output:
	// difference 0.2000, 95% CI [0.0524, 0.3339], z = 2.650, p = 0.0080
}
