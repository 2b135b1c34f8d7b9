package rfm

import (
	"hash/maphash"

	"github.com/segkit/segkit"
)

// acc accumulates one customer while reading.
type acc struct {
	key               string
	first, last, prev segkit.Day
	orders            int
	revenue           float64
}

const chunkBits = 16

// custTable maps customer keys to accumulators numbered in first-seen order.
// Accumulators live in fixed-size chunks, so growing never copies them. As
// long as new keys arrive in increasing byte order (an export sorted by
// customer) no hash map is needed at all: a key above every key seen so far
// is new. The first key out of order builds the map from the keys seen so
// far and the table continues with map lookups. Consecutive transactions of
// the same customer never touch the map.
type custTable struct {
	chunks  [][]acc
	n       int
	sorted  bool // no map yet: keys so far arrived in increasing order
	index   hashIndex
	lastKey string // key of the previous transaction
	lastIdx int32
	maxKey  string // largest key, while sorted
}

func newCustTable() *custTable { return &custTable{sorted: true, lastIdx: -1} }

func (t *custTable) at(i int32) *acc { return &t.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// find returns the accumulator index of key, adding the customer when new.
// ok is false when the table is full (2^31−1 customers).
func (t *custTable) find(key string) (int32, bool) {
	if t.lastIdx >= 0 && key == t.lastKey {
		return t.lastIdx, true
	}
	var i int32
	switch {
	case t.sorted && (t.n == 0 || key > t.maxKey):
		if !t.grow() {
			return 0, false
		}
		i = t.add(key)
		t.maxKey = key
	default:
		if t.sorted {
			t.sorted = false
			t.index.init(t)
		}
		return t.findHashed(key, maphash.String(t.index.seed, key))
	}
	t.lastKey, t.lastIdx = key, i
	return i, true
}

// findHashed is find for a table using its hash index, with the key's hash
// already computed.
func (t *custTable) findHashed(key string, h uint64) (int32, bool) {
	if t.lastIdx >= 0 && key == t.lastKey {
		return t.lastIdx, true
	}
	i, slot := t.index.lookup(t, key, h)
	if i < 0 {
		if !t.grow() {
			return 0, false
		}
		i = t.add(key)
		t.index.insert(t, slot, h, i)
	}
	t.lastKey, t.lastIdx = key, i
	return i, true
}

func (t *custTable) grow() bool {
	if t.n == 1<<31-1 {
		return false
	}
	if t.n>>chunkBits == len(t.chunks) {
		t.chunks = append(t.chunks, make([]acc, 1<<chunkBits))
	}
	return true
}

func (t *custTable) add(key string) int32 {
	i := int32(t.n)
	t.n++
	t.at(i).key = key
	return i
}

// hashIndex maps keys to customer numbers for a custTable.
type hashIndex struct {
	seed  maphash.Seed
	slots []uint64 // 0 empty; else hash tag << 32 | customer number
	mask  uint64
	n     int
}

func (x *hashIndex) init(t *custTable) {
	x.seed = maphash.MakeSeed()
	x.resize(t, max(1024, 2*t.n))
}

// resize rebuilds the slots with at least size capacity (a power of two).
func (x *hashIndex) resize(t *custTable, size int) {
	c := 1
	for c < size {
		c <<= 1
	}
	x.slots = make([]uint64, c)
	x.mask = uint64(c - 1)
	x.n = 0
	for j := range int32(t.n) {
		h := maphash.String(x.seed, t.at(j).key)
		_, slot := x.lookup(t, "", h) // only finds a free slot: keys are distinct
		x.put(slot, h, j)
	}
}

// lookup returns the customer number of key with hash h, or −1 and the
// slot where it would go.
func (x *hashIndex) lookup(t *custTable, key string, h uint64) (int32, uint64) {
	tag := h>>32 | 1 // never 0, so an occupied slot is never 0
	for s := h & x.mask; ; s = (s + 1) & x.mask {
		v := x.slots[s]
		if v == 0 {
			return -1, s
		}
		if v>>32 == tag {
			if i := int32(uint32(v)); t.at(i).key == key {
				return i, s
			}
		}
	}
}

func (x *hashIndex) put(slot, h uint64, i int32) {
	x.slots[slot] = (h>>32|1)<<32 | uint64(uint32(i))
	x.n++
}

// insert adds customer i with hash h at the free slot lookup returned,
// growing the slots to keep them at most three quarters full (probe runs
// stay short, and a run mostly sits in one cache line).
func (x *hashIndex) insert(t *custTable, slot, h uint64, i int32) {
	if 4*(x.n+1) > 3*len(x.slots) {
		x.resize(t, 2*len(x.slots)) // includes customer i, already added to t
		return
	}
	x.put(slot, h, i)
}
