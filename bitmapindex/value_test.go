package bitmapindex

import (
	"math"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKind(t *testing.T) {
	tests := []struct {
		in    string
		kind  Kind
		scale int
		err   bool
	}{
		{"category", KindCategory, 0, false},
		{"set", KindSet, 0, false},
		{"int", KindInt, 0, false},
		{"decimal", KindDecimal, 2, false},
		{"decimal(0)", KindInvalid, 0, true},
		{"decimal(9)", KindDecimal, 9, false},
		{" decimal( 4 ) ", KindDecimal, 4, false},
		{"decimal(10)", KindInvalid, 0, true},
		{"decimal(-1)", KindInvalid, 0, true},
		{"time", KindTime, 0, false},
		{"bool", KindBool, 0, false},
		{"float", KindInvalid, 0, true},
		{"", KindInvalid, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			k, s, err := ParseKind(tc.in)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.kind, k)
			assert.Equal(t, tc.scale, s)
			if k != KindDecimal {
				back, _, err := ParseKind(k.String())
				require.NoError(t, err)
				assert.Equal(t, k, back)
			}
		})
	}
	assert.Equal(t, "invalid", KindInvalid.String())
	assert.Equal(t, "invalid", Kind(200).String())
}

func TestValues(t *testing.T) {
	at := time.Date(2025, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		v    Value
		kind Kind
		str  string
	}{
		{"zero", Value{}, KindInvalid, "<invalid>"},
		{"int", Int(-42), KindInt, "-42"},
		{"decimal", Decimal(3.25), KindDecimal, "3.25"},
		{"time", Time(at), KindTime, "2025-05-06T06:08:09.123456789Z"},
		{"bool", Bool(true), KindBool, "true"},
		{"category", Category("Beijing"), KindCategory, "Beijing"},
		{"set", SetOf("b", "a", "b", ""), KindSet, "[ a b]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.kind, tc.v.Kind())
			assert.Equal(t, tc.str, tc.v.String())
			assert.Equal(t, tc.kind != KindInvalid, tc.v.IsValid())
		})
	}
	n, ok := Int(7).AsInt()
	assert.True(t, ok)
	assert.Equal(t, int64(7), n)
	_, ok = Int(7).AsDecimal()
	assert.False(t, ok)
	tt, ok := Time(at).AsTime()
	assert.True(t, ok)
	assert.True(t, tt.Equal(at))
	ss, ok := SetOf("z", "a", "z").AsStrings()
	assert.True(t, ok)
	assert.Equal(t, []string{"a", "z"}, ss)
	assert.Equal(t, SetOf("a", "z"), SetOf("z", "a", "a"), "set values are comparable")
	s, ok := Category("x").AsString()
	assert.True(t, ok)
	assert.Equal(t, "x", s)
	b, ok := Bool(false).AsBool()
	assert.True(t, ok)
	assert.False(t, b)
	for op, want := range map[Op]string{Eq: "==", Ne: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=", 0: "invalid"} {
		assert.Equal(t, want, op.String())
	}
}

func TestHoldsDecimalExamples(t *testing.T) {
	a := Attribute{Name: "spend", Kind: KindDecimal, Scale: 2}
	tests := []struct {
		stored float64
		op     Op
		c      float64
		want   bool
	}{
		{100.56, Gt, 100.555, true},
		{100.55, Gt, 100.555, false},
		{100.555, Eq, 100.555, false}, // stored rounds to 100.56; the constant is not at scale 2
		{100.56, Eq, 100.555, false},
		{100.56, Ne, 100.555, true},
		{100.55, Lt, 100.555, true},
		{100.56, Ge, 100.555, true},
		{100.55, Le, 100.555, true},
		{1.005, Eq, 1.01, true}, // half away from zero on the shortest decimal form
		{-1.005, Eq, -1.01, true},
		{-2.675, Eq, -2.68, true},
		{0.1 + 0.2, Eq, 0.3, true},
		{-100.56, Lt, -100.555, true},
		{-100.55, Lt, -100.555, false},
		{5, Lt, 1e300, true},
		{5, Gt, -1e300, true},
		{5, Eq, 1e300, false},
		{5, Ne, 1e300, true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Holds(a, Decimal(tc.stored), tc.op, Decimal(tc.c)), "%v %s %v", tc.stored, tc.op, tc.c)
	}
	assert.False(t, Holds(a, Decimal(1), Eq, Int(1)), "mismatched kinds")
	assert.False(t, Holds(a, Int(1), Eq, Decimal(1)), "mismatched kinds")
	assert.False(t, Holds(a, Decimal(1), Op(0), Decimal(1)), "invalid op")
	assert.False(t, Holds(a, Decimal(1), Eq, Decimal(math.NaN())))
	assert.False(t, Holds(Attribute{Name: "s", Kind: KindSet}, SetOf("a"), Eq, SetOf("a")))
}

func TestHoldsOtherKinds(t *testing.T) {
	ti := Attribute{Name: "t", Kind: KindTime}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, Holds(ti, Time(t0.Add(900*time.Millisecond)), Eq, Time(t0)), "second precision")
	assert.True(t, Holds(ti, Time(t0.Add(time.Second)), Gt, Time(t0.Add(999*time.Millisecond))))
	assert.True(t, Holds(ti, Time(t0.Add(-time.Millisecond)), Lt, Time(t0)), "truncation toward the past")
	b := Attribute{Name: "b", Kind: KindBool}
	assert.True(t, Holds(b, Bool(false), Lt, Bool(true)))
	assert.True(t, Holds(b, Bool(true), Eq, Bool(true)))
	c := Attribute{Name: "c", Kind: KindCategory}
	assert.True(t, Holds(c, Category("Bern"), Lt, Category("Beta")) == ("Bern" < "Beta"))
	i := Attribute{Name: "i", Kind: KindInt}
	assert.True(t, Holds(i, Int(math.MinInt64), Lt, Int(math.MaxInt64)))
	assert.True(t, Holds(i, Int(-1), Lt, Int(0)))
}

// refHolds is an exact reference for decimal comparisons with math/big.
func refHolds(scale int, stored float64, op Op, c float64) bool {
	pow := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	s, _ := new(big.Rat).SetString(strconv.FormatFloat(stored, 'f', -1, 64))
	s.Mul(s, pow)
	// round half away from zero
	num, den := new(big.Int).Set(s.Num()), s.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(r, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	cr, _ := new(big.Rat).SetString(strconv.FormatFloat(c, 'f', -1, 64))
	cr.Mul(cr, pow)
	return cmpHolds(new(big.Rat).SetInt(q).Cmp(cr), op)
}

func TestHoldsDecimalAgainstBigRat(t *testing.T) {
	r := randSource(7)
	for i := range 20000 {
		scale := r.IntN(MaxScale + 1)
		mag := math.Pow(10, float64(r.IntN(12)-4))
		stored := (r.Float64()*2 - 1) * mag
		c := stored
		switch r.IntN(4) {
		case 0:
			c = (r.Float64()*2 - 1) * mag
		case 1: // a constant on the rounding boundary
			c, _ = strconv.ParseFloat(strconv.FormatFloat(stored, 'f', scale, 64)+"5", 64)
		case 2:
			c = math.Round(stored*math.Pow(10, float64(scale))) / math.Pow(10, float64(scale))
		}
		a := Attribute{Name: "d", Kind: KindDecimal, Scale: scale}
		if _, err := toFixed(stored, scale); err != nil {
			continue
		}
		op := Op(1 + i%6)
		require.Equal(t, refHolds(scale, stored, op, c), Holds(a, Decimal(stored), op, Decimal(c)), "scale %d: %v %s %v", scale, stored, op, c)
	}
}

func TestToFixed(t *testing.T) {
	tests := []struct {
		f     float64
		scale int
		want  int64
		err   bool
	}{
		{1.005, 2, 101, false},
		{-1.005, 2, -101, false},
		{0.004, 2, 0, false},
		{-0.005, 2, -1, false},
		{123.456, 0, 123, false},
		{9.2233720368547758e18, 0, 0, true},
		{-9.2233720368547758e18, 0, 0, true}, // shortest form -9223372036854776000 is below MinInt64
		{-9.223372036854775e18, 0, -9223372036854775000, false},
		{1e300, 2, 0, true},
		{math.NaN(), 2, 0, true},
		{math.Inf(1), 2, 0, true},
	}
	for _, tc := range tests {
		got, err := toFixed(tc.f, tc.scale)
		if tc.err {
			assert.Error(t, err, "%v", tc.f)
			continue
		}
		require.NoError(t, err, "%v", tc.f)
		assert.Equal(t, tc.want, got, "%v at %d", tc.f, tc.scale)
	}
	assert.Equal(t, "-0.05", fixedString(-5, 2))
	assert.Equal(t, 1.01, fromFixed(101, 2))
	assert.Equal(t, -9.223372036854775808e18, fromFixed(math.MinInt64, 0))
}

func mathNaN() float64 { return math.NaN() }
