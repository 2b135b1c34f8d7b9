package bitmapindex

import (
	"fmt"
	"math"
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
)

var opKindNames = [...]string{"", "add", "delete", "tag", "untag", "set", "clear", "record"}

type op struct {
	kind opKind
	key  string
	name string // tag, attribute or event
	v    Value
	day  segkit.Day
	f    float64
}

// Batch collects writes that are applied together and become visible
// atomically: a View sees all of a committed batch or none of it. Commit
// validates every write first and applies nothing if any is invalid. Writes
// apply in the order they were added (a key deleted and written again in the
// same batch comes back with a new ID). A Batch is not safe for concurrent
// use; the Index it came from may be used concurrently as usual.
type Batch struct {
	ix   *Index
	ops  []op
	done bool
}

// NewBatch returns an empty batch for the index.
func (ix *Index) NewBatch() *Batch { return &Batch{ix: ix} }

func batchOf(ix *Index, o op) *Batch { return &Batch{ix: ix, ops: []op{o}} }

// Add adds a customer (no-op when it exists).
func (b *Batch) Add(key string) { b.ops = append(b.ops, op{kind: opAdd, key: key}) }

// Delete removes a customer from every bitmap (no-op when it does not exist).
func (b *Batch) Delete(key string) { b.ops = append(b.ops, op{kind: opDelete, key: key}) }

// AddTag tags a customer.
func (b *Batch) AddTag(key, tag string) {
	b.ops = append(b.ops, op{kind: opTag, key: key, name: tag})
}

// RemoveTag removes a tag from a customer.
func (b *Batch) RemoveTag(key, tag string) {
	b.ops = append(b.ops, op{kind: opUntag, key: key, name: tag})
}

// Set sets (replaces) a customer's value of an attribute.
func (b *Batch) Set(key, attr string, v Value) {
	b.ops = append(b.ops, op{kind: opSet, key: key, name: attr, v: v})
}

// Clear removes a customer's value of an attribute.
func (b *Batch) Clear(key, attr string) {
	b.ops = append(b.ops, op{kind: opClear, key: key, name: attr})
}

// Record records an occurrence of event for the customer at the given
// instant, with an optional value.
func (b *Batch) Record(key, event string, at time.Time, value float64) {
	b.ops = append(b.ops, op{kind: opRecord, key: key, name: event, day: segkit.DayOf(at, b.ix.loc), f: value})
}

// Len returns the number of writes in the batch.
func (b *Batch) Len() int { return len(b.ops) }

// Commit validates and applies the batch to the index it came from. On error
// (a *BatchError naming the write's position, key, field and the reason,
// e.g. a *KindError) nothing is applied. A batch may be committed once;
// later calls return ErrCommitted.
func (b *Batch) Commit() error {
	if b.done {
		return ErrCommitted
	}
	b.ix.mu.Lock()
	defer b.ix.mu.Unlock()
	if err := b.validateLocked(); err != nil {
		return err
	}
	b.done = true
	b.applyLocked()
	return nil
}

// validateLocked checks every write against the schema (as it would be
// after the batch's own implicit declarations) without changing anything.
func (b *Batch) validateLocked() error {
	ix := b.ix
	schema := ix.cur.schema
	var pending map[string]Attribute
	lookup := func(name string) (Attribute, bool) {
		if a, ok := schema[name]; ok {
			return a, true
		}
		a, ok := pending[name]
		return a, ok
	}
	for i, o := range b.ops {
		fail := func(err error) error {
			return &BatchError{Pos: i, Op: opKindNames[o.kind], Key: o.key, Field: o.name, Err: err}
		}
		switch o.kind {
		case opTag, opUntag:
			if o.name == "" {
				return fail(fmt.Errorf("bitmapindex: empty tag name"))
			}
		case opRecord:
			if o.name == "" {
				return fail(fmt.Errorf("bitmapindex: empty event name"))
			}
			if math.IsNaN(o.f) || math.IsInf(o.f, 0) {
				return fail(fmt.Errorf("bitmapindex: event value %v is not finite", o.f))
			}
		case opClear:
			if _, ok := lookup(o.name); !ok && ix.strict {
				return fail(fmt.Errorf("%w %q (strict schema)", ErrUnknownAttribute, o.name))
			}
		case opSet:
			if !o.v.IsValid() {
				return fail(fmt.Errorf("bitmapindex: attribute %q: invalid (zero) value", o.name))
			}
			a, ok := lookup(o.name)
			if !ok {
				if ix.strict {
					return fail(&KindError{Attr: o.name, Got: o.v.k})
				}
				if o.name == "" {
					return fail(fmt.Errorf("bitmapindex: attribute with empty name"))
				}
				a = inferAttr(o.name, o.v)
				if pending == nil {
					pending = map[string]Attribute{}
				}
				pending[o.name] = a
			}
			if a.Kind != o.v.k {
				return fail(&KindError{Attr: o.name, Declared: a.Kind, Got: o.v.k})
			}
			if a.Kind == KindDecimal {
				if _, err := toFixed(o.v.f, a.Scale); err != nil {
					return fail(fmt.Errorf("bitmapindex: attribute %q: %v at scale %d: %w", o.name, o.v.f, a.Scale, err))
				}
			}
		}
	}
	return nil
}

// inferAttr is the attribute a non-strict index declares on first write.
func inferAttr(name string, v Value) Attribute {
	a := Attribute{Name: name, Kind: v.k}
	if v.k == KindDecimal {
		a.Scale = 2
	}
	return a
}

// applyLocked applies validated writes. It cannot fail.
func (b *Batch) applyLocked() {
	ix := b.ix
	w := ix.writer()
	st := w.root(ix)
	var del *roaring.Bitmap
	idOf := func(key string) uint32 {
		if id, ok := ix.keys.latest(key); ok && st.live.contains(id) {
			return id
		}
		id := ix.keys.assign(key)
		w.own(&st.live).Add(id)
		return id
	}
	for _, o := range b.ops {
		switch o.kind {
		case opAdd:
			idOf(o.key)
		case opDelete:
			if id, ok := ix.keys.latest(o.key); ok && st.live.contains(id) {
				w.own(&st.live).Remove(id)
				if del == nil {
					del = roaring.New()
				}
				del.Add(id)
			}
		case opTag:
			id := idOf(o.key)
			if !st.tags[o.name].contains(id) {
				w.tag(st, o.name).Add(id)
			}
		case opUntag:
			id := idOf(o.key)
			if st.tags[o.name].contains(id) {
				w.tag(st, o.name).Remove(id)
			}
		case opSet:
			id := idOf(o.key)
			def, ok := st.schema[o.name]
			if !ok {
				def = inferAttr(o.name, o.v)
				w.mutSchema(st)[o.name] = def
			}
			w.attr(st, def).set(w, id, o.v)
		case opClear:
			id := idOf(o.key)
			if a := st.attrs[o.name]; a != nil && a.present.contains(id) {
				w.attr(st, a.def).clear(w, id)
			}
		case opRecord:
			id := idOf(o.key)
			w.event(st, o.name).record(w, id, o.day, o.f)
		}
	}
	if del != nil {
		st.removeIDs(w, del)
	}
	ix.dirty = true
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
