package bitmapindex

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// Bit-sliced indexes.
//
// A numeric attribute keeps its values as int64 m (ints; decimals as
// fixed-point integers; times as Unix seconds; bools as 0/1). The order-
// preserving unsigned form is u = uint64(m) XOR 2^63, so unsigned order of u
// is signed order of m. Slice i holds the customers whose bit i of
// (u XOR ref) is 1, where ref is the first value ever written to the
// attribute: bits that all values share with ref are then empty slices, so a
// 7-bit age costs 7 slices, not 64, and negative values cost nothing extra.
//
// Comparisons are O'Neil & Quass's bit-sliced algorithm done as whole-bitmap
// operations: walking from the most significant bit, the customers whose
// prefix equals the constant's prefix (eq) are split at each bit into those
// that stay equal and those that become smaller or greater. Empty slices are
// skipped (or end the walk), so the cost is a few operations per non-empty
// slice, independent of the number of distinct values.

const signBit = uint64(1) << 63

// ordered maps an int64 to its order-preserving unsigned form.
func ordered(m int64) uint64 { return uint64(m) ^ signBit }

// unordered is the inverse of ordered.
func unordered(u uint64) int64 { return int64(u ^ signBit) }

// oneil returns the customers of present whose value u satisfies `u op c`
// (op is Eq, Lt, Le, Gt or Ge; Ne is the caller's complement of Eq), where
// bit i of u is (x ∈ slices[i]) XOR bit i of ref. A nil or missing slice has
// no members. slices and present are only read. st (nil: never) is checked
// at every bit; stopped, oneil returns an incomplete result.
func oneil(present *roaring.Bitmap, slices []*roaring.Bitmap, ref uint64, op Op, c uint64, st *stop) *roaring.Bitmap {
	needLT := op == Lt || op == Le
	needGT := op == Gt || op == Ge
	var lt, gt *roaring.Bitmap
	eq := present
	owned := false // eq is a fresh bitmap we may modify
	collect := func(dst **roaring.Bitmap, x *roaring.Bitmap) {
		if *dst == nil {
			*dst = x
		} else {
			(*dst).Or(x)
		}
	}
	for i := 63; i >= 0 && !eq.IsEmpty(); i-- {
		if st.done() {
			return roaring.New()
		}
		var s *roaring.Bitmap
		if i < len(slices) {
			s = slices[i]
		}
		cb := (c >> uint(i)) & 1
		t := cb ^ (ref>>uint(i))&1 // stored bit that equals the constant's bit
		if s == nil || s.IsEmpty() {
			if t == 0 {
				continue // every value has the constant's bit here
			}
			// every value differs from the constant here
			if (cb == 1 && needLT) || (cb == 0 && needGT) {
				x := eq
				if !owned {
					x = eq.Clone()
				}
				if cb == 1 {
					collect(&lt, x)
				} else {
					collect(&gt, x)
				}
			}
			eq = roaring.New()
			owned = true
			break
		}
		if (cb == 1 && needLT) || (cb == 0 && needGT) {
			var mism *roaring.Bitmap
			if t == 1 {
				mism = roaring.AndNot(eq, s)
			} else {
				mism = roaring.And(eq, s)
			}
			if cb == 1 {
				collect(&lt, mism)
			} else {
				collect(&gt, mism)
			}
		}
		switch {
		case !owned && t == 1:
			eq, owned = roaring.And(eq, s), true
		case !owned:
			eq, owned = roaring.AndNot(eq, s), true
		case t == 1:
			eq.And(s)
		default:
			eq.AndNot(s)
		}
	}
	if !owned {
		eq = eq.Clone()
	}
	orNil := func(a, b *roaring.Bitmap) *roaring.Bitmap {
		if a == nil {
			return b
		}
		a.Or(b)
		return a
	}
	switch op {
	case Eq:
		return eq
	case Lt:
		if lt == nil {
			return roaring.New()
		}
		return lt
	case Le:
		return orNil(lt, eq)
	case Gt:
		if gt == nil {
			return roaring.New()
		}
		return gt
	case Ge:
		return orNil(gt, eq)
	}
	return roaring.New()
}

// counter is a bit-sliced unsigned counter per customer, used to sum event
// counts over a window. Its slices are its own and modified in place; the
// bit-sliced values added to or subtracted from it are only read.
type counter struct {
	s []*roaring.Bitmap
}

// add adds the bit-sliced values x (slice i = bit i) to the counter:
// a ripple-carry adder over whole bitmaps.
func (c *counter) add(x []*roaring.Bitmap) {
	var carry *roaring.Bitmap
	for i := 0; i < len(x) || (carry != nil && !carry.IsEmpty()); i++ {
		var b *roaring.Bitmap
		if i < len(x) && x[i] != nil && !x[i].IsEmpty() {
			b = x[i]
		}
		hasCarry := carry != nil && !carry.IsEmpty()
		if b == nil && !hasCarry {
			continue
		}
		for len(c.s) <= i {
			c.s = append(c.s, nil)
		}
		a := c.s[i]
		if a == nil {
			// a is zero: sum = b ^ carry, carry = b & carry
			switch {
			case b == nil:
				c.s[i], carry = carry, nil
			case !hasCarry:
				c.s[i] = b.Clone()
			default:
				c.s[i] = roaring.Xor(b, carry)
				carry = roaring.And(b, carry)
			}
			continue
		}
		var nc *roaring.Bitmap
		if b != nil {
			nc = roaring.And(a, b)
			a.Xor(b)
		}
		if hasCarry {
			ac := roaring.And(a, carry) // a is a^b here
			a.Xor(carry)
			if nc == nil {
				nc = ac
			} else {
				nc.Or(ac)
			}
		}
		carry = nc
	}
}

// sub subtracts the bit-sliced values x from the counter, which must hold
// at least x for every customer (the result stays non-negative).
func (c *counter) sub(x []*roaring.Bitmap) {
	var borrow *roaring.Bitmap
	for i := 0; i < len(x) || (borrow != nil && !borrow.IsEmpty()); i++ {
		var b *roaring.Bitmap
		if i < len(x) && x[i] != nil && !x[i].IsEmpty() {
			b = x[i]
		}
		hasBorrow := borrow != nil && !borrow.IsEmpty()
		if b == nil && !hasBorrow {
			continue
		}
		if i >= len(c.s) {
			return // cannot happen when the precondition holds
		}
		if c.s[i] == nil {
			c.s[i] = roaring.New()
		}
		a := c.s[i]
		// diff = a ^ b ^ borrow; borrow' = (b &^ a) | (borrow &^ (a ^ b))
		var nb *roaring.Bitmap
		if b != nil {
			nb = roaring.AndNot(b, a)
			a.Xor(b)
		}
		if hasBorrow {
			x := roaring.AndNot(borrow, a) // a is a^b here
			a.Xor(borrow)
			if nb == nil {
				nb = x
			} else {
				nb.Or(x)
			}
		}
		borrow = nb
	}
}

// nonZero returns the customers with a count above zero.
func (c *counter) nonZero() *roaring.Bitmap {
	var xs []*roaring.Bitmap
	for _, s := range c.s {
		if s != nil && !s.IsEmpty() {
			xs = append(xs, s)
		}
	}
	return orAll(xs...)
}

// readBits returns the bits of id in the slices.
func readBits(slices []*bm, id uint32) uint64 {
	var x uint64
	for i, s := range slices {
		if s.contains(id) {
			x |= 1 << uint(i)
		}
	}
	return x
}

// incr adds one to id's value in the bit-sliced counter *s (writer side).
// The slice *s must belong to a node owned by w.
func incr(w wctx, s *[]*bm, id uint32) {
	for i := 0; ; i++ {
		if i == len(*s) {
			*s = append(*s, nil)
		}
		if (*s)[i].contains(id) {
			w.own(&(*s)[i]).Remove(id)
			continue
		}
		w.own(&(*s)[i]).Add(id)
		return
	}
}

// setBits writes the bits x for id into 64 slices, given its previous bits
// old (writer side).
func setBits(w wctx, slices *[64]*bm, id uint32, old, x uint64) {
	diff := old ^ x
	for diff != 0 {
		i := bits.TrailingZeros64(diff)
		diff &^= 1 << uint(i)
		if x&(1<<uint(i)) != 0 {
			w.own(&slices[i]).Add(id)
		} else {
			w.own(&slices[i]).Remove(id)
		}
	}
}

func newBitmap() *roaring.Bitmap { return roaring.New() }
