package persona

import (
	"math/bits"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// The dense engine does the same bit-sliced arithmetic as assign, on
// uncompressed bitmaps: every condition bitmap is expanded to words once,
// and each block of 256 words (16,384 customers) is scored for every
// persona while it sits in cache — 64 customers per machine-word operation,
// no allocation per operation. It is used when customer IDs are dense (the
// index assigns them in insertion order), which keeps the expanded bitmaps
// at one bit per ID; sparse ID spaces use the compressed path.

const (
	containerWords = 1024 // one roaring container: expanded bitmaps are a whole number of these
	blockWords     = 256  // words scored together: every persona's inputs and outputs for a block stay in cache
)

// scratch recycles the expanded condition bitmaps between assignments: they
// are the bulk of an assignment's garbage (1.25 MB per condition per 10M
// customers), and on a host holding a large index every byte of garbage
// costs GC work proportional to that index.
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

// useDense reports whether expanding bitmaps to words is cheap for all.
func useDense(all *roaring.Bitmap) bool {
	if all.IsEmpty() {
		return false
	}
	span := uint64(all.Maximum()) + 1
	return span <= 4*all.GetCardinality()+1<<20
}

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

// assignDense is assign on expanded bitmaps; the result is identical.
func (s *scoring) assignDense(all *roaring.Bitmap, cond func(p, i int) (*roaring.Bitmap, error), stop func() error) (*state, error) {
	n := len(s.personas)
	words := (int(all.Maximum())/64 + 1 + containerWords - 1) / containerWords * containerWords
	var temps [][]uint64 // returned to scratch at the end
	defer func() {
		for _, w := range temps {
			putWords(w)
		}
	}()
	expand := func(b *roaring.Bitmap) []uint64 {
		w := getWords(words)
		temps = append(temps, w)
		b.WriteDenseTo(w[:min(int(b.DenseSize()), words)])
		return w
	}
	allW := expand(all)

	// Width of every score: the largest possible score − base, and the
	// largest threshold (at most one more: "no one qualifies").
	var maxTotal int64
	for _, ps := range s.personas {
		maxTotal = max(maxTotal, ps.pos-s.base)
	}
	width := bits.Len64(uint64(maxTotal) + 1)
	rankBits := max(bits.Len(uint(n-1)), 1)

	// Expand every condition (shared rules once).
	condW := make([][][]uint64, n)
	seen := map[*roaring.Bitmap][]uint64{}
	for p := range s.personas {
		if err := stop(); err != nil {
			return nil, err
		}
		for i := range s.personas[p].units {
			b, err := cond(p, i)
			if err != nil {
				return nil, err
			}
			w, ok := seen[b]
			if !ok {
				x := b
				if !x.IsEmpty() && uint64(x.Maximum()) >= uint64(words)*64 {
					x = roaring.And(x, all) // IDs beyond all's range cannot score
				}
				w = expand(x)
				seen[b] = w
			}
			condW[p] = append(condW[p], w)
		}
	}

	// Outputs, dense.
	newWords := func() []uint64 { return make([]uint64, words) }
	scoreW := make([][][]uint64, n)
	eligW := make([][]uint64, n)
	for p := range n {
		eligW[p] = newWords()
		scoreW[p] = make([][]uint64, width)
		for k := range width {
			scoreW[p][k] = newWords()
		}
	}
	assignedW := newWords()
	winnerW := make([][]uint64, rankBits)
	for k := range winnerW {
		winnerW[k] = newWords()
	}

	// Each term as the words it reads: x = src & live, or live &^ src when
	// negated; the constant term reads all (src & live = live).
	type wordTerm struct {
		src   []uint64
		neg   bool
		shift int
	}
	terms := make([][]wordTerm, n)
	thresholds := make([]uint64, n)
	for p := range n {
		for _, tm := range s.terms(p) {
			src := allW
			if tm.cond >= 0 {
				src = condW[p][tm.cond]
			}
			terms[p] = append(terms[p], wordTerm{src: src, neg: tm.neg, shift: tm.shift})
		}
		thresholds[p] = uint64(s.personas[p].min - s.base)
	}
	best := make([][]uint64, width) // per block: best score so far
	for k := range best {
		best[k] = make([]uint64, blockWords)
	}
	var acc [64]uint64
	for lo := 0; lo < words; lo += blockWords {
		if lo%(256*blockWords) == 0 {
			if err := stop(); err != nil {
				return nil, err
			}
		}
		for k := range best {
			clear(best[k])
		}
		for rank, p := range s.order {
			ts, sw, t := terms[p], scoreW[p], thresholds[p]
			for w := lo; w < lo+blockWords; w++ {
				live := allW[w]
				if live == 0 {
					continue
				}
				// score: ripple-carry addition of every term
				clear(acc[:width])
				for _, tm := range ts {
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
				// eligibility: score ≥ t
				gt, eq := uint64(0), live
				for k := width - 1; k >= 0; k-- {
					if t>>uint(k)&1 == 1 {
						eq &= acc[k]
					} else {
						gt |= eq & acc[k]
						eq &^= acc[k]
					}
				}
				elig := gt | eq
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
				for k := range width {
					sw[k][w] = acc[k]
					best[k][b] = best[k][b]&^won | acc[k]&won
				}
				for k := range rankBits {
					if rank>>uint(k)&1 == 1 {
						winnerW[k][w] |= won
					} else {
						winnerW[k][w] &^= won
					}
				}
				eligW[p][w] = elig
				assignedW[w] |= won
			}
		}
	}

	st := &state{
		all:      all,
		scores:   make([]bsi, n),
		elig:     make([]*roaring.Bitmap, n),
		members:  make([]*roaring.Bitmap, n),
		assigned: roaring.FromDense(assignedW, false),
	}
	for p := range n {
		st.elig[p] = roaring.FromDense(eligW[p], false)
		for k := range width {
			st.scores[p].slices = append(st.scores[p].slices, roaring.FromDense(scoreW[p][k], false))
		}
	}
	for k := range rankBits {
		st.winner.slices = append(st.winner.slices, roaring.FromDense(winnerW[k], false))
	}
	// members: winner == rank, on assigned (word by word, reusing one buffer)
	mw := getWords(words)
	temps = append(temps, mw)
	for rank, p := range s.order {
		for w := range words {
			m := assignedW[w]
			for k := range rankBits {
				if rank>>uint(k)&1 == 1 {
					m &= winnerW[k][w]
				} else {
					m &^= winnerW[k][w]
				}
			}
			mw[w] = m
		}
		st.members[p] = roaring.FromDense(mw, true)
	}
	return st, nil
}
