package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Leftovers of interrupted writes.
//
// Create writes path through a temporary file named ".<base>.tmp-<digits>"
// in path's directory, renamed over path by Commit. A process killed during
// a write leaves its temporary file behind; the next Create of the same path
// (and RemoveStale, which bitmapindex.Load calls) removes such leftovers. A leftover is only
// removed when it matches that pattern for that path, is older than
// staleTempAge (a save in progress writes its file continuously), and, where
// the platform has advisory locks, is not locked: Create holds a lock on its
// temporary file while writing it, which the kernel releases when the
// process dies.

// staleTempAge is how old a temporary file must be before it is removed.
var staleTempAge = 10 * time.Second

// tempPattern is the os.CreateTemp pattern of path's temporary files.
func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

// isTempOf reports whether name (a base name) is one of path's temporary
// files: the pattern's prefix followed by the digits os.CreateTemp adds.
func isTempOf(name, path string) bool {
	prefix := "." + filepath.Base(path) + ".tmp-"
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RemoveStale removes the leftovers of interrupted writes of path and
// returns how many it removed. Errors are ignored: cleaning is best effort
// and never fails a write or a read.
func RemoveStale(path string) int {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	removed := 0
	for _, ent := range entries {
		if !ent.Type().IsRegular() || !isTempOf(ent.Name(), path) {
			continue
		}
		info, err := ent.Info()
		if err != nil || time.Since(info.ModTime()) < staleTempAge {
			continue
		}
		name := filepath.Join(dir, ent.Name())
		if removeIfUnlocked(name) {
			removed++
		}
	}
	return removed
}
