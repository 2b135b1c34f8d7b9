//go:build !unix

package atomicfile

import "os"

// lockTemp does nothing where advisory locks are not available: leftovers
// are recognised by age alone.
func lockTemp(*os.File) {}

// removeIfUnlocked removes a leftover temporary file.
func removeIfUnlocked(name string) bool { return os.Remove(name) == nil }
