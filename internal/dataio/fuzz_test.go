package dataio

import (
	"bytes"
	"testing"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
)

// The readers must return records or an error for any input, never panic.

func FuzzCustomers(f *testing.F) {
	f.Add([]byte(`{"id":"c1","tags":["undergrad","trial"],"attrs":{"age":21,"city":"Beijing","signup_at":"2026-01-02T08:00:00Z","vip":true,"interests":["math","art"]}}`), false)
	f.Add([]byte("{\"id\":\"a\",\"attrs\":{\"spend\":1e-3}}\n{\"id\":\"b\",\"attrs\":{\"spend\":2}}"), false)
	f.Add([]byte(`{"id":"a","attrs":{"age":1.5,"spend":"x","vip":[1]}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, withSchema bool) {
		var s *Schema
		if withSchema {
			var err error
			s, err = ReadSchema("s", bytes.NewReader([]byte(`{"attributes":{"age":"int","spend":"decimal(2)","city":"category","interests":"set","signup_at":"time","vip":"bool"}}`)))
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, err := range NewCustomerReader("f", bytes.NewReader(data), s).All() {
			if err != nil {
				return
			}
		}
	})
}

func FuzzEvents(f *testing.F) {
	f.Add([]byte(`{"id":"c1","event":"login","at":"2026-10-01T08:00:00Z","value":12.5}`))
	f.Add([]byte(`{"id":"c1","event":"purchase","at":"2026-10-01","value":-0.0001,"props":{"category":"数学","channel":"app"}}` + "\n" + `{"id":"c2","event":"x","at":"2026-10-01","value":1e-4,"props":{"k":3}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for e, err := range ReadEvents("f", bytes.NewReader(data), nil) {
			if err != nil {
				return
			}
			// a decoded value is an exact Amount; property names are not empty
			if _, err := bitmapindex.AmountFromFloat(e.Value); err != nil {
				t.Fatalf("value %v decoded but not an amount: %v", e.Value, err)
			}
			for k := range e.Props {
				if k == "" {
					t.Fatal("empty property name decoded")
				}
			}
		}
	})
}

func FuzzTransactions(f *testing.F) {
	f.Add([]byte("customer_id,date,amount\nA,2006-12-01,10.5\n"))
	f.Add([]byte("customer_id,date,amount\nA,\"2006-12-01\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, err := range ReadTransactions("f", bytes.NewReader(data), nil, nil) {
			if err != nil {
				return
			}
		}
	})
}

func FuzzSchema(f *testing.F) {
	f.Add([]byte(`{"timezone":"UTC","attributes":{"age":"int","spend":"decimal(2)"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadSchema("f", bytes.NewReader(data))
	})
}

func FuzzActivities(f *testing.F) {
	f.Add([]byte("customer_id,date,metric,value\nc1,2026-03-01,nights,2\nc2,2026-03-02 10:00:00,stays,1\n"))
	f.Add([]byte("customer_id,date,metric,value\nb,\"2026-01-02,nights,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for a, err := range ReadActivities("f", bytes.NewReader(data), nil, nil) {
			if err != nil {
				return
			}
			if a.Customer == "" || a.Metric == "" || !finite(a.Value) {
				t.Fatalf("accepted a bad activity %+v", a)
			}
		}
	})
}

func FuzzSegments(f *testing.F) {
	f.Add([]byte(`[{"name":"students","rule":"has(\"undergrad\")"},{"name":"recall","rule":"inSegment(\"students\")"}]`))
	f.Add([]byte(`{"version":1,"segments":[{"name":"a","rule":"age > 3","static":true,"members":["x"]}]}`))
	f.Add([]byte(`[{"name":"a"},{"name":"a","rule":1,"x":2}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, err := ReadSegments("f", bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, d := range defs {
			if d.Name == "" || d.Rule == "" || seen[d.Name] || d.Line < 1 {
				t.Fatalf("accepted a bad definition %+v", d)
			}
			seen[d.Name] = true
		}
		_ = DefineSegments("f", segment.NewRegistry(), defs)
	})
}

func FuzzPersonas(f *testing.F) {
	f.Add([]byte(`{"personas": [{"name": "宝妈", "min_score": 2, "conditions": [{"rule": "has(\"mother\")", "weight": 2}]}]}`))
	f.Add([]byte(`[{"name": "x", "min_score": 1, "conditions": [{"rule": "age > 3", "weight": 1}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadPersonas("f", bytes.NewReader(data))
	})
}
