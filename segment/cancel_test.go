package segment

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countdownCtx is a context that becomes cancelled at its n-th Err call:
// a deterministic stand-in for a deadline that expires in the middle of an
// evaluation, at every possible point in turn.
type countdownCtx struct {
	context.Context
	left atomic.Int64
	done chan struct{}
}

func newCountdown(n int64) *countdownCtx {
	c := &countdownCtx{Context: context.Background(), done: make(chan struct{})}
	c.left.Store(n)
	return c
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }
func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// cancelRules has a rule for every plan node kind.
var cancelRules = map[string]string{
	"const":    `true`,
	"tag":      `has("t1")`,
	"scalar":   `age > 30`,
	"in":       `city in ["Beijing", "Berlin"]`,
	"setHas":   `"math" in interests`,
	"strMatch": `city matches "^B"`,
	"present":  `exists(score)`,
	"did":      `didWithin("login", "900d")`,
	"count":    `countWithin("login", "900d") >= 3`,
	"first":    `firstWithin("login", "900d")`,
	"sum":      `sumWithin("purchase", "900d") > 5`,
	"avg":      `avgWithin("purchase", "900d") > 5`,
	"then":     `didThen("login", "purchase", "30d")`,
	"ref":      `inSegment("adults")`,
	"and":      `has("t1") && age > 20`,
	"or":       `has("t1") || age > 60`,
	"not":      `!has("t1")`,
	"andNot":   `age > 20 && !has("t1") && !inSegment("adults")`,
}

// TestEvalCancelledEveryNodeKind is issue 14 item 8: whenever the context
// is done during an evaluation, Eval and Count return an error wrapping
// it, or (when it ended first) the complete result: never an incomplete
// result with a nil error, although the view's long operations now stop
// early when the context is done.
func TestEvalCancelledEveryNodeKind(t *testing.T) {
	pop := randomPopulation(t, 11, 300, time.UTC)
	reg := testRegistry(t, pop.v, pop.now)
	for kind, src := range cancelRules {
		r, err := Compile(src, WithResolver(reg))
		require.NoError(t, err, kind)
		want, err := r.Eval(context.Background(), pop.v, pop.now)
		require.NoError(t, err, kind)
		wantN, err := r.Count(context.Background(), pop.v, pop.now)
		require.NoError(t, err, kind)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = r.Eval(ctx, pop.v, pop.now)
		require.ErrorIs(t, err, context.Canceled, kind)
		_, err = r.Count(ctx, pop.v, pop.now)
		require.ErrorIs(t, err, context.Canceled, kind)
		complete := false
		for k := int64(0); !complete && k < 10_000; k++ {
			got, err := r.Eval(newCountdown(k), pop.v, pop.now)
			if err != nil {
				require.ErrorIs(t, err, context.Canceled, "%s at check %d", kind, k)
			} else {
				require.Equal(t, keysOf(want), keysOf(got), "%s: cancelled at check %d, a result with a nil error must be complete", kind, k)
				complete = true
			}
			n, err := r.Count(newCountdown(k), pop.v, pop.now)
			if err != nil {
				require.ErrorIs(t, err, context.Canceled, "%s: Count at check %d", kind, k)
			} else {
				require.Equal(t, wantN, n, "%s: Count at check %d", kind, k)
			}
		}
		require.True(t, complete, kind)
	}
}

// TestCancellationLatency is issue 14 item 8: a deadline that expires
// inside one long operation (a count over 900 days) stops it, rather than
// waiting for it to finish. Cancelled right after it starts, the evaluation
// takes a small part of a complete one.
func TestCancellationLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 60k-customer index with 900 days of events")
	}
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: testSchema})
	require.NoError(t, err)
	const n = 60_000
	b := ix.NewBatch()
	for i := range n {
		b.Add(fmt.Sprintf("c%06d", i))
	}
	require.NoError(t, b.Commit())
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	seed := uint32(1)
	for d := range 900 {
		var ids []uint32
		var vals []float64
		for i := range uint32(n) {
			seed = seed*1664525 + 1013904223
			if seed>>24 < 40 { // about 16% a day
				ids = append(ids, i)
				vals = append(vals, float64(seed>>28)) // 0..2: values for the sum and average forms
			}
		}
		b := ix.NewBatch()
		b.RecordIDs("login", now.AddDate(0, 0, -d), ids, vals)
		require.NoError(t, b.Commit())
	}
	v := ix.View()
	for _, src := range []string{
		`countWithin("login", "900d") >= 120`, `countWithin("login", "900d") >= 300`,
		`sumWithin("login", "900d") > 150`, `avgWithin("login", "900d") >= 1`,
	} {
		r := MustCompile(src)
		full := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			_, err := r.Eval(context.Background(), v, now)
			require.NoError(t, err)
			full = min(full, time.Since(start))
		}
		cut := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			_, err := r.Eval(newCountdown(3), v, now) // done inside the first long operation
			require.True(t, errors.Is(err, context.Canceled), "%s: %v", src, err)
			cut = min(cut, time.Since(start))
		}
		t.Logf("%s: complete %v, cancelled %v", src, full, cut)
		assert.Less(t, cut, full/3, "%s: cancelled evaluation took %v, a complete one %v", src, cut, full)
	}
}
