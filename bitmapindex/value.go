package bitmapindex

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of an attribute. The zero value, KindInvalid, is not a
// usable kind. Kinds are comparable values, safe to share.
type Kind uint8

// The attribute kinds.
const (
	KindInvalid  Kind = iota // zero value
	KindCategory             // one string value per customer
	KindSet                  // several string values per customer
	KindInt                  // int64, full range incl. negatives
	KindDecimal              // fixed point, Attribute.Scale digits after the point
	KindTime                 // an instant, second precision
	KindBool
)

var kindNames = [...]string{"invalid", "category", "set", "int", "decimal", "time", "bool"}

// String returns the kind's name: "category", "set", "int", "decimal",
// "time", "bool" (and "invalid" for KindInvalid or unknown values).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// numeric reports whether values of k are kept in a bit-sliced index.
func (k Kind) numeric() bool {
	return k == KindInt || k == KindDecimal || k == KindTime || k == KindBool
}

// MaxScale is the largest decimal scale (digits after the point).
const MaxScale = 9

// ParseKind parses a kind as written in schemas: "category", "set", "int",
// "decimal" (scale 2), "decimal(N)" with N in 0..9, "time", "bool". It returns
// the kind and, for decimals, the scale.
func ParseKind(s string) (Kind, int, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "category":
		return KindCategory, 0, nil
	case "set":
		return KindSet, 0, nil
	case "int":
		return KindInt, 0, nil
	case "decimal":
		return KindDecimal, 2, nil
	case "time":
		return KindTime, 0, nil
	case "bool":
		return KindBool, 0, nil
	}
	if rest, ok := strings.CutPrefix(t, "decimal("); ok {
		if num, ok := strings.CutSuffix(rest, ")"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(num))
			if err == nil && n >= 1 && n <= MaxScale {
				return KindDecimal, n, nil
			}
			return KindInvalid, 0, fmt.Errorf("bitmapindex: kind %q: decimal scale must be 1..%d (whole numbers are int)", s, MaxScale)
		}
	}
	return KindInvalid, 0, fmt.Errorf("bitmapindex: unknown kind %q (want category, set, int, decimal, decimal(N), time or bool)", s)
}

// Attribute is the definition of a typed attribute. It is a plain,
// comparable value, safe to copy and share.
type Attribute struct {
	Name string
	Kind Kind
	// Scale is the number of decimal digits after the point, 1..9, and
	// must be given for KindDecimal (a decimal without one would silently
	// round 12.34 to 12; whole numbers are KindInt); 0 for other kinds.
	Scale int
}

// String formats the attribute as "name kind", e.g. "spend decimal(2)".
func (a Attribute) String() string {
	if a.Kind == KindDecimal {
		return fmt.Sprintf("%s decimal(%d)", a.Name, a.Scale)
	}
	return a.Name + " " + a.Kind.String()
}

func (a Attribute) validate() error {
	if a.Name == "" {
		return fmt.Errorf("bitmapindex: attribute with empty name")
	}
	if a.Kind == KindInvalid || int(a.Kind) >= len(kindNames) {
		return fmt.Errorf("bitmapindex: attribute %q: invalid kind", a.Name)
	}
	if a.Kind == KindDecimal {
		if a.Scale < 0 || a.Scale > MaxScale {
			return fmt.Errorf("bitmapindex: attribute %q: decimal scale %d out of range 0..%d", a.Name, a.Scale, MaxScale)
		}
	} else if a.Scale != 0 {
		return fmt.Errorf("bitmapindex: attribute %q: scale %d given for a %s attribute", a.Name, a.Scale, a.Kind)
	}
	return nil
}

// validateNew is validate for a declaration: a decimal needs an explicit
// scale. (Snapshots written before this rule may hold decimal(0)
// attributes; they still load.)
func (a Attribute) validateNew() error {
	if err := a.validate(); err != nil {
		return err
	}
	if a.Kind == KindDecimal && a.Scale == 0 {
		return fmt.Errorf("bitmapindex: attribute %q: a decimal needs an explicit Scale of 1..%d digits after the point (whole numbers are KindInt)", a.Name, MaxScale)
	}
	return nil
}

// Value is an immutable tagged value of one of the attribute kinds, safe to
// copy and share between goroutines. The zero Value is invalid (Kind() ==
// KindInvalid). Values are comparable with == (two set values are equal when
// they hold the same strings; two times when they are the same instant to
// the nanosecond).
type Value struct {
	k  Kind
	n  int64   // int; time: unix seconds; bool: 0/1
	ns int32   // time: nanoseconds within the second (kept for AsTime)
	f  float64 // decimal
	s  string  // category; set: encoded sorted strings (uvarint length + bytes each)
}

// Int returns an int value.
func Int(v int64) Value { return Value{k: KindInt, n: v} }

// Decimal returns a decimal value. It is rounded half away from zero to the
// attribute's scale when written, using the shortest decimal representation
// of v (so 1.005 at scale 2 is 1.01). Writing NaN, ±Inf or a value whose
// fixed-point form does not fit an int64 is an error.
func Decimal(v float64) Value { return Value{k: KindDecimal, f: v} }

// Time returns a time value; it is kept at second precision (truncated
// toward the past) when written and compared.
func Time(t time.Time) Value {
	return Value{k: KindTime, n: t.Unix(), ns: int32(t.Nanosecond())}
}

// maxUnix bounds the instants an index stores (time values and event
// occurrences): ±2³⁰ days from 1970 (about ±2.9 million years), so that
// every day number and the day after it fit a segkit.Day in any zone.
const maxUnix = (1<<30 - 2) * 86400

// validTime reports whether an instant (seconds from 1970) is within the
// supported range.
func validTime(unix int64) bool { return unix >= -maxUnix && unix <= maxUnix }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{k: KindBool, n: 1}
	}
	return Value{k: KindBool}
}

// Category returns a category (single string) value.
func Category(s string) Value { return Value{k: KindCategory, s: s} }

// SetOf returns a set value; duplicates are removed and order is irrelevant.
// Writing an empty set is the same as clearing the attribute.
func SetOf(values ...string) Value {
	vs := slices.Clone(values)
	slices.Sort(vs)
	vs = slices.Compact(vs)
	return Value{k: KindSet, s: encodeStrings(vs)}
}

func encodeStrings(vs []string) string {
	n := 0
	for _, v := range vs {
		n += binary.MaxVarintLen64 + len(v)
	}
	b := make([]byte, 0, n)
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return string(b)
}

// eachString calls fn for every string of an encoded set.
func eachString(enc string, fn func(string)) {
	for len(enc) > 0 {
		l, w := uvarintString(enc)
		enc = enc[w:]
		fn(enc[:l])
		enc = enc[l:]
	}
}

func uvarintString(s string) (int, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return int(x | uint64(c)<<shift), i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, len(s) // unreachable for values built by encodeStrings
}

// Kind returns the value's kind; KindInvalid for the zero Value.
func (v Value) Kind() Kind { return v.k }

// IsValid reports whether v is not the zero Value.
func (v Value) IsValid() bool { return v.k != KindInvalid }

// AsInt returns the int of an int value.
func (v Value) AsInt() (int64, bool) { return v.n, v.k == KindInt }

// AsDecimal returns the float of a decimal value (as given, before any
// rounding to an attribute's scale).
func (v Value) AsDecimal() (float64, bool) { return v.f, v.k == KindDecimal }

// AsTime returns the instant of a time value, in UTC.
func (v Value) AsTime() (time.Time, bool) {
	if v.k != KindTime {
		return time.Time{}, false
	}
	return time.Unix(v.n, int64(v.ns)).UTC(), true
}

// AsBool returns the bool of a bool value.
func (v Value) AsBool() (bool, bool) { return v.n != 0, v.k == KindBool }

// AsString returns the string of a category value.
func (v Value) AsString() (string, bool) {
	if v.k != KindCategory {
		return "", false
	}
	return v.s, true
}

// AsStrings returns the strings of a set value, sorted.
func (v Value) AsStrings() ([]string, bool) {
	if v.k != KindSet {
		return nil, false
	}
	out := []string{}
	eachString(v.s, func(s string) { out = append(out, s) })
	return out, true
}

// String formats the value: ints and decimals as numbers, times in RFC 3339
// (UTC), bools as true/false, categories as the string itself, sets as
// [a b c], and "<invalid>" for the zero Value.
func (v Value) String() string {
	switch v.k {
	case KindInt:
		return strconv.FormatInt(v.n, 10)
	case KindDecimal:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case KindTime:
		t, _ := v.AsTime()
		return t.Format(time.RFC3339Nano)
	case KindBool:
		return strconv.FormatBool(v.n != 0)
	case KindCategory:
		return v.s
	case KindSet:
		ss, _ := v.AsStrings()
		return "[" + strings.Join(ss, " ") + "]"
	}
	return "<invalid>"
}

// Op is a comparison operator, a comparable value safe to share. The zero
// Op is invalid.
type Op uint8

// The comparison operators.
const (
	Eq Op = iota + 1
	Ne
	Lt
	Le
	Gt
	Ge
)

var opNames = [...]string{"invalid", "==", "!=", "<", "<=", ">", ">="}

// String returns the operator as written in rules: "==", "!=", "<", "<=",
// ">", ">=".
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "invalid"
}

func (o Op) valid() bool { return o >= Eq && o <= Ge }

// cmpHolds reports whether a comparison result c (-1, 0, +1 for stored
// versus constant) satisfies op.
func cmpHolds(c int, op Op) bool {
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	}
	return false
}

// Holds is the scalar semantics of the comparison `stored op c` for
// attribute a (int, decimal, time, bool, category). A View's bitmap
// comparisons return exactly the live customers with a stored value for which
// Holds is true (plus, for Ne, customers without a value: Ne is a complement
// over all live customers). Decimal constants are compared exactly in the
// attribute's fixed-point domain using the shortest decimal representation of
// the float, never with an epsilon: with scale 2, `x > 100.555` holds for
// 100.56 and not for 100.55, and `x == 100.555` never holds. The stored value
// is first rounded to the scale exactly as a write would. Time compares at
// second precision; bools order false < true; categories compare as strings.
// Mismatched kinds, invalid values or operators and set attributes return
// false.
func Holds(a Attribute, stored Value, op Op, c Value) bool {
	if !op.valid() || stored.k != a.Kind || c.k != a.Kind {
		return false
	}
	switch a.Kind {
	case KindInt, KindTime, KindBool:
		return cmpHolds(cmp.Compare(stored.n, c.n), op)
	case KindCategory:
		return cmpHolds(strings.Compare(stored.s, c.s), op)
	case KindDecimal:
		if a.Scale < 0 || a.Scale > MaxScale {
			return false
		}
		m, err := toFixed(stored.f, a.Scale)
		if err != nil {
			return false
		}
		b, ok := decimalBound(c.f, a.Scale)
		if !ok {
			return false
		}
		return b.holds(m, op)
	}
	return false
}

// decimalDigits splits the shortest decimal form of a finite float into its
// sign, integer digits and fraction digits, without allocating for the
// common case.
type decimalDigits struct {
	neg      bool
	intPart  []byte
	fracPart []byte
}

func splitDecimal(buf []byte, f float64) decimalDigits {
	b := strconv.AppendFloat(buf[:0], f, 'f', -1, 64)
	var d decimalDigits
	if len(b) > 0 && b[0] == '-' {
		d.neg = true
		b = b[1:]
	}
	ip, fp := b, []byte(nil)
	for i, c := range b {
		if c == '.' {
			ip, fp = b[:i], b[i+1:]
			break
		}
	}
	// strip leading zeros of the integer part
	for len(ip) > 1 && ip[0] == '0' {
		ip = ip[1:]
	}
	d.intPart, d.fracPart = ip, fp
	return d
}

// scaledMagnitude returns the integer formed by the integer digits and the
// first scale fraction digits, whether any further digit is non-zero
// (inexact), the first dropped digit, and false when it overflows 2^63.
func (d decimalDigits) scaledMagnitude(scale int) (mag uint64, inexact bool, firstDropped byte, ok bool) {
	const limit = uint64(1) << 63
	add := func(c byte) bool {
		if mag > (limit-uint64(c-'0'))/10 {
			return false
		}
		mag = mag*10 + uint64(c-'0')
		return true
	}
	for _, c := range d.intPart {
		if !add(c) {
			return 0, false, 0, false
		}
	}
	for i := 0; i < scale; i++ {
		c := byte('0')
		if i < len(d.fracPart) {
			c = d.fracPart[i]
		}
		if !add(c) {
			return 0, false, 0, false
		}
	}
	firstDropped = '0'
	if len(d.fracPart) > scale {
		firstDropped = d.fracPart[scale]
		for _, c := range d.fracPart[scale:] {
			if c != '0' {
				inexact = true
				break
			}
		}
	}
	return mag, inexact, firstDropped, true
}

// errDecimalRange is returned when a decimal does not fit the fixed-point
// int64 domain of its attribute.
var errDecimalRange = fmt.Errorf("bitmapindex: decimal out of range")

// toFixed converts a float to the attribute's fixed-point integer, rounding
// half away from zero on the shortest decimal representation.
func toFixed(f float64, scale int) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bitmapindex: decimal %v is not finite", f)
	}
	var buf [400]byte
	d := splitDecimal(buf[:], f)
	mag, _, dropped, ok := d.scaledMagnitude(scale)
	if !ok {
		return 0, errDecimalRange
	}
	if dropped >= '5' {
		mag++
	}
	if d.neg {
		if mag > 1<<63 {
			return 0, errDecimalRange
		}
		return -int64(mag), nil // mag == 1<<63 wraps to MinInt64, which is right
	}
	if mag > math.MaxInt64 {
		return 0, errDecimalRange
	}
	return int64(mag), nil
}

// fromFixed converts a fixed-point integer back to the nearest float.
func fromFixed(m int64, scale int) float64 {
	f, _ := strconv.ParseFloat(fixedString(m, scale), 64)
	return f
}

// fixedString formats a fixed-point integer as a decimal string.
func fixedString(m int64, scale int) string {
	neg := m < 0
	mag := uint64(m)
	if neg {
		mag = -mag
	}
	s := strconv.FormatUint(mag, 10)
	if scale > 0 {
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// bound is a comparison constant in an integer domain: the exact constant C
// (possibly not an integer, possibly beyond int64) summarised by floor(C),
// ceil(C) and whether C is an integer, saturated to the int64 range.
type bound struct {
	floor, ceil int64
	exact       bool
	below       bool // C < MinInt64: every stored value is > C
	above       bool // C > MaxInt64: every stored value is < C
}

func intBound(c int64) bound { return bound{floor: c, ceil: c, exact: true} }

// decimalBound converts a float constant into a bound in the fixed-point
// domain of the given scale. It fails for NaN and infinities.
func decimalBound(f float64, scale int) (bound, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return bound{}, false
	}
	var buf [400]byte
	d := splitDecimal(buf[:], f)
	mag, inexact, _, ok := d.scaledMagnitude(scale)
	if !ok {
		if d.neg {
			return bound{below: true}, true
		}
		return bound{above: true}, true
	}
	if !d.neg {
		if mag > math.MaxInt64 {
			return bound{above: true}, true
		}
		b := bound{floor: int64(mag), ceil: int64(mag), exact: !inexact}
		if inexact {
			if mag == math.MaxInt64 {
				return bound{above: true}, true
			}
			b.ceil++
		}
		return b, true
	}
	// negative: C = -(mag + frac)
	if mag > 1<<63 || (mag == 1<<63 && inexact) {
		return bound{below: true}, true
	}
	v := -int64(mag)
	b := bound{floor: v, ceil: v, exact: !inexact}
	if inexact {
		b.floor--
	}
	return b, true
}

// holds reports whether the integer m satisfies `m op C`.
func (b bound) holds(m int64, op Op) bool {
	if b.above {
		return op == Ne || op == Lt || op == Le
	}
	if b.below {
		return op == Ne || op == Gt || op == Ge
	}
	switch op {
	case Eq:
		return b.exact && m == b.floor
	case Ne:
		return !(b.exact && m == b.floor)
	case Lt:
		return m < b.ceil
	case Le:
		return m <= b.floor
	case Gt:
		return m > b.floor
	case Ge:
		return m >= b.ceil
	}
	return false
}
