package bitmapindex_test

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

func Example() {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		panic(err)
	}
	b := ix.NewBatch()
	b.AddTag("alice", "student")
	b.Set("alice", "age", bitmapindex.Int(21))
	b.AddTag("bob", "student")
	b.Set("bob", "age", bitmapindex.Int(35))
	b.Record("bob", "trial_class", time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC), 0)
	if err := b.Commit(); err != nil {
		panic(err)
	}
	v := ix.View()
	today := segkit.Date(2025, 6, 5)
	young, _ := v.Between("age", bitmapindex.Int(18), bitmapindex.Int(25))
	trial := v.Did("trial_class", today.AddDays(-6), today)
	fmt.Println(slices.Collect(v.Tag("student").And(young).Keys()))
	fmt.Println(slices.Collect(v.Tag("student").And(trial).Keys()))
	// Output:
	// [alice]
	// [bob]
}

func ExampleNew() {
	ix, err := bitmapindex.New(bitmapindex.Config{
		Strict: true,
		Schema: []bitmapindex.Attribute{
			{Name: "city", Kind: bitmapindex.KindCategory},
			{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(ix.Set("c1", "spend", bitmapindex.Decimal(19.99)))
	fmt.Println(ix.Set("c1", "spend", bitmapindex.Category("a lot")))
	fmt.Println(ix.Set("c1", "age", bitmapindex.Int(30)))
	// Output:
	// <nil>
	// bitmapindex: batch write 0 (set key "c1" "spend"): attribute "spend" is decimal; value is category
	// bitmapindex: batch write 0 (set key "c1" "age"): attribute "age" is not declared (strict schema); value is int
}

func ExampleBatch() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	b := ix.NewBatch()
	b.AddTag("c1", "vip")
	b.Set("c1", "age", bitmapindex.Int(40))
	b.Set("c2", "age", bitmapindex.Category("forty")) // wrong kind: nothing of the batch is applied
	fmt.Println(b.Commit())
	fmt.Println(ix.Len())
	// Output:
	// bitmapindex: batch write 2 (set key "c2" "age"): attribute "age" is int; value is category
	// 0
}

func ExampleIndex_View() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	_ = ix.AddTag("c1", "vip")
	before := ix.View()
	_ = ix.AddTag("c2", "vip")
	after := ix.View()
	fmt.Println(before.Tag("vip").Len(), after.Tag("vip").Len())
	// Output: 1 2
}

func ExampleView_Compare() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	_ = ix.Declare(bitmapindex.Attribute{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2})
	_ = ix.Set("a", "spend", bitmapindex.Decimal(100.55))
	_ = ix.Set("b", "spend", bitmapindex.Decimal(100.56))
	ix.Add("c") // no spend
	v := ix.View()
	gt, _ := v.Compare("spend", bitmapindex.Gt, bitmapindex.Decimal(100.555))
	ne, _ := v.Compare("spend", bitmapindex.Ne, bitmapindex.Decimal(100.55))
	fmt.Println(slices.Collect(gt.Keys()))
	fmt.Println(slices.Collect(ne.Keys()), "(Ne includes customers without a value)")
	// Output:
	// [b]
	// [b c] (Ne includes customers without a value)
}

func ExampleView_Did() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	at := func(d int) time.Time { return time.Date(2025, 3, d, 12, 0, 0, 0, time.UTC) }
	_ = ix.Record("a", "purchase", at(1), 20)
	_ = ix.Record("a", "purchase", at(1), 5) // same day: counts 2
	_ = ix.Record("a", "purchase", at(20), 30)
	_ = ix.Record("b", "purchase", at(25), 10)
	v := ix.View()
	today := segkit.Date(2025, 3, 31)
	from := today.AddDays(-29) // the last 30 days: Mar 2..31
	fmt.Println(slices.Collect(v.Did("purchase", from, today).Keys()))
	fmt.Println(slices.Collect(v.Count("purchase", today.AddDays(-89), today, bitmapindex.Ge, 3).Keys()))
	fmt.Println(slices.Collect(v.FirstIn("purchase", from, today).Keys()))
	// Output:
	// [a b]
	// [a]
	// [b]
}

func ExampleLoad() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	_ = ix.AddTag("c1", "vip")
	_ = ix.Set("c1", "city", bitmapindex.Category("Shanghai"))
	var buf bytes.Buffer
	if _, err := ix.View().WriteTo(&buf); err != nil {
		panic(err)
	}
	back, err := bitmapindex.Read(&buf)
	if err != nil {
		panic(err)
	}
	p, _ := back.View().Profile("c1")
	fmt.Println(p.Tags, p.Attrs["city"])

	_, err = bitmapindex.Read(bytes.NewReader([]byte("not a snapshot")))
	fmt.Println(err)
	// Output:
	// map[vip:true] Shanghai
	// bitmapindex: corrupt data: not a segkit index snapshot (bad magic)
}

func ExampleSet_MarshalBinary() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	for _, k := range []string{"a", "b", "c"} {
		ix.Add(k)
	}
	_ = ix.AddTag("a", "vip")
	_ = ix.AddTag("c", "vip")
	v := ix.View()
	data, _ := v.Tag("vip").MarshalBinary() // portable roaring: ClickHouse, Doris, Java, C
	s, err := bitmapindex.ReadSet(v, data)
	fmt.Println(slices.Collect(s.IDs()), slices.Collect(s.Keys()), err)
	// Output: [0 2] [a c] <nil>
}

// CompareCount sizes an audience without building it; CompareIn narrows a
// set by a comparison (a conjunction's last step).
func ExampleView_CompareIn() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	b := ix.NewBatch()
	for i, spend := range []float64{120, 640, 980, 75, 510} {
		key := fmt.Sprintf("c%d", i)
		b.Set(key, "spend", bitmapindex.Decimal(spend))
		if i%2 == 0 {
			b.AddTag(key, "english")
		}
	}
	if err := b.Commit(); err != nil {
		panic(err)
	}
	v := ix.View()
	n, _ := v.CompareCount("spend", bitmapindex.Ge, bitmapindex.Decimal(500))
	big, _ := v.CompareIn(v.Tag("english"), "spend", bitmapindex.Ge, bitmapindex.Decimal(500))
	fmt.Println(n, slices.Collect(big.Keys()))
	// Output:
	// 3 [c2 c4]
}

// A bulk load: one chunk of customers with typed columns and events as
// columns, committed atomically; the keys get dense IDs in row order.
func ExampleChunk() {
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Schema: []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "city", Kind: bitmapindex.KindCategory},
		{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
	}})
	if err != nil {
		panic(err)
	}
	c := ix.NewChunk([]string{"alice", "bob", "carol"})
	c.Tag("student", []uint32{0, 2})               // rows 0 and 2
	c.Ints("age", []uint32{0, 1}, []int64{21, 35}) // carol's age is missing
	c.Categories("city", nil, []string{"Shanghai", "Beijing", "Shanghai"})
	c.Decimals("spend", nil, []float64{12.5, 0, 99.99})
	day := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC).Unix()
	c.Events("purchase", bitmapindex.EventColumns{
		Rows:   []uint32{0, 2, 2},
		At:     []int64{day, day, day + 86400},
		Values: []bitmapindex.Amount{125000, 500000, 499900}, // 12.50, 50.00, 49.99
		Props:  []bitmapindex.PropColumn{{Name: "channel", Values: []string{"app", "web", ""}}},
	})
	ids, err := c.Commit()
	if err != nil {
		panic(err)
	}
	fmt.Println(ids)

	// A bad value rejects the whole chunk, naming the row, key and column.
	bad := ix.NewChunk([]string{"dave", "erin"})
	bad.Ints("age", nil, []int64{40, 41})
	bad.Categories("age", []uint32{1}, []string{"old"})
	_, err = bad.Commit()
	fmt.Println(err)

	v := ix.View()
	today := segkit.Date(2025, 6, 5)
	shanghai, _ := v.WithValue("city", "Shanghai")
	fmt.Println(v.Len(), slices.Collect(v.Tag("student").And(shanghai).Keys()))
	fmt.Println(slices.Collect(v.Count("purchase", today.AddDays(-6), today, bitmapindex.Ge, 2).Keys()))
	// Output:
	// [0 1 2]
	// bitmapindex: batch write 0 (chunk key "erin" "age"): row 1, column 1 (category): attribute "age" is int; value is category
	// 3 [alice carol]
	// [carol]
}

// FillProfile reads many customers one after the other into one Profile,
// only the fields a known set of rules needs: here the customers a batch
// touched, as a live segment re-evaluating them would.
func ExampleView_FillProfile() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	b := ix.NewBatch()
	for i, k := range []string{"ann", "bo", "cy"} {
		b.AddTag(k, "student")
		b.Set(k, "age", bitmapindex.Int(int64(20+i)))
		b.Set(k, "city", bitmapindex.Category("Hangzhou"))
	}
	b.Record("bo", "purchase", time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC), 99)
	if err := b.Commit(); err != nil {
		panic(err)
	}
	v := ix.View()
	only := bitmapindex.Fields{Attrs: []string{"age"}, Events: []string{"purchase"}}
	var p bitmapindex.Profile
	for _, key := range []string{"ann", "bo", "nobody"} {
		id, ok := v.ID(key)
		if !ok || !v.FillProfile(&p, id, &only) {
			fmt.Println(key, "not a customer")
			continue
		}
		fmt.Println(p.Key, p.Attrs["age"], len(p.Tags), len(p.Events["purchase"]))
	}
	// Output:
	// ann 20 0 0
	// bo 21 0 1
	// nobody not a customer
}

// NextTouched reports, by field, what the writes since the previous call
// touched: a consumer re-evaluating rules for those customers reads again
// only what changed (here: bo's tags, and cy's purchases on one day).
func ExampleTracker_NextTouched() {
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	day := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
	for _, k := range []string{"ann", "bo", "cy"} {
		_ = ix.AddTag(k, "student")
	}
	tr, _ := ix.TrackFrom()
	defer tr.Close()
	b := ix.NewBatch()
	b.AddTag("bo", "vip")
	b.Record("cy", "purchase", day, 99)
	if err := b.Commit(); err != nil {
		panic(err)
	}
	v, tc, _ := tr.NextTouched()
	name := func(id uint32) string { k, _ := v.Key(id); return k }
	fmt.Println("touched:", tc.IDs.GetCardinality())
	for _, id := range tc.Tags["vip"].ToArray() {
		fmt.Println("vip:", name(id))
	}
	for _, id := range tc.Events["purchase"].ToArray() {
		fmt.Println("purchase:", name(id), "on", v.Zone().Start(tc.Days["purchase"][0]).Format(time.DateOnly))
	}
	// Output:
	// touched: 2
	// vip: bo
	// purchase: cy on 2025-06-02
}
