package bitmapindex

import (
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// keyTable maps customer keys to dense IDs and back.
//
// IDs are assigned in insertion order and never reused: a deleted key that
// comes back gets a new ID, and prev links it to its earlier ID so that an
// older view still finds the ID that was live when it was taken.
//
// IDs below base were loaded from a snapshot: baseLive holds the ones that
// had a key and baseKeys their keys in ID order (ID → key by rank), so a
// snapshot with sparse IDs costs memory for its keys only. IDs from base on
// are in tail, which is append-only (an entry never changes once written),
// so a view can keep a prefix of it without copying. The map is written only
// by the index's writer (under the index lock) and read by views under mu.
type keyTable struct {
	mu       sync.RWMutex
	ids      map[string]uint32 // key → most recent ID
	base     uint32
	baseLive *roaring.Bitmap // immutable
	baseKeys []string        // immutable
	tail     []string        // ID base+i → key
	prev     []uint32        // ID base+i → earlier ID of the same key + 1; 0 = none
}

// keysView is the part of a key table a view knows: IDs below n.
type keysView struct {
	base     uint32
	baseLive *roaring.Bitmap
	baseKeys []string
	tail     []string
}

func newKeyTable() *keyTable {
	return &keyTable{ids: make(map[string]uint32), baseLive: roaring.New()}
}

// n is the number of IDs assigned so far.
func (t *keyTable) n() uint32 { return t.base + uint32(len(t.tail)) }

// latest returns the most recent ID of key. Only the writer calls it.
func (t *keyTable) latest(key string) (uint32, bool) {
	id, ok := t.ids[key]
	return id, ok
}

// assign gives key the next ID, remembering its earlier ID if it had one.
// Only the writer calls it.
func (t *keyTable) assign(key string) uint32 {
	t.mu.Lock()
	id := t.n()
	var p uint32
	if old, ok := t.ids[key]; ok {
		p = old + 1
	}
	t.tail = append(t.tail, key)
	t.prev = append(t.prev, p)
	t.ids[key] = id
	t.mu.Unlock()
	return id
}

// view returns the keys as of now, for a view. Only the writer calls it.
func (t *keyTable) view() keysView {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return keysView{base: t.base, baseLive: t.baseLive, baseKeys: t.baseKeys, tail: t.tail[:len(t.tail):len(t.tail)]}
}

// lookupBefore returns the most recent ID of key that is below n, the number
// of IDs a view knows. Safe for concurrent use with the writer.
func (t *keyTable) lookupBefore(key string, n uint32) (uint32, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	id, ok := t.ids[key]
	for ok && id >= n {
		if id < t.base {
			return 0, false
		}
		p := t.prev[id-t.base]
		if p == 0 {
			return 0, false
		}
		id = p - 1
	}
	return id, ok
}

// n is the number of IDs the view knows.
func (k *keysView) n() uint32 { return k.base + uint32(len(k.tail)) }

// key returns the key of an ID (the caller checks liveness).
func (k *keysView) key(id uint32) (string, bool) {
	if id < k.base {
		if !k.baseLive.Contains(id) {
			return "", false
		}
		return k.baseKeys[k.baseLive.Rank(id)-1], true
	}
	i := uint64(id) - uint64(k.base)
	if i >= uint64(len(k.tail)) {
		return "", false
	}
	return k.tail[i], true
}

// bytes estimates the memory of the keys a view knows.
func (k *keysView) bytes() int64 {
	var n int64
	for _, s := range k.baseKeys {
		n += int64(len(s))
	}
	for _, s := range k.tail {
		n += int64(len(s))
	}
	count := int64(len(k.baseKeys) + len(k.tail))
	// key bytes, ID → key string headers (+ prev), and a map entry per key
	// (string header, ID and the hash table's slot overhead).
	return n + count*(16+4) + count*40 + int64(k.baseLive.GetSizeInBytes())
}
