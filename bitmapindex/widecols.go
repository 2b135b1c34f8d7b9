package bitmapindex

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// Wide numeric comparisons (issue 21 item 3).
//
// The bit-sliced comparison (oneil) does two whole-bitmap operations per
// bit of the value: for a decimal with hundreds of thousands of distinct
// values or an instant at second precision that is 50-odd operations over
// every present customer, each allocating its result (18 ms at 10M
// customers for a comparison selecting 10% of them). Done word by word
// instead, the same algorithm keeps the running "equal so far", "less" and
// "greater" masks of 64 customers in registers and stops as soon as no
// customer of the word is still equal to the constant's prefix, which for
// most words happens after a handful of bits.
//
// wideCols is the layout that makes this fast: the present bitmap and the
// bits of u (the slices XOR the reference), densely, interleaved by groups
// of 512 customers — the group's present words, then its words of each bit,
// most significant first, each row one cache line — so that a group's walk
// reads its rows in order and stops early. It is built from a frozen attribute version on
// its first wide comparison (a few milliseconds per 10M customers, about
// what one bit-sliced comparison costs), kept beside it, and never changed:
// a writer's next version of the attribute starts with an empty cache. It
// costs (s+1) bits per customer while it lives; Stats reports it. A version
// compared more than wideBinsAfter times replaces it with its binned index
// (widebins.go), which answers a count without a scan.

// wideMinCustomers (a variable for tests) is the smallest population whose comparisons use the
// interleaved columns; below it the bit-sliced comparison is as fast.
var wideMinCustomers uint64 = 1 << 16

// wideMinSlices is the fewest bit slices for which the columns pay.
var wideMinSlices = 12

type wideCols struct {
	pres   *bm // the present bitmap and slices it was built from
	slices [64]*bm
	s      int // slices 0..s-1 are kept
	words  int // words per column (a multiple of group)
	data   []uint64
}

// group is the number of words (of 64 customers each) a row holds: the
// words of the present bitmap or of one slice for 512 customers, one cache
// line. Group g's rows are data[g*(s+1)*group:], present first, then the
// slices, most significant first.
const group = 8

// wideCache holds an attribute version's interleaved columns, then its
// binned index (widebins.go), once built.
type wideCache struct {
	mu   sync.Mutex
	cols atomic.Pointer[wideCols]
	bins atomic.Pointer[wideBins]
	uses atomic.Int64 // wide comparisons asked of the version
}

// matches reports whether w was built from a's present bitmap and slices.
// Frozen bitmap nodes are never written again, so equal nodes mean equal
// content.
func (w *wideCols) matches(a *attr) bool {
	return w.pres == a.present && w.slices == a.slices
}

// bytes is the memory of the columns.
func (w *wideCols) bytes() int { return 8 * len(w.data) }

// wideColumns returns a's interleaved columns, building them when a is a
// wide numeric attribute over enough customers; nil when the bit-sliced
// comparison should answer, when the binned index replaced them, or when
// st stopped the build.
func (a *attr) wideColumns(st *stop) *wideCols {
	c := a.wcache
	if c == nil || a.present.empty() {
		return nil
	}
	if w := c.cols.Load(); w != nil && w.matches(a) {
		return w
	}
	s := a.keyBits()
	if s < wideMinSlices || a.present.b.GetCardinality() < wideMinCustomers {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.cols.Load(); w != nil && w.matches(a) {
		return w
	}
	if b := c.bins.Load(); b != nil && b.matches(a) {
		return nil // the bins replaced the columns
	}
	w := buildWideCols(a, s, st)
	if w != nil {
		c.cols.Store(w)
	}
	return w
}

// keyBits is the number of low bits of u that differ between present
// values: slices 0..keyBits-1 are kept, the top one non-empty.
func (a *attr) keyBits() int {
	s := 0
	for i, x := range a.slices {
		if !x.empty() {
			s = i + 1
		}
	}
	return s
}

func buildWideCols(a *attr, s int, st *stop) *wideCols {
	words := 0
	for _, x := range append([]*bm{a.present}, a.slices[:s]...) {
		if !x.empty() {
			words = max(words, int(x.b.DenseSize()))
		}
	}
	words = (words + group - 1) / group * group
	w := &wideCols{pres: a.present, slices: a.slices, s: s, words: words}
	w.data = make([]uint64, words*(s+1))
	scratch := make([]uint64, words)
	rowLen := (s + 1) * group
	// scatter writes x's words into row, complemented (within the present
	// customers) when flip: slices store u XOR ref, the rows u itself.
	var pres []uint64
	scatter := func(x *bm, row int, flip bool) {
		clear(scratch)
		if !x.empty() {
			x.b.WriteDenseTo(scratch)
		}
		if flip {
			for i := range scratch {
				scratch[i] = ^scratch[i] & pres[i]
			}
		}
		for g := 0; g < words; g += group {
			copy(w.data[g/group*rowLen+row*group:][:group], scratch[g:g+group])
		}
	}
	scatter(a.present, 0, false)
	pres = make([]uint64, words)
	a.present.b.WriteDenseTo(pres)
	for j := range s {
		if st.done() {
			return nil
		}
		i := s - 1 - j
		if flip := (a.ref>>uint(i))&1 == 1; flip || !a.slices[i].empty() {
			scatter(a.slices[i], 1+j, flip)
		}
	}
	return w
}

// wideQuery is one comparison `u op c` (op Eq, Lt, Le, Gt or Ge) prepared
// for the word loop: the constant's bits over the kept slices, most
// significant first.
type wideQuery struct {
	op   Op
	cbit [64]bool
	// all or none: decided above the kept slices (every value shares the
	// reference's bits there).
	all, none bool
}

func (w *wideCols) prepare(q uop, ref uint64) wideQuery {
	wq := wideQuery{op: q.op}
	// Above the kept slices every value has the reference's bits.
	for i := 63; i >= w.s; i-- {
		rb, cb := (ref>>uint(i))&1, (q.c>>uint(i))&1
		if rb == cb {
			continue
		}
		less := rb < cb // every value is below the constant
		switch q.op {
		case Lt, Le:
			wq.all, wq.none = less, !less
		case Gt, Ge:
			wq.all, wq.none = !less, less
		default:
			wq.none = true
		}
		return wq
	}
	for j := range w.s {
		wq.cbit[j] = (q.c>>uint(w.s-1-j))&1 == 1
	}
	return wq
}

// rows evaluates q on one group's rows: m holds, on entry, the customers
// to consider, and on return those of them satisfying q. It walks the
// slices from the most significant, 512 customers at a time, and stops as
// soon as none of them still equals the constant's prefix. Only the side
// the operator needs is collected: "greater" for Gt and Ge, "less" for Lt
// and Le, neither for Eq.
func (q *wideQuery) rows(rows []uint64, m *[group]uint64) {
	eq := *m
	var side [group]uint64
	levels := len(rows)/group - 1
	switch q.op {
	case Gt, Ge:
		for j := range levels {
			x := rows[(j+1)*group : (j+2)*group : (j+2)*group]
			var any uint64
			if q.cbit[j] {
				for k := range group {
					eq[k] &= x[k]
					any |= eq[k]
				}
			} else {
				for k := range group {
					side[k] |= eq[k] & x[k]
					eq[k] &^= x[k]
					any |= eq[k]
				}
			}
			if any == 0 {
				break
			}
		}
	case Lt, Le:
		for j := range levels {
			x := rows[(j+1)*group : (j+2)*group : (j+2)*group]
			var any uint64
			if q.cbit[j] {
				for k := range group {
					side[k] |= eq[k] &^ x[k]
					eq[k] &= x[k]
					any |= eq[k]
				}
			} else {
				for k := range group {
					eq[k] &^= x[k]
					any |= eq[k]
				}
			}
			if any == 0 {
				break
			}
		}
	default: // Eq
		for j := range levels {
			x := rows[(j+1)*group : (j+2)*group : (j+2)*group]
			var any uint64
			if q.cbit[j] {
				for k := range group {
					eq[k] &= x[k]
					any |= eq[k]
				}
			} else {
				for k := range group {
					eq[k] &^= x[k]
					any |= eq[k]
				}
			}
			if any == 0 {
				break
			}
		}
	}
	if q.op == Gt || q.op == Lt {
		*m = side
		return
	}
	for k := range group {
		m[k] = side[k] | eq[k]
	}
}

// eval returns the dense words of the present customers satisfying every
// comparison of qs (when dense) and their number; ok is false when st
// stopped it.
func (w *wideCols) eval(qs []uop, ref uint64, st *stop, dense bool) (out []uint64, n uint64, ok bool) {
	var prepared [2]wideQuery
	wqs := prepared[:0]
	for _, q := range qs {
		wq := w.prepare(q, ref)
		switch {
		case wq.none:
			return nil, 0, true
		case !wq.all:
			wqs = append(wqs, wq)
		}
	}
	if dense {
		out = make([]uint64, w.words)
	}
	groups := w.words / group
	// Large scans are split by ranges of groups over up to GOMAXPROCS
	// goroutines, each writing its own words of out.
	parts := min(runtime.GOMAXPROCS(0), groups/wideParallelGroups)
	if parts <= 1 {
		n, ok = w.scan(wqs, 0, groups, st, out)
		return out, n, ok
	}
	ns := make([]uint64, parts)
	oks := make([]bool, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns[p], oks[p] = w.scan(wqs, groups*p/parts, groups*(p+1)/parts, st, out)
		}()
	}
	wg.Wait()
	for p := range parts {
		n += ns[p]
		if !oks[p] {
			return nil, 0, false
		}
	}
	return out, n, true
}

// wideParallelGroups is the fewest groups (of 512 customers) per goroutine
// of a split scan: 4,096 groups (2M customers, about half a millisecond).
var wideParallelGroups = 4096

// scan evaluates qs on groups lo..hi-1, writing their words of out when
// out is not nil; ok is false when st stopped it.
func (w *wideCols) scan(wqs []wideQuery, lo, hi int, st *stop, out []uint64) (n uint64, ok bool) {
	rowLen := (w.s + 1) * group
	const check = 128 // groups between cancellation checks (65,536 customers)
	for c := lo; c < hi; c += check {
		if st.done() {
			return 0, false
		}
		for g := c; g < min(c+check, hi); g++ {
			rows := w.data[g*rowLen : (g+1)*rowLen : (g+1)*rowLen]
			var m [group]uint64
			copy(m[:], rows[:group])
			for k := range wqs {
				wqs[k].rows(rows, &m)
			}
			for k, x := range m {
				if x != 0 {
					n += uint64(bits.OnesCount64(x))
					if out != nil {
						out[g*group+k] = x
					}
				}
			}
		}
	}
	return n, true
}

// wideRange answers rangeU's bit-sliced case from the binned index or the
// interleaved columns: ok is false when a has neither, and the caller
// falls back to the bit-sliced comparison. Stopped by st, it returns an
// empty (incomplete) result.
func (a *attr) wideRange(qs []uop, st *stop) (*roaring.Bitmap, bool) {
	var out []uint64
	ok := true
	switch b, w := a.wideIndex(st); {
	case b != nil:
		out, ok = b.eval(qs, a.ref, st)
	case w != nil:
		out, _, ok = w.eval(qs, a.ref, st, true)
	default:
		return nil, false
	}
	if !ok || out == nil { // stopped (an incomplete result), or no value qualifies
		return roaring.New(), true
	}
	return roaring.FromDense(out, false), true
}

// wideCount is wideRange's count.
func (a *attr) wideCount(qs []uop, st *stop) (uint64, bool) {
	switch b, w := a.wideIndex(st); {
	case b != nil:
		return b.count(qs, a.ref), true
	case w != nil:
		_, n, _ := w.eval(qs, a.ref, st, false)
		return n, true
	}
	return 0, false
}
