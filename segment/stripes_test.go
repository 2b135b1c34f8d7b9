package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/knobs"
	"github.com/stretchr/testify/require"
)

// withSmallStripes makes the index cut bitmaps into stripes of 32 IDs and
// the evaluator split every eligible plan over 3 goroutines, for the test.
func withSmallStripes(t *testing.T) {
	bits, work, workers := knobs.StripeBits, minStripedBytes, stripeWorkers
	knobs.StripeBits, minStripedBytes, stripeWorkers = 5, 0, func() int { return 3 }
	t.Cleanup(func() { knobs.StripeBits, minStripedBytes, stripeWorkers = bits, work, workers })
}

// setRule is a random rule over the operands a striped evaluation takes:
// tags, set values, presence and constants, under and, or and not.
func (g *ruleGen) setRule(depth int) string {
	if depth <= 0 || g.rng.IntN(4) == 0 {
		switch g.rng.IntN(9) {
		case 0, 1, 2:
			return "has(" + g.tag() + ")"
		case 3:
			return g.pick("hasAny", "hasAll", "hasNone") + "(" + g.tags() + ")"
		case 4:
			return fmt.Sprintf("%q %s interests", testInterests[g.rng.IntN(len(testInterests))], g.pick("in", "not in"))
		case 5:
			return fmt.Sprintf("%s(%s)", g.pick("exists", "missing"), g.pick("age", "city", "interests", "vip"))
		case 6:
			return g.pick("true", "false")
		case 7:
			return fmt.Sprintf("city == %q", testCities[g.rng.IntN(len(testCities))])
		}
		return "!has(" + g.tag() + ")"
	}
	a, b := g.setRule(depth-1), g.setRule(depth-1)
	switch g.rng.IntN(5) {
	case 0, 1:
		return a + " && " + b
	case 2:
		return a + " || " + b
	case 3:
		return "!(" + a + ")"
	}
	return "(" + a + " || " + b + ") && !(" + g.setRule(0) + ")"
}

// TestStripedEquivalence evaluates rules over tags, set values and presence
// stripe by stripe and checks Eval, Count, Match and the whole evaluation
// agree, on populations whose bitmaps the index keeps in stripes of 32 IDs,
// after writes that change some stripes and not others.
func TestStripedEquivalence(t *testing.T) {
	withSmallStripes(t)
	ctx := context.Background()
	whole := context.WithValue(ctx, noSplitKey{}, true)
	striped, rules := 0, 0
	for seed := range uint64(3) {
		pop := randomPopulation(t, 500+seed, 400, time.UTC)
		g := &ruleGen{rng: rand.New(rand.NewPCG(seed, 11)), now: pop.now}
		for i := range 120 {
			src := g.setRule(3)
			r, err := Compile(src, WithSchema(testSchema))
			require.NoError(t, err, src)
			e, err := r.newEvaluator(ctx, pop.v, pop.now, nil)
			require.NoError(t, err)
			if e.planStripes(r.root, 0) != nil {
				striped++
			}
			rules++
			set, err := r.Eval(ctx, pop.v, pop.now)
			require.NoError(t, err, src)
			n, err := r.Count(ctx, pop.v, pop.now)
			require.NoError(t, err, src)
			want, err := r.Eval(whole, pop.v, pop.now)
			require.NoError(t, err, src)
			wantN, err := r.Count(whole, pop.v, pop.now)
			require.NoError(t, err, src)
			require.True(t, want.Bitmap() == nil && set.Len() == 0 || set.Bitmap().Equals(want.Bitmap()), "rule %d %s: striped %v, whole %v", i, src, set.Len(), want.Len())
			require.Equal(t, wantN, n, "Count: %s", src)
			require.Equal(t, set.Len(), n, "Count vs Eval: %s", src)
			for _, k := range pop.keys {
				m, err := r.Match(pop.profiles[k], pop.now)
				require.NoError(t, err, src)
				require.Equal(t, m, set.ContainsKey(k), "rule %s, customer %s", src, k)
			}
		}
	}
	t.Logf("%d of %d rules evaluated in stripes", striped, rules)
	require.Greater(t, striped, rules/2, "rules evaluated in stripes")
}

// TestStripedConcurrent runs striped evaluations from several goroutines
// while a writer changes tags (and so the stripes of later views): each
// result must equal its view's whole evaluation. Run with -race.
func TestStripedConcurrent(t *testing.T) {
	withSmallStripes(t)
	ix, _ := stripedIndex(t, 2000)
	rules := []*Rule{
		MustCompile(`has("a") && has("b") && (has("c") || has("d")) && !has("e")`),
		MustCompile(`!(has("a") || has("e"))`),
		MustCompile(`hasAny("b", "c") && !has("d")`),
	}
	ctx := context.Background()
	whole := context.WithValue(ctx, noSplitKey{}, true)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := ix.View()
				r := rules[(i+w)%len(rules)]
				got, err := r.Eval(ctx, v, time.Time{})
				if err == nil {
					var want bitmapindex.Set
					if want, err = r.Eval(whole, v, time.Time{}); err == nil && got.Len() != want.Len() {
						err = fmt.Errorf("%s: striped %d, whole %d", r, got.Len(), want.Len())
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		b := ix.NewBatch()
		for range 20 {
			k := fmt.Sprint("c", rng.IntN(2000))
			tag := string(rune('a' + rng.IntN(5)))
			if rng.IntN(2) == 0 {
				b.AddTag(k, tag)
			} else {
				b.RemoveTag(k, tag)
			}
		}
		require.NoError(t, b.Commit())
		ix.View()
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// stripedIndex is n customers with five tags of decreasing density.
func stripedIndex(t *testing.T, n int) (*bitmapindex.Index, *rand.Rand) {
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	b := ix.NewBatch()
	for i := range n {
		k := fmt.Sprint("c", i)
		b.Add(k)
		for j, p := range []float64{0.6, 0.4, 0.2, 0.15, 0.1} {
			if rng.Float64() < p {
				b.AddTag(k, string(rune('a'+j)))
			}
		}
	}
	require.NoError(t, b.Commit())
	return ix, rng
}
