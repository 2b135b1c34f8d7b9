package persona

import (
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
)

func TestRFMFeatures(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) // 20:00 in Shanghai, day 2026-03-10
	txs := []segkit.Transaction{
		{Customer: "b", At: time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC), Amount: 10}, // 01:00 on the 10th in Shanghai
		{Customer: "a", At: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), Amount: 50},
		{Customer: "a", At: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Amount: 25.5},
		{Customer: "a", At: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), Amount: 999}, // after now: ignored
		{Customer: "c", At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Amount: 20},
		{Customer: "c", At: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Amount: -30}, // refund beyond spend: floored at 0
	}
	f := RFMFeatures(slices.Values(txs), now, sh)
	assert.Equal(t, []string{FeatureRecency, FeatureFrequency, FeatureMonetary}, f.Names)
	assert.Equal(t, []string{"a", "b", "c"}, f.Keys)
	assert.Equal(t, [][]float64{{9, 2, 75.5}, {0, 1, 10}, {67, 2, 0}}, f.Rows)
	// In UTC, b's purchase is on the 9th.
	f = RFMFeatures(slices.Values(txs), now, nil)
	assert.Equal(t, 1.0, f.Rows[1][0])
}
