package segment

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// lit is a constant after folding.
type litKind uint8

const (
	litInvalid litKind = iota
	litInt
	litFloat
	litString
	litBool
	litNil
	litDay     // date("YYYY-MM-DD"): a calendar day in the evaluation's time zone
	litInstant // date("2025-01-01T08:00:00Z"): an instant
)

type lit struct {
	kind litKind
	i    int64
	f    float64
	s    string
	b    bool
	day  int64
	t    time.Time
}

func intLit(i int64) lit     { return lit{kind: litInt, i: i} }
func floatLit(f float64) lit { return lit{kind: litFloat, f: f} }
func strLit(s string) lit    { return lit{kind: litString, s: s} }
func boolLit(b bool) lit     { return lit{kind: litBool, b: b} }

func (l lit) isNumber() bool { return l.kind == litInt || l.kind == litFloat }

func (l lit) number() float64 {
	if l.kind == litInt {
		return float64(l.i)
	}
	return l.f
}

// typeName is the kind of constant as users see it in messages.
func (l lit) typeName() string {
	switch l.kind {
	case litInt:
		return "int"
	case litFloat:
		return "float"
	case litString:
		return "string"
	case litBool:
		return "bool"
	case litNil:
		return "nil"
	case litDay:
		return "date"
	case litInstant:
		return "time"
	}
	return "invalid"
}

// String renders the constant in rule syntax.
func (l lit) String() string {
	switch l.kind {
	case litInt:
		return strconv.FormatInt(l.i, 10)
	case litFloat:
		s := strconv.FormatFloat(l.f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0"
		}
		return s
	case litString:
		return strconv.Quote(l.s)
	case litBool:
		return strconv.FormatBool(l.b)
	case litNil:
		return "nil"
	case litDay:
		return `date("` + formatDay(l.day) + `")`
	case litInstant:
		return `date("` + l.t.Format(time.RFC3339) + `")`
	}
	return "?"
}

// parseDate reads the argument of date(): a calendar day YYYY-MM-DD (resolved
// in the evaluation's time zone) or an RFC 3339 instant.
func parseDate(s string) (lit, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return lit{kind: litDay, day: int64(segkit.Date(t.Date()))}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return lit{kind: litInstant, t: t}, nil
	}
	return lit{}, fmt.Errorf("bad date %q: want YYYY-MM-DD or RFC 3339 (2025-01-02T15:04:05Z)", s)
}

// foldArith evaluates a binary arithmetic operator on two constants.
func foldArith(op string, a, b lit) (lit, error) {
	if op == "+" && a.kind == litString && b.kind == litString {
		return strLit(a.s + b.s), nil
	}
	if !a.isNumber() || !b.isNumber() {
		return lit{}, fmt.Errorf("operator %s needs two numbers, got %s and %s", op, a.typeName(), b.typeName())
	}
	if a.kind == litInt && b.kind == litInt {
		x, y := a.i, b.i
		switch op {
		case "+":
			if r := x + y; (r > x) == (y > 0) {
				return intLit(r), nil
			}
			return lit{}, fmt.Errorf("integer overflow in %d + %d", x, y)
		case "-":
			if r := x - y; (r < x) == (y > 0) {
				return intLit(r), nil
			}
			return lit{}, fmt.Errorf("integer overflow in %d - %d", x, y)
		case "*":
			if x == 0 || y == 0 {
				return intLit(0), nil
			}
			r := x * y
			if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
				return lit{}, fmt.Errorf("integer overflow in %d * %d", x, y)
			}
			return intLit(r), nil
		case "%":
			if y == 0 {
				return lit{}, fmt.Errorf("division by zero")
			}
			if y == -1 {
				return intLit(0), nil
			}
			return intLit(x % y), nil
		case "/":
			// expr's / always yields a float.
			if y == 0 {
				return lit{}, fmt.Errorf("division by zero")
			}
			return floatLit(float64(x) / float64(y)), nil
		}
	}
	x, y := a.number(), b.number()
	var r float64
	switch op {
	case "+":
		r = x + y
	case "-":
		r = x - y
	case "*":
		r = x * y
	case "/":
		if y == 0 {
			return lit{}, fmt.Errorf("division by zero")
		}
		r = x / y
	case "%":
		return lit{}, fmt.Errorf("operator %% needs integers")
	case "**", "^":
		r = math.Pow(x, y)
	default:
		return lit{}, fmt.Errorf("unsupported operator %s", op)
	}
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return lit{}, fmt.Errorf("constant expression is not a finite number")
	}
	return floatLit(r), nil
}

// foldCompare compares two constants.
func foldCompare(op string, a, b lit) (bool, error) {
	var c int
	switch {
	case a.isNumber() && b.isNumber():
		if a.kind == litInt && b.kind == litInt {
			c = cmp.Compare(a.i, b.i)
		} else {
			x, y := a.number(), b.number()
			switch {
			case x < y:
				c = -1
			case x > y:
				c = 1
			}
		}
	case a.kind == litString && b.kind == litString:
		c = strings.Compare(a.s, b.s)
	case a.kind == litBool && b.kind == litBool && (op == "==" || op == "!="):
		if a.b != b.b {
			c = 1
		}
	case a.kind == litNil && b.kind == litNil && (op == "==" || op == "!="):
		c = 0
	case a.kind == litDay && b.kind == litDay:
		c = cmp.Compare(a.day, b.day)
	case a.kind == litInstant && b.kind == litInstant:
		c = a.t.Compare(b.t)
	default:
		if op == "==" || op == "!=" {
			return op == "!=", nil
		}
		return false, fmt.Errorf("cannot compare %s with %s", a.typeName(), b.typeName())
	}
	switch op {
	case "==":
		return c == 0, nil
	case "!=":
		return c != 0, nil
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("unsupported operator %s", op)
}

// two63 is 2^63 as a float: the first float above MaxInt64.
const two63 = 9223372036854775808.0

// intCmp is a comparison against an integer-valued quantity (an int
// attribute, daysSince, countWithin) after normalising a possibly fractional
// or out-of-range constant: all (every value satisfies it), none, or op n.
type intCmp struct {
	all, none bool
	op        opKind
	n         int64
}

// normInt normalises `x op c` for an integer x.
func normInt(op opKind, c lit) intCmp {
	if c.kind == litInt {
		return intCmp{op: op, n: c.i}
	}
	f := c.f
	switch op {
	case opEq:
		if f != math.Trunc(f) || f >= two63 || f < -two63 {
			return intCmp{none: true}
		}
		return intCmp{op: opEq, n: int64(f)}
	case opLt:
		cf := math.Ceil(f)
		if cf >= two63 {
			return intCmp{all: true}
		}
		if cf <= -two63 {
			return intCmp{none: true}
		}
		return intCmp{op: opLt, n: int64(cf)}
	case opLe:
		fl := math.Floor(f)
		if fl >= two63 {
			return intCmp{all: true}
		}
		if fl < -two63 {
			return intCmp{none: true}
		}
		return intCmp{op: opLe, n: int64(fl)}
	case opGt:
		fl := math.Floor(f)
		if fl >= two63 {
			return intCmp{none: true}
		}
		if fl < -two63 {
			return intCmp{all: true}
		}
		return intCmp{op: opGt, n: int64(fl)}
	case opGe:
		cf := math.Ceil(f)
		if cf >= two63 {
			return intCmp{none: true}
		}
		if cf <= -two63 {
			return intCmp{all: true}
		}
		return intCmp{op: opGe, n: int64(cf)}
	}
	return intCmp{none: true}
}

// intRange normalises lo ≤ x ≤ hi for an integer x into inclusive integer
// bounds; ok is false when no integer satisfies it.
func intRange(lo, hi lit) (a, b int64, ok bool) {
	if lo.kind == litInt {
		a = lo.i
	} else {
		c := math.Ceil(lo.f)
		switch {
		case c >= two63:
			return 0, 0, false
		case c <= -two63:
			a = math.MinInt64
		default:
			a = int64(c)
		}
	}
	if hi.kind == litInt {
		b = hi.i
	} else {
		f := math.Floor(hi.f)
		switch {
		case f < -two63:
			return 0, 0, false
		case f >= two63:
			b = math.MaxInt64
		default:
			b = int64(f)
		}
	}
	return a, b, a <= b
}

// satNeg negates with saturation.
func satNeg(n int64) int64 {
	if n == math.MinInt64 {
		return math.MaxInt64
	}
	return -n
}
