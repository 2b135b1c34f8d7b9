package dataio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// Schema is the content of a schema file: the index's time zone and its
// declared attributes.
//
//	{"time_zone":"UTC","attributes":{"age":"int","spend":"decimal(2)","city":"category"}}
type Schema struct {
	Location   *time.Location
	Attributes []bitmapindex.Attribute // sorted by name
	// Events declares event properties (the optional "events" section):
	// event name → property keys, sorted. nil when the file has none.
	Events map[string][]string
}

// Lookup returns the declared attribute called name.
func (s *Schema) Lookup(name string) (bitmapindex.Attribute, bool) {
	if s == nil {
		return bitmapindex.Attribute{}, false
	}
	i := sort.Search(len(s.Attributes), func(i int) bool { return s.Attributes[i].Name >= name })
	if i < len(s.Attributes) && s.Attributes[i].Name == name {
		return s.Attributes[i], true
	}
	return bitmapindex.Attribute{}, false
}

// ReadSchema decodes a schema file. name labels errors (usually the path).
//
//	{"time_zone": "Asia/Shanghai", "attributes": {"age": "int", "spend": "decimal(2)"}}
//
// An optional "events" section declares the properties of events:
//
//	"events": {"purchase": {"properties": ["category", "channel"]}}
//
// A declared event's occurrences may then only carry those properties, and
// a rule naming another property of it is a compile error.
//
// "timezone" (the spelling of earlier versions) is accepted for "time_zone"; a UTF-8
// byte-order mark is skipped. Kinds are category, set, int, decimal(N)
// (N decimal places, 0..9), time and bool.
func ReadSchema(name string, r io.Reader) (*Schema, error) {
	data, err := readSmallFile(name, r)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Timezone   *string           `json:"timezone"`
		TimeZone   *string           `json:"time_zone"`
		Attributes map[string]string `json:"attributes"`
		Events     map[string]struct {
			Properties []string `json:"properties"`
		} `json:"events"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("dataio: %s:%s", name, describeJSONError(data, err, `"time_zone", "attributes", "events"`))
	}
	if dec.More() {
		return nil, fmt.Errorf("dataio: %s: more than one JSON document", name)
	}
	if raw.Timezone != nil && raw.TimeZone != nil {
		return nil, fmt.Errorf("dataio: %s: both \"timezone\" and \"time_zone\" given (they are the same field)", name)
	}
	tz := raw.Timezone
	if tz == nil {
		tz = raw.TimeZone
	}
	s := &Schema{Location: time.UTC}
	if tz != nil && *tz != "" {
		loc, err := loadLocation(*tz)
		if err != nil {
			return nil, fmt.Errorf("dataio: %s: time_zone %s: unknown time zone (want an IANA name such as \"Asia/Shanghai\" or \"UTC\")", name, Quote(*tz))
		}
		s.Location = loc
	}
	var probs []string
	for attr, kind := range raw.Attributes {
		if attr == "" {
			probs = append(probs, "attribute with an empty name")
			continue
		}
		k, scale, err := bitmapindex.ParseKind(kind)
		if err != nil {
			probs = append(probs, fmt.Sprintf("attribute %s: kind %s: want category, set, int, decimal(N), time or bool", Quote(attr), Quote(kind)))
			continue
		}
		s.Attributes = append(s.Attributes, bitmapindex.Attribute{Name: attr, Kind: k, Scale: scale})
	}
	for ev, decl := range raw.Events {
		if ev == "" {
			probs = append(probs, "event with an empty name")
			continue
		}
		keys := append([]string{}, decl.Properties...)
		sort.Strings(keys)
		bad := false
		for i, k := range keys {
			switch {
			case k == "":
				probs = append(probs, fmt.Sprintf("event %s: property with an empty name", Quote(ev)))
				bad = true
			case i > 0 && keys[i-1] == k:
				probs = append(probs, fmt.Sprintf("event %s: property %s listed twice", Quote(ev), Quote(k)))
				bad = true
			}
		}
		if bad {
			continue
		}
		if s.Events == nil {
			s.Events = map[string][]string{}
		}
		s.Events[ev] = keys
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return nil, fmt.Errorf("dataio: %s: %s", name, strings.Join(probs, "; "))
	}
	sort.Slice(s.Attributes, func(i, j int) bool { return s.Attributes[i].Name < s.Attributes[j].Name })
	return s, nil
}

// loadLocation loads an IANA time zone; a name that cannot be one (too long,
// or with characters zone names never have) is rejected without touching
// the zone database.
func loadLocation(name string) (*time.Location, error) {
	if len(name) > 64 {
		return nil, errors.New("not a time zone name")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/_+-", c)) {
			return nil, errors.New("not a time zone name")
		}
	}
	return time.LoadLocation(name)
}
