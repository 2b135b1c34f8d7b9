package atomicfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/segkit/segkit/internal/atomicfile"
)

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.csv")
	err := atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, "segment,size")
		return err
	})
	data, _ := os.ReadFile(path)
	fmt.Print(string(data), err)
	// Output:
	// segment,size
	// <nil>
}
