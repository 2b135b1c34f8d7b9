package bitmapindex

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
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
// Keys are stored as records (uvarint length, key bytes) in byte chunks
// addressed by 32-bit addresses. Entries (one per ID with a key, in
// insertion order) map to records; an entry's ID follows from its number
// (below). The hash table maps a key's hash to its latest entry, so a
// lookup touches one slot, one entry and one record.
//
// The table is written by the index's single writer (under the index lock)
// and read by any number of views without locks: records and per-entry data
// are written before the hash slot that makes them reachable is published
// with an atomic store, storage only grows (a chunk or page, once published,
// never moves or changes), and grown directories and hash tables are
// published through atomic pointers. Nothing in it holds Go pointers per key,
// so the garbage collector does not scan millions of keys.
//
// IDs below base were loaded from a snapshot: baseLive holds the ones that
// had a key, and the entry of such an ID is its rank in baseLive. When
// they are 0..baseKeys-1 (no customer of the snapshot was ever deleted),
// entry = ID; otherwise baseIDs maps entries to IDs (so a snapshot with
// sparse IDs costs memory for its keys only). From base on, entry =
// baseKeys + (ID − base).
type keyTable struct {
	seed     maphash.Seed
	base     uint32          // IDs below base come from a snapshot
	baseLive *roaring.Bitmap // immutable
	baseKeys uint32          // number of loaded keys (entries 0..baseKeys-1)
	// baseEntry maps a loaded ID to its entry + 1 when that costs at most a
	// few bytes per loaded key; otherwise entries are ranks in baseLive.
	// Both are nil when the loaded IDs are dense.
	baseEntry []uint32
	baseIDs   []uint32 // loaded entry → ID

	dir   atomic.Pointer[keyDir]
	slots atomic.Pointer[slotTable]

	// writer-only state
	entries uint32 // entries written
	used    int    // occupied slots
	fill    int    // bytes used in the last chunk
}

const (
	pageBits  = 12 // 16 KiB pages: a small index (or snapshot) stays small
	pageSize  = 1 << pageBits
	chunkBits = 22
	// keyChunkSize is the size of a record chunk; a longer record gets a
	// chunk of its own (records always start within the first 4 MiB).
	keyChunkSize = 1 << chunkBits
	maxChunks    = 1 << (32 - chunkBits)
)

// keyDir is the storage directory: record chunks and pages of per-entry
// data.
type keyDir struct {
	chunks [][]byte
	addrs  []*[pageSize]uint32 // entry → record address
	prev   []*[pageSize]uint32 // entry → earlier ID of the same key + 1; 0 = none (a nil page: none in it)
}

// slotTable is an open-addressing hash table (linear probing). A slot holds
// the entry + 1 (0 = empty): 4 bytes a key at most 70% full. A probe
// compares the key with the entry's record; lookups of several keys
// (findMany) overlap those reads.
type slotTable struct {
	mask  uint64
	slots []atomic.Uint32
}

func newKeyTable() *keyTable {
	t := &keyTable{seed: maphash.MakeSeed(), baseLive: roaring.New()}
	t.dir.Store(&keyDir{})
	t.slots.Store(&slotTable{mask: 1023, slots: make([]atomic.Uint32, 1024)})
	return t
}

// n is the number of IDs assigned so far (writer).
func (t *keyTable) n() uint32 { return t.base + (t.entries - t.baseKeys) }

func (t *keyTable) hash(key string) uint64 { return maphash.String(t.seed, key) }

// record returns the key of the record at addr. The key shares the
// chunk's bytes (no copy): records never change once published.
func (d *keyDir) record(addr uint32) string {
	c := d.chunks[addr>>chunkBits]
	off := int(addr & (keyChunkSize - 1))
	l, w := binary.Uvarint(c[off:])
	if l == 0 {
		return ""
	}
	return unsafe.String(&c[off+w], int(l))
}

// match reports whether the record at addr holds key.
func (d *keyDir) match(addr uint32, key string) bool {
	c := d.chunks[addr>>chunkBits]
	off := int(addr & (keyChunkSize - 1))
	l, w := binary.Uvarint(c[off:])
	if int(l) != len(key) {
		return false
	}
	start := off + w
	return string(c[start:start+len(key)]) == key
}

func (d *keyDir) addrOf(e uint32) uint32 { return d.addrs[e>>pageBits][e&(pageSize-1)] }

// recordOf returns the record address of entry e, which a slot published,
// and a directory that holds it: d, or the current directory when e's
// page or record was added after d was loaded (the writer publishes the
// directory before the slot, so the directory loaded after reading the
// slot holds both).
func (t *keyTable) recordOf(d *keyDir, e uint32) (*keyDir, uint32) {
	if int(e>>pageBits) >= len(d.addrs) {
		d = t.dir.Load()
	}
	addr := d.addrOf(e)
	if int(addr>>chunkBits) >= len(d.chunks) {
		d = t.dir.Load()
	}
	return d, addr
}

// matchEntry reports whether entry e (published in a slot) holds key, with
// the directory to use next.
func (t *keyTable) matchEntry(d *keyDir, e uint32, key string) (*keyDir, bool) {
	d, addr := t.recordOf(d, e)
	return d, d.match(addr, key)
}

// idOf returns the ID of entry e.
func (t *keyTable) idOf(e uint32) uint32 {
	switch {
	case e >= t.baseKeys:
		return t.base + (e - t.baseKeys)
	case t.baseIDs != nil:
		return t.baseIDs[e]
	default:
		return e
	}
}

// entryOf returns the entry of an ID, if it has one.
func (t *keyTable) entryOf(id uint32) (uint32, bool) {
	if id < t.base {
		if t.baseIDs == nil { // dense: entry = ID
			return id, id < t.baseKeys
		}
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

// find returns key's most recent ID. Safe for concurrent use.
func (t *keyTable) find(key string) (uint32, bool) {
	h := t.hash(key)
	st := t.slots.Load()
	d := t.dir.Load()
	for i := h & st.mask; ; i = (i + 1) & st.mask {
		s := st.slots[i].Load()
		if s == 0 {
			return 0, false
		}
		var ok bool
		if d, ok = t.matchEntry(d, s-1, key); ok {
			return t.idOf(s - 1), true
		}
	}
}

// findMany looks up many keys at once: ids[i], found[i] for keys[i]. It
// hashes a group of keys, then loads their home slots, then their entries'
// record addresses, then the first byte of their records, so the cache
// misses of independent lookups overlap instead of queueing.
func (t *keyTable) findMany(keys []string, ids []uint32, found []bool) {
	const group = 16
	st := t.slots.Load()
	d := t.dir.Load()
	var hs [group]uint64
	var ss, as [group]uint32
	for lo := 0; lo < len(keys); lo += group {
		n := min(group, len(keys)-lo)
		for i := range n {
			hs[i] = t.hash(keys[lo+i])
		}
		for i := range n {
			ss[i] = st.slots[hs[i]&st.mask].Load()
		}
		for i := range n {
			if s := ss[i]; s != 0 {
				d, as[i] = t.recordOf(d, s-1)
			}
		}
		var touch byte
		for i := range n {
			if ss[i] != 0 {
				touch |= d.chunks[as[i]>>chunkBits][as[i]&(keyChunkSize-1)]
			}
		}
		runtime.KeepAlive(touch) // the reads are the point
		for i := range n {
			ids[lo+i], found[lo+i] = t.probe(keys[lo+i], hs[i], st, d, ss[i])
		}
	}
}

// probe finishes a lookup whose home slot s was already loaded.
func (t *keyTable) probe(key string, h uint64, st *slotTable, d *keyDir, s uint32) (uint32, bool) {
	for i := h & st.mask; ; {
		if s == 0 {
			return 0, false
		}
		var ok bool
		if d, ok = t.matchEntry(d, s-1, key); ok {
			return t.idOf(s - 1), true
		}
		i = (i + 1) & st.mask
		s = st.slots[i].Load()
	}
}

// latest returns the most recent ID of key (writer).
func (t *keyTable) latest(key string) (uint32, bool) { return t.find(key) }

// assign gives key the next ID, remembering its earlier ID if it had one
// (writer).
func (t *keyTable) assign(key string) uint32 {
	old, had := t.find(key)
	id := t.n()
	var p uint32
	if had {
		p = old + 1
	}
	e := t.entries
	t.store(e, key, p)
	t.entries++
	t.publish(key, e, had)
	return id
}

// store appends a record and entry e (writer).
func (t *keyTable) store(e uint32, key string, prev uint32) {
	d := t.dir.Load()
	need := binary.MaxVarintLen64 + len(key)
	chunkFull := len(d.chunks) == 0 || t.fill+need > len(d.chunks[len(d.chunks)-1])
	if chunkFull || int(e>>pageBits) == len(d.addrs) {
		nd := *d // grow into a new directory, published below
		if chunkFull {
			nd.chunks = append(nd.chunks[:len(nd.chunks):len(nd.chunks)], make([]byte, max(keyChunkSize, need)))
			t.fill = 0
		}
		if int(e>>pageBits) == len(nd.addrs) {
			nd.addrs = append(nd.addrs[:len(nd.addrs):len(nd.addrs)], new([pageSize]uint32))
			nd.prev = append(nd.prev[:len(nd.prev):len(nd.prev)], nil) // allocated when needed
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
	addr := uint32(ci)<<chunkBits | uint32(off)
	d.addrs[e>>pageBits][e&(pageSize-1)] = addr
	if prev != 0 {
		if d.prev[e>>pageBits] == nil {
			// most keys never come back after a delete: the page of
			// earlier IDs exists only once one does
			nd := *d
			nd.prev = slices.Clone(d.prev)
			nd.prev[e>>pageBits] = new([pageSize]uint32)
			t.dir.Store(&nd)
			d = &nd
		}
		d.prev[e>>pageBits][e&(pageSize-1)] = prev
	}
}

// room returns how many record bytes can still be stored (writer); batch
// validation keeps new keys within it.
func (t *keyTable) room() int64 {
	d := t.dir.Load()
	left := int64(maxChunks-len(d.chunks)) * keyChunkSize
	if len(d.chunks) > 0 {
		left += int64(len(d.chunks[len(d.chunks)-1]) - t.fill)
	}
	return left
}

// recordSize bounds the bytes a key's record takes.
func recordSize(key string) int64 { return int64(binary.MaxVarintLen64 + len(key)) }

// publish makes key → entry e reachable, replacing an earlier entry of the
// key (writer).
func (t *keyTable) publish(key string, e uint32, replace bool) {
	h := t.hash(key)
	st := t.slots.Load()
	if !replace && (t.used+1)*10 > len(st.slots)*7 {
		st = t.grow(st)
	}
	d := t.dir.Load()
	v := e + 1
	for i := h & st.mask; ; i = (i + 1) & st.mask {
		s := st.slots[i].Load()
		if s == 0 {
			st.slots[i].Store(v)
			t.used++
			return
		}
		if replace {
			if d.match(d.addrOf(s-1), key) {
				st.slots[i].Store(v)
				return
			}
		}
	}
}

// grow doubles the hash table and publishes it (writer). The slots hold no
// hash: each key is hashed again from its record.
func (t *keyTable) grow(old *slotTable) *slotTable {
	nt := &slotTable{mask: uint64(len(old.slots))*2 - 1, slots: make([]atomic.Uint32, len(old.slots)*2)}
	// nt is not published yet: plain stores (see loadBase).
	plain := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(nt.slots))), len(nt.slots))
	d := t.dir.Load()
	for i := range old.slots {
		s := old.slots[i].Load()
		if s == 0 {
			continue
		}
		key := d.record(d.addrOf(s - 1))
		for j := t.hash(key) & nt.mask; ; j = (j + 1) & nt.mask {
			if plain[j] == 0 {
				plain[j] = s
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
	d := k.t.dir.Load()
	return d.record(d.addrOf(e)), true
}

// lookup returns the most recent ID of key that the view knows. Safe for
// concurrent use with the writer.
func (k keysView) lookup(key string) (uint32, bool) {
	t := k.t
	id, ok := t.find(key)
	if !ok {
		return 0, false
	}
	d := t.dir.Load()
	for id >= k.n {
		if id < t.base {
			return 0, false
		}
		e := t.baseKeys + (id - t.base)
		page := d.prev[e>>pageBits]
		if page == nil {
			return 0, false
		}
		p := page[e&(pageSize-1)]
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
	n += int64(len(d.addrs)) * pageSize * 4
	for _, p := range d.prev {
		if p != nil {
			n += pageSize * 4
		}
	}
	n += int64(len(k.t.slots.Load().slots)) * 4
	n += int64(len(k.t.baseEntry)+len(k.t.baseIDs)) * 4
	n += int64(k.t.baseLive.GetSizeInBytes())
	return n
}

// loadBase installs the keys of a snapshot: the live IDs below ids, whose
// keys are area, one uvarint length and the bytes per key in ID order. It
// returns a description of malformed or duplicate keys.
func (t *keyTable) loadBase(ids uint32, live *roaring.Bitmap, area []byte) (problem string, ok bool) {
	t.base, t.baseLive = ids, live
	n := live.GetCardinality()
	if n > uint64(len(area)) { // every key takes at least one byte
		return fmt.Sprintf("%d live customers but only %d bytes of keys", n, len(area)), false
	}
	if int64(len(area)) > t.room() {
		return "keys exceed the key storage (4 GiB)", false
	}
	if dense := n == 0 || uint64(live.Maximum()) == n-1; !dense {
		t.baseIDs = make([]uint32, 0, n)
		if uint64(ids) <= 2*n+pageSize {
			t.baseEntry = make([]uint32, ids)
		}
	}
	// Take the records, then build the hash table in one sequential pass
	// over the records sorted by home slot (radix sort) instead of n random
	// insertions: loading millions of keys is then bound by memory
	// bandwidth, not by cache misses.
	size := 1024
	for uint64(size)*7 < n*10 {
		size *= 2
	}
	mask := uint64(size - 1)
	// The area is records already (uvarint length, key bytes): it becomes
	// the table's chunks, cut between records every keyChunkSize bytes (a
	// longer record gets a chunk of its own), without copying a key. The
	// table is not published yet: its directory is built in place.
	type rec struct{ home, h, e uint32 }
	recs := make([]rec, 0, n)
	nd := *t.dir.Load()
	off, cs := 0, 0 // the next record; the start of the chunk being cut
	for id := range roaring.Values(live) {
		l, w := binary.Uvarint(area[off:])
		if w <= 0 || l > uint64(len(area)-off-w) {
			return "malformed key", false
		}
		key := unsafe.String(unsafe.SliceData(area[off+w:]), int(l))
		if end := off + w + int(l); end-cs > keyChunkSize && off > cs {
			nd.chunks = append(nd.chunks, area[cs:off:off])
			cs = off
		}
		if len(nd.chunks) >= maxChunks {
			return "keys exceed the key storage (4 GiB)", false
		}
		e := t.entries
		if int(e>>pageBits) == len(nd.addrs) {
			nd.addrs = append(nd.addrs, new([pageSize]uint32))
			nd.prev = append(nd.prev, nil)
		}
		nd.addrs[e>>pageBits][e&(pageSize-1)] = uint32(len(nd.chunks))<<chunkBits | uint32(off-cs)
		off += w + int(l)
		if t.baseIDs != nil {
			t.baseIDs = append(t.baseIDs, id)
		}
		if t.baseEntry != nil {
			t.baseEntry[id] = e + 1
		}
		h := t.hash(key)
		recs = append(recs, rec{home: uint32(h & mask), h: uint32(h), e: e})
		t.entries++
		t.baseKeys = t.entries
	}
	if off != len(area) {
		return fmt.Sprintf("%d bytes after the last key", len(area)-off), false
	}
	if off > cs {
		nd.chunks = append(nd.chunks, area[cs:off:off])
		t.fill = off - cs // full: the next key starts a chunk
	}
	t.dir.Store(&nd)
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
	d := t.dir.Load()
	// Equal keys have equal hashes and homes, so they are neighbours within
	// a run of equal homes; compare within such runs.
	for i := range recs {
		for j := i - 1; j >= 0 && recs[j].home == recs[i].home; j-- {
			if recs[j].h != recs[i].h {
				continue
			}
			a := d.record(d.addrOf(recs[j].e))
			if b := d.record(d.addrOf(recs[i].e)); a == b {
				return fmt.Sprintf("duplicate key %q", a), false
			}
		}
	}
	st := &slotTable{mask: mask, slots: make([]atomic.Uint32, size)}
	// The table is not published yet: plain stores (an atomic store is a
	// locked instruction on amd64) through a view of the same memory.
	plain := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(st.slots))), len(st.slots))
	pos := uint64(0)
	var overflow []rec
	for _, r := range recs {
		pos = max(pos, uint64(r.home))
		if pos > mask {
			overflow = append(overflow, r)
			continue
		}
		plain[pos] = r.e + 1
		pos++
	}
	for _, r := range overflow { // wrap around, as linear probing does
		for i := uint64(0); ; i++ {
			if plain[i] == 0 {
				plain[i] = r.e + 1
				break
			}
		}
	}
	t.used = len(recs)
	t.slots.Store(st)
	return "", true
}
