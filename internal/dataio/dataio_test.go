package dataio

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAllCustomers(t *testing.T, cr *CustomerReader) ([]Customer, error) {
	t.Helper()
	var out []Customer
	for c, err := range cr.All() {
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}

func TestCustomersInferKinds(t *testing.T) {
	in := `{"id":"c1","tags":["undergrad","trial"],"attrs":{"age":21,"city":"Beijing","signup_at":"2026-01-02T08:00:00Z","vip":true,"interests":["math","art"],"spend":12.5}}

{"id":"c2","attrs":{"age":-3,"city":"Shanghai","signup_at":"2026-02-01","spend":7,"vip":null}}
`
	cr := NewCustomerReader("customers.jsonl", strings.NewReader(in), nil)
	cs, err := readAllCustomers(t, cr)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	kinds := map[string]string{}
	for _, a := range cr.Attributes() {
		kinds[a.Name] = a.Kind.String()
	}
	assert.Equal(t, map[string]string{"age": "int", "city": "category", "signup_at": "time", "vip": "bool", "interests": "set", "spend": "decimal"}, kinds)
	spend, _ := cr.Attribute("spend")
	assert.Equal(t, 2, spend.Scale)

	age, _ := cs[1].Attrs["age"].AsInt()
	assert.Equal(t, int64(-3), age)
	at, _ := cs[1].Attrs["signup_at"].AsTime()
	assert.True(t, at.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)))
	_, hasVIP := cs[1].Attrs["vip"]
	assert.False(t, hasVIP, "null means missing")
	sp, _ := cs[1].Attrs["spend"].AsDecimal()
	assert.Equal(t, 7.0, sp, "an integer fits an inferred decimal")
	assert.Equal(t, []string{"undergrad", "trial"}, cs[0].Tags)
}

func TestCustomerErrors(t *testing.T) {
	schema := `{"timezone":"Asia/Shanghai","attributes":{"age":"int","spend":"decimal(2)","city":"category","interests":"set","signup_at":"time","vip":"bool"}}`
	tests := []struct {
		name, in string
		schema   bool
		want     string
	}{
		{"inferred conflict names the line", "{\"id\":\"a\",\"attrs\":{\"age\":3}}\n{\"id\":\"b\",\"attrs\":{\"age\":\"old\"}}", false, `customers.jsonl:2: attribute "age": value "old" is category, but the attribute was inferred as int`},
		{"missing id", `{"tags":["x"]}`, false, `customers.jsonl:1: field "id": missing or empty`},
		{"bad json", `{"id":"a",`, false, `customers.jsonl:1:`},
		{"unknown field", `{"id":"a","tag":["x"]}`, false, `customers.jsonl:1: unknown field "tag" (want "id", "tags", "attrs")`},
		{"empty tag", `{"id":"a","tags":["x",""]}`, false, `customers.jsonl:1: field "tags"[1]: empty tag`},
		{"undeclared with schema", `{"id":"a","attrs":{"height":3}}`, true, `customers.jsonl:1: attribute "height": not declared in the schema`},
		{"wrong kind with schema", `{"id":"a","attrs":{"age":"x"}}`, true, `customers.jsonl:1: attribute "age": want int, got "x"`},
		{"too many decimals", `{"id":"a","attrs":{"spend":1.234}}`, true, `attribute "spend": 1.234 has more than the 2 decimal places of decimal(2)`},
		{"int overflow", `{"id":"a","attrs":{"age":99999999999999999999}}`, true, `out of the int64 range`},
		{"bad time", `{"id":"a","attrs":{"signup_at":"yesterday"}}`, true, `attribute "signup_at": want a time (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (in the data's time zone) or RFC 3339), got "yesterday"`},
		{"set of numbers", `{"id":"a","attrs":{"interests":["a",1]}}`, true, `attribute "interests": want set of strings, element 1 is number 1`},
		{"two values on a line", `{"id":"a"} {"id":"b"}`, false, `customers.jsonl:1: more than one JSON value on the line`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s *Schema
			if tc.schema {
				var err error
				s, err = ReadSchema("schema.json", strings.NewReader(schema))
				require.NoError(t, err)
			}
			_, err := readAllCustomers(t, NewCustomerReader("customers.jsonl", strings.NewReader(tc.in), s))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadSchema(t *testing.T) {
	s, err := ReadSchema("schema.json", strings.NewReader(`{"timezone":"Asia/Shanghai","attributes":{"spend":"decimal(2)","age":"int"}}`))
	require.NoError(t, err)
	assert.Equal(t, "Asia/Shanghai", s.Location.String())
	require.Len(t, s.Attributes, 2)
	assert.Equal(t, bitmapindex.Attribute{Name: "age", Kind: bitmapindex.KindInt}, s.Attributes[0])
	assert.Equal(t, bitmapindex.Attribute{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2}, s.Attributes[1])

	for in, want := range map[string]string{
		`{"timezone":"Mars/Base"}`:                  `schema.json: time_zone "Mars/Base": unknown time zone`,
		`{"attributes":{"age":"integer"}}`:          `schema.json: attribute "age": kind "integer"`,
		"{\n\"attributes\":{\"age\":3}}":            `schema.json:2: field "attributes": want a string, got a number`,
		`{"attributes":{"age":"int"},"extra":true}`: `unknown field "extra"`,
	} {
		_, err := ReadSchema("schema.json", strings.NewReader(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want)
	}
}

func TestReadEvents(t *testing.T) {
	in := `{"id":"c1","event":"login","at":"2026-10-01T08:00:00Z","value":12.5}
{"id":"c2","event":"purchase","at":"2026-10-02"}
`
	var got []segkit.Event
	for e, err := range ReadEvents("events.jsonl", strings.NewReader(in), nil) {
		require.NoError(t, err)
		got = append(got, e)
	}
	require.Len(t, got, 2)
	assert.Equal(t, segkit.Event{Customer: "c1", Name: "login", At: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), Value: 12.5}, got[0])
	assert.Equal(t, "purchase", got[1].Name)
	assert.Zero(t, got[1].Value)

	for in, want := range map[string]string{
		`{"id":"c1","at":"2026-10-01"}`:                                  `events.jsonl:1: field "event": missing or empty`,
		`{"id":"c1","event":"x"}`:                                        `events.jsonl:1: field "at": missing`,
		`{"id":"c1","event":"x","at":"10/01/2026"}`:                      `events.jsonl:1: field "at": want YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (in the data's time zone) or RFC 3339, got "10/01/2026"`,
		"\n\n" + `{"id":"c1","event":"x","at":"2026-10-01","value":"3"}`: `events.jsonl:3:`,
	} {
		var err error
		for _, e := range ReadEvents("events.jsonl", strings.NewReader(in), nil) {
			if e != nil {
				err = e
			}
		}
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want)
	}
}

func TestReadTransactions(t *testing.T) {
	in := "cust,order_date,revenue\nA,2006-12-01,10.5\nB,2006-12-02T10:00:00+08:00,-3\n"
	cols, err := ParseColumns("id=cust,time=order_date,amount=revenue", "id", "time", "amount")
	require.NoError(t, err)
	var got []segkit.Transaction
	for tx, err := range ReadTransactions("orders.csv", strings.NewReader(in), cols, nil) {
		require.NoError(t, err)
		got = append(got, tx)
	}
	require.Len(t, got, 2)
	assert.Equal(t, segkit.Transaction{Customer: "A", At: time.Date(2006, 12, 1, 0, 0, 0, 0, time.UTC), Amount: 10.5}, got[0])
	assert.Equal(t, -3.0, got[1].Amount)

	for _, tc := range []struct{ in, cols, want string }{
		{"customer_id,date,amount\nA,2006-12-01,NaN\n", "", `orders.csv:2: field amount (column "amount"): want a finite number, got "NaN"`},
		{"customer_id,date,amount\nA,2006-12-01,1\nB,12/01/2006,1\n", "", `orders.csv:3: field time (column "date"): want YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (in the data's time zone) or RFC 3339, got "12/01/2006"`},
		{"id,date,amount\n", "", `orders.csv:1: no column "customer_id" for field id`},
		{"customer_id,date,amount\n,2006-12-01,1\n", "", `orders.csv:2: field id (column "customer_id"): empty`},
		{"", "", `orders.csv: empty file`},
		{"customer_id,date,amount\nA,\"2006-12-01,1\n", "", `orders.csv:2:`},
	} {
		cols, err := ParseColumns(tc.cols, "id", "time", "amount")
		require.NoError(t, err)
		var rerr error
		for _, e := range ReadTransactions("orders.csv", strings.NewReader(tc.in), cols, nil) {
			if e != nil {
				rerr = e
			}
		}
		require.Error(t, rerr, tc.in)
		assert.Contains(t, rerr.Error(), tc.want)
	}
}

func TestParseColumns(t *testing.T) {
	_, err := ParseColumns("id=a,when=b", "id", "time")
	assert.ErrorContains(t, err, `unknown field "when"`)
	_, err = ParseColumns("id=a,id=b", "id")
	assert.ErrorContains(t, err, `field "id" given twice`)
	_, err = ParseColumns("id", "id")
	assert.ErrorContains(t, err, "want field=column pairs")
}

func TestLoadIntoIndex(t *testing.T) {
	customers := `{"id":"c1","tags":["undergrad"],"attrs":{"age":21,"city":"Beijing"}}
{"id":"c2","tags":["mother","side_income"],"attrs":{"age":29,"city":"Shanghai","spend":10.25}}
`
	events := `{"id":"c1","event":"login","at":"2026-10-01T08:00:00Z"}
{"id":"c3","event":"login","at":"2026-10-02T08:00:00Z"}
`
	ix, err := NewIndex(nil)
	require.NoError(t, err)
	n, err := LoadCustomers(context.Background(), ix, NewCustomerReader("c.jsonl", strings.NewReader(customers), nil))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	n, err = LoadEvents(context.Background(), ix, "e.jsonl", strings.NewReader(events))
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	v := ix.View()
	assert.Equal(t, 3, v.Len(), "an event of an unknown customer adds it")
	assert.Equal(t, 1, v.Tag("undergrad").Len())
	a, ok := v.Attribute("spend")
	require.True(t, ok)
	assert.Equal(t, bitmapindex.Attribute{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2}, a)
	s, err := v.Compare("age", bitmapindex.Ge, bitmapindex.Int(25))
	require.NoError(t, err)
	assert.Equal(t, []string{"c2"}, keys(s))
	day := segkit.Date(2026, 10, 1)
	assert.Equal(t, []string{"c1", "c3"}, keys(v.Did("login", day, day+1)))
}

func keys(s bitmapindex.Set) []string {
	var out []string
	for k := range s.Keys() {
		out = append(out, k)
	}
	return out
}
