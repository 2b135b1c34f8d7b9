package bitmapindex

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
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

// bigChunk is a random chunk of many rows: mostly customers new to the
// index (whose occurrences the bulk path records with exact bitmaps), with
// now and then existing customers, rows given twice, several columns of
// one field, unsorted rows, empty sets, repeated occurrences on a day,
// values and properties, and days too spread for the dense buffers.
type bigChunk struct {
	keys []string
	cols []func(c *Chunk)
	ops  []op // the equivalent writes
}

func (bc bigChunk) chunk(ix *Index) *Chunk {
	c := ix.NewChunk(bc.keys)
	for _, add := range bc.cols {
		add(c)
	}
	return c
}

func genBigChunk(r source, loc *time.Location, size int, next *int, old []string) bigChunk {
	n := size/4 + r.IntN(size)
	var bc bigChunk
	for range n {
		switch {
		case len(old) > 0 && r.IntN(20) == 0:
			bc.keys = append(bc.keys, old[r.IntN(len(old))])
		case len(bc.keys) > 0 && r.IntN(200) == 0:
			bc.keys = append(bc.keys, bc.keys[r.IntN(len(bc.keys))]) // one customer twice
		default:
			bc.keys = append(bc.keys, fmt.Sprintf("n%06d", *next))
			*next++
		}
	}
	rows := func(share int) []uint32 { // ascending, or shuffled now and then
		if r.IntN(4) == 0 {
			return nil
		}
		var rs []uint32
		for i := range n {
			if r.IntN(100) < share {
				rs = append(rs, uint32(i))
				if r.IntN(100) == 0 {
					rs = append(rs, uint32(i)) // a row written twice
				}
			}
		}
		if r.IntN(5) == 0 {
			for i := range rs {
				j := r.IntN(i + 1)
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
		return rs
	}
	count := func(rs []uint32) int {
		if rs == nil {
			return n
		}
		return len(rs)
	}
	for _, k := range bc.keys {
		bc.ops = append(bc.ops, op{kind: opAdd, key: k})
	}
	keyOf := func(rs []uint32, i int) string {
		if rs == nil {
			return bc.keys[i]
		}
		return bc.keys[rs[i]]
	}
	set := func(attr string, rs []uint32, v func(i int) Value) {
		for i := range count(rs) {
			bc.ops = append(bc.ops, op{kind: opSet, key: keyOf(rs, i), name: attr, v: v(i)})
		}
	}
	names := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", ""}
	for range 1 + r.IntN(8) {
		rs := rows(5 + r.IntN(60))
		m := count(rs)
		switch k := r.IntN(9); k {
		case 0:
			tag := []string{"vip", "new", "gold"}[r.IntN(3)]
			bc.cols = append(bc.cols, func(c *Chunk) { c.Tag(tag, rs) })
			for i := range m {
				bc.ops = append(bc.ops, op{kind: opTag, key: keyOf(rs, i), name: tag})
			}
		case 1:
			xs := make([]int64, m)
			wide := r.IntN(3) == 0
			for i := range xs {
				xs[i] = int64(r.IntN(40))
				if wide {
					xs[i] = int64(r.IntN(1<<30)) - 1<<29
				}
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Ints("bint", rs, xs) })
			set("bint", rs, func(i int) Value { return Int(xs[i]) })
		case 2:
			fs := make([]float64, m)
			for i := range fs {
				fs[i] = float64(r.IntN(200000)-50000) / 100
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Decimals("bdec", rs, fs) })
			set("bdec", rs, func(i int) Value { return Decimal(fs[i]) })
		case 3:
			ts := make([]int64, m)
			for i := range ts {
				ts[i] = baseTime.Unix() + int64(r.IntN(2*365*86400)) - 365*86400
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Times("btime", rs, ts) })
			set("btime", rs, func(i int) Value { return Time(time.Unix(ts[i], 0)) })
		case 4:
			bs := make([]bool, m)
			for i := range bs {
				bs[i] = r.IntN(3) == 0
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Bools("bbool", rs, bs) })
			set("bbool", rs, func(i int) Value { return Bool(bs[i]) })
		case 5:
			ss := make([]string, m)
			for i := range ss {
				ss[i] = names[r.IntN(len(names))]
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Categories("bcat", rs, ss) })
			set("bcat", rs, func(i int) Value { return Category(ss[i]) })
		case 6:
			sets := make([][]string, m)
			for i := range sets {
				for range r.IntN(4) {
					sets[i] = append(sets[i], names[r.IntN(len(names))])
				}
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Sets("bset", rs, sets) })
			set("bset", rs, func(i int) Value { return SetOf(sets[i]...) })
		default:
			name := []string{"login", "buy", "view"}[r.IntN(3)]
			spread := 60
			if r.IntN(8) == 0 {
				spread = 3000 // more days than the dense buffers take
			}
			var ev EventColumns
			withVals, props := r.IntN(2) == 0, r.IntN(3)
			for p := range props {
				ev.Props = append(ev.Props, PropColumn{Name: []string{"channel", "category"}[p]})
			}
			if withVals {
				ev.Values = []Amount{}
			}
			for row := range n {
				occ := r.IntN(5)
				if r.IntN(3) == 0 {
					occ = 0
				}
				day := r.IntN(2*spread) - spread
				for range occ {
					if r.IntN(4) != 0 {
						day = r.IntN(2*spread) - spread // else the same day again
					}
					ev.Rows = append(ev.Rows, uint32(row))
					ev.At = append(ev.At, baseTime.Unix()+int64(day)*86400+int64(r.IntN(86400)))
					if withVals {
						ev.Values = append(ev.Values, Amount(r.IntN(3)*r.IntN(100000)))
					}
					for p := range ev.Props {
						ev.Props[p].Values = append(ev.Props[p].Values, []string{"", "app", "web", "shop"}[r.IntN(4)])
					}
				}
			}
			if r.IntN(5) == 0 { // occurrences in any order
				for i := range ev.Rows {
					j := r.IntN(i + 1)
					ev.Rows[i], ev.Rows[j] = ev.Rows[j], ev.Rows[i]
					ev.At[i], ev.At[j] = ev.At[j], ev.At[i]
					if withVals {
						ev.Values[i], ev.Values[j] = ev.Values[j], ev.Values[i]
					}
					for p := range ev.Props {
						ev.Props[p].Values[i], ev.Props[p].Values[j] = ev.Props[p].Values[j], ev.Props[p].Values[i]
					}
				}
			}
			bc.cols = append(bc.cols, func(c *Chunk) { c.Events(name, ev) })
			for i, row := range ev.Rows {
				var a Amount
				if withVals {
					a = ev.Values[i]
				}
				bc.ops = append(bc.ops, recOp(bc.keys[row], name, segkit.DayOf(time.Unix(ev.At[i], 0), loc), a.Float64()))
			}
		}
	}
	return bc
}

// TestChunkBulkMatchesBatch: a chunk applied by the bulk path (the only
// write of its batch) leaves the index as the batch path does (the chunk
// with another write) and holds what the model holds, over chunks of new
// and existing customers, and older views keep what they saw.
func TestChunkBulkMatchesBatch(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	for _, loc := range []*time.Location{time.UTC, shanghai} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/seed%d", loc, seed), func(t *testing.T) {
				r := randSource(seed)
				h := newHarness(t, r, Config{Location: loc})
				bulk := h.ix
				batch, err := New(Config{Location: loc})
				require.NoError(t, err)
				next := 0
				var keys []string
				var oldView *View
				var oldProfiles map[string]Profile
				for i := range 8 {
					size := 700
					if seed == 0 {
						size = 300 // checked against the model, which is slow
					}
					bc := genBigChunk(r, loc, size, &next, keys)
					ids, err := bc.chunk(bulk).Commit()
					require.NoError(t, err)
					require.True(t, h.m.applyBatch(bc.ops))
					b := batch.NewBatch()
					c := bc.chunk(batch)
					b.addChunk(c)
					b.Delete("no such key") // a second write: the batch path
					require.NoError(t, b.Commit())
					require.Equal(t, c.ids, ids)
					for _, k := range bc.keys {
						if !slices.Contains(keys, k) {
							keys = append(keys, k)
						}
					}
					if oldView != nil && i%3 == 0 {
						for k, p := range oldProfiles { // copy-on-write: the old view is unchanged
							got, _ := oldView.Profile(k)
							require.Equal(t, p, got, "old view, %s", k)
						}
					}
					if i%2 == 1 {
						requireSameIndex(t, r, bulk.View(), batch.View(), keys)
					}
					if i%3 == 0 {
						oldView, oldProfiles = bulk.View(), map[string]Profile{}
						for _, k := range keys[:min(len(keys), 300)] {
							oldProfiles[k], _ = oldView.Profile(k)
						}
					}
				}
				if seed == 0 {
					h.check(bulk.View(), h.m)
				}
				// the snapshots read back (their checks hold)
				for _, ix := range []*Index{bulk, batch} {
					var buf bytes.Buffer
					_, err := ix.View().WriteTo(&buf)
					require.NoError(t, err)
					_, err = Read(&buf)
					require.NoError(t, err)
				}
			})
		}
	}
}

// requireSameIndex checks that two views hold the same customers, tags,
// attributes, occurrences and details.
func requireSameIndex(t *testing.T, r source, a, b *View, keys []string) {
	t.Helper()
	require.Equal(t, a.Len(), b.Len())
	require.Equal(t, a.Tags(), b.Tags())
	require.Equal(t, a.Schema(), b.Schema())
	require.Equal(t, a.Events(), b.Events())
	for _, k := range keys {
		pa, oka := a.Profile(k)
		pb, okb := b.Profile(k)
		require.Equal(t, okb, oka, k)
		require.Equal(t, pb, pa, k)
		for _, e := range a.Events() {
			sa, _ := a.EventSum(e, k)
			sb, _ := b.EventSum(e, k)
			require.Equal(t, sb, sa, "%s %s", k, e)
		}
	}
	same := func(x, y Set, what string, args ...any) {
		t.Helper()
		require.True(t, x.Bitmap().Equals(y.Bitmap()), append([]any{what}, args...)...)
	}
	for _, at := range a.Schema() {
		switch at.Kind {
		case KindCategory, KindSet:
			va, err := a.Values(at.Name)
			require.NoError(t, err)
			vb, _ := b.Values(at.Name)
			require.Equal(t, vb, va)
			for _, v := range va {
				sa, _ := a.WithValue(at.Name, v)
				sb, _ := b.WithValue(at.Name, v)
				same(sa, sb, "%s = %q", at.Name, v)
			}
		default:
			for range 6 {
				var c Value
				switch at.Kind {
				case KindInt:
					c = Int(int64(r.IntN(50)) - 5)
				case KindDecimal:
					c = Decimal(float64(r.IntN(200000)-50000) / 100)
				case KindTime:
					c = Time(baseTime.Add(time.Duration(r.IntN(2*365*24)-365*24) * time.Hour))
				case KindBool:
					c = Bool(r.IntN(2) == 0)
				}
				for op := Eq; op <= Ge; op++ {
					sa, err := a.Compare(at.Name, op, c)
					require.NoError(t, err)
					sb, _ := b.Compare(at.Name, op, c)
					same(sa, sb, "%s %s %v", at.Name, op, c)
				}
			}
			pa, _ := a.Present(at.Name)
			pb, _ := b.Present(at.Name)
			same(pa, pb, "%s present", at.Name)
		}
	}
	today := segkit.DayOf(baseTime, a.Location())
	for _, e := range a.Events() {
		require.Equal(t, b.EventProperties(e), a.EventProperties(e), e)
		for _, p := range a.EventProperties(e) {
			va, _ := a.EventPropertyValues(e, p)
			vb, _ := b.EventPropertyValues(e, p)
			require.Equal(t, vb, va, "%s.%s", e, p)
		}
		for range 8 {
			from := today.AddDays(r.IntN(140) - 70)
			to := from.AddDays(r.IntN(60))
			if r.IntN(3) == 0 {
				to = today.AddDays(3100) // after every day: the recency ranks
			}
			same(a.Did(e, from, to), b.Did(e, from, to), "did %s", e)
			same(a.FirstIn(e, from, to), b.FirstIn(e, from, to), "first %s", e)
			for op := Eq; op <= Ge; op++ {
				n := int64(r.IntN(6))
				same(a.Count(e, from, to, op, n), b.Count(e, from, to, op, n), "count %s %s %d", e, op, n)
			}
			f := Filter{{Key: "channel", Values: []string{"app", "shop"}}}
			same(a.DidWhere(e, from, to, f), b.DidWhere(e, from, to, f), "did %s where", e)
			same(a.CountWhere(e, from, to, f, Ge, 2), b.CountWhere(e, from, to, f, Ge, 2), "count %s where", e)
			c := Amount(r.IntN(100000))
			same(a.SumWhere(e, from, to, nil, Ge, c), b.SumWhere(e, from, to, nil, Ge, c), "sum %s", e)
			same(a.AvgWhere(e, from, to, f, Le, c), b.AvgWhere(e, from, to, f, Le, c), "avg %s", e)
		}
	}
}
