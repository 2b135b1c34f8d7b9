package bitmapindex

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDurableConcurrent runs committers (batches and single writes, sharing
// fsyncs through group commit), a checkpointer and view readers together
// (run it with -race); readers must see whole batches, and the reopened
// directory must hold every committed batch.
func TestDurableConcurrent(t *testing.T) {
	const committers, batches = 4, 60
	dir := t.TempDir()
	for _, pol := range []SyncPolicy{SyncAlways, SyncInterval(2 * time.Millisecond)} {
		t.Run(pol.String(), func(t *testing.T) {
			ix, err := Open(dir, Config{Sync: pol, Schema: []Attribute{{Name: "j", Kind: KindInt}}})
			require.NoError(t, err)
			base := lenOfTag(ix.View(), "g0") / 3
			var wg sync.WaitGroup
			var done atomic.Bool
			errs := make(chan error, 16)
			for g := range committers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tag := fmt.Sprintf("g%d", g)
					for j := base + 1; j <= base+batches; j++ {
						b := ix.NewBatch()
						// three customers per batch: readers check they come together
						for c := range 3 {
							key := fmt.Sprintf("%s-%d-%d", tag, j, c)
							b.AddTag(key, tag)
							b.Set(key, "j", Int(int64(j)))
							b.Record(key, "login", baseTime, 1)
						}
						if err := b.Commit(); err != nil {
							errs <- err
							return
						}
						if err := ix.AddTag(fmt.Sprintf("%s-%d-0", tag, j), "single"); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			var aux sync.WaitGroup
			aux.Add(3)
			go func() { // checkpointer
				defer aux.Done()
				for !done.Load() {
					if err := ix.Checkpoint(); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			for range 2 { // readers
				go func() {
					defer aux.Done()
					for !done.Load() {
						v := ix.View()
						for g := range committers {
							n := lenOfTag(v, fmt.Sprintf("g%d", g))
							if n%3 != 0 {
								errs <- fmt.Errorf("a reader saw %d customers of g%d: part of a batch", n, g)
								return
							}
						}
						st, _ := ix.LogStats()
						if st.LastSeq < st.CheckpointSeq {
							errs <- fmt.Errorf("stats: last seq %d before checkpoint %d", st.LastSeq, st.CheckpointSeq)
							return
						}
					}
				}()
			}
			wg.Wait()
			done.Store(true)
			aux.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.NoError(t, ix.Close())

			ix, err = Open(dir, Config{})
			require.NoError(t, err)
			v := ix.View()
			for g := range committers {
				require.Equal(t, 3*(base+batches), lenOfTag(v, fmt.Sprintf("g%d", g)))
			}
			require.Equal(t, committers*(base+batches), v.Tag("single").Len())
			require.NoError(t, ix.Close())
		})
	}
}

func lenOfTag(v *View, tag string) int { return v.Tag(tag).Len() }
