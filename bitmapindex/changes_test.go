package bitmapindex

import (
	"reflect"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// TestTrackerCoversEveryChange commits random batches (by key and by ID,
// valid and invalid) and checks after random groups of them that every
// customer whose profile, liveness or ID differs between the previous and
// the current view is among the touched IDs, that a failed batch touches
// nobody, and that the touched IDs are only customers written.
func TestTrackerCoversEveryChange(t *testing.T) {
	for seed := range uint64(6) {
		r := randSource(seed)
		h := newHarness(t, r, DefaultConfig())
		tr, prev := h.ix.TrackFrom()
		written := roaring.New() // IDs of keys written since the previous Next
		for step := range 400 {
			switch k := r.IntN(10); {
			case k == 0:
				h.bulkBatch()
				for id := range h.ix.View().All().Members() { // bulk writes may touch any live customer
					written.Add(id)
				}
				for id := range prev.All().Members() {
					written.Add(id)
				}
			default:
				b := h.ix.NewBatch()
				var keys []string
				var ops []op
				for range r.IntN(6) + 1 {
					o := genOp(r, h.ix.loc)
					keys = append(keys, o.key)
					ops = append(ops, o)
					addToBatch(b, o)
				}
				h.m.applyBatch(ops) // the model bulkBatch draws live IDs from
				before := h.ix.View()
				h.ix.mu.Lock()
				pending := tr.pending.Clone()
				h.ix.mu.Unlock()
				if err := b.Commit(); err != nil {
					require.Same(t, before, h.ix.View(), "a failed batch changes no view")
					h.ix.mu.Lock()
					require.True(t, pending.Equals(tr.pending), "a failed batch touched customers")
					h.ix.mu.Unlock()
					continue
				}
				after := h.ix.View()
				for _, key := range keys {
					for _, v := range []*View{before, after} {
						if id, ok := v.ID(key); ok {
							written.Add(id)
						}
					}
				}
				// a key deleted and re-added inside the batch has an ID live in neither
				for id := range after.All().Members() {
					if _, ok := before.Key(id); !ok {
						written.Add(id)
					}
				}
			}
			if r.IntN(4) != 0 && step != 399 {
				continue
			}
			cur, ids := tr.Next()
			for _, id := range roaring.AndNot(ids, written).ToArray() {
				// only a customer added and deleted within one batch is live in neither view
				_, was := prev.Key(id)
				_, is := cur.Key(id)
				require.False(t, was || is, "step %d: touched %d was not written", step, id)
			}
			check := func(a, b *View) {
				for id, key := range a.All().Members() {
					pa, _ := a.Profile(key)
					pb, ok := b.Profile(key)
					nid, _ := b.ID(key)
					pa.Schema, pb.Schema = nil, nil // declarations change every profile's schema
					if !ok || nid != id || !reflect.DeepEqual(pa, pb) {
						require.True(t, ids.Contains(id), "seed %d step %d: %q (ID %d) changed but was not reported", seed, step, key, id)
						if ok {
							require.True(t, ids.Contains(nid), "seed %d step %d: %q (new ID %d) not reported", seed, step, key, nid)
						}
					}
				}
			}
			check(prev, cur)
			check(cur, prev)
			prev = cur
			written = roaring.New()
		}
		tr.Close()
		require.NoError(t, h.ix.AddTag("after-close", "x"))
		_, ids := tr.Next()
		require.True(t, ids.IsEmpty())
		require.Empty(t, h.ix.trackers)
	}
}

// TestTrackerNotify: the channel signals a commit without blocking the
// writer, and Next consumes the signal.
func TestTrackerNotify(t *testing.T) {
	ix, err := New(DefaultConfig())
	require.NoError(t, err)
	tr := ix.Track()
	defer tr.Close()
	for range 3 { // more commits than the channel holds: writers never block
		require.NoError(t, ix.AddTag("a", "t"))
	}
	select {
	case <-tr.C():
	default:
		t.Fatal("no signal after a commit")
	}
	require.NoError(t, ix.AddTag("b", "t"))
	v, ids := tr.Next()
	require.Equal(t, []uint32{0, 1}, ids.ToArray())
	require.Equal(t, 2, v.Len())
	select {
	case <-tr.C():
		t.Fatal("Next left a stale signal")
	default:
	}
}
