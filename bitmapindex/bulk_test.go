package bitmapindex

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// genChunk returns a random chunk for ix and the writes it is equivalent
// to (nil when the chunk is malformed in a way no single write can be:
// rows out of range, columns of the wrong length).
func genChunk(r source, ix *Index) (*Chunk, []op) {
	keys := make([]string, r.IntN(8)+1)
	for i := range keys {
		keys[i] = genKeys[r.IntN(len(genKeys))]
	}
	c := ix.NewChunk(keys)
	var ops []op
	for _, k := range keys {
		ops = append(ops, op{kind: opAdd, key: k})
	}
	malformed := false
	pickRows := func() []uint32 {
		if r.IntN(3) == 0 {
			return nil
		}
		rows := make([]uint32, r.IntN(7))
		for i := range rows {
			rows[i] = uint32(r.IntN(len(keys)))
			if r.IntN(60) == 0 {
				rows[i] = uint32(len(keys) + r.IntN(3)) // out of range
				malformed = true
			}
		}
		return rows
	}
	rowOf := func(rows []uint32, i int) int {
		if rows == nil {
			return i
		}
		return min(int(rows[i]), len(keys)-1) // out of range: malformed anyway
	}
	count := func(rows []uint32) int {
		if rows == nil {
			return len(keys)
		}
		return len(rows)
	}
	for range r.IntN(5) + 1 {
		rows := pickRows()
		n := count(rows)
		switch k := r.IntN(10); {
		case k < 2:
			tag := genTags[r.IntN(len(genTags))]
			if r.IntN(50) == 0 {
				tag, malformed = "", true // rejected even without rows
			}
			c.Tag(tag, rows)
			for i := range n {
				ops = append(ops, op{kind: opTag, key: keys[rowOf(rows, i)], name: tag})
			}
		case k < 4:
			e := genEvents[r.IntN(len(genEvents))]
			if r.IntN(50) == 0 {
				e, malformed = "", true
			}
			if rows == nil {
				rows = []uint32{}
				n = 0
			}
			ev := EventColumns{Rows: rows, At: make([]int64, n)}
			if r.IntN(2) == 0 {
				ev.Values = make([]Amount, n)
			}
			if r.IntN(2) == 0 {
				ev.Props = []PropColumn{{Name: "channel", Values: make([]string, n)}}
			}
			for i := range n {
				at := baseTime.Add(time.Duration(r.IntN(120*24)-60*24) * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second)
				ev.At[i] = at.Unix()
				var a Amount
				if ev.Values != nil {
					a, _ = AmountFromFloat(float64(r.IntN(1000)) / 4)
					ev.Values[i] = a
				}
				if ev.Props != nil {
					ev.Props[0].Values[i] = []string{"", "app", "web"}[r.IntN(3)]
				}
				ops = append(ops, recOp(keys[rowOf(rows, i)], e, ix.tz.DayOf(at), a.Float64()))
			}
			if n > 0 && r.IntN(40) == 0 {
				ev.At = ev.At[:n-1] // a column too short
				malformed = true
			}
			c.Events(e, ev)
		default:
			a := genAttrs[r.IntN(len(genAttrs))]
			kind := a // the kind of the values written
			if r.IntN(25) == 0 {
				kind = genAttrs[r.IntN(len(genAttrs))]
			}
			vals := make([]Value, n)
			for i := range vals {
				vals[i] = genValue(r, kind)
				if kind.Kind == KindTime {
					vals[i] = Time(time.Unix(vals[i].n, 0)) // columns hold seconds
				}
				if kind.Kind == KindDecimal && r.IntN(60) == 0 {
					vals[i] = Decimal(1e300) // out of range
				}
				ops = append(ops, op{kind: opSet, key: keys[rowOf(rows, i)], name: a.Name, v: vals[i]})
			}
			addColumn(c, a.Name, kind.Kind, rows, vals)
			if n > 0 && r.IntN(40) == 0 {
				addColumn(c, a.Name, kind.Kind, rows, vals[:n-1]) // a column too short
				malformed = true
			}
		}
	}
	if malformed {
		return c, nil
	}
	return c, ops
}

// addColumn adds values of a kind as the chunk's typed column.
func addColumn(c *Chunk, attr string, k Kind, rows []uint32, vals []Value) {
	switch k {
	case KindInt:
		xs := make([]int64, len(vals))
		for i, v := range vals {
			xs[i] = v.n
		}
		c.Ints(attr, rows, xs)
	case KindTime:
		xs := make([]int64, len(vals))
		for i, v := range vals {
			xs[i] = v.n
		}
		c.Times(attr, rows, xs)
	case KindDecimal:
		fs := make([]float64, len(vals))
		for i, v := range vals {
			fs[i] = v.f
		}
		c.Decimals(attr, rows, fs)
	case KindBool:
		bs := make([]bool, len(vals))
		for i, v := range vals {
			bs[i] = v.n != 0
		}
		c.Bools(attr, rows, bs)
	case KindCategory:
		ss := make([]string, len(vals))
		for i, v := range vals {
			ss[i] = v.s
		}
		c.Categories(attr, rows, ss)
	case KindSet:
		ss := make([][]string, len(vals))
		for i, v := range vals {
			ss[i], _ = v.AsStrings()
			// unsorted, with a repeat: the column normalises as SetOf does
			if len(ss[i]) > 1 {
				ss[i] = append(ss[i], ss[i][0])
				ss[i][0], ss[i][len(ss[i])-2] = ss[i][len(ss[i])-2], ss[i][0]
			}
		}
		c.Sets(attr, rows, ss)
	}
}

// chunkBatch commits a random chunk and applies its equivalent writes to
// the model: the index must accept exactly what the model accepts, give
// every row's customer the model's ID, and then hold what the model holds.
func (h *harness) chunkBatch() {
	t := h.t
	c, ops := genChunk(h.r, h.ix)
	ok := ops != nil && h.m.applyBatch(ops)
	ids, err := c.Commit()
	if !ok {
		var be *BatchError
		require.ErrorAs(t, err, &be)
		require.Equal(t, "chunk", be.Op)
		return
	}
	require.NoError(t, err)
	require.Len(t, ids, len(c.keys))
	for i, k := range c.keys {
		require.Equal(t, h.m.cust[k].id, ids[i], "row %d key %q", i, k)
	}
	_, err = c.Commit()
	require.ErrorIs(t, err, ErrCommitted)
}

// TestChunkProperty: random chunks mixed with single writes, batches and
// snapshot round trips agree with the model, in three configurations.
func TestChunkProperty(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	for i, cfg := range []Config{DefaultConfig(), {Location: shanghai, Strict: true, Schema: genAttrs}, {Location: time.FixedZone("X", -5*3600), Schema: genAttrs[:3]}} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("cfg%d/seed%d", i, seed), func(t *testing.T) {
				h := newHarness(t, randSource(seed+100*uint64(i)), cfg)
				for s := range 300 {
					if h.r.IntN(2) == 0 {
						h.chunkBatch()
					} else {
						h.step()
					}
					if s%30 == 29 {
						h.check(h.ix.View(), h.m)
					}
				}
				h.check(h.ix.View(), h.m)
			})
		}
	}
}

// TestChunkDurable: chunks are logged and replayed on Open (with and
// without a checkpoint in between) to the same data as the model's.
func TestChunkDurable(t *testing.T) {
	for seed := range uint64(3) {
		dir := t.TempDir()
		cfg := Config{Location: time.UTC}
		ix, err := Open(dir, cfg)
		require.NoError(t, err)
		h := &durableHarness{harness: &harness{t: t, r: randSource(seed), ix: ix, m: newModel(cfg)}, dir: dir, cfg: cfg}
		for i := range 200 {
			switch h.r.IntN(4) {
			case 0, 1:
				h.chunkBatch()
			default:
				h.step()
			}
			if i%50 == 49 {
				h.reopen() // replays the log (and checks against the model)
			}
		}
		h.reopen()
		require.NoError(t, h.ix.Close())
	}
}

// TestChunkErrors: a bad chunk writes nothing, and the error names the
// row, its key, the column and the kind.
func TestChunkErrors(t *testing.T) {
	ix, err := New(Config{Location: time.UTC, Schema: []Attribute{{Name: "age", Kind: KindInt}, {Name: "spend", Kind: KindDecimal, Scale: 2}}})
	require.NoError(t, err)
	_, err = ix.NewChunk([]string{"a"}).Commit()
	require.NoError(t, err)
	before := ix.View()

	cases := []struct {
		name string
		fill func(c *Chunk)
		want []string
	}{
		{"wrong kind", func(c *Chunk) { c.Categories("age", []uint32{2}, []string{"x"}) },
			[]string{`key "c"`, `"age"`, "row 2", "category", "int"}},
		{"decimal range", func(c *Chunk) { c.Decimals("spend", nil, []float64{1, 2.5, 1e300}) },
			[]string{"row 2", `"spend"`, "1e+300", "scale 2", "out of range"}},
		{"row out of range", func(c *Chunk) { c.Tag("vip", []uint32{0, 7}) },
			[]string{"row 7", "3 rows", `"vip"`}},
		{"lengths", func(c *Chunk) { c.Ints("age", nil, []int64{1}) },
			[]string{"1 values for 3 rows", "int"}},
		{"event instant", func(c *Chunk) {
			c.Events("buy", EventColumns{Rows: []uint32{1}, At: []int64{1 << 62}})
		}, []string{"row 1", `key "b"`, `"buy"`, "instant"}},
		{"event amount", func(c *Chunk) {
			c.Events("buy", EventColumns{Rows: []uint32{0, 1}, At: []int64{0, 0}, Values: []Amount{1, MaxAmount + 1}})
		}, []string{"row 1", "out of range"}},
		{"empty property", func(c *Chunk) {
			c.Events("buy", EventColumns{Rows: []uint32{0}, At: []int64{0}, Props: []PropColumn{{Name: "", Values: []string{"x"}}}})
		}, []string{"empty event property name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ix.NewChunk([]string{"a", "b", "c"})
			c.Tag("vip", nil)
			c.Ints("age", []uint32{0, 1}, []int64{30, 40})
			tc.fill(c)
			_, err := c.Commit()
			var be *BatchError
			require.ErrorAs(t, err, &be)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			if strings.Contains(tc.name, "kind") {
				var ke *KindError
				require.True(t, errors.As(err, &ke))
			}
			// nothing was written: not the keys, not the valid columns
			v := ix.View()
			require.Equal(t, before.Len(), v.Len())
			require.Zero(t, v.Tag("vip").Len())
			_, ok := v.ID("b")
			require.False(t, ok)
		})
	}
}

// TestChunkIDs: new keys get consecutive IDs in row order, existing keys
// keep theirs, and a key given twice is one customer.
func TestChunkIDs(t *testing.T) {
	ix, err := New(DefaultConfig())
	require.NoError(t, err)
	ids, err := ix.NewChunk([]string{"a", "b", "c"}).Commit()
	require.NoError(t, err)
	require.Equal(t, []uint32{0, 1, 2}, ids)
	ix.Delete("b")
	c := ix.NewChunk([]string{"d", "a", "b", "d"})
	c.Ints("n", nil, []int64{1, 2, 3, 4})
	ids, err = c.Commit()
	require.NoError(t, err)
	require.Equal(t, []uint32{3, 0, 4, 3}, ids)
	v := ix.View()
	p, _ := v.Profile("d")
	require.Equal(t, Int(4), p.Attrs["n"], "the later row wins")
	require.Equal(t, 4, v.Len())
}
