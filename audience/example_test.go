package audience_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/segkit/segkit"

	"github.com/segkit/segkit/audience"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/segment"
)

// smallIndex holds ten customers: students are young, sign up for trial
// classes and carry the "campus" tag.
func smallIndex() *bitmapindex.View {
	ix, _ := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "occupation", Kind: bitmapindex.KindCategory},
	}})
	b := ix.NewBatch()
	day := time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		k := fmt.Sprintf("c%d", i)
		if i < 4 {
			b.Set(k, "occupation", bitmapindex.Category("student"))
			b.Set(k, "age", bitmapindex.Int(int64(19+i)))
			b.AddTag(k, "campus")
			b.Record(k, "trial_class", day, 0)
		} else {
			b.Set(k, "occupation", bitmapindex.Category("office"))
			b.Set(k, "age", bitmapindex.Int(int64(25+3*i)))
			if i%3 == 0 {
				b.AddTag(k, "campus")
			}
		}
	}
	_ = b.Commit()
	return ix.View()
}

func ExampleDescribe() {
	v := smallIndex()
	now := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	students, _ := segment.MustCompile(`occupation == "student"`).Eval(ctx, v, now)
	cfg := audience.DefaultConfig()
	cfg.Quantiles = []float64{0.5}
	cfg.Bins = 4
	p, err := audience.Describe(ctx, v, students, v.All(), now, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	top := p.Traits[0]
	fmt.Printf("%s: %.0f%% of the segment, %.0f%% of all, lift %.1f\n", top.Name(), top.Segment*100, top.Base*100, top.Lift)
	age := p.Numbers[0]
	fmt.Printf("median age %v vs %v\n", age.Segment.Quantiles[0], age.Base.Quantiles[0])
	_ = p.WriteText(os.Stdout, 3)
	// Output:
	// occupation == "office": 0% of the segment, 60% of all, lift 0.0
	// median age 20.5 vs 38.5
	// segment 4 customers · base 10 customers · 95% intervals · events up to 2026-06-30
	//
	// traits (3 of 3, by standardised difference)
	// trait                    segment  base   lift  lift interval  std diff
	// occupation == "office"   0.0%     60.0%  0.00  n/a            -1.73
	// occupation == "student"  100.0%   40.0%  2.50  [1.17, 5.34]   +1.73
	// has("campus")            100.0%   60.0%  1.67  [1.00, 2.76]   +1.15
	//
	// numbers (quantiles p50)
	// attribute           with value  missing  mean   sd     quantiles  std diff
	// age        segment  4           0.0%     20.50  1.12   20.50      -1.63
	//            base     10          0.0%     34.90  12.43  38.50
	//
	// events (share of members active; occurrences per member)
	// event        window  active segment  active base  difference interval  per member segment  per member base
	// trial_class  30d     100.0%          40.0%        [+3.2, +83.2] pts    1.00                0.40
	// trial_class  90d     100.0%          40.0%        [+3.2, +83.2] pts    1.00                0.40
}

func ExampleResponders() {
	// 400 customers got a side-income message; those interested in
	// finance converted far more often.
	ix, _ := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{
		{Name: "interests", Kind: bitmapindex.KindSet},
	}})
	b := ix.NewBatch()
	var outcomes []campaign.Outcome
	for i := range 400 {
		k := fmt.Sprintf("c%03d", i)
		interest := []string{"finance", "music", "games", "art"}[i%4]
		b.Set(k, "interests", bitmapindex.SetOf(interest))
		converted := i%10 == 0 || (interest == "finance" && i%3 == 0)
		outcomes = append(outcomes, campaign.Outcome{Key: k, Group: "A", Converted: converted})
	}
	_ = b.Commit()
	cfg := audience.DefaultResponderConfig()
	cfg.MinGroup = 50
	cfg.Campaign = audience.Span{Name: "side income", From: segkit.Date(2026, 6, 10), To: segkit.Date(2026, 6, 20)}
	cfg.Excluded = []audience.Span{{Name: "618", From: segkit.Date(2026, 6, 1), To: segkit.Date(2026, 6, 18)}}
	r, err := audience.Responders(context.Background(), ix.View(), slices.Values(outcomes), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	top := r.Traits[0]
	fmt.Printf("%s: %.1f%% vs %.1f%%, significant: %v\n", top.Label, top.With.Rate()*100, top.Without.Rate()*100, top.Significant(cfg.FDR))
	fmt.Println(r.Suggestions[0])
	fmt.Println(r.Warnings[0])
	// Output:
	// interests finance: 47.0% vs 6.7%, significant: true
	// interests finance: 47.0% vs 6.7%, target it in the next segment (rule: "finance" in interests)
	// the campaign (side income 2026-06-10..2026-06-20) overlaps the excluded period 618 2026-06-01..2026-06-18 on 9 days (2026-06-10..2026-06-18): who converted may reflect that period, not the message
}
