//go:build !linux

package bitmapindex

import "os"

// syncData makes a log segment's appended bytes durable (fsync).
func syncData(f *os.File) error { return f.Sync() }
