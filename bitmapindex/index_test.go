package bitmapindex

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustNew(t testing.TB, cfg Config) *Index {
	t.Helper()
	ix, err := New(cfg)
	require.NoError(t, err)
	return ix
}

func TestNewValidatesSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema []Attribute
		errSub string
	}{
		{"empty name", []Attribute{{Kind: KindInt}}, "empty name"},
		{"invalid kind", []Attribute{{Name: "x"}}, "invalid kind"},
		{"bad scale", []Attribute{{Name: "x", Kind: KindDecimal, Scale: 10}}, "scale 10"},
		{"scale on int", []Attribute{{Name: "x", Kind: KindInt, Scale: 2}}, "scale 2"},
		{"duplicate", []Attribute{{Name: "x", Kind: KindInt}, {Name: "x", Kind: KindBool}}, "declared twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Schema: tc.schema})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errSub)
			assert.Contains(t, err.Error(), "bitmapindex: ")
		})
	}
	_, err := New(Config{Location: time.FixedZone("UTC+8", 8*3600)})
	require.NoError(t, err, "fixed zones are persistable")
}

func TestDeclare(t *testing.T) {
	ix := mustNew(t, Config{Strict: true})
	require.NoError(t, ix.Declare(Attribute{Name: "spend", Kind: KindDecimal, Scale: 2}))
	require.NoError(t, ix.Declare(Attribute{Name: "spend", Kind: KindDecimal, Scale: 2}), "idempotent")
	err := ix.Declare(Attribute{Name: "spend", Kind: KindInt})
	require.Error(t, err)
	assert.Equal(t, `bitmapindex: attribute "spend" is already declared as decimal(2), not int`, err.Error())
	require.Error(t, ix.Declare(Attribute{Name: "spend", Kind: KindDecimal, Scale: 3}))
	assert.Equal(t, []Attribute{{Name: "spend", Kind: KindDecimal, Scale: 2}}, ix.Schema())
	a, ok := ix.View().Attribute("spend")
	assert.True(t, ok)
	assert.Equal(t, 2, a.Scale)
}

func TestKeysAndIDs(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	for i, k := range []string{"x", "y", "z"} {
		id, created := ix.Add(k)
		assert.True(t, created)
		assert.Equal(t, uint32(i), id)
	}
	id, created := ix.Add("y")
	assert.False(t, created)
	assert.Equal(t, uint32(1), id)
	require.NoError(t, ix.AddTag("y", "vip"))
	before := ix.View()

	assert.True(t, ix.Delete("y"))
	assert.False(t, ix.Delete("y"))
	assert.False(t, ix.Delete("never"))
	assert.Equal(t, 2, ix.Len())
	v := ix.View()
	_, ok := v.ID("y")
	assert.False(t, ok)
	_, ok = v.Key(1)
	assert.False(t, ok)
	assert.Equal(t, 0, v.Tag("vip").Len(), "delete removes from every bitmap")

	id, created = ix.Add("y")
	assert.True(t, created)
	assert.Equal(t, uint32(3), id, "a returning key gets a new ID")
	after := ix.View()
	got, _ := after.ID("y")
	assert.Equal(t, uint32(3), got)
	assert.Equal(t, 0, after.Tag("vip").Len())

	// the old view still sees the old customer
	old, ok := before.ID("y")
	assert.True(t, ok)
	assert.Equal(t, uint32(1), old)
	assert.True(t, before.Tag("vip").ContainsKey("y"))
	assert.Equal(t, []string{"x", "y", "z"}, slices.Collect(before.All().Keys()))
	assert.Equal(t, []string{"x", "z", "y"}, slices.Collect(after.All().Keys()), "ID order")
}

func TestTags(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, ix.AddTag(k, "t1"))
	}
	require.NoError(t, ix.AddTag("a", "t2"))
	require.NoError(t, ix.RemoveTag("b", "t1"))
	require.NoError(t, ix.RemoveTag("b", "unknown"))
	require.Error(t, ix.AddTag("a", ""))
	v := ix.View()
	assert.Equal(t, []TagCount{{"t1", 2}, {"t2", 1}}, v.Tags())
	assert.True(t, v.HasTag("t2"))
	assert.False(t, v.HasTag("unknown"), "removing an unknown tag does not create it")
	assert.Equal(t, []string{"a", "c"}, slices.Collect(v.Tag("t1").Keys()))
	require.NoError(t, ix.RemoveTag("a", "t2"))
	v = ix.View()
	assert.True(t, v.HasTag("t2"), "a tag that had members still exists")
	assert.Equal(t, 0, v.Tag("t2").Len())
	assert.Equal(t, 3, v.Len(), "writes create customers")
}

func TestStrictKindErrors(t *testing.T) {
	ix := mustNew(t, Config{Strict: true, Schema: []Attribute{{Name: "age", Kind: KindInt}}})
	err := ix.Set("c1", "age", Category("old"))
	var ke *KindError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, KindError{Attr: "age", Declared: KindInt, Got: KindCategory}, *ke)
	assert.Contains(t, err.Error(), `attribute "age" is int; value is category`)
	err = ix.Set("c1", "city", Category("Bern"))
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, KindInvalid, ke.Declared)
	assert.Contains(t, err.Error(), `attribute "city" is not declared (strict schema); value is category`)
	require.ErrorIs(t, ix.Clear("c1", "city"), ErrUnknownAttribute)
	assert.Equal(t, 0, ix.Len(), "nothing written, not even the customer")

	loose := mustNew(t, DefaultConfig())
	require.NoError(t, loose.Set("c1", "spend", Decimal(1.234)))
	require.NoError(t, loose.Set("c1", "age", Int(3)))
	assert.Equal(t, []Attribute{{Name: "age", Kind: KindInt}, {Name: "spend", Kind: KindDecimal, Scale: 2}}, loose.Schema())
	err = loose.Set("c2", "age", Decimal(3))
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, KindDecimal, ke.Got)
	assert.Equal(t, 1, loose.Len())
	require.NoError(t, loose.Clear("c1", "never-declared"), "a non-strict index ignores clearing an unknown attribute")
}

func TestBatchAtomic(t *testing.T) {
	ix := mustNew(t, Config{Schema: []Attribute{{Name: "age", Kind: KindInt}}})
	require.NoError(t, ix.AddTag("keep", "vip"))
	b := ix.NewBatch()
	b.AddTag("a", "vip")
	b.Set("a", "age", Int(30))
	b.Record("a", "login", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	b.Delete("keep")
	b.Set("b", "age", Category("thirty")) // invalid
	b.AddTag("c", "vip")
	assert.Equal(t, 6, b.Len())
	err := b.Commit()
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 4, be.Pos)
	assert.Equal(t, "b", be.Key)
	assert.Equal(t, "age", be.Field)
	var ke *KindError
	require.True(t, errors.As(err, &ke))
	assert.Equal(t, `bitmapindex: batch write 4 (set key "b" "age"): attribute "age" is int; value is category`, err.Error())
	v := ix.View()
	assert.Equal(t, []string{"keep"}, slices.Collect(v.All().Keys()), "nothing of the batch applied")
	assert.Empty(t, v.Events())

	// a valid batch applies in order: delete then re-add gives a new ID
	b = ix.NewBatch()
	b.AddTag("keep", "x")
	b.Delete("keep")
	b.AddTag("keep", "y")
	require.NoError(t, b.Commit())
	require.ErrorIs(t, b.Commit(), ErrCommitted)
	v = ix.View()
	id, _ := v.ID("keep")
	assert.Equal(t, uint32(1), id)
	assert.Equal(t, 0, v.Tag("x").Len())
	assert.Equal(t, 1, v.Tag("y").Len())
	assert.Equal(t, 0, v.Tag("vip").Len())
}

func TestAttributesCompare(t *testing.T) {
	ix := mustNew(t, Config{Schema: []Attribute{
		{Name: "age", Kind: KindInt}, {Name: "spend", Kind: KindDecimal, Scale: 2},
		{Name: "city", Kind: KindCategory}, {Name: "likes", Kind: KindSet},
		{Name: "seen", Kind: KindTime}, {Name: "member", Kind: KindBool},
	}})
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := []struct {
		key   string
		age   int64
		spend float64
		city  string
		likes []string
	}{
		{"a", -5, 100.55, "Beijing", []string{"math"}},
		{"b", 26, 100.56, "Bern", []string{"math", "art"}},
		{"c", 30, 100.555, "Beijing", nil},
		{"d", 31, -1, "Shanghai", []string{"art"}},
	}
	b := ix.NewBatch()
	for i, r := range rows {
		b.Set(r.key, "age", Int(r.age))
		b.Set(r.key, "spend", Decimal(r.spend))
		b.Set(r.key, "city", Category(r.city))
		b.Set(r.key, "likes", SetOf(r.likes...))
		b.Set(r.key, "seen", Time(t0.Add(time.Duration(i)*time.Hour)))
		b.Set(r.key, "member", Bool(i%2 == 0))
	}
	b.Add("none")
	require.NoError(t, b.Commit())
	v := ix.View()
	keys := func(s Set, err error) []string {
		require.NoError(t, err)
		return slices.Collect(s.Keys())
	}
	assert.Equal(t, []string{"b", "c"}, keys(v.Between("age", Int(26), Int(30))))
	assert.Equal(t, []string{"a"}, keys(v.Compare("age", Lt, Int(0))))
	assert.Equal(t, []string{"b", "c", "d", "none"}, keys(v.Compare("age", Ne, Int(-5))), "Ne includes customers without a value")
	assert.Equal(t, []string{"b", "c"}, keys(v.Compare("spend", Gt, Decimal(100.555))))
	assert.Empty(t, keys(v.Compare("spend", Eq, Decimal(100.555))))
	assert.Equal(t, []string{"a", "c"}, keys(v.Compare("city", Eq, Category("Beijing"))))
	assert.Equal(t, []string{"b", "d", "none"}, keys(v.Compare("city", Ne, Category("Beijing"))))
	assert.Equal(t, []string{"a", "c"}, keys(v.WithValue("city", "Beijing")))
	assert.Equal(t, []string{"a", "b"}, keys(v.WithValue("likes", "math")))
	assert.Equal(t, []string{"a", "b", "d"}, keys(v.Present("likes")), "an empty set is no value")
	assert.Equal(t, []string{"c", "d"}, keys(v.Compare("seen", Ge, Time(t0.Add(2*time.Hour)))))
	assert.Equal(t, []string{"a", "c"}, keys(v.Compare("member", Eq, Bool(true))))
	vals, err := v.Values("city")
	require.NoError(t, err)
	assert.Equal(t, []string{"Beijing", "Bern", "Shanghai"}, vals)

	_, err = v.Compare("age", Eq, Decimal(1))
	var ke *KindError
	require.ErrorAs(t, err, &ke)
	assert.Contains(t, err.Error(), `attribute "age" is int; comparison value is decimal`)
	_, err = v.Compare("likes", Eq, SetOf("math"))
	require.Error(t, err)
	_, err = v.Present("nope")
	require.ErrorIs(t, err, ErrUnknownAttribute)
	assert.Contains(t, err.Error(), `"nope"`)

	// replace and clear
	require.NoError(t, ix.Set("c", "city", Category("Bern")))
	require.NoError(t, ix.Clear("a", "age"))
	require.NoError(t, ix.Set("b", "likes", SetOf("art")))
	v2 := ix.View()
	assert.Equal(t, []string{"b", "c"}, keys(v2.WithValue("city", "Bern")))
	assert.Equal(t, []string{"a"}, keys(v2.WithValue("city", "Beijing")))
	assert.Equal(t, []string{"b", "c", "d"}, keys(v2.Present("age")))
	assert.Equal(t, []string{"a"}, keys(v2.WithValue("likes", "math")))
	assert.Equal(t, []string{"a", "c"}, keys(v.WithValue("city", "Beijing")), "the older view is unchanged")
}

func TestWideAttributeUsesBitSlices(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	b := ix.NewBatch()
	for i := range 500 {
		b.Set(string(rune('A'+i%26))+string(rune('a'+i/26)), "score", Int(int64(i*7919%1000-500)))
	}
	require.NoError(t, b.Commit())
	v := ix.View()
	a := v.st.attrs["score"]
	assert.True(t, a.wide, "more than maxValueBitmaps values")
	s, err := v.Compare("score", Ge, Int(250))
	require.NoError(t, err)
	want := 0
	for i := range 500 {
		if i*7919%1000-500 >= 250 {
			want++
		}
	}
	assert.Equal(t, want, s.Len())
}

func TestEvents(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	ix := mustNew(t, Config{Location: shanghai})
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, shanghai) }
	rec := func(key string, at time.Time) { require.NoError(t, ix.Record(key, "buy", at, 10)) }
	rec("a", day(2025, 3, 1))
	rec("a", day(2025, 3, 1)) // twice on one day counts 2
	rec("a", day(2025, 3, 20))
	rec("b", day(2025, 3, 20))
	rec("c", day(2025, 1, 5))
	rec("b", day(2025, 2, 1)) // older than b's first: becomes b's first
	// 23:30 UTC on Mar 19 is Mar 20 in Shanghai
	rec("d", time.Date(2025, 3, 19, 23, 30, 0, 0, time.UTC))
	ix.Add("e")
	v := ix.View()
	today := segkit.Date(2025, 3, 31)
	d30 := today.AddDays(-30) // a 31-day window: Mar 1..31
	keys := func(s Set) []string { return slices.Collect(s.Keys()) }
	assert.Equal(t, []string{"a", "b", "d"}, keys(v.Did("buy", d30, today)))
	assert.Equal(t, []string{"a"}, keys(v.Count("buy", d30, today, Ge, 3)))
	assert.Equal(t, []string{"a"}, keys(v.Count("buy", d30, today, Eq, 3)))
	assert.Equal(t, []string{"b", "c", "d", "e"}, keys(v.Count("buy", d30, today, Lt, 3)), "no occurrence counts 0")
	assert.Equal(t, []string{"c", "e"}, keys(v.Count("buy", d30, today, Eq, 0)))
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, keys(v.Count("buy", d30, today, Ge, 0)))
	assert.Equal(t, []string{"a", "d"}, keys(v.FirstIn("buy", d30, today)))
	assert.Equal(t, []string{"b"}, keys(v.FirstIn("buy", segkit.Date(2025, 2, 1), segkit.Date(2025, 2, 1))))
	assert.Empty(t, keys(v.Did("buy", today, d30)), "empty window")
	assert.Empty(t, keys(v.Did("never", d30, today)))
	assert.Equal(t, 5, v.Count("never", d30, today, Le, 0).Len())
	assert.Equal(t, []string{"buy"}, v.Events())
	sum, ok := v.EventSum("buy", "a")
	assert.True(t, ok)
	assert.Equal(t, 30.0, sum)
	p, ok := v.Profile("a")
	require.True(t, ok)
	assert.Len(t, p.Events["buy"], 3)
	assert.Equal(t, day(2025, 3, 1).Truncate(24*time.Hour).Format("2006-01-02"), p.Events["buy"][0].Format("2006-01-02"))
	assert.Equal(t, shanghai, p.Location)
	require.Error(t, ix.Record("a", "buy", day(2025, 1, 1), mathNaN()))
	require.Error(t, ix.Record("a", "", day(2025, 1, 1), 0))
}

func TestViewsAreImmutableAndCheap(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	require.NoError(t, ix.AddTag("a", "t"))
	v1 := ix.View()
	assert.Same(t, v1, ix.View(), "no change, same view")
	require.NoError(t, ix.AddTag("b", "t"))
	require.NoError(t, ix.Set("a", "age", Int(3)))
	require.NoError(t, ix.Record("a", "login", time.Unix(0, 0), 0))
	v2 := ix.View()
	assert.NotSame(t, v1, v2)
	assert.Equal(t, 1, v1.Tag("t").Len())
	assert.Equal(t, 2, v2.Tag("t").Len())
	_, err := v1.Present("age")
	require.ErrorIs(t, err, ErrUnknownAttribute, "schema changes are not visible to older views")
	assert.Empty(t, v1.Events())
	assert.Equal(t, 1, v1.Len())
	// the writer copied the tag bitmap instead of changing the one v1 holds
	assert.NotSame(t, v1.st.tags["t"].b, v2.st.tags["t"].b)
}

func TestStats(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	b := ix.NewBatch()
	for i := range 100 {
		k := string(rune('a'+i%26)) + string(rune('a'+i/26))
		b.AddTag(k, "t")
		b.Set(k, "age", Int(int64(20+i%10)))
		b.Set(k, "city", Category([]string{"x", "y", "z"}[i%3]))
		b.Record(k, "login", time.Date(2025, 1, 1+i%5, 0, 0, 0, 0, time.UTC), 0)
	}
	require.NoError(t, b.Commit())
	ix.Delete("aa")
	st := ix.View().Stats()
	assert.Equal(t, 99, st.Customers)
	assert.Equal(t, 100, st.IDs)
	byName := map[string]FieldStats{}
	for _, f := range st.Fields {
		byName[f.Name] = f
	}
	assert.Equal(t, FieldStats{Name: "t", Kind: "tag", Members: 99, Cardinality: 1, Bitmaps: 1, Bytes: byName["t"].Bytes}, byName["t"])
	assert.Equal(t, 10, byName["age"].Cardinality)
	assert.Equal(t, 3, byName["city"].Cardinality)
	assert.Equal(t, "event", byName["login"].Kind)
	assert.Equal(t, 5, byName["login"].Cardinality)
	assert.Equal(t, 99, byName["login"].Members)
	assert.Positive(t, st.MemoryBytes)
	assert.Positive(t, st.PortableBytes)
	assert.Greater(t, st.MemoryBytes, st.KeyBytes)
}
