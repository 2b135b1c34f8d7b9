package bitmapindex

import (
	"bytes"
	"fmt"
	"iter"

	"github.com/RoaringBitmap/roaring/v2"
)

// Set is an immutable set of customer IDs of one view, the result of every
// query. It is safe for concurrent reads. The zero Set is empty (and knows no
// keys). Sets from different views of one index may be combined; the result
// uses the key table of the receiver's view (or the other's when the
// receiver has none).
type Set struct {
	v     *View
	bm    *roaring.Bitmap   // nil means empty; never modified once in a Set
	parts []*roaring.Bitmap // bm's stripes, when the index keeps them
}

// Len returns the number of members.
func (s Set) Len() int {
	if s.bm == nil {
		return 0
	}
	return int(s.bm.GetCardinality())
}

// Contains reports whether id is a member.
func (s Set) Contains(id uint32) bool { return s.bm != nil && s.bm.Contains(id) }

// ContainsKey reports whether the customer with this key is a member.
func (s Set) ContainsKey(key string) bool {
	if s.v == nil || s.bm == nil {
		return false
	}
	id, ok := s.v.ID(key)
	return ok && s.bm.Contains(id)
}

// IDs iterates over the members' IDs in ascending order.
func (s Set) IDs() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		if s.bm == nil {
			return
		}
		for id := range roaring.Values(s.bm) {
			if !yield(id) {
				return
			}
		}
	}
}

// Keys iterates over the members' keys in ID order (insertion order).
// Members unknown to the set's view (possible only for sets combined across
// views) are skipped.
func (s Set) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, k := range s.Members() {
			if !yield(k) {
				return
			}
		}
	}
}

// Members iterates over the members in ascending ID order, yielding each
// member's ID with its key, for code that needs both (splitting by key into
// ID bitmaps, matching customers across views). Members unknown to the
// set's view (possible only for sets combined across views) are skipped, so
// fewer than Len pairs may come.
func (s Set) Members() iter.Seq2[uint32, string] {
	return func(yield func(uint32, string) bool) {
		if s.bm == nil || s.v == nil {
			return
		}
		it := s.bm.ManyIterator()
		var buf [256]uint32
		for n := it.NextMany(buf[:]); n > 0; n = it.NextMany(buf[:]) {
			for _, id := range buf[:n] {
				k, ok := s.v.keys.key(id)
				if !ok {
					continue
				}
				if !yield(id, k) {
					return
				}
			}
		}
	}
}

// View returns the view the set belongs to (nil for the zero Set).
func (s Set) View() *View { return s.v }

// Bitmap returns the set's bitmap, the escape hatch for interoperation. It
// is shared with the view and MUST NOT be modified: Clone it first.
func (s Set) Bitmap() *roaring.Bitmap {
	if s.bm == nil {
		return roaring.New()
	}
	return s.bm
}

func (s Set) view(o Set) *View {
	if s.v != nil {
		return s.v
	}
	return o.v
}

// And returns the intersection.
func (s Set) And(o Set) Set {
	if s.bm == nil || o.bm == nil {
		return Set{v: s.view(o)}
	}
	return Set{v: s.view(o), bm: roaring.And(s.bm, o.bm)}
}

// Or returns the union.
func (s Set) Or(o Set) Set {
	switch {
	case s.bm == nil:
		return Set{v: s.view(o), bm: o.bm}
	case o.bm == nil:
		return Set{v: s.view(o), bm: s.bm}
	}
	return Set{v: s.view(o), bm: roaring.Or(s.bm, o.bm)}
}

// AndNot returns the members of s that are not in o.
func (s Set) AndNot(o Set) Set {
	if s.bm == nil || o.bm == nil {
		return Set{v: s.view(o), bm: s.bm}
	}
	return Set{v: s.view(o), bm: roaring.AndNot(s.bm, o.bm)}
}

// MarshalBinary returns the set in the portable roaring format
// (https://github.com/RoaringBitmap/RoaringFormatSpec), which ClickHouse
// (groupBitmap), Doris/StarRocks (BITMAP) and the Java and C roaring
// libraries read.
func (s Set) MarshalBinary() ([]byte, error) {
	b := s.bm
	if b == nil {
		b = roaring.New()
	}
	return b.ToBytes()
}

// ReadSet reads a set in the portable roaring format (see
// Set.MarshalBinary) for the view v. The bytes are untrusted: malformed
// input, trailing bytes and IDs that are not live customers of v are errors
// (wrapping ErrCorrupt for malformed input).
func ReadSet(v *View, data []byte) (Set, error) {
	if v == nil {
		return Set{}, fmt.Errorf("bitmapindex: ReadSet needs a view")
	}
	b, err := readBitmap(data)
	if err != nil {
		return Set{}, err
	}
	if !b.IsEmpty() {
		if outside := roaring.AndNot(b, v.live()); !outside.IsEmpty() {
			return Set{}, fmt.Errorf("bitmapindex: set holds %d IDs that are not live customers of the view (first %d)", outside.GetCardinality(), outside.Minimum())
		}
	}
	return Set{v: v, bm: b}, nil
}

// readBitmap decodes exactly one portable roaring bitmap from data.
func readBitmap(data []byte) (*roaring.Bitmap, error) {
	b, n, err := readBitmapPrefix(data)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, corruptf("%d trailing bytes after the bitmap", len(data)-n)
	}
	return b, nil
}

// readBitmapPrefix decodes one portable roaring bitmap at the start of data
// and returns it with the number of bytes it took. The decoder copies what
// it keeps, allocates only for bytes actually present, and the result is
// validated (sorted keys, container cardinalities, run bounds).
func readBitmapPrefix(data []byte) (b *roaring.Bitmap, n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, n, err = nil, 0, corruptf("bitmap: %v", r)
		}
	}()
	b = roaring.New()
	r := bytes.NewReader(data)
	read, err := b.ReadFrom(r)
	if err != nil {
		return nil, 0, corruptf("bitmap: %v", err)
	}
	if err := b.Validate(); err != nil {
		return nil, 0, corruptf("bitmap: %v", err)
	}
	consumed := len(data) - r.Len()
	if read < 0 || int(read) > consumed {
		return nil, 0, corruptf("bitmap: inconsistent length")
	}
	return b, consumed, nil
}
