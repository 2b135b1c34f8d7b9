package bitmapindex

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Amount is an event's value as a fixed-point decimal with AmountScale
// fractional digits: the Amount 125000 is 12.5. Sums and averages of
// amounts (sumWithin, avgWithin) are exact integer arithmetic. The zero
// value is 0. It is a plain value.
type Amount int64

// AmountScale is the number of fractional digits an Amount keeps.
const AmountScale = 4

// amountUnit is 10^AmountScale.
const amountUnit = 10000

// MaxAmount is the largest amount in magnitude an event may carry,
// 10^12: sums of hundreds of such values fit the fixed-point int64; larger
// sums saturate.
const MaxAmount = Amount(1e12 * amountUnit)

// ErrAmountDigits reports a value with more than AmountScale fractional
// digits.
var ErrAmountDigits = errors.New("more than 4 fractional digits")

// ParseAmount parses a decimal number ("12.5", "-3", "1e3", "0.0001") into
// an Amount. A value with more than AmountScale fractional digits (after
// trailing zeros are dropped) or beyond MaxAmount is an error.
func ParseAmount(s string) (Amount, error) {
	t := s
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	exp := 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return 0, fmt.Errorf("bad number %q", s)
		}
		exp, t = e, t[:i]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" && frac == "" || (hasDot && intPart == "" && frac == "") {
		return 0, fmt.Errorf("bad number %q", s)
	}
	digits := intPart + frac
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad number %q", s)
		}
	}
	// value = digits × 10^(exp − len(frac)); we want digits × 10^(exp − len(frac) + scale)
	shift := exp - len(frac) + AmountScale
	digits = strings.TrimLeft(digits, "0")
	for shift < 0 && strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		shift++
	}
	if digits == "" {
		return 0, nil
	}
	if shift < 0 {
		return 0, fmt.Errorf("%s: %w", s, ErrAmountDigits)
	}
	if len(digits)+shift > 17 {
		return 0, fmt.Errorf("%s is out of range (at most %s)", s, MaxAmount)
	}
	v, err := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
	if err != nil || Amount(v) > MaxAmount {
		return 0, fmt.Errorf("%s is out of range (at most %s)", s, MaxAmount)
	}
	if neg {
		v = -v
	}
	a := Amount(v)
	return a, nil
}

// AmountFromFloat converts f exactly when its shortest decimal
// representation has at most AmountScale fractional digits (12.5, 0.1,
// 19.99); otherwise, or when f is not finite or out of range, it is an
// error.
func AmountFromFloat(f float64) (Amount, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%v is not finite", f)
	}
	return ParseAmount(strconv.FormatFloat(f, 'g', -1, 64))
}

// Float64 returns the amount as a float64 (rounded to the nearest).
func (a Amount) Float64() float64 { return float64(a) / amountUnit }

// String renders the amount in decimal without trailing zeros: "12.5",
// "-3", "0.0001".
func (a Amount) String() string {
	neg := a < 0
	u := uint64(a)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/amountUnit, 10)
	if f := u % amountUnit; f != 0 {
		fs := strconv.FormatUint(f+amountUnit, 10)[1:]
		s += "." + strings.TrimRight(fs, "0")
	}
	if neg {
		return "-" + s
	}
	return s
}

// addSat adds with saturation at the int64 limits: sums of amounts never
// wrap around.
func addSat(a, b int64) int64 {
	s := a + b
	if (s > a) != (b > 0) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// SumAmounts adds amounts as sumWithin does (saturating at the int64
// limits of the fixed-point representation).
func SumAmounts(xs ...Amount) Amount {
	var s int64
	for _, x := range xs {
		s = addSat(s, int64(x))
	}
	return Amount(s)
}

// CompareAvg compares the mean sum/n of n > 0 amounts with c exactly
// (sum op c × n, in 128-bit arithmetic): -1, 0 or +1 as the mean is less
// than, equal to or greater than c.
func CompareAvg(sum Amount, n int64, c Amount) int {
	// c × n as a signed 128-bit number (hi, lo)
	cn := mul128(int64(c), n)
	s := int128{hi: int64(sum) >> 63, lo: uint64(sum)}
	return s.cmp(cn)
}

type int128 struct {
	hi int64
	lo uint64
}

func (a int128) cmp(b int128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func mul128(a, b int64) int128 {
	neg := (a < 0) != (b < 0)
	ua, ub := uint64(a), uint64(b)
	if a < 0 {
		ua = -ua
	}
	if b < 0 {
		ub = -ub
	}
	hi, lo := bits.Mul64(ua, ub)
	r := int128{hi: int64(hi), lo: lo}
	if neg && (hi != 0 || lo != 0) {
		// two's complement negation
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
		r = int128{hi: int64(hi), lo: lo}
	}
	return r
}
