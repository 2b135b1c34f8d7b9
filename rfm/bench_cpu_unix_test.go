//go:build unix

package rfm

import "syscall"

// cpuTimes returns the user and system CPU time in seconds the process has
// used, so that benchmarks can report CPU time next to wall time on a shared
// machine (system time is mostly page faults on fresh memory).
func cpuTimes() (user, sys float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return float64(ru.Utime.Nano()) / 1e9, float64(ru.Stime.Nano()) / 1e9
}
