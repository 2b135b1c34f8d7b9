package bitmapindex

import (
	"fmt"
	"slices"

	"github.com/segkit/segkit"
)

// Snapshot sections for event values and properties (layout version 2;
// version 1 snapshots have none and load as events without them):
//
//	props = event str | count uvarint | (key str | count uvarint | value str*)*
//	occ   = event str | day i32 | count uvarint | id delta uvarint* (from 0, ascending)
//	        | has-values u8 | (value zigzag varint)* if has-values
//	        | columns uvarint | (key uvarint | code uvarint*)*   (codes 0..len(values of key))
//
// The props section of an event follows its day sections and precedes its
// occ sections. An occ section's IDs are exactly the occurrences of its day:
// every ID of the day's bitmap, as often as the day's counts say.

// writeEventCols writes e's dictionary and columns (live customers only).
func (s *snapWriter) writeEventCols(name string, e *event, live func(uint32) bool) {
	if e.dict == nil {
		return
	}
	s.str(name)
	s.uvarint(uint64(len(e.dict.keys)))
	for k, key := range e.dict.keys {
		s.str(key)
		s.uvarint(uint64(len(e.dict.vals[k])))
		for _, v := range e.dict.vals[k] {
			s.str(v)
		}
	}
	s.section(secProps)
	for _, d := range slices.Sorted(mapsKeys(e.days)) {
		n := e.days[d]
		o := n.occ
		if o == nil || n.one.empty() {
			continue
		}
		if slices.ContainsFunc(o.ids, func(id uint32) bool { return !live(id) }) {
			o = o.without(func(id uint32) bool { return !live(id) })
			if o == nil {
				continue
			}
		}
		s.str(name)
		s.u32(uint32(int32(d)))
		s.uvarint(uint64(len(o.ids)))
		prev := uint32(0)
		for _, id := range o.ids {
			s.uvarint(uint64(id - prev))
			prev = id
		}
		if o.vals.has() {
			s.u8(1)
			for i := range o.ids {
				v := o.vals.at(i)
				s.uvarint(uint64(v<<1) ^ uint64(v>>63))
			}
		} else {
			s.u8(0)
		}
		cols := 0
		for _, c := range o.props {
			if c.has() {
				cols++
			}
		}
		s.uvarint(uint64(cols))
		for k, c := range o.props {
			if !c.has() {
				continue
			}
			s.uvarint(uint64(k))
			for i := range o.ids {
				s.uvarint(uint64(c.at(i)))
			}
		}
		s.section(secOcc)
	}
}

func (ld *loader) readProps(d *dec) {
	name := d.str()
	e := ld.eventOf(d, name)
	n := d.count(1)
	if d.err != nil {
		return
	}
	if e.dict != nil {
		d.fail("event %q: properties repeated", name)
		return
	}
	p := &propDict{keyIdx: map[string]int{}}
	for range n {
		key := d.str()
		m := d.count(1)
		if d.err != nil {
			return
		}
		if _, dup := p.keyIdx[key]; dup || key == "" {
			d.fail("event %q: bad or repeated property %q", name, key)
			return
		}
		p.keyIdx[key] = len(p.keys)
		p.keys = append(p.keys, key)
		vals := make([]string, 0, m)
		idx := make(map[string]uint32, m)
		for range m {
			v := d.str()
			if d.err != nil {
				return
			}
			if _, dup := idx[v]; dup {
				d.fail("event %q: property %q value %q repeated", name, key, v)
				return
			}
			vals = append(vals, v)
			idx[v] = uint32(len(vals))
		}
		p.vals = append(p.vals, vals)
		p.valIdx = append(p.valIdx, idx)
	}
	e.dict = p
}

func (ld *loader) readOcc(d *dec) {
	name := d.str()
	day := segkit.Day(int32(d.u32()))
	n := d.count(1)
	if d.err != nil {
		return
	}
	e := ld.eventOf(d, name)
	if e == nil {
		return
	}
	dn := e.days[day]
	switch {
	case e.dict == nil:
		d.fail("event %q: columns before properties", name)
		return
	case dn == nil || dn.one.empty():
		d.fail("event %q day %s: columns for a day without occurrences", name, day)
		return
	case ld.occSeen[dn]:
		d.fail("event %q day %s: columns repeated", name, day)
		return
	}
	if ld.occSeen == nil {
		ld.occSeen = map[*dayNode]bool{}
	}
	ld.occSeen[dn] = true
	// The columns are decoded and checked beside the following sections
	// (read hands this section's payload over): nothing reads them before
	// the load finishes, and the day and the event's properties they are
	// checked against are read already and no longer change.
	rest, at, dict := &dec{b: d.b}, ld.cur, e.dict
	d.b = nil
	ld.bg.startLimited(at, func() error {
		if o := decodeOcc(rest, name, day, n, dn, dict); rest.err == nil {
			dn.occ = o
		}
		if rest.end(); rest.err != nil {
			return fmt.Errorf("section %d: %w", at, rest.err)
		}
		return nil
	})
}

// decodeOcc decodes the columns of an occ section after its header: the n
// occurrences of the day dn of event name, with property codes of dict.
func decodeOcc(d *dec, name string, day segkit.Day, n int, dn *dayNode, dict *propDict) *occCols {
	o := &occCols{ids: make([]uint32, n)}
	prev := uint64(0)
	for i := range n {
		prev += d.uvarint()
		if d.err == nil && prev > uint64(^uint32(0)) {
			d.fail("event %q day %s: ID out of range", name, day)
		}
		if d.err != nil {
			return nil
		}
		o.ids[i] = uint32(prev)
	}
	// the IDs are the day's occurrences, each as often as the day counts it
	if problem := occOfDay(o.ids, dn); problem != "" {
		d.fail("event %q day %s: columns %s the day's occurrences", name, day, problem)
		return nil
	}
	if d.u8() == 1 {
		vals := make([]int64, n)
		lo, hi := int64(0), int64(0)
		for i := range vals {
			u := d.uvarint()
			v := int64(u>>1) ^ -int64(u&1)
			if v > int64(MaxAmount) || v < -int64(MaxAmount) {
				d.fail("event %q day %s: value out of range", name, day)
			}
			vals[i] = v
			lo, hi = min(lo, v), max(hi, v)
		}
		o.vals = newValCol(0, n, lo, hi).appendVals(vals)
	}
	cols := d.count(1)
	if d.err != nil {
		return nil
	}
	if cols > 0 {
		o.props = make([]codeCol, len(dict.keys))
	}
	codes := make([]uint32, n)
	for range cols {
		k := d.uvarint()
		if d.err == nil && (k >= uint64(len(dict.keys)) || o.props[k].has()) {
			d.fail("event %q day %s: bad property column %d", name, day, k)
		}
		if d.err != nil {
			return nil
		}
		for i := range codes {
			x := d.uvarint()
			if d.err == nil && x > uint64(len(dict.vals[k])) {
				d.fail("event %q day %s: bad property code", name, day)
			}
			codes[i] = uint32(x)
		}
		o.props[k] = newCodeCol(0, n, slices.Max(append(codes, 0))).appendCodes(codes)
	}
	return o
}
