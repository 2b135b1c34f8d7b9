package bitmapindex

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

type opKind uint8

const (
	opAdd opKind = iota + 1
	opDelete
	opTag
	opUntag
	opSet
	opClear
	opRecord
	opTagIDs
	opSetIDs
	opRecordIDs
	opRecordEvent
	opChunk
)

var opKindNames = [...]string{"", "add", "delete", "tag", "untag", "set", "clear", "record", "tag by ID", "set by ID", "record by ID", "record with details", "chunk"}

// op is one write of a batch. Records keep the day in v.n and the value in
// v.f; bulk writes (by ID) keep their data in Batch.bulk[bulk].
type op struct {
	v    Value
	key  string
	name string // tag, attribute or event
	kind opKind
	bulk int32
}

// bulkOp is the data of a write by IDs.
type bulkOp struct {
	ids    []uint32
	vals   []Value   // SetIDs
	floats []float64 // RecordIDs (nil: no values)
	day    segkit.Day
	badDay bool // RecordIDs: the instant is outside the supported range
}

const opPage = 4096

// Batch collects writes that are applied together and become visible
// atomically: a View sees all of a committed batch or none of it. Commit
// validates every write first and applies nothing if any is invalid. Writes
// apply in the order they were added (a key deleted and written again in the
// same batch comes back with a new ID). A Batch is not safe for concurrent
// use; the Index it came from may be used concurrently as usual.
type Batch struct {
	ix     *Index
	pages  [][]op // writes in pages of opPage, so a growing batch copies only its first
	n      int
	bulk   []bulkOp
	dets   []EventDetail // RecordEvent's details, by op.bulk
	chunks []*Chunk      // bulk loads (NewChunk), by op.bulk
	done   bool
}

// NewBatch returns an empty batch for the index.
func (ix *Index) NewBatch() *Batch { return &Batch{ix: ix} }

func batchOf(ix *Index, o op) *Batch { return &Batch{ix: ix, pages: [][]op{{o}}, n: 1} }

func (b *Batch) add(o op) {
	switch {
	case len(b.pages) == 0:
		// the first page grows by appending (a small batch stays small)
		b.pages = append(b.pages, make([]op, 0, 8))
	case len(b.pages[len(b.pages)-1]) == opPage:
		b.pages = append(b.pages, make([]op, 0, opPage))
	}
	last := &b.pages[len(b.pages)-1]
	*last = append(*last, o)
	b.n++
}

// each calls fn for every write in order with its position.
func (b *Batch) each(fn func(pos int, o *op) error) error {
	pos := 0
	for _, page := range b.pages {
		for i := range page {
			if err := fn(pos, &page[i]); err != nil {
				return err
			}
			pos++
		}
	}
	return nil
}

// Add adds a customer (no-op when it exists).
func (b *Batch) Add(key string) { b.add(op{kind: opAdd, key: key}) }

// Delete removes a customer from every bitmap (no-op when it does not exist).
func (b *Batch) Delete(key string) { b.add(op{kind: opDelete, key: key}) }

// AddTag tags a customer.
func (b *Batch) AddTag(key, tag string) { b.add(op{kind: opTag, key: key, name: tag}) }

// RemoveTag removes a tag from a customer.
func (b *Batch) RemoveTag(key, tag string) { b.add(op{kind: opUntag, key: key, name: tag}) }

// Set sets (replaces) a customer's value of an attribute.
func (b *Batch) Set(key, attr string, v Value) {
	b.add(op{kind: opSet, key: key, name: attr, v: v})
}

// Clear removes a customer's value of an attribute.
func (b *Batch) Clear(key, attr string) { b.add(op{kind: opClear, key: key, name: attr}) }

// Record records an occurrence of event for the customer at the given
// instant, with an optional value (0: none). The value is kept per
// occurrence as an Amount for sumWithin/avgWithin, so it must have at most
// AmountScale fractional digits (Commit rejects 0.12345); RecordEvent takes
// an exact Amount and properties.
func (b *Batch) Record(key, event string, at time.Time, value float64) {
	b.add(op{kind: opRecord, key: key, name: event, v: Value{n: dayNumber(at, b.ix.tz), f: value}})
}

func (b *Batch) addRecord(key, event string, d segkit.Day, value float64) {
	b.add(op{kind: opRecord, key: key, name: event, v: Value{n: int64(d), f: value}})
}

// badDayNumber marks a record whose instant is outside the supported range
// (no segkit.Day is this far from zero).
const badDayNumber = math.MinInt64

// dayNumber is the day of an instant as a record op keeps it, or
// badDayNumber when the instant is out of range (see validTime).
func dayNumber(at time.Time, tz *segkit.Zone) int64 {
	if !validTime(at.Unix()) {
		return badDayNumber
	}
	return int64(tz.DayOf(at))
}

// RecordEvent records an occurrence of event for the customer at the given
// instant with a value and properties (d.Props is read at Commit; property
// keys must not be empty).
func (b *Batch) RecordEvent(key, event string, at time.Time, d EventDetail) {
	b.dets = append(b.dets, d)
	b.add(op{kind: opRecordEvent, key: key, name: event, v: Value{n: dayNumber(at, b.ix.tz), f: d.Value.Float64()}, bulk: int32(len(b.dets) - 1)})
}

// The bulk-load path: writes addressed by ID instead of key skip the key
// lookups and are applied with one bitmap operation per field. IDs must be
// live customers when the batch is committed (as returned by Index.Add or
// View.ID; keys added to an empty index get IDs 0, 1, 2, … in order). A
// write by ID to a customer deleted earlier in the same batch does nothing
// for that ID (IDs are never reused: the customer stays deleted, and
// nothing is declared for it). The
// batch keeps the slices until Commit: do not modify them before.

// AddTagIDs tags the customers with the given IDs.
func (b *Batch) AddTagIDs(tag string, ids []uint32) {
	b.bulk = append(b.bulk, bulkOp{ids: ids})
	b.add(op{kind: opTagIDs, name: tag, bulk: int32(len(b.bulk) - 1)})
}

// SetIDs sets attribute attr to values[i] for the customer with ids[i].
func (b *Batch) SetIDs(attr string, ids []uint32, values []Value) {
	b.bulk = append(b.bulk, bulkOp{ids: ids, vals: values})
	b.add(op{kind: opSetIDs, name: attr, bulk: int32(len(b.bulk) - 1)})
}

// RecordIDs records one occurrence of event at the given instant for each
// ID (an ID listed twice has two occurrences), with values[i] as the value
// of ids[i]'s occurrence; values may be nil.
func (b *Batch) RecordIDs(event string, at time.Time, ids []uint32, values []float64) {
	n := dayNumber(at, b.ix.tz)
	b.bulk = append(b.bulk, bulkOp{ids: ids, floats: values, day: segkit.Day(n), badDay: n == badDayNumber})
	b.add(op{kind: opRecordIDs, name: event, bulk: int32(len(b.bulk) - 1)})
}

// Len returns the number of writes in the batch (a bulk write counts one).
func (b *Batch) Len() int { return b.n }

// Commit validates and applies the batch to the index it came from. On error
// (a *BatchError naming the write's position, key, field and the reason,
// e.g. a *KindError) nothing is applied. A batch may be committed once;
// later calls return ErrCommitted.
//
// For an index opened with Open, the batch is logged after validation and
// Commit returns once its log record is durable under the index's
// SyncPolicy (a logging error is returned then, and the batch may or may
// not survive a crash). A View taken meanwhile may already show the batch.
func (b *Batch) Commit() error {
	if b.done {
		return ErrCommitted
	}
	ix := b.ix
	ix.mu.Lock()
	if err := b.validateLocked(); err != nil {
		ix.mu.Unlock()
		return err
	}
	seq, err := ix.logBatchLocked(b)
	if err != nil {
		ix.mu.Unlock()
		return err
	}
	b.done = true
	if b.n > 0 {
		b.applyLocked()
	}
	ix.mu.Unlock()
	return ix.waitDurable(seq)
}

// validateLocked checks every write against the schema (as it would be
// after the batch's own implicit declarations) without changing anything.
func (b *Batch) validateLocked() error {
	ix := b.ix
	schema := ix.cur.schema
	live := ix.cur.live
	var pending map[string]Attribute
	// attrFor returns the attribute a value is written to, declaring it
	// (for this validation) when a non-strict index would.
	attrFor := func(name string, v Value) (Attribute, error) {
		if !v.IsValid() {
			return Attribute{}, fmt.Errorf("bitmapindex: attribute %q: invalid (zero) value", name)
		}
		a, ok := schema[name]
		if !ok {
			a, ok = pending[name]
		}
		if !ok {
			if ix.strict {
				return Attribute{}, &KindError{Attr: name, Got: v.k}
			}
			if name == "" {
				return Attribute{}, fmt.Errorf("bitmapindex: attribute with empty name")
			}
			a = inferAttr(name, v)
			if pending == nil {
				pending = map[string]Attribute{}
			}
			pending[name] = a
		}
		return a, nil
	}
	checkValue := func(a Attribute, v Value) error {
		if !v.IsValid() {
			return fmt.Errorf("bitmapindex: attribute %q: invalid (zero) value", a.Name)
		}
		if a.Kind != v.k {
			return &KindError{Attr: a.Name, Declared: a.Kind, Got: v.k}
		}
		if a.Kind == KindDecimal {
			if _, err := toFixed(v.f, a.Scale); err != nil {
				return fmt.Errorf("bitmapindex: attribute %q: %v at scale %d: %w", a.Name, v.f, a.Scale, err)
			}
		}
		if a.Kind == KindTime && !validTime(v.n) {
			return fmt.Errorf("bitmapindex: attribute %q: time %d s from 1970 is outside the supported range (±%d s)", a.Name, v.n, maxUnix)
		}
		return nil
	}
	checkDay := func(event string, bad bool) error {
		if bad {
			return fmt.Errorf("bitmapindex: event %q: instant outside the supported range (±%d s from 1970)", event, maxUnix)
		}
		return nil
	}
	checkIDs := func(ids []uint32) error {
		for _, id := range ids {
			if !live.contains(id) {
				return fmt.Errorf("bitmapindex: ID %d is not a live customer", id)
			}
		}
		return nil
	}
	checkFloat := func(f float64) error {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("bitmapindex: event value %v is not finite", f)
		}
		if _, err := AmountFromFloat(f); err != nil {
			return fmt.Errorf("bitmapindex: event value %w", err)
		}
		return nil
	}
	room := ix.keys.room()
	// New IDs: every write by key may create its customer. The exact count
	// (keys not live, each once per delete) is only worked out near the end
	// of the ID space.
	ids := uint64(ix.keys.n())
	tightIDs := ids+uint64(b.n) > maxIDCount
	var newKeys, deleted map[string]bool
	return b.each(func(i int, o *op) error {
		fail := func(err error) error {
			return &BatchError{Pos: i, Op: opKindNames[o.kind], Key: o.key, Field: o.name, Err: err}
		}
		if o.kind == opDelete && tightIDs {
			if deleted == nil {
				deleted = map[string]bool{}
			}
			deleted[o.key] = true
			delete(newKeys, o.key) // a later write creates it again
		}
		if o.kind == opChunk {
			c := b.chunks[o.bulk]
			if ids+uint64(len(c.keys))+uint64(b.n) > maxIDCount {
				return fail(fmt.Errorf("bitmapindex: %d new customers would exhaust the IDs: %w", len(c.keys), ErrIDsExhausted))
			}
			for _, k := range c.keys {
				if room -= recordSize(k); room < 0 {
					return fail(fmt.Errorf("bitmapindex: key storage full (4 GiB of keys)"))
				}
			}
			return c.validate(ix, i, chunkChecks{attrFor: attrFor})
		}
		if o.kind != opDelete && (o.kind < opTagIDs || o.kind == opRecordEvent) {
			// a write by key may create the customer: its key must fit
			if room -= recordSize(o.key); room < 0 {
				return fail(fmt.Errorf("bitmapindex: key storage full (4 GiB of keys)"))
			}
			if tightIDs && !newKeys[o.key] {
				id, ok := ix.keys.latest(o.key)
				if !ok || !live.contains(id) || deleted[o.key] {
					if newKeys == nil {
						newKeys = map[string]bool{}
					}
					newKeys[o.key] = true
					if ids++; ids > maxIDCount {
						return fail(fmt.Errorf("%w (%d assigned)", ErrIDsExhausted, uint64(maxIDCount)))
					}
				}
			}
		}
		switch o.kind {
		case opTag, opUntag, opTagIDs:
			if o.name == "" {
				return fail(fmt.Errorf("bitmapindex: empty tag name"))
			}
			if o.kind == opTagIDs {
				if err := checkIDs(b.bulk[o.bulk].ids); err != nil {
					return fail(err)
				}
			}
		case opRecord, opRecordIDs, opRecordEvent:
			if o.name == "" {
				return fail(fmt.Errorf("bitmapindex: empty event name"))
			}
			if o.kind == opRecordEvent || o.kind == opRecord {
				if err := checkDay(o.name, o.v.n == badDayNumber); err != nil {
					return fail(err)
				}
			} else if err := checkDay(o.name, b.bulk[o.bulk].badDay); err != nil {
				return fail(err)
			}
			if o.kind == opRecordEvent {
				d := b.dets[o.bulk]
				if d.Value > MaxAmount || d.Value < -MaxAmount {
					return fail(fmt.Errorf("bitmapindex: event value %s is out of range", d.Value))
				}
				for k := range d.Props {
					if k == "" {
						return fail(fmt.Errorf("bitmapindex: empty event property name"))
					}
					if err := ix.checkEventProp(o.name, k); err != nil {
						return fail(err)
					}
				}
				return nil
			}
			if o.kind == opRecord {
				if err := checkFloat(o.v.f); err != nil {
					return fail(err)
				}
				return nil
			}
			bo := b.bulk[o.bulk]
			if bo.floats != nil && len(bo.floats) != len(bo.ids) {
				return fail(fmt.Errorf("bitmapindex: %d values for %d IDs", len(bo.floats), len(bo.ids)))
			}
			for _, f := range bo.floats {
				if err := checkFloat(f); err != nil {
					return fail(err)
				}
			}
			if err := checkIDs(bo.ids); err != nil {
				return fail(err)
			}
		case opClear:
			_, ok := schema[o.name]
			_, ok2 := pending[o.name]
			if !ok && !ok2 && ix.strict {
				return fail(fmt.Errorf("%w %q (strict schema)", ErrUnknownAttribute, o.name))
			}
		case opSet:
			a, err := attrFor(o.name, o.v)
			if err != nil {
				return fail(err)
			}
			if err := checkValue(a, o.v); err != nil {
				return fail(err)
			}
		case opSetIDs:
			bo := b.bulk[o.bulk]
			if len(bo.vals) != len(bo.ids) {
				return fail(fmt.Errorf("bitmapindex: %d values for %d IDs", len(bo.vals), len(bo.ids)))
			}
			if len(bo.vals) == 0 {
				return nil
			}
			a, err := attrFor(o.name, bo.vals[0])
			if err != nil {
				return fail(err)
			}
			for _, v := range bo.vals {
				if err := checkValue(a, v); err != nil {
					return fail(err)
				}
			}
			if err := checkIDs(bo.ids); err != nil {
				return fail(err)
			}
		}
		return nil
	})
}

// anyIn reports whether some of ids is in b.
func anyIn(b *roaring.Bitmap, ids []uint32) bool {
	for _, id := range ids {
		if b.Contains(id) {
			return true
		}
	}
	return false
}

// maxIDCount is the number of customer IDs an index can assign (IDs
// 0..maxIDCount-1; IDs are never reused).
const maxIDCount = math.MaxUint32

// inferAttr is the attribute a non-strict index declares on first write.
func inferAttr(name string, v Value) Attribute {
	a := Attribute{Name: name, Kind: v.k}
	if v.k == KindDecimal {
		a.Scale = 2
	}
	return a
}

// applyLocked applies validated writes. It cannot fail.
//
// Keys are resolved in order (so a key deleted and written again gets a new
// ID), and the writes are gathered per field and applied field by field with
// whole-bitmap operations: what each field ends up holding is the same as
// applying the writes one by one, because writes to different fields are
// independent, writes to one field keep their order, event occurrences
// commute, and deleted IDs are removed from everything at the end.
func (b *Batch) applyLocked() {
	ix := b.ix
	w := ix.writer()
	st := w.root(ix)
	var del *roaring.Bitmap
	// touched collects the customers the batch writes, for trackers
	// (changes.go); nothing is collected while there are none.
	track := len(ix.trackers) > 0
	var touched []uint32
	lastKey, lastID, haveLast := "", uint32(0), false
	// Keys are looked up a page at a time ahead of the writes (findMany
	// overlaps the lookups' cache misses). A looked-up ID is only a hint: it
	// is used while it is live, and a key deleted or created by an earlier
	// write of the batch is looked up again.
	var preKeys []string
	preIDs := make([]uint32, min(b.n, opPage))
	preOK := make([]bool, min(b.n, opPage))
	pre := -1 // position in the current page
	idOf := func(key string) uint32 {
		if haveLast && key == lastKey {
			return lastID
		}
		var id uint32
		var ok bool
		if pre >= 0 && preOK[pre] && st.live.contains(preIDs[pre]) {
			id, ok = preIDs[pre], true
		} else {
			id, ok = ix.keys.latest(key)
		}
		if !ok || !st.live.contains(id) {
			id = ix.keys.assign(key)
			w.own(&st.live).Add(id)
		}
		lastKey, lastID, haveLast = key, id, true
		if track {
			touched = append(touched, id)
		}
		return id
	}
	var (
		tags    map[string]*tagBuf
		attrs   map[string]*attrBuf
		events  map[string]map[segkit.Day]*dayBuf
		chunkTC *Touched // what a chunk applied by applyBulk touched
	)
	tagBufOf := func(name string) *tagBuf {
		if tags == nil {
			tags = map[string]*tagBuf{}
		}
		t := tags[name]
		if t == nil {
			t = &tagBuf{}
			tags[name] = t
		}
		return t
	}
	attrBufOf := func(name string, v Value) *attrBuf {
		def, ok := st.schema[name]
		if !ok {
			def = inferAttr(name, v)
			w.mutSchema(st)[name] = def
		}
		if attrs == nil {
			attrs = map[string]*attrBuf{}
		}
		a := attrs[name]
		if a == nil {
			a = &attrBuf{def: def}
			attrs[name] = a
		}
		return a
	}
	dayBufOf := func(name string, day segkit.Day) *dayBuf {
		if events == nil {
			events = map[string]map[segkit.Day]*dayBuf{}
		}
		days := events[name]
		if days == nil {
			days = map[segkit.Day]*dayBuf{}
			events[name] = days
		}
		d := days[day]
		if d == nil {
			d = &dayBuf{}
			days[day] = d
		}
		return d
	}
	// liveBulk returns a write by ID without the IDs deleted earlier in the
	// batch: such a write does nothing for them (it neither revives the
	// customer nor declares a tag, attribute or event), as in the model.
	liveBulk := func(bo bulkOp) bulkOp {
		if del == nil || !anyIn(del, bo.ids) {
			return bo
		}
		out := bulkOp{day: bo.day}
		for i, id := range bo.ids {
			if del.Contains(id) {
				continue
			}
			out.ids = append(out.ids, id)
			if bo.vals != nil {
				out.vals = append(out.vals, bo.vals[i])
			}
			if bo.floats != nil {
				out.floats = append(out.floats, bo.floats[i])
			}
		}
		return out
	}
	apply := func(o *op) error {
		if track && o.kind >= opTagIDs && o.kind != opRecordEvent && o.kind != opChunk {
			touched = append(touched, liveBulk(b.bulk[o.bulk]).ids...)
		}
		switch o.kind {
		case opChunk:
			c := b.chunks[o.bulk]
			ids := c.resolve(ix, w, st)
			haveLast = false
			if track {
				touched = append(touched, ids...)
			}
			if b.n == 1 {
				chunkTC = c.applyBulk(w, st, ids, ix.tz, track) // bulkapply.go
			} else {
				c.apply(ids, ix.tz, chunkApply{tagBufOf: tagBufOf, attrBufOf: attrBufOf, dayBufOf: dayBufOf})
			}
			c.ids = ids
		case opAdd:
			idOf(o.key)
		case opDelete:
			if id, ok := ix.keys.latest(o.key); ok && st.live.contains(id) {
				w.own(&st.live).Remove(id)
				if del == nil {
					del = roaring.New()
				}
				del.Add(id)
				haveLast = false
				if track {
					touched = append(touched, id)
				}
			}
		case opTag, opUntag:
			tagBufOf(o.name).add(idOf(o.key), o.kind == opUntag)
		case opTagIDs:
			ids := liveBulk(b.bulk[o.bulk]).ids
			if len(ids) == 0 {
				return nil
			}
			t := tagBufOf(o.name)
			if len(t.ids) == 0 {
				t.ids, t.aliased = ids[:len(ids):len(ids)], true // appends copy
				t.remove = nil
				if t.anyRemove {
					t.remove = make([]bool, len(ids))
				}
			} else {
				for _, id := range ids {
					t.add(id, false)
				}
			}
		case opSet:
			id := idOf(o.key)
			a := attrBufOf(o.name, o.v)
			a.ids = append(a.ids, id)
			a.vals = append(a.vals, o.v)
		case opClear:
			id := idOf(o.key)
			if _, ok := st.schema[o.name]; !ok {
				return nil // clearing an undeclared attribute (non-strict) does nothing
			}
			a := attrBufOf(o.name, Value{})
			a.ids = append(a.ids, id)
			a.vals = append(a.vals, Value{}) // the zero Value means clear
		case opSetIDs:
			bo := liveBulk(b.bulk[o.bulk])
			if len(bo.ids) == 0 {
				return nil
			}
			a := attrBufOf(o.name, bo.vals[0])
			if len(a.ids) == 0 {
				a.ids, a.vals, a.aliased = bo.ids[:len(bo.ids):len(bo.ids)], bo.vals[:len(bo.vals):len(bo.vals)], true
			} else {
				a.ids = append(a.ids, bo.ids...)
				a.vals = append(a.vals, bo.vals...)
			}
		case opRecord:
			id := idOf(o.key)
			d := dayBufOf(o.name, segkit.Day(o.v.n))
			d.ids = append(d.ids, id)
			if o.v.f != 0 {
				a, _ := AmountFromFloat(o.v.f) // validated
				d.det = append(d.det, occIn{id: id, val: int64(a)})
			}
		case opRecordEvent:
			id := idOf(o.key)
			d := dayBufOf(o.name, segkit.Day(o.v.n))
			d.ids = append(d.ids, id)
			det := b.dets[o.bulk]
			if det.Value != 0 || len(det.Props) > 0 {
				d.det = append(d.det, occIn{id: id, val: int64(det.Value), props: det.Props})
			}
		case opRecordIDs:
			bo := liveBulk(b.bulk[o.bulk])
			if len(bo.ids) == 0 {
				return nil
			}
			d := dayBufOf(o.name, bo.day)
			if len(d.ids) == 0 {
				d.ids, d.aliased = bo.ids[:len(bo.ids):len(bo.ids)], true
			} else {
				d.ids = append(d.ids, bo.ids...)
			}
			for i, f := range bo.floats {
				if f != 0 {
					a, _ := AmountFromFloat(f) // validated
					d.det = append(d.det, occIn{id: bo.ids[i], val: int64(a)})
				}
			}
		}
		return nil
	}
	for _, page := range b.pages {
		preKeys = preKeys[:0]
		for i := range page {
			preKeys = append(preKeys, page[i].key)
		}
		ix.keys.findMany(preKeys, preIDs[:len(page)], preOK[:len(page)])
		for i := range page {
			pre = i
			_ = apply(&page[i])
		}
	}
	pre = -1
	var tc *Touched
	if track {
		tc = batchTouched(tags, attrs, events)
		if chunkTC != nil { // the batch's only write
			tc = chunkTC
		}
	}
	for name, t := range tags {
		t.apply(w, st, name)
	}
	for _, a := range attrs {
		a.apply(w, st)
	}
	for name, days := range events {
		recordDays(w, st, name, days)
	}
	if del != nil {
		st.removeIDs(w, del)
	}
	ix.dirty = true
	if track {
		ix.noteTouched(touched, tc)
	}
}

// recordDays records a batch's occurrences of one event, gathered by day.
func recordDays(w wctx, st *state, name string, days map[segkit.Day]*dayBuf) {
	e := w.event(st, name)
	// Days are recorded in ascending order, so a customer first seen in
	// this batch already has its earliest day of the batch as its first
	// occurrence; only customers recorded before the batch (old) can have
	// a first occurrence later than a day of the batch.
	var old *roaring.Bitmap
	if !e.ever.empty() {
		// a bulk load of new customers records only IDs above every
		// earlier one: nobody is old, and nothing needs sorting
		lowest, n := uint32(math.MaxUint32), 0
		for _, db := range days {
			n += len(db.ids)
			for _, id := range db.ids {
				lowest = min(lowest, id)
			}
		}
		if lowest <= e.ever.b.Maximum() {
			ids := make([]uint32, 0, n)
			for _, db := range days {
				ids = append(ids, db.ids...)
			}
			old = roaring.And(sortedBitmap(ids), e.ever.b)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(days)) {
		e.recordMany(w, d, days[d], old)
	}
	e.afterRecord(days) // eventrank.go
}

// tagBuf holds a batch's writes to one tag, in order.
type tagBuf struct {
	ids       []uint32 // may alias a caller's slice (aliased): never modified then
	aliased   bool
	remove    []bool // parallel to ids once a removal was seen
	anyRemove bool
}

func (t *tagBuf) add(id uint32, remove bool) {
	if remove && !t.anyRemove {
		t.anyRemove = true
		t.remove = make([]bool, len(t.ids), len(t.ids)+1)
	}
	t.ids = append(t.ids, id)
	if t.anyRemove {
		t.remove = append(t.remove, remove)
	}
}

func (t *tagBuf) apply(w wctx, st *state, name string) {
	if t.anyRemove {
		for i, id := range t.ids {
			has := st.tags[name].contains(id)
			switch {
			case t.remove[i] && has:
				w.tag(st, name).Remove(id)
			case !t.remove[i] && !has:
				w.tag(st, name).Add(id)
			}
		}
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	addTagIDs(w, st, name, sortedUnique(t.ids, t.aliased), &sc.eb) // bulkapply.go
}

// smallTagAdd is the most IDs a batch adds to one tag one by one rather
// than with one Or.
const smallTagAdd = 64

// sortedBitmap returns a bitmap of ids (which it may reorder).
func sortedBitmap(ids []uint32) *roaring.Bitmap {
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	return roaring.BitmapOf(ids...)
}

// attrBuf holds a batch's writes to one attribute, in order; a zero Value
// is a clear.
type attrBuf struct {
	def     Attribute
	ids     []uint32
	vals    []Value
	aliased bool // ids and vals are a caller's slices: never modified
}

func (ab *attrBuf) apply(w wctx, st *state) {
	// the last write per ID wins
	idx := make([]int32, len(ab.ids))
	for i := range idx {
		idx[i] = int32(i)
	}
	sorted := slices.IsSortedFunc(idx, func(i, j int32) int { return cmp.Compare(uint64(ab.ids[i]), uint64(ab.ids[j])) })
	if !sorted {
		slices.SortStableFunc(idx, func(i, j int32) int { return cmp.Compare(uint64(ab.ids[i]), uint64(ab.ids[j])) })
	}
	a := w.attr(st, ab.def)
	sc := getScratch()
	defer putScratch(sc)
	f := &sc.fresh // first values for customers without one
	f.reset()
	for k, i := range idx {
		if k+1 < len(idx) && ab.ids[idx[k+1]] == ab.ids[i] {
			continue // a later write to the same customer wins
		}
		id, v := ab.ids[i], ab.vals[i]
		empty := !v.IsValid() || (v.k == KindSet && v.s == "")
		switch {
		case empty:
			a.clear(w, id)
		case a.present.contains(id):
			a.set(w, id, v)
		default:
			f.add(a.def, id, v)
		}
	}
	if len(f.ids) > 0 {
		a.setFresh(w, sc, f)
	}
}

// removeIDs removes deleted customers from every bitmap.
func (st *state) removeIDs(w wctx, del *roaring.Bitmap) {
	for name, t := range st.tags {
		if t.intersects(del) {
			w.tag(st, name).AndNot(del)
		}
	}
	for _, a := range st.attrs {
		a.removeIDs(w, st, del)
	}
	for name, e := range st.events {
		e.removeIDs(w, st, name, del)
	}
}
