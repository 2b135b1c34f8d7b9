package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/require"
)

// evalKeys evaluates every segment in full: the reference the Watcher's
// stream is checked against.
func evalKeys(t testing.TB, reg *Registry, v *bitmapindex.View, now time.Time) map[string]map[string]bool {
	all, err := reg.EvalAll(context.Background(), v, now)
	require.NoError(t, err)
	out := map[string]map[string]bool{}
	for name, s := range all {
		m := map[string]bool{}
		for k := range s.Keys() {
			m[k] = true
		}
		out[name] = m
	}
	return out
}

// diffKeys is the naive diff of two full evaluations, as sorted
// "segment key kind" lines.
func diffKeys(before, after map[string]map[string]bool) []string {
	var out []string
	for name, is := range after {
		for k := range is {
			if !before[name][k] {
				out = append(out, name+" "+k+" entered")
			}
		}
		for k := range before[name] {
			if !is[k] {
				out = append(out, name+" "+k+" left")
			}
		}
	}
	sort.Strings(out)
	return out
}

// randomBatch writes a few random changes: tags, attributes (including the
// time attributes rules compare with daysSince and within), events around
// now, deletions and new customers.
func randomBatch(rng *rand.Rand, ix *bitmapindex.Index, keys []string, now time.Time) *bitmapindex.Batch {
	b := ix.NewBatch()
	loc := ix.Location()
	for range rng.IntN(8) + 1 {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(10) == 0 {
			k = fmt.Sprintf("n%03d", rng.IntN(40)) // new (or re-added) customers
		}
		switch rng.IntN(11) {
		case 0:
			b.AddTag(k, fmt.Sprintf("t%d", rng.IntN(7)))
		case 1:
			b.RemoveTag(k, fmt.Sprintf("t%d", rng.IntN(7)))
		case 2:
			b.Set(k, "age", bitmapindex.Int(int64(15+rng.IntN(50))))
		case 3:
			b.Set(k, "score", bitmapindex.Int(int64(rng.IntN(21)-10)))
		case 4:
			b.Set(k, "last_login", bitmapindex.Time(now.Add(-time.Duration(rng.IntN(40*86400))*time.Second)))
		case 5:
			b.Set(k, "city", bitmapindex.Category(testCities[rng.IntN(len(testCities))]))
		case 6:
			b.Clear(k, []string{"age", "city", "vip", "signup"}[rng.IntN(4)])
		case 7, 8:
			b.RecordEvent(k, testEvents[rng.IntN(len(testEvents))], eventTime(rng, now, loc), randomDetail(rng))
		case 9:
			b.Delete(k)
		default:
			b.Set(k, "vip", bitmapindex.Bool(rng.IntN(2) == 0))
		}
	}
	return b
}

// TestWatcherEqualsFullDiffs is the Watcher's property: over random
// registries (every rule form, references among random segments, a static
// segment), random batches and random Advance steps (forward over day
// boundaries, sometimes backwards), after every step the changes a
// subscriber receives are exactly the differences of full evaluations
// before and after, each once, with consecutive sequence numbers.
func TestWatcherEqualsFullDiffs(t *testing.T) {
	zones := []*time.Location{time.UTC, loadLoc(t, "Asia/Shanghai"), loadLoc(t, "America/New_York")}
	steps := 60
	if testing.Short() {
		steps = 25
	}
	ctx := context.Background()
	old, oldKC, oldPend := fullSyncRatio, keyCacheMin, pendMax
	defer func() { fullSyncRatio, keyCacheMin, pendMax = old, oldKC, oldPend }()
	checkPartial = true // each Sync checks its partial reads against full ones
	defer func() { checkPartial = false }()
	for zi, loc := range zones {
		for rep := range 2 {
			seed := uint64(500 + 10*zi + rep)
			// rep 0: per-customer matching only; rep 1: full evaluations
			// too when a batch touches many of the 80 customers
			fullSyncRatio = [...]uint64{0, 20}[rep]
			keyCacheMin = [...]int{1, 1 << 16}[rep] // rep 0: Advance names changes from a keyCache
			pendMax = [...]int{1 << 22, 7}[rep]     // membership changes queued over many Syncs, or a few
			t.Run(fmt.Sprintf("%s/%d", loc, rep), func(t *testing.T) {
				pop := randomPopulation(t, seed, 80, loc)
				reg := testRegistry(t, pop.v, pop.now)
				rng := rand.New(rand.NewPCG(seed, 99))
				g := &ruleGen{rng: rng, now: pop.now}
				var defs []Definition
				for i := range 6 {
					src := g.rule(2)
					if i > 0 && rng.IntN(2) == 0 {
						src = fmt.Sprintf("(%s) %s inSegment(\"s%d\")", src, g.pick("&&", "||"), rng.IntN(i))
					}
					defs = append(defs, Definition{Name: fmt.Sprintf("s%d", i), Rule: src})
				}
				require.NoError(t, reg.DefineAll(defs...))
				w, err := NewWatcher(ctx, reg, pop.ix, pop.now)
				require.NoError(t, err)
				defer w.Close()
				sub := w.Subscribe(1 << 20)
				now := pop.now
				before := evalKeys(t, reg, pop.ix.View(), now)
				var seq uint64
				for step := range steps {
					what := "batch"
					switch k := rng.IntN(10); {
					case k < 6:
						if err := randomBatch(rng, pop.ix, pop.keys, now).Commit(); err != nil {
							t.Fatal(err)
						}
						if rng.IntN(3) == 0 { // sometimes two batches per Sync
							require.NoError(t, randomBatch(rng, pop.ix, pop.keys, now).Commit())
						}
						require.NoError(t, w.Sync(ctx))
					case k < 9:
						now = now.Add(time.Duration(rng.IntN(3*86400)) * time.Second)
						what = "advance"
						require.NoError(t, w.Advance(ctx, now))
					default:
						now = now.Add(-time.Duration(rng.IntN(2*86400)) * time.Second)
						what = "advance back"
						require.NoError(t, w.Advance(ctx, now))
					}
					v := pop.ix.View()
					require.Same(t, v, w.View())
					after := evalKeys(t, reg, v, now)
					got, err := sub.Next(0)
					require.NoError(t, err)
					var lines []string
					for _, c := range got {
						seq++
						require.Equal(t, seq, c.Seq, "sequence numbers are consecutive")
						require.True(t, c.At.Equal(now))
						lines = append(lines, c.Segment+" "+c.Key+" "+c.Kind.String())
					}
					sort.Strings(lines)
					require.Equal(t, diffKeys(before, after), lines, "step %d (%s)", step, what)
					if rng.IntN(4) == 0 || step == steps-1 { // (Members applies the queued membership changes)
						for name, keys := range after {
							m, ok := w.Members(name)
							require.True(t, ok)
							require.Equal(t, len(keys), m.Len(), "members of %s", name)
						}
					}
					before = after
				}
			})
		}
	}
}

// goldWatcher is a Watcher of one segment, has("gold"), over an empty
// index, closed with the test.
func goldWatcher(t *testing.T) (*bitmapindex.Index, *Watcher, time.Time) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	reg := NewRegistry()
	require.NoError(t, reg.Define(Definition{Name: "gold", Rule: `has("gold")`}))
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w, err := NewWatcher(context.Background(), reg, ix, now)
	require.NoError(t, err)
	t.Cleanup(w.Close)
	return ix, w, now
}

// TestWatcherOverflow: a subscriber that falls behind gets ErrOverflow
// (never a silent gap) while writers and other subscribers go on, and
// Resync gives the full membership at a cursor after which changes resume.
func TestWatcherOverflow(t *testing.T) {
	ctx := context.Background()
	ix, w, now := goldWatcher(t)
	slow, fast := w.Subscribe(2), w.Subscribe(100)
	for i := range 3 {
		require.NoError(t, ix.AddTag(fmt.Sprintf("c%d", i), "gold"))
		require.NoError(t, w.Sync(ctx))
	}
	got, err := fast.Next(0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	_, err = slow.Next(0)
	require.ErrorIs(t, err, ErrOverflow)
	_, err = slow.Next(0)
	require.ErrorIs(t, err, ErrOverflow, "the overflow stays until Resync")
	snap := slow.Resync()
	require.Equal(t, uint64(3), snap.Seq)
	require.Equal(t, []string{"c0", "c1", "c2"}, keysOf(snap.Members["gold"]))
	require.NoError(t, ix.RemoveTag("c1", "gold"))
	require.NoError(t, w.Sync(ctx))
	got, err = slow.Next(0)
	require.NoError(t, err)
	require.Equal(t, []Change{{Seq: 4, Segment: "gold", Key: "c1", ID: 1, Kind: Left, At: now}}, got)
	require.Equal(t, uint64(4), slow.Cursor())
}

// TestSubscriptionsOwnTheirChanges: subscriptions queue the Watcher's
// emissions without copying them, so what Next returns must still be the
// caller's own: one subscriber rewriting its changes (whole emissions,
// parts of them, several at once) never shows in another's, whichever
// consumes first, and a lone subscriber taking whole emissions gets them.
func TestSubscriptionsOwnTheirChanges(t *testing.T) {
	ctx := context.Background()
	ix, w, _ := goldWatcher(t)
	a, b := w.Subscribe(100), w.Subscribe(100)
	emit := func(keys ...string) {
		bt := ix.NewBatch()
		for _, k := range keys {
			bt.AddTag(k, "gold")
		}
		require.NoError(t, bt.Commit())
		require.NoError(t, w.Sync(ctx))
	}
	scribble := func(cs []Change) {
		for i := range cs {
			cs[i].Key, cs[i].Segment = "scribbled", "scribbled"
		}
	}
	keys := func(cs []Change) (out []string) {
		for _, c := range cs {
			out = append(out, c.Key)
		}
		return out
	}
	emit("c1", "c2")
	emit("c3")
	emit("c4", "c5", "c6")
	got, err := a.Next(2) // a whole emission, still held by b
	require.NoError(t, err)
	require.Equal(t, []string{"c1", "c2"}, keys(got))
	scribble(got)
	got, err = a.Next(2) // one emission and part of the next
	require.NoError(t, err)
	require.Equal(t, []string{"c3", "c4"}, keys(got))
	scribble(got)
	got, err = b.Next(0) // all three, after a rewrote its copies
	require.NoError(t, err)
	require.Equal(t, []string{"c1", "c2", "c3", "c4", "c5", "c6"}, keys(got))
	scribble(got)
	got, err = a.Next(0)
	require.NoError(t, err)
	require.Equal(t, []string{"c5", "c6"}, keys(got))
	// b consumes first now, then a takes the same emission whole
	emit("c7", "c8")
	got, err = b.Next(0)
	require.NoError(t, err)
	require.Equal(t, []string{"c7", "c8"}, keys(got))
	scribble(got)
	got, err = a.Next(0)
	require.NoError(t, err)
	require.Equal(t, []string{"c7", "c8"}, keys(got))
	for _, c := range got {
		require.Equal(t, "gold", c.Segment)
	}
}

// TestWatcherRun: Run syncs on every commit; concurrent writers, a
// consumer and definition changes (a full resync) under -race.
func TestWatcherRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	reg := NewRegistry()
	require.NoError(t, reg.Define(Definition{Name: "gold", Rule: `has("gold")`}))
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w, err := NewWatcher(ctx, reg, ix, now)
	require.NoError(t, err)
	sub := w.Subscribe(1 << 16)
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	for i := range 200 {
		require.NoError(t, ix.AddTag(fmt.Sprintf("c%d", i%50), "gold"))
		if i%7 == 0 {
			require.NoError(t, ix.RemoveTag(fmt.Sprintf("c%d", i%50), "gold"))
		}
	}
	require.NoError(t, reg.Define(Definition{Name: "silver", Rule: `!has("gold")`}))
	require.NoError(t, w.Sync(ctx))
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, w.Sync(context.Background()))
	// replaying the stream gives the full evaluation
	members := map[string]map[string]bool{"gold": {}, "silver": {}}
	for {
		got, err := sub.Next(0)
		require.NoError(t, err)
		if len(got) == 0 {
			break
		}
		for _, c := range got {
			members[c.Segment][c.Key] = c.Kind == Entered
		}
	}
	want := evalKeys(t, reg, ix.View(), now)
	for name, m := range members {
		for k, in := range m {
			require.Equal(t, want[name][k], in, "%s %s", name, k)
		}
		require.Len(t, want[name], count(m))
	}
	w.Close()
	_, open := <-sub.C()
	for open {
		_, open = <-sub.C()
	}
}

func count(m map[string]bool) int {
	n := 0
	for _, in := range m {
		if in {
			n++
		}
	}
	return n
}

// TestSyncReadsWindowStart: Sync reads a touched customer's occurrences
// only from the first day its rules look at (Fields.From); an occurrence on
// exactly that day counts, one the day before does not.
func TestSyncReadsWindowStart(t *testing.T) {
	ctx := context.Background()
	old := fullSyncRatio
	defer func() { fullSyncRatio = old }()
	fullSyncRatio = 0 // (two customers: else Sync evaluates everyone in full)
	for _, rule := range []string{
		`countWithin("buy", "3d") >= 1 && has("x")`,
		`didWithin("buy", "3d") && has("x")`,
		`sumWithin("buy", "3d") >= 5 && has("x")`,
		`avgWithin("buy", "3d") >= 5 && has("x")`,
	} {
		ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
		require.NoError(t, err)
		now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
		require.NoError(t, ix.Record("on", "buy", now.AddDate(0, 0, -2), 5))     // the window's first day
		require.NoError(t, ix.Record("before", "buy", now.AddDate(0, 0, -3), 5)) // the day before it
		reg := NewRegistry()
		require.NoError(t, reg.Define(Definition{Name: "s", Rule: rule}))
		w, err := NewWatcher(ctx, reg, ix, now)
		require.NoError(t, err)
		sub := w.Subscribe(16)
		require.NoError(t, ix.AddTag("on", "x"))
		require.NoError(t, ix.AddTag("before", "x"))
		require.NoError(t, w.Sync(ctx))
		cs, err := sub.Next(0)
		require.NoError(t, err)
		require.Len(t, cs, 1, rule)
		require.Equal(t, "on", cs[0].Key, rule)
		require.Equal(t, Entered, cs[0].Kind, rule)
		w.Close()
	}
}

// TestMemberLogApply: queued membership changes applied grouped by
// container equal applying them one by one in order (the last change of an
// ID wins), across containers and queue lengths.
func TestMemberLogApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var l memberLog
	for trial := range 300 {
		span := []uint32{100, 70000, 1 << 20, 1 << 31}[trial%4]
		bm, want := roaring.New(), roaring.New()
		for range rng.IntN(500) {
			id := rng.Uint32N(span)
			bm.Add(id)
			want.Add(id)
		}
		var q []uint64
		for range rng.IntN(3000) {
			id := rng.Uint32N(span)
			if rng.IntN(3) == 0 && !want.IsEmpty() { // often an ID changed before
				id = want.Minimum() + rng.Uint32N(64)
			}
			in := rng.IntN(2) == 1
			if in {
				want.Add(id)
			} else {
				want.Remove(id)
			}
			x := uint64(id) << 1
			if in {
				x |= 1
			}
			q = append(q, x)
		}
		l.apply(bm, q)
		require.True(t, want.Equals(bm), "trial %d: %d changes", trial, len(q))
	}
}
