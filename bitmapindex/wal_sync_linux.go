package bitmapindex

import (
	"os"
	"syscall"
)

// syncData makes a log segment's appended bytes durable: fdatasync, which
// also writes the file size (needed to read them back) but not times.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
