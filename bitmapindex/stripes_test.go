package bitmapindex

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/internal/knobs"
	"github.com/stretchr/testify/require"
)

// viewSets is every set of a view that may have stripes, by name.
func viewSets(t *testing.T, v *View) map[string]Set {
	out := map[string]Set{"live": v.All()}
	for _, tag := range v.Tags() {
		out["tag "+tag.Name] = v.Tag(tag.Name)
	}
	for _, a := range v.Schema() {
		s, err := v.Present(a.Name)
		require.NoError(t, err)
		out["present "+a.Name] = s
		if a.Kind == KindCategory {
			vals, err := v.Values(a.Name)
			require.NoError(t, err)
			for _, val := range vals {
				s, err := v.WithValue(a.Name, val)
				require.NoError(t, err)
				out["value "+val] = s
			}
		}
	}
	return out
}

// checkStripes checks that each set's stripes hold exactly its members of
// their ID range, and returns how many sets have stripes.
func checkStripes(t *testing.T, sets map[string]Set, bits int) int {
	striped := 0
	for name, s := range sets {
		parts := s.Stripes()
		if parts == nil {
			continue
		}
		striped++
		for k, p := range parts {
			if p == nil {
				p = roaring.New()
			}
			want := s.Bitmap().Clone()
			want.RemoveRange(0, uint64(k)<<bits)
			want.RemoveRange(uint64(k+1)<<bits, 1<<32)
			require.True(t, want.Equals(p), "%s: stripe %d", name, k)
		}
		require.Equal(t, s.Bitmap().Maximum()>>bits, uint32(len(parts)-1), "%s: number of stripes", name)
	}
	return striped
}

// TestStripes writes random batches (customers added and deleted, tags
// added and removed, category values set) and checks the stripes of every
// view's sets against the sets — also of older views after later writes,
// which must not have changed their shared containers — and of a snapshot
// read back.
func TestStripes(t *testing.T) {
	for _, bits := range []int{5, 16} {
		t.Run(fmt.Sprint("bits", bits), func(t *testing.T) {
			old := knobs.StripeBits
			knobs.StripeBits = bits
			defer func() { knobs.StripeBits = old }()
			n := 3000
			if bits == 16 {
				n = 300_000
			}
			ix := mustNew(t, Config{Schema: []Attribute{{Name: "city", Kind: KindCategory}}})
			r := rand.New(rand.NewPCG(uint64(bits), 9))
			type kept struct {
				v    *View
				sets map[string]Set
			}
			var views []kept
			total := 0
			for round := range 6 {
				b := ix.NewBatch()
				for i := range n / 3 {
					k := fmt.Sprint("c", r.IntN(n))
					if round > 0 && i%4 == 0 {
						b.Delete(k)
						continue
					}
					b.Add(k)
					for j, p := range []float64{0.7, 0.3, 0.1, 0.01} {
						switch {
						case r.Float64() < p:
							b.AddTag(k, fmt.Sprint("t", j))
						case round > 0 && r.IntN(3) == 0:
							b.RemoveTag(k, fmt.Sprint("t", j))
						}
					}
					b.Set(k, "city", Category([]string{"Beijing", "Shanghai", "Lhasa"}[r.IntN(3)]))
				}
				require.NoError(t, b.Commit())
				v := ix.View()
				sets := viewSets(t, v)
				total += checkStripes(t, sets, bits)
				views = append(views, kept{v, sets})
				for _, o := range views {
					checkStripes(t, o.sets, bits)
				}
			}
			require.Greater(t, total, 20, "sets with stripes")
			// a bulk chunk of new customers (the exact-size bitmap path)
			keys := make([]string, n)
			var rows, tagged []uint32
			cities := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprint("bulk", i)
				rows = append(rows, uint32(i))
				if r.IntN(3) > 0 {
					tagged = append(tagged, uint32(i))
				}
				cities[i] = []string{"Beijing", "Xi'an"}[r.IntN(2)]
			}
			c := ix.NewChunk(keys)
			c.Tag("t0", tagged)
			c.Tag("bulk", tagged)
			c.Categories("city", rows, cities)
			_, err := c.Commit()
			require.NoError(t, err)
			v := ix.View()
			require.NotNil(t, v.Tag("bulk").Stripes())
			checkStripes(t, viewSets(t, v), bits)
			for _, o := range views {
				checkStripes(t, o.sets, bits)
			}
			var buf bytes.Buffer
			_, err = ix.View().WriteTo(&buf)
			require.NoError(t, err)
			back, err := Read(&buf)
			require.NoError(t, err)
			require.Greater(t, checkStripes(t, viewSets(t, back.View()), bits), 3, "sets with stripes after a load")
		})
	}
}
