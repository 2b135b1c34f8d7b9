package dataio

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

func TestReadEventsValueProps(t *testing.T) {
	in := `{"id":"c1","event":"purchase","at":"2026-10-01T08:00:00Z","value":12.5,"props":{"category":"math","channel":"app"}}
{"id":"c2","event":"purchase","at":"2026-10-02","value":19.9999}
{"id":"c3","event":"recharge","at":"2026-10-02","value":1e2,"props":{}}
`
	var got []string
	for e, err := range ReadEvents("ev.jsonl", strings.NewReader(in), nil) {
		require.NoError(t, err)
		got = append(got, e.Customer+" "+bitmapindex.Amount(mustAmount(t, e.Value)).String()+" "+e.Props["category"]+" "+e.Props["channel"])
	}
	assert.Equal(t, []string{"c1 12.5 math app", "c2 19.9999  ", "c3 100  "}, got)

	for _, tc := range []struct{ line, want string }{
		{`{"id":"c","event":"e","at":"2026-10-01","value":12.34567}`, `ev.jsonl:1: field "value": 12.34567: more than 4 fractional digits`},
		{`{"id":"c","event":"e","at":"2026-10-01","value":"12"}`, `ev.jsonl:1:`},
		{`{"id":"c","event":"e","at":"2026-10-01","props":{"level":3}}`, `ev.jsonl:1: field "props": key "level": want a string, got a number 3`},
		{`{"id":"c","event":"e","at":"2026-10-01","props":{"a":"x","tags":["x"]}}`, `ev.jsonl:1: field "props": key "tags": want a string, got an array`},
		{`{"id":"c","event":"e","at":"2026-10-01","props":{"ok":null}}`, `key "ok": want a string, got null`},
		{`{"id":"c","event":"e","at":"2026-10-01","props":["x"]}`, `ev.jsonl:1:`},
		{`{"id":"c","event":"e","at":"2026-10-01","props":{"":"x"}}`, `empty property name`},
		{`{"id":"c","event":"e","at":"2026-10-01","value":1e13}`, `out of range`},
	} {
		var err error
		for _, e := range ReadEvents("ev.jsonl", strings.NewReader(tc.line+"\n"), nil) {
			err = e
		}
		require.Error(t, err, tc.line)
		assert.Contains(t, err.Error(), tc.want, tc.line)
	}
}

func mustAmount(t *testing.T, f float64) bitmapindex.Amount {
	a, err := bitmapindex.AmountFromFloat(f)
	require.NoError(t, err)
	return a
}

func TestLoadEventsProps(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	in := `{"id":"c1","event":"purchase","at":"2026-10-01T08:00:00Z","value":12.5,"props":{"category":"math"}}
{"id":"c1","event":"purchase","at":"2026-10-01T09:00:00Z","value":0.0001}
{"id":"c2","event":"purchase","at":"2026-10-01T09:00:00Z","props":{"category":"art"}}
`
	n, err := LoadEvents(context.Background(), ix, "ev.jsonl", strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	v := ix.View()
	p, _ := v.Profile("c1")
	require.Len(t, p.Details["purchase"], 2)
	var sum bitmapindex.Amount
	for _, d := range p.Details["purchase"] {
		sum += d.Value
	}
	assert.Equal(t, bitmapindex.Amount(125001), sum)
	vals, ok := v.EventPropertyValues("purchase", "category")
	assert.True(t, ok)
	assert.Equal(t, []string{"art", "math"}, vals)
}

func TestSchemaEvents(t *testing.T) {
	s, err := ReadSchema("s.json", strings.NewReader(`{"timezone":"UTC","attributes":{"age":"int"},"events":{"purchase":{"properties":["channel","category"]}}}`))
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"purchase": {"category", "channel"}}, s.Events)
	_, err = ReadSchema("s.json", strings.NewReader(`{"events":{"purchase":{"properties":["a","a",""]}}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `event "purchase": property "a" listed twice`)
	assert.Contains(t, err.Error(), `event "purchase": property with an empty name`)
	_, err = ReadSchema("s.json", strings.NewReader(`{"events":{"purchase":["a"]}}`))
	require.Error(t, err)

	ix, err := NewIndex(s)
	require.NoError(t, err)
	in := `{"id":"c1","event":"purchase","at":"2026-10-01","props":{"category":"math"}}

{"id":"c1","event":"purchase","at":"2026-10-01","props":{"colour":"red"}}
`
	_, err = LoadEvents(context.Background(), ix, "ev.jsonl", strings.NewReader(in))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ev.jsonl:3: field "props": key "colour": the schema declares only category, channel for event "purchase"`)
}
