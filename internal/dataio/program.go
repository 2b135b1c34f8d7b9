package dataio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/segkit/segkit/rfm"
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
	if err != nil {
		return tier.Program{}, jsonFileError(name, data, err)
	}
	return p, nil
}

// jsonFileError rewrites an error a package returned while decoding the
// JSON document data (from the file name): a decoding error is told in JSON
// terms with its line ("file:3: field "bins": want an integer, got a
// string"); any other error is prefixed with the file name.
func jsonFileError(name string, data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	if errors.As(err, &te) || errors.As(err, &se) || strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "json: unknown field") {
		inner := err
		switch {
		case te != nil:
			inner = te
		case se != nil:
			inner = se
		default:
			for u := errors.Unwrap(inner); u != nil; u = errors.Unwrap(inner) {
				inner = u
			}
		}
		return fmt.Errorf("%s:%s", name, describeJSONError(data, inner, ""))
	}
	return fmt.Errorf("%s: %w", name, err)
}

// ReadRFMSchemeFile reads an RFM scheme from path: a JSON scheme
// (rfm.LoadScheme) or, for a .csv file, a cell map (rfm.LoadCellMap, named
// after the file).
func ReadRFMSchemeFile(path string) (*rfm.Scheme, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		sch, err := rfm.LoadCellMap(f, name, 5)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return sch, nil
	}
	data, err := readSmallFile(path, f)
	if err != nil {
		return nil, err
	}
	sch, err := rfm.LoadScheme(bytes.NewReader(data))
	if err != nil {
		return nil, jsonFileError(path, data, err)
	}
	return sch, nil
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
