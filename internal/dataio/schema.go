package dataio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// Schema is the content of a schema file: the index's time zone and its
// declared attributes.
//
//	{"timezone":"UTC","attributes":{"age":"int","spend":"decimal(2)","city":"category"}}
type Schema struct {
	Location   *time.Location
	Attributes []bitmapindex.Attribute // sorted by name
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
func ReadSchema(name string, r io.Reader) (*Schema, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("dataio: %s: %w", name, err)
	}
	var raw struct {
		Timezone   string            `json:"timezone"`
		Attributes map[string]string `json:"attributes"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("dataio: %s: %s", name, jsonErr(data, err))
	}
	s := &Schema{Location: time.UTC}
	if raw.Timezone != "" {
		loc, err := time.LoadLocation(raw.Timezone)
		if err != nil {
			return nil, fmt.Errorf("dataio: %s: timezone %q: unknown time zone", name, raw.Timezone)
		}
		s.Location = loc
	}
	for attr, kind := range raw.Attributes {
		if attr == "" {
			return nil, fmt.Errorf("dataio: %s: attribute with an empty name", name)
		}
		k, scale, err := bitmapindex.ParseKind(kind)
		if err != nil {
			return nil, fmt.Errorf("dataio: %s: attribute %q: kind %q: want category, set, int, decimal(N), time or bool", name, attr, kind)
		}
		s.Attributes = append(s.Attributes, bitmapindex.Attribute{Name: attr, Kind: k, Scale: scale})
	}
	sort.Slice(s.Attributes, func(i, j int) bool { return s.Attributes[i].Name < s.Attributes[j].Name })
	return s, nil
}

// jsonErr turns a JSON decoding error into "line N: …" where it can.
func jsonErr(data []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	return fmt.Sprintf("line %d: %v", line, err)
}
