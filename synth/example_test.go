package synth_test

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/synth"
)

func ExampleNew() {
	cfg := synth.Reference(4) // the reference workload, 4 customers
	g, err := synth.New(cfg)
	if err != nil {
		panic(err)
	}
	for c := range g.Customers() {
		// The tags this customer's persona drives (P(tag | persona) ≥ 0.3).
		var driven []string
		for _, t := range c.Tags {
			if g.TagProbability(c.Persona, t) >= 0.3 {
				driven = append(driven, t)
			}
		}
		fmt.Printf("%s %-15s age=%d city=%-8s spend=%6.2f %2d tags, persona tags %v\n",
			c.Key, c.Persona, c.Age, c.City, c.Spend, len(c.Tags), driven)
	}
	// Output:
	// c00000001 retiree         age=75 city=city_154 spend=  0.00 16 tags, persona tags [retired]
	// c00000002 office_worker   age=34 city=Chengdu  spend=  0.00  9 tags, persona tags [app_user office_worker]
	// c00000003 college_student age=21 city=Shenzhen spend=  0.00 17 tags, persona tags [app_user undergrad job_seeking]
	// c00000004 college_student age=21 city=Shenzhen spend=2781.85  8 tags, persona tags [app_user undergrad]
}

func ExampleGenerator_Events() {
	g, err := synth.New(synth.Reference(2000))
	if err != nil {
		panic(err)
	}
	count := map[string]int{}
	for e := range g.Events() {
		count[e.Name]++
	}
	for _, name := range synth.EventNames() {
		fmt.Printf("%-11s %6d\n", name, count[name])
	}
	fmt.Printf("daily active: %.3f\n", float64(count[synth.EventLogin])/365/2000)
	// Output:
	// signup         981
	// login        37418
	// trial_class    670
	// purchase      3703
	// daily active: 0.051
}

func ExampleGenerator_Transactions() {
	cfg := synth.Reference(5000)
	g, err := synth.New(cfg)
	if err != nil {
		panic(err)
	}
	n, total := 0, 0.0
	buyers := map[string]bool{}
	for t := range g.Transactions() {
		n++
		total += t.Amount
		buyers[t.Customer] = true
	}
	gg := cfg.GammaGamma
	fmt.Printf("%d transactions by %d buyers, mean amount %.2f (model mean p·γ/(q−1) = %.2f)\n",
		n, len(buyers), total/float64(n), gg.P*gg.Gamma/(gg.Q-1))
	// Output:
	// 17953 transactions by 1975 buyers, mean amount 34.76 (model mean p·γ/(q−1) = 35.22)
}

func ExampleWriteCustomers() {
	cfg := synth.Reference(2)
	cfg.Seed = 3
	g, err := synth.New(cfg)
	if err != nil {
		panic(err)
	}
	if _, err := synth.WriteCustomers(os.Stdout, g.Customers()); err != nil {
		panic(err)
	}
	if err := synth.WriteSchema(os.Stdout, g.Location()); err != nil {
		panic(err)
	}
	// Output:
	// {"id":"c00000001","tags":["app_user","travel_lover","tag0065","tag0325","tag0348","tag0386","tag0575","tag0808","tag0811","tag0971"],"attrs":{"age":28,"gender":"M","city":"Shanghai","occupation":"manager","source":"wechat","spend":178.29,"signup_at":"2025-06-01T06:54:24Z","last_login_at":"2025-06-04T19:45:04Z","vip":false,"interests":["math","english","fitness","fashion"]}}
	// {"id":"c00000002","tags":["app_user","wechat_follower","undergrad","job_seeking","newsletter","price_sensitive","live_stream_viewer","tag0310","tag0497","tag0744","tag0821","tag0911"],"attrs":{"age":21,"gender":"F","city":"city_234","occupation":"student","source":"wechat","spend":0.00,"signup_at":"2025-12-21T12:23:36Z","last_login_at":"2026-03-13T07:55:48Z","vip":false,"interests":["programming","games"]}}
	// {"time_zone":"UTC","attributes":{"age":"int","gender":"category","city":"category","occupation":"category","source":"category","spend":"decimal(2)","signup_at":"time","last_login_at":"time","vip":"bool","interests":"set"}}
}

func ExampleGenerator_Load() {
	g, err := synth.New(synth.Reference(1000))
	if err != nil {
		panic(err)
	}
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		panic(err)
	}
	if err := g.Load(context.Background(), ix, synth.DefaultLoadConfig()); err != nil {
		panic(err)
	}
	v := ix.View()
	tags := v.Tags()
	slices.SortFunc(tags, func(a, b bitmapindex.TagCount) int { return b.Count - a.Count })
	fmt.Println("customers:", v.Len(), "events:", v.Events())
	for _, tc := range tags[:5] {
		fmt.Printf("%-16s %d\n", tc.Name, tc.Count)
	}
	// Output:
	// customers: 1000 events: [login purchase signup trial_class]
	// app_user         523
	// wechat_follower  280
	// office_worker    214
	// mother           179
	// undergrad        164
}
