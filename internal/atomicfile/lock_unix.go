//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// lockTemp takes an exclusive advisory lock on a temporary file being
// written; the kernel drops it when the file is closed or the process dies.
func lockTemp(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// removeIfUnlocked removes a leftover temporary file unless a live process
// holds its lock (a save in progress).
func removeIfUnlocked(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false // a save in progress holds it
	}
	return os.Remove(name) == nil
}
