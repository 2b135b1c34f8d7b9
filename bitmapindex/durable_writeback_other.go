//go:build !(linux && (amd64 || arm64))

package bitmapindex

import "os"

// startWriteback does nothing here; the final fsync writes the file.
func startWriteback(f *os.File, off, n int64) {}

// waitWriteback does nothing here.
func waitWriteback(f *os.File, off, n int64) {}
