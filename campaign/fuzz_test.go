package campaign

import (
	"errors"
	"math"
	"testing"
)

// FuzzSplitter: any salt, ratios and key give a Splitter or an error, never
// a panic; a Splitter puts every key in a group with a positive ratio, at a
// position in [0, 1) below that group's cumulative ratio.
func FuzzSplitter(f *testing.F) {
	f.Add("spring", 0.1, 0.45, 0.45, "c1")
	f.Add("", 0.0, 1.0, 0.0, "")
	f.Add("s", 0.5, 0.5, 0.0, "客户")
	f.Add("x", math.NaN(), 0.5, 0.5, "k")
	f.Add("x", 1e-300, 1-1e-300, 0.0, "k")
	f.Fuzz(func(t *testing.T, salt string, r1, r2, r3 float64, key string) {
		sp, err := NewSplitter(salt, Group{"a", r1}, Group{"b", r2}, Group{"c", r3})
		if err != nil {
			if !errors.Is(err, ErrRatio) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		name := sp.Assign(key)
		u := sp.Position(key)
		if !(u >= 0 && u < 1) {
			t.Fatalf("position %v outside [0, 1)", u)
		}
		cum := 0.0
		for _, g := range sp.Groups() {
			prev := cum
			cum += g.Ratio
			if g.Name != name {
				continue
			}
			if g.Ratio <= 0 {
				t.Fatalf("key %q assigned to %q with ratio %v", key, name, g.Ratio)
			}
			sum := r1 + r2 + r3
			// Allow for the rounding of the cumulative sums.
			if u < prev/sum-1e-12 || u >= cum/sum+1e-12 {
				t.Fatalf("position %v outside [%v, %v) of group %q", u, prev/sum, cum/sum, name)
			}
		}
		groups, err := sp.SplitKeys(func(yield func(string) bool) { yield(key) })
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			if (len(g.Keys) == 1) != (g.Name == name) {
				t.Fatalf("SplitKeys and Assign disagree on %q", key)
			}
		}
	})
}
