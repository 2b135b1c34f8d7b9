package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Every customer draws from its own independent PCG streams, seeded from
// (Config.Seed, customer index, stream), so customers can be generated in any
// order and on any number of goroutines with the same result.
const (
	streamAttrs uint64 = iota + 1 // persona, demographics, tags, interests
	streamLogins
	streamTrials
	streamBuys
)

// mix64 is the SplitMix64 finaliser: a bijection of uint64 with good
// avalanche, used to decorrelate the seeds of neighbouring customers.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rng is a reseedable random stream. It is not safe for concurrent use.
type rng struct {
	pcg rand.PCG
	r   *rand.Rand // wraps &pcg, for the ziggurat normal and exponential
}

func newRNG() *rng {
	g := &rng{}
	g.r = rand.New(&g.pcg)
	return g
}

// seed positions the stream at the start of stream s of customer i.
func (g *rng) seed(seed uint64, i int, s uint64) {
	hi := mix64(seed*0x9e3779b97f4a7c15 + s)
	g.pcg.Seed(hi, mix64(hi^uint64(i)))
}

func (g *rng) u64() uint64 { return g.pcg.Uint64() }

// float returns a uniform float64 in [0, 1).
func (g *rng) float() float64 { return float64(g.pcg.Uint64()>>11) * 0x1p-53 }

// open returns a uniform float64 in (0, 1].
func (g *rng) open() float64 { return float64(g.pcg.Uint64()>>11+1) * 0x1p-53 }

// bern reports true with the probability encoded by threshold t (see thresh).
func (g *rng) bern(t uint64) bool { return g.pcg.Uint64() < t }

// intn returns a uniform int in [0, n) for n > 0.
func (g *rng) intn(n int) int {
	hi, _ := bits.Mul64(g.pcg.Uint64(), uint64(n))
	return int(hi)
}

// exp returns an Exp(1) variate.
func (g *rng) exp() float64 { return g.r.ExpFloat64() }

// thresh encodes probability p for bern: P(u64 < thresh(p)) = p (to 2^-64).
func thresh(p float64) uint64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 1:
		return math.MaxUint64
	}
	return uint64(math.Ldexp(p, 64))
}

// gammaDist samples Gamma(shape k, scale 1) by Marsaglia & Tsang (2000), with
// the U^(1/k) boost for k < 1. The constants are computed once.
type gammaDist struct {
	k, d, c float64
	invK    float64 // 1/k when boosted, else 0
}

func newGamma(k float64) gammaDist {
	g := gammaDist{k: k}
	kk := k
	if k < 1 {
		g.invK = 1 / k
		kk = k + 1
	}
	g.d = kk - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

// core draws Gamma(k') with k' = max(k, k+1 when k < 1).
func (gd *gammaDist) core(g *rng) float64 {
	for {
		x := g.r.NormFloat64()
		v := 1 + gd.c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := g.open()
		x2 := x * x
		if u < 1-0.0331*x2*x2 || math.Log(u) < 0.5*x2+gd.d*(1-v+math.Log(v)) {
			return gd.d * v
		}
	}
}

// draw returns a Gamma(k, 1) variate.
func (gd *gammaDist) draw(g *rng) float64 {
	x := gd.core(g)
	if gd.invK != 0 {
		x *= math.Pow(g.open(), gd.invK)
	}
	return x
}

// logDraw returns the logarithm of a Gamma(k, 1) variate, accurate even
// when the variate itself would underflow (tiny k).
func (gd *gammaDist) logDraw(g *rng) float64 {
	lx := math.Log(gd.core(g))
	if gd.invK != 0 {
		lx += math.Log(g.open()) * gd.invK
	}
	return lx
}

// betaDist samples Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b),
// computed in log space so that small shapes do not give 0/0.
type betaDist struct{ x, y gammaDist }

func newBeta(a, b float64) betaDist { return betaDist{newGamma(a), newGamma(b)} }

func (bd *betaDist) draw(g *rng) float64 {
	lx := bd.x.logDraw(g)
	ly := bd.y.logDraw(g)
	return 1 / (1 + math.Exp(ly-lx))
}

// alias is Walker's alias table: O(1) draws from a discrete distribution with
// one 64-bit random number.
type alias struct {
	n     uint64
	keep  []uint64 // stay at i when the fractional part is below keep[i]
	other []int32
}

// newAlias builds the table for weights w (not all zero, none negative).
func newAlias(w []float64) alias {
	n := len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	small := make([]int, 0, n)
	large := make([]int, 0, n)
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	a := alias{n: uint64(n), keep: make([]uint64, n), other: make([]int32, n)}
	for i := range a.other {
		a.other[i] = int32(i)
	}
	for len(small) > 0 && len(large) > 0 {
		s := small[len(small)-1]
		small = small[:len(small)-1]
		l := large[len(large)-1]
		a.keep[s] = thresh(scaled[s])
		a.other[s] = int32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.keep[i] = math.MaxUint64
	}
	for _, i := range small { // only through rounding
		a.keep[i] = math.MaxUint64
	}
	return a
}

func (a *alias) draw(g *rng) int {
	i, frac := bits.Mul64(g.u64(), a.n)
	if frac < a.keep[i] {
		return int(i)
	}
	return int(a.other[i])
}

// bernSet draws a set of independent Bernoulli trials with probabilities
// q_0, q_1, … by jumping from success to success: the chance of no success
// in items j..k is exp(−(H_k − H_{j−1})) with the cumulative hazard
// H_k = Σ_{i≤k} −log(1−q_i), so the next success after item j−1 is the first
// k with H_k ≥ H_{j−1} + E, E ~ Exp(1). A draw costs one exponential variate
// and a short search (through a bucket index over H) per success, instead of
// one random number per item. Items with q ≥ 1 are always drawn.
type bernSet struct {
	always []int32   // items with q ≥ 1
	ids    []int32   // items with 0 < q < 1, ascending
	cum    []float64 // cumulative hazard over ids
	bucket []int32   // bucket[b]: first position with cum ≥ b·width
	inv    float64   // 1/width
}

func newBernSet(q []float64) bernSet {
	var s bernSet
	h := 0.0
	for i, p := range q {
		switch {
		case p >= 1:
			s.always = append(s.always, int32(i))
		case p > 0:
			h += -math.Log1p(-p)
			s.ids = append(s.ids, int32(i))
			s.cum = append(s.cum, h)
		}
	}
	if len(s.cum) == 0 || h <= 0 {
		s.ids, s.cum = nil, nil
		return s
	}
	nb := 2 * len(s.cum)
	width := h / float64(nb)
	s.inv = 1 / width
	s.bucket = make([]int32, nb+1)
	pos := 0
	for b := range s.bucket {
		for pos < len(s.cum) && s.cum[pos] < float64(b)*width {
			pos++
		}
		s.bucket[b] = int32(pos)
	}
	return s
}

// sample appends the successful items to out in ascending order.
func (s *bernSet) sample(g *rng, out []int32) []int32 {
	start := len(out)
	cum := s.cum
	n := len(cum)
	pos, h := 0, 0.0
	for pos < n {
		h += g.exp()
		if h > cum[n-1] {
			break
		}
		// bucket[b] is the answer or just before it (cum[bucket[b]−1] <
		// b·width ≤ h), up to rounding of h·inv, which the backward step fixes.
		k := max(pos, int(s.bucket[int(h*s.inv)]))
		for k > pos && cum[k-1] >= h {
			k--
		}
		for cum[k] < h {
			k++
		}
		out = append(out, s.ids[k])
		h = cum[k]
		pos = k + 1
	}
	if len(s.always) > 0 {
		out = append(out, s.always...)
		slices.Sort(out[start:])
	}
	return out
}
