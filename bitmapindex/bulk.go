package bitmapindex

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// Chunk is a bulk load of many customers at once: their keys, and columns
// of tags, typed attribute values and event occurrences addressed by row
// (a row is a position in the chunk's keys). [Chunk.Commit] validates the
// whole chunk, then adds the customers and applies every column atomically
// in one commit (one log record on a durable index): a view sees all of the
// chunk or none of it, and a chunk with one bad value writes nothing.
//
// Committing a chunk is the same as a batch that adds each key in row order
// and then writes each column's values one by one in the order the columns
// were given (so a later column of the same attribute wins; a column with
// an empty name is an error even when it has no rows), but it takes
// 8 bytes per int, decimal or time value instead of a 48-byte [Value], looks
// the keys up in bulk and applies each field with whole-bitmap operations.
//
// Rows of a column are given as rows (positions in keys, any order,
// repeats allowed) with one value each; nil rows means one value for every
// row, in row order. A Chunk keeps the slices it is given until Commit: do
// not modify them before. A Chunk is not safe for concurrent use.
type Chunk struct {
	ix   *Index
	keys []string
	cols []chunkCol
	ids  []uint32
	done bool
}

type colKind uint8

const (
	colTag colKind = iota + 1
	colInt
	colDecimal
	colTime
	colBool
	colCategory
	colSet
	colEvent
)

var colKindNames = [...]string{"", "tag", "int", "decimal", "time", "bool", "category", "set", "event"}

// attrKind is the attribute kind a column writes.
func (k colKind) attrKind() Kind {
	switch k {
	case colInt:
		return KindInt
	case colDecimal:
		return KindDecimal
	case colTime:
		return KindTime
	case colBool:
		return KindBool
	case colCategory:
		return KindCategory
	case colSet:
		return KindSet
	}
	return KindInvalid
}

// chunkCol is one column of a chunk. Its values are behind a pointer, nil
// for a tag: a chunk may have a column for each of thousands of tags.
type chunkCol struct {
	kind  colKind
	every bool // a tag column of every row
	name  string
	rows  []uint32 // nil: every row
	*colValues
}

// colValues are the values of an attribute or event column.
type colValues struct {
	ints   []int64    // int; time (unix seconds); event instants (unix seconds)
	floats []float64  // decimal
	bools  []bool     // bool
	strs   []string   // category
	sets   [][]string // set
	amts   []Amount   // event values (nil: none)
	props  []PropColumn
}

// PropColumn is one event property as a column: the property's value for
// each occurrence of an [EventColumns] ("" when an occurrence does not have
// the property).
type PropColumn struct {
	Name   string
	Values []string
}

// EventColumns are occurrences of one event as columns: occurrence i is
// for the customer of row Rows[i], at the instant At[i] (Unix seconds; its
// day is counted in the index's time zone), with the value Values[i] (nil
// Values: none) and the properties Props[k].Values[i]. Occurrences need not
// be in any order.
type EventColumns struct {
	Rows   []uint32
	At     []int64
	Values []Amount
	Props  []PropColumn
}

// NewChunk starts a bulk load of the customers with the given keys (row i
// is keys[i]). A key already live in the index is updated (it keeps its
// ID); a new key is added. New keys get consecutive IDs in row order from
// the next unused ID ([Chunk.Commit] returns them), so keys loaded into an
// empty index in chunks get the IDs 0, 1, 2, … in the order they are given.
// A key listed twice is one customer.
func (ix *Index) NewChunk(keys []string) *Chunk { return &Chunk{ix: ix, keys: keys} }

// Len returns the number of rows (keys) of the chunk.
func (c *Chunk) Len() int { return len(c.keys) }

// Tag tags the customers of the given rows (nil: every row).
func (c *Chunk) Tag(tag string, rows []uint32) {
	c.cols = append(c.cols, chunkCol{kind: colTag, name: tag, rows: rows, every: rows == nil})
}

// Ints sets an int attribute: values[i] for the customer of rows[i].
func (c *Chunk) Ints(attr string, rows []uint32, values []int64) {
	c.cols = append(c.cols, chunkCol{kind: colInt, name: attr, rows: rows, colValues: &colValues{ints: values}})
}

// Decimals sets a decimal attribute (values are rounded half away from
// zero to the attribute's scale and must fit its fixed-point range, as with
// [Decimal]).
func (c *Chunk) Decimals(attr string, rows []uint32, values []float64) {
	c.cols = append(c.cols, chunkCol{kind: colDecimal, name: attr, rows: rows, colValues: &colValues{floats: values}})
}

// Times sets a time attribute from Unix seconds (second precision, as
// comparisons use).
func (c *Chunk) Times(attr string, rows []uint32, unix []int64) {
	c.cols = append(c.cols, chunkCol{kind: colTime, name: attr, rows: rows, colValues: &colValues{ints: unix}})
}

// Bools sets a bool attribute.
func (c *Chunk) Bools(attr string, rows []uint32, values []bool) {
	c.cols = append(c.cols, chunkCol{kind: colBool, name: attr, rows: rows, colValues: &colValues{bools: values}})
}

// Categories sets a category attribute.
func (c *Chunk) Categories(attr string, rows []uint32, values []string) {
	c.cols = append(c.cols, chunkCol{kind: colCategory, name: attr, rows: rows, colValues: &colValues{strs: values}})
}

// Sets sets a set attribute: the strings of values[i] (in any order,
// repeats ignored, as with [SetOf]); an empty set clears the value.
func (c *Chunk) Sets(attr string, rows []uint32, values [][]string) {
	c.cols = append(c.cols, chunkCol{kind: colSet, name: attr, rows: rows, colValues: &colValues{sets: values}})
}

// Events records occurrences of an event (see [EventColumns]; Rows is
// required, one per occurrence).
func (c *Chunk) Events(event string, e EventColumns) {
	c.cols = append(c.cols, chunkCol{kind: colEvent, name: event, rows: e.Rows, colValues: &colValues{ints: e.At, amts: e.Values, props: e.Props}})
}

// Commit validates the chunk and applies it to the index in one atomic
// commit, and returns the ID of each row's customer (ids[i] for keys[i]).
// On error nothing is written: the error is a *BatchError whose Key and
// Field name the row's key and the column, and whose message names the
// row, the column's kind and the reason (a *KindError for a value of the
// wrong kind). A chunk may be committed once; later calls return
// ErrCommitted. On an index opened with Open, the chunk is one log record
// and Commit returns once it is durable (see [Batch.Commit]).
func (c *Chunk) Commit() ([]uint32, error) {
	if c.done {
		return nil, ErrCommitted
	}
	b := c.ix.NewBatch()
	b.addChunk(c)
	if err := b.Commit(); err != nil {
		if b.done {
			c.done = true // applied; only logging or syncing failed
			return c.ids, err
		}
		return nil, err
	}
	c.done = true
	return c.ids, nil
}

// addChunk adds a chunk's write to the batch.
func (b *Batch) addChunk(c *Chunk) {
	b.chunks = append(b.chunks, c)
	b.add(op{kind: opChunk, bulk: int32(len(b.chunks) - 1)})
}

// values returns the number of values of a column.
func (col *chunkCol) values() int {
	switch col.kind {
	case colInt, colTime, colEvent:
		return len(col.ints)
	case colDecimal:
		return len(col.floats)
	case colBool:
		return len(col.bools)
	case colCategory:
		return len(col.strs)
	case colSet:
		return len(col.sets)
	}
	return len(col.rows) // tags
}

// value returns the i-th value of an attribute column.
func (col *chunkCol) value(i int) Value {
	switch col.kind {
	case colInt:
		return Int(col.ints[i])
	case colDecimal:
		return Decimal(col.floats[i])
	case colTime:
		return Value{k: KindTime, n: col.ints[i]}
	case colBool:
		return Bool(col.bools[i])
	case colCategory:
		return Category(col.strs[i])
	case colSet:
		return SetOf(col.sets[i]...)
	}
	return Value{}
}

// row returns the row of a column's i-th value.
func (col *chunkCol) row(i int) int {
	if col.rows == nil {
		return i
	}
	return int(col.rows[i])
}

// chunkChecks are the batch validation's checks a chunk uses.
type chunkChecks struct {
	attrFor func(name string, v Value) (Attribute, error)
}

// validate checks a chunk; the error names the row and column.
func (c *Chunk) validate(ix *Index, pos int, ck chunkChecks) error {
	for ci := range c.cols {
		col := &c.cols[ci]
		what := colKindNames[col.kind]
		fail := func(row int, err error) error {
			key := ""
			if row >= 0 && row < len(c.keys) {
				key = c.keys[row]
			}
			where := fmt.Sprintf("column %d (%s)", ci, what)
			if row >= 0 {
				where = fmt.Sprintf("row %d, %s", row, where)
			}
			return &BatchError{Pos: pos, Op: "chunk", Key: key, Field: col.name, Err: &chunkError{where: where, err: err}}
		}
		if col.name == "" {
			return fail(-1, fmt.Errorf("empty %s name", nameOf(col.kind)))
		}
		n := col.values()
		rowsN := len(col.rows)
		if col.kind == colTag {
			if col.every {
				continue
			}
		} else if col.rows == nil {
			rowsN = len(c.keys)
			if col.kind == colEvent {
				return fail(-1, fmt.Errorf("event columns need Rows"))
			}
		}
		if n != rowsN {
			return fail(-1, fmt.Errorf("%d values for %d rows", n, rowsN))
		}
		for i, r := range col.rows {
			if int(r) >= len(c.keys) {
				return fail(-1, fmt.Errorf("value %d is for row %d, but the chunk has %d rows", i, r, len(c.keys)))
			}
		}
		if col.kind == colTag {
			continue
		}
		if col.kind == colEvent {
			if col.amts != nil && len(col.amts) != n {
				return fail(-1, fmt.Errorf("%d values for %d occurrences", len(col.amts), n))
			}
			for pi, p := range col.props {
				if p.Name == "" {
					return fail(-1, fmt.Errorf("empty event property name"))
				}
				for _, q := range col.props[:pi] {
					if q.Name == p.Name {
						return fail(-1, fmt.Errorf("property %q given twice", p.Name))
					}
				}
				if len(p.Values) != n {
					return fail(-1, fmt.Errorf("property %q: %d values for %d occurrences", p.Name, len(p.Values), n))
				}
				if err := ix.checkEventProp(col.name, p.Name); err != nil {
					return fail(-1, err)
				}
			}
			for i, at := range col.ints {
				if !validTime(at) {
					return fail(col.row(i), fmt.Errorf("occurrence %d: instant %d s from 1970 is outside the supported range (±%d s)", i, at, maxUnix))
				}
			}
			for i, a := range col.amts {
				if a > MaxAmount || a < -MaxAmount {
					return fail(col.row(i), fmt.Errorf("occurrence %d: event value %s is out of range", i, a))
				}
			}
			continue
		}
		if n == 0 {
			continue
		}
		a, err := ck.attrFor(col.name, col.value(0))
		if err != nil {
			return fail(col.row(0), err)
		}
		if a.Kind != col.kind.attrKind() {
			return fail(col.row(0), &KindError{Attr: a.Name, Declared: a.Kind, Got: col.kind.attrKind()})
		}
		switch col.kind {
		case colDecimal:
			for i, f := range col.floats {
				if _, err := toFixed(f, a.Scale); err != nil {
					return fail(col.row(i), fmt.Errorf("attribute %q: %v at scale %d: %w", a.Name, f, a.Scale, err))
				}
			}
		case colTime:
			for i, s := range col.ints {
				if !validTime(s) {
					return fail(col.row(i), fmt.Errorf("attribute %q: time %d s from 1970 is outside the supported range (±%d s)", a.Name, s, maxUnix))
				}
			}
		}
	}
	return nil
}

// chunkError places an error in a chunk: "row R, column C (kind)".
type chunkError struct {
	where string
	err   error
}

func (e *chunkError) Error() string { return e.where + ": " + trimPrefix(e.err) }
func (e *chunkError) Unwrap() error { return e.err }

func nameOf(k colKind) string {
	switch k {
	case colTag:
		return "tag"
	case colEvent:
		return "event"
	}
	return "attribute"
}

// chunkApply applies a chunk within Batch.applyLocked.
type chunkApply struct {
	tagBufOf  func(name string) *tagBuf
	attrBufOf func(name string, v Value) *attrBuf
	dayBufOf  func(name string, day segkit.Day) *dayBuf
}

// resolve returns the ID of each key, adding the customers that are not
// live (in row order, so new keys get consecutive IDs).
func (c *Chunk) resolve(ix *Index, w wctx, st *state) []uint32 {
	n := len(c.keys)
	ids := make([]uint32, n) // returned by Commit
	sc := getScratch()
	defer putScratch(sc)
	sc.found = resize(sc.found, n)
	found := sc.found
	ix.keys.findMany(c.keys, ids, found)
	first := ix.keys.n() // IDs from first on are assigned by this chunk
	lo, hi := first, first
	for i, key := range c.keys {
		id, ok := ids[i], found[i]
		if ok && st.live.contains(id) {
			continue
		}
		// created by an earlier row of the chunk, or deleted: look again
		id, ok = ix.keys.latest(key)
		if ok && (id >= first || st.live.contains(id)) {
			ids[i] = id
			continue
		}
		ids[i] = ix.keys.assign(key)
		hi = ids[i] + 1
	}
	if hi > lo {
		w.own(&st.live).AddRange(uint64(lo), uint64(hi))
	}
	return ids
}

// apply queues the chunk's columns into the batch's field buffers.
func (c *Chunk) apply(ids []uint32, tz *segkit.Zone, ca chunkApply) {
	for ci := range c.cols {
		col := &c.cols[ci]
		switch col.kind {
		case colTag:
			t := ca.tagBufOf(col.name)
			if col.every {
				for _, id := range ids {
					t.add(id, false)
				}
				continue
			}
			for _, r := range col.rows {
				t.add(ids[r], false)
			}
		case colEvent:
			c.applyEvent(col, ids, tz, ca)
		default:
			n := col.values()
			if n == 0 {
				continue
			}
			ab := ca.attrBufOf(col.name, col.value(0))
			ab.ids = growU32(ab.ids, n)
			ab.vals = growVals(ab.vals, n)
			for i := range n {
				ab.ids = append(ab.ids, ids[col.row(i)])
				ab.vals = append(ab.vals, col.value(i))
			}
		}
	}
}

func growU32(s []uint32, n int) []uint32 {
	if cap(s)-len(s) < n {
		s2 := make([]uint32, len(s), len(s)+n)
		copy(s2, s)
		return s2
	}
	return s
}

func growVals(s []Value, n int) []Value {
	if cap(s)-len(s) < n {
		s2 := make([]Value, len(s), len(s)+n)
		copy(s2, s)
		return s2
	}
	return s
}

func (c *Chunk) applyEvent(col *chunkCol, ids []uint32, tz *segkit.Zone, ca chunkApply) {
	// the day of each occurrence, then each day's buffer sized once
	if len(col.ints) == 0 {
		return
	}
	days := make([]segkit.Day, len(col.ints))
	lo, hi := segkit.Day(math.MaxInt32), segkit.Day(math.MinInt32)
	for i, at := range col.ints {
		day := tz.DayOf(time.Unix(at, 0))
		days[i] = day
		lo, hi = min(lo, day), max(hi, day)
	}
	bufs := map[segkit.Day]*dayBuf{}
	if span := int64(hi) - int64(lo) + 1; span <= int64(len(days))+1024 {
		counts := make([]int, span)
		for _, day := range days {
			counts[day-lo]++
		}
		for i, n := range counts {
			if n > 0 {
				day := lo + segkit.Day(i)
				d := ca.dayBufOf(col.name, day)
				d.ids = growU32(d.ids, n)
				bufs[day] = d
			}
		}
	} else {
		for _, day := range days {
			if bufs[day] == nil {
				bufs[day] = ca.dayBufOf(col.name, day)
			}
		}
	}
	// occurrences with the same property values share one read-only map
	shared := map[string]map[string]string{}
	var sb strings.Builder
	var d *dayBuf
	for i := range col.ints {
		id := ids[col.rows[i]]
		if d == nil || (i > 0 && days[i] != days[i-1]) {
			d = bufs[days[i]]
		}
		d.ids = append(d.ids, id)
		var val Amount
		if col.amts != nil {
			val = col.amts[i]
		}
		var props map[string]string
		if len(col.props) > 0 {
			sb.Reset()
			any := false
			for _, p := range col.props {
				v := p.Values[i]
				any = any || v != ""
				sb.WriteString(v)
				sb.WriteByte(0)
			}
			if any {
				props = shared[sb.String()]
				if props == nil {
					props = map[string]string{}
					for _, p := range col.props {
						if v := p.Values[i]; v != "" {
							props[p.Name] = v
						}
					}
					shared[sb.String()] = props
				}
			}
		}
		if val != 0 || props != nil {
			d.det = append(d.det, occIn{id: id, val: int64(val), props: props})
		}
	}
}
