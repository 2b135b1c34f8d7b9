package bitmapindex

import (
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// The binned index of wide comparisons (issue 21 item 3).
//
// The interleaved columns (widecols.go) answer a wide comparison in one
// pass over every present customer: at 10M customers that pass is
// memory-bound (5 ms), for a set and for a count alike. The binned index
// answers from where the constant falls instead.
//
// A present value's u is ref's bits above the s kept slices and, below
// them, its key: keys order as values do. The keys are cut into bins of
// consecutive keys holding about wideBinSize customers each (quantiles of
// a sample; a value frequent enough gets a bin of its own), and the
// customers are stored by block of 65,536 IDs (one roaring container),
// then by bin, then by ID: the low 16 bits of each ID (lows) and, aligned,
// its key. off gives where each block's bins start, pre the customers of
// the bins before each bin.
//
// A comparison (or two, for a range) is an interval of keys [l, h]. Its
// count adds the bins wholly inside from pre and scans the one or two bins
// l and h fall in (a few thousand keys at 10M customers): microseconds.
// Its set is written block by block into a dense array, flipping the bit
// of each customer of the bins wholly inside (one contiguous run of lows
// per block) and of each matching customer of the boundary bins. So that
// no set takes more than about a quarter of the customers' flips, the
// index also keeps wideLevels-1 dense bitmaps, level k the customers of
// the bins before the one nearest k/wideLevels of them: a set is then
// level j less level i, and the flips of the bins between each level and
// the set's bounds. The flips stay in a block's 8 KiB of the array.
//
// The index is built from the interleaved columns of the same frozen
// attribute version, which it then replaces in the version's cache (it
// answers everything they do). It costs per customer 2 bytes for the low
// ID and 2 for the key less its bin's first (bins span at most 65,536
// keys; 4 or 8 bytes when that would take too many bins), 7/8 of a byte
// for the levels, and 4 bytes per block and bin: 5.0 to 5.3 bytes per
// customer at 10M. Like the columns it is never changed: a writer's next
// version starts without one.

// wideBinSize (a variable for tests) is the population a bin aims at.
var wideBinSize = 2048

// wideMaxBins is the most bins cut by quantile; values with bins of their
// own can add as many again.
const wideMaxBins = 4096

// wideBinsAfter (a variable for tests) is the number of wide comparisons
// of an attribute version the interleaved columns answer before its bins
// are built. The build costs about 20 column scans (100 ms at 10M
// customers, one core, against 5 ms): a version compared a few times
// never pays it, one compared often pays it once and then answers in a
// fifth of a scan (a count in microseconds).
var wideBinsAfter int64 = 8

// blockWords is the number of words of a 65,536-ID block (a container).
const blockWords = 1024

type wideBins struct {
	pres   *bm // the present bitmap and slices it was built from
	slices [64]*bm
	s      int      // key bits
	n      uint64   // present customers
	lo     []uint64 // bin b holds the keys lo[b] ≤ key < lo[b+1]; lo[0] = 0
	pre    []uint64 // pre[b]: customers in the bins before b (len(lo)+1 entries)
	blocks int      // blocks of 65,536 IDs
	off    []uint32 // off[k*(len(lo)+1)+b]: where block k's bin b starts in lows
	lows   []uint16 // each customer's ID's low 16 bits, by block, bin and ID
	keys   binKeys  // each customer's key less its bin's first, aligned with lows

	// Level k (0 < k < wideLevels) is the dense bitmap of the customers
	// in the bins before lev[k], about k/wideLevels of them; level 0 holds
	// none and level wideLevels every present customer.
	lev    [wideLevels + 1]int
	levels []uint64 // levels 1..wideLevels-1, blocks*blockWords words each
}

// wideWordFlips (a variable for tests) is what taking a set from the
// levels costs per word of the array, in bit flips.
var wideWordFlips uint64 = 2

// wideLevels is the number of coarse levels a set is taken from: at most
// 1/(2*wideLevels) of the customers are flipped beside each bound.
const wideLevels = 8

// binKeys is the keys of a wideBins, less their bins' first, stored as
// narrow as the bins allow.
type binKeys interface {
	// count returns the number of keys at lo..hi-1 within [l, h].
	count(lo, hi int, l, h uint64) uint64
	// flip flips the bit of dst (one block) of each ID at lo..hi-1 whose
	// key is within [l, h].
	flip(dst *[blockWords]uint64, lows []uint16, lo, hi int, l, h uint64)
	// key returns the key at i.
	key(i int) uint64
	bytes() int
}

type keySlice[V uint16 | uint32 | uint64] []V

func (k keySlice[V]) count(lo, hi int, l, h uint64) uint64 {
	var n uint64
	w := h - l
	for _, v := range k[lo:hi] {
		if uint64(v)-l <= w {
			n++
		}
	}
	return n
}

func (k keySlice[V]) flip(dst *[blockWords]uint64, lows []uint16, lo, hi int, l, h uint64) {
	w := h - l
	lows = lows[lo:hi]
	for i, v := range k[lo:hi:hi] {
		if uint64(v)-l <= w {
			x := lows[i]
			dst[x>>6] ^= 1 << (x & 63)
		}
	}
}

func (k keySlice[V]) key(i int) uint64 { return uint64(k[i]) }

func (k keySlice[V]) bytes() int { return len(k) * bits.Len64(uint64(^V(0))) / 8 }

// flipAll flips the bit of dst (one block) of every ID of lows.
func flipAll(dst *[blockWords]uint64, lows []uint16) {
	for _, x := range lows {
		dst[x>>6] ^= 1 << (x & 63)
	}
}

// matches reports whether b was built from a's present bitmap and slices.
func (b *wideBins) matches(a *attr) bool {
	return b.pres == a.present && b.slices == a.slices
}

// bytes is the memory of the index.
func (b *wideBins) bytes() int {
	return 2*len(b.lows) + b.keys.bytes() + 4*len(b.off) + 8*(len(b.lo)+len(b.pre)+len(b.levels))
}

// wideIndex returns what answers a's wide comparisons: its binned index
// (built on the version's wide comparison after the first wideBinsAfter),
// or else its interleaved columns, or neither below the gates (or when st
// stopped the columns' build). A reader finding another building the bins
// uses the columns meanwhile.
func (a *attr) wideIndex(st *stop) (*wideBins, *wideCols) {
	c := a.wcache
	if c == nil || a.present.empty() {
		return nil, nil
	}
	if b := c.bins.Load(); b != nil && b.matches(a) {
		return b, nil
	}
	w := a.wideColumns(st)
	if w == nil {
		if b := c.bins.Load(); b != nil && b.matches(a) {
			return b, nil // built meanwhile, the columns dropped
		}
		return nil, nil
	}
	if c.uses.Add(1) <= wideBinsAfter || !c.mu.TryLock() {
		return nil, w
	}
	defer c.mu.Unlock()
	if b := c.bins.Load(); b != nil && b.matches(a) {
		return b, nil
	}
	b := buildWideBins(a, w, st)
	if b == nil {
		return nil, w // stopped: so will the columns' scan be
	}
	c.bins.Store(b)
	c.cols.Store(nil) // the bins answer whatever the columns did
	return b, nil
}

// wideWithinShare returns x such that a comparison within a set of at
// least 1/x of the present customers asks the wide indexes rather than
// the bit-sliced comparison of the set's customers: 8 for the columns (a
// scan), 2048 for a built binned index, whose answer costs about the same
// for any set (at 10M customers, 1–2 ms against 2.6 ms for the bit-sliced
// comparison of a set of 2,500, 4.5 ms for 50,000, 18 ms for 625,000).
func (a *attr) wideWithinShare() uint64 {
	if c := a.wcache; c != nil {
		if b := c.bins.Load(); b != nil && b.matches(a) {
			return 2048
		}
	}
	return 8
}

// buildWideBins builds the index from the columns w, in two passes over
// the groups of 512 customers: a sample of them for the bins, then every
// block of 65,536 IDs, its customers counted by bin and placed.
func buildWideBins(a *attr, w *wideCols, st *stop) *wideBins {
	n := a.present.b.GetCardinality()
	b := &wideBins{pres: a.present, slices: a.slices, s: w.s, n: n,
		blocks: (w.words + blockWords - 1) / blockWords}

	// The bins: quantiles of the customers of every stride-th group.
	bins := min(max(1, int(n)/wideBinSize), wideMaxBins)
	stride := max(1, int(n)/(16*bins))
	var vals [64]uint64
	var sample []uint64
	for g := 0; g < w.words/group; g += stride {
		rows := w.group(g)
		for k := range group {
			p := rows[k]
			if p == 0 {
				continue
			}
			w.values(rows, k, &vals)
			for ; p != 0; p &= p - 1 {
				sample = append(sample, vals[bits.TrailingZeros64(p)])
			}
		}
	}
	slices.Sort(sample)
	sh := w.s - min(w.s, wideSlotBits)
	lo := cutBins(sample, max(1, len(sample)/bins), w.maxKey(), sh)
	// Keys are stored less their bin's first: in 16 bits when bins of at
	// most 65,536 keys take few bounds more, else in 32 or 64.
	// An added bin costs 4 bytes a block: allow what saves 4 times as much.
	limit := min(max(len(lo), int(n)/(8*b.blocks+32)), wideMaxBins*4-len(lo))
	if b.lo = capBins(lo, w.maxKey(), 1<<16, limit); b.lo != nil {
		return fillBins[uint16](b, w, st)
	}
	if b.lo = capBins(lo, w.maxKey(), 1<<32, limit); b.lo != nil {
		return fillBins[uint32](b, w, st)
	}
	b.lo = lo
	return fillBins[uint64](b, w, st)
}

// fillBins places every customer of w in the bins b.lo.
func fillBins[V uint16 | uint32 | uint64](b *wideBins, w *wideCols, st *stop) *wideBins {
	// The bin of a key is found from the slot of its top bits: tab holds
	// the bin of each slot's first key, and a key's bin is at most steps
	// bins on (few: cutBins puts at most one bound in a slot besides those
	// of frequent values, capBins spreads its own), found without a branch.
	sh := w.s - min(w.s, wideSlotBits)
	nb := len(b.lo)
	tab := make([]uint16, 1<<(w.s-sh))
	bi := 0
	for i := range tab {
		for bi+1 < nb && b.lo[bi+1] <= uint64(i)<<sh {
			bi++
		}
		tab[i] = uint16(bi)
	}
	steps, run := 0, 0
	for x := 1; x < nb; x++ {
		if b.lo[x]&(1<<sh-1) == 0 { // the first key of its slot
			continue
		}
		run++
		if x == 1 || b.lo[x-1]>>sh != b.lo[x]>>sh || b.lo[x-1]&(1<<sh-1) == 0 {
			run = 1
		}
		steps = max(steps, run)
	}
	bounds := append(slices.Clip(b.lo[1:]), make([]uint64, steps+1)...)
	for i := nb - 1; i < len(bounds); i++ {
		bounds[i] = ^uint64(0)
	}

	b.off = make([]uint32, b.blocks*(nb+1))
	b.lows = make([]uint16, b.n)
	keys := make(keySlice[V], b.n)
	b.keys = keys
	// Blocks are placed independently (each knows where it starts), by
	// ranges of blocks over up to GOMAXPROCS goroutines.
	const groupsPerBlock = blockWords / group
	start := make([]uint32, b.blocks+1)
	for g := range w.words / group {
		for _, x := range w.group(g)[:group] {
			start[g/groupsPerBlock+1] += uint32(bits.OnesCount64(x))
		}
	}
	for blk := range b.blocks {
		start[blk+1] += start[blk]
	}
	f := binFill[V]{b: b, w: w, tab: tab, bounds: bounds, sh: sh, steps: steps, keys: keys, start: start}
	parts := min(runtime.GOMAXPROCS(0), b.blocks/wideParallelBlocks)
	tots := make([][]uint64, max(1, parts))
	if parts <= 1 {
		tots[0] = f.fill(0, b.blocks, st)
	} else {
		var wg sync.WaitGroup
		for p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tots[p] = f.fill(b.blocks*p/parts, b.blocks*(p+1)/parts, st)
			}()
		}
		wg.Wait()
	}
	b.pre = make([]uint64, nb+1)
	for _, tot := range tots {
		if tot == nil {
			return nil // stopped
		}
		for x, t := range tot {
			b.pre[x+1] += t
		}
	}
	for x := range nb {
		b.pre[x+1] += b.pre[x]
	}
	if !b.buildLevels(st) {
		return nil
	}
	return b
}

// buildLevels cuts the levels at the bins nearest each k/wideLevels of the
// customers and writes their bitmaps, each the one before and the bins
// between; false when st stopped it.
func (b *wideBins) buildLevels(st *stop) bool {
	nb := len(b.lo)
	for k := 1; k < wideLevels; k++ {
		want := b.n * uint64(k) / wideLevels
		x := b.lev[k-1]
		for x < nb && b.pre[x] < want {
			x++
		}
		b.lev[k] = x
	}
	b.lev[wideLevels] = nb
	words := b.blocks * blockWords
	b.levels = make([]uint64, (wideLevels-1)*words)
	for k := 1; k < wideLevels; k++ {
		if st.done() {
			return false
		}
		c := b.levels[(k-1)*words : k*words]
		if k > 1 {
			copy(c, b.levels[(k-2)*words:(k-1)*words])
		}
		for blk := range b.blocks {
			o := b.off[blk*(nb+1):]
			flipAll((*[blockWords]uint64)(c[blk*blockWords:]), b.lows[o[b.lev[k-1]]:o[b.lev[k]]])
		}
	}
	return true
}

// wideParallelBlocks is the fewest blocks (of 65,536 IDs) per goroutine
// of a split fill.
var wideParallelBlocks = 16

// binFill places the customers of ranges of blocks in the bins.
type binFill[V uint16 | uint32 | uint64] struct {
	b      *wideBins
	w      *wideCols
	tab    []uint16 // the bin of each slot's first key
	bounds []uint64 // lo[1:], padded with ^0
	sh     int      // key bits below the slot
	steps  int      // most bounds inside one slot
	keys   keySlice[V]
	start  []uint32 // where each block starts in lows
}

// fill places the customers of blocks lo..hi-1 and returns the number of
// them in each bin (nil when st stopped it).
func (f *binFill[V]) fill(lo, hi int, st *stop) []uint64 {
	b, w := f.b, f.w
	nb := len(b.lo)
	tot := make([]uint64, nb)
	cnt := make([]uint32, nb)
	type placed struct {
		low, bin uint16
		key      V
	}
	tmp := make([]placed, 1<<16) // the block's customers by ID
	var vals [64]uint64
	const groupsPerBlock = blockWords / group
	groups := w.words / group
	for blk := lo; blk < hi; blk++ {
		if st.done() {
			return nil
		}
		m := 0
		for g := blk * groupsPerBlock; g < min(groups, (blk+1)*groupsPerBlock); g++ {
			rows := w.group(g)
			for k := range group {
				p := rows[k]
				if p == 0 {
					continue
				}
				w.values(rows, k, &vals)
				base := uint16((g%groupsPerBlock)*group*64 + k*64)
				place := func(c int) {
					v := vals[c&63]
					bi := int(f.tab[v>>f.sh])
					for range f.steps {
						// bounds[bi] is lo[bi+1]: one on when it is at most v
						_, borrow := bits.Sub64(v, f.bounds[bi], 0)
						bi += int(1 - borrow)
					}
					bi = min(bi, nb-1) // a key of ^0 passes the padding
					tmp[m&0xFFFF] = placed{base + uint16(c), uint16(bi), V(v - b.lo[bi])}
					cnt[bi]++
					m++
				}
				if p == ^uint64(0) {
					for c := range 64 {
						place(c)
					}
					continue
				}
				for ; p != 0; p &= p - 1 {
					place(bits.TrailingZeros64(p))
				}
			}
		}
		o := b.off[blk*(nb+1) : (blk+1)*(nb+1)]
		at := f.start[blk]
		for x := range nb {
			o[x] = at
			at += cnt[x]
			tot[x] += uint64(cnt[x])
			cnt[x] = o[x] // now the next place of bin x
		}
		o[nb] = at
		for _, x := range tmp[:m] {
			p := cnt[x.bin]
			cnt[x.bin]++
			b.lows[p], f.keys[p] = x.low, x.key
		}
		clear(cnt)
	}
	return tot
}

// capBins returns the bounds lo with bounds added so that no bin holds
// more than span keys, or nil when that takes more than limit bounds.
func capBins(lo []uint64, maxKey, span uint64, limit int) []uint64 {
	out := make([]uint64, 0, len(lo))
	for i, x := range lo {
		out = append(out, x)
		last := maxKey // bin i's last key
		if i+1 < len(lo) {
			last = lo[i+1] - 1
		}
		for last-x >= span {
			x += span
			if out = append(out, x); len(out)-len(lo) > limit {
				return nil
			}
		}
	}
	return out
}

// wideSlotBits is the number of top key bits that find a key's bin.
const wideSlotBits = 16

// cutBins returns the lower bounds of bins holding about per values of
// the sorted sample each, the first from 0, at most one in a slot (the
// keys sharing their bits above sh) besides the bounds of frequent
// values: a value found per times or more has a bin of its own, so that a
// comparison never scans it.
func cutBins(sample []uint64, per int, maxKey uint64, sh int) []uint64 {
	lo := []uint64{0}
	cnt := 0
	for i := 0; i < len(sample); {
		v := sample[i]
		j := i + 1
		for j < len(sample) && sample[j] == v {
			j++
		}
		last := lo[len(lo)-1]
		if cnt > 0 && v > last && (j-i >= per || cnt >= per && v>>sh != last>>sh) {
			lo, cnt = append(lo, v), 0
		}
		cnt += j - i
		if j-i >= per && v < maxKey {
			lo, cnt = append(lo, v+1), 0
		}
		i = j
	}
	return lo
}

// maxKey is the largest key: s ones.
func (w *wideCols) maxKey() uint64 { return ^uint64(0) >> uint(64-w.s) }

// group returns group g's rows.
func (w *wideCols) group(g int) []uint64 {
	rowLen := (w.s + 1) * group
	return w.data[g*rowLen : (g+1)*rowLen : (g+1)*rowLen]
}

// values sets vals[c] to the key of customer c of word k of a group's rows
// (0 for customers not present).
func (w *wideCols) values(rows []uint64, k int, vals *[64]uint64) {
	var m [32]uint64
	for base := 0; base < w.s; base += 32 {
		bits := min(32, w.s-base)
		// row 1+j holds bit s-1-j: bit base+i is row s-base-i
		r := rows[(w.s-base-bits+1)*group+k:]
		for i := range bits {
			m[bits-1-i] = r[i*group]
		}
		clear(m[bits:])
		transpose32x2(&m)
		if base == 0 {
			for c, x := range m {
				vals[c], vals[c+32] = x&0xFFFF_FFFF, x>>32
			}
			continue
		}
		for c, x := range m {
			vals[c] |= (x & 0xFFFF_FFFF) << base
			vals[c+32] |= (x >> 32) << base
		}
	}
}

// transpose32x2 transposes the two 32×32 bit matrices held in the low and
// the high halves of m's words: bit c of m[i]'s half becomes bit i of
// m[c]'s. Row i being bit i of 64 customers, m[c] then holds customer c's
// bits in its low half and customer 32+c's in its high half.
func transpose32x2(m *[32]uint64) {
	const (
		m16 = 0x0000_FFFF_0000_FFFF
		m8  = 0x00FF_00FF_00FF_00FF
		m4  = 0x0F0F_0F0F_0F0F_0F0F
		m2  = 0x3333_3333_3333_3333
		m1  = 0x5555_5555_5555_5555
	)
	// Each stage j swaps, for the rows k and k+j of every block of 2j rows,
	// the high j bits of each 2j of row k with the low j bits of row k+j.
	// The stages 16 and 8 are done four rows at a time, then 4, 2 and 1
	// eight rows at a time, in registers.
	for k := range 8 {
		a0, a1, a2, a3 := m[k], m[k+8], m[k+16], m[k+24]
		t := (a0>>16 ^ a2) & m16
		a2, a0 = a2^t, a0^t<<16
		t = (a1>>16 ^ a3) & m16
		a3, a1 = a3^t, a1^t<<16
		t = (a0>>8 ^ a1) & m8
		a1, a0 = a1^t, a0^t<<8
		t = (a2>>8 ^ a3) & m8
		a3, a2 = a3^t, a2^t<<8
		m[k], m[k+8], m[k+16], m[k+24] = a0, a1, a2, a3
	}
	for g := 0; g < 32; g += 8 {
		r := (*[8]uint64)(m[g:])
		a0, a1, a2, a3, a4, a5, a6, a7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		t := (a0>>4 ^ a4) & m4
		a4, a0 = a4^t, a0^t<<4
		t = (a1>>4 ^ a5) & m4
		a5, a1 = a5^t, a1^t<<4
		t = (a2>>4 ^ a6) & m4
		a6, a2 = a6^t, a2^t<<4
		t = (a3>>4 ^ a7) & m4
		a7, a3 = a7^t, a3^t<<4
		t = (a0>>2 ^ a2) & m2
		a2, a0 = a2^t, a0^t<<2
		t = (a1>>2 ^ a3) & m2
		a3, a1 = a3^t, a1^t<<2
		t = (a4>>2 ^ a6) & m2
		a6, a4 = a6^t, a4^t<<2
		t = (a5>>2 ^ a7) & m2
		a7, a5 = a7^t, a5^t<<2
		t = (a0>>1 ^ a1) & m1
		a1, a0 = a1^t, a0^t<<1
		t = (a2>>1 ^ a3) & m1
		a3, a2 = a3^t, a2^t<<1
		t = (a4>>1 ^ a5) & m1
		a5, a4 = a5^t, a4^t<<1
		t = (a6>>1 ^ a7) & m1
		a7, a6 = a7^t, a6^t<<1
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = a0, a1, a2, a3, a4, a5, a6, a7
	}
}

// interval returns the keys [l, h] the comparisons qs select together
// (none when none can hold); ref is the attribute's reference value.
func (b *wideBins) interval(qs []uop, ref uint64) (l, h uint64, none bool) {
	maxKey := ^uint64(0) >> uint(64-b.s)
	l, h = 0, maxKey
	for _, q := range qs {
		// Above the key bits every value has ref's bits.
		if rh, ch := ref&^maxKey, q.c&^maxKey; rh != ch {
			below := rh < ch // every value is below the constant
			switch q.op {
			case Lt, Le:
				none = !below
			case Gt, Ge:
				none = below
			default:
				none = true
			}
			if none {
				return 0, 0, true
			}
			continue
		}
		c := q.c & maxKey
		switch q.op {
		case Eq:
			l, h = max(l, c), min(h, c)
		case Lt:
			if c == 0 {
				return 0, 0, true
			}
			h = min(h, c-1)
		case Le:
			h = min(h, c)
		case Gt:
			if c == maxKey {
				return 0, 0, true
			}
			l = max(l, c+1)
		case Ge:
			l = max(l, c)
		default:
			return 0, 0, true
		}
	}
	return l, h, l > h
}

// bin returns the bin holding key k.
func (b *wideBins) bin(k uint64) int {
	i, found := slices.BinarySearch(b.lo, k)
	if !found {
		i--
	}
	return i
}

// binPlan is how the keys [l, h] are answered: the bins wholly inside
// and the one or two bins cut (parts), and the customers selected.
type binPlan struct {
	lo, hi   int // the bins wholly inside: lo..hi-1
	parts    [2]int
	np       int
	selected uint64
}

func (b *wideBins) plan(l, h uint64) binPlan {
	bl, bh := b.bin(l), b.bin(h)
	p := binPlan{lo: bl, hi: bh + 1}
	if l > b.lo[bl] {
		p.lo = bl + 1
		p.parts[p.np] = bl
		p.np++
	}
	top := ^uint64(0) >> uint(64-b.s) // the last key of bin bh
	if bh+1 < len(b.lo) {
		top = b.lo[bh+1] - 1
	}
	if h < top {
		p.hi = bh
		if p.np == 0 || bh != bl {
			p.parts[p.np] = bh
			p.np++
		}
	}
	p.hi = max(p.hi, p.lo)
	p.selected = b.pre[p.hi] - b.pre[p.lo]
	nb := len(b.lo) + 1
	for _, x := range p.parts[:p.np] {
		l, h := b.within(x, l, h)
		for blk := range b.blocks {
			o := b.off[blk*nb:]
			p.selected += b.keys.count(int(o[x]), int(o[x+1]), l, h)
		}
	}
	return p
}

// within returns [l, h], cutting bin x, as stored keys of bin x (less its
// first key).
func (b *wideBins) within(x int, l, h uint64) (uint64, uint64) {
	first := b.lo[x]
	return max(l, first) - first, h - first
}

// count returns the number of present customers satisfying every
// comparison of qs.
func (b *wideBins) count(qs []uop, ref uint64) uint64 {
	l, h, none := b.interval(qs, ref)
	if none {
		return 0
	}
	return b.plan(l, h).selected
}

// nearest returns the level whose bound is nearest bin x by customers.
func (b *wideBins) nearest(x int) int {
	k := 0
	for c := 1; c <= wideLevels; c++ {
		if b.dist(c, x) < b.dist(k, x) {
			k = c
		}
	}
	return k
}

// dist returns the number of customers between level k's bound and bin x.
func (b *wideBins) dist(k, x int) uint64 {
	p, q := b.pre[b.lev[k]], b.pre[x]
	return max(p, q) - min(p, q)
}

// eval returns the dense words of the present customers satisfying every
// comparison of qs (nil when none does); ok is false when st stopped it.
func (b *wideBins) eval(qs []uop, ref uint64, st *stop) (out []uint64, ok bool) {
	l, h, none := b.interval(qs, ref)
	if none {
		return nil, true
	}
	p := b.plan(l, h)
	if p.selected == 0 {
		return nil, true
	}
	// The set is the bins p.lo..p.hi-1 and the matching customers of the
	// parts. Those bins are flipped into an empty array one by one or, when
	// that flips more, taken as level j less level i (level i's customers
	// are level j's) with the bins between each level and its bound flipped
	// (into or out of it alike).
	words := b.blocks * blockWords
	out = make([]uint64, words)
	i, j := b.nearest(p.lo), b.nearest(p.hi)
	if i > j { // (not expected) a symmetric difference all the same
		i, j = j, i
	}
	direct := b.pre[p.hi]-b.pre[p.lo] <= b.dist(i, p.lo)+b.dist(j, p.hi)+wideWordFlips*uint64(words)
	if !direct { // then i < j (i == j flips more): level i is not every customer
		switch j {
		case wideLevels:
			b.pres.b.WriteDenseTo(out)
		default:
			copy(out, b.levels[(j-1)*words:j*words])
		}
		if i > 0 {
			for k, x := range b.levels[(i-1)*words : i*words] {
				out[k] ^= x
			}
		}
	}
	nb := len(b.lo) + 1
	for blk := range b.blocks {
		if st.done() {
			return nil, false
		}
		o := b.off[blk*nb : (blk+1)*nb]
		dst := (*[blockWords]uint64)(out[blk*blockWords:])
		if direct {
			flipAll(dst, b.lows[o[p.lo]:o[p.hi]])
		} else {
			li, lj := b.lev[i], b.lev[j]
			flipAll(dst, b.lows[o[min(li, p.lo)]:o[max(li, p.lo)]])
			flipAll(dst, b.lows[o[min(lj, p.hi)]:o[max(lj, p.hi)]])
		}
		for _, x := range p.parts[:p.np] {
			l, h := b.within(x, l, h)
			b.keys.flip(dst, b.lows, int(o[x]), int(o[x+1]), l, h)
		}
	}
	return out, true
}
