package tier_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/require"
)

// One Engine serves many goroutines at once; run with -race.
func TestEngineIsSafeForConcurrentUse(t *testing.T) {
	e := loadEngine(t, "testdata/retail.json")
	keys, pool := benchPopulation(300, 20)
	asOf := day("2026-12-31")
	var want []tier.Status
	for st, err := range e.EvaluateAllDay(histories(keys, pool), asOf) {
		require.NoError(t, err)
		want = append(want, st)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := 0
			for st, err := range e.EvaluateAllDay(histories(keys, pool), asOf) {
				if err != nil || st != want[i] {
					errs <- err
					return
				}
				j := i
				i++
				if g%2 == 0 && j%50 == 0 {
					h := tier.History{Customer: keys[j], Transactions: pool[j%len(pool)]}
					tl, err := e.ReplayDay(h, asOf)
					if err != nil || tl.Status != want[j] {
						errs <- err
						return
					}
					if _, err := e.ProgressDay(h, asOf); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	require.Empty(t, slices.Collect(func(yield func(error) bool) {
		for err := range errs {
			if !yield(err) {
				return
			}
		}
	}), "a goroutine saw a different result")
}
