package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Mode is the permission of every file this package writes (before the
// process umask): readable by all, writable by the owner.
const Mode os.FileMode = 0o644

// File is a file being written atomically. Write to it, then Commit or
// Abort; Abort after Commit is a no-op, so "defer f.Abort()" is the idiom.
// A File is not safe for concurrent use.
type File struct {
	path string
	tmp  *os.File
	bw   *bufio.Writer
	done bool
}

// Create starts an atomic write of path. The directory must exist. It
// first removes the leftovers of interrupted writes of path (RemoveStale),
// and holds an advisory lock on its temporary file while writing, so that
// another process's cleaning never removes a write in progress.
func Create(path string) (*File, error) {
	RemoveStale(path)
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	lockTemp(tmp)
	return &File{path: path, tmp: tmp, bw: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

// Write buffers p for the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, errors.New("atomicfile: write after Commit or Abort")
	}
	return f.bw.Write(p)
}

// Name returns the destination path.
func (f *File) Name() string { return f.path }

// Commit flushes, syncs and closes the temporary file, sets its mode to
// Mode, renames it over the destination and syncs the directory. On error
// the temporary file is removed and the destination is untouched.
func (f *File) Commit() (err error) {
	if f.done {
		return errors.New("atomicfile: Commit after Commit or Abort")
	}
	f.done = true
	name := f.tmp.Name()
	defer func() {
		if err != nil {
			f.tmp.Close()
			os.Remove(name)
			err = fmt.Errorf("atomicfile: %s: %w", f.path, err)
		}
	}()
	if err = f.bw.Flush(); err != nil {
		return err
	}
	if err = f.tmp.Chmod(Mode); err != nil {
		return err
	}
	if err = f.tmp.Sync(); err != nil {
		return err
	}
	if err = f.tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(name, f.path); err != nil {
		return err
	}
	if d, derr := os.Open(filepath.Dir(f.path)); derr == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil {
			return fmt.Errorf("sync directory: %w", serr)
		}
	}
	return nil
}

// Abort discards the temporary file. It is a no-op after Commit or Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// WriteFile writes path atomically with the content write produces. If
// write returns an error, nothing is published and that error is returned.
func WriteFile(path string, write func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}

// TempGlob returns the glob (for filepath.Glob) matching the temporary
// files of writes to path, such as those an interrupted process left behind.
func TempGlob(path string) string {
	return filepath.Join(filepath.Dir(path), "."+escapeGlob(filepath.Base(path))+".tmp-*")
}

func escapeGlob(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
