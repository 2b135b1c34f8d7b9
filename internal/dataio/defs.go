package dataio

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/segkit/segkit/persona"
)

// maxDefsFile bounds a definitions file (segments, personas, schema).
const maxDefsFile = 16 << 20

// readSmallFile reads a JSON document of at most maxDefsFile bytes, without
// a UTF-8 byte-order mark.
func readSmallFile(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDefsFile+1))
	if err != nil {
		return nil, fmt.Errorf("dataio: %s: %w", name, err)
	}
	if len(data) > maxDefsFile {
		return nil, fmt.Errorf("dataio: %s: larger than %d MiB", name, maxDefsFile>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("dataio: %s: empty file", name)
	}
	return data, nil
}

// ReadPersonas reads persona definitions: {"personas": [...]} as
// persona.ParseDefinitions documents it, or the bare array [...]. Errors name
// the file and the line and column in it.
func ReadPersonas(name string, r io.Reader) ([]persona.Definition, error) {
	data, err := readSmallFile(name, r)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(data); t[0] == '[' {
		// The bare array: wrap it without a newline, so lines stay the
		// same (columns on the first line shift by the prefix).
		data = append(append([]byte(`{"personas":`), data...), '}')
	}
	ds, err := persona.ParseDefinitions(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ds, nil
}

// ReadPersonasFile reads the persona definitions file at path.
func ReadPersonasFile(path string) ([]persona.Definition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPersonas(path, f)
}
