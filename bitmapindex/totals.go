package bitmapindex

import "slices"

// A totals chunk holds the sums of values of chunkSize consecutive IDs. It
// starts sparse, offsets and values of the customers that have a sum, and
// becomes a dense array once more than sparseMax of them do: memory follows
// the customers with values, not the span of their IDs (issue 14 item 4: a
// snapshot of customers 1,024 IDs apart each with a value loaded into one
// 8 KiB array each).
type chunk struct {
	gen uint64
	d   *[chunkSize]float64 // dense, or nil
	at  []uint16            // sparse: offsets, ascending
	v   []float64           // sparse: the sums at those offsets
}

// sparseMax is the number of sums a sparse chunk holds (12 bytes each)
// before it turns dense (8 KiB).
const sparseMax = chunkSize / 16

// get returns the sum at off.
func (c *chunk) get(off uint32) float64 {
	if c.d != nil {
		return c.d[off]
	}
	if i, ok := slices.BinarySearch(c.at, uint16(off)); ok {
		return c.v[i]
	}
	return 0
}

// add adds f to the sum at off (c is writable: see clone).
func (c *chunk) add(off uint32, f float64) {
	if c.d != nil {
		c.d[off] += f
		return
	}
	i, ok := slices.BinarySearch(c.at, uint16(off))
	if ok {
		c.v[i] += f
		return
	}
	if len(c.at) == sparseMax {
		d := new([chunkSize]float64)
		for k, o := range c.at {
			d[o] = c.v[k]
		}
		d[off] += f
		c.d, c.at, c.v = d, nil, nil
		return
	}
	c.at = slices.Insert(c.at, i, uint16(off))
	c.v = slices.Insert(c.v, i, f)
}

// clone returns a writable copy of c for generation gen.
func (c *chunk) clone(gen uint64) *chunk {
	cc := &chunk{gen: gen}
	if c.d != nil {
		d := *c.d
		cc.d = &d
	} else {
		cc.at, cc.v = slices.Clone(c.at), slices.Clone(c.v)
	}
	return cc
}

// each calls fn for every non-zero sum, by ascending offset.
func (c *chunk) each(fn func(off uint32, f float64)) {
	if c.d != nil {
		for j, f := range c.d {
			if f != 0 {
				fn(uint32(j), f)
			}
		}
		return
	}
	for k, o := range c.at {
		if c.v[k] != 0 {
			fn(uint32(o), c.v[k])
		}
	}
}

// bytes estimates the chunk's memory.
func (c *chunk) bytes() int64 {
	if c.d != nil {
		return chunkSize * 8
	}
	return int64(cap(c.at))*2 + int64(cap(c.v))*8 + 48
}
