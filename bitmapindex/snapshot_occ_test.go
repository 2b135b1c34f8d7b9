package bitmapindex

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOccColumnsCrossChecks: an occ section whose IDs are not exactly the
// occurrences of its day (each customer of the day, as often as the day
// counts it) is rejected, saying how they differ.
func TestOccColumnsCrossChecks(t *testing.T) {
	ix := eventPopulation(t)
	honest := snapshotBytes(t, ix)
	_, err := Read(bytes.NewReader(honest))
	require.NoError(t, err)
	// rewrite the occ section with the most IDs through edit
	var target []byte
	for _, s := range splitSections(t, honest) {
		if binary.LittleEndian.Uint32(s) == secOcc && len(s) > len(target) {
			target = s
		}
	}
	require.NotNil(t, target)
	occWith := func(edit func(ids []uint32) []uint32) []byte {
		done := false
		return rewriteSections(t, honest, func(typ uint32, p []byte) []byte {
			if typ != secOcc || done || !bytes.Equal(p, target[16:]) {
				return p
			}
			done = true
			l, w := binary.Uvarint(p)
			out := slices.Clone(p[:w+int(l)+4])
			rest := p[w+int(l)+4:]
			n, w := binary.Uvarint(rest)
			rest = rest[w:]
			ids := make([]uint32, n)
			prev := uint64(0)
			for i := range ids {
				d, w := binary.Uvarint(rest)
				rest = rest[w:]
				prev += d
				ids[i] = uint32(prev)
			}
			require.Equal(t, byte(1), rest[0], "the population has values")
			ids = edit(ids)
			out = binary.AppendUvarint(out, uint64(len(ids)))
			prev32 := uint32(0)
			for _, id := range ids {
				out = binary.AppendUvarint(out, uint64(id-prev32))
				prev32 = id
			}
			out = append(out, 1)
			for range ids {
				out = binary.AppendUvarint(out, 2) // the value 1, zigzag
			}
			return append(out, 0) // no property columns
		})
	}
	_, err = Read(bytes.NewReader(occWith(func(ids []uint32) []uint32 { return ids })))
	require.NoError(t, err, "the rewrite itself keeps the snapshot valid")
	cases := map[string]struct {
		edit func([]uint32) []uint32
		want string
	}{
		"a customer left out": {func(ids []uint32) []uint32 {
			i := len(ids) / 2
			for i+1 < len(ids) && ids[i+1] == ids[i] {
				i++
			}
			j := i
			for j > 0 && ids[j-1] == ids[i] {
				j--
			}
			return slices.Delete(ids, j, i+1)
		}, "do not cover"},
		"the last customer left out": {func(ids []uint32) []uint32 {
			last := ids[len(ids)-1]
			for len(ids) > 0 && ids[len(ids)-1] == last {
				ids = ids[:len(ids)-1]
			}
			return ids
		}, "do not cover"},
		"an occurrence too many": {func(ids []uint32) []uint32 {
			return slices.Insert(ids, 1, ids[0])
		}, "do not match"},
		"a customer without occurrences that day": {func(ids []uint32) []uint32 {
			return append(ids, ids[len(ids)-1]+1)
		}, "do not match"},
		"another customer in place of one": {func(ids []uint32) []uint32 {
			if ids[0] > 0 {
				ids[0]--
			} else {
				ids[0] = ids[len(ids)-1] + 1
				slices.Sort(ids)
			}
			return ids
		}, "columns do"},
		"no IDs": {func([]uint32) []uint32 { return nil }, "do not cover"},
	}
	for name, c := range cases {
		_, err := Read(bytes.NewReader(occWith(c.edit)))
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.ErrorContains(t, err, c.want, name)
	}
}
