package bitmapindex

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"math/bits"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/atomicfile"
)

// The snapshot reader: Read and Load, which validate everything they read
// (the format and what is checked are described in snapshot.go).

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

// recoveredPanic, when set (by tests and fuzz targets), sees every panic
// that read recovers into an error: a recovered panic is still a bug, which
// FuzzRead must report rather than pass as a rejected input.
var recoveredPanic func(p any)

// Load reads a snapshot file written by Save or View.WriteTo. It removes
// temporary files left by interrupted saves of the same path, as Save does.
func Load(path string) (*Index, error) {
	atomicfile.RemoveStale(path)
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
			if recoveredPanic != nil {
				recoveredPanic(p)
			}
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
	version := binary.LittleEndian.Uint32(head[8:])
	if version < 1 || version > snapVersion {
		return nil, fmt.Errorf("bitmapindex: snapshot version %d not supported (want %d)", version, snapVersion)
	}
	ld := &loader{version: version}
	// tasks started by sections run while later sections are read; every
	// return waits for them
	defer ld.bg.wait()
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
		if typ == secKeys || typ == secOcc {
			// the key table keeps this payload's keys as its records, and
			// an occ section is decoded beside the following ones: both
			// hold on to it
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
			// a task of an earlier section may have failed first
			if at, berr := ld.bg.wait(); berr != nil && at < i {
				return nil, berr
			}
			return nil, err
		}
	}
	if _, err := ld.bg.wait(); err != nil {
		return nil, err
	}
	return ld.finish()
}

// loadTasks runs checks and rebuilds of a snapshot's load in goroutines,
// while the loader reads later sections: on two cores, the key table is
// built while the bitmaps are decoded. A task's panic is recovered into an
// error (and shown to recoveredPanic), as read recovers its own.
type loadTasks struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
	at  int // the section whose task returned err
	// sem bounds the tasks of startLimited running or waiting to run (and
	// the section payloads they hold)
	sem chan struct{}
}

// startLimited runs f for section i, as start does, once fewer than twice
// GOMAXPROCS such tasks are unfinished: a snapshot of many small sections
// cannot start a goroutine for each.
func (g *loadTasks) startLimited(i int, f func() error) {
	if g.sem == nil {
		g.sem = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	}
	g.sem <- struct{}{}
	g.start(i, func() error {
		defer func() { <-g.sem }()
		return f()
	})
}

// start runs f for section i.
func (g *loadTasks) start(i int, f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					if recoveredPanic != nil {
						recoveredPanic(p)
					}
					err = corruptf("snapshot: %v", p)
				}
			}()
			return f()
		}()
		if err != nil {
			g.mu.Lock()
			if g.err == nil || i < g.at {
				g.err, g.at = err, i
			}
			g.mu.Unlock()
		}
	}()
}

// wait waits for every task started and returns the earliest section
// whose task failed, with its error.
func (g *loadTasks) wait() (int, error) {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.at, g.err
}

// loader assembles an index from snapshot sections.
type loader struct {
	ix       *Index
	version  uint32 // the snapshot's
	bg       loadTasks
	cur      int // the section being read
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
	// occSeen: the days whose columns were read (decoded in the background)
	occSeen map[*dayNode]bool
}

func (ld *loader) section(i int, typ uint32, payload []byte) error {
	d := &dec{b: payload}
	ld.cur = i
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
	case typ == secBlock && ld.version < 3:
		ld.readBlock(d)
	case typ == secFirst:
		ld.readFirst(d)
	case typ == secProps:
		ld.readProps(d)
	case typ == secOcc:
		ld.readOcc(d)
	case typ == secEvDecl:
		ld.readEvDecl(d)
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
	// the key table is built while the next sections are read: it needs
	// nothing else, and nothing else needs it before finish
	keys, ids, area, i := ld.ix.keys, ld.idCount, d.b, ld.cur
	ld.bg.start(i, func() error {
		if problem, ok := keys.loadBase(ids, live, area); !ok {
			return fmt.Errorf("section %d: %w", i, corruptf("keys: %s", problem))
		}
		return nil
	})
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
	var parts []*roaring.Bitmap
	var bounds []dayBounds
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
		a.days[day] = &bm{b: b, gen: 1}
		parts = append(parts, b)
		bounds = append(bounds, dayBounds{day: day, b: b, lo: ordered(a.tz.Start(day).Unix()), hi: ordered(a.tz.End(day).Unix())})
		total += b.GetCardinality()
	}
	if total != present.GetCardinality() || !roaring.FastOr(parts...).Equals(present) {
		d.fail("attribute %q: day bitmaps do not partition the present customers", a.def.Name)
		return
	}
	// The check only reads what is read already: it runs beside the
	// following sections, as the key table's does.
	name, sl, ref, at := a.def.Name, a.sliceBitmaps(), a.ref, ld.cur
	ld.bg.start(at, func() error {
		if i := dayOutOfBounds(sl, ref, bounds); i >= 0 {
			return fmt.Errorf("section %d: %w", at, corruptf("attribute %q: day %s holds values of other days", name, bounds[i].day))
		}
		return nil
	})
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
	bn := &blockNode{gen: 1, cnt: &blockCount{}}
	var slices []*roaring.Bitmap
	cnt := make([]*bm, 0, n)
	for range n {
		x := ld.member(d)
		if d.err != nil {
			return
		}
		cnt = append(cnt, &bm{b: x, gen: 1})
		slices = append(slices, x)
	}
	bn.cnt.s.Store(&cnt) // checked against the days, then dropped (finish)
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
		c.add(id%chunkSize, f)
	}
	ld.lastTotal[name] = last
}

// finish rebuilds derived structures and returns the index.
func (ld *loader) finish() (*Index, error) {
	if ld.stage < secSchema {
		return nil, corruptf("snapshot ends before its schema")
	}
	if ld.version >= 3 {
		if err := deriveBlocks(ld.st.events); err != nil {
			return nil, err
		}
	}
	for name, e := range ld.st.events {
		if err := e.checkLoaded(name); err != nil {
			return nil, err
		}
		if ld.version < 3 {
			if err := checkEventCounts(name, e); err != nil {
				return nil, err
			}
		} else if err := checkFirstsAcrossBlocks(name, e); err != nil {
			return nil, err
		}
		for _, n := range e.blocks {
			n.cnt = &blockCount{} // built again when a query needs it (see blockCount)
		}
		// totals only for customers with occurrences
		for ci, c := range e.totals {
			bad := false
			c.each(func(off uint32, _ float64) { bad = bad || !e.ever.contains(ci*chunkSize+off) })
			if bad {
				return nil, corruptf("event value for a customer without occurrences")
			}
		}
		if ld.version < 3 {
			e.keepLegacyTotals(ld.w)
		}
	}
	ld.st.stripeLoaded()
	return ld.ix, nil
}

// keepLegacyTotals turns the loaded sums of a version-1 or 2 snapshot
// (each customer's whole sum) into the sums not held by occurrences: it
// subtracts the values of the days' columns and drops what is left within
// rounding of 0. A version-1 snapshot has no columns and keeps every sum;
// a version-2 one keeps only the sums a version-1 snapshot brought in.
// Version 3 stores only those.
func (e *event) keepLegacyTotals(w wctx) {
	if len(e.totals) == 0 {
		return
	}
	// The columns' sum is computed as the writer did (eachColSum), so a
	// snapshot written since leaves exactly 0; one written by a version
	// that added floats as it recorded leaves rounding, which is dropped:
	// below half the smallest Amount or a billionth of the sum.
	sub := func(id uint32, f float64) {
		c := e.totals[id/chunkSize]
		if c == nil {
			return
		}
		t := c.get(id % chunkSize)
		if t == 0 {
			return // no loaded sum: nothing beyond the columns
		}
		if rest := t - f; math.Abs(rest) <= max(5e-5, math.Abs(t)*1e-9) {
			f = t
		}
		c.add(id%chunkSize, -f)
	}
	entries := 0
	for _, c := range e.totals {
		c.each(func(uint32, float64) { entries++ })
	}
	if entries*len(e.days) < 1<<16 { // a few sums: one by one
		for ci, c := range e.totals {
			var ids []uint32
			c.each(func(off uint32, _ float64) { ids = append(ids, ci*chunkSize+off) })
			for _, id := range ids {
				if f := e.colSum(id); f != 0 {
					sub(id, f)
				}
			}
		}
	} else {
		e.eachColSum(sub)
	}
	for ci, c := range e.totals {
		var keep []idValue
		c.each(func(off uint32, f float64) { keep = append(keep, idValue{ci*chunkSize + off, f}) })
		if len(keep) == 0 {
			delete(e.totals, ci)
			continue
		}
		nc := &chunk{gen: w.gen}
		for _, k := range keep {
			nc.add(k.id%chunkSize, k.f)
		}
		e.totals[ci] = nc
	}
}

// checkEventCounts checks an event's stored aggregates against its days,
// per customer: each block counter is the sum of its days' occurrences,
// and each customer's first occurrence (the first bitmaps partition the
// event's customers and lie within their days, checked before) is its
// earliest day.
//
// Per block, the counts are added up in an array indexed by ID (one pass
// over the members of the block's day bitmaps and counters, one range of
// 65536 IDs at a time so the array stays in the cache), and within the
// block no customer occurs before its first occurrence; blocks are split
// between two goroutines. Across blocks, the number of first occurrences
// in each block equals the number of its customers absent from every
// earlier block: as no first occurrence can precede a customer's earliest
// occurrence, equal counts in every block mean no first occurrence is in a
// later block than the customer's earliest one. The cost at 10M customers
// is in BENCHMARKS.md.
func checkEventCounts(name string, e *event) error {
	if e.ever.empty() {
		return nil
	}
	byBlock := map[int32][]segkit.Day{}
	for d, n := range e.days {
		if !n.one.empty() {
			byBlock[blockOf(d)] = append(byBlock[blockOf(d)], d)
		}
	}
	for _, ds := range byBlock {
		slices.Sort(ds)
	}
	blocks := slices.Sorted(maps.Keys(e.blocks))
	const workers = 2
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cnt []uint16
			var first []uint8
			for i := w; i < len(blocks); i += workers {
				b := blocks[i]
				if cnt == nil && denseBlock(e, b, byBlock[b]) {
					cnt, first = make([]uint16, 1<<16), make([]uint8, 1<<16)
				}
				if err := checkBlock(name, e, b, byBlock[b], cnt, first); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return checkFirstsAcrossBlocks(name, e)
}

// deriveBlocks builds the block unions of a version-3 snapshot's events
// from their days, and checks within each block that no customer occurs
// on a day before its first occurrence (checkFirstsAcrossBlocks checks
// across blocks). A block's days are added in order into a dense bit
// array, each day's first occurrences tested against the bits of the days
// before it: one pass over the members, where roaring's unions merged
// arrays again and again. The array spans IDs 0 to the block's last, so a
// block whose members are too few for that span (at most denseBlockWords
// words a member) is derived with roaring's operations instead: the
// union, and the earlier days kept for the block's new customers only. The
// blocks are shared among up to GOMAXPROCS goroutines, largest first.
func deriveBlocks(events map[string]*event) error {
	type job struct {
		name   string
		e      *event
		b      int32
		days   []segkit.Day
		volume uint64
		any    *roaring.Bitmap
	}
	var jobs []*job
	for name, e := range events {
		byBlock := map[int32]*job{}
		for d, n := range e.days {
			if n.one.empty() {
				continue
			}
			j := byBlock[blockOf(d)]
			if j == nil {
				j = &job{name: name, e: e, b: blockOf(d)}
				byBlock[j.b] = j
				jobs = append(jobs, j)
			}
			j.days = append(j.days, d)
			j.volume += uint64(n.one.card())
		}
	}
	slices.SortFunc(jobs, func(x, y *job) int { return cmp.Compare(y.volume, x.volume) })
	derive := func(j *job, dense *[]uint64) error {
		slices.Sort(j.days)
		lo, hi := uint32(math.MaxUint32), uint32(0)
		for _, d := range j.days {
			x := j.e.days[d].one.b
			lo, hi = min(lo, x.Minimum()), max(hi, x.Maximum())
		}
		words := int(hi>>6) + 1
		if uint64(words) > denseBlockWords*j.volume {
			return deriveSparse(j.e, j.name, j.b, j.days, &j.any)
		}
		if len(*dense) < words {
			*dense = make([]uint64, words)
		}
		w := (*dense)[:words]
		defer clear(w[lo>>6:])
		var buf [256]uint32
		for k, d := range j.days {
			if f := j.e.first[d]; k > 0 && f != nil {
				it := f.b.ManyIterator()
				for n := it.NextMany(buf[:]); n > 0; n = it.NextMany(buf[:]) {
					for _, id := range buf[:n] {
						if w[id>>6]&(1<<(id&63)) != 0 {
							return corruptf("event %q: first occurrences in block %d later than an occurrence", j.name, j.b)
						}
					}
				}
			}
			it := j.e.days[d].one.b.ManyIterator()
			for n := it.NextMany(buf[:]); n > 0; n = it.NextMany(buf[:]) {
				for _, id := range buf[:n] {
					w[id>>6] |= 1 << (id & 63)
				}
			}
		}
		j.any = roaring.FromDense(w, true)
		return nil
	}
	var next atomic.Int64
	errs := make([]error, min(runtime.GOMAXPROCS(0), len(jobs)))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					if recoveredPanic != nil {
						recoveredPanic(p)
					}
					errs[w] = corruptf("snapshot: %v", p)
				}
			}()
			var dense []uint64
			for i := next.Add(1) - 1; i < int64(len(jobs)) && errs[w] == nil; i = next.Add(1) - 1 {
				errs[w] = derive(jobs[i], &dense)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, j := range jobs {
		j.e.blocks[j.b] = &blockNode{gen: 1, any: &bm{b: j.any, gen: 1}, cnt: &blockCount{}}
	}
	return nil
}

// denseBlockWords bounds deriveBlocks' dense array: words a member of the
// block's days (4: 32 bytes against the 2 to 4 a member takes in the file,
// within what a load may allocate). A variable so tests reach both paths.
var denseBlockWords uint64 = 4

// deriveSparse is deriveBlocks for a block with few members for its ID
// span: the union of the days (ascending) and the within-block check, with
// the earlier days kept for the block's new customers only.
func deriveSparse(e *event, name string, b int32, days []segkit.Day, any **roaring.Bitmap) error {
	bits := make([]*roaring.Bitmap, len(days))
	var firsts []*roaring.Bitmap
	for k, d := range days {
		bits[k] = e.days[d].one.b
		if f := e.first[d]; f != nil {
			firsts = append(firsts, f.b)
		}
	}
	*any = roaring.FastOr(bits...)
	fresh := roaring.FastOr(firsts...) // the block's new customers
	seen := roaring.New()              // those of them on the days before
	for k, d := range days {
		if f := e.first[d]; k > 0 && f != nil && f.b.Intersects(seen) {
			return corruptf("event %q: first occurrences in block %d later than an occurrence", name, b)
		}
		seen.Or(roaring.And(bits[k], fresh))
	}
	return nil
}

// checkFirstsAcrossBlocks checks, across an event's blocks, that the
// number of first occurrences in each block equals the number of its
// customers absent from every earlier block (see checkEventCounts).
func checkFirstsAcrossBlocks(name string, e *event) error {
	blocks := slices.Sorted(maps.Keys(e.blocks))
	before := roaring.New() // the customers of the blocks before
	for _, b := range blocks {
		var firsts uint64
		for d := blockStart(b); d < blockStart(b)+blockDays; d++ {
			if f := e.first[d]; f != nil {
				firsts += uint64(f.card())
			}
		}
		all := e.blocks[b].any.b
		if fresh := all.GetCardinality() - all.AndCardinality(before); firsts != fresh {
			return corruptf("event %q: %d first occurrences in block %d, which has %d new customers", name, firsts, b, fresh)
		}
		before.Or(all)
	}
	return nil
}

// maxDenseSlice bounds the counter slices checkBlock adds in uint16 arrays:
// with day counters below 2^12 and block counters below 2^16, no count of
// a block of 16 days wraps, so equal modulo 2^16 means equal. Blocks with
// higher slices are checked with bitmap arithmetic.
var maxDenseSlice = 12

func denseBlock(e *event, b int32, days []segkit.Day) bool {
	if len(e.blocks[b].built()) > 16 || maxDenseSlice == 0 {
		return false
	}
	volume := uint64(0)
	for _, x := range e.blocks[b].built() {
		volume += uint64(x.card())
	}
	for _, d := range days {
		if len(e.days[d].extra) >= maxDenseSlice {
			return false
		}
		volume += uint64(e.days[d].one.card())
	}
	// The arrays (192 KiB a worker) pay off on large blocks only; small
	// ones are cheap with bitmap arithmetic, and loading a small snapshot
	// allocates little.
	return volume >= minDenseVolume
}

// minDenseVolume is the number of bitmap members from which a block is
// checked with arrays (about 128 KiB of snapshot or more).
var minDenseVolume uint64 = 1 << 16

// checkBlock checks one block counter against its days, and that no
// customer occurs in the block before a first occurrence in it. cnt and
// first (one range of 65536 IDs each) are zero on entry and on a nil
// return; nil means use bitmap arithmetic.
func checkBlock(name string, e *event, b int32, days []segkit.Day, cnt []uint16, first []uint8) error {
	if cnt == nil || !denseBlock(e, b, days) {
		return checkBlockSlow(name, e, b, days)
	}
	n := e.blocks[b]
	var firsts, srcs []*countSource
	src := func(list *[]*countSource, x *bm, v uint16, day uint8) {
		if !x.empty() {
			*list = append(*list, &countSource{it: x.b.ManyIterator(), add: v, day: day})
		}
	}
	lo, hi := n.any.b.Minimum(), n.any.b.Maximum()
	for k, d := range days {
		dn := e.days[d]
		src(&firsts, e.first[d], 0, uint8(k+1))
		src(&srcs, dn.one, 1, uint8(k+1))
		lo, hi = min(lo, dn.one.b.Minimum()), max(hi, dn.one.b.Maximum())
		for j, x := range dn.extra {
			src(&srcs, x, 1<<uint(j), 0)
		}
	}
	for i, x := range n.built() {
		src(&srcs, x, -(1 << uint(i)), 0) // wraps: subtraction modulo 2^16
	}
	for c := uint64(lo) >> 16; c <= uint64(hi)>>16; c++ {
		end := (c + 1) << 16
		for _, s := range firsts {
			s.mark(first, end)
		}
		late := false
		for _, s := range srcs {
			late = s.run(cnt, first, end) || late
		}
		if len(firsts) > 0 {
			clear(first)
		}
		if late {
			clear(cnt)
			return corruptf("event %q: first occurrences in block %d later than an occurrence", name, b)
		}
		// Every count is now zero unless the block and its days disagree.
		if !allZero(cnt) {
			clear(cnt)
			return corruptf("event %q: the counts of block %d differ from its days", name, b)
		}
	}
	return nil
}

// occOfDay checks that ids (ascending, as an occ section holds them) are
// the occurrences of the day dn: each member of the day's bitmap, as often
// as the day counts it, and nothing else. It walks the bitmap alongside
// the IDs instead of looking each ID up. It returns "" or what is wrong
// ("do not match", "do not cover").
func occOfDay(ids []uint32, dn *dayNode) string {
	it := dn.one.b.ManyIterator()
	var buf [256]uint32
	pos, n := 0, 0
	// the day's counter slices, walked alongside too
	extra := make([]roaring.IntPeekable, len(dn.extra))
	for k, x := range dn.extra {
		if !x.empty() {
			extra[k] = x.b.Iterator()
		}
	}
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		if pos == n {
			if n, pos = it.NextMany(buf[:]), 0; n == 0 {
				return "do not match" // an ID after the day's last customer
			}
		}
		id := ids[i]
		if buf[pos] < id {
			return "do not cover" // a customer of the day the columns skip
		}
		var count uint64
		for k, x := range extra {
			if x == nil {
				continue
			}
			x.AdvanceIfNeeded(id)
			if x.HasNext() && x.PeekNext() == id {
				count |= 1 << uint(k)
			}
		}
		if buf[pos] != id || uint64(j-i) != 1+count {
			return "do not match"
		}
		pos++
		i = j
	}
	if pos < n || it.NextMany(buf[:1]) > 0 {
		return "do not cover"
	}
	return ""
}

// countSource goes through the members of a bitmap one ID range at a time.
type countSource struct {
	it     roaring.ManyIntIterable
	buf    [256]uint32
	pos, n int
	done   bool
	add    uint16
	day    uint8 // 1 + the day's position in its block; 0: not a day bitmap
}

// next makes buf[pos] the next member; false at the end.
func (s *countSource) next() bool {
	if s.pos < s.n {
		return true
	}
	if s.done {
		return false
	}
	s.n, s.pos = s.it.NextMany(s.buf[:]), 0
	s.done = s.n == 0
	return !s.done
}

// mark sets first[id & 0xffff] to day for the members below end.
func (s *countSource) mark(first []uint8, end uint64) {
	for s.next() && uint64(s.buf[s.pos]) < end {
		for s.pos < s.n && uint64(s.buf[s.pos]) < end {
			first[s.buf[s.pos]&0xffff] = s.day
			s.pos++
		}
	}
}

// run adds add to cnt[id & 0xffff] for the members below end; for a day
// bitmap it reports whether one of them has its first occurrence on a later
// day of the block.
func (s *countSource) run(cnt []uint16, first []uint8, end uint64) (late bool) {
	for s.next() && uint64(s.buf[s.pos]) < end {
		if s.day == 0 {
			for s.pos < s.n && uint64(s.buf[s.pos]) < end {
				cnt[s.buf[s.pos]&0xffff] += s.add
				s.pos++
			}
			continue
		}
		for s.pos < s.n && uint64(s.buf[s.pos]) < end {
			i := s.buf[s.pos] & 0xffff
			cnt[i] += s.add
			late = late || first[i] > s.day
			s.pos++
		}
	}
	return late
}

// allZero reports whether every element of x is zero, reading 64 bits at
// a time.
func allZero(x []uint16) bool {
	var acc uint64
	for len(x) > 0 && uintptr(unsafe.Pointer(&x[0]))%8 != 0 {
		acc |= uint64(x[0])
		x = x[1:]
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(x))), len(x)/4)
	for _, w := range words {
		acc |= w
	}
	for _, c := range x[len(words)*4:] {
		acc |= uint64(c)
	}
	return acc == 0
}

// checkBlockSlow checks a block counter with bitmap arithmetic (counts too
// large for checkBlock's arrays).
func checkBlockSlow(name string, e *event, b int32, days []segkit.Day) error {
	var terms [][]*roaring.Bitmap
	for _, d := range days {
		dn := e.days[d]
		terms = append(terms, []*roaring.Bitmap{dn.one.b})
		if len(dn.extra) > 0 {
			terms = append(terms, bitmapsOf(dn.extra))
		}
	}
	sum := sumTerms(terms, nil).s
	cnt := e.blocks[b].built()
	for k, d := range days {
		for _, prev := range days[:k] {
			if e.first[d].intersects(e.days[prev].one.b) {
				return corruptf("event %q: first occurrences in block %d later than an occurrence", name, b)
			}
		}
	}
	for i := range max(len(sum), len(cnt)) {
		x, y := emptyBitmap, emptyBitmap
		if i < len(sum) && sum[i] != nil {
			x = sum[i]
		}
		if i < len(cnt) && !cnt[i].empty() {
			y = cnt[i].b
		}
		if !x.Equals(y) {
			return corruptf("event %q: the counts of block %d differ from its days", name, b)
		}
	}
	return nil
}
