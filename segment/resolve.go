package segment

import (
	"fmt"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// A resolved comparison is what a scalar means for an attribute of a known
// kind; binding it to an evaluation's day turns its day-relative bounds into
// instants. After binding, Eval and Match see the same (op, Value) pairs:
// Eval hands them to View.Compare/Between, Match to bitmapindex.Holds.
type resKind uint8

const (
	resNone    resKind = iota // no customer
	resPresent                // every customer with a value
	resCmp                    // attr op lo
	resRange                  // lo ≤ attr ≤ hi
)

// bound is a comparison constant: a fixed Value, or the first (or last)
// second of a day, either absolute (date("…")) or relative to the
// evaluation's day (daysSince, within).
type bound struct {
	v   bitmapindex.Value
	dyn bool
	rel bool
	day int64 // absolute day, or offset from today
	end bool  // last second of the day instead of the first
}

func fixed(v bitmapindex.Value) bound { return bound{v: v} }

func dayBound(rel bool, day int64, end bool) bound {
	return bound{dyn: true, rel: rel, day: day, end: end}
}

func (b bound) value(today int64, loc *time.Location) bitmapindex.Value {
	if !b.dyn {
		return b.v
	}
	d := b.day
	if b.rel {
		d = int64(toDay(today)) + int64(toDay(b.day))
	}
	if b.end {
		return bitmapindex.Time(dayStart(d+1, loc).Add(-time.Second))
	}
	return bitmapindex.Time(dayStart(d, loc))
}

func (b bound) String() string {
	if !b.dyn {
		return b.v.String()
	}
	return fmt.Sprintf("day%+d", b.day)
}

type resolved struct {
	kind   resKind
	op     opKind
	lo, hi bound
}

// dayCmp expresses `day(x) op D` (D a day bound) as a comparison of x with
// instants.
func dayCmp(op opKind, rel bool, d int64) resolved {
	switch op {
	case opLt:
		return resolved{kind: resCmp, op: opLt, lo: dayBound(rel, d, false)}
	case opLe:
		return resolved{kind: resCmp, op: opLe, lo: dayBound(rel, d, true)}
	case opGt:
		return resolved{kind: resCmp, op: opGt, lo: dayBound(rel, d, true)}
	case opGe:
		return resolved{kind: resCmp, op: opGe, lo: dayBound(rel, d, false)}
	}
	return resolved{kind: resRange, lo: dayBound(rel, d, false), hi: dayBound(rel, d, true)}
}

func fromIntCmp(ic intCmp, mk func(int64) bitmapindex.Value) resolved {
	switch {
	case ic.all:
		return resolved{kind: resPresent}
	case ic.none:
		return resolved{kind: resNone}
	}
	return resolved{kind: resCmp, op: ic.op, lo: fixed(mk(ic.n))}
}

// resolve gives a scalar its meaning for an attribute of a known kind, or
// explains why the comparison is a type error.
func resolve(def bitmapindex.Attribute, sc *scalar) (resolved, error) {
	k := def.Kind
	switch sc.form {
	case formCmp:
		a := sc.a
		switch k {
		case bitmapindex.KindInt:
			if a.isNumber() {
				return fromIntCmp(normInt(sc.op, a), bitmapindex.Int), nil
			}
		case bitmapindex.KindDecimal:
			if a.isNumber() {
				return resolved{kind: resCmp, op: sc.op, lo: fixed(bitmapindex.Decimal(a.number()))}, nil
			}
		case bitmapindex.KindTime:
			switch a.kind {
			case litDay:
				return dayCmp(sc.op, false, a.day), nil
			case litInstant:
				return resolved{kind: resCmp, op: sc.op, lo: fixed(bitmapindex.Time(a.t))}, nil
			}
			return resolved{}, fmt.Errorf("cannot compare time attribute %s with %s %s: use date(\"YYYY-MM-DD\"), daysSince(%s) or within(%s, \"7d\")", sc.attr, a.typeName(), a, sc.attr, sc.attr)
		case bitmapindex.KindCategory:
			if a.kind == litString {
				return resolved{kind: resCmp, op: sc.op, lo: fixed(bitmapindex.Category(a.s))}, nil
			}
		case bitmapindex.KindBool:
			if a.kind == litBool {
				if sc.op != opEq {
					return resolved{}, fmt.Errorf("bool attribute %s can only be compared with == or !=", sc.attr)
				}
				return resolved{kind: resCmp, op: opEq, lo: fixed(bitmapindex.Bool(a.b))}, nil
			}
		case bitmapindex.KindSet:
			if a.kind == litBool && sc.op == opEq && a.b {
				return resolved{}, fmt.Errorf("%s is a set attribute, not a condition: write \"value\" in %s", sc.attr, sc.attr)
			}
			return resolved{}, fmt.Errorf("set attribute %s cannot be compared: write \"value\" in %s", sc.attr, sc.attr)
		default:
			return resolved{}, fmt.Errorf("attribute %s has an invalid kind", sc.attr)
		}
		if a.kind == litBool && sc.op == opEq && a.b && k != bitmapindex.KindBool {
			return resolved{}, fmt.Errorf("%s is a %s attribute, not a condition: compare it, e.g. %s", sc.attr, k, example(sc.attr, k))
		}
		return resolved{}, fmt.Errorf("cannot compare %s attribute %s with %s %s", k, sc.attr, a.typeName(), a)
	case formRange:
		a, b := sc.a, sc.b
		switch k {
		case bitmapindex.KindInt:
			if a.isNumber() && b.isNumber() {
				lo, hi, ok := intRange(a, b)
				if !ok {
					return resolved{kind: resNone}, nil
				}
				return resolved{kind: resRange, lo: fixed(bitmapindex.Int(lo)), hi: fixed(bitmapindex.Int(hi))}, nil
			}
		case bitmapindex.KindDecimal:
			if a.isNumber() && b.isNumber() {
				return resolved{kind: resRange, lo: fixed(bitmapindex.Decimal(a.number())), hi: fixed(bitmapindex.Decimal(b.number()))}, nil
			}
		case bitmapindex.KindTime:
			lo, ok1 := timeBound(a, false)
			hi, ok2 := timeBound(b, true)
			if ok1 && ok2 {
				return resolved{kind: resRange, lo: lo, hi: hi}, nil
			}
			return resolved{}, fmt.Errorf("between on time attribute %s needs date(\"YYYY-MM-DD\") bounds, found %s and %s", sc.attr, a.typeName(), b.typeName())
		default:
			return resolved{}, fmt.Errorf("between and ranges need an int, decimal or time attribute; %s is %s", sc.attr, k)
		}
		return resolved{}, fmt.Errorf("between on %s attribute %s needs number bounds, found %s and %s", k, sc.attr, a.typeName(), b.typeName())
	case formDaysCmp, formDaysRange, formWithin:
		fn := "daysSince"
		if sc.form == formWithin {
			fn = "within"
		}
		if k != bitmapindex.KindTime {
			return resolved{}, fmt.Errorf("%s needs a time attribute; %s is %s", fn, sc.attr, k)
		}
		switch sc.form {
		case formDaysCmp:
			// daysSince(x) op n  ⟺  day(x) op' today−n
			ic := normInt(sc.op, sc.a)
			switch {
			case ic.all:
				return resolved{kind: resPresent}, nil
			case ic.none:
				return resolved{kind: resNone}, nil
			}
			return dayCmp(flipOp(ic.op), true, satNeg(ic.n)), nil
		case formDaysRange:
			lo, hi, ok := intRange(sc.a, sc.b)
			if !ok {
				return resolved{kind: resNone}, nil
			}
			return resolved{kind: resRange, lo: dayBound(true, satNeg(hi), false), hi: dayBound(true, satNeg(lo), true)}, nil
		default:
			return resolved{kind: resRange, lo: dayBound(true, int64(1-sc.window), false), hi: dayBound(true, 0, true)}, nil
		}
	}
	return resolved{}, fmt.Errorf("unsupported comparison")
}

func timeBound(l lit, hi bool) (bound, bool) {
	switch l.kind {
	case litDay:
		return dayBound(false, l.day, hi), true
	case litInstant:
		return fixed(bitmapindex.Time(l.t)), true
	}
	return bound{}, false
}

func example(attr string, k bitmapindex.Kind) string {
	switch k {
	case bitmapindex.KindInt, bitmapindex.KindDecimal:
		return attr + " > 30"
	case bitmapindex.KindTime:
		return "daysSince(" + attr + ") > 30"
	case bitmapindex.KindCategory:
		return attr + ` == "value"`
	}
	return "exists(" + attr + ")"
}
