//go:build linux && (amd64 || arm64)

package bitmapindex

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing n bytes of f from off to
// the disk, without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE), so
// that a large file's final fsync does not find all of it dirty. It only
// schedules: durability still comes from that fsync, and errors are left
// to it.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2
	_, _, _ = syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
}

// waitWriteback waits until n bytes of f from off are written to the disk
// (sync_file_range with SYNC_FILE_RANGE_WAIT_BEFORE, WRITE and WAIT_AFTER).
// Like startWriteback it is a pacing aid, not a durability step.
func waitWriteback(f *os.File, off, n int64) {
	const waitBefore, write, waitAfter = 1, 2, 4
	_, _, _ = syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), waitBefore|write|waitAfter, 0, 0)
}
