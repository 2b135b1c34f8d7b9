package persona

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// scoring is a catalog's exact fixed-point arithmetic. Weights are integers
// in units of 10^-decimals, divided by their greatest common divisor g; a
// score r (in those reduced units) is worth r·g·10^-decimals. Both
// evaluators (index and profile) compare these integers, so they cannot
// disagree through rounding, and 0.7 + 0.1 ≥ 0.8 holds.
type scoring struct {
	decimals int
	g        int64
	base     int64 // min over personas of neg: the lowest possible score
	personas []pscore
	order    []int // persona indices in precedence order
	rank     []int // rank[p] = position of persona p in order
}

type pscore struct {
	units    []int64 // per condition, reduced
	neg, pos int64   // sums of the negative and of the positive units
	min      int64   // smallest qualifying score, clamped to [neg, pos+1]
}

func newScoring(defs []Definition, decimals int) (*scoring, ErrorList) {
	var errs ErrorList
	s := &scoring{decimals: decimals, personas: make([]pscore, len(defs))}
	raw := make([][]int64, len(defs))
	for p, d := range defs {
		raw[p] = make([]int64, len(d.Conditions))
		for i, c := range d.Conditions {
			u, ok := fixedUnits(c.Weight, decimals)
			if !ok {
				errs = append(errs, personaErr(p, d.Name, i, fmt.Errorf(
					"%w: weight %v has more than %d decimal places (Config.Decimals)", ErrInvalidWeight, c.Weight, decimals)))
				continue
			}
			raw[p][i] = u
			s.g = gcd(s.g, abs(u))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for p, d := range defs {
		ps := &s.personas[p]
		ps.units = make([]int64, len(raw[p]))
		for i, u := range raw[p] {
			ps.units[i] = u / s.g
			if u < 0 {
				ps.neg += u / s.g
			} else {
				ps.pos += u / s.g
			}
		}
		ps.min = ceilUnits(d.MinScore, decimals, s.g, ps.neg, ps.pos+1)
		s.base = min(s.base, ps.neg)
	}
	s.order = make([]int, len(defs))
	for i := range s.order {
		s.order[i] = i
	}
	slices.SortFunc(s.order, func(a, b int) int {
		if c := cmp.Compare(defs[b].Priority, defs[a].Priority); c != 0 {
			return c
		}
		return cmp.Compare(defs[a].Name, defs[b].Name)
	})
	s.rank = make([]int, len(defs))
	for r, p := range s.order {
		s.rank[p] = r
	}
	return s, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// value converts a score in reduced units to its real value.
func (s *scoring) value(r int64) float64 {
	return float64(r*s.g) / math.Pow10(s.decimals)
}

// ranked is a persona with a customer's score in reduced units.
type ranked struct {
	p int
	r int64
}

// sortRanked orders by score, highest first, then by precedence.
func (s *scoring) sortRanked(rs []ranked) {
	slices.SortFunc(rs, func(a, b ranked) int {
		if c := cmp.Compare(b.r, a.r); c != 0 {
			return c
		}
		return cmp.Compare(s.rank[a.p], s.rank[b.p])
	})
}

// state is the outcome of assigning over a whole population, as bitmaps.
// Per-customer scores are not stored: they are recomputed from the
// condition bitmaps when asked for (a handful of lookups per customer, or
// the dense engine for bulk decoding), which keeps an assignment's memory at
// two bitmaps per persona.
type state struct {
	all      *roaring.Bitmap
	conds    [][]*roaring.Bitmap // per persona, per condition (shared, read-only)
	elig     []*roaring.Bitmap   // per persona: score ≥ min
	assigned *roaring.Bitmap
	members  []*roaring.Bitmap // per persona: best persona is this one
}

// assign scores every customer of all for every persona with bit-sliced
// additions of the condition bitmaps and picks each customer's best persona
// with bit-sliced comparisons, on compressed bitmaps. conds[p][i] holds the
// members of condition i of persona p (not modified; IDs outside all are
// ignored). stop is called between personas and aborts the work when it
// returns an error.
func (s *scoring) assign(all *roaring.Bitmap, conds [][]*roaring.Bitmap, stop func() error) (*state, error) {
	n := len(s.personas)
	st := &state{
		all:      all,
		conds:    conds,
		elig:     make([]*roaring.Bitmap, n),
		assigned: roaring.New(),
		members:  make([]*roaring.Bitmap, n),
	}
	var best bsi   // score − base of the best persona so far, on assigned
	var winner bsi // precedence rank of that persona
	for rank, p := range s.order {
		if err := stop(); err != nil {
			return nil, err
		}
		ps := &s.personas[p]
		var sc bsi
		for i, u := range ps.units {
			x := conds[p][i]
			if u > 0 {
				sc.addWeighted(roaring.And(x, all), uint64(u))
			} else {
				sc.addWeighted(roaring.AndNot(all, x), uint64(-u)) // u·[x] = u + |u|·[¬x]
			}
		}
		sc.addWeighted(all, uint64(ps.neg-s.base))
		st.elig[p] = sc.geConst(all, uint64(ps.min-s.base))
		won := roaring.AndNot(st.elig[p], st.assigned)
		if contest := roaring.And(st.elig[p], st.assigned); !contest.IsEmpty() {
			// Earlier personas take precedence: a later one wins only with a
			// strictly greater score.
			won.Or(gtWithin(&sc, &best, contest))
		}
		best.mux(&sc, won)
		winner.setConst(won, uint64(rank))
		st.assigned.Or(won)
	}
	for rank, p := range s.order {
		st.members[p] = winner.eqConst(st.assigned, uint64(rank))
	}
	return st, nil
}

// scoreOf is customer id's score for persona p, in reduced units.
func (s *scoring) scoreOf(st *state, p int, id uint32) int64 {
	var r int64
	for i, u := range s.personas[p].units {
		if st.conds[p][i].Contains(id) {
			r += u
		}
	}
	return r
}

// ranking returns the personas customer id qualifies for, best first.
func (s *scoring) ranking(st *state, id uint32) []ranked {
	var rs []ranked
	for p := range s.personas {
		if st.elig[p].Contains(id) {
			rs = append(rs, ranked{p: p, r: s.scoreOf(st, p, id)})
		}
	}
	s.sortRanked(rs)
	return rs
}

// rankingOf scores one customer from the outcomes of its conditions
// (matched[p][i]), exactly as assign does for a population.
func (s *scoring) rankingOf(matched [][]bool) []ranked {
	var rs []ranked
	for p, ps := range s.personas {
		var r int64
		for i, u := range ps.units {
			if matched[p][i] {
				r += u
			}
		}
		if r >= ps.min {
			rs = append(rs, ranked{p: p, r: r})
		}
	}
	s.sortRanked(rs)
	return rs
}

// each yields the ranking of every customer in ids (a subset of all), in ID
// order. With dense IDs it recomputes the scores 64 customers at a time with
// the dense engine; otherwise it looks each customer up.
func (s *scoring) each(st *state, ids *roaring.Bitmap, yield func(id uint32, rs []ranked) bool) {
	if !useDense(st.all) {
		for it := ids.Iterator(); it.HasNext(); {
			id := it.Next()
			if !yield(id, s.ranking(st, id)) {
				return
			}
		}
		return
	}
	d := s.prepareDense(st.all, st.conds)
	defer d.release()
	idsW := d.expand(ids)
	var acc [64]uint64
	var rs [64][]ranked
	for w, x := range idsW {
		if x == 0 {
			continue
		}
		live := d.allW[w]
		for p := range s.personas {
			d.scoreWord(p, w, live, &acc)
			for e := d.eligible(p, live, &acc) & x; e != 0; e &= e - 1 {
				b := bits.TrailingZeros64(e)
				var v uint64
				for k := range d.width {
					v |= (acc[k] >> uint(b) & 1) << uint(k)
				}
				rs[b] = append(rs[b], ranked{p: p, r: int64(v) + s.base})
			}
		}
		for ; x != 0; x &= x - 1 {
			b := bits.TrailingZeros64(x)
			s.sortRanked(rs[b])
			if !yield(uint32(w*64+b), rs[b]) {
				return
			}
			rs[b] = rs[b][:0]
		}
	}
}
