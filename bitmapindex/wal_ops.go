package bitmapindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/segkit/segkit"
)

// The encoding of a log record's payload (all integers little-endian or
// varints; strings are a uvarint length and the bytes):
//
//	payload = seq u64 | type u8 | body
//	type 1  = a batch, encoding 1:  count uvarint | op*
//	type 2  = a declaration:        name str | kind u8 | scale u8
//
//	op = code u8 | fields:
//	  1 add       key
//	  2 delete    key
//	  3 tag       key | tag
//	  4 untag     key | tag
//	  5 set       key | attr | value
//	  6 clear     key | attr
//	  7 record    key | event | day varint | value f64
//	  8 tag IDs   tag | ids
//	  9 set IDs   attr | ids | value per ID
//	  10 rec IDs  event | day varint | ids | 0 u8 | or 1 u8 then f64 per ID
//	  11 event    key | event | day varint | amount varint | count uvarint | (property str | value str)*
//	                (RecordEvent: the value as an Amount, properties sorted by name)
//	  12 chunk    a bulk load (NewChunk): see appendChunk in bulk_wal.go
//	ids   = count uvarint | (ID − previous ID) zigzag varint per ID (previous starts at 0)
//	value = kind u8 | category, set: str (a set's encoded sorted strings)
//	                | int: varint | decimal: f64 | time: unix seconds varint, nanoseconds uvarint
//	                | bool: u8 0 or 1
//
// The codes and kinds are the log's own, fixed once written: they do not
// follow the in-memory enumerations. A write that needs new fields (event
// properties, say) gets a new op code, or the batch a new record type; a
// decoder rejects what it does not know with an error naming it, so an older
// segkit never misreads a newer log.

const (
	recBatch   = 1
	recDeclare = 2
)

const (
	lopAdd = iota + 1
	lopDelete
	lopTag
	lopUntag
	lopSet
	lopClear
	lopRecord
	lopTagIDs
	lopSetIDs
	lopRecordIDs
	lopRecordEvent
	lopChunk
)

var opToLog = map[opKind]byte{
	opAdd: lopAdd, opDelete: lopDelete, opTag: lopTag, opUntag: lopUntag, opSet: lopSet,
	opClear: lopClear, opRecord: lopRecord, opTagIDs: lopTagIDs, opSetIDs: lopSetIDs, opRecordIDs: lopRecordIDs,
	opRecordEvent: lopRecordEvent, opChunk: lopChunk,
}

var logToOp = func() [lopChunk + 1]opKind {
	var m [lopChunk + 1]opKind
	for k, c := range opToLog {
		m[c] = k
	}
	return m
}()

// maxRecordBytes bounds the payload of one log record (a batch that encodes
// larger is rejected before anything is logged).
const maxRecordBytes = 1 << 30

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendF64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func appendIDs(dst []byte, ids []uint32) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	prev := int64(0)
	for _, id := range ids {
		dst = binary.AppendVarint(dst, int64(id)-prev)
		prev = int64(id)
	}
	return dst
}

func appendValue(dst []byte, v Value) []byte {
	dst = append(dst, byte(v.k))
	switch v.k {
	case KindCategory, KindSet:
		dst = appendStr(dst, v.s)
	case KindInt:
		dst = binary.AppendVarint(dst, v.n)
	case KindDecimal:
		dst = appendF64(dst, v.f)
	case KindTime:
		dst = binary.AppendVarint(dst, v.n)
		dst = binary.AppendUvarint(dst, uint64(v.ns))
	case KindBool:
		dst = append(dst, byte(v.n))
	}
	return dst
}

// appendBatchPayload appends the payload body of a batch record (after seq).
func appendBatchPayload(dst []byte, b *Batch) ([]byte, error) {
	dst = append(dst, recBatch)
	dst = binary.AppendUvarint(dst, uint64(b.n))
	err := b.each(func(i int, o *op) error {
		code, ok := opToLog[o.kind]
		if !ok {
			return fmt.Errorf("bitmapindex: batch write %d: %s writes cannot be logged", i, opKindNames[o.kind])
		}
		dst = append(dst, code)
		switch o.kind {
		case opAdd, opDelete:
			dst = appendStr(dst, o.key)
		case opTag, opUntag, opClear:
			dst = appendStr(dst, o.key)
			dst = appendStr(dst, o.name)
		case opSet:
			dst = appendStr(dst, o.key)
			dst = appendStr(dst, o.name)
			dst = appendValue(dst, o.v)
		case opRecord:
			dst = appendStr(dst, o.key)
			dst = appendStr(dst, o.name)
			dst = binary.AppendVarint(dst, o.v.n)
			dst = appendF64(dst, o.v.f)
		case opRecordEvent:
			det := b.dets[o.bulk]
			dst = appendStr(dst, o.key)
			dst = appendStr(dst, o.name)
			dst = binary.AppendVarint(dst, o.v.n)
			dst = binary.AppendVarint(dst, int64(det.Value))
			dst = binary.AppendUvarint(dst, uint64(len(det.Props)))
			for _, k := range slices.Sorted(maps.Keys(det.Props)) {
				dst = appendStr(dst, k)
				dst = appendStr(dst, det.Props[k])
			}
		case opChunk:
			dst = appendChunk(dst, b.chunks[o.bulk])
		case opTagIDs:
			dst = appendStr(dst, o.name)
			dst = appendIDs(dst, b.bulk[o.bulk].ids)
		case opSetIDs:
			bo := b.bulk[o.bulk]
			dst = appendStr(dst, o.name)
			dst = appendIDs(dst, bo.ids)
			for _, v := range bo.vals {
				dst = appendValue(dst, v)
			}
		case opRecordIDs:
			bo := b.bulk[o.bulk]
			dst = appendStr(dst, o.name)
			dst = binary.AppendVarint(dst, int64(bo.day))
			dst = appendIDs(dst, bo.ids)
			if bo.floats == nil {
				dst = append(dst, 0)
			} else {
				dst = append(dst, 1)
				for _, f := range bo.floats {
					dst = appendF64(dst, f)
				}
			}
		}
		return nil
	})
	return dst, err
}

// appendDeclarePayload appends the payload body of a declaration record.
func appendDeclarePayload(dst []byte, a Attribute) []byte {
	dst = append(dst, recDeclare)
	dst = appendStr(dst, a.Name)
	return append(dst, byte(a.Kind), byte(a.Scale))
}

// ---- decoding --------------------------------------------------------------

var errShort = errors.New("record ends early")

// logDec reads a record payload with bounds checks; the first error sticks.
type logDec struct {
	b   []byte
	off int
	err error
}

func (d *logDec) failf(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("byte %d of the record: "+format, append([]any{d.off}, args...)...)
	}
}

func (d *logDec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.failf("%v", errShort)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *logDec) u8() byte {
	p := d.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *logDec) u64() uint64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (d *logDec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.failf("bad varint")
		return 0
	}
	d.off += n
	return x
}

func (d *logDec) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.failf("bad varint")
		return 0
	}
	d.off += n
	return x
}

// count reads a count of items that take at least minSize bytes each, so
// that a lying count cannot make the decoder allocate more than the record
// holds.
func (d *logDec) count(minSize int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64((len(d.b)-d.off)/minSize) {
		d.failf("count %d exceeds what the record holds", n)
		return 0
	}
	return int(n)
}

func (d *logDec) str() string {
	n := d.count(1)
	return string(d.take(n))
}

func (d *logDec) f64() float64 { return math.Float64frombits(d.u64()) }

func (d *logDec) ids() []uint32 {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	ids := make([]uint32, n)
	prev := int64(0)
	for i := range ids {
		x := prev + d.varint()
		if x < 0 || x > math.MaxUint32 {
			d.failf("ID %d out of range", x)
			return nil
		}
		ids[i], prev = uint32(x), x
	}
	return ids
}

// validSet reports whether s is a well-formed encoded set: sorted, distinct
// strings, each a uvarint length and the bytes.
func validSet(s string) bool {
	prev, first := "", true
	for len(s) > 0 {
		l, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		if w <= 0 || l > uint64(len(s)-w) {
			return false
		}
		v := s[w : w+int(l)]
		if !first && v <= prev {
			return false
		}
		prev, first = v, false
		s = s[w+int(l):]
	}
	return true
}

func (d *logDec) value() Value {
	k := Kind(d.u8())
	switch k {
	case KindCategory:
		return Value{k: k, s: d.str()}
	case KindSet:
		s := d.str()
		if d.err == nil && !validSet(s) {
			d.failf("malformed set value")
		}
		return Value{k: k, s: s}
	case KindInt:
		return Value{k: k, n: d.varint()}
	case KindDecimal:
		return Value{k: k, f: d.f64()}
	case KindTime:
		n := d.varint()
		ns := d.uvarint()
		if d.err == nil && ns >= 1e9 {
			d.failf("nanoseconds %d out of range", ns)
		}
		return Value{k: k, n: n, ns: int32(ns)}
	case KindBool:
		b := d.u8()
		if d.err == nil && b > 1 {
			d.failf("bool value %d", b)
		}
		return Value{k: k, n: int64(b)}
	}
	if d.err == nil {
		d.failf("unknown value kind %d", k)
	}
	return Value{}
}

func (d *logDec) day() segkit.Day {
	x := d.varint()
	if d.err == nil && (x < math.MinInt32 || x > math.MaxInt32) {
		d.failf("day %d out of range", x)
	}
	return segkit.Day(x)
}

// logRecord is a decoded record: a batch (its writes, for ix) or a
// declaration.
type logRecord struct {
	seq     uint64
	batch   *Batch
	declare Attribute
}

// decodeRecord decodes a record payload into writes for ix. It never
// panics and allocates at most in proportion to len(p).
func decodeRecord(ix *Index, p []byte) (logRecord, error) {
	d := &logDec{b: p}
	r := logRecord{seq: d.u64()}
	typ := d.u8()
	if d.err != nil {
		return r, d.err
	}
	switch typ {
	case recDeclare:
		r.declare = Attribute{Name: d.str()}
		r.declare.Kind = Kind(d.u8())
		r.declare.Scale = int(d.u8())
		if d.err == nil {
			if err := r.declare.validate(); err != nil {
				d.failf("%v", trimPrefix(err))
			}
		}
	case recBatch:
		r.batch = decodeBatch(ix, d)
	default:
		return r, fmt.Errorf("unknown record type %d (written by a newer segkit?)", typ)
	}
	if d.err == nil && d.off != len(p) {
		d.failf("%d bytes after the last write", len(p)-d.off)
	}
	return r, d.err
}

func decodeBatch(ix *Index, d *logDec) *Batch {
	b := ix.NewBatch()
	n := d.count(2) // every write takes at least a code and a length byte
	for i := 0; i < n && d.err == nil; i++ {
		code := d.u8()
		if d.err != nil {
			break
		}
		if int(code) >= len(logToOp) || logToOp[code] == 0 {
			d.failf("write %d: unknown write code %d (written by a newer segkit?)", i, code)
			break
		}
		o := op{kind: logToOp[code]}
		switch o.kind {
		case opAdd, opDelete:
			o.key = d.str()
		case opTag, opUntag, opClear:
			o.key, o.name = d.str(), d.str()
		case opSet:
			o.key, o.name = d.str(), d.str()
			o.v = d.value()
		case opRecord:
			o.key, o.name = d.str(), d.str()
			day := d.day()
			o.v = Value{n: int64(day), f: d.f64()}
		case opRecordEvent:
			o.key, o.name = d.str(), d.str()
			day := d.day()
			det := EventDetail{Value: Amount(d.varint())}
			if n := d.count(2); n > 0 {
				det.Props = make(map[string]string, n)
				prev := ""
				for j := 0; j < n && d.err == nil; j++ {
					k, v := d.str(), d.str()
					if d.err == nil && j > 0 && k <= prev {
						d.failf("event properties out of order")
					}
					det.Props[k], prev = v, k
				}
			}
			b.dets = append(b.dets, det)
			o.v = Value{n: int64(day), f: det.Value.Float64()}
			o.bulk = int32(len(b.dets) - 1)
		case opChunk:
			b.chunks = append(b.chunks, d.chunk(ix))
			o.bulk = int32(len(b.chunks) - 1)
		case opTagIDs:
			o.name = d.str()
			b.bulk = append(b.bulk, bulkOp{ids: d.ids()})
			o.bulk = int32(len(b.bulk) - 1)
		case opSetIDs:
			o.name = d.str()
			ids := d.ids()
			if d.err != nil {
				break
			}
			vals := make([]Value, 0, min(len(ids), len(d.b)-d.off))
			for range ids {
				if d.err != nil {
					break
				}
				vals = append(vals, d.value())
			}
			b.bulk = append(b.bulk, bulkOp{ids: ids, vals: vals})
			o.bulk = int32(len(b.bulk) - 1)
		case opRecordIDs:
			o.name = d.str()
			day := d.day()
			bo := bulkOp{day: day, ids: d.ids()}
			switch d.u8() {
			case 0:
			case 1:
				if d.err == nil && len(bo.ids) > (len(d.b)-d.off)/8 {
					d.failf("%d values exceed what the record holds", len(bo.ids))
					break
				}
				bo.floats = make([]float64, len(bo.ids))
				for j := range bo.floats {
					bo.floats[j] = d.f64()
				}
			default:
				d.failf("bad value flag")
			}
			b.bulk = append(b.bulk, bo)
			o.bulk = int32(len(b.bulk) - 1)
		}
		b.add(o)
	}
	return b
}
