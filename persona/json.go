package persona

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// The JSON document read by ParseDefinitions:
//
//	{"personas": [
//	  {"name": "student_jobseeker",
//	   "description": "College student looking for a job",
//	   "conditions": [{"rule": "has(\"undergrad\")", "weight": 3},
//	                  {"rule": "didWithin(\"job_fair\", \"30d\")", "weight": 2}],
//	   "min_score": 3,
//	   "priority": 10}
//	]}

// shape is the set of keys allowed in a JSON object and the shapes of their
// values (nil: any scalar, checked by encoding/json afterwards).
type shape struct {
	fields map[string]*shape // object
	elem   *shape            // array of
}

var (
	conditionShape  = &shape{fields: map[string]*shape{"rule": nil, "weight": nil}}
	definitionShape = &shape{fields: map[string]*shape{
		"name": nil, "description": nil, "min_score": nil, "priority": nil,
		"conditions": {elem: conditionShape},
	}}
	documentShape = &shape{fields: map[string]*shape{"personas": {elem: definitionShape}}}
)

type jsonCondition struct {
	Rule   *string  `json:"rule"`
	Weight *float64 `json:"weight"`
}

type jsonDefinition struct {
	Name        *string         `json:"name"`
	Description string          `json:"description"`
	Conditions  []jsonCondition `json:"conditions"`
	MinScore    *float64        `json:"min_score"`
	Priority    int             `json:"priority"`
}

type jsonDocument struct {
	Personas *[]jsonDefinition `json:"personas"`
}

// ReadDefinitions reads all of r and parses it with [ParseDefinitions].
func ReadDefinitions(r io.Reader) ([]Definition, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("persona: read definitions: %w", err)
	}
	return ParseDefinitions(data)
}

// ParseDefinitions parses persona definitions from JSON, strictly: one
// document of the form {"personas": [...]} (see [Definition] for the field
// names), with no unknown, misspelt (field names are case-sensitive) or
// duplicate keys, no missing required field ("name", "conditions",
// "min_score"; "rule" and "weight" in each condition), no trailing data. It
// then checks what does not need the rule compiler (names, duplicates,
// weights); [Compile] checks the rest. Problems are returned as an [*Error] or
// an [ErrorList] with line and column in the JSON text where they apply.
func ParseDefinitions(data []byte) ([]Definition, error) {
	if err := checkDocument(data); err != nil {
		return nil, err
	}
	var doc jsonDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(data, err)
	}
	if doc.Personas == nil {
		return nil, &Error{Index: -1, Condition: -1, Err: fmt.Errorf(`%w: missing "personas"`, ErrSyntax)}
	}
	var errs ErrorList
	defs := make([]Definition, len(*doc.Personas))
	for i, jd := range *doc.Personas {
		d := &defs[i]
		if jd.Name != nil {
			d.Name = *jd.Name
		}
		missing := func(cond int, field string) {
			errs = append(errs, personaErr(i, d.Name, cond, fmt.Errorf("%w: missing %q", ErrSyntax, field)))
		}
		if jd.Name == nil {
			missing(-1, "name")
		}
		if jd.Conditions == nil {
			missing(-1, "conditions")
		}
		if jd.MinScore == nil {
			missing(-1, "min_score")
		} else {
			d.MinScore = *jd.MinScore
		}
		d.Description, d.Priority = jd.Description, jd.Priority
		if jd.Conditions != nil {
			d.Conditions = make([]Condition, len(jd.Conditions))
		}
		for j, jc := range jd.Conditions {
			if jc.Rule == nil {
				missing(j, "rule")
			} else {
				d.Conditions[j].Rule = *jc.Rule
			}
			if jc.Weight == nil {
				missing(j, "weight")
			} else {
				d.Conditions[j].Weight = *jc.Weight
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	if errs := validateBasic(defs); len(errs) > 0 {
		return nil, errs.err()
	}
	return defs, nil
}

// MarshalDefinitions renders definitions as the indented JSON document that
// [ParseDefinitions] reads.
func MarshalDefinitions(defs []Definition) ([]byte, error) {
	if defs == nil {
		defs = []Definition{}
	}
	b, err := json.MarshalIndent(struct {
		Personas []Definition `json:"personas"`
	}{defs}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("persona: marshal definitions: %w", err)
	}
	return append(b, '\n'), nil
}

// checkDocument walks the JSON tokens once: syntax, a single top-level value,
// only known keys (exact case), no key twice in one object.
func checkDocument(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, data: data}
	if err := w.value(documentShape, "document"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the document")
		}
		return w.errAt(dec.InputOffset(), err)
	}
	return nil
}

type walker struct {
	dec  *json.Decoder
	data []byte
}

func (w *walker) errAt(off int64, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	line, col := lineCol(w.data, off)
	msg := err.Error()
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		msg = "unexpected end of input"
	}
	return &Error{Index: -1, Condition: -1, Line: line, Column: col, Err: fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(msg, "json: "))}
}

// value consumes one JSON value; s says which keys its objects may have (nil:
// any value).
func (w *walker) value(s *shape, where string) error {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return w.errAt(start, err)
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return nil // scalars are type-checked by encoding/json
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for w.dec.More() {
			at := skipSpace(w.data, w.dec.InputOffset())
			tok, err := w.dec.Token()
			if err != nil {
				return w.errAt(at, err)
			}
			key, _ := tok.(string)
			if seen[key] {
				return w.errAt(at, fmt.Errorf("duplicate key %q in %s", key, where))
			}
			seen[key] = true
			var sub *shape
			if s != nil && s.fields != nil { // an object where an array belongs is left to encoding/json's type error
				var ok bool
				if sub, ok = s.fields[key]; !ok {
					return w.errAt(at, fmt.Errorf("unknown key %q in %s (want one of %s)", key, where, keyList(s)))
				}
			}
			if err := w.value(sub, key); err != nil {
				return err
			}
		}
	case '[':
		var elem *shape
		if s != nil {
			elem = s.elem
		}
		for w.dec.More() {
			if err := w.value(elem, where); err != nil {
				return err
			}
		}
	}
	end := w.dec.InputOffset()
	if _, err := w.dec.Token(); err != nil { // the closing delimiter
		return w.errAt(end, err)
	}
	return nil
}

func keyList(s *shape) string {
	keys := make([]string, 0, len(s.fields))
	for k := range s.fields {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

// lineCol converts a byte offset to a 1-based line and column (in bytes).
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// jsonKind names a Go type the way the JSON document's author thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Bool:
		return "boolean"
	}
	return t.String()
}

func jsonError(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := lineCol(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "document"
		}
		return &Error{Index: -1, Condition: -1, Line: line, Column: col,
			Err: fmt.Errorf("%w: %s: got JSON %s, want %s", ErrSyntax, field, te.Value, jsonKind(te.Type))}
	}
	return &Error{Index: -1, Condition: -1, Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
}
