// Package atomicfile writes files atomically: the content goes to a
// temporary file in the destination's directory, which is synced, given mode
// 0644 and renamed over the destination, and the directory is synced. A crash
// or an error leaves either the previous file or the new one under the final
// name, never a mix; an error removes the temporary file.
//
// Start with WriteFile for a file written by one function, or Create for a
// file written incrementally (several files generated in one pass): Commit
// publishes it, Abort discards it.
//
// Temporary files are named "." + base + ".tmp-" + random, beside the
// destination; TempGlob returns the glob that matches them.
package atomicfile
