package dataio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// maxLine bounds one JSON Lines record; a longer line is an error, not an
// unbounded allocation.
const maxLine = 4 << 20

// Customer is one record of a customers file.
type Customer struct {
	ID    string
	Line  int // the line of the record in its file
	Tags  []string
	Attrs map[string]bitmapindex.Value
}

// CustomerReader decodes a customers JSON Lines file:
//
//	{"id":"c1","tags":["undergrad"],"attrs":{"age":21,"city":"Beijing","vip":true}}
//
// With a schema, every attribute must be declared and its values must fit
// the declared kind. Without one, kinds are inferred from the first value
// seen (integers → int, other numbers → decimal, RFC 3339 or YYYY-MM-DD
// strings → time, other strings → category, booleans → bool, string arrays →
// set) and a later value of another kind is an error naming the line. A null
// value means the attribute is missing.
type CustomerReader struct {
	name   string
	r      io.Reader
	schema *Schema
	loc    *time.Location
	kinds  map[string]bitmapindex.Attribute // inferred, when schema is nil
	order  []string                         // inferred attribute names in first-seen order
}

// NewCustomerReader returns a reader of r; name labels errors (the path).
// schema may be nil.
func NewCustomerReader(name string, r io.Reader, schema *Schema) *CustomerReader {
	cr := &CustomerReader{name: name, r: r, schema: schema, loc: time.UTC}
	if schema != nil && schema.Location != nil {
		cr.loc = schema.Location
	}
	if schema == nil {
		cr.kinds = map[string]bitmapindex.Attribute{}
	}
	return cr
}

// Attributes returns the attributes declared by the schema, or those inferred
// so far, in a stable order.
func (cr *CustomerReader) Attributes() []bitmapindex.Attribute {
	if cr.schema != nil {
		return cr.schema.Attributes
	}
	out := make([]bitmapindex.Attribute, 0, len(cr.order))
	for _, n := range cr.order {
		out = append(out, cr.kinds[n])
	}
	return out
}

// Attribute returns the attribute definition the reader uses for name.
func (cr *CustomerReader) Attribute(name string) (bitmapindex.Attribute, bool) {
	if cr.schema != nil {
		return cr.schema.Lookup(name)
	}
	a, ok := cr.kinds[name]
	return a, ok
}

// All yields the customers in file order. The first error ends the sequence.
func (cr *CustomerReader) All() iter.Seq2[Customer, error] {
	return func(yield func(Customer, error) bool) {
		for line, data := range lines(cr.name, cr.r) {
			if line < 0 {
				yield(Customer{}, lineErr(data))
				return
			}
			c, err := cr.decode(line, data)
			if err != nil {
				yield(Customer{}, err)
				return
			}
			if !yield(c, nil) {
				return
			}
		}
	}
}

func (cr *CustomerReader) decode(line int, data []byte) (Customer, error) {
	var raw struct {
		ID    *string                    `json:"id"`
		Tags  []string                   `json:"tags"`
		Attrs map[string]json.RawMessage `json:"attrs"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Customer{}, fmt.Errorf("dataio: %s:%d: %s", cr.name, line, jsonMessage(err, `"id", "tags", "attrs"`))
	}
	if dec.More() {
		return Customer{}, fmt.Errorf("dataio: %s:%d: more than one JSON value on the line (one customer per line)", cr.name, line)
	}
	if raw.ID == nil || *raw.ID == "" {
		return Customer{}, fmt.Errorf("dataio: %s:%d: field \"id\": missing or empty", cr.name, line)
	}
	c := Customer{ID: *raw.ID, Line: line, Tags: raw.Tags}
	for i, t := range c.Tags {
		if t == "" {
			return Customer{}, fmt.Errorf("dataio: %s:%d: field \"tags\"[%d]: empty tag", cr.name, line, i)
		}
	}
	if len(raw.Attrs) > 0 {
		c.Attrs = make(map[string]bitmapindex.Value, len(raw.Attrs))
	}
	names := make([]string, 0, len(raw.Attrs))
	for n := range raw.Attrs {
		names = append(names, n)
	}
	slices.Sort(names) // deterministic inference order and error choice
	for _, name := range names {
		v, ok, err := cr.value(name, raw.Attrs[name])
		if err != nil {
			return Customer{}, fmt.Errorf("dataio: %s:%d: attribute %s: %v", cr.name, line, Quote(name), err)
		}
		if ok {
			c.Attrs[name] = v
		}
	}
	return c, nil
}

// value converts one JSON attribute value; ok is false for null.
func (cr *CustomerReader) value(name string, raw json.RawMessage) (bitmapindex.Value, bool, error) {
	j, err := decodeJSONValue(raw)
	if err != nil {
		return bitmapindex.Value{}, false, err
	}
	if j == nil {
		return bitmapindex.Value{}, false, nil
	}
	if name == "" {
		return bitmapindex.Value{}, false, fmt.Errorf("empty attribute name")
	}
	if cr.schema != nil {
		a, ok := cr.schema.Lookup(name)
		if !ok {
			return bitmapindex.Value{}, false, fmt.Errorf("not declared in the schema")
		}
		v, err := convert(a, j, cr.loc)
		return v, err == nil, err
	}
	a, known := cr.kinds[name]
	if !known {
		a = infer(name, j)
		if a.Kind == bitmapindex.KindInvalid {
			return bitmapindex.Value{}, false, fmt.Errorf("cannot infer a kind from %s", describe(j))
		}
	} else if got := infer(name, j); got.Kind != a.Kind && !(a.Kind == bitmapindex.KindDecimal && got.Kind == bitmapindex.KindInt) {
		return bitmapindex.Value{}, false, fmt.Errorf("value %s is %s, but the attribute was inferred as %s from an earlier line (declare it in a schema file)", describe(j), got.Kind, a.Kind)
	}
	v, err := convert(a, j, cr.loc)
	if err != nil {
		return bitmapindex.Value{}, false, err
	}
	if !known {
		cr.kinds[name] = a
		cr.order = append(cr.order, name)
	}
	return v, true, nil
}

// decodeJSONValue decodes with numbers kept as json.Number.
func decodeJSONValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var j any
	if err := dec.Decode(&j); err != nil {
		return nil, errors.New(jsonMessage(err, ""))
	}
	return j, nil
}

func infer(name string, j any) bitmapindex.Attribute {
	a := bitmapindex.Attribute{Name: name}
	switch x := j.(type) {
	case bool:
		a.Kind = bitmapindex.KindBool
	case json.Number:
		if isInteger(string(x)) {
			a.Kind = bitmapindex.KindInt
		} else {
			a.Kind = bitmapindex.KindDecimal
			a.Scale = max(2, min(9, fractionDigits(string(x))))
		}
	case string:
		if _, ok := parseTime(x, time.UTC); ok {
			a.Kind = bitmapindex.KindTime
		} else {
			a.Kind = bitmapindex.KindCategory
		}
	case []any:
		for _, e := range x {
			if _, ok := e.(string); !ok {
				return a
			}
		}
		a.Kind = bitmapindex.KindSet
	}
	return a
}

// convert turns a decoded JSON value into a Value of attribute a's kind.
func convert(a bitmapindex.Attribute, j any, loc *time.Location) (bitmapindex.Value, error) {
	want := a.Kind.String()
	if a.Kind == bitmapindex.KindDecimal {
		want = fmt.Sprintf("decimal(%d)", a.Scale)
	}
	bad := func() (bitmapindex.Value, error) {
		return bitmapindex.Value{}, fmt.Errorf("want %s, got %s", want, describe(j))
	}
	switch a.Kind {
	case bitmapindex.KindBool:
		if b, ok := j.(bool); ok {
			return bitmapindex.Bool(b), nil
		}
	case bitmapindex.KindInt:
		if n, ok := j.(json.Number); ok && isInteger(string(n)) {
			i, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil {
				return bitmapindex.Value{}, fmt.Errorf("integer %s out of the int64 range", n)
			}
			return bitmapindex.Int(i), nil
		}
	case bitmapindex.KindDecimal:
		if n, ok := j.(json.Number); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return bitmapindex.Value{}, fmt.Errorf("number %s out of range", n)
			}
			if fractionDigits(string(n)) > a.Scale {
				return bitmapindex.Value{}, fmt.Errorf("%s has more than the %d decimal places of %s (declare a larger scale in a schema file)", n, a.Scale, want)
			}
			if math.Abs(f)*math.Pow10(a.Scale) >= 1<<53 {
				return bitmapindex.Value{}, fmt.Errorf("%s is too large for %s", n, want)
			}
			return bitmapindex.Decimal(f), nil
		}
	case bitmapindex.KindTime:
		if s, ok := j.(string); ok {
			if t, ok := parseTime(s, loc); ok {
				return bitmapindex.Time(t), nil
			}
			return bitmapindex.Value{}, fmt.Errorf("want a time (%s), got %s", timeForms, Quote(s))
		}
	case bitmapindex.KindCategory:
		if s, ok := j.(string); ok {
			return bitmapindex.Category(s), nil
		}
	case bitmapindex.KindSet:
		if arr, ok := j.([]any); ok {
			ss := make([]string, 0, len(arr))
			for i, e := range arr {
				s, ok := e.(string)
				if !ok {
					return bitmapindex.Value{}, fmt.Errorf("want set of strings, element %d is %s", i, describe(e))
				}
				ss = append(ss, s)
			}
			return bitmapindex.SetOf(ss...), nil
		}
	}
	return bad()
}

func describe(j any) string {
	switch x := j.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("bool %v", x)
	case json.Number:
		return "number " + string(x)
	case string:
		return Quote(x)
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", j)
}

func isInteger(n string) bool {
	return !strings.ContainsAny(n, ".eE")
}

// fractionDigits counts the digits after the decimal point of a JSON number
// (exponent forms count what their plain form would need).
func fractionDigits(n string) int {
	mant, exp := n, 0
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		mant = n[:i]
		e, err := strconv.Atoi(n[i+1:])
		if err != nil {
			return 99
		}
		exp = e
	}
	frac := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		frac = len(strings.TrimRight(mant[i+1:], "0"))
	}
	d := frac - exp
	if d < 0 {
		return 0
	}
	return d
}

// lines yields (line number, bytes) for non-blank lines; on a read error or
// an over-long line it yields (-1, message) and stops.
func lines(name string, r io.Reader) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine)
		n := 0
		for sc.Scan() {
			n++
			b := sc.Bytes()
			if n == 1 {
				b = bytes.TrimPrefix(b, []byte("\ufeff")) // a byte-order mark
			}
			b = bytes.TrimSpace(b)
			if len(b) == 0 {
				continue
			}
			if !yield(n, b) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if err == bufio.ErrTooLong {
				yield(-1, []byte(fmt.Sprintf("dataio: %s:%d: line longer than %d bytes", name, n+1, maxLine)))
				return
			}
			yield(-1, []byte(fmt.Sprintf("dataio: %s:%d: %v", name, n+1, err)))
		}
	}
}

type lineError string

func (e lineError) Error() string { return string(e) }

func lineErr(b []byte) error { return lineError(b) }
