package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, WriteFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(data))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	// 0644 before the umask; a umask never adds bits.
	assert.Zero(t, fi.Mode().Perm()&^Mode, "mode %v has bits beyond 0644", fi.Mode())
	assert.NotZero(t, fi.Mode().Perm()&0o044, "readable by others unless the umask forbids it: %v", fi.Mode())
	left, _ := filepath.Glob(TempGlob(path))
	assert.Empty(t, left)
}

func TestErrorKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		fmt.Fprint(w, "half")
		return boom
	})
	assert.ErrorIs(t, err, boom)
	data, _ := os.ReadFile(path)
	assert.Equal(t, "old", string(data))
	left, _ := filepath.Glob(TempGlob(path))
	assert.Empty(t, left, "the temporary file is removed on error")
}

func TestAbortAndCommitOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a[1].csv")
	f, err := Create(path)
	require.NoError(t, err)
	fmt.Fprint(f, "x")
	left, _ := filepath.Glob(TempGlob(path))
	assert.Len(t, left, 1, "TempPattern matches the temporary file even with glob characters in the name")
	f.Abort()
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err))
	left, _ = filepath.Glob(TempGlob(path))
	assert.Empty(t, left)
	assert.Error(t, f.Commit())

	f, err = Create(path)
	require.NoError(t, err)
	fmt.Fprint(f, "y")
	require.NoError(t, f.Commit())
	f.Abort() // no-op
	data, _ := os.ReadFile(path)
	assert.Equal(t, "y", string(data))
	_, err = f.Write([]byte("z"))
	assert.Error(t, err)
}

func TestCreateInMissingDirectory(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "f"))
	assert.Error(t, err)
}

func TestIsTempOf(t *testing.T) {
	for name, want := range map[string]bool{
		".a.tmp-1": true, ".a.tmp-": false, ".a.tmp-1x": false, "a.tmp-1": false, ".b.tmp-1": false, ".a.tmp-12345678901": true,
	} {
		assert.Equal(t, want, isTempOf(name, "/x/a"), name)
	}
}
