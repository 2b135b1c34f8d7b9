package bitmapindex

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleIndex builds a small index using every feature.
func sampleIndex(t testing.TB) *Index {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	ix, err := New(Config{Location: shanghai, Strict: true, Schema: genAttrs})
	require.NoError(t, err)
	h := &harness{t: t, r: randSource(42), ix: ix, m: newModel(Config{Location: shanghai, Strict: true, Schema: genAttrs})}
	for range 300 {
		h.step()
	}
	return h.ix
}

func snapshotBytes(t testing.TB, ix *Index) []byte {
	var buf bytes.Buffer
	n, err := ix.View().WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), n)
	return buf.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	ix := sampleIndex(t)
	data := snapshotBytes(t, ix)
	back, err := Read(bytes.NewReader(data))
	require.NoError(t, err)
	v, w := ix.View(), back.View()
	assert.Equal(t, v.Location().String(), w.Location().String())
	assert.Equal(t, v.Schema(), w.Schema())
	assert.Equal(t, v.Tags(), w.Tags())
	assert.Equal(t, slices.Collect(v.All().Keys()), slices.Collect(w.All().Keys()))
	assert.Equal(t, slices.Collect(v.All().IDs()), slices.Collect(w.All().IDs()))
	assert.Equal(t, v.keys.n, w.keys.n, "deleted IDs are not reused after a load")
	for k := range v.All().Keys() {
		p1, _ := v.Profile(k)
		p2, _ := w.Profile(k)
		assert.Equal(t, p1, p2, k)
	}
	assert.Equal(t, data, snapshotBytes(t, back), "writing a loaded index gives the same bytes")
	// a loaded index keeps working
	id, created := back.Add("brand-new")
	assert.True(t, created)
	assert.Equal(t, v.keys.n, id)
}

func TestSaveLoadAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ix.segkit")
	ix := sampleIndex(t)
	require.NoError(t, ix.Save(path))
	first, err := os.ReadFile(path)
	require.NoError(t, err)
	back, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, ix.View().Len(), back.View().Len())

	require.NoError(t, ix.AddTag("zz", "later"))
	require.NoError(t, ix.Save(path))
	second, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotEqual(t, first, second)

	// a save that fails leaves the previous file and no temporary file
	require.NoError(t, os.Mkdir(filepath.Join(dir, "taken"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "taken", "x"), []byte("x"), 0o644))
	require.Error(t, ix.Save(filepath.Join(dir, "taken")))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"ix.segkit", "taken"}, names)
	_, err = Load(filepath.Join(dir, "missing"))
	require.Error(t, err)
}

func TestReadRejectsDamage(t *testing.T) {
	data := snapshotBytes(t, sampleIndex(t))
	// truncations: every length near the start and the end, and a few
	// hundred in between
	step := max(1, len(data)/150)
	for n := 0; n < len(data); {
		_, err := Read(bytes.NewReader(data[:n]))
		require.Error(t, err, "prefix of %d bytes", n)
		if n < 120 || n > len(data)-120 {
			n++
		} else {
			n += step
		}
	}
	// bit flips anywhere are caught (magic, version, header or checksum)
	r := randSource(3)
	for range 120 {
		d := slices.Clone(data)
		i := r.IntN(len(d))
		d[i] ^= 1 << r.IntN(8)
		_, err := Read(bytes.NewReader(d))
		require.Error(t, err, "flip at %d", i)
	}
	_, err := Read(bytes.NewReader(append(slices.Clone(data), 0)))
	require.ErrorIs(t, err, ErrCorrupt, "trailing bytes")
}

// section builds one snapshot section with a correct checksum.
func section(typ uint32, payload []byte) []byte {
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], typ)
	binary.LittleEndian.PutUint64(h[4:], uint64(len(payload)))
	binary.LittleEndian.PutUint32(h[12:], crc32.Checksum(payload, crcTable))
	return append(h[:], payload...)
}

func header() []byte {
	return binary.LittleEndian.AppendUint32([]byte(snapMagic), snapVersion)
}

// TestReadRejectsHostile feeds well-checksummed but lying sections.
func TestReadRejectsHostile(t *testing.T) {
	meta := func(ids uint32) []byte {
		var b []byte
		b = append(b, 0)
		b = binary.AppendUvarint(b, 3)
		b = append(b, "UTC"...)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = append(b, 0)
		return binary.LittleEndian.AppendUint32(b, ids)
	}
	bmBytes := func(ids ...uint32) []byte {
		ix := mustNew(t, DefaultConfig())
		_ = ix
		b, _ := (&roaringBuilder{ids: ids}).bytes()
		return b
	}
	keys := func(live []uint32, ks ...string) []byte {
		b := bmBytes(live...)
		for _, k := range ks {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
		}
		return b
	}
	schema := binary.AppendUvarint(nil, 0)
	end := section(secEnd, nil)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		data []byte
	}{
		{"huge section length", cat(header(), []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0})},
		{"bad zone", cat(header(), section(secMeta, []byte{0, 5, 'N', 'o', '/', 'p', 'e', 0, 0, 0, 0, 0, 1, 0, 0, 0}))},
		{"keys before meta", cat(header(), section(secKeys, keys([]uint32{0}, "a")), end)},
		{"live beyond id count", cat(header(), section(secMeta, meta(1)), section(secKeys, keys([]uint32{5}, "a")), end)},
		{"more keys claimed than bytes", cat(header(), section(secMeta, meta(1<<31)), section(secKeys, keys([]uint32{1, 2, 3, 1 << 30})), end)},
		{"duplicate key", cat(header(), section(secMeta, meta(3)), section(secKeys, keys([]uint32{0, 1}, "a", "a")), end)},
		{"huge schema count", cat(header(), section(secMeta, meta(1)), section(secKeys, keys([]uint32{0}, "a")), section(secSchema, binary.AppendUvarint(nil, 1<<40)), end)},
		{"tag with dead member", cat(header(), section(secMeta, meta(3)), section(secKeys, keys([]uint32{0}, "a")), section(secSchema, schema),
			section(secTag, append([]byte{1, 't'}, bmBytes(2)...)), end)},
		{"attr not declared", cat(header(), section(secMeta, meta(1)), section(secKeys, keys([]uint32{0}, "a")), section(secSchema, schema),
			section(secAttr, append([]byte{1, 'x'}, bmBytes(0)...)), end)},
		{"missing end", cat(header(), section(secMeta, meta(1)), section(secKeys, keys([]uint32{0}, "a")), section(secSchema, schema))},
		{"unknown section", cat(header(), section(secMeta, meta(1)), section(secKeys, keys([]uint32{0}, "a")), section(secSchema, schema), section(99, nil), end)},
		{"bad version", append([]byte(snapMagic), 9, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data))
			require.Error(t, err)
		})
	}
	// a minimal valid snapshot is accepted
	ok := cat(header(), section(secMeta, meta(4)), section(secKeys, keys([]uint32{0, 3}, "a", "d")), section(secSchema, schema), end)
	ix, err := Read(bytes.NewReader(ok))
	require.NoError(t, err)
	v := ix.View()
	id, found := v.ID("d")
	assert.True(t, found)
	assert.Equal(t, uint32(3), id)
	id, _ = ix.Add("e")
	assert.Equal(t, uint32(4), id)
}

type roaringBuilder struct{ ids []uint32 }

func (r *roaringBuilder) bytes() ([]byte, error) {
	b := newBitmap()
	b.AddMany(r.ids)
	return b.ToBytes()
}

func TestSnapshotFixedZoneAndDays(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	ix := mustNew(t, Config{Location: zone})
	require.NoError(t, ix.Record("a", "x", time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC), 1.5))
	back, err := Read(bytes.NewReader(snapshotBytes(t, ix)))
	require.NoError(t, err)
	v := back.View()
	_, off := time.Unix(0, 0).In(v.Location()).Zone()
	assert.Equal(t, -5*3600, off)
	assert.Equal(t, 1, v.Did("x", segkit.Date(2024, 12, 31), segkit.Date(2024, 12, 31)).Len())
	sum, _ := v.EventSum("x", "a")
	assert.Equal(t, 1.5, sum)
}

// TestSnapshotTimeDays checks the day bitmaps of time attributes through a
// snapshot: kept when stored as bit slices (layout 2), derived from value
// bitmaps, absent for layout 0 (answered from the slices), and rejected
// when they lie about the days of their customers.
func TestSnapshotTimeDays(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	t0 := time.Date(2025, 3, 28, 12, 0, 0, 0, loc) // across the DST change
	for _, vb := range []int{1, 256} {
		old := maxValueBitmaps
		maxValueBitmaps = vb
		ix := mustNew(t, Config{Location: loc, Schema: []Attribute{{Name: "t", Kind: KindTime}}})
		b := ix.NewBatch()
		for i := range 40 {
			b.Set(fmt.Sprintf("c%d", i), "t", Time(t0.Add(time.Duration(i)*7*time.Hour)))
		}
		require.NoError(t, b.Commit())
		maxValueBitmaps = old
		back, err := Read(bytes.NewReader(snapshotBytes(t, ix)))
		require.NoError(t, err)
		a := back.View().st.attrs["t"]
		require.NotNil(t, a.days, "vals %d", vb)
		assert.Len(t, a.days, len(ix.View().st.attrs["t"].days))
		for d := segkit.DayOf(t0, loc).AddDays(-1); d <= segkit.DayOf(t0, loc).AddDays(13); d++ {
			lo, hi := Time(d.Time(loc)), Time(d.AddDays(3).Time(loc).Add(-time.Second))
			want, err := ix.View().Between("t", lo, hi)
			require.NoError(t, err)
			got, err := back.View().Between("t", lo, hi)
			require.NoError(t, err)
			assert.Equal(t, want.Bitmap().ToArray(), got.Bitmap().ToArray(), "%s", d)
			assert.NotZero(t, want.Len()+boolInt(d > segkit.DayOf(t0, loc).AddDays(11)), "%s", d)
		}
	}

	// Hand-made attribute sections: two customers on consecutive days.
	v0, v1 := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC).Unix(), time.Date(2025, 3, 11, 12, 0, 0, 0, time.UTC).Unix()
	d0, d1 := segkit.DayOf(time.Unix(v0, 0), time.UTC), segkit.DayOf(time.Unix(v1, 0), time.UTC)
	bmOf := func(ids ...uint32) []byte {
		b, err := (&roaringBuilder{ids: ids}).bytes()
		require.NoError(t, err)
		return b
	}
	ref, x := ordered(v0), ordered(v1)^ordered(v0)
	attrSec := func(layout byte, days map[segkit.Day][]uint32, order []segkit.Day) []byte {
		p := append([]byte{1, 't'}, bmOf(0, 1)...)
		p = binary.LittleEndian.AppendUint64(p, ref)
		p = append(p, layout)
		p = binary.LittleEndian.AppendUint64(p, x)
		for m := x; m != 0; m &= m - 1 {
			p = append(p, bmOf(1)...)
		}
		if layout == 2 {
			p = binary.AppendUvarint(p, uint64(len(order)))
			for _, d := range order {
				p = binary.LittleEndian.AppendUint32(p, uint32(int32(d)))
				p = append(p, bmOf(days[d]...)...)
			}
		}
		return section(secAttr, p)
	}
	ix := mustNew(t, Config{Schema: []Attribute{{Name: "t", Kind: KindTime}}})
	b := ix.NewBatch()
	b.Set("a", "t", Value{k: KindTime, n: v0})
	b.Set("b", "t", Value{k: KindTime, n: v1})
	require.NoError(t, b.Commit())
	honest := snapshotBytes(t, ix)
	secs := splitSections(t, honest)
	build := func(attr []byte) []byte {
		var out []byte
		out = append(out, honest[:len(header())]...)
		for _, s := range secs {
			if binary.LittleEndian.Uint32(s) == secAttr {
				s = attr
			}
			out = append(out, s...)
		}
		return out
	}
	good, err := Read(bytes.NewReader(build(attrSec(2, map[segkit.Day][]uint32{d0: {0}, d1: {1}}, []segkit.Day{d0, d1}))))
	require.NoError(t, err)
	assert.Len(t, good.View().st.attrs["t"].days, 2)
	old, err := Read(bytes.NewReader(build(attrSec(0, nil, nil))))
	require.NoError(t, err)
	assert.Nil(t, old.View().st.attrs["t"].days, "layout 0 keeps no day bitmaps")
	s, err := old.View().Between("t", Time(d1.Time(time.UTC)), Time(d1.AddDays(1).Time(time.UTC).Add(-time.Second)))
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, s.Bitmap().ToArray(), "answered from the bit slices")
	for name, sec := range map[string][]byte{
		"swapped days":      attrSec(2, map[segkit.Day][]uint32{d0: {1}, d1: {0}}, []segkit.Day{d0, d1}),
		"missing a day":     attrSec(2, map[segkit.Day][]uint32{d0: {0}}, []segkit.Day{d0}),
		"days out of order": attrSec(2, map[segkit.Day][]uint32{d0: {0}, d1: {1}}, []segkit.Day{d1, d0}),
	} {
		_, err := Read(bytes.NewReader(build(sec)))
		assert.Error(t, err, name)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// splitSections returns a snapshot's sections (after the header), each
// with its frame.
func splitSections(t *testing.T, data []byte) [][]byte {
	var out [][]byte
	rest := data[len(header()):]
	for len(rest) > 0 {
		require.GreaterOrEqual(t, len(rest), 16)
		n := int(binary.LittleEndian.Uint64(rest[4:12]))
		out = append(out, rest[:16+n])
		rest = rest[16+n:]
	}
	return out
}
