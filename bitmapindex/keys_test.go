package bitmapindex

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// TestKeysStaleDirectory is a lookup that loaded the key directory before
// the writer added a page of entries and a chunk of records, then reads a
// slot published after them: it must find the key through the current
// directory instead of indexing past the one it holds.
func TestKeysStaleDirectory(t *testing.T) {
	kt := newKeyTable()
	long := strings.Repeat("k", 2000) // 2,100 of them fill a 4 MiB chunk
	for i := range 100 {
		kt.assign(fmt.Sprint(long, i))
	}
	stale := kt.dir.Load()
	var keys []string
	for i := 100; i < pageSize+100; i++ {
		keys = append(keys, fmt.Sprint(long, i))
		kt.assign(keys[len(keys)-1])
	}
	d := kt.dir.Load()
	require.Greater(t, len(d.chunks), len(stale.chunks))
	require.Greater(t, len(d.addrs), len(stale.addrs))
	st := kt.slots.Load()
	// entry 3,000 is on a page the stale directory has, its record in a
	// chunk it has not; the last entry is on a page it has not
	for _, key := range []string{keys[0], keys[2900], keys[len(keys)-1], fmt.Sprint(long, 5)} {
		h := kt.hash(key)
		id, ok := kt.probe(key, h, st, stale, st.slots[h&st.mask].Load())
		require.True(t, ok, key[len(long):])
		want, _ := kt.find(key)
		require.Equal(t, want, id)
	}
}

// TestKeysLoadedIDs checks entries and IDs of loaded keys, dense (entry =
// ID, no table) and sparse (a table each way, or ranks), against the keys
// they were loaded with, and IDs assigned after them.
func TestKeysLoadedIDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  uint32
		live []uint32
	}{
		{"dense", 5, []uint32{0, 1, 2, 3, 4}},
		{"dense, deleted at the end", 9, []uint32{0, 1, 2}},
		{"sparse", 10, []uint32{1, 4, 5, 9}},
		{"sparse, ranks", 1 << 20, []uint32{3, 70000, 1<<20 - 1}},
		{"empty", 4, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kt := newKeyTable()
			var area []byte
			for _, id := range tc.live {
				k := fmt.Sprint("key", id)
				area = append(append(area, byte(len(k))), k...)
			}
			problem, ok := kt.loadBase(tc.ids, roaring.BitmapOf(tc.live...), area)
			require.True(t, ok, problem)
			fresh := kt.assign("new")
			require.Equal(t, tc.ids, fresh)
			kv := kt.view()
			for id := range tc.ids + 1 {
				key, ok := kv.key(id)
				want := id == fresh
				for _, l := range tc.live {
					want = want || l == id
				}
				require.Equal(t, want, ok, "ID %d", id)
				if !ok {
					continue
				}
				got, found := kv.lookup(key)
				require.True(t, found, key)
				require.Equal(t, id, got, key)
				if id != fresh {
					require.Equal(t, fmt.Sprint("key", id), key)
				}
			}
		})
	}
}

// TestKeysLoadedChunks loads more keys than a record chunk holds, one of
// them longer than a chunk: the snapshot's records are cut into chunks
// between records, every key is found and named, and keys stored after
// the load go to chunks of their own.
func TestKeysLoadedChunks(t *testing.T) {
	kt := newKeyTable()
	var area []byte
	var keys []string
	put := func(k string) {
		area = binary.AppendUvarint(area, uint64(len(k)))
		area = append(area, k...)
		keys = append(keys, k)
	}
	for i := range 3000 {
		put(fmt.Sprint(strings.Repeat("k", 2000), i))
		if i == 1500 {
			put(strings.Repeat("long", keyChunkSize/4+10))
		}
	}
	live := roaring.New()
	live.AddRange(0, uint64(len(keys)))
	problem, ok := kt.loadBase(uint32(len(keys)), live, area)
	require.True(t, ok, problem)
	require.GreaterOrEqual(t, len(kt.dir.Load().chunks), 3)
	for range 10 {
		keys = append(keys, fmt.Sprint("new", len(keys)))
		require.Equal(t, uint32(len(keys)-1), kt.assign(keys[len(keys)-1]))
	}
	kv := kt.view()
	for id, k := range keys {
		got, ok := kv.key(uint32(id))
		require.True(t, ok, id)
		require.Equal(t, k, got, id)
		found, ok := kv.lookup(k)
		require.True(t, ok, id)
		require.Equal(t, uint32(id), found)
	}
	d := kt.dir.Load()
	require.Same(t, &area[0], &d.chunks[0][0], "the records are the snapshot's bytes")
	require.Same(t, &area[len(area)-1], &d.chunks[len(d.chunks)-2][len(d.chunks[len(d.chunks)-2])-1])
}
