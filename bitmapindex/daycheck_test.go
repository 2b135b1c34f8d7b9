package bitmapindex

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timePopulation is n customers, most with an instant over a few hundred
// days (some before 1970, some none), IDs spanning several check windows.
func timePopulation(t *testing.T, n int, seed uint64) *Index {
	ix, err := New(Config{Location: time.FixedZone("UTC+8", 8*3600), Schema: []Attribute{{Name: "t", Kind: KindTime}}})
	require.NoError(t, err)
	b := ix.NewBatch()
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		key := fmt.Sprint("c", i)
		b.Add(key)
		if r.IntN(10) == 0 {
			continue
		}
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		if r.IntN(20) == 0 {
			base = time.Date(1969, 12, 20, 0, 0, 0, 0, time.UTC).Unix()
		}
		b.Set(key, "t", Time(time.Unix(base+r.Int64N(300*86400), 0)))
	}
	require.NoError(t, b.Commit())
	return ix
}

// boundsOf is the day bitmaps of attribute t with their bounds, by day.
func boundsOf(a *attr) []dayBounds {
	var out []dayBounds
	for _, d := range slices.Sorted(maps.Keys(a.days)) {
		out = append(out, dayBounds{day: d, b: a.days[d].b, lo: ordered(a.tz.Start(d).Unix()), hi: ordered(a.tz.End(d).Unix())})
	}
	return out
}

// naiveOutOfBounds lists the days with a member whose value (read bit by
// bit with Contains, once per customer) is outside the day's bounds.
func naiveOutOfBounds(slices []*roaring.Bitmap, ref uint64, days []dayBounds, vals map[uint32]uint64) map[int]bool {
	value := func(x uint32) uint64 {
		if u, ok := vals[x]; ok {
			return u
		}
		var u uint64
		for k, s := range slices {
			if s.Contains(x) {
				u |= 1 << uint(k)
			}
		}
		vals[x] = u ^ ref
		return u ^ ref
	}
	bad := map[int]bool{}
	for i, d := range days {
		for x := range roaring.Values(d.b) {
			if u := value(x); u < d.lo || u > d.hi {
				bad[i] = true
			}
		}
	}
	return bad
}

// TestDayOutOfBounds checks the snapshot reader's check of time attributes'
// day bitmaps against a member-by-member reference, on honest day bitmaps
// and on ones with a member moved to another day.
func TestDayOutOfBounds(t *testing.T) {
	ix := timePopulation(t, 200_000, 1)
	a := ix.View().st.attrs["t"]
	sl := a.sliceBitmaps()
	honest := boundsOf(a)
	require.Greater(t, len(honest), 300)
	require.Equal(t, -1, dayOutOfBounds(sl, a.ref, honest))
	vals := map[uint32]uint64{}
	require.Empty(t, naiveOutOfBounds(sl, a.ref, honest, vals))

	r := rand.New(rand.NewPCG(2, 3))
	for trial := range 60 {
		days := slices.Clone(honest)
		moves := 1 + r.IntN(3)
		for range moves {
			i, j := r.IntN(len(days)), r.IntN(len(days))
			if trial < 30 { // to the next or previous day: a value off by a day
				j = max(0, min(len(days)-1, i+1-2*(trial%2)))
			}
			if i == j {
				continue
			}
			from, to := days[i].b.Clone(), days[j].b.Clone()
			x, err := from.Select(uint32(r.IntN(int(from.GetCardinality()))))
			require.NoError(t, err)
			from.Remove(x)
			to.Add(x)
			days[i].b, days[j].b = from, to
		}
		want := naiveOutOfBounds(sl, a.ref, days, vals)
		got := dayOutOfBounds(sl, a.ref, days)
		if len(want) == 0 {
			assert.Equal(t, -1, got, "trial %d", trial)
		} else {
			assert.True(t, want[got], "trial %d: day %d reported, want one of %v", trial, got, want)
		}
	}
}

// TestSnapshotDayMoved writes a snapshot whose time attribute has a
// customer in the day bitmap of another day: reading it fails, naming the
// attribute and the day.
func TestSnapshotDayMoved(t *testing.T) {
	ix := timePopulation(t, 100_000, 4)
	v := ix.View()
	a := v.st.attrs["t"]
	days := boundsOf(a)
	from, to := days[10], days[20]
	x := from.b.Maximum() // in the last check window of that day
	fb, tb := from.b.Clone(), to.b.Clone()
	fb.Remove(x)
	tb.Add(x)
	a.days[from.day] = &bm{b: fb, gen: a.days[from.day].gen}
	a.days[to.day] = &bm{b: tb, gen: a.days[to.day].gen}
	var buf bytes.Buffer
	_, err := v.WriteTo(&buf)
	require.NoError(t, err)
	_, err = Read(bytes.NewReader(buf.Bytes()))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, fmt.Sprintf("attribute \"t\": day %s holds values of other days", to.day))
}
