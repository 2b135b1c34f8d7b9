package synth

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segkit/segkit/bitmapindex"
)

// TestAmountOf: the fast conversion agrees with AmountFromFloat on cents,
// on values with up to 4 decimals, and on values with more.
func TestAmountOf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(f float64) {
		want, err := bitmapindex.AmountFromFloat(f)
		if err != nil {
			return
		}
		if got := amountOf(f); got != want {
			t.Fatalf("amountOf(%v) = %v, want %v", f, got, want)
		}
	}
	for range 200_000 {
		check(float64(r.IntN(10_000_000)) / 100)
		check(float64(r.Int64N(1<<40)-1<<39) / 1e4)
		check(r.Float64() * 1000)
		check(-r.Float64() * 1e9)
	}
	for _, f := range []float64{0, 0.1, 0.2, 0.3, 1.005, 2.675, 1e11 + 0.0001, 9.2e14, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		check(f)
	}
}
