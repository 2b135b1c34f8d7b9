package dbload

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// describe names a driver value's type for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("text %q", truncate(string(x)))
	case string:
		return fmt.Sprintf("text %q", truncate(x))
	}
	return fmt.Sprintf("%T %v", v, v)
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:57] + "…"
	}
	return s
}

func asString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case nil:
		return "", fmt.Errorf("is NULL")
	}
	return "", fmt.Errorf("want text, got %s", describe(v))
}

func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case string, []byte:
		s, _ := asString(x)
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "true", "1", "y", "yes":
			return true, nil
		case "f", "false", "0", "n", "no":
			return false, nil
		}
	}
	return false, fmt.Errorf("want a boolean, got %s", describe(v))
}

func asInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), nil
		}
	case string, []byte:
		s, _ := asString(x)
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("want an integer, got %s", describe(v))
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x, nil
		}
	case int64:
		return float64(x), nil
	case string, []byte:
		s, _ := asString(x)
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("want a number, got %s", describe(v))
}

// localLayouts are timestamp texts without an offset (read in the index's
// zone) and with one, as drivers that return text write them.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999Z07:00",
}

var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.DateOnly,
}

func asTime(v any, loc *time.Location) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case int64:
		return time.Unix(x, 0), nil
	case string, []byte:
		s, _ := asString(x)
		s = strings.TrimSpace(s)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
		for _, l := range localLayouts {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("want a time, got %s", describe(v))
}

// asStrings reads an array: []string, []any of strings, or text holding a
// PostgreSQL array literal, a JSON array or separated values. NULL is
// empty. It appends to buf.
func asStrings(v any, sep string, buf []string) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return buf, nil
	case []string:
		return append(buf, x...), nil
	case []any:
		for i, e := range x {
			s, err := asString(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %v", i+1, err)
			}
			buf = append(buf, s)
		}
		return buf, nil
	case string, []byte:
		s, _ := asString(x)
		t := strings.TrimSpace(s)
		switch {
		case t == "":
			return buf, nil
		case strings.HasPrefix(t, "{"):
			return parsePGArray(t, buf)
		case strings.HasPrefix(t, "["):
			var arr []string
			if err := json.Unmarshal([]byte(t), &arr); err != nil {
				return nil, fmt.Errorf("not a JSON array of strings: %v", err)
			}
			return append(buf, arr...), nil
		}
		for _, p := range strings.Split(s, sep) {
			if p = strings.TrimSpace(p); p != "" {
				buf = append(buf, p)
			}
		}
		return buf, nil
	}
	return nil, fmt.Errorf("want an array of text, got %s", describe(v))
}

// parsePGArray reads a one-dimensional PostgreSQL text array literal:
// {a,b,"c d","e\"f",NULL}. NULL elements are skipped.
func parsePGArray(s string, buf []string) ([]string, error) {
	if !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("array literal %q does not end with }", truncate(s))
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return buf, nil
	}
	i := 0
	for {
		var elem strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for {
				if i >= len(body) {
					return nil, fmt.Errorf("array literal %q has an unterminated quoted element", truncate(s))
				}
				c := body[i]
				if c == '\\' && i+1 < len(body) {
					elem.WriteByte(body[i+1])
					i += 2
					continue
				}
				if c == '"' {
					i++
					break
				}
				elem.WriteByte(c)
				i++
			}
		} else {
			for i < len(body) && body[i] != ',' {
				if body[i] == '{' || body[i] == '"' {
					return nil, fmt.Errorf("array literal %q: nested arrays are not supported", truncate(s))
				}
				elem.WriteByte(body[i])
				i++
			}
		}
		e := elem.String()
		if quoted || !strings.EqualFold(strings.TrimSpace(e), "NULL") {
			if !quoted {
				e = strings.TrimSpace(e)
			}
			buf = append(buf, e)
		}
		if i >= len(body) {
			return buf, nil
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("array literal %q: want , after an element", truncate(s))
		}
		i++
	}
}

// convert reads a driver value as a Value of attribute a's kind; ok is
// false for NULL (and an empty set), which clears the attribute.
func convert(a bitmapindex.Attribute, v any, sep string, loc *time.Location) (bitmapindex.Value, bool, error) {
	if v == nil {
		return bitmapindex.Value{}, false, nil
	}
	switch a.Kind {
	case bitmapindex.KindInt:
		n, err := asInt(v)
		return bitmapindex.Int(n), err == nil, err
	case bitmapindex.KindDecimal:
		f, err := asFloat(v)
		return bitmapindex.Decimal(f), err == nil, err
	case bitmapindex.KindTime:
		t, err := asTime(v, loc)
		return bitmapindex.Time(t), err == nil, err
	case bitmapindex.KindBool:
		b, err := asBool(v)
		return bitmapindex.Bool(b), err == nil, err
	case bitmapindex.KindCategory:
		s, err := asString(v)
		return bitmapindex.Category(s), err == nil, err
	case bitmapindex.KindSet:
		ss, err := asStrings(v, sep, nil)
		if err != nil || len(ss) == 0 {
			return bitmapindex.Value{}, false, err
		}
		return bitmapindex.SetOf(ss...), true, nil
	}
	return bitmapindex.Value{}, false, fmt.Errorf("attribute %s has an invalid kind", a.Name)
}

// asAmount reads an event value exactly: numeric text as drivers return
// it, integers, or floats whose shortest form has at most 4 fractional
// digits.
func asAmount(v any) (bitmapindex.Amount, error) {
	switch x := v.(type) {
	case int64:
		return bitmapindex.ParseAmount(strconv.FormatInt(x, 10))
	case float64:
		return bitmapindex.AmountFromFloat(x)
	case string, []byte:
		s, _ := asString(x)
		return bitmapindex.ParseAmount(strings.TrimSpace(s))
	}
	return 0, fmt.Errorf("want a number, got %s", describe(v))
}

// asProps reads event properties: a JSON object (text or bytes, as jsonb
// arrives) or a map, with string values; numbers and booleans are kept as
// their JSON text. NULL and {} are no properties.
func asProps(v any) (map[string]string, error) {
	var m map[string]any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		m = x
	case map[string]string:
		if len(x) == 0 {
			return nil, nil
		}
		return x, nil
	case string, []byte:
		s, _ := asString(x)
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("want a JSON object of properties, got %s", describe(v))
		}
	default:
		return nil, fmt.Errorf("want a JSON object of properties, got %s", describe(v))
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		switch y := val.(type) {
		case string:
			out[k] = y
		case json.Number:
			out[k] = y.String()
		case bool:
			out[k] = strconv.FormatBool(y)
		case float64:
			out[k] = strconv.FormatFloat(y, 'f', -1, 64)
		default:
			return nil, fmt.Errorf("property %q: want a string, got %s", k, describe(val))
		}
	}
	return out, nil
}
