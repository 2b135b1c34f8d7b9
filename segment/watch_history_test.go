package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/require"
)

// TestHistoryMatchesFullEvaluations runs random batches and forward
// Advance steps and checks the history against full evaluations: the size
// at the end of every day, and who entered and left on every day and over
// random ranges of days.
func TestHistoryMatchesFullEvaluations(t *testing.T) {
	ctx := context.Background()
	old := fullSyncRatio
	defer func() { fullSyncRatio = old }()
	fullSyncRatio = 0
	checkPartial = true // each Sync checks its partial reads against full ones
	defer func() { checkPartial = false }()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			loc := loadLoc(t, "Asia/Shanghai")
			pop := randomPopulation(t, 700+seed, 80, loc)
			reg := testRegistry(t, pop.v, pop.now)
			rng := rand.New(rand.NewPCG(seed, 5))
			g := &ruleGen{rng: rng, now: pop.now}
			for i := range 4 {
				require.NoError(t, reg.Define(Definition{Name: fmt.Sprintf("s%d", i), Rule: g.rule(2)}))
			}
			w, err := NewWatcher(ctx, reg, pop.ix, pop.now)
			require.NoError(t, err)
			defer w.Close()
			sub := w.Subscribe(1 << 20)
			h := NewHistory(w)
			z := pop.ix.Zone()
			now := pop.now
			before := evalKeys(t, reg, pop.ix.View(), now)
			endSize := map[string]map[segkit.Day]int{}
			entered := map[string]map[segkit.Day][]string{}
			left := map[string]map[segkit.Day][]string{}
			first := z.DayOf(now)
			for range 40 {
				if rng.IntN(3) == 0 {
					now = now.Add(time.Duration(rng.IntN(2*86400)) * time.Second)
					require.NoError(t, w.Advance(ctx, now))
				} else {
					require.NoError(t, randomBatch(rng, pop.ix, pop.keys, now).Commit())
					require.NoError(t, w.Sync(ctx))
				}
				got, err := sub.Next(0)
				require.NoError(t, err)
				h.Apply(got...)
				after := evalKeys(t, reg, pop.ix.View(), now)
				d := z.DayOf(now)
				for name, m := range after {
					if endSize[name] == nil {
						endSize[name], entered[name], left[name] = map[segkit.Day]int{}, map[segkit.Day][]string{}, map[segkit.Day][]string{}
					}
					endSize[name][d] = len(m)
					for k := range m {
						if !before[name][k] {
							entered[name][d] = append(entered[name][d], k)
						}
					}
					for k := range before[name] {
						if !m[k] {
							left[name][d] = append(left[name][d], k)
						}
					}
				}
				before = after
			}
			last := z.DayOf(now)
			v := pop.ix.View()
			keys := func(name string, from, to segkit.Day, f func(string, segkit.Day, segkit.Day) ([]string, error)) []string {
				ks, err := f(name, from, to)
				require.NoError(t, err)
				sort.Strings(ks)
				return ks
			}
			hEntered := func(name string, from, to segkit.Day) ([]string, error) {
				bm, err := h.Entered(name, from, to)
				var out []string
				for _, id := range bm.ToArray() {
					k, ok := v.KeyOf(id)
					require.True(t, ok)
					out = append(out, k)
				}
				return out, err
			}
			hLeft := func(name string, from, to segkit.Day) ([]string, error) {
				bm, err := h.Left(name, from, to)
				var out []string
				for _, id := range bm.ToArray() {
					k, _ := v.KeyOf(id)
					out = append(out, k)
				}
				return out, err
			}
			naive := func(m map[segkit.Day][]string, from, to segkit.Day) []string {
				set := map[string]bool{}
				for d := from; d <= to; d++ {
					for _, k := range m[d] {
						set[k] = true
					}
				}
				var out []string
				for k := range set {
					out = append(out, k)
				}
				sort.Strings(out)
				return out
			}
			for name := range endSize {
				sizes, err := h.Sizes(name, first, last)
				require.NoError(t, err)
				require.Len(t, sizes, int(last-first)+1)
				for _, ds := range sizes {
					if want, ok := endSize[name][ds.Day]; ok {
						require.Equal(t, want, ds.Size, "%s on %s", name, ds.Day)
					}
				}
				for range 5 {
					a := first + segkit.Day(rng.IntN(int(last-first)+1))
					b := a + segkit.Day(rng.IntN(int(last-a)+1))
					// a key entering twice in the range (re-added) appears once in both
					require.Equal(t, naive(entered[name], a, b), dedupe(keys(name, a, b, hEntered)), "%s entered %s..%s", name, a, b)
					require.Equal(t, naive(left[name], a, b), dedupe(keys(name, a, b, hLeft)), "%s left %s..%s", name, a, b)
				}
			}
			_, err = h.Sizes("nope", first, last)
			require.ErrorIs(t, err, ErrNoHistory)
		})
	}
}

func dedupe(ks []string) []string {
	var out []string
	for i, k := range ks {
		if i == 0 || ks[i-1] != k {
			out = append(out, k)
		}
	}
	return out
}

// TestHistoryFromVersion1Checkpoint opens a Watcher directory written by
// the previous checkpoint format (every history day inside watch.state;
// testdata/watch-v1, made by segkit before history.dat): the history reads
// the same, its days move to history.dat, and the next checkpoint (version
// 2, referring to them) opens again with the same history.
func TestHistoryFromVersion1Checkpoint(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata/watch-v1")))
	ctx := context.Background()
	reg := NewRegistry()
	require.NoError(t, reg.DefineAll(Definition{Name: "gold", Rule: `has("gold")`}, Definition{Name: "recent", Rule: `didWithin("buy", "2d")`}))
	z := segkit.NewZone(time.UTC)
	nov := func(d int) segkit.Day { return z.DayOf(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) }
	check := func(h *History) {
		for name, want := range map[string][]int{"gold": {1, 2, 3, 2}, "recent": {1, 2, 2, 1}} {
			sizes, err := h.Sizes(name, nov(1), nov(4))
			require.NoError(t, err)
			var got []int
			for _, s := range sizes {
				got = append(got, s.Size)
			}
			require.Equal(t, want, got, name)
		}
		left, err := h.Left("recent", nov(1), nov(4))
		require.NoError(t, err)
		require.Equal(t, []uint32{0, 1}, left.ToArray(), "a and b left recent")
		entered, err := h.Entered("gold", nov(2), nov(3))
		require.NoError(t, err)
		require.Equal(t, []uint32{1, 2}, entered.ToArray())
	}
	for round := range 2 {
		ix, err := bitmapindex.Open(dir+"/index", bitmapindex.Config{Location: time.UTC})
		require.NoError(t, err)
		w, err := OpenWatcher(ctx, reg, ix, dir+"/watch", time.Time{})
		require.NoError(t, err)
		check(w.History())
		state, err := os.ReadFile(dir + "/watch/watch.state")
		require.NoError(t, err)
		if round == 0 {
			require.Equal(t, watchMagicV1, string(state[:8]))
			require.NoError(t, w.Checkpoint())
		} else {
			require.Equal(t, watchMagic, string(state[:8]))
			fi, err := os.Stat(dir + "/watch/" + histFileName)
			require.NoError(t, err)
			require.NotZero(t, fi.Size(), "the sealed days are in history.dat")
		}
		w.Close()
		require.NoError(t, ix.Close())
	}
}
