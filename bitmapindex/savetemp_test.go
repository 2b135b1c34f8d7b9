//go:build unix

package bitmapindex

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSaveCleansStaleTemps is issue 14 item 5: leftovers of interrupted
// saves of the same path are removed by the next Save or Load; other files,
// recent temporary files and locked ones (a save in progress) are kept; the
// saved file has mode 0644.
func TestSaveCleansStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ix.segkit")
	old := time.Now().Add(-time.Hour)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o600))
		require.NoError(t, os.Chtimes(p, mtime, mtime))
		return p
	}
	mk(".ix.segkit.tmp-123456", old)     // stale: removed
	mk(".ix.segkit.tmp-999", old)        // stale: removed
	mk(".ix.segkit.tmp-777", time.Now()) // recent: may be a save in progress
	mk(".ix.segkit.tmp-12ab", old)       // not our pattern
	mk(".other.segkit.tmp-123", old)     // another target's
	mk("ix.segkit.tmp-123", old)         // not hidden: not ours
	mk("ix.segkit.bak", old)
	locked := mk(".ix.segkit.tmp-4242", old)
	f, err := os.Open(locked)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))

	ix := sampleIndex(t)
	require.NoError(t, ix.Save(path))
	names := func() []string {
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, []string{".ix.segkit.tmp-12ab", ".ix.segkit.tmp-4242", ".ix.segkit.tmp-777", ".other.segkit.tmp-123", "ix.segkit", "ix.segkit.bak", "ix.segkit.tmp-123"}, names())
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	// Load cleans too, once the leftover is old enough.
	p := filepath.Join(dir, ".ix.segkit.tmp-777")
	require.NoError(t, os.Chtimes(p, old, old))
	_, err = Load(path)
	require.NoError(t, err)
	assert.NoFileExists(t, p)
	assert.FileExists(t, locked, "a locked temporary file belongs to a save in progress")
}
