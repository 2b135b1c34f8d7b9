//go:build unix

package sqlgen

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the whole process so far,
// so benchmarks can report CPU per operation, which other processes sharing
// the machine do not inflate the way they inflate wall time.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
