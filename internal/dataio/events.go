package dataio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"time"

	"github.com/segkit/segkit"
)

// ReadEvents decodes an events JSON Lines file:
//
//	{"id":"c1","event":"login","at":"2026-10-01T08:00:00Z","value":12.5}
//
// value is optional. Times are RFC 3339, or YYYY-MM-DD for midnight in loc
// (UTC when nil). The first error ends the sequence; name labels errors.
func ReadEvents(name string, r io.Reader, loc *time.Location) iter.Seq2[segkit.Event, error] {
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
		ID    *string  `json:"id"`
		Event *string  `json:"event"`
		At    *string  `json:"at"`
		Value *float64 `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return segkit.Event{}, fmt.Errorf("dataio: %s:%d: %s", name, line, jsonMessage(err, `"id", "event", "at", "value"`))
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
	if raw.Value != nil {
		if math.IsNaN(*raw.Value) || math.IsInf(*raw.Value, 0) {
			return segkit.Event{}, fmt.Errorf("dataio: %s:%d: field \"value\": not a finite number", name, line)
		}
		e.Value = *raw.Value
	}
	return e, nil
}
