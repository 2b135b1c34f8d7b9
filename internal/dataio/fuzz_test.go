package dataio

import (
	"bytes"
	"testing"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, err := range ReadEvents("f", bytes.NewReader(data), nil) {
			if err != nil {
				return
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
