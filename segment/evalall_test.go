package segment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEvalAllParallel checks that EvalAll with several workers returns, for
// a random reference graph (chains and diamonds of inSegment over tags,
// attributes and events), exactly what evaluating each segment alone in a
// fresh registry returns.
func TestEvalAllParallel(t *testing.T) {
	for seed := range uint64(4) {
		p := randomPopulation(t, seed, 300, time.UTC)
		rng := rand.New(rand.NewPCG(seed, 7))
		leaves := []string{`has("t0")`, `has("t1") || has("t2")`, `age >= 30`, `spend > 100`, `didWithin("login", "30d")`, `!has("t3")`, `score < 0`}
		var defs []Definition
		for i := range 40 {
			rule := leaves[rng.IntN(len(leaves))]
			if i > 0 {
				for range rng.IntN(3) {
					op := " && "
					if rng.IntN(2) == 0 {
						op = " || "
					}
					rule = fmt.Sprintf("(%s)%sinSegment(%q)", rule, op, fmt.Sprintf("s%02d", rng.IntN(i)))
				}
			}
			defs = append(defs, Definition{Name: fmt.Sprintf("s%02d", i), Rule: rule})
		}
		want := map[string][]string{}
		for _, d := range defs {
			reg := NewRegistry(WithSchema(p.v.Schema()))
			require.NoError(t, reg.DefineAll(defs...))
			s, err := reg.Eval(context.Background(), d.Name, p.v, p.now)
			require.NoError(t, err)
			want[d.Name] = keysOf(s)
		}
		for _, procs := range []int{1, 2, 4} {
			old := runtime.GOMAXPROCS(procs)
			reg := NewRegistry(WithSchema(p.v.Schema()))
			require.NoError(t, reg.DefineAll(defs...))
			all, err := reg.EvalAll(context.Background(), p.v, p.now)
			runtime.GOMAXPROCS(old)
			require.NoError(t, err)
			require.Len(t, all, len(defs))
			for name, w := range want {
				require.Equal(t, w, keysOf(all[name]), "seed %d, GOMAXPROCS %d, %s", seed, procs, name)
			}
		}
	}
}

// TestEvalAllCancelled checks that a cancelled context stops EvalAll with
// its error, whatever the number of workers.
func TestEvalAllCancelled(t *testing.T) {
	p := randomPopulation(t, 1, 100, time.UTC)
	var defs []Definition
	for i := range 20 {
		rule := `has("t0")`
		if i%5 != 0 {
			rule = fmt.Sprintf(`has("t1") || inSegment("s%02d")`, i-1)
		}
		defs = append(defs, Definition{Name: fmt.Sprintf("s%02d", i), Rule: rule})
	}
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		reg := NewRegistry(WithSchema(p.v.Schema()))
		require.NoError(t, reg.DefineAll(defs...))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := reg.EvalAll(ctx, p.v, p.now)
		runtime.GOMAXPROCS(old)
		require.True(t, errors.Is(err, context.Canceled), "GOMAXPROCS %d: %v", procs, err)
	}
}
