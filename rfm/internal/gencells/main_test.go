package main

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestGeneratedFileIsCurrent regenerates the rfm11 table from the reference
// CSV and compares it byte for byte with the committed preset_rfm11.go, so a
// hand edit of the generated file or a changed CSV cannot go unnoticed.
func TestGeneratedFileIsCurrent(t *testing.T) {
	f, err := os.Open("../../../../shared/data/rfm11_cells.csv")
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("SEGKIT_REQUIRE_DATA") != "1" {
		t.Skip("reference data ../shared/data/rfm11_cells.csv not found (set SEGKIT_REQUIRE_DATA=1 to fail)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := generate(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../preset_rfm11.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("preset_rfm11.go is stale: run go generate ./rfm")
	}
}

func TestGenerateRejectsBadMaps(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"header", "cell,name\n555,a\n", "want a header"},
		{"bad cell", "rfm_cell,segment\n565,a\n", `cell "565"`},
		{"duplicate", "rfm_cell,segment\n555,a\n555,b\n", "listed twice"},
		{"incomplete", "rfm_cell,segment\n555,a\n", "1 cells, want all 125"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generate(strings.NewReader(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
