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

// TestFrozenViewsUnchangedUnderWrites holds views while a writer keeps
// changing the same bitmaps (the containers those views share with the
// writer's copies), and checks every held view still answers as when it was
// taken. Run with -race.
func TestFrozenViewsUnchangedUnderWrites(t *testing.T) {
	ix := mustNew(t, DefaultConfig())
	const n = 5000
	b := ix.NewBatch()
	for i := range n {
		k := fmt.Sprint("k", i)
		b.Add(k)
		if i%3 == 0 {
			b.AddTag(k, "flip")
		}
		b.Set(k, "score", Int(int64(i%97)))
	}
	require.NoError(t, b.Commit())
	type snap struct {
		v     *View
		tag   []uint32
		score int
	}
	take := func() snap {
		v := ix.View()
		s, err := v.Compare("score", Ge, Int(50))
		require.NoError(t, err)
		return snap{v: v, tag: collect(v.Tag("flip")), score: s.Len()}
	}
	snaps := make(chan snap, 64)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	var done atomic.Bool
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []snap
			for !done.Load() {
				select {
				case s := <-snaps:
					held = append(held, s)
				default:
				}
				for _, s := range held {
					got := collect(s.v.Tag("flip"))
					sc, _ := s.v.Compare("score", Ge, Int(50))
					if !slicesEqual(got, s.tag) || sc.Len() != s.score {
						errs <- fmt.Errorf("a held view changed: tag %d→%d members, score %d→%d", len(s.tag), len(got), s.score, sc.Len())
						return
					}
				}
			}
		}()
	}
	r := randSource(11)
	for range 150 {
		b := ix.NewBatch()
		for range 50 {
			k := fmt.Sprint("k", r.IntN(n))
			if r.IntN(2) == 0 {
				b.AddTag(k, "flip")
			} else {
				b.RemoveTag(k, "flip")
			}
			b.Set(k, "score", Int(int64(r.IntN(97))))
		}
		require.NoError(t, b.Commit())
		select {
		case snaps <- take():
		default:
		}
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func collect(s Set) []uint32 {
	var out []uint32
	for id := range s.IDs() {
		out = append(out, id)
	}
	return out
}

func slicesEqual(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
