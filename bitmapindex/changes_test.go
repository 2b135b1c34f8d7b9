package bitmapindex

import (
	"reflect"
	"slices"
	"testing"
	"time"

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
				pending := tr.pending.IDs.Clone()
				h.ix.mu.Unlock()
				if err := b.Commit(); err != nil {
					require.Same(t, before, h.ix.View(), "a failed batch changes no view")
					h.ix.mu.Lock()
					require.True(t, pending.Equals(tr.pending.IDs), "a failed batch touched customers")
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
			cur, tc, _ := tr.NextTouched()
			ids := tc.IDs
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
			// by field: a customer live in both views differs only in the
			// fields it is listed for, events only on the days listed
			for id, key := range prev.All().Members() {
				pa, _ := prev.Profile(key)
				pb, ok := cur.Profile(key)
				if nid, _ := cur.ID(key); !ok || nid != id {
					continue
				}
				for name := range mergeKeys(pa.Tags, pb.Tags) {
					if pa.Tags[name] != pb.Tags[name] {
						require.True(t, tc.Tags[name] != nil && tc.Tags[name].Contains(id), "seed %d step %d: %q tag %s changed, not in Tags", seed, step, key, name)
					}
				}
				for name := range mergeKeys(pa.Attrs, pb.Attrs) {
					if !reflect.DeepEqual(pa.Attrs[name], pb.Attrs[name]) {
						require.True(t, tc.Attrs[name] != nil && tc.Attrs[name].Contains(id), "seed %d step %d: %q.%s changed, not in Attrs", seed, step, key, name)
					}
				}
				for name := range mergeKeys(pa.Events, pb.Events) {
					if reflect.DeepEqual(pa.Events[name], pb.Events[name]) && reflect.DeepEqual(pa.Details[name], pb.Details[name]) {
						continue
					}
					require.True(t, tc.Events[name] != nil && tc.Events[name].Contains(id), "seed %d step %d: %q event %s changed, not in Events", seed, step, key, name)
					days := map[time.Time]bool{}
					for _, d := range tc.Days[name] {
						days[prev.Zone().Start(d)] = true
					}
					require.True(t, slices.IsSorted(tc.Days[name]))
					keep := func(ts []time.Time) []time.Time {
						out := []time.Time{}
						for _, x := range ts {
							if !days[x] {
								out = append(out, x)
							}
						}
						return out
					}
					require.Equal(t, keep(pa.Events[name]), keep(pb.Events[name]), "seed %d step %d: %q event %s changed outside Days %v", seed, step, key, name, tc.Days[name])
				}
			}
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

func mergeKeys[V any](a, b map[string]V) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}
