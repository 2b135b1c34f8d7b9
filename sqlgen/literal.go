package sqlgen

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// quoteString renders a string constant as a literal that the engine reads
// back as exactly these bytes, whatever they are: PostgreSQL E'…' (read the
// same whatever standard_conforming_strings says) with \\, \' and \xHH for
// control bytes; ClickHouse '…' with the same escapes.
func quoteString(d Dialect, s string) string {
	var b strings.Builder
	if d == Postgres {
		b.WriteString("E'")
	} else {
		b.WriteString("'")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\'':
			b.WriteString(`\'`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// decimalBound is a decimal constant C in the fixed-point domain of scale s
// (integers m standing for m / 10^s), as bitmapindex compares it: floor and
// ceiling of C·10^s and whether C has no more digits than the scale. C is
// the shortest decimal representation of the float.
type decimalBound struct {
	floor, ceil *big.Int
	exact       bool
}

func newDecimalBound(f float64, scale int) (decimalBound, error) {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	if !ok {
		return decimalBound{}, fmt.Errorf("decimal constant %v is not a finite number", f)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).DivMod(num, den, new(big.Int)) // Euclidean: q = floor for den > 0
	b := decimalBound{floor: q, ceil: new(big.Int).Set(q), exact: m.Sign() == 0}
	if !b.exact {
		b.ceil.Add(b.ceil, big.NewInt(1))
	}
	return b, nil
}

// fixedString formats m / 10^scale.
func fixedString(m *big.Int, scale int) string {
	neg := m.Sign() < 0
	s := new(big.Int).Abs(m).String()
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

// maxFixed bounds the fixed-point magnitudes that can be stored (int64, as
// in the index); beyond it a bound is above or below every stored value.
var maxFixed = big.NewInt(1<<63 - 1)
var minFixed = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63))

// timeSeconds returns the second of a time value (the index compares times
// at second precision).
func timeSeconds(v bitmapindex.Value) int64 {
	t, _ := v.AsTime()
	return t.Unix()
}

// unixRange is a half-open range of instants [lo, hi) in whole seconds;
// hasLo/hasHi false means unbounded on that side.
type unixRange struct {
	lo, hi       int64
	hasLo, hasHi bool
	none         bool
}

// secondsCmp is `x op C` for an instant x compared at second precision
// (floor(x) op C) as a half-open range of instants.
func secondsCmp(op bitmapindex.Op, c int64) unixRange {
	switch op {
	case bitmapindex.Lt:
		return unixRange{hi: c, hasHi: true}
	case bitmapindex.Le:
		return unixRange{hi: c + 1, hasHi: true}
	case bitmapindex.Gt:
		return unixRange{lo: c + 1, hasLo: true}
	case bitmapindex.Ge:
		return unixRange{lo: c, hasLo: true}
	}
	return unixRange{lo: c, hi: c + 1, hasLo: true, hasHi: true}
}

func (r unixRange) and(o unixRange) unixRange {
	if o.hasLo && (!r.hasLo || o.lo > r.lo) {
		r.lo, r.hasLo = o.lo, true
	}
	if o.hasHi && (!r.hasHi || o.hi < r.hi) {
		r.hi, r.hasHi = o.hi, true
	}
	r.none = r.none || o.none || (r.hasLo && r.hasHi && r.lo >= r.hi)
	return r
}

// clip limits the range to the instants the engine can store: bounds
// outside them are dropped (every stored value satisfies them) or make the
// range empty.
func (r unixRange) clip(min, max int64) unixRange {
	if r.hasLo && r.lo <= min {
		r.hasLo = false
	}
	if r.hasHi && r.hi > max {
		r.hasHi = false
	}
	if (r.hasLo && r.lo > max) || (r.hasHi && r.hi <= min) {
		r.none = true
	}
	return r
}

// Stored instants: PostgreSQL timestamptz runs from 4713 BC to 294276 AD,
// ClickHouse DateTime from 1970 to 2106 (unsigned 32-bit seconds).
const (
	pgMinUnix = -210866803200
	pgMaxUnix = 9224318015999
	chMinUnix = 0
	chMaxUnix = 1<<32 - 1
)

func windowRange(start, end time.Time, ever bool) unixRange {
	r := unixRange{hi: end.Unix(), hasHi: true}
	if !ever {
		r.lo, r.hasLo = start.Unix(), true
	}
	return r
}
