package bitmapindex

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLoadTasksLimited: the occurrence columns' tasks of a snapshot load
// run at most twice GOMAXPROCS at a time, however many sections start
// them, and the first error by section is reported.
func TestLoadTasksLimited(t *testing.T) {
	var g loadTasks
	var running, peak atomic.Int32
	for i := range 64 {
		g.startLimited(i, func() error {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			if i == 40 || i == 50 {
				return corruptf("task %d", i)
			}
			return nil
		})
	}
	at, err := g.wait()
	require.ErrorIs(t, err, ErrCorrupt)
	require.Equal(t, 40, at)
	require.LessOrEqual(t, int(peak.Load()), 2*runtime.GOMAXPROCS(0))
	require.Greater(t, int(peak.Load()), 1)
}
