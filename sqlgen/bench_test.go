package sqlgen

import (
	"testing"

	"github.com/segkit/segkit/segment"
)

// BenchmarkSelect is the rendering time per rule (target ≤ 50 µs): a rule
// of tags, comparisons, a string match and event forms.
func BenchmarkSelect(b *testing.B) {
	reg := testRegistry(b)
	for _, c := range []struct {
		name string
		rule string
	}{
		{"tags5", `has("t1") && has("t2") && has("t3") && has("t4") && has("t5")`},
		{"mixed", `hasAll("vip", "student") && age in 26..30 && city in ["Beijing", "Shanghai"] && spend > 100.5 && didWithin("login", "30d")`},
		{"events", `countWithin("purchase", "90d") >= 3 && firstWithin("trial", "14d") && !did("refund") && within(signup, "1y")`},
		{"regex_ref", `city matches "(?i)^bei.*g$" && inSegment("recent")`},
	} {
		r := segment.MustCompile(c.rule)
		for _, d := range []Dialect{Postgres, ClickHouse} {
			g, err := New(Options{Dialect: d, Schema: testSchema, Segments: reg, Params: d == Postgres})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c.name+"/"+d.String(), func(b *testing.B) {
				b.ReportAllocs()
				cpu0, ok0 := processCPU()
				for b.Loop() {
					if _, err := g.Select(r, testNow); err != nil {
						b.Fatal(err)
					}
				}
				// CPU per rendering: on a shared machine the steadier figure
				if cpu1, ok1 := processCPU(); ok0 && ok1 {
					b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
