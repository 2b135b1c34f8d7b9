package bitmapindex

import (
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Checking a snapshot's day bitmaps of a time attribute against its bit
// slices.
//
// Two bit-sliced comparisons per day (each up to 64 whole-bitmap
// operations) cost 5–6 s at 10M customers whose signup instants span a few
// thousand days. dayOutOfBounds instead walks the customers in windows of
// dayCheckWindow IDs: it rebuilds each customer's stored value from the
// slices' members in the window, then checks each day's members in the
// window against that day's bounds. Every slice and day bitmap is read once,
// through a cursor that carries over to the next window, and the transient
// memory is one window of values.

// dayCheckWindow is the number of IDs whose values are rebuilt at a time.
const dayCheckWindow = 1 << 16

// dayBounds is a day bitmap and the range of u (the stored value: the
// slices XOR the reference) its members must have.
type dayBounds struct {
	day    segkit.Day
	b      *roaring.Bitmap
	lo, hi uint64
}

// cursor walks a bitmap's members in increasing order, a window at a time.
type cursor struct {
	it     roaring.ManyIntIterable
	buf    []uint32
	pos, n int
}

func newCursor(b *roaring.Bitmap) *cursor {
	return &cursor{it: b.ManyIterator(), buf: make([]uint32, 256)}
}

// next returns the members below end not returned yet, in the cursor's
// buffer (valid until the next call), or nil when none is left below end;
// call it until it returns nil.
func (c *cursor) next(end uint64) []uint32 {
	if c.pos == c.n {
		c.n, c.pos = c.it.NextMany(c.buf), 0
		if c.n == 0 {
			return nil
		}
	}
	rest := c.buf[c.pos:c.n]
	if uint64(rest[len(rest)-1]) < end {
		c.pos = c.n
		return rest
	}
	k := 0
	for k < len(rest) && uint64(rest[k]) < end {
		k++
	}
	c.pos += k
	if k == 0 {
		return nil
	}
	return rest[:k]
}

// dayOutOfBounds returns the index of a day one of whose members has its
// value u (bit i is membership in slices[i] XOR bit i of ref) outside the
// day's bounds, or -1 when every member's value is within its day's bounds.
// slices (nil: no member) and the day bitmaps are only read.
func dayOutOfBounds(slices []*roaring.Bitmap, ref uint64, days []dayBounds) int {
	var end uint64
	for _, d := range days {
		if !d.b.IsEmpty() {
			end = max(end, uint64(d.b.Maximum())+1)
		}
	}
	sc := make([]*cursor, len(slices))
	for i, s := range slices {
		if s == nil { // no member: the bit is ref's
			s = emptyBitmap
		}
		sc[i] = newCursor(s)
	}
	dc := make([]*cursor, len(days))
	for i, d := range days {
		dc[i] = newCursor(d.b)
	}
	vals := make([]uint64, dayCheckWindow)
	for base := uint64(0); base < end; base += dayCheckWindow {
		clear(vals)
		stop := base + dayCheckWindow
		for i, c := range sc {
			bit := uint64(1) << uint(i)
			for xs := c.next(stop); xs != nil; xs = c.next(stop) {
				for _, x := range xs {
					vals[uint64(x)-base] |= bit
				}
			}
		}
		for i, c := range dc {
			lo, hi := days[i].lo, days[i].hi
			for xs := c.next(stop); xs != nil; xs = c.next(stop) {
				for _, x := range xs {
					if u := vals[uint64(x)-base] ^ ref; u < lo || u > hi {
						return i
					}
				}
			}
		}
	}
	return -1
}
