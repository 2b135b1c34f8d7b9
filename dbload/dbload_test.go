package dbload_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/dbload"
)

var attrs = []dbload.Column{
	{Column: "age", Attribute: bitmapindex.Attribute{Name: "age", Kind: bitmapindex.KindInt}},
	{Column: "spend", Attribute: bitmapindex.Attribute{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2}},
	{Column: "city", Attribute: bitmapindex.Attribute{Name: "city", Kind: bitmapindex.KindCategory}},
	{Column: "interests", Attribute: bitmapindex.Attribute{Name: "interests", Kind: bitmapindex.KindSet}},
	{Column: "signup", Attribute: bitmapindex.Attribute{Name: "signup", Kind: bitmapindex.KindTime}},
	{Column: "vip", Attribute: bitmapindex.Attribute{Name: "vip", Kind: bitmapindex.KindBool}},
}

var custCols = []string{"id", "tags", "age", "spend", "city", "interests", "signup", "vip", "deleted", "updated"}

func loader(t testing.TB, customers, events string) *dbload.Loader {
	db, err := sql.Open("dbloadtest", "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &dbload.Loader{
		DB:        db,
		BatchSize: 7,
		Customers: &dbload.Customers{Query: customers, Key: "id", Tags: "tags", Attributes: attrs, Deleted: "deleted", Watermark: "updated"},
		Events:    &dbload.Events{Query: events, Key: "id", Name: "name", At: "at", Value: "value", Props: "props", Watermark: "seq"},
	}
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// randomRow is a customer row with values in the forms drivers return.
func randomRow(rng *rand.Rand, id string, updated int64) []driver.Value {
	var tags driver.Value
	switch rng.IntN(4) {
	case 0:
		tags = []byte(`{t1,"t 2","q\"x"}`)
	case 1:
		tags = `["t1","t3"]`
	case 2:
		tags = "t3, t4"
	}
	maybe := func(v driver.Value) driver.Value {
		if rng.IntN(4) == 0 {
			return nil
		}
		return v
	}
	return []driver.Value{
		id, tags,
		maybe(int64(rng.IntN(80))),
		maybe([]byte(fmt.Sprintf("%d.%02d", rng.IntN(500), rng.IntN(100)))),
		maybe([]string{"Beijing", "Boston", "北京"}[rng.IntN(3)]),
		maybe([]byte(`{math,art}`)),
		maybe(t0.Add(time.Duration(rng.IntN(1000)) * time.Hour)),
		maybe(rng.IntN(2) == 0),
		false,
		updated,
	}
}

// profiles returns every live customer's profile without the fields that
// do not depend on how the data came in.
func profiles(ix *bitmapindex.Index) map[string]bitmapindex.Profile {
	v := ix.View()
	out := map[string]bitmapindex.Profile{}
	for k := range v.All().Keys() {
		p, _ := v.Profile(k)
		p.Schema, p.Location = nil, nil
		out[k] = p
	}
	return out
}

// TestRefreshEqualsFullLoad: loading, changing rows (tags, values, NULLs,
// deletions, new customers, new events) and refreshing gives the index a
// full load of the changed tables gives.
func TestRefreshEqualsFullLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows [][]driver.Value
	for i := 0; i < 60; i++ {
		rows = append(rows, randomRow(rng, fmt.Sprintf("c%02d", i), 1))
	}
	var evs [][]driver.Value
	for i := 0; i < 200; i++ {
		var props driver.Value
		switch rng.IntN(3) {
		case 0:
			props = []byte(`{"channel": "app", "n": 3}`)
		case 1:
			props = `{}`
		}
		evs = append(evs, []driver.Value{fmt.Sprintf("c%02d", rng.IntN(60)), []string{"login", "buy"}[rng.IntN(2)], t0.Add(time.Duration(rng.IntN(5000)) * time.Hour), []byte("12.5"), props, int64(i)})
	}
	evCols := []string{"id", "name", "at", "value", "props", "seq"}
	setTable("c1", custCols, rows)
	setTable("e1", evCols, evs)
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	l := loader(t, "c1", "e1")
	var progress []dbload.Progress
	l.Progress = func(p dbload.Progress) { progress = append(progress, p) }
	st, err := l.Load(context.Background(), ix)
	require.NoError(t, err)
	assert.Equal(t, 60, st.CustomerRows)
	assert.Equal(t, 200, st.EventRows)
	assert.Equal(t, int64(1), st.Customers)
	assert.Equal(t, int64(199), st.Events)
	require.NotEmpty(t, progress)
	assert.True(t, progress[len(progress)-1].Done)

	// change 10 rows, delete 3, add 5 customers and 20 events
	changed := slices.Clone(rows)
	for i := 0; i < 10; i++ {
		k := rng.IntN(60)
		changed[k] = randomRow(rng, fmt.Sprintf("c%02d", k), 2)
	}
	for i := 0; i < 3; i++ {
		k := rng.IntN(60)
		r := slices.Clone(changed[k])
		r[8], r[9] = true, int64(2)
		changed[k] = r
	}
	for i := 60; i < 65; i++ {
		changed = append(changed, randomRow(rng, fmt.Sprintf("c%02d", i), 3))
	}
	evs2 := slices.Clone(evs)
	for i := 200; i < 220; i++ {
		evs2 = append(evs2, []driver.Value{fmt.Sprintf("c%02d", rng.IntN(65)), "buy", t0.Add(time.Duration(rng.IntN(5000)) * time.Hour), nil, []byte(`{"channel":"web"}`), int64(i)})
	}
	setTable("c2", custCols, changed)
	setTable("e2", evCols, evs2)
	l2 := loader(t, "c2", "e2")
	st2, err := l2.Refresh(context.Background(), ix, st)
	require.NoError(t, err)
	wantRows := 0
	for _, r := range changed {
		if r[9].(int64) > 1 {
			wantRows++
		}
	}
	assert.Equal(t, wantRows, st2.CustomerRows)
	assert.Equal(t, 20, st2.EventRows)
	assert.Equal(t, int64(3), st2.Customers)

	full, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	_, err = loader(t, "c2", "e2").Load(context.Background(), full)
	require.NoError(t, err)
	require.Equal(t, profiles(full), profiles(ix))
}

func TestValues(t *testing.T) {
	setTable("v", custCols, [][]driver.Value{
		{"a", []byte(`{x,"y z",NULL,"q\"r"}`), []byte("42"), 19.995, []byte("Beijing"), []string{"m", "n"}, []byte("2025-03-04 05:06:07+08"), []byte("t"), nil, int64(1)},
		{"b", nil, nil, nil, nil, []byte("{}"), "2025-03-04", int64(0), nil, int64(1)},
	})
	setTable("ev", []string{"id", "name", "at", "value", "props", "seq"}, [][]driver.Value{
		{"a", "buy", t0, []byte("19.9999"), []byte(`{"channel": "app", "n": 3, "ok": true}`), int64(1)},
		{"a", "buy", t0, float64(2.5), nil, int64(2)},
		{"zz", "buy", t0, nil, nil, int64(3)}, // not a customer: skipped
	})
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	st, err := loader(t, "v", "ev").Load(context.Background(), ix)
	require.NoError(t, err)
	assert.Equal(t, 1, st.SkippedEvents)
	pa, _ := ix.View().Profile("a")
	assert.Equal(t, []bitmapindex.EventDetail{{Value: 199999, Props: map[string]string{"channel": "app", "n": "3", "ok": "true"}}, {Value: 25000}}, pa.Details["buy"])
	require.NoError(t, err)
	ps := profiles(ix)
	a := ps["a"]
	a.Events, a.Details = nil, nil
	assert.Equal(t, map[string]bool{"x": true, "y z": true, `q"r`: true}, a.Tags)
	assert.Equal(t, bitmapindex.Int(42), a.Attrs["age"])
	assert.Equal(t, "20", a.Attrs["spend"].String())
	assert.Equal(t, bitmapindex.Category("Beijing"), a.Attrs["city"])
	assert.Equal(t, bitmapindex.SetOf("m", "n"), a.Attrs["interests"])
	assert.Equal(t, bitmapindex.Time(time.Date(2025, 3, 3, 21, 6, 7, 0, time.UTC)), a.Attrs["signup"])
	assert.Equal(t, bitmapindex.Bool(true), a.Attrs["vip"])
	b := ps["b"]
	assert.Empty(t, b.Tags)
	assert.Equal(t, map[string]bitmapindex.Value{"signup": bitmapindex.Time(time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)), "vip": bitmapindex.Bool(false)}, b.Attrs)
}

func TestErrorsNameRowAndColumn(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	setTable("bad", custCols, [][]driver.Value{
		{"a", nil, int64(1), nil, nil, nil, nil, nil, nil, int64(1)},
		{"b", nil, []byte("old"), nil, nil, nil, nil, nil, nil, int64(1)},
	})
	setTable("none", []string{"id", "name", "at", "value", "props", "seq"}, nil)
	_, err = loader(t, "bad", "none").Load(context.Background(), ix)
	require.Error(t, err)
	assert.Equal(t, `dbload: customers row 2 (key "b"), column "age": want an integer, got text "old"`, err.Error())
	var re *dbload.RowError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 2, re.Row)

	setTable("badev", []string{"id", "name", "at", "value", "props", "seq"}, [][]driver.Value{{"a", "login", "yesterday", nil, nil, int64(1)}})
	_, err = loader(t, "none2", "badev").Load(context.Background(), ix)
	require.ErrorContains(t, err, `no table "none2"`)
	l := loader(t, "bad", "badev")
	l.Customers = nil
	_, err = l.Load(context.Background(), ix)
	assert.EqualError(t, err, `dbload: events row 1 (key "a"), column "at": want a time, got text "yesterday"`)

	l = loader(t, "bad", "none")
	l.Customers.Tags = "labels"
	_, err = l.Load(context.Background(), ix)
	assert.ErrorContains(t, err, `dbload: customers: the query returns no column "labels" (it returns id, tags, age`)
}
