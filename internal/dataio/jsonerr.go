package dataio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// jsonMessage rewrites a JSON decoding error for a person: the field, what
// was expected and what was found, without Go type names. known lists the
// fields of the record for the unknown-field message ("" when not useful).
func jsonMessage(err error, known string) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Sprintf("want %s, got %s", wantOf(te.Type), article(te.Value))
		}
		return fmt.Sprintf("field %q: want %s, got %s", field, wantOf(te.Type), article(te.Value))
	case errors.As(err, &se):
		return "malformed JSON: " + strings.TrimPrefix(se.Error(), "json: ")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "malformed JSON: the record ends before its value is complete (a missing }, ] or \"?)"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field ") {
		f := strings.TrimPrefix(msg, "unknown field ")
		if known != "" {
			return fmt.Sprintf("unknown field %s (want %s)", f, known)
		}
		return "unknown field " + f
	}
	return msg
}

// describeJSONError is jsonMessage prefixed with "line: " (the line of the
// error's offset in data, when it has one), for whole-document readers.
func describeJSONError(data []byte, err error, known string) string {
	off := int64(-1)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		off = te.Offset
	case errors.As(err, &se):
		off = se.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = int64(len(data))
	default:
		// "json: unknown field "x"" has no offset: find the key.
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			if i := bytes.Index(data, []byte(f)); i >= 0 {
				off = int64(i)
			}
		}
	}
	line := 1
	if off >= 0 && off <= int64(len(data)) {
		line = 1 + bytes.Count(data[:off], []byte{'\n'})
	}
	return fmt.Sprintf("%d: %s", line, jsonMessage(err, known))
}

// wantOf names what a Go type accepts, in JSON terms.
func wantOf(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		e := wantOf(t.Elem())
		return "an array of " + plural(e)
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value"
}

func plural(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "an "), "a ")
	switch s {
	case "true or false":
		return "booleans"
	case "value":
		return "values"
	}
	if strings.HasPrefix(s, "array of ") {
		return "arrays"
	}
	return s + "s"
}

// article turns the JSON kind json reports ("string", "number 3.5") into
// "a string", "the number 3.5".
func article(v string) string {
	switch {
	case v == "array", v == "object":
		return "an " + v
	case strings.HasPrefix(v, "number "):
		return "the " + v
	case v == "string", v == "number", v == "bool":
		if v == "bool" {
			return "a boolean"
		}
		return "a " + v
	}
	return v
}
