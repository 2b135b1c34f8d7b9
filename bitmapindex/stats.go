package bitmapindex

import (
	"maps"
	"slices"
)

// Stats describes a view: its size, every field's cardinality and an
// estimate of the memory it holds. It is a plain value.
type Stats struct {
	Customers int // live customers
	IDs       int // IDs assigned so far, including deleted customers'
	Fields    []FieldStats
	// KeyBytes estimates the key table (keys, ID → key, key → ID).
	KeyBytes int64
	// BitmapBytes is the in-memory size of all bitmaps, as roaring reports it.
	BitmapBytes int64
	// PortableBytes is the size of all bitmaps in the portable format.
	PortableBytes int64
	// MemoryBytes estimates the whole view: bitmaps, key table, event
	// value sums and bookkeeping.
	MemoryBytes int64
}

// FieldStats describes one tag, attribute or event. It is a plain value.
type FieldStats struct {
	Name string
	// Kind is "tag", "event", or the attribute kind ("category", "decimal(2)", …).
	Kind string
	// Members is the number of customers with the tag, with a value of the
	// attribute, or with an occurrence of the event.
	Members int
	// Cardinality is the number of distinct values of an attribute (-1
	// when a numeric attribute has more than the index tracks with value
	// bitmaps), the number of days with occurrences of an event, and 1 for
	// a tag.
	Cardinality int
	// Slices is the number of non-empty bit slices of a numeric attribute.
	Slices int
	// Bitmaps is the number of bitmaps the field holds.
	Bitmaps int
	// Bytes is the in-memory size of the field's bitmaps (for an event,
	// the block counters only once count queries built them).
	Bytes int64
	// DetailBytes is, for an event, the memory of its per-occurrence value
	// and property columns and its property dictionary (0 when its
	// occurrences carry neither); it is part of MemoryBytes, not of Bytes.
	DetailBytes int64
	// ColumnBytes is, for a wide numeric attribute, the memory of the
	// interleaved columns its comparisons over many customers build (about
	// one bit per customer and value bit; 0 until the first such
	// comparison of this version); it is part of MemoryBytes, not of Bytes.
	ColumnBytes int64
	// BinBytes is, for a wide numeric attribute, the memory of the binned
	// index its repeated comparisons over many customers build (about 5
	// bytes per customer; 0 until built for this version, when it
	// replaces the columns); it is part of MemoryBytes, not of Bytes.
	BinBytes int64
	// RankBytes is, for an event, the memory of its recency ranks (the
	// customers by the day of their k-th most recent occurrence, k ≤ 4),
	// 0 until a query built them; it is part of MemoryBytes, not of Bytes.
	RankBytes int64
}

type sizer struct {
	n        int
	mem, ser int64
}

func (s *sizer) add(x *bm) {
	if x == nil {
		return
	}
	s.n++
	s.mem += int64(x.b.GetSizeInBytes()) + 48 + x.stripeBytes()
	s.ser += int64(x.b.GetSerializedSizeInBytes())
}

// Stats returns the view's statistics. It walks every bitmap of the view
// (cost proportional to the number of bitmaps, not customers).
func (v *View) Stats() Stats {
	st := Stats{Customers: v.Len(), IDs: int(v.keys.n)}
	var total sizer
	var columns int64
	total.add(v.st.live)
	for _, name := range slices.Sorted(maps.Keys(v.st.tags)) {
		t := v.st.tags[name]
		var s sizer
		s.add(t)
		st.Fields = append(st.Fields, FieldStats{Name: name, Kind: "tag", Members: t.card(), Cardinality: 1, Bitmaps: s.n, Bytes: s.mem})
		total.n += s.n
		total.mem += s.mem
		total.ser += s.ser
	}
	for _, def := range sortedSchema(v.st.schema) {
		fs := FieldStats{Name: def.Name, Kind: kindScale(def)}
		var s sizer
		if a := v.st.attrs[def.Name]; a != nil {
			fs.Members = a.present.card()
			fs.Cardinality = a.distinct()
			fs.Slices = a.bitsLen()
			s.add(a.present)
			for _, p := range a.dict {
				s.add(p)
			}
			for _, p := range a.vals {
				s.add(p)
			}
			for _, p := range a.slices {
				s.add(p)
			}
			for _, p := range a.days {
				s.add(p)
			}
			s.mem += int64(len(a.dict)+len(a.vals)+len(a.days)) * 48
			for k := range a.dict {
				s.mem += int64(len(k))
			}
			if a.wcache != nil {
				if w := a.wcache.cols.Load(); w != nil && w.matches(a) {
					fs.ColumnBytes = int64(w.bytes())
				}
				if b := a.wcache.bins.Load(); b != nil && b.matches(a) {
					fs.BinBytes = int64(b.bytes())
				}
			}
		}
		fs.Bitmaps, fs.Bytes = s.n, s.mem
		st.Fields = append(st.Fields, fs)
		columns += fs.ColumnBytes + fs.BinBytes
		total.n += s.n
		total.mem += s.mem
		total.ser += s.ser
	}
	other := columns
	for _, name := range slices.Sorted(maps.Keys(v.st.events)) {
		e := v.st.events[name]
		fs := FieldStats{Name: name, Kind: "event", Members: e.ever.card(), Cardinality: len(e.days)}
		var s sizer
		s.add(e.ever)
		for _, n := range e.days {
			s.add(n.one)
			for _, x := range n.extra {
				s.add(x)
			}
		}
		for _, n := range e.blocks {
			s.add(n.any)
			for _, x := range n.built() {
				s.add(x)
			}
		}
		for _, p := range e.first {
			s.add(p)
		}
		fs.DetailBytes = e.detailBytes()
		other += fs.DetailBytes
		if rk := e.heldRanks(); rk != nil {
			fs.RankBytes, _ = rk.bytes()
			other += fs.RankBytes
		}
		for _, c := range e.totals {
			if c != nil {
				other += c.bytes()
			}
		}
		other += int64(len(e.totals)) * 8
		fs.Bitmaps, fs.Bytes = s.n, s.mem
		st.Fields = append(st.Fields, fs)
		total.n += s.n
		total.mem += s.mem
		total.ser += s.ser
	}
	st.KeyBytes = v.keys.bytes()
	st.BitmapBytes = total.mem
	st.PortableBytes = total.ser
	st.MemoryBytes = total.mem + st.KeyBytes + other
	return st
}
