package credit_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/credit"
)

// FuzzParseScorecard: ParseScorecard never panics; what it accepts
// compiles, scores any customer without panicking, with a band, and
// survives a round trip through MarshalIndent unchanged.
func FuzzParseScorecard(f *testing.F) {
	data, err := os.ReadFile("testdata/retail.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"base":1,"characteristics":[{"name":"a","kind":"tenure","bins":[{"max":1,"points":0},{"min":1,"points":1}]}],"bands":[{"name":"x"}]}`))
	f.Add([]byte(`{"characteristics":[{"name":"v","kind":"attribute","attribute":"v","bins":[{"values":["1"]},{"values":["x","y"],"points":-3}]}],"bands":[{"name":"a","min":0},{"name":"b"}]}`))
	f.Add([]byte(`{"base":-9223372036854775808}`))
	f.Add([]byte(`{"characteristics":[{"name":"a","kind":"tenure","bins":[{"max":-0,"points":0},{"min":-0}]}],"bands":[{"name":"x","restrictions":{"flags":[]}}]}`))
	cu := credit.Customer{
		Key:    "c",
		Joined: segkit.Date(2025, 1, 1).Time(nil),
		Attributes: map[string]bitmapindex.Value{
			"verified": bitmapindex.Bool(true), "v": bitmapindex.Category("x"), "n": bitmapindex.Int(3),
		},
		Events: []segkit.Event{{Name: "late_payment", At: segkit.Date(2026, 5, 1).Time(nil), Value: 2}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := credit.ParseScorecard(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "credit: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		m, err := credit.Compile(sc)
		if err != nil {
			t.Fatalf("ParseScorecard accepted a scorecard Compile rejects: %v", err)
		}
		out, err := sc.MarshalIndent()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := credit.ParseScorecard(out)
		if err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(sc, back) {
			t.Fatalf("round trip changed the scorecard:\n%+v\n%+v", sc, back)
		}
		r, err := m.Score(cu, segkit.Date(2026, 6, 1).Time(m.Location()))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "credit: customer ") {
				t.Fatalf("score error: %v", err)
			}
			return
		}
		if r.Band == "" || len(r.Reasons) != len(sc.Characteristics) {
			t.Fatalf("result %+v", r)
		}
	})
}
