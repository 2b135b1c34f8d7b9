package segment

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEventRanks checks the forms the index answers from recency ranks
// (didWithin, its negation, countWithin with small thresholds) against
// Match, by Eval and Count, for now on the last recorded day, after it, and
// among the events (where the ranks do not apply), in several time zones.
func TestEventRanks(t *testing.T) {
	ctx := context.Background()
	for zi, loc := range []*time.Location{time.UTC, loadLoc(t, "America/New_York"), loadLoc(t, "Asia/Shanghai")} {
		pop := randomPopulation(t, uint64(300+zi), 200, loc)
		var last time.Time
		for _, p := range pop.profiles {
			for _, ts := range p.Events {
				for _, at := range ts {
					if at.After(last) {
						last = at
					}
				}
			}
		}
		nows := []time.Time{last, last.Add(23 * time.Hour), last.Add(40 * 24 * time.Hour), pop.now}
		var srcs []string
		for _, e := range append(testEvents, "never") {
			for _, w := range []string{"1d", "30d", "1y", "3y"} {
				srcs = append(srcs, fmt.Sprintf("didWithin(%q, %q)", e, w), fmt.Sprintf("!didWithin(%q, %q)", e, w))
				for n := 0; n <= 5; n++ {
					for _, op := range []string{"==", "!=", "<", "<=", ">", ">="} {
						srcs = append(srcs, fmt.Sprintf("countWithin(%q, %q) %s %d", e, w, op, n))
					}
				}
			}
		}
		for _, now := range nows {
			for _, src := range srcs {
				r, err := Compile(src)
				require.NoError(t, err, src)
				set, err := r.Eval(ctx, pop.v, now)
				require.NoError(t, err, src)
				n, err := r.Count(ctx, pop.v, now)
				require.NoError(t, err, src)
				want := 0
				for _, k := range pop.keys {
					m, err := r.Match(pop.profiles[k], now)
					require.NoError(t, err, src)
					require.Equal(t, m, set.ContainsKey(k), "%s at %s: customer %s", src, now, k)
					if m {
						want++
					}
				}
				require.Equal(t, want, set.Len(), "%s at %s", src, now)
				require.Equal(t, want, n, "Count: %s at %s", src, now)
			}
		}
	}
}
