package persona

import (
	"math/bits"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// The dense engine does the same bit-sliced arithmetic as assign, on
// uncompressed bitmaps: every condition bitmap is expanded to words once,
// and each block of 256 words (16,384 customers) is scored for every persona
// while it sits in cache — 64 customers per machine-word operation, no
// allocation per operation. It is used when customer IDs are dense (the
// index assigns them in insertion order), which keeps the expanded bitmaps
// at one bit per ID; sparse ID spaces use the compressed engine.

const (
	containerWords = 1024 // one roaring container: expanded bitmaps are a whole number of these
	blockWords     = 256  // words scored together, so every persona's inputs for a block stay in cache
)

// useDense reports whether expanding bitmaps to words is cheap for all.
func useDense(all *roaring.Bitmap) bool {
	if all.IsEmpty() {
		return false
	}
	span := uint64(all.Maximum()) + 1
	return span <= 4*all.GetCardinality()+1<<20
}

// scratch recycles expanded bitmaps between assignments: they are the bulk
// of an assignment's garbage (1.25 MB per condition per 10M customers), and
// on a host holding a large index every byte of garbage costs GC work
// proportional to that index.
var scratch sync.Pool

func getWords(n int) []uint64 {
	if p, ok := scratch.Get().(*[]uint64); ok && cap(*p) >= n {
		w := (*p)[:n]
		clear(w)
		return w
	}
	return make([]uint64, n)
}

func putWords(w []uint64) { scratch.Put(&w) }

// term adds [cond] (or [¬cond]) shifted left by shift to a score; cond −1
// is the constant term (all live customers).
type term struct {
	cond  int
	neg   bool
	shift int
}

func (s *scoring) terms(p int) []term {
	ps := &s.personas[p]
	var ts []term
	add := func(cond int, neg bool, w uint64) {
		for w != 0 {
			j := bits.TrailingZeros64(w)
			ts = append(ts, term{cond: cond, neg: neg, shift: j})
			w &^= 1 << uint(j)
		}
	}
	for i, u := range ps.units {
		if u > 0 {
			add(i, false, uint64(u))
		} else {
			add(i, true, uint64(-u))
		}
	}
	add(-1, false, uint64(ps.neg-s.base))
	return ts
}

// wordTerm is a term with the words it reads: x = src & live, or live &^ src
// when negated; the constant term reads all (src & live = live).
type wordTerm struct {
	src   []uint64
	neg   bool
	shift int
}

// denseInput is a population and the catalog's conditions expanded to words.
type denseInput struct {
	s          *scoring
	words      int
	allW       []uint64
	width      int // bits of every score − base
	terms      [][]wordTerm
	thresholds []uint64 // per persona: min − base
	temps      [][]uint64
}

func (s *scoring) prepareDense(all *roaring.Bitmap, conds [][]*roaring.Bitmap) *denseInput {
	d := &denseInput{s: s, words: (int(all.Maximum())/64 + 1 + containerWords - 1) / containerWords * containerWords}
	d.allW = d.expand(all)
	// The widest score − base, and the largest threshold (at most one more:
	// "no one qualifies").
	var maxTotal int64
	for _, ps := range s.personas {
		maxTotal = max(maxTotal, ps.pos-s.base)
	}
	d.width = bits.Len64(uint64(maxTotal) + 1)
	seen := map[*roaring.Bitmap][]uint64{} // shared rules expand once
	d.terms = make([][]wordTerm, len(s.personas))
	d.thresholds = make([]uint64, len(s.personas))
	for p := range s.personas {
		for _, tm := range s.terms(p) {
			src := d.allW
			if tm.cond >= 0 {
				b := conds[p][tm.cond]
				var ok bool
				if src, ok = seen[b]; !ok {
					src = d.expand(b)
					seen[b] = src
				}
			}
			d.terms[p] = append(d.terms[p], wordTerm{src: src, neg: tm.neg, shift: tm.shift})
		}
		d.thresholds[p] = uint64(s.personas[p].min - s.base)
	}
	return d
}

// expand returns b as words (IDs beyond the population's range dropped),
// in a scratch buffer released by release.
func (d *denseInput) expand(b *roaring.Bitmap) []uint64 {
	w := getWords(d.words)
	d.temps = append(d.temps, w)
	if !b.IsEmpty() && uint64(b.Maximum()) >= uint64(d.words)*64 {
		b = roaring.And(b, roaring.FromDense(d.allW, false))
	}
	b.WriteDenseTo(w[:min(int(b.DenseSize()), d.words)])
	return w
}

func (d *denseInput) release() {
	for _, w := range d.temps {
		putWords(w)
	}
	d.temps = nil
}

// scoreWord computes persona p's score − base for the 64 customers of word
// w: bit k of the result is acc[k] (ripple-carry addition of every term).
func (d *denseInput) scoreWord(p, w int, live uint64, acc *[64]uint64) {
	clear(acc[:d.width])
	for _, tm := range d.terms[p] {
		x := tm.src[w] & live
		if tm.neg {
			x ^= live
		}
		for k := tm.shift; x != 0; k++ {
			c := acc[k] & x
			acc[k] ^= x
			x = c
		}
	}
}

// eligible returns the customers of live whose score in acc reaches p's
// minimum (O'Neil's comparison with a constant, most significant bit first).
func (d *denseInput) eligible(p int, live uint64, acc *[64]uint64) uint64 {
	t := d.thresholds[p]
	gt, eq := uint64(0), live
	for k := d.width - 1; k >= 0; k-- {
		if t>>uint(k)&1 == 1 {
			eq &= acc[k]
		} else {
			gt |= eq & acc[k]
			eq &^= acc[k]
		}
	}
	return gt | eq
}

// assignDense is assign on expanded bitmaps; the result is identical.
func (s *scoring) assignDense(all *roaring.Bitmap, conds [][]*roaring.Bitmap, stop func() error) (*state, error) {
	n := len(s.personas)
	d := s.prepareDense(all, conds)
	defer d.release()
	words, width := d.words, d.width
	rankBits := max(bits.Len(uint(n-1)), 1)

	// Outputs (kept by the result).
	assignedW := make([]uint64, words)
	eligW := make([][]uint64, n)
	memberW := make([][]uint64, n)
	for p := range n {
		eligW[p] = make([]uint64, words)
		memberW[p] = make([]uint64, words)
	}
	// Per block: the best score so far and the rank of its persona.
	var best [64][blockWords]uint64
	var winner [64][blockWords]uint64
	var acc [64]uint64
	for lo := 0; lo < words; lo += blockWords {
		if lo%(256*blockWords) == 0 {
			if err := stop(); err != nil {
				return nil, err
			}
		}
		for k := range width {
			clear(best[k][:])
		}
		for k := range rankBits {
			clear(winner[k][:])
		}
		for rank, p := range s.order {
			for w := lo; w < lo+blockWords; w++ {
				live := d.allW[w]
				if live == 0 {
					continue
				}
				d.scoreWord(p, w, live, &acc)
				elig := d.eligible(p, live, &acc)
				eligW[p][w] = elig
				// contest: later personas need a strictly greater score
				b := w - lo
				contest := elig & assignedW[w]
				won := elig &^ assignedW[w]
				if contest != 0 {
					g, e := uint64(0), contest
					for k := width - 1; k >= 0 && e != 0; k-- {
						g |= e & acc[k] &^ best[k][b]
						e &^= acc[k] ^ best[k][b]
					}
					won |= g
				}
				if won == 0 {
					continue
				}
				for k := range width {
					best[k][b] = best[k][b]&^won | acc[k]&won
				}
				for k := range rankBits {
					if rank>>uint(k)&1 == 1 {
						winner[k][b] |= won
					} else {
						winner[k][b] &^= won
					}
				}
				assignedW[w] |= won
			}
		}
		// members: winner == rank, on assigned
		for rank, p := range s.order {
			for w := lo; w < lo+blockWords; w++ {
				m := assignedW[w]
				for k := 0; k < rankBits && m != 0; k++ {
					if rank>>uint(k)&1 == 1 {
						m &= winner[k][w-lo]
					} else {
						m &^= winner[k][w-lo]
					}
				}
				memberW[p][w] = m
			}
		}
	}

	st := &state{
		all:      all,
		conds:    conds,
		elig:     make([]*roaring.Bitmap, n),
		members:  make([]*roaring.Bitmap, n),
		assigned: roaring.FromDense(assignedW, false),
	}
	for p := range n {
		st.elig[p] = roaring.FromDense(eligW[p], false)
		st.members[p] = roaring.FromDense(memberW[p], false)
	}
	return st, nil
}
