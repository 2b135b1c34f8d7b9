package bitmapindex

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/internal/atomicfile"
)

// The snapshot writer: View.WriteTo and Index.Save (the format is described
// in snapshot.go).

type snapWriter struct {
	w       io.Writer
	n       int64
	buf     bytes.Buffer
	err     error
	scratch [binary.MaxVarintLen64]byte
}

func (s *snapWriter) write(p []byte) {
	if s.err != nil {
		return
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	s.err = err
}

func (s *snapWriter) section(typ uint32) {
	if s.err != nil {
		return
	}
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], typ)
	binary.LittleEndian.PutUint64(h[4:], uint64(s.buf.Len()))
	binary.LittleEndian.PutUint32(h[12:], crc32.Checksum(s.buf.Bytes(), crcTable))
	s.write(h[:])
	s.write(s.buf.Bytes())
	s.buf.Reset()
}

func (s *snapWriter) u8(x uint8) { s.buf.WriteByte(x) }
func (s *snapWriter) u32(x uint32) {
	s.buf.Write(binary.LittleEndian.AppendUint32(s.scratch[:0], x))
}
func (s *snapWriter) u64(x uint64) {
	s.buf.Write(binary.LittleEndian.AppendUint64(s.scratch[:0], x))
}
func (s *snapWriter) uvarint(x uint64) {
	s.buf.Write(binary.AppendUvarint(s.scratch[:0], x))
}
func (s *snapWriter) str(x string) {
	s.uvarint(uint64(len(x)))
	s.buf.WriteString(x)
}
func (s *snapWriter) bitmap(b *roaring.Bitmap) {
	if s.err != nil {
		return
	}
	if b == nil {
		b = emptyBitmap
	}
	_, s.err = b.WriteTo(&s.buf)
}

// WriteTo writes the view as a versioned snapshot (see Read). It returns the
// number of bytes written.
func (v *View) WriteTo(w io.Writer) (int64, error) {
	s := &snapWriter{w: w}
	s.write([]byte(snapMagic))
	s.write(binary.LittleEndian.AppendUint32(nil, snapWriteVersion))

	// meta
	if v.zone.fixed {
		s.u8(1)
	} else {
		s.u8(0)
	}
	s.str(v.zone.name)
	s.u32(uint32(int32(v.zone.offset)))
	if v.strict {
		s.u8(1)
	} else {
		s.u8(0)
	}
	s.u32(v.keys.n)
	s.section(secMeta)

	// keys
	live := v.live()
	isLive := live.Contains
	if c := live.GetCardinality(); c > 0 && uint64(live.Maximum())+1 == c {
		isLive = func(id uint32) bool { return uint64(id) < c } // live is 0..c-1
	}
	s.bitmap(live)
	for id := range roaring.Values(live) {
		k, _ := v.keys.key(id)
		s.str(k)
	}
	s.section(secKeys)

	// schema
	schema := sortedSchema(v.st.schema)
	s.uvarint(uint64(len(schema)))
	for _, a := range schema {
		s.str(a.Name)
		s.u8(uint8(a.Kind))
		s.u8(uint8(a.Scale))
	}
	s.section(secSchema)

	for _, name := range slices.Sorted(maps.Keys(v.st.tags)) {
		s.str(name)
		s.bitmap(v.st.tags[name].b)
		s.section(secTag)
	}

	for _, def := range schema {
		a := v.st.attrs[def.Name]
		if a == nil {
			continue
		}
		s.str(def.Name)
		s.bitmap(a.present.bits())
		if def.Kind.numeric() && !a.wide {
			// few values: the value bitmaps (the bit slices follow from them)
			s.u64(a.ref)
			s.u8(1)
			us := slices.Sorted(maps.Keys(a.vals))
			s.uvarint(uint64(len(us)))
			for _, u := range us {
				s.u64(u)
				s.bitmap(a.vals[u].b)
			}
		} else if def.Kind.numeric() {
			s.u64(a.ref)
			layout := uint8(0)
			if a.days != nil {
				layout = 2
			}
			s.u8(layout)
			var mask uint64
			for i, p := range a.slices {
				if !p.empty() {
					mask |= 1 << uint(i)
				}
			}
			s.u64(mask)
			for i, p := range a.slices {
				if mask&(1<<uint(i)) != 0 {
					s.bitmap(p.b)
				}
			}
			if a.days != nil {
				ds := slices.Sorted(maps.Keys(a.days))
				s.uvarint(uint64(len(ds)))
				for _, d := range ds {
					s.u32(uint32(int32(d)))
					s.bitmap(a.days[d].b)
				}
			}
		} else {
			vals := slices.Sorted(maps.Keys(a.dict))
			s.uvarint(uint64(len(vals)))
			for _, val := range vals {
				s.str(val)
				s.bitmap(a.dict[val].b)
			}
		}
		s.section(secAttr)
	}

	s.writeEvDecl(v.evDecl)
	for _, name := range slices.Sorted(maps.Keys(v.st.events)) {
		e := v.st.events[name]
		for _, d := range slices.Sorted(maps.Keys(e.days)) {
			n := e.days[d]
			s.str(name)
			s.u32(uint32(int32(d)))
			s.bitmap(n.one.bits())
			top := len(n.extra)
			for top > 0 && n.extra[top-1].empty() {
				top--
			}
			s.uvarint(uint64(top))
			for _, x := range n.extra[:top] {
				s.bitmap(x.bits())
			}
			s.section(secDay)
		}
		for _, b := range slices.Sorted(maps.Keys(e.blocks)) {
			if snapWriteVersion >= 3 {
				break // derived from the days on load
			}
			n := e.blocks[b]
			if n.any.empty() {
				continue // everyone in it was deleted
			}
			s.str(name)
			s.u32(uint32(b))
			cnt := n.countsOrSum(e, b)
			top := len(cnt)
			for top > 0 && cnt[top-1].empty() {
				top--
			}
			s.uvarint(uint64(top))
			for _, x := range cnt[:top] {
				s.bitmap(x.bits())
			}
			s.section(secBlock)
		}
		for _, d := range slices.Sorted(maps.Keys(e.first)) {
			if e.first[d].empty() {
				continue
			}
			s.str(name)
			s.u32(uint32(int32(d)))
			s.bitmap(e.first[d].b)
			s.section(secFirst)
		}
		var entries int
		flush := func() {
			// The section is built as count-less entries, then prefixed.
			body := slices.Clone(s.buf.Bytes())
			s.buf.Reset()
			s.str(name)
			s.uvarint(uint64(entries))
			s.buf.Write(body)
			s.section(secTotals)
			entries = 0
		}
		// Version 2's section holds each customer's whole sum: the sum not
		// held by occurrences (totals) plus the values in the columns.
		// Both are in ascending ID order.
		put := func(id uint32, f float64) {
			if f == 0 || !isLive(id) {
				return
			}
			s.u32(id)
			s.u64(math.Float64bits(f))
			entries++
			if entries == maxTotalsPerSection {
				flush()
			}
		}
		var legacy []idValue
		for _, ci := range slices.Sorted(maps.Keys(e.totals)) {
			e.totals[ci].each(func(off uint32, f float64) { legacy = append(legacy, idValue{ci*chunkSize + off, f}) })
		}
		if snapWriteVersion >= 3 {
			// only the sums not held by occurrences (from a version-1
			// snapshot): the columns hold the rest
			for _, l := range legacy {
				put(l.id, l.f)
			}
			if entries > 0 {
				flush()
			}
			s.writeEventCols(name, e, isLive)
			continue
		}
		e.eachColSum(func(id uint32, f float64) {
			for len(legacy) > 0 && legacy[0].id < id {
				put(legacy[0].id, legacy[0].f)
				legacy = legacy[1:]
			}
			if len(legacy) > 0 && legacy[0].id == id {
				f += legacy[0].f
				legacy = legacy[1:]
			}
			put(id, f)
		})
		for _, l := range legacy {
			put(l.id, l.f)
		}
		if entries > 0 {
			flush()
		}
		s.writeEventCols(name, e, isLive)
	}
	s.section(secEnd)
	if s.err != nil {
		return s.n, fmt.Errorf("bitmapindex: write snapshot: %w", s.err)
	}
	return s.n, nil
}

// Save writes a snapshot of the index's current state to path atomically:
// it writes a temporary file in the same directory, syncs it, renames it
// over path and syncs the directory, so a crash leaves either the previous
// file or the new one, never a mix. The file gets mode 0644. Temporary files
// left by interrupted saves of the same path are removed (internal/atomicfile
// writes it, as it writes every file segkit writes).
func (ix *Index) Save(path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	defer f.Abort()
	if _, err := ix.View().WriteTo(f); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	return nil
}
