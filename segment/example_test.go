package segment_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
)

// exampleIndex is a tiny education business: who is a college student,
// who took a trial class, who bought.
func exampleIndex() (*bitmapindex.Index, time.Time) {
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "city", Kind: bitmapindex.KindCategory},
		{Name: "last_login", Kind: bitmapindex.KindTime},
	}})
	if err != nil {
		panic(err)
	}
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	b := ix.NewBatch()
	for _, c := range []struct {
		key, city string
		age       int64
		tags      []string
		trial     int // days ago; -1: none
		bought    bool
		login     int // days ago
	}{
		{"amy", "Beijing", 20, []string{"college"}, 3, false, 1},
		{"ben", "Shanghai", 21, []string{"college"}, 2, true, 2},
		{"cai", "Beijing", 29, []string{"office"}, 40, false, 45},
		{"dee", "Berlin", 19, []string{"college"}, -1, false, 60},
	} {
		b.Add(c.key)
		for _, t := range c.tags {
			b.AddTag(c.key, t)
		}
		b.Set(c.key, "age", bitmapindex.Int(c.age))
		b.Set(c.key, "city", bitmapindex.Category(c.city))
		b.Set(c.key, "last_login", bitmapindex.Time(now.AddDate(0, 0, -c.login)))
		if c.trial >= 0 {
			b.Record(c.key, "trial_class", now.AddDate(0, 0, -c.trial), 0)
		}
		if c.bought {
			b.Record(c.key, "purchase", now.AddDate(0, 0, -1), 99)
		}
	}
	if err := b.Commit(); err != nil {
		panic(err)
	}
	return ix, now
}

func ExampleCompile() {
	schema := []bitmapindex.Attribute{{Name: "city", Kind: bitmapindex.KindCategory}, {Name: "age", Kind: bitmapindex.KindInt}}
	_, err := segment.Compile(`has("college") && city > 3 && agee < 30`, segment.WithSchema(schema))
	fmt.Println(err)

	var list segment.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Printf("line %d, column %d: %s\n", e.Line, e.Column, e.Msg)
		}
	}
	// Output:
	// segment: 2 problems in rule:
	// 1:24: cannot compare category attribute city with int 3
	//  | has("college") && city > 3 && agee < 30
	//  | .......................^
	// 1:31: unknown attribute "agee" (did you mean age?)
	//  | has("college") && city > 3 && agee < 30
	//  | ..............................^
	// line 1, column 24: cannot compare category attribute city with int 3
	// line 1, column 31: unknown attribute "agee" (did you mean age?)
}

func ExampleRule_Eval() {
	ix, now := exampleIndex()
	// College students who took a trial class in the last 7 days and have not bought.
	rule := segment.MustCompile(`has("college") && firstWithin("trial_class", "7d") && !did("purchase")`)
	members, err := rule.Eval(context.Background(), ix.View(), now)
	if err != nil {
		panic(err)
	}
	for key := range members.Keys() {
		fmt.Println(key)
	}
	// No login for 30 days:
	lapsed := segment.MustCompile(`daysSince(last_login) >= 30`)
	n, _ := lapsed.Count(context.Background(), ix.View(), now)
	fmt.Println("lapsed:", n)
	// Output:
	// amy
	// lapsed: 2
}

func ExampleRule_Match() {
	rule := segment.MustCompile(`age in 26..30 && city in ["Beijing", "Shanghai"] && !has("vip")`)
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	p := bitmapindex.Profile{
		Key:   "c42",
		Tags:  map[string]bool{"office": true},
		Attrs: map[string]bitmapindex.Value{"age": bitmapindex.Int(28), "city": bitmapindex.Category("Beijing")},
	}
	ok, err := rule.Match(p, now)
	fmt.Println(ok, err)
	p.Tags["vip"] = true
	ok, err = rule.Match(p, now)
	fmt.Println(ok, err)
	// Output:
	// true <nil>
	// false <nil>
}

func ExampleRule_Explain() {
	ix, now := exampleIndex()
	rule := segment.MustCompile(`has("college") && (city == "Beijing" || age > 20) && !did("purchase")`)
	out, _ := rule.Explain(context.Background(), ix.View(), now)
	fmt.Print(out)
	// Output:
	// rule: has("college") && (city == "Beijing" || age > 20) && !did("purchase")
	// today: 2025-06-15 (UTC), live customers: 4, members: 1
	// and-not                   1
	// ├─ has("college")         3
	// ├─ or                     3
	// │  ├─ city == "Beijing"   2
	// │  └─ age > 20            2
	// └─ minus did("purchase")  1  [days up to 2025-06-15]
}

func ExampleRegistry() {
	ix, now := exampleIndex()
	ctx := context.Background()
	var reg segment.Registry // the zero Registry is ready to use
	err := reg.DefineAll(
		segment.Definition{Name: "students", Rule: `has("college")`},
		segment.Definition{Name: "trialists", Rule: `didWithin("trial_class", "30d")`},
		segment.Definition{Name: "convert_next", Rule: `inSegment("students") && inSegment("trialists") && !did("purchase")`,
			Description: "students in their trial month who have not bought"},
	)
	if err != nil {
		panic(err)
	}
	fmt.Println(reg.Order())
	s, _ := reg.Eval(ctx, "convert_next", ix.View(), now)
	fmt.Println(s.Len(), "member(s)")

	// Cycles and deleting referenced segments are refused.
	err = reg.Define(segment.Definition{Name: "students", Rule: `has("college") && !inSegment("convert_next")`})
	fmt.Println(err)
	fmt.Println(reg.Delete("trialists"))
	// Output:
	// [students trialists convert_next]
	// 1 member(s)
	// segment: reference cycle convert_next → students → convert_next
	// segment: cannot delete "trialists": referenced by "convert_next"
}
