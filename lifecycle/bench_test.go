package lifecycle

import (
	"fmt"
	"slices"
	"testing"

	"github.com/segkit/segkit"
)

func BenchmarkStages(b *testing.B) {
	ps := randomPurchases(100_000, 3)
	h, err := NewHistories(slices.Values(txnsOf(ps)), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, fam := range []Family{Fixed, Rhythm} {
		b.Run(fmt.Sprintf("%s/100000", fam), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Family = fam
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.stages(segkit.Date(2024, 12, 31), cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
