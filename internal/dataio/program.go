package dataio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/segkit/segkit/tier"
)

// ReadProgram reads a tier program (see tier.Program for its fields, and
// docs/formats.md). A UTF-8 byte-order mark is skipped; JSON errors name the
// line, the field and what was expected.
func ReadProgram(name string, r io.Reader) (tier.Program, error) {
	data, err := readSmallFile(name, r)
	if err != nil {
		return tier.Program{}, err
	}
	p, err := tier.ParseProgram(data)
	if err == nil {
		return p, nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	if errors.As(err, &te) || errors.As(err, &se) || strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "json: unknown field") {
		inner := errors.Unwrap(err)
		if inner == nil {
			inner = err
		}
		return tier.Program{}, fmt.Errorf("%s:%s", name, describeJSONError(data, inner, ""))
	}
	return tier.Program{}, fmt.Errorf("%s: %w", name, err)
}

// ReadProgramFile reads the tier program at path.
func ReadProgramFile(path string) (tier.Program, error) {
	f, err := os.Open(path)
	if err != nil {
		return tier.Program{}, err
	}
	defer f.Close()
	return ReadProgram(path, f)
}
