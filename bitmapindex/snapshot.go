package bitmapindex

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Snapshot format (all integers little-endian):
//
//	file    = magic "SEGKITIX" | version u32 | section* | end section
//	section = type u32 | length u64 | crc u32 | payload[length]
//
// crc is CRC-32C (Castagnoli) of the payload. Sections, in this order:
// meta (once), keys (once), schema (once), then any number of tag, attr,
// day and totals sections, then end (empty payload, nothing after it).
// Strings are a uvarint length and the bytes; bitmaps are roaring's
// portable format (RoaringFormatSpec), validated on read.
//
//	meta   = zone-fixed u8 | zone-name str | zone-offset i32 | strict u8 | ids u32
//	keys   = live bitmap | key str per live ID in ID order
//	schema = count uvarint | (name str | kind u8 | scale u8)*
//	tag    = name str | bitmap
//	attr   = name str | present bitmap | category, set: count uvarint | (value str | bitmap)*
//	                                   | numeric: ref u64 | 1 u8 | count uvarint | (value u64 | bitmap)*
//	                                   | numeric: ref u64 | 0 u8 | mask u64 | bitmap per set bit of mask
//	                                   | time:    ref u64 | 2 u8 | mask u64 | bitmap per set bit of mask
//	                                                      | count uvarint | (day i32 | bitmap)*   (ascending days)
//
// Numeric values are in the ordered form (int64 XOR 2^63); bit slices hold
// the bits of value XOR ref. Attributes with few distinct values are stored
// as value bitmaps, the others as bit slices; time attributes stored as bit
// slices also store their day bitmaps (layout 2; the day bitmaps of value
// bitmaps are derived on load). A time attribute in layout 0 (written
// before day bitmaps existed) is read without them and answered from its
// bit slices.
//	day    = event str | day i32 | one bitmap | count uvarint | extra bitmap*
//	totals = event str | count uvarint | (id u32 | value f64)*   (ascending IDs)
//	block  = event str | block i32 | count uvarint | cnt bitmap*   (bit slices of the counts)
//	first  = event str | day i32 | bitmap
//
// What is kept: keys of live customers and the ID count (deleted IDs are
// never reused after a load), tags, the schema and every attribute value,
// per event and day who did it and how often, per event and customer the
// sum of recorded values, and the event aggregates (16-day block counters
// and first-occurrence days). The aggregates are derived from the days but
// costly to recompute, so they are stored, protected by the checksums like
// everything else, and checked structurally on load (a block for exactly
// the blocks that have days, first occurrences disjoint and within their
// day, together everyone with an occurrence); block counts are not recounted
// from the days.

const (
	snapMagic   = "SEGKITIX"
	snapVersion = 2 // 2: event values and properties (eventcols_snap.go); 1 still loads
)

const (
	secEnd uint32 = iota
	secMeta
	secKeys
	secSchema
	secTag
	secAttr
	secDay
	secTotals
	secBlock
	secFirst
	secProps // eventcols_snap.go
	secOcc   // eventcols_snap.go
)

// maxTotalsPerSection bounds the entries of one totals section.
const maxTotalsPerSection = 1 << 16

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ---- writing ---------------------------------------------------------------

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
	s.write(binary.LittleEndian.AppendUint32(nil, snapVersion))

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
			n := e.blocks[b]
			if n.any.empty() {
				continue // everyone in it was deleted
			}
			s.str(name)
			s.u32(uint32(b))
			top := len(n.cnt)
			for top > 0 && n.cnt[top-1].empty() {
				top--
			}
			s.uvarint(uint64(top))
			for _, x := range n.cnt[:top] {
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
		for _, ci := range slices.Sorted(maps.Keys(e.totals)) {
			c := e.totals[ci]
			for j, f := range c.v {
				if f == 0 {
					continue
				}
				id := ci*chunkSize + uint32(j)
				if !live.Contains(id) {
					continue
				}
				s.u32(id)
				s.u64(math.Float64bits(f))
				entries++
				if entries == maxTotalsPerSection {
					flush()
				}
			}
		}
		if entries > 0 {
			flush()
		}
		s.writeEventCols(name, e, live.Contains)
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
// file or the new one, never a mix.
func (ix *Index) Save(path string) (err error) {
	v := ix.View()
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err = v.WriteTo(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bitmapindex: save: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil {
			return fmt.Errorf("bitmapindex: save: sync directory: %w", serr)
		}
	}
	return nil
}

// ---- reading ---------------------------------------------------------------

// dec decodes a section payload with bounds checks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = corruptf(format, args...)
	}
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("truncated section")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) u8() uint8 {
	p := d.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *dec) u32() uint32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

func (d *dec) u64() uint64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

// count reads an element count and checks that the remaining bytes can hold
// that many elements of at least minSize bytes each.
func (d *dec) count(minSize int) int {
	x := d.uvarint()
	if d.err == nil && x > uint64(len(d.b)/minSize) {
		d.fail("count %d exceeds the section", x)
		return 0
	}
	return int(x)
}

func (d *dec) str() string {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("string length %d exceeds the section", n)
		return ""
	}
	return string(d.take(int(n)))
}

// bitmap reads a bitmap whose members must all be below limit.
func (d *dec) bitmap(limit uint32) *roaring.Bitmap {
	if d.err != nil {
		return nil
	}
	b, n, err := readBitmapPrefix(d.b)
	if err != nil {
		d.err = err
		return nil
	}
	d.b = d.b[n:]
	if !b.IsEmpty() && uint64(b.Maximum()) >= uint64(limit) {
		d.fail("bitmap member %d beyond the ID count %d", b.Maximum(), limit)
		return nil
	}
	return b
}

func (d *dec) end() {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d unexpected bytes at the end of a section", len(d.b))
	}
}

// Load reads a snapshot file written by Save or View.WriteTo.
func Load(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bitmapindex: load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("bitmapindex: load: %w", err)
	}
	return read(bufio.NewReaderSize(f, 1<<20), st.Size())
}

// Read reads a snapshot written by View.WriteTo into a new Index. The bytes
// are untrusted: truncated, corrupted or hostile input returns an error
// (wrapping ErrCorrupt) and never panics; memory is allocated only for bytes
// actually read (section lengths are not trusted), plus the indexes rebuilt
// from them.
func Read(r io.Reader) (*Index, error) {
	size := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	return read(r, size)
}

// read reads a snapshot; size is the number of bytes r holds, or -1 when
// unknown. With a known size, a section is read into a buffer of exactly its
// length after checking that the input holds that many bytes; otherwise the
// buffer grows only as bytes arrive.
func read(r io.Reader, size int64) (ix *Index, err error) {
	defer func() {
		if p := recover(); p != nil {
			ix, err = nil, corruptf("snapshot: %v", p)
		}
	}()
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, corruptf("snapshot header: %v", err)
	}
	if string(head[:8]) != snapMagic {
		return nil, corruptf("not a segkit index snapshot (bad magic)")
	}
	if v := binary.LittleEndian.Uint32(head[8:]); v != snapVersion && v != 1 {
		return nil, fmt.Errorf("bitmapindex: snapshot version %d not supported (want %d)", v, snapVersion)
	}
	ld := &loader{}
	var buf bytes.Buffer
	var scratch []byte
	consumed := int64(12)
	for i := 0; ; i++ {
		var h [16]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, corruptf("section %d header: %v", i, err)
		}
		typ := binary.LittleEndian.Uint32(h[0:])
		length := binary.LittleEndian.Uint64(h[4:])
		sum := binary.LittleEndian.Uint32(h[12:])
		if length > math.MaxInt64 {
			return nil, corruptf("section %d length %d", i, length)
		}
		var payload []byte
		if size >= 0 {
			remaining := size - consumed - 16
			if int64(length) > remaining {
				return nil, corruptf("section %d length %d exceeds the %d bytes left", i, length, remaining)
			}
			if cap(scratch) < int(length) {
				scratch = make([]byte, length)
			}
			payload = scratch[:length]
			if _, err := io.ReadFull(r, payload); err != nil {
				return nil, corruptf("section %d truncated: %v", i, err)
			}
		} else {
			buf.Reset()
			// CopyN grows the buffer only as bytes arrive: a lying length
			// cannot make us allocate more than the input holds.
			if n, err := io.CopyN(&buf, r, int64(length)); err != nil {
				return nil, corruptf("section %d truncated after %d of %d bytes", i, n, length)
			}
			payload = buf.Bytes()
		}
		consumed += 16 + int64(length)
		if crc32.Checksum(payload, crcTable) != sum {
			return nil, corruptf("section %d (type %d) checksum mismatch", i, typ)
		}
		if typ == secKeys {
			// the key table keeps this payload as its first chunk
			if size >= 0 {
				scratch = nil
			} else {
				payload = bytes.Clone(payload)
			}
		}
		if typ == secEnd {
			if length != 0 {
				return nil, corruptf("end section with payload")
			}
			var one [1]byte
			if n, _ := io.ReadFull(r, one[:]); n != 0 {
				return nil, corruptf("bytes after the end section")
			}
			break
		}
		if err := ld.section(i, typ, payload); err != nil {
			return nil, err
		}
	}
	return ld.finish()
}

// loader assembles an index from snapshot sections.
type loader struct {
	ix       *Index
	w        wctx
	st       *state
	stage    uint32 // last of meta/keys/schema seen
	idCount  uint32
	strict   bool
	zone     zoneInfo
	seenTag  map[string]bool
	seenAttr map[string]bool
	seenDay  map[string]map[segkit.Day]bool
	// lastTotal is the last ID with a value read per event.
	lastTotal map[string]int64
	// liveDense: the live customers are exactly 0..liveCard-1.
	liveDense bool
	liveCard  uint32
}

func (ld *loader) section(i int, typ uint32, payload []byte) error {
	d := &dec{b: payload}
	switch {
	case typ == secMeta && ld.stage == 0:
		ld.readMeta(d)
	case typ == secKeys && ld.stage == secMeta:
		ld.readKeys(d)
	case typ == secSchema && ld.stage == secKeys:
		ld.readSchema(d)
	case ld.stage < secSchema:
		return corruptf("section %d: type %d out of order", i, typ)
	case typ == secTag:
		ld.readTag(d)
	case typ == secAttr:
		ld.readAttr(d)
	case typ == secDay:
		ld.readDay(d)
	case typ == secTotals:
		ld.readTotals(d)
	case typ == secBlock:
		ld.readBlock(d)
	case typ == secFirst:
		ld.readFirst(d)
	case typ == secProps:
		ld.readProps(d)
	case typ == secOcc:
		ld.readOcc(d)
	default:
		return corruptf("section %d: unknown or repeated type %d", i, typ)
	}
	d.end()
	if d.err != nil {
		return fmt.Errorf("section %d: %w", i, d.err)
	}
	return nil
}

func (ld *loader) readMeta(d *dec) {
	fixed := d.u8()
	name := d.str()
	off := int32(d.u32())
	strict := d.u8()
	ld.idCount = d.u32()
	if d.err != nil {
		return
	}
	if fixed > 1 || strict > 1 {
		d.fail("bad flags")
		return
	}
	ld.zone = zoneInfo{name: name, fixed: fixed == 1, offset: int(off)}
	loc, err := ld.zone.location()
	if err != nil {
		d.err = err
		return
	}
	ld.strict = strict == 1
	ix := newIndex(loc, ld.zone, ld.strict)
	ld.ix, ld.w, ld.st = ix, wctx{gen: 1, tz: ix.tz}, ix.cur
	ld.seenTag, ld.seenAttr, ld.seenDay = map[string]bool{}, map[string]bool{}, map[string]map[segkit.Day]bool{}
	ld.stage = secMeta
}

func (ld *loader) readKeys(d *dec) {
	live := d.bitmap(ld.idCount)
	if d.err != nil {
		return
	}
	problem, ok := ld.ix.keys.loadBase(ld.idCount, live, d.b)
	if !ok {
		d.fail("keys: %s", problem)
		return
	}
	d.b = nil
	ld.st.live = &bm{b: live.Clone(), gen: 1}
	if c := live.GetCardinality(); c > 0 && uint64(live.Maximum())+1 == c {
		ld.liveDense, ld.liveCard = true, uint32(c)
	}
	ld.stage = secKeys
}

func (ld *loader) readSchema(d *dec) {
	n := d.count(3)
	for range n {
		a := Attribute{Name: d.str(), Kind: Kind(d.u8()), Scale: int(d.u8())}
		if d.err != nil {
			return
		}
		if err := a.validate(); err != nil {
			d.fail("schema: %v", err)
			return
		}
		if _, dup := ld.st.schema[a.Name]; dup {
			d.fail("schema: attribute %q twice", a.Name)
			return
		}
		ld.st.schema[a.Name] = a
	}
	ld.stage = secSchema
}

// member reads a bitmap that must hold live customers only.
func (ld *loader) member(d *dec) *roaring.Bitmap {
	b := d.bitmap(ld.idCount)
	if d.err != nil || b.IsEmpty() {
		return b
	}
	if ld.liveDense { // live is 0..n-1: a bound check suffices
		if b.Maximum() >= ld.liveCard {
			d.fail("bitmap holds customers that are not live")
			return nil
		}
		return b
	}
	if b.AndCardinality(ld.st.live.b) != b.GetCardinality() {
		d.fail("bitmap holds customers that are not live")
		return nil
	}
	return b
}

func (ld *loader) readTag(d *dec) {
	name := d.str()
	b := ld.member(d)
	if d.err != nil {
		return
	}
	if name == "" || ld.seenTag[name] {
		d.fail("tag %q empty or repeated", name)
		return
	}
	ld.seenTag[name] = true
	ld.st.tags[name] = &bm{b: b, gen: 1}
}

func (ld *loader) readAttr(d *dec) {
	name := d.str()
	if d.err != nil {
		return
	}
	def, ok := ld.st.schema[name]
	if !ok || ld.seenAttr[name] {
		d.fail("attribute %q undeclared or repeated", name)
		return
	}
	ld.seenAttr[name] = true
	a := newAttr(ld.w, def)
	present := ld.member(d)
	if d.err != nil {
		return
	}
	a.present = &bm{b: present, gen: 1}
	if def.Kind.numeric() {
		a.ref = d.u64()
		a.hasRef = !present.IsEmpty()
		narrow := d.u8()
		if d.err != nil {
			return
		}
		switch narrow {
		case 1:
			ld.readVals(d, a, present)
			if d.err == nil {
				ld.st.attrs[name] = a
			}
			return
		case 0:
			if def.Kind == KindBool {
				d.fail("attribute %q: bool stored as bit slices", name)
				return
			}
			a.days = nil // written before day bitmaps: the bit slices answer
		case 2:
			if def.Kind != KindTime {
				d.fail("attribute %q: day bitmaps of a %s attribute", name, def.Kind)
				return
			}
		default:
			d.fail("attribute %q: bad layout %d", name, narrow)
			return
		}
		a.wide, a.vals = true, nil
		mask := d.u64()
		for i := range 64 {
			if mask&(1<<uint(i)) == 0 {
				continue
			}
			s := ld.member(d)
			if d.err != nil {
				return
			}
			if s.AndCardinality(present) != s.GetCardinality() {
				d.fail("attribute %q: bit slice beyond the present customers", name)
				return
			}
			a.slices[i] = &bm{b: s, gen: 1}
		}
		if narrow == 2 {
			ld.readDays(d, a, present)
		}
	} else {
		n := d.count(2)
		var parts []*roaring.Bitmap
		var total uint64
		for range n {
			val := d.str()
			b := ld.member(d)
			if d.err != nil {
				return
			}
			if _, dup := a.dict[val]; dup || b.IsEmpty() {
				d.fail("attribute %q: value %q repeated or empty", name, val)
				return
			}
			a.dict[val] = &bm{b: b, gen: 1}
			parts = append(parts, b)
			total += b.GetCardinality()
		}
		union := roaring.FastOr(parts...)
		if !union.Equals(present) {
			d.fail("attribute %q: values do not match the present customers", name)
			return
		}
		if def.Kind == KindCategory && total != present.GetCardinality() {
			d.fail("attribute %q: a customer has two category values", name)
			return
		}
	}
	ld.st.attrs[name] = a
}

// readDays reads the day bitmaps of a time attribute stored as bit slices
// and checks them against the slices: they partition the present customers,
// and each day's customers have values within that day.
func (ld *loader) readDays(d *dec, a *attr, present *roaring.Bitmap) {
	n := d.count(5)
	if d.err != nil {
		return
	}
	slices := a.sliceBitmaps()
	var parts []*roaring.Bitmap
	var total uint64
	last := minDay
	for i := range n {
		day := segkit.Day(int32(d.u32()))
		b := ld.member(d)
		if d.err != nil {
			return
		}
		if (i > 0 && day <= last) || b.IsEmpty() {
			d.fail("attribute %q: day bitmaps out of order or empty", a.def.Name)
			return
		}
		last = day
		lo := ordered(a.tz.Start(day).Unix())
		hi := ordered(a.tz.End(day).Unix())
		card := b.GetCardinality()
		if oneil(b, slices, a.ref, Ge, lo).GetCardinality() != card || oneil(b, slices, a.ref, Le, hi).GetCardinality() != card {
			d.fail("attribute %q: day %s holds values of other days", a.def.Name, day)
			return
		}
		a.days[day] = &bm{b: b, gen: 1}
		parts = append(parts, b)
		total += card
	}
	if total != present.GetCardinality() || !roaring.FastOr(parts...).Equals(present) {
		d.fail("attribute %q: day bitmaps do not partition the present customers", a.def.Name)
	}
}

// readVals reads the value bitmaps of a numeric attribute and derives its
// bit slices.
func (ld *loader) readVals(d *dec, a *attr, present *roaring.Bitmap) {
	n := d.count(9)
	if d.err != nil {
		return
	}
	if n > maxValueBitmaps {
		d.fail("attribute %q: %d value bitmaps", a.def.Name, n)
		return
	}
	var parts []*roaring.Bitmap
	var total uint64
	var bitsOf [64][]*roaring.Bitmap
	last := uint64(0)
	for i := range n {
		u := d.u64()
		b := ld.member(d)
		if d.err != nil {
			return
		}
		if (i > 0 && u <= last) || b.IsEmpty() {
			d.fail("attribute %q: value bitmaps out of order or empty", a.def.Name)
			return
		}
		if a.def.Kind == KindBool && u != ordered(0) && u != ordered(1) {
			d.fail("attribute %q: bool value %d", a.def.Name, unordered(u))
			return
		}
		last = u
		a.vals[u] = &bm{b: b, gen: 1}
		parts = append(parts, b)
		total += b.GetCardinality()
		for x := u ^ a.ref; x != 0; x &= x - 1 {
			bit := bits.TrailingZeros64(x)
			bitsOf[bit] = append(bitsOf[bit], b)
		}
	}
	if total != present.GetCardinality() || !roaring.FastOr(parts...).Equals(present) {
		d.fail("attribute %q: value bitmaps do not partition the present customers", a.def.Name)
		return
	}
	for i, bs := range bitsOf {
		if len(bs) > 0 {
			a.slices[i] = &bm{b: roaring.FastOr(bs...), gen: 1}
		}
	}
	if a.days != nil {
		byDay := map[segkit.Day][]*roaring.Bitmap{}
		for u, p := range a.vals {
			byDay[a.dayOf(u)] = append(byDay[a.dayOf(u)], p.b)
		}
		for day, bs := range byDay {
			a.days[day] = &bm{b: roaring.FastOr(bs...), gen: 1}
		}
	}
}

func (ld *loader) readDay(d *dec) {
	name := d.str()
	day := segkit.Day(int32(d.u32()))
	one := ld.member(d)
	n := d.count(8)
	if d.err != nil {
		return
	}
	if name == "" {
		d.fail("empty event name")
		return
	}
	if ld.seenDay[name] == nil {
		ld.seenDay[name] = map[segkit.Day]bool{}
	}
	if ld.seenDay[name][day] {
		d.fail("event %q day %s repeated", name, day)
		return
	}
	ld.seenDay[name][day] = true
	dn := &dayNode{gen: 1, one: &bm{b: one, gen: 1}}
	for range n {
		x := ld.member(d)
		if d.err != nil {
			return
		}
		if x.AndCardinality(one) != x.GetCardinality() {
			d.fail("event %q day %s: count beyond the day's customers", name, day)
			return
		}
		dn.extra = append(dn.extra, &bm{b: x, gen: 1})
	}
	e := ld.st.events[name]
	if e == nil {
		e = newEvent(ld.w)
		ld.st.events[name] = e
	}
	e.days[day] = dn
	if !e.has || day > e.maxDay {
		e.maxDay = day
	}
	if !e.has || day < e.minDay {
		e.minDay = day
	}
	e.has = true
}

// eventOf returns the event a block or first section refers to: one whose
// days were read before.
func (ld *loader) eventOf(d *dec, name string) *event {
	e := ld.st.events[name]
	if e == nil {
		d.fail("section for event %q before its days", name)
	}
	return e
}

func (ld *loader) readBlock(d *dec) {
	name := d.str()
	b := int32(d.u32())
	n := d.count(8)
	if d.err != nil {
		return
	}
	e := ld.eventOf(d, name)
	if e == nil {
		return
	}
	if e.blocks[b] != nil {
		d.fail("event %q block %d repeated", name, b)
		return
	}
	bn := &blockNode{gen: 1}
	var slices []*roaring.Bitmap
	for range n {
		x := ld.member(d)
		if d.err != nil {
			return
		}
		bn.cnt = append(bn.cnt, &bm{b: x, gen: 1})
		slices = append(slices, x)
	}
	bn.any = &bm{b: roaring.FastOr(slices...), gen: 1}
	if bn.any.b.IsEmpty() {
		d.fail("event %q block %d is empty", name, b)
		return
	}
	e.blocks[b] = bn
}

func (ld *loader) readFirst(d *dec) {
	name := d.str()
	day := segkit.Day(int32(d.u32()))
	x := ld.member(d)
	if d.err != nil {
		return
	}
	e := ld.eventOf(d, name)
	if e == nil {
		return
	}
	dn := e.days[day]
	if e.first[day] != nil || dn == nil || x.IsEmpty() || x.AndCardinality(dn.one.b) != x.GetCardinality() {
		d.fail("event %q: first occurrences on %s repeated, empty or beyond the day's customers", name, day)
		return
	}
	e.first[day] = &bm{b: x, gen: 1}
}

func (ld *loader) readTotals(d *dec) {
	name := d.str()
	n := d.count(12)
	if d.err != nil {
		return
	}
	e := ld.st.events[name]
	if e == nil {
		d.fail("totals for unknown event %q", name)
		return
	}
	if ld.lastTotal == nil {
		ld.lastTotal = map[string]int64{}
	}
	last, seen := ld.lastTotal[name]
	if !seen {
		last = -1
	}
	var c *chunk
	var ci uint32
	for range n {
		id := d.u32()
		f := math.Float64frombits(d.u64())
		if d.err != nil {
			return
		}
		// ascending IDs across all of the event's sections: no repeats
		isLive := (ld.liveDense && id < ld.liveCard) || (!ld.liveDense && ld.st.live.b.Contains(id))
		if int64(id) <= last || !isLive || math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
			d.fail("event %q: bad value entry for ID %d", name, id)
			return
		}
		last = int64(id)
		if c == nil || id/chunkSize != ci {
			ci = id / chunkSize
			if c = e.totals[ci]; c == nil {
				c = &chunk{gen: ld.w.gen}
				e.totals[ci] = c
			}
		}
		c.v[id%chunkSize] = f
	}
	ld.lastTotal[name] = last
}

// finish rebuilds derived structures and returns the index.
func (ld *loader) finish() (*Index, error) {
	if ld.stage < secSchema {
		return nil, corruptf("snapshot ends before its schema")
	}
	for name, e := range ld.st.events {
		if err := e.checkLoaded(name); err != nil {
			return nil, err
		}
		// totals only for customers with occurrences
		for ci, c := range e.totals {
			for j, f := range c.v {
				if f != 0 && !e.ever.contains(ci*chunkSize+uint32(j)) {
					return nil, corruptf("event value for a customer without occurrences")
				}
			}
		}
	}
	return ld.ix, nil
}
