package persona

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// bsi is a bit-sliced unsigned integer per customer:
// value(id) = Σ 2^i · [id ∈ slices[i]]. Customers in no slice have value 0.
// All arithmetic below is whole-bitmap operations; nothing loops over
// customers.
type bsi struct {
	slices []*roaring.Bitmap // least significant first; nil entries are empty
}

func (s *bsi) slice(i int) *roaring.Bitmap {
	if i < len(s.slices) {
		return s.slices[i]
	}
	return nil
}

// value decodes one customer's value (for per-customer lookups, not for bulk
// work).
func (s *bsi) value(id uint32) uint64 {
	var v uint64
	for i, sl := range s.slices {
		if sl != nil && sl.Contains(id) {
			v |= 1 << uint(i)
		}
	}
	return v
}

// addShifted adds 2^j · [id ∈ x] to every customer: a ripple-carry addition
// of one bitmap at bit position j. x is not modified.
func (s *bsi) addShifted(x *roaring.Bitmap, j int) {
	carry, owned := x, false
	for i := j; !carry.IsEmpty(); i++ {
		for len(s.slices) <= i {
			s.slices = append(s.slices, nil)
		}
		cur := s.slices[i]
		if cur == nil || cur.IsEmpty() {
			if !owned {
				carry = carry.Clone()
			}
			s.slices[i] = carry
			return
		}
		next := roaring.And(cur, carry)
		cur.Xor(carry)
		carry, owned = next, true
	}
}

// addWeighted adds w · [id ∈ x] to every customer.
func (s *bsi) addWeighted(x *roaring.Bitmap, w uint64) {
	for w != 0 {
		j := bits.TrailingZeros64(w)
		s.addShifted(x, j)
		w &^= 1 << uint(j)
	}
}

// geConst returns the customers of all whose value is ≥ c (O'Neil's
// bit-sliced comparison, most significant slice first). Every slice must be
// a subset of all.
func (s *bsi) geConst(all *roaring.Bitmap, c uint64) *roaring.Bitmap {
	if c == 0 {
		return all.Clone()
	}
	if bits.Len64(c) > len(s.slices) {
		return roaring.New() // c ≥ 2^len(slices) > every value
	}
	gt := roaring.New()
	eq := all.Clone()
	for i := len(s.slices) - 1; i >= 0 && !eq.IsEmpty(); i-- {
		sl := s.slice(i)
		if c>>uint(i)&1 == 1 {
			if sl == nil {
				eq = roaring.New()
			} else {
				eq.And(sl)
			}
			continue
		}
		if sl != nil {
			gt.Or(roaring.And(eq, sl))
			eq.AndNot(sl)
		}
	}
	gt.Or(eq)
	return gt
}

// eqConst returns the customers of all whose value is exactly c.
func (s *bsi) eqConst(all *roaring.Bitmap, c uint64) *roaring.Bitmap {
	if bits.Len64(c) > len(s.slices) {
		return roaring.New()
	}
	eq := all.Clone()
	for i := 0; i < len(s.slices) && !eq.IsEmpty(); i++ {
		sl := s.slice(i)
		if c>>uint(i)&1 == 1 {
			if sl == nil {
				return roaring.New()
			}
			eq.And(sl)
		} else if sl != nil {
			eq.AndNot(sl)
		}
	}
	return eq
}

// gtWithin returns the customers of mask whose value in a is strictly
// greater than their value in b.
func gtWithin(a, b *bsi, mask *roaring.Bitmap) *roaring.Bitmap {
	gt := roaring.New()
	eq := mask.Clone()
	for i := max(len(a.slices), len(b.slices)) - 1; i >= 0 && !eq.IsEmpty(); i-- {
		ai, bi := a.slice(i), b.slice(i)
		switch {
		case ai == nil && bi == nil:
			continue
		case bi == nil:
			gt.Or(roaring.And(eq, ai))
			eq.AndNot(ai)
		case ai == nil:
			eq.AndNot(bi)
		default:
			gt.Or(roaring.And(eq, roaring.AndNot(ai, bi)))
			eq.AndNot(roaring.Xor(ai, bi))
		}
	}
	return gt
}

// mux replaces, for the customers in m, dst's value by src's value:
// dst_i = (dst_i \ m) ∪ (src_i ∩ m).
func (s *bsi) mux(src *bsi, m *roaring.Bitmap) {
	n := max(len(s.slices), len(src.slices))
	for len(s.slices) < n {
		s.slices = append(s.slices, nil)
	}
	for i := range n {
		d, x := s.slices[i], src.slice(i)
		switch {
		case d == nil && x == nil:
		case d == nil:
			s.slices[i] = roaring.And(x, m)
		case x == nil:
			d.AndNot(m)
		default:
			d.AndNot(m)
			d.Or(roaring.And(x, m))
		}
	}
}

// setConst sets the value of the customers in m to c.
func (s *bsi) setConst(m *roaring.Bitmap, c uint64) {
	n := max(len(s.slices), bits.Len64(c))
	for len(s.slices) < n {
		s.slices = append(s.slices, nil)
	}
	for i := range n {
		if c>>uint(i)&1 == 1 {
			if s.slices[i] == nil {
				s.slices[i] = m.Clone()
			} else {
				s.slices[i].Or(m)
			}
		} else if s.slices[i] != nil {
			s.slices[i].AndNot(m)
		}
	}
}
