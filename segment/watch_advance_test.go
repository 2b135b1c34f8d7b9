package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/require"
)

// TestAdvanceFindsWhoCanChange is the property of the time-driven path:
// over random registries whose rules use every time form (events in
// windows, daysSince and within on time attributes, references to such
// segments), random batches and Advance steps of a few hours to a few days
// (forward, sometimes back), the membership after each Advance equals a
// full evaluation at the new time, and the changes emitted equal the
// differences, each once. It also checks that the run took each branch:
// segments skipped because nobody crossed a window edge, segments
// recomputed from their conditions.
func TestAdvanceFindsWhoCanChange(t *testing.T) {
	ctx := context.Background()
	seeds := 6
	if testing.Short() {
		seeds = 3
	}
	var total advanceStats
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			loc := []*time.Location{time.UTC, loadLoc(t, "Asia/Shanghai"), loadLoc(t, "America/New_York")}[seed%3]
			pop := randomPopulation(t, 900+seed, 70, loc)
			reg := testRegistry(t, pop.v, pop.now)
			rng := rand.New(rand.NewPCG(seed, 901))
			g := &ruleGen{rng: rng, now: pop.now}
			timeForms := []string{
				`didWithin("login", "%dd")`, `countWithin("purchase", "%dd") >= 2`, `daysSince(last_login) > %d`,
				`!didWithin("purchase", "%dd")`, `daysSince(signup) <= %d`,
			}
			var defs []Definition
			for i := range 10 {
				src := fmt.Sprintf(timeForms[rng.IntN(len(timeForms))], 1+rng.IntN(20))
				switch rng.IntN(4) {
				case 0:
					src = fmt.Sprintf("(%s) %s (%s)", src, g.pick("&&", "||"), g.rule(2))
				case 1:
					src = g.rule(2)
				}
				if i > 0 && rng.IntN(2) == 0 {
					src = fmt.Sprintf("(%s) %s %sinSegment(\"s%d\")", src, g.pick("&&", "||"), g.pick("", "!"), rng.IntN(i))
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
			check := func(step int) {
				after := evalKeys(t, reg, pop.ix.View(), now)
				got, err := sub.Next(0)
				require.NoError(t, err)
				var lines []string
				for _, c := range got {
					lines = append(lines, c.Segment+" "+c.Key+" "+c.Kind.String())
				}
				require.ElementsMatch(t, diffKeys(before, after), lines, "step %d", step)
				for name, keys := range after {
					m, _ := w.Members(name)
					require.Equal(t, len(keys), m.Len(), "step %d: members of %s", step, name)
				}
				before = after
			}
			for step := range 40 {
				if rng.IntN(3) == 0 {
					b := randomBatch(rng, pop.ix, pop.keys, now)
					// writes about to cross a window edge: events and
					// last_login k days back, for the windows of the rules
					for range 1 + rng.IntN(4) {
						k := pop.keys[rng.IntN(len(pop.keys))]
						back := now.AddDate(0, 0, -rng.IntN(21))
						switch rng.IntN(3) {
						case 0:
							b.Record(k, "login", back, 0)
						case 1:
							b.Record(k, "purchase", back, 0)
						default:
							b.Set(k, "last_login", bitmapindex.Time(back))
						}
					}
					require.NoError(t, b.Commit())
					require.NoError(t, w.Sync(ctx))
					check(step)
				}
				switch k := rng.IntN(10); {
				case k < 5:
					now = now.Add(time.Duration(1+rng.IntN(12)) * time.Hour)
				case k < 9:
					now = now.AddDate(0, 0, 1+rng.IntN(3))
				default:
					now = now.Add(-time.Duration(rng.IntN(2*86400)) * time.Second)
				}
				require.NoError(t, w.Advance(ctx, now))
				check(step)
			}
			total.skipped += w.adv.skipped
			total.combined += w.adv.combined
			total.evaluated += w.adv.evaluated
		})
	}
	t.Logf("time-dependent segments at Advance: %d skipped (nobody crossed an edge), %d recomputed from their conditions, %d evaluated in full", total.skipped, total.combined, total.evaluated)
	require.Positive(t, total.skipped)
	require.Positive(t, total.combined)
}

// TestAdvanceAfterWrites: a write between two Advances makes the kept
// value of a time condition stale for that customer; a customer who
// entered by the write and crosses the window edge at the next Advance,
// alone in the index, must still leave.
func TestAdvanceAfterWrites(t *testing.T) {
	ctx := context.Background()
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Schema: testSchema})
	require.NoError(t, err)
	reg := NewRegistry()
	require.NoError(t, reg.DefineAll(
		Definition{Name: "active", Rule: `didWithin("login", "5d")`},
		Definition{Name: "lapsed", Rule: `daysSince(last_login) > 3`},
		Definition{Name: "both", Rule: `inSegment("active") || has("x")`},
	))
	day := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC) }
	ix.Add("c1")
	w, err := NewWatcher(ctx, reg, ix, day(1))
	require.NoError(t, err)
	defer w.Close()
	sub := w.Subscribe(100)
	require.NoError(t, w.Advance(ctx, day(2))) // keeps the conditions' values at day 2
	b := ix.NewBatch()
	b.Record("c1", "login", day(2).AddDate(0, 0, -4), 0)
	b.Set("c1", "last_login", bitmapindex.Time(day(2)))
	require.NoError(t, b.Commit())
	require.NoError(t, w.Sync(ctx))
	require.NoError(t, w.Advance(ctx, day(4)))
	require.NoError(t, w.Advance(ctx, day(7)))
	got, err := sub.Next(0)
	require.NoError(t, err)
	var lines []string
	for _, c := range got {
		lines = append(lines, c.At.Format("02")+" "+c.Segment+" "+c.Key+" "+c.Kind.String())
	}
	require.Equal(t, []string{
		"02 active c1 entered", "02 both c1 entered",
		"04 active c1 left", "04 both c1 left",
		"07 lapsed c1 entered",
	}, lines)
}
