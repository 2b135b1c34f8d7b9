package bitmapindex

import (
	"encoding/binary"
)

// The log encoding of a chunk (op code 12, see wal_ops.go):
//
//	chunk  = keys count uvarint | key str* | columns count uvarint | column*
//	column = kind u8 | name str | rows | values
//	rows   = 0 u8 (every row, in order) | 1 u8 then ids (the rows, as IDs are encoded)
//	values = count uvarint | per kind:
//	  1 tag       nothing (count is 0)
//	  2 int       varint*
//	  3 decimal   f64*
//	  4 time      unix seconds varint*
//	  5 bool      u8 (0 or 1)*
//	  6 category  str*
//	  7 set       (count uvarint | str*)*
//	  8 event     instant (unix seconds) varint* | 0 u8 (no values) or 1 u8 then amount varint*
//	              | properties count uvarint | (name str | str per occurrence)*
//
// The column kinds are the log's own, fixed once written.

// appendChunk appends a chunk's encoding.
func appendChunk(dst []byte, c *Chunk) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(c.keys)))
	for _, k := range c.keys {
		dst = appendStr(dst, k)
	}
	dst = binary.AppendUvarint(dst, uint64(len(c.cols)))
	for i := range c.cols {
		col := &c.cols[i]
		dst = append(dst, byte(col.kind))
		dst = appendStr(dst, col.name)
		if col.rows == nil {
			dst = append(dst, 0)
		} else {
			dst = append(dst, 1)
			dst = appendIDs(dst, col.rows)
		}
		switch col.kind {
		case colTag:
			dst = append(dst, 0)
		case colInt, colTime:
			dst = binary.AppendUvarint(dst, uint64(len(col.ints)))
			for _, x := range col.ints {
				dst = binary.AppendVarint(dst, x)
			}
		case colDecimal:
			dst = binary.AppendUvarint(dst, uint64(len(col.floats)))
			for _, f := range col.floats {
				dst = appendF64(dst, f)
			}
		case colBool:
			dst = binary.AppendUvarint(dst, uint64(len(col.bools)))
			for _, b := range col.bools {
				if b {
					dst = append(dst, 1)
				} else {
					dst = append(dst, 0)
				}
			}
		case colCategory:
			dst = binary.AppendUvarint(dst, uint64(len(col.strs)))
			for _, s := range col.strs {
				dst = appendStr(dst, s)
			}
		case colSet:
			dst = binary.AppendUvarint(dst, uint64(len(col.sets)))
			for _, vs := range col.sets {
				dst = binary.AppendUvarint(dst, uint64(len(vs)))
				for _, s := range vs {
					dst = appendStr(dst, s)
				}
			}
		case colEvent:
			dst = binary.AppendUvarint(dst, uint64(len(col.ints)))
			for _, x := range col.ints {
				dst = binary.AppendVarint(dst, x)
			}
			if col.amts == nil {
				dst = append(dst, 0)
			} else {
				dst = append(dst, 1)
				dst = binary.AppendUvarint(dst, uint64(len(col.amts)))
				for _, a := range col.amts {
					dst = binary.AppendVarint(dst, int64(a))
				}
			}
			dst = binary.AppendUvarint(dst, uint64(len(col.props)))
			for _, p := range col.props {
				dst = appendStr(dst, p.Name)
				dst = binary.AppendUvarint(dst, uint64(len(p.Values)))
				for _, s := range p.Values {
					dst = appendStr(dst, s)
				}
			}
		}
	}
	return dst
}

// chunk decodes a chunk for ix (the first error sticks in d). It allocates
// in proportion to the record: every count is checked against the bytes
// left.
func (d *logDec) chunk(ix *Index) *Chunk {
	c := &Chunk{ix: ix}
	nk := d.count(1)
	if d.err != nil {
		return c
	}
	c.keys = make([]string, 0, nk)
	for range nk {
		if d.err != nil {
			return c
		}
		c.keys = append(c.keys, d.str())
	}
	ncols := d.count(3) // kind, name length, rows flag
	for range ncols {
		if d.err != nil {
			return c
		}
		col := chunkCol{kind: colKind(d.u8()), name: d.str()}
		if d.err == nil && (col.kind < colTag || col.kind > colEvent) {
			d.failf("unknown chunk column kind %d", col.kind)
			return c
		}
		if col.kind != colTag {
			col.colValues = &colValues{}
		}
		switch d.u8() {
		case 0:
			col.every = col.kind == colTag
		case 1:
			col.rows = d.ids()
			if d.err == nil && col.rows == nil {
				col.rows = []uint32{}
			}
		default:
			d.failf("bad rows flag")
			return c
		}
		switch col.kind {
		case colTag:
			if n := d.count(1); d.err == nil && n != 0 {
				d.failf("tag column with %d values", n)
			}
		case colInt, colTime:
			col.ints = d.varints(d.count(1))
		case colDecimal:
			n := d.count(8)
			if d.err == nil {
				col.floats = make([]float64, n)
				for i := range col.floats {
					col.floats[i] = d.f64()
				}
			}
		case colBool:
			n := d.count(1)
			if d.err == nil {
				col.bools = make([]bool, n)
				for i := range col.bools {
					switch d.u8() {
					case 0:
					case 1:
						col.bools[i] = true
					default:
						d.failf("bool value out of range")
					}
				}
			}
		case colCategory:
			col.strs = d.strs(d.count(1))
		case colSet:
			n := d.count(1)
			if d.err == nil {
				col.sets = make([][]string, 0, n)
				for range n {
					if d.err != nil {
						break
					}
					col.sets = append(col.sets, d.strs(d.count(1)))
				}
			}
		case colEvent:
			col.ints = d.varints(d.count(1))
			switch d.u8() {
			case 0:
			case 1:
				n := d.count(1)
				if d.err == nil {
					col.amts = make([]Amount, 0, n)
					for _, x := range d.varints(n) {
						col.amts = append(col.amts, Amount(x))
					}
				}
			default:
				d.failf("bad event value flag")
			}
			np := d.count(2)
			for range np {
				if d.err != nil {
					break
				}
				name := d.str()
				col.props = append(col.props, PropColumn{Name: name, Values: d.strs(d.count(1))})
			}
		}
		if d.err == nil && col.kind != colTag && col.rows == nil && col.values() != len(c.keys) {
			d.failf("chunk column %q: %d values for %d rows", col.name, col.values(), len(c.keys))
		}
		c.cols = append(c.cols, col)
	}
	return c
}

// varints reads n varints (n checked by count).
func (d *logDec) varints(n int) []int64 {
	if d.err != nil {
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = d.varint()
	}
	return out
}

// strs reads n strings (n checked by count).
func (d *logDec) strs(n int) []string {
	if d.err != nil {
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		if d.err != nil {
			break
		}
		out = append(out, d.str())
	}
	return out
}
