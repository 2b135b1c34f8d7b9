package bitmapindex

import (
	"encoding/binary"
	"io"

	"github.com/RoaringBitmap/roaring/v2"
)

// Exact bitmaps.
//
// roaring.BitmapOf grows each container by appending one value at a time
// (an array container doubles), and Or then copies the containers it adds
// to the receiver: a bitmap of n IDs built and merged that way allocated
// about three times its size, two of them garbage, and a bulk load is
// mostly such merges. exactBuilder writes the bitmap in roaring's portable
// format into a buffer it reuses and reads it back with ReadFrom, which
// allocates every container at its exact size. Merged into a receiver
// with copy-on-write enabled (every bitmap a writer owns, see cow.go), the
// containers are shared, not copied: both sides mark them copy-on-write,
// and the builder's side is overwritten by its next build.

// exactBuilder builds bitmaps with exact-size containers. It is not safe
// for concurrent use.
type exactBuilder struct {
	buf []byte
	rd  bytesReader
	tmp *roaring.Bitmap
}

// bytesReader reads a byte slice; unlike bytes.Reader it is not an
// allocation per use.
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

const (
	serialCookieNoRun = 12346 // roaring's portable format without run containers
	arrayMaxCard      = 4096  // the largest array container
	bitmapWords       = 1024  // the words of a bitmap container
)

// build returns a bitmap of ids, which must be ascending without repeats.
// The bitmap is the builder's: it is valid until the next build, and only
// to be read or merged into another bitmap (see orInto).
func (eb *exactBuilder) build(ids []uint32) *roaring.Bitmap {
	if eb.tmp == nil {
		eb.tmp = roaring.New()
		eb.tmp.SetCopyOnWrite(true)
	}
	// the containers: a header entry each, then their data
	n, data := 0, 0
	for i := 0; i < len(ids); {
		j := groupEnd(ids, i)
		n++
		if card := j - i; card > arrayMaxCard {
			data += bitmapWords * 8
		} else {
			data += 2 * card
		}
		i = j
	}
	size := 8 + 8*n + data
	if cap(eb.buf) < size {
		eb.buf = make([]byte, size)
	}
	b := eb.buf[:size]
	binary.LittleEndian.PutUint32(b, serialCookieNoRun)
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
	head, off := b[8:], 8+8*n // key and cardinality − 1 per container; the offsets (unread) follow
	for i := 0; i < len(ids); {
		j := groupEnd(ids, i)
		card := j - i
		binary.LittleEndian.PutUint16(head, uint16(ids[i]>>16))
		binary.LittleEndian.PutUint16(head[2:], uint16(card-1))
		head = head[4:]
		if card > arrayMaxCard {
			words := b[off : off+bitmapWords*8]
			clear(words)
			for _, id := range ids[i:j] {
				low := id & 0xffff
				words[low>>3] |= 1 << (low & 7)
			}
			off += bitmapWords * 8
		} else {
			for _, id := range ids[i:j] {
				binary.LittleEndian.PutUint16(b[off:], uint16(id))
				off += 2
			}
		}
		i = j
	}
	eb.rd.b = b
	if _, err := eb.tmp.ReadFrom(&eb.rd); err != nil {
		panic("bitmapindex: reading a built bitmap: " + err.Error()) // cannot happen: the buffer is well formed
	}
	return eb.tmp
}

// groupEnd returns the end of the run of ids from i that share ids[i]'s
// container (its high 16 bits).
func groupEnd(ids []uint32, i int) int {
	hi := ids[i] >> 16
	// a container holds at most 65,536 IDs: look at its last possible one
	if k := i + 0xffff; k < len(ids) && ids[k]>>16 == hi {
		return k + 1
	}
	j := i + 1
	for j < len(ids) && ids[j]>>16 == hi {
		j++
	}
	return j
}

// orInto adds ids (ascending, no repeats) to dst, sharing the new
// containers when dst has copy-on-write enabled.
func (eb *exactBuilder) orInto(dst *roaring.Bitmap, ids []uint32) {
	if len(ids) > 0 {
		dst.Or(eb.build(ids))
	}
}
