//go:build unix

package rfm

import "syscall"

// cpuSeconds returns the CPU time (user + system) the process has used, so
// that benchmarks can report CPU time next to wall time on a shared machine.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
