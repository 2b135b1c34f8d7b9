package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTmpWatcherMany(t *testing.T) {
	zones := []*time.Location{time.UTC, loadLoc(t, "Asia/Shanghai"), loadLoc(t, "America/New_York")}
	steps := 120
	if testing.Short() {
		steps = 25
	}
	ctx := context.Background()
	old := fullSyncRatio
	defer func() { fullSyncRatio = old }()
	for zi, loc := range zones {
		for extra := range 8 { for rep := range 2 {
			seed := uint64(9000 + 100*zi + rep + 7*extra)
			// rep 0: per-customer matching only; rep 1: full evaluations
			// too when a batch touches many of the 80 customers
			fullSyncRatio = [...]uint64{0, 20}[rep]
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
					for name, keys := range after {
						m, ok := w.Members(name)
						require.True(t, ok)
						require.Equal(t, len(keys), m.Len(), "members of %s", name)
					}
					before = after
				}
			})
		}
	}
}
}
