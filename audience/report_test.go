package audience

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, got)
	}
}

func studentProfile(t *testing.T) *Profile {
	v := population(t)
	p, err := Describe(context.Background(), v, eval(t, v, `occupation == "student"`), v.All(), testNow, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfileGolden(t *testing.T) {
	p := studentProfile(t)
	var text, svg, js bytes.Buffer
	if err := p.WriteText(&text, 15); err != nil {
		t.Fatal(err)
	}
	golden(t, "profile.txt", text.Bytes())
	if err := p.WriteSVG(&svg, 15); err != nil {
		t.Fatal(err)
	}
	golden(t, "profile.svg", svg.Bytes())
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if int(back["Segment"].(float64)) != p.Segment || len(back["Traits"].([]any)) != len(p.Traits) {
		t.Fatalf("JSON does not round-trip: %.200s", js.String())
	}
	// the students' top trait is their occupation, and it says so
	if !strings.Contains(text.String(), `occupation == "student"`) {
		t.Fatal("the student trait is missing from the report")
	}
}
