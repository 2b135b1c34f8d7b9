package bitmapindex

import "math"

// Narrow occurrence columns.
//
// A day's values and property codes are stored at the narrowest width that
// holds all of them: values in 4 bytes while every one fits an int32 (an
// Amount of at most ±214,748.3647, which covers nearly every purchase) and
// else in 8; codes in 1 byte while the key has at most 255 values, else 2,
// else 4. A column widens (a copy) when an appended occurrence does not fit;
// it never narrows until the day's columns are rebuilt. Each column holds
// exactly one non-nil slice, or none when the column is absent.

// valCol is a column of occurrence values (Amount units). The zero valCol
// is absent: every value is 0.
type valCol struct {
	v32 []int32
	v64 []int64
}

func (c valCol) has() bool { return c.v32 != nil || c.v64 != nil }

func (c valCol) at(i int) int64 {
	if c.v32 != nil {
		return int64(c.v32[i])
	}
	return c.v64[i]
}

func (c valCol) bytes() int64 { return int64(len(c.v32))*4 + int64(len(c.v64))*8 }

// fits32 reports whether v is stored in a 4-byte column.
func fits32(v int64) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

// newValCol returns a column of n zero values wide enough for values
// within [lo, hi].
func newValCol(n, capacity int, lo, hi int64) valCol {
	if fits32(lo) && fits32(hi) {
		return valCol{v32: make([]int32, n, capacity)}
	}
	return valCol{v64: make([]int64, n, capacity)}
}

// appendVals returns c followed by vals, widened when one does not fit.
// c's arrays may be shared with older views: appending only writes past
// their lengths.
func (c valCol) appendVals(vals []int64) valCol {
	if c.v32 != nil {
		fit := true
		for _, v := range vals {
			if !fits32(v) {
				fit = false
				break
			}
		}
		if fit {
			c.v32 = growCol(c.v32, len(vals))
			for _, v := range vals {
				c.v32 = append(c.v32, int32(v))
			}
			return c
		}
		w := make([]int64, len(c.v32), len(c.v32)+len(vals))
		for i, v := range c.v32 {
			w[i] = int64(v)
		}
		c = valCol{v64: w}
	}
	c.v64 = appendGrow(c.v64, vals...)
	return c
}

// codeCol is a column of property value codes (0: the occurrence does not
// have the key). The zero codeCol is absent: no occurrence has the key.
type codeCol struct {
	c8  []uint8
	c16 []uint16
	c32 []uint32
}

func (c codeCol) has() bool { return c.c8 != nil || c.c16 != nil || c.c32 != nil }

func (c codeCol) at(i int) uint32 {
	switch {
	case c.c8 != nil:
		return uint32(c.c8[i])
	case c.c16 != nil:
		return uint32(c.c16[i])
	}
	return c.c32[i]
}

// at0 is at, or 0 when the column is absent.
func (c codeCol) at0(i int) uint32 {
	if !c.has() {
		return 0
	}
	return c.at(i)
}

func (c codeCol) bytes() int64 {
	return int64(len(c.c8)) + int64(len(c.c16))*2 + int64(len(c.c32))*4
}

// newCodeCol returns a column of n zero codes wide enough for code max.
func newCodeCol(n, capacity int, max uint32) codeCol {
	switch {
	case max <= math.MaxUint8:
		return codeCol{c8: make([]uint8, n, capacity)}
	case max <= math.MaxUint16:
		return codeCol{c16: make([]uint16, n, capacity)}
	}
	return codeCol{c32: make([]uint32, n, capacity)}
}

// set sets code i; the column is wide enough (newCodeCol).
func (c codeCol) set(i int, x uint32) {
	switch {
	case c.c8 != nil:
		c.c8[i] = uint8(x)
	case c.c16 != nil:
		c.c16[i] = uint16(x)
	default:
		c.c32[i] = x
	}
}

// width is the largest code c holds without widening.
func (c codeCol) width() uint32 {
	switch {
	case c.c8 != nil:
		return math.MaxUint8
	case c.c16 != nil:
		return math.MaxUint16
	}
	return math.MaxUint32
}

// appendCodes returns c followed by xs, widened when one does not fit. As
// with appendVals, c's arrays are only written past their lengths.
func (c codeCol) appendCodes(xs []uint32) codeCol {
	var max uint32
	for _, x := range xs {
		max = maxU32(max, x)
	}
	if max > c.width() {
		n := len(c.c8) + len(c.c16) + len(c.c32)
		w := newCodeCol(n, n+len(xs), max)
		for i := range n {
			w.set(i, c.at(i))
		}
		c = w
	}
	switch {
	case c.c8 != nil:
		c.c8 = growCol(c.c8, len(xs))
	case c.c16 != nil:
		c.c16 = growCol(c.c16, len(xs))
	default:
		c.c32 = growCol(c.c32, len(xs))
	}
	for _, x := range xs {
		switch {
		case c.c8 != nil:
			c.c8 = append(c.c8, uint8(x))
		case c.c16 != nil:
			c.c16 = append(c.c16, uint16(x))
		default:
			c.c32 = append(c.c32, x)
		}
	}
	return c
}

func maxU32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

// matchCodes appends to buf ids[i] for every i whose code is accepted by ok
// (indexed by code).
func matchCodes[T uint8 | uint16 | uint32](col []T, ids []uint32, ok []bool, buf []uint32) []uint32 {
	col = col[:len(ids)]
	for i, c := range col {
		if int(c) < len(ok) && ok[c] {
			buf = append(buf, ids[i])
		}
	}
	return buf
}

// matching is matchCodes over whichever slice c holds.
func (c codeCol) matching(ids []uint32, ok []bool, buf []uint32) []uint32 {
	switch {
	case c.c8 != nil:
		return matchCodes(c.c8, ids, ok, buf)
	case c.c16 != nil:
		return matchCodes(c.c16, ids, ok, buf)
	}
	return matchCodes(c.c32, ids, ok, buf)
}

// growCol returns s with room for n more elements. A bulk load appends a
// little to every day's columns with each chunk, so columns grow in step:
// append's growth of large slices by a quarter would copy four times a
// column's final size over the load (all of it garbage), and plain
// doubling would leave them all half empty when they have just doubled
// together. A column grows by a factor of 1.5 to 1.875 drawn from its
// length, so that columns of similar sizes grow at different times: the
// copies add up to about 1.5 times the final size, and the room left is
// about a quarter of it.
func growCol[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	need := len(s) + n
	h := (uint64(need) * 0x9e3779b97f4a7c15) >> 62 // 0..3
	t := make([]T, len(s), need+need/2+need*int(h)/8+4)
	copy(t, s)
	return t
}

// appendGrow appends xs to s, growing it as growCol does.
func appendGrow[T any](s []T, xs ...T) []T { return append(growCol(s, len(xs)), xs...) }
