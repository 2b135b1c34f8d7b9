package bitmapindex

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentWriterAndViewReaders runs one writer committing batches while
// readers take views and query them. Every batch tags a whole group of
// customers, sets their attribute and records their events together, so a
// reader that saw half a batch would find the counts disagree. Run with
// -race.
func TestConcurrentWriterAndViewReaders(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	const batches, group = 60, 40
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				v := ix.View()
				n := v.Tag("in").Len()
				age, err := v.Compare("age", Ge, Int(0))
				if err != nil && n > 0 {
					errs <- err
					return
				}
				did := v.Did("login", segkit.DayOf(t0, nil), segkit.DayOf(t0, nil).AddDays(batches))
				cnt := v.Count("login", segkit.DayOf(t0, nil), segkit.DayOf(t0, nil).AddDays(batches), Ge, 2)
				if n%group != 0 || age.Len() != n || did.Len() != n || cnt.Len() != n || v.Len() != n {
					errs <- fmt.Errorf("reader %d saw a partial batch: tag %d, age %d, did %d, count %d, len %d", r, n, age.Len(), did.Len(), cnt.Len(), v.Len())
					return
				}
				for k := range v.Tag("in").Keys() {
					if !age.ContainsKey(k) {
						errs <- fmt.Errorf("key %s without age", k)
						return
					}
				}
			}
		}()
	}
	for b := range batches {
		batch := ix.NewBatch()
		for i := range group {
			k := fmt.Sprintf("c%d-%d", b, i)
			batch.AddTag(k, "in")
			batch.Set(k, "age", Int(int64(i)))
			batch.Record(k, "login", t0.AddDate(0, 0, b), 0)
			batch.Record(k, "login", t0.AddDate(0, 0, b).Add(time.Hour), 0)
		}
		require.NoError(t, batch.Commit())
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, batches*group, ix.View().Tag("in").Len())
}
