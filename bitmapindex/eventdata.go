package bitmapindex

import (
	"cmp"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
)

// Event values and properties.
//
// An occurrence may carry a value (an Amount) and string properties
// ({"category": "math"}). Per event the index keeps a dictionary of property
// keys and, per key, of values (codes from 1; 0 is "absent"). A day that
// holds an occurrence with a value or a property keeps columns: the IDs of
// its occurrences ascending (an ID once per occurrence), their values (nil
// when all are 0) and per property key their value codes (nil when no
// occurrence of the day has the key). Days without columns hold occurrences
// with value 0 and no properties, as recorded before any had one, so events
// without values or properties (logins) cost nothing more than before.
//
// The forms over values and properties are single passes over the columns
// of the days in their window: the cost is the number of occurrences in the
// window, not the number of customers or their histories.

// FilterTerm is one key of a Filter: the occurrence has property Key with
// one of Values.
type FilterTerm struct {
	Key    string
	Values []string
}

// Filter selects occurrences by their properties: an occurrence matches iff
// it matches every term. The empty Filter matches every occurrence. It is a
// plain value.
type Filter []FilterTerm

// Matches reports whether an occurrence with the given properties matches.
func (f Filter) Matches(props map[string]string) bool {
	for _, t := range f {
		v, ok := props[t.Key]
		if !ok || !slices.Contains(t.Values, v) {
			return false
		}
	}
	return true
}

// EventDetail is what an occurrence carries besides its customer, event
// and day: a value (0 when absent) and properties (nil when none). It is a
// plain value; Props is only read by the index.
type EventDetail struct {
	Value Amount
	Props map[string]string
}

// propDict is an event's dictionary of property keys and values.
type propDict struct {
	keys   []string
	keyIdx map[string]int
	vals   [][]string          // per key: vals[k][code-1]
	valIdx []map[string]uint32 // per key: value → code
}

func (p *propDict) clone() *propDict {
	if p == nil {
		return nil
	}
	c := &propDict{
		keys:   slices.Clone(p.keys),
		keyIdx: make(map[string]int, len(p.keyIdx)),
		vals:   make([][]string, len(p.vals)),
		valIdx: make([]map[string]uint32, len(p.valIdx)),
	}
	for k, v := range p.keyIdx {
		c.keyIdx[k] = v
	}
	for i := range p.vals {
		c.vals[i] = slices.Clone(p.vals[i])
		c.valIdx[i] = make(map[string]uint32, len(p.valIdx[i]))
		for k, v := range p.valIdx[i] {
			c.valIdx[i][k] = v
		}
	}
	return c
}

// code returns the column of key and the code of val, adding them.
func (p *propDict) code(key, val string) (int, uint32) {
	k, ok := p.keyIdx[key]
	if !ok {
		k = len(p.keys)
		p.keys = append(p.keys, key)
		p.keyIdx[key] = k
		p.vals = append(p.vals, nil)
		p.valIdx = append(p.valIdx, map[string]uint32{})
	}
	c, ok := p.valIdx[k][val]
	if !ok {
		p.vals[k] = append(p.vals[k], val)
		c = uint32(len(p.vals[k]))
		p.valIdx[k][val] = c
	}
	return k, c
}

// occCols are the columns of one day's occurrences. They are immutable once
// built: a change builds new columns.
// Values and codes are kept at the narrowest width that holds them
// (eventcols.go).
type occCols struct {
	ids   []uint32
	vals  valCol    // absent: every value is 0
	props []codeCol // by key column; an absent column: no occurrence has the key
}

func (o *occCols) bytes() int64 {
	n := int64(len(o.ids))*4 + o.vals.bytes() + 96
	for _, c := range o.props {
		n += c.bytes() + 72
	}
	return n
}

// detailBytes estimates the memory of e's columns and dictionary. Columns
// shared with older views count in full.
func (e *event) detailBytes() int64 {
	if e.dict == nil {
		return 0
	}
	var n int64
	for k, key := range e.dict.keys {
		n += int64(len(key)) + 64
		for _, v := range e.dict.vals[k] {
			n += int64(len(v))*2 + 48
		}
	}
	for _, d := range e.days {
		if d.occ != nil {
			n += d.occ.bytes()
		}
	}
	return n
}

// occIn is an occurrence with details as a batch records it.
type occIn struct {
	id    uint32
	val   int64
	props map[string]string
}

// occRow is an occurrence while columns are rebuilt.
type occRow struct {
	id    uint32
	val   int64
	codes []uint32 // by key column
}

// rows returns the day's occurrences: from its columns, or (value 0, no
// properties) from its bitmaps.
func (n *dayNode) rows() []occRow {
	if n == nil {
		return nil
	}
	if o := n.occ; o != nil {
		out := make([]occRow, len(o.ids))
		for i, id := range o.ids {
			r := occRow{id: id}
			if o.vals.has() {
				r.val = o.vals.at(i)
			}
			for k, col := range o.props {
				if x := col.at0(i); x != 0 {
					if r.codes == nil {
						r.codes = make([]uint32, len(o.props))
					}
					r.codes[k] = x
				}
			}
			out[i] = r
		}
		return out
	}
	if n.one.empty() {
		return nil
	}
	var out []occRow
	extra := len(n.extra) > 0
	for id := range roaring.Values(n.one.b) {
		k := uint64(1)
		if extra {
			k += readBits(n.extra, id)
		}
		for range k {
			out = append(out, occRow{id: id})
		}
	}
	return out
}

// mergeDetails rebuilds the columns of day node n (already writable, its
// bitmaps not yet updated for this batch) with the batch's occurrences ids
// (sorted, an ID once per occurrence) of which det carry details. When the
// batch's IDs all follow the day's (a bulk load adds customers in ID order)
// the columns are appended to: their arrays are shared with older views,
// which never read past their own length.
func (e *event) mergeDetails(n *dayNode, ids []uint32, det []occIn) {
	if e.dict == nil {
		e.dict = &propDict{keyIdx: map[string]int{}}
	}
	// the batch's rows: details first, then the plain occurrences left
	left := make(map[uint32]int, len(det))
	rows := make([]occRow, 0, len(ids))
	for _, d := range det {
		r := occRow{id: d.id, val: d.val}
		if len(d.props) > 0 {
			keys := make([]string, 0, len(d.props))
			for k := range d.props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				col, code := e.dict.code(k, d.props[k])
				if len(r.codes) <= col {
					r.codes = append(r.codes, make([]uint32, col+1-len(r.codes))...)
				}
				r.codes[col] = code
			}
		}
		rows = append(rows, r)
		left[d.id]++
	}
	for _, id := range ids {
		if left[id] > 0 {
			left[id]--
			continue
		}
		rows = append(rows, occRow{id: id})
	}
	slices.SortStableFunc(rows, func(a, b occRow) int { return cmp.Compare(a.id, b.id) })
	if o := n.occ; o != nil && len(rows) > 0 && len(o.ids) > 0 && rows[0].id > o.ids[len(o.ids)-1] {
		n.occ = appendCols(o, rows, len(e.dict.keys))
		return
	}
	prior := n.rows()
	all := make([]occRow, 0, len(prior)+len(rows))
	all = append(all, prior...)
	all = append(all, rows...)
	slices.SortStableFunc(all, func(a, b occRow) int { return cmp.Compare(a.id, b.id) })
	n.occ = buildCols(all, len(e.dict.keys))
}

// appendCols returns o's columns followed by rows (whose IDs follow o's).
func appendCols(o *occCols, rows []occRow, nkeys int) *occCols {
	ids, vals, codes := splitRows(rows, nkeys)
	return appendOcc(o, ids, vals, codes, nkeys)
}

// buildCols returns the columns of rows (by ID), at their exact size.
func buildCols(rows []occRow, nkeys int) *occCols {
	return appendCols(&occCols{}, rows, nkeys)
}

// splitRows returns the IDs, values and codes of rows as appendOcc takes
// them.
func splitRows(rows []occRow, nkeys int) ([]uint32, []int64, []uint32) {
	m := len(rows)
	ids, vals, codes := make([]uint32, m), make([]int64, m), make([]uint32, m*nkeys)
	for i, r := range rows {
		ids[i], vals[i] = r.id, r.val
		for k, c := range r.codes {
			codes[k*m+i] = c
		}
	}
	return ids, vals, codes
}

// appendOcc returns o's columns followed by len(ids) occurrences whose IDs
// follow o's, with the values vals and, key column after key column, the
// codes codes[k*m:(k+1)*m] (m = len(ids); k < nkeys, nkeys at least o's
// columns; code 0: the occurrence does not have the key). o's arrays may be
// shared with older views: they are only written past their lengths.
func appendOcc(o *occCols, ids []uint32, vals []int64, codes []uint32, nkeys int) *occCols {
	l, m := len(o.ids), len(ids)
	c := &occCols{vals: o.vals, props: slices.Clone(o.props)}
	if l == 0 {
		c.ids = slices.Clone(ids) // new columns are exact
	} else {
		c.ids = appendGrow(o.ids, ids...)
	}
	anyVal := false
	lo, hi := int64(0), int64(0)
	for _, v := range vals {
		anyVal = anyVal || v != 0
		lo, hi = min(lo, v), max(hi, v)
	}
	if anyVal && !c.vals.has() {
		c.vals = newValCol(l, l+m, lo, hi)
	}
	if c.vals.has() {
		c.vals = c.vals.appendVals(vals)
	}
	for len(c.props) < nkeys {
		c.props = append(c.props, codeCol{})
	}
	for k := range c.props {
		xs := codes[k*m : (k+1)*m]
		var top uint32
		for _, x := range xs {
			top = max(top, x)
		}
		col := c.props[k]
		if !col.has() {
			if top == 0 {
				continue
			}
			col = newCodeCol(l, l+m, top)
		}
		c.props[k] = col.appendCodes(xs)
	}
	if len(c.props) > 0 && !slices.ContainsFunc(c.props, codeCol.has) {
		c.props = nil
	}
	return c
}

// without returns the columns without the occurrences of the IDs del
// reports, or nil when none is left.
func (o *occCols) without(del func(uint32) bool) *occCols {
	var rows []occRow
	n := &dayNode{occ: o}
	for _, r := range n.rows() {
		if !del(r.id) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return buildCols(rows, len(o.props))
}

// ---- reads -----------------------------------------------------------------

// rfilter is a Filter resolved against an event's dictionary.
type rfilter struct {
	terms []rterm
	never bool // some key or every value of a term is unknown
}

type rterm struct {
	col int
	ok  []bool // by code
}

func (rf *rfilter) empty() bool { return len(rf.terms) == 0 && !rf.never }

func (e *event) resolveFilter(f Filter) rfilter {
	var rf rfilter
	for _, t := range f {
		if e.dict == nil {
			rf.never = true
			return rf
		}
		col, ok := e.dict.keyIdx[t.Key]
		if !ok {
			rf.never = true
			return rf
		}
		term := rterm{col: col, ok: make([]bool, len(e.dict.vals[col])+1)}
		any := false
		for _, v := range t.Values {
			if c, ok := e.dict.valIdx[col][v]; ok {
				term.ok[c] = true
				any = true
			}
		}
		if !any {
			rf.never = true
			return rf
		}
		rf.terms = append(rf.terms, term)
	}
	return rf
}

// matches reports whether occurrence i of o matches.
func (rf *rfilter) matches(o *occCols, i int) bool {
	for _, t := range rf.terms {
		if t.col >= len(o.props) || !o.props[t.col].has() {
			return false
		}
		if !t.ok[o.props[t.col].at(i)] {
			return false
		}
	}
	return true
}

// scanDays calls fn for every day in [from, to] that holds occurrences,
// ascending.
// It stops early (an incomplete scan) when st is done (cancel.go).
func (e *event) scanDays(from, to segkit.Day, st *stop, fn func(d segkit.Day, n *dayNode)) {
	from, to, ok := e.clamp(from, to)
	if !ok {
		return
	}
	if int64(to)-int64(from)+1 > int64(len(e.days))*2 {
		for _, d := range slices.Sorted(mapsKeys(e.days)) {
			if d >= from && d <= to {
				if st.done() {
					return
				}
				fn(d, e.days[d])
			}
		}
		return
	}
	for d := from; d <= to; d++ {
		if n := e.days[d]; n != nil {
			if st.done() {
				return
			}
			fn(d, n)
		}
	}
}

// matchingIDs appends to buf the IDs (ascending, repeated per occurrence)
// of day n's occurrences that match rf, with their values when vals is
// not nil. Days without columns match only the empty filter.
func (rf *rfilter) matchingIDs(n *dayNode, buf []uint32) []uint32 {
	o := n.occ
	if o == nil {
		if !rf.empty() || n.one.empty() {
			return buf
		}
		for id := range roaring.Values(n.one.b) {
			buf = append(buf, id)
		}
		return buf
	}
	if len(rf.terms) == 0 {
		return append(buf, o.ids...)
	}
	if len(rf.terms) == 1 {
		// one property: a tight loop over its column
		t := rf.terms[0]
		if t.col >= len(o.props) || !o.props[t.col].has() {
			return buf
		}
		return o.props[t.col].matching(o.ids, t.ok, buf)
	}
	for i, id := range o.ids {
		if rf.matches(o, i) {
			buf = append(buf, id)
		}
	}
	return buf
}
