package dataio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// ReadEvents decodes an events JSON Lines file:
//
//	{"id":"c1","event":"purchase","at":"2026-10-01T08:00:00Z","value":12.5,"props":{"category":"math"}}
//
// value is optional: a decimal number with at most 4 fractional digits
// (more is an error). props is optional: an object of string values (any
// other JSON type is an error naming the key). Times are RFC 3339, or YYYY-MM-DD for midnight in loc
// (UTC when nil). The first error ends the sequence; name labels errors.
func ReadEvents(name string, r io.Reader, loc *time.Location) iter.Seq2[segkit.Event, error] {
	return readEvents(name, r, loc, nil)
}

// readEvents is ReadEvents checking properties against declarations (event
// → sorted keys; nil: none).
func readEvents(name string, r io.Reader, loc *time.Location, decl map[string][]string) iter.Seq2[segkit.Event, error] {
	if loc == nil {
		loc = time.UTC
	}
	return func(yield func(segkit.Event, error) bool) {
		for line, data := range lines(name, r) {
			if line < 0 {
				yield(segkit.Event{}, lineErr(data))
				return
			}
			e, err := decodeEvent(name, line, data, loc)
			if err == nil {
				err = checkDeclared(name, line, e, decl)
			}
			if err != nil {
				yield(segkit.Event{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

func decodeEvent(name string, line int, data []byte, loc *time.Location) (segkit.Event, error) {
	var raw struct {
		ID    *string                    `json:"id"`
		Event *string                    `json:"event"`
		At    *string                    `json:"at"`
		Value json.RawMessage            `json:"value"`
		Props map[string]json.RawMessage `json:"props"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: %s", name, line, jsonMessage(err, `"id", "event", "at", "value", "props"`))
	}
	if dec.More() {
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: more than one JSON value on the line (one event per line)", name, line)
	}
	switch {
	case raw.ID == nil || *raw.ID == "":
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"id\": missing or empty", name, line)
	case raw.Event == nil || *raw.Event == "":
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"event\": missing or empty", name, line)
	case raw.At == nil:
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"at\": missing", name, line)
	}
	at, ok := parseTime(*raw.At, loc)
	if !ok {
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"at\": want %s, got %s", name, line, timeForms, Quote(*raw.At))
	}
	if err := checkRecordTime(at); err != nil {
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"at\": %s: %v", name, line, Quote(*raw.At), err)
	}
	e := segkit.Event{Customer: *raw.ID, Name: *raw.Event, At: at}
	if v := bytes.TrimSpace(raw.Value); len(v) > 0 && string(v) != "null" {
		if c := v[0]; c != '-' && (c < '0' || c > '9') {
			return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"value\": want a number, got %s", name, line, jsonKind(v))
		}
		a, err := bitmapindex.ParseAmount(string(v))
		if err != nil {
			return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"value\": %v", name, line, err)
		}
		e.Value = a.Float64()
	}
	if len(raw.Props) > 0 {
		e.Props = make(map[string]string, len(raw.Props))
		for _, k := range slices.Sorted(maps.Keys(raw.Props)) {
			var s string
			if k == "" {
				return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"props\": empty property name", name, line)
			}
			pv := bytes.TrimSpace(raw.Props[k])
			if len(pv) == 0 || pv[0] != '"' || json.Unmarshal(pv, &s) != nil {
				return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"props\": key %s: want a string, got %s", name, line, Quote(k), jsonKind(raw.Props[k]))
			}
			e.Props[k] = s
		}
	}
	return e, nil
}

// checkDeclared rejects a property its event's declaration does not list.
func checkDeclared(name string, line int, e segkit.Event, decl map[string][]string) error {
	keys, ok := decl[e.Name]
	if !ok {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(e.Props)) {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("dataio: %s:%d: field \"props\": key %s: the schema declares only %s for event %s", name, line, Quote(k), strings.Join(keys, ", "), Quote(e.Name))
		}
	}
	return nil
}

// jsonKind names the JSON type of a raw value for messages.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean " + string(t)
	case 'n':
		return "null"
	case '"':
		return "a string"
	}
	return "a number " + string(t)
}
