package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRun runs the example and checks its figures: every trigger is either
// a coupon or in the holdout, the split is close to 90/10, and the coupon
// (which the simulation makes effective) converts better than the holdout.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	res, err := run(&buf, 5000)
	require.NoError(t, err)
	require.Greater(t, res.Triggered, 100)
	require.InDelta(t, 0.9, float64(res.Coupons)/float64(res.Triggered), 0.05)
	var exposed, coupon, holdout int
	var rate = map[string]float64{}
	for _, g := range res.Results.Groups {
		exposed += g.Exposed
		rate[g.Name] = g.Rate
		if g.Name == "coupon" {
			coupon = g.Exposed
		} else {
			holdout = g.Exposed
		}
	}
	require.Equal(t, res.Triggered, exposed)
	require.Equal(t, res.Coupons, coupon)
	require.Equal(t, res.Triggered-res.Coupons, holdout)
	require.Greater(t, rate["coupon"], rate["holdout"])
	require.Contains(t, buf.String(), "got a coupon")
}
