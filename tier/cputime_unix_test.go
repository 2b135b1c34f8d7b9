//go:build unix

package tier_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used: under a
// loaded machine it measures the work done, where wall time measures the wait.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
