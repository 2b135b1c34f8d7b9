package bitmapindex

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/stretchr/testify/require"
)

// A naive map-based model of the index, used by the property and fuzz tests.

type mcust struct {
	id     uint32
	tags   map[string]bool
	attrs  map[string]Value
	events map[string][]segkit.Day
	sums   map[string]float64
}

type model struct {
	bulk     []bulkOp // bulk data of the batch being applied
	liveIDs  map[uint32]bool
	loc      *time.Location
	strict   bool
	schema   map[string]Attribute
	next     uint32
	cust     map[string]*mcust // live customers by key
	tagsEver map[string]bool
	events   map[string]bool
}

func newModel(cfg Config) *model {
	m := &model{loc: cfg.Location, strict: cfg.Strict, schema: map[string]Attribute{}, cust: map[string]*mcust{}, tagsEver: map[string]bool{}, events: map[string]bool{}}
	if m.loc == nil {
		m.loc = time.UTC
	}
	for _, a := range cfg.Schema {
		m.schema[a.Name] = a
	}
	return m
}

func (m *model) clone() *model {
	c := *m
	c.schema = maps.Clone(m.schema)
	c.tagsEver = maps.Clone(m.tagsEver)
	c.events = maps.Clone(m.events)
	c.cust = map[string]*mcust{}
	for k, x := range m.cust {
		y := &mcust{id: x.id, tags: maps.Clone(x.tags), attrs: maps.Clone(x.attrs), events: map[string][]segkit.Day{}, sums: maps.Clone(x.sums)}
		for e, ds := range x.events {
			y.events[e] = slices.Clone(ds)
		}
		c.cust[k] = y
	}
	return &c
}

func (m *model) upsert(key string) *mcust {
	if c := m.cust[key]; c != nil {
		return c
	}
	c := &mcust{id: m.next, tags: map[string]bool{}, attrs: map[string]Value{}, events: map[string][]segkit.Day{}, sums: map[string]float64{}}
	m.next++
	m.cust[key] = c
	return c
}

// valid reports whether the model accepts a write (mirrors the documented
// validation), given the attributes declared so far in the batch.
func (m *model) valid(o op, pending map[string]Attribute) bool {
	switch o.kind {
	case opTag, opUntag, opRecord, opRecordEvent:
		return o.name != ""
	case opClear:
		_, ok := m.schema[o.name]
		_, ok2 := pending[o.name]
		return ok || ok2 || !m.strict
	case opTagIDs, opRecordIDs:
		bo := m.bulk[o.bulk]
		for _, id := range bo.ids {
			if !m.liveIDs[id] {
				return false
			}
		}
		return o.name != ""
	case opSetIDs:
		bo := m.bulk[o.bulk]
		for _, id := range bo.ids {
			if !m.liveIDs[id] {
				return false
			}
		}
		for _, v := range bo.vals {
			if !m.valid(op{kind: opSet, name: o.name, v: v}, pending) {
				return false
			}
		}
		return true
	case opSet:
		if !o.v.IsValid() {
			return false
		}
		a, ok := m.schema[o.name]
		if !ok {
			a, ok = pending[o.name]
		}
		if !ok {
			if m.strict || o.name == "" {
				return false
			}
			a = inferAttr(o.name, o.v)
			pending[o.name] = a
		}
		if a.Kind != o.v.k {
			return false
		}
		if a.Kind == KindDecimal {
			if _, err := toFixed(o.v.f, a.Scale); err != nil {
				return false
			}
		}
	}
	return true
}

func (m *model) apply(o op) {
	switch o.kind {
	case opAdd:
		m.upsert(o.key)
	case opDelete:
		delete(m.cust, o.key)
	case opTag:
		m.upsert(o.key).tags[o.name] = true
		m.tagsEver[o.name] = true
	case opUntag:
		delete(m.upsert(o.key).tags, o.name)
	case opSet:
		c := m.upsert(o.key)
		if _, ok := m.schema[o.name]; !ok {
			m.schema[o.name] = inferAttr(o.name, o.v)
		}
		if o.v.k == KindSet && o.v.s == "" {
			delete(c.attrs, o.name)
		} else {
			c.attrs[o.name] = o.v
		}
	case opClear:
		delete(m.upsert(o.key).attrs, o.name)
	case opRecord, opRecordEvent:
		c := m.upsert(o.key)
		c.events[o.name] = append(c.events[o.name], o.day())
		c.sums[o.name] += o.f()
		m.events[o.name] = true
	case opTagIDs, opSetIDs, opRecordIDs:
		bo := m.bulk[o.bulk]
		for i, id := range bo.ids {
			key, ok := m.keyOf(id)
			if !ok {
				continue // deleted earlier in the batch
			}
			switch o.kind {
			case opTagIDs:
				m.apply(op{kind: opTag, key: key, name: o.name})
			case opSetIDs:
				m.apply(op{kind: opSet, key: key, name: o.name, v: bo.vals[i]})
			case opRecordIDs:
				f := 0.0
				if bo.floats != nil {
					f = bo.floats[i]
				}
				m.apply(recOp(key, o.name, bo.day, f))
			}
		}
	}
}

func (m *model) keyOf(id uint32) (string, bool) {
	for k, c := range m.cust {
		if c.id == id {
			return k, true
		}
	}
	return "", false
}

// applyBatch applies ops if all are valid and reports whether it did.
func (m *model) applyBatch(ops []op) bool {
	m.liveIDs = map[uint32]bool{}
	for _, c := range m.cust {
		m.liveIDs[c.id] = true
	}
	pending := map[string]Attribute{}
	for _, o := range ops {
		if !m.valid(o, pending) {
			return false
		}
	}
	for _, o := range ops {
		m.apply(o)
	}
	return true
}

func (m *model) keysWhere(f func(*mcust) bool) []string {
	var out []string
	for k, c := range m.cust {
		if f(c) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func setKeys(s Set) []string {
	out := slices.Collect(s.Keys())
	sort.Strings(out)
	return out
}

// ---- random operations -----------------------------------------------------

// source is the randomness that drives operation sequences: math/rand for
// property tests, fuzzer bytes for fuzz tests.
type source interface{ IntN(n int) int }

type byteSource struct{ b []byte }

func (s *byteSource) IntN(n int) int {
	if n <= 1 {
		return 0
	}
	var x int
	for range 2 {
		x <<= 8
		if len(s.b) > 0 {
			x |= int(s.b[0])
			s.b = s.b[1:]
		}
	}
	return x % n
}

var (
	genKeys   = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
	genTags   = []string{"vip", "new", "churn", "x"}
	genEvents = []string{"login", "buy"}
	genAttrs  = []Attribute{
		{Name: "city", Kind: KindCategory},
		{Name: "likes", Kind: KindSet},
		{Name: "n", Kind: KindInt},
		{Name: "small", Kind: KindInt},
		{Name: "spend", Kind: KindDecimal, Scale: 2},
		{Name: "w", Kind: KindDecimal, Scale: 1},
		{Name: "seen", Kind: KindTime},
		{Name: "ok", Kind: KindBool},
	}
	genCities = []string{"Beijing", "Shanghai", "Bern", "", "Zürich"}
	baseTime  = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
)

func genValue(r source, a Attribute) Value {
	switch a.Kind {
	case KindCategory:
		return Category(genCities[r.IntN(len(genCities))])
	case KindSet:
		var vs []string
		for range r.IntN(4) {
			vs = append(vs, genCities[r.IntN(len(genCities))])
		}
		return SetOf(vs...)
	case KindInt:
		if a.Name == "small" {
			return Int(int64(r.IntN(7) - 3))
		}
		switch r.IntN(6) {
		case 0:
			return Int(-1 << 63)
		case 1:
			return Int(1<<63 - 1)
		case 2:
			return Int(int64(r.IntN(1<<20)) - 1<<19)
		}
		return Int(int64(r.IntN(200) - 100))
	case KindDecimal:
		if r.IntN(8) == 0 {
			return Decimal([]float64{100.555, 1.005, -0.005, 0.125, -2.675, 1e15}[r.IntN(6)])
		}
		return Decimal(float64(r.IntN(40001)-20000) / 1000)
	case KindTime:
		// within minutes (second-precision collisions) or within weeks
		// (many days, for the day bitmaps)
		unit := []time.Duration{137 * time.Millisecond, 137 * time.Second}[r.IntN(2)]
		return Time(baseTime.Add(time.Duration(r.IntN(20000)-10000) * unit))
	case KindBool:
		return Bool(r.IntN(2) == 1)
	}
	return Value{}
}

// genOp returns a random write; sometimes an invalid one.
func genOp(r source, loc *time.Location) op {
	key := genKeys[r.IntN(len(genKeys))]
	switch k := r.IntN(20); {
	case k < 1:
		return op{kind: opAdd, key: key}
	case k < 3:
		return op{kind: opDelete, key: key}
	case k < 6:
		return op{kind: opTag, key: key, name: genTags[r.IntN(len(genTags))]}
	case k < 7:
		return op{kind: opUntag, key: key, name: genTags[r.IntN(len(genTags))]}
	case k < 13:
		a := genAttrs[r.IntN(len(genAttrs))]
		switch r.IntN(40) {
		case 0: // wrong kind
			b := genAttrs[r.IntN(len(genAttrs))]
			return op{kind: opSet, key: key, name: a.Name, v: genValue(r, b)}
		case 1:
			return op{kind: opSet, key: key, name: a.Name} // zero Value
		case 2:
			return op{kind: opSet, key: key, name: "undeclared", v: Int(1)}
		case 3:
			return op{kind: opSet, key: key, name: "spend", v: Decimal(1e300)} // out of range
		}
		return op{kind: opSet, key: key, name: a.Name, v: genValue(r, a)}
	case k < 14:
		return op{kind: opClear, key: key, name: genAttrs[r.IntN(len(genAttrs))].Name}
	default:
		at := baseTime.Add(time.Duration(r.IntN(120*24)-60*24) * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second)
		f := 0.0
		if r.IntN(2) == 0 {
			f = float64(r.IntN(1000)) / 4
		}
		if r.IntN(200) == 0 {
			return recOp(key, "", segkit.DayOf(at, loc), 0)
		}
		return recOp(key, genEvents[r.IntN(len(genEvents))], segkit.DayOf(at, loc), f)
	}
}

func addToBatch(b *Batch, o op) {
	switch o.kind {
	case opAdd:
		b.Add(o.key)
	case opDelete:
		b.Delete(o.key)
	case opTag:
		b.AddTag(o.key, o.name)
	case opUntag:
		b.RemoveTag(o.key, o.name)
	case opSet:
		b.Set(o.key, o.name, o.v)
	case opClear:
		b.Clear(o.key, o.name)
	case opRecord:
		b.addRecord(o.key, o.name, o.day(), o.f()) // the day is already in the index's zone
	case opRecordEvent:
		// tests put the value in f and one property, "channel", in v.s
		a, _ := AmountFromFloat(o.f())
		b.RecordEvent(o.key, o.name, o.day().Time(b.ix.loc).Add(90*time.Minute), EventDetail{Value: a, Props: map[string]string{"channel": o.v.s}})
	}
}

// applySingle applies one write through the Index's single-write methods.
func applySingle(ix *Index, o op) error {
	switch o.kind {
	case opAdd:
		ix.Add(o.key)
	case opDelete:
		ix.Delete(o.key)
	case opTag:
		return ix.AddTag(o.key, o.name)
	case opUntag:
		return ix.RemoveTag(o.key, o.name)
	case opSet:
		return ix.Set(o.key, o.name, o.v)
	case opClear:
		return ix.Clear(o.key, o.name)
	case opRecord:
		return ix.Record(o.key, o.name, o.day().Time(ix.loc).Add(90*time.Minute), o.f())
	}
	return nil
}

// ---- the harness -----------------------------------------------------------

type harness struct {
	prof Profile // reused by check, as FillProfile's callers do
	t    testing.TB
	r    source
	ix   *Index
	m    *model
	// an older view with the model as it was, re-checked later
	oldView  *View
	oldModel *model
}

func newHarness(t testing.TB, r source, cfg Config) *harness {
	ix, err := New(cfg)
	require.NoError(t, err)
	return &harness{t: t, r: r, ix: ix, m: newModel(cfg)}
}

// step performs one random action.
func (h *harness) step() {
	t, r := h.t, h.r
	switch k := r.IntN(40); {
	case k < 20:
		o := genOp(r, h.ix.loc)
		pending := map[string]Attribute{}
		ok := h.m.valid(o, pending)
		err := applySingle(h.ix, o)
		if ok {
			require.NoError(t, err, "op %+v", o)
			h.m.apply(o)
		} else if o.kind != opAdd && o.kind != opDelete {
			require.Error(t, err, "op %+v", o)
		}
	case k < 34:
		b := h.ix.NewBatch()
		var ops []op
		for range r.IntN(12) + 1 {
			o := genOp(r, h.ix.loc)
			ops = append(ops, o)
			addToBatch(b, o)
		}
		require.Equal(t, len(ops), b.Len())
		ok := h.m.applyBatch(ops)
		err := b.Commit()
		if ok {
			require.NoError(t, err)
			require.ErrorIs(t, b.Commit(), ErrCommitted)
		} else {
			var be *BatchError
			require.ErrorAs(t, err, &be)
		}
	case k < 36:
		h.chunkBatch()
	case k < 37:
		h.bulkBatch()
	case k < 38:
		h.oldView, h.oldModel = h.ix.View(), h.m.clone()
	default:
		var buf bytes.Buffer
		_, err := h.ix.View().WriteTo(&buf)
		require.NoError(t, err)
		ix2, err := Read(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		h.ix = ix2
	}
}

// bulkBatch commits a batch mixing writes by key and bulk writes by ID.
func (h *harness) bulkBatch() {
	t, r := h.t, h.r
	b := h.ix.NewBatch()
	var ops []op
	var ids []uint32
	for _, c := range h.m.cust {
		ids = append(ids, c.id)
	}
	slices.Sort(ids)
	pick := func() []uint32 {
		var out []uint32
		for range r.IntN(6) {
			if len(ids) > 0 && r.IntN(12) != 0 {
				out = append(out, ids[r.IntN(len(ids))])
			} else {
				out = append(out, h.m.next+uint32(r.IntN(3))) // not a live customer
			}
		}
		return out
	}
	for range r.IntN(6) + 1 {
		if r.IntN(2) == 0 {
			o := genOp(r, h.ix.loc)
			ops = append(ops, o)
			addToBatch(b, o)
			continue
		}
		switch r.IntN(3) {
		case 0:
			tag := genTags[r.IntN(len(genTags))]
			sel := pick()
			b.AddTagIDs(tag, sel)
			ops = append(ops, op{kind: opTagIDs, name: tag, bulk: int32(len(b.bulk) - 1)})
		case 1:
			a := genAttrs[r.IntN(len(genAttrs))]
			sel := pick()
			vals := make([]Value, len(sel))
			for i := range vals {
				vals[i] = genValue(r, a)
			}
			b.SetIDs(a.Name, sel, vals)
			ops = append(ops, op{kind: opSetIDs, name: a.Name, bulk: int32(len(b.bulk) - 1)})
		default:
			e := genEvents[r.IntN(len(genEvents))]
			sel := pick()
			var fs []float64
			if r.IntN(2) == 0 {
				fs = make([]float64, len(sel))
				for i := range fs {
					fs[i] = float64(r.IntN(100))
				}
			}
			at := baseTime.Add(time.Duration(r.IntN(100*24)-50*24) * time.Hour)
			b.RecordIDs(e, at, sel, fs)
			ops = append(ops, op{kind: opRecordIDs, name: e, bulk: int32(len(b.bulk) - 1)})
		}
	}
	h.m.bulk = b.bulk
	ok := h.m.applyBatch(ops)
	h.m.bulk = nil
	err := b.Commit()
	if ok {
		require.NoError(t, err)
	} else {
		var be *BatchError
		require.ErrorAs(t, err, &be)
	}
}

// check compares every query of a view with the model.
func (h *harness) check(v *View, m *model) {
	t, r := h.t, h.r
	require.Equal(t, len(m.cust), v.Len())
	require.Equal(t, m.keysWhere(func(*mcust) bool { return true }), setKeys(v.All()))
	for key, c := range m.cust {
		id, ok := v.ID(key)
		require.True(t, ok, key)
		require.Equal(t, c.id, id, "ID of %q", key)
		k, ok := v.Key(id)
		require.True(t, ok)
		require.Equal(t, key, k)
	}
	for _, key := range genKeys {
		if m.cust[key] == nil {
			_, ok := v.ID(key)
			require.False(t, ok, "deleted key %q still has an ID", key)
		}
	}
	// tags
	var wantTags []TagCount
	for _, tag := range slices.Sorted(maps.Keys(m.tagsEver)) {
		want := m.keysWhere(func(c *mcust) bool { return c.tags[tag] })
		wantTags = append(wantTags, TagCount{Name: tag, Count: len(want)})
		require.Equal(t, want, setKeys(v.Tag(tag)), "tag %q", tag)
		require.True(t, v.HasTag(tag))
	}
	gotTags := v.Tags()
	if len(wantTags) == 0 {
		require.Empty(t, gotTags)
	} else {
		require.Equal(t, wantTags, gotTags)
	}
	require.Equal(t, 0, v.Tag("nope").Len())
	// schema
	require.Equal(t, sortedSchema(m.schema), v.Schema())
	// attributes
	for _, a := range sortedSchema(m.schema) {
		h.checkAttr(v, m, a)
	}
	_, err := v.Compare("nope", Eq, Int(1))
	require.ErrorIs(t, err, ErrUnknownAttribute)
	// events
	require.Equal(t, nonNil(slices.Sorted(maps.Keys(m.events))), nonNil(v.Events()))
	for _, e := range append(slices.Clone(genEvents), "never") {
		for range 4 {
			h.checkWindow(v, m, e)
		}
	}
	checkHeldCounts(t, v, r.IntN(2) == 0)
	// profiles
	for key, c := range m.cust {
		p, ok := v.Profile(key)
		require.True(t, ok)
		require.Equal(t, key, p.Key)
		wantTags := map[string]bool{}
		for tg := range c.tags {
			wantTags[tg] = true
		}
		require.Equal(t, wantTags, p.Tags, key)
		require.Len(t, p.Attrs, len(c.attrs), key)
		for name, want := range c.attrs {
			got, ok := p.Attrs[name]
			require.True(t, ok, "%s.%s", key, name)
			require.Equal(t, norm(m.schema[name], want), norm(m.schema[name], got), "%s.%s", key, name)
		}
		require.Len(t, p.Events, len(c.events), key)
		for e, days := range c.events {
			ds := slices.Clone(days)
			slices.Sort(ds)
			var got []segkit.Day
			for _, at := range p.Events[e] {
				got = append(got, segkit.DayOf(at, v.Location()))
			}
			require.Equal(t, ds, got, "%s events %s", key, e)
			sum, ok := v.EventSum(e, key)
			require.True(t, ok)
			require.InDelta(t, c.sums[e], sum, 1e-6)
		}
		// ProfileOf reads the same, and FillProfile (one Profile reused
		// across customers) only the fields asked for
		id, _ := v.ID(key)
		all, ok := v.ProfileOf(id, nil)
		require.True(t, ok)
		require.Equal(t, p, all, key)
		only := Fields{Tags: genTags[:len(genTags)/2], Attrs: []string{genAttrs[0].Name, "nope"}, Events: genEvents[:1]}
		require.True(t, v.FillProfile(&h.prof, id, &only))
		want := Profile{Key: key, Location: p.Location, Tags: map[string]bool{}, Attrs: map[string]Value{}, Schema: map[string]Attribute{}, Events: map[string][]time.Time{}}
		for _, tg := range only.Tags {
			if p.Tags[tg] {
				want.Tags[tg] = true
			}
		}
		if x, ok := p.Attrs[only.Attrs[0]]; ok {
			want.Attrs[only.Attrs[0]] = x
		}
		if def, ok := p.Schema[only.Attrs[0]]; ok {
			want.Schema[only.Attrs[0]] = def
		}
		if x, ok := p.Events[only.Events[0]]; ok {
			want.Events[only.Events[0]] = x
			if d, ok := p.Details[only.Events[0]]; ok {
				want.Details = map[string][]EventDetail{only.Events[0]: d}
			}
		}
		got := h.prof
		if len(got.Details) == 0 {
			got.Details = nil
		}
		require.Equal(t, want, got, key)
		// From: only the occurrences on or after a day, with their details
		for _, e := range genEvents {
			ts := p.Events[e]
			if len(ts) == 0 {
				continue
			}
			from := segkit.DayOf(ts[r.IntN(len(ts))], v.Location()) + segkit.Day(r.IntN(3)-1)
			only := Fields{Events: []string{e}, From: map[string]segkit.Day{e: from}}
			require.True(t, v.FillProfile(&h.prof, id, &only))
			var wantTs []time.Time
			var wantDet []EventDetail
			for i, at := range ts {
				if segkit.DayOf(at, v.Location()) >= from {
					wantTs = append(wantTs, at)
					if d, ok := p.Details[e]; ok {
						wantDet = append(wantDet, d[i])
					}
				}
			}
			require.Equal(t, wantTs, h.prof.Events[e], "%s %s from %s", key, e, from)
			someDet := false
			for _, d := range wantDet {
				someDet = someDet || d.Value != 0 || d.Props != nil
			}
			if someDet {
				require.Equal(t, wantDet, h.prof.Details[e], "%s %s details from %s", key, e, from)
			} else {
				require.Empty(t, h.prof.Details[e])
			}
		}
	}
}

// checkHeldCounts checks that every block counter v holds (built by a
// query, then carried and updated by writers) equals the sum of its days.
// build first builds every counter, so that later writes update them.
func checkHeldCounts(t testing.TB, v *View, build bool) {
	t.Helper()
	for name, e := range v.st.events {
		for b, n := range e.blocks {
			if build {
				n.counts(e, b)
			}
			held := n.built()
			if held == nil {
				continue
			}
			want := e.sumBlock(b)
			top := len(held)
			for top > 0 && held[top-1].empty() {
				top--
			}
			require.Len(t, held[:top], len(want), "event %q block %d: counter slices", name, b)
			for i, x := range want {
				require.True(t, x.b.Equals(orEmpty(held[i].bits())), "event %q block %d: counter slice %d differs from the days", name, b, i)
			}
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// norm makes a stored value comparable across the model and the index.
func norm(a Attribute, v Value) string {
	switch v.k {
	case KindDecimal:
		m, err := toFixed(v.f, a.Scale)
		if err != nil {
			return "bad decimal"
		}
		return fmt.Sprint("dec:", m)
	case KindTime:
		return fmt.Sprint("time:", v.n)
	}
	return v.k.String() + ":" + v.String()
}

func (h *harness) checkAttr(v *View, m *model, a Attribute) {
	t, r := h.t, h.r
	has := func(c *mcust) (Value, bool) { x, ok := c.attrs[a.Name]; return x, ok }
	pres, err := v.Present(a.Name)
	require.NoError(t, err)
	require.Equal(t, m.keysWhere(func(c *mcust) bool { _, ok := has(c); return ok }), setKeys(pres), "present %s", a.Name)
	if a.Kind == KindSet || a.Kind == KindCategory {
		want := map[string]bool{}
		for _, c := range m.cust {
			if x, ok := has(c); ok {
				if a.Kind == KindSet {
					ss, _ := x.AsStrings()
					for _, s := range ss {
						want[s] = true
					}
				} else {
					want[x.s] = true
				}
			}
		}
		vals, err := v.Values(a.Name)
		require.NoError(t, err)
		require.Equal(t, nonNil(slices.Sorted(maps.Keys(want))), nonNil(vals), "values %s", a.Name)
		for _, s := range genCities {
			got, err := v.WithValue(a.Name, s)
			require.NoError(t, err)
			require.Equal(t, m.keysWhere(func(c *mcust) bool {
				x, ok := has(c)
				if !ok {
					return false
				}
				if a.Kind == KindSet {
					ss, _ := x.AsStrings()
					return slices.Contains(ss, s)
				}
				return x.s == s
			}), setKeys(got), "%s with value %q", a.Name, s)
		}
		if a.Kind == KindSet {
			_, err := v.Compare(a.Name, Eq, Category("x"))
			require.Error(t, err)
			return
		}
	} else {
		_, err := v.Values(a.Name)
		require.Error(t, err)
	}
	// wrong kind
	wrong := Category("x")
	if a.Kind == KindCategory {
		wrong = Int(1)
	}
	_, err = v.Compare(a.Name, Eq, wrong)
	var ke *KindError
	require.ErrorAs(t, err, &ke)
	require.Equal(t, a.Kind, ke.Declared)
	// constants: stored values (exact hits) and random ones
	var consts []Value
	for _, c := range m.cust {
		if x, ok := has(c); ok && r.IntN(2) == 0 {
			consts = append(consts, x)
		}
	}
	for range 3 {
		consts = append(consts, genValue(r, a))
	}
	if a.Kind == KindDecimal {
		consts = append(consts, Decimal(1e300), Decimal(-1e300), Decimal(100.555))
	}
	if a.Kind == KindInt {
		consts = append(consts, Int(-1<<63), Int(1<<63-1))
	}
	if a.Kind == KindTime {
		// first and last seconds of days, as rules ask (day bitmaps), and
		// extreme instants
		for _, c := range consts[:min(len(consts), 6)] {
			d := segkit.DayOf(time.Unix(c.n, 0), m.loc)
			consts = append(consts, Time(d.Time(m.loc)), Time(d.AddDays(1).Time(m.loc).Add(-time.Second)),
				Time(d.AddDays(1).Time(m.loc)))
		}
		consts = append(consts, Value{k: KindTime, n: -1 << 63}, Value{k: KindTime, n: 1<<63 - 1})
	}
	// a random subset of the live customers, for CompareIn and BetweenIn
	sub := roaring.New()
	for id := range roaring.Values(v.All().Bitmap()) {
		if r.IntN(2) == 0 {
			sub.Add(id)
		}
	}
	within := v.Wrap(sub)
	subKeys := map[string]bool{}
	for _, k := range setKeys(within) {
		subKeys[k] = true
	}
	inSub := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			if subKeys[k] {
				out = append(out, k)
			}
		}
		return out
	}
	for _, c := range consts {
		for op := Eq; op <= Ge; op++ {
			got, err := v.Compare(a.Name, op, c)
			require.NoError(t, err)
			want := m.keysWhere(func(cu *mcust) bool {
				x, ok := has(cu)
				if !ok {
					return op == Ne
				}
				return Holds(a, x, op, c)
			})
			require.Equal(t, want, setKeys(got), "%s %s %s", a.Name, op, c)
			n, err := v.CompareCount(a.Name, op, c)
			require.NoError(t, err)
			require.Equal(t, len(want), n, "count %s %s %s", a.Name, op, c)
			in, err := v.CompareIn(within, a.Name, op, c)
			require.NoError(t, err)
			require.Equal(t, inSub(want), setKeys(in), "%s %s %s within", a.Name, op, c)
		}
		c2 := consts[r.IntN(len(consts))]
		got, err := v.Between(a.Name, c, c2)
		require.NoError(t, err)
		want := m.keysWhere(func(cu *mcust) bool {
			x, ok := has(cu)
			return ok && Holds(a, x, Ge, c) && Holds(a, x, Le, c2)
		})
		require.Equal(t, want, setKeys(got), "%s between %s and %s", a.Name, c, c2)
		n, err := v.BetweenCount(a.Name, c, c2)
		require.NoError(t, err)
		require.Equal(t, len(want), n, "count %s between %s and %s", a.Name, c, c2)
		in, err := v.BetweenIn(within, a.Name, c, c2)
		require.NoError(t, err)
		require.Equal(t, inSub(want), setKeys(in), "%s between %s and %s within", a.Name, c, c2)
	}
}

func (h *harness) checkWindow(v *View, m *model, e string) {
	t, r := h.t, h.r
	today := segkit.DayOf(baseTime, m.loc)
	from := today.AddDays(r.IntN(150) - 75)
	to := from.AddDays(r.IntN(100) - 5)
	switch r.IntN(10) {
	case 0:
		from, to = -1<<31, 1<<31-1
	case 1, 2, 3:
		to = today.AddDays(62 + r.IntN(3)) // after every recorded day: the recency ranks answer
	}
	count := func(c *mcust) (n int64, first segkit.Day, any bool) {
		for _, d := range c.events[e] {
			if d >= from && d <= to {
				n++
			}
			if !any || d < first {
				first, any = d, true
			}
		}
		return
	}
	did := m.keysWhere(func(c *mcust) bool { n, _, _ := count(c); return n > 0 })
	require.Equal(t, did, setKeys(v.Did(e, from, to)), "did %s [%s,%s]", e, from, to)
	require.Equal(t, len(did), v.DidCount(e, from, to), "did count %s [%s,%s]", e, from, to)
	firsts := m.keysWhere(func(c *mcust) bool { _, f, ok := count(c); return ok && f >= from && f <= to })
	require.Equal(t, firsts, setKeys(v.FirstIn(e, from, to)), "first %s", e)
	require.Equal(t, len(firsts), v.FirstInCount(e, from, to), "first count %s", e)
	for op := Eq; op <= Ge; op++ {
		n := int64(r.IntN(7) - 1)
		want := m.keysWhere(func(c *mcust) bool { k, _, _ := count(c); return cmpHolds(cmp.Compare(k, n), op) })
		require.Equal(t, want, setKeys(v.Count(e, from, to, op, n)), "count %s [%s,%s] %s %d", e, from, to, op, n)
		require.Equal(t, len(want), v.CountCount(e, from, to, op, n), "count count %s [%s,%s] %s %d", e, from, to, op, n)
	}
}

// run performs steps and checks every few steps, also re-checking an older
// view against the model as it was.
func (h *harness) run(steps, every int) {
	for i := range steps {
		h.step()
		if (i+1)%every == 0 {
			h.check(h.ix.View(), h.m)
			if h.oldView != nil {
				h.check(h.oldView, h.oldModel)
			}
		}
	}
	h.check(h.ix.View(), h.m)
}

func randSource(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func recOp(key, event string, d segkit.Day, f float64) op {
	return op{kind: opRecord, key: key, name: event, v: Value{n: int64(d), f: f}}
}

func (o op) day() segkit.Day { return segkit.Day(o.v.n) }
func (o op) f() float64      { return o.v.f }
