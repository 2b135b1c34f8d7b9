package bitmapindex

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
)

// keyTable maps customer keys to dense IDs and back.
//
// IDs are assigned in insertion order and never reused: a deleted key that
// comes back gets a new ID, and prev links it to its earlier ID so that an
// older view still finds the ID that was live when it was taken.
//
// The table is written by the index's single writer (under the index lock)
// and read by any number of views without locks: key bytes and per-entry
// data are written before the hash slot that makes them reachable is
// published with an atomic store, storage only grows (a chunk or page, once
// published, never moves), and grown directories and hash tables are
// published through atomic pointers. Nothing in it holds Go pointers per key
// (keys live in byte chunks, slots and locations are integers), so the
// garbage collector does not scan millions of keys.
//
// Entries are numbered in insertion order. IDs below base were loaded from a
// snapshot: baseLive holds the ones that had a key, and the entry of such an
// ID is its rank in baseLive (so a snapshot with sparse IDs costs memory for
// its keys only). From base on, entry = baseKeys + (ID − base).
type keyTable struct {
	seed     maphash.Seed
	base     uint32          // IDs below base come from a snapshot
	baseLive *roaring.Bitmap // immutable
	baseKeys uint32          // number of loaded keys (entries 0..baseKeys-1)
	// baseEntry maps a loaded ID to its entry + 1 when that costs at most a
	// few bytes per loaded key; otherwise entries are ranks in baseLive.
	baseEntry []uint32

	dir   atomic.Pointer[keyDir]
	slots atomic.Pointer[slotTable]

	// writer-only state
	entries uint32 // entries written
	used    int    // occupied slots
	fill    int    // bytes used in the last chunk
}

const (
	pageBits     = 16
	pageSize     = 1 << pageBits
	keyChunkSize = 1 << 22 // key bytes per chunk (longer keys get a chunk of their own)
)

// keyDir is the storage directory: chunks of key bytes (each key is a
// uvarint length and the bytes) and pages of per-entry data.
type keyDir struct {
	chunks [][]byte
	locs   []*[pageSize]uint64 // entry → chunk<<32 | offset
	prev   []*[pageSize]uint32 // entry → earlier ID of the same key + 1; 0 = none
	ids    []*[pageSize]uint32 // entry → ID
}

// slotTable is an open-addressing hash table (linear probing). A slot holds
// the low 32 bits of the key's hash and the entry + 1 (0 = empty).
type slotTable struct {
	mask  uint64
	slots []atomic.Uint64
}

func newKeyTable() *keyTable {
	t := &keyTable{seed: maphash.MakeSeed(), baseLive: roaring.New()}
	t.dir.Store(&keyDir{})
	t.slots.Store(&slotTable{mask: 1023, slots: make([]atomic.Uint64, 1024)})
	return t
}

// n is the number of IDs assigned so far (writer).
func (t *keyTable) n() uint32 { return t.base + (t.entries - t.baseKeys) }

func (t *keyTable) hash(key string) uint64 { return maphash.String(t.seed, key) }

// keyAt returns the key of an entry. The string shares the chunk's bytes
// (no copy): key bytes are never written again once their entry is
// published, so the string stays immutable.
func (d *keyDir) keyAt(e uint32) string {
	loc := d.locs[e>>pageBits][e&(pageSize-1)]
	c := d.chunks[loc>>32]
	off := int(uint32(loc))
	l, w := binary.Uvarint(c[off:])
	if l == 0 {
		return ""
	}
	return unsafe.String(&c[off+w], int(l))
}

// equalAt reports whether an entry's key is key, without allocating.
func (d *keyDir) equalAt(e uint32, key string) bool {
	loc := d.locs[e>>pageBits][e&(pageSize-1)]
	c := d.chunks[loc>>32]
	off := int(uint32(loc))
	l, w := binary.Uvarint(c[off:])
	if int(l) != len(key) {
		return false
	}
	return string(c[off+w:off+w+int(l)]) == key
}

// entryOf returns the entry of an ID, if it has one.
func (t *keyTable) entryOf(id uint32) (uint32, bool) {
	if id < t.base {
		if t.baseEntry != nil {
			e := t.baseEntry[id]
			return e - 1, e != 0
		}
		if !t.baseLive.Contains(id) {
			return 0, false
		}
		return uint32(t.baseLive.Rank(id) - 1), true
	}
	return t.baseKeys + (id - t.base), true
}

// find returns the entry of key's most recent ID. Safe for concurrent use.
func (t *keyTable) find(key string) (uint32, *keyDir, bool) {
	h := t.hash(key)
	st := t.slots.Load()
	d := t.dir.Load()
	for i := h & st.mask; ; i = (i + 1) & st.mask {
		s := st.slots[i].Load()
		if s == 0 {
			return 0, d, false
		}
		if uint32(s>>32) != uint32(h) {
			continue
		}
		e := uint32(s) - 1
		if d.equalAt(e, key) {
			return e, d, true
		}
	}
}

func (d *keyDir) idAt(e uint32) uint32 { return d.ids[e>>pageBits][e&(pageSize-1)] }

// latest returns the most recent ID of key (writer).
func (t *keyTable) latest(key string) (uint32, bool) {
	e, d, ok := t.find(key)
	if !ok {
		return 0, false
	}
	return d.idAt(e), true
}

// assign gives key the next ID, remembering its earlier ID if it had one
// (writer).
func (t *keyTable) assign(key string) uint32 {
	old, had := t.latest(key)
	id := t.n()
	e := t.entries
	var p uint32
	if had {
		p = old + 1
	}
	t.store(e, id, key, p)
	t.entries++
	t.publish(key, e, had)
	return id
}

// store writes an entry's key and data (writer).
func (t *keyTable) store(e, id uint32, key string, prev uint32) {
	d := t.dir.Load()
	need := binary.MaxVarintLen64 + len(key)
	chunkFull := len(d.chunks) == 0 || t.fill+need > len(d.chunks[len(d.chunks)-1])
	if chunkFull || int(e>>pageBits) == len(d.locs) {
		nd := *d // grow into a new directory, published below
		if chunkFull {
			nd.chunks = append(nd.chunks[:len(nd.chunks):len(nd.chunks)], make([]byte, max(keyChunkSize, need)))
			t.fill = 0
		}
		if int(e>>pageBits) == len(nd.locs) {
			nd.locs = append(nd.locs[:len(nd.locs):len(nd.locs)], new([pageSize]uint64))
			nd.prev = append(nd.prev[:len(nd.prev):len(nd.prev)], new([pageSize]uint32))
			nd.ids = append(nd.ids[:len(nd.ids):len(nd.ids)], new([pageSize]uint32))
		}
		t.dir.Store(&nd)
		d = &nd
	}
	ci := len(d.chunks) - 1
	c := d.chunks[ci]
	off := t.fill
	w := binary.PutUvarint(c[off:], uint64(len(key)))
	copy(c[off+w:], key)
	t.fill += w + len(key)
	d.locs[e>>pageBits][e&(pageSize-1)] = uint64(ci)<<32 | uint64(off)
	d.prev[e>>pageBits][e&(pageSize-1)] = prev
	d.ids[e>>pageBits][e&(pageSize-1)] = id
}

// publish makes key → entry reachable, replacing an earlier entry of the key.
func (t *keyTable) publish(key string, entry uint32, replace bool) {
	h := t.hash(key)
	st := t.slots.Load()
	if !replace && (t.used+1)*10 > len(st.slots)*7 {
		st = t.grow(st)
	}
	d := t.dir.Load()
	v := uint64(uint32(h))<<32 | uint64(entry+1)
	for i := h & st.mask; ; i = (i + 1) & st.mask {
		s := st.slots[i].Load()
		if s == 0 {
			st.slots[i].Store(v)
			t.used++
			return
		}
		if replace && uint32(s>>32) == uint32(h) && d.equalAt(uint32(s)-1, key) {
			st.slots[i].Store(v)
			return
		}
	}
}

// grow doubles the hash table and publishes it (writer).
func (t *keyTable) grow(old *slotTable) *slotTable {
	nt := &slotTable{mask: uint64(len(old.slots))*2 - 1, slots: make([]atomic.Uint64, len(old.slots)*2)}
	for i := range old.slots {
		s := old.slots[i].Load()
		if s == 0 {
			continue
		}
		for j := (s >> 32) & nt.mask; ; j = (j + 1) & nt.mask {
			if nt.slots[j].Load() == 0 {
				nt.slots[j].Store(s)
				break
			}
		}
	}
	t.slots.Store(nt)
	return nt
}

// keysView is the part of a key table a view knows: IDs below n.
type keysView struct {
	t *keyTable
	n uint32
}

// view returns the keys as of now, for a view (writer).
func (t *keyTable) view() keysView { return keysView{t: t, n: t.n()} }

// key returns the key of an ID the view knows (the caller checks liveness).
func (k keysView) key(id uint32) (string, bool) {
	if id >= k.n {
		return "", false
	}
	e, ok := k.t.entryOf(id)
	if !ok {
		return "", false
	}
	return k.t.dir.Load().keyAt(e), true
}

// lookup returns the most recent ID of key that the view knows. Safe for
// concurrent use with the writer.
func (k keysView) lookup(key string) (uint32, bool) {
	t := k.t
	e, d, ok := t.find(key)
	if !ok {
		return 0, false
	}
	id := d.idAt(e)
	for id >= k.n {
		if id < t.base {
			return 0, false
		}
		e := t.baseKeys + (id - t.base)
		p := d.prev[e>>pageBits][e&(pageSize-1)]
		if p == 0 {
			return 0, false
		}
		id = p - 1
	}
	return id, true
}

// bytes estimates the memory of the key table.
func (k keysView) bytes() int64 {
	d := k.t.dir.Load()
	var n int64
	for _, c := range d.chunks {
		n += int64(len(c))
	}
	n += int64(len(d.locs)) * pageSize * (8 + 4 + 4)
	n += int64(len(k.t.slots.Load().slots)) * 8
	n += int64(k.t.baseLive.GetSizeInBytes())
	return n
}

// loadBase installs the keys of a snapshot: the live IDs below ids, whose
// keys are area, one uvarint length and the bytes per key in ID order. The
// area becomes the first key chunk as it is (no copy), so the caller must
// not reuse it. It returns an error message for malformed or duplicate keys.
func (t *keyTable) loadBase(ids uint32, live *roaring.Bitmap, area []byte) (problem string, ok bool) {
	t.base, t.baseLive = ids, live
	n := live.GetCardinality()
	if n > uint64(len(area)) { // every key takes at least one byte
		return fmt.Sprintf("%d live customers but only %d bytes of keys", n, len(area)), false
	}
	if uint64(len(area)) >= 1<<32 {
		return "key section too large", false
	}
	if uint64(ids) <= 2*n+pageSize {
		t.baseEntry = make([]uint32, ids)
	}
	nd := &keyDir{chunks: [][]byte{area[:len(area):len(area)]}}
	pages := (n + pageSize - 1) / pageSize
	for range pages {
		nd.locs = append(nd.locs, new([pageSize]uint64))
		nd.prev = append(nd.prev, new([pageSize]uint32))
		nd.ids = append(nd.ids, new([pageSize]uint32))
	}
	t.dir.Store(nd)
	t.fill = len(area)
	off := 0
	keys := func(yield func(uint32, string) bool) {
		for id := range roaring.Values(live) {
			l, w := binary.Uvarint(area[off:])
			if w <= 0 || l > uint64(len(area)-off-w) {
				problem = "malformed key"
				return
			}
			e := t.entries
			nd.locs[e>>pageBits][e&(pageSize-1)] = uint64(off) // chunk 0
			nd.ids[e>>pageBits][e&(pageSize-1)] = id
			key := unsafe.String(unsafe.SliceData(area[off+w:]), int(l))
			off += w + int(l)
			if !yield(id, key) {
				return
			}
		}
	}
	// Store the keys, then build the hash table in one sequential pass over
	// the keys sorted by home slot (radix sort) instead of n random
	// insertions: loading millions of keys is then bound by memory
	// bandwidth, not by cache misses.
	size := 1024
	for uint64(size)*7 < n*10 {
		size *= 2
	}
	mask := uint64(size - 1)
	type rec struct{ home, h, e uint32 }
	recs := make([]rec, 0, n)
	for id, key := range keys {
		e := t.entries
		if t.baseEntry != nil {
			t.baseEntry[id] = e + 1
		}
		h := t.hash(key)
		recs = append(recs, rec{home: uint32(h & mask), h: uint32(h), e: e})
		t.entries++
		t.baseKeys = t.entries
	}
	tmp := make([]rec, len(recs))
	for shift := uint(0); shift < 32 && (mask>>shift) != 0; shift += 8 {
		var count [257]int
		for _, r := range recs {
			count[(r.home>>shift)&0xff+1]++
		}
		for i := 1; i < len(count); i++ {
			count[i] += count[i-1]
		}
		for _, r := range recs {
			k := (r.home >> shift) & 0xff
			tmp[count[k]] = r
			count[k]++
		}
		recs, tmp = tmp, recs
	}
	if problem != "" {
		return problem, false
	}
	st := &slotTable{mask: mask, slots: make([]atomic.Uint64, size)}
	d := t.dir.Load()
	// Equal keys have equal hashes and homes, so they are neighbours in each
	// run of equal homes; compare within such runs.
	for i := range recs {
		for j := i - 1; j >= 0 && recs[j].home == recs[i].home; j-- {
			if recs[j].h == recs[i].h && d.keyAt(recs[j].e) == d.keyAt(recs[i].e) {
				return fmt.Sprintf("duplicate key %q", d.keyAt(recs[i].e)), false
			}
		}
	}
	pos := uint64(0)
	var overflow []rec
	for _, r := range recs {
		pos = max(pos, uint64(r.home))
		if pos > mask {
			overflow = append(overflow, r)
			continue
		}
		st.slots[pos].Store(uint64(r.h)<<32 | uint64(r.e+1))
		pos++
	}
	for _, r := range overflow { // wrap around, as linear probing does
		for i := uint64(0); ; i++ {
			if st.slots[i].Load() == 0 {
				st.slots[i].Store(uint64(r.h)<<32 | uint64(r.e+1))
				break
			}
		}
	}
	t.used = len(recs)
	t.slots.Store(st)
	if off != len(area) {
		return fmt.Sprintf("%d bytes after the last key", len(area)-off), false
	}
	return "", true
}
