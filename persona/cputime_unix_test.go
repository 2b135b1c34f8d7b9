//go:build unix

package persona

import "syscall"

// processCPU returns the process's user+system CPU time in nanoseconds, so
// benchmarks can report CPU per operation on a machine shared with other
// work (wall time there includes waiting for a core).
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
