//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package bitmapindex

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir creates dir/LOCK exclusively; Close removes it. Without flock, a
// process that dies with the directory open leaves the file behind, and
// Open then fails with ErrLocked until it is removed by hand.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		if os.IsExist(err) {
			return nil, fmt.Errorf("%w: %s (remove it if no process has the index open)", ErrLocked, path)
		}
		return nil, fmt.Errorf("bitmapindex: open %s: lock: %w", dir, err)
	}
	return f, nil
}

func unlockDir(f *os.File) error {
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("bitmapindex: unlock %s: %w", name, err)
	}
	return nil
}
