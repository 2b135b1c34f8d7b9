package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Special functions, built on gonum's mathext, in the forms the models need.

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// logAddExp returns log(exp(a) + exp(b)) without overflow.
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// logDiffExp returns log(exp(a) − exp(b)) for a ≥ b, and −Inf when the
// difference is not positive.
func logDiffExp(a, b float64) float64 {
	if !(a > b) {
		return math.Inf(-1)
	}
	return a + math.Log(-math.Expm1(b-a))
}

// powTail returns (1 − exp(e·l)) / e, the factor [1 − q^e]/e with l = log q,
// continuous through e = 0 where it is −l.
func powTail(e, l float64) float64 {
	if e == 0 {
		return -l
	}
	return -math.Expm1(e*l) / e
}

// tailRatio returns [1 − (1−z)^e · 2F1(p, e; c; z)] / e for z in [0, 1).
//
// The BG/NBD and MBG/NBD expectations are of the form
// C/(a−1) · [1 − (1−z)^k · 2F1(k, B; C; z)]; Euler's transformation
// 2F1(A, B; C; z) = (1−z)^(C−A−B) · 2F1(C−A, C−B; C; z) turns them into this
// form with e = a − 1, which never overflows (the untransformed 2F1 grows
// like (1−z)^−(r+x) for frequent buyers). At e = 0 (a = 1) the expression has
// a removable singularity; near it the value is interpolated linearly
// between e = ±h, which is accurate to O(h²).
func tailRatio(p, e, c, z float64) float64 {
	const h = 1e-4
	if math.Abs(e) < h {
		lo := tailRatioDirect(p, -h, c, z)
		hi := tailRatioDirect(p, h, c, z)
		return lo + (e+h)/(2*h)*(hi-lo)
	}
	return tailRatioDirect(p, e, c, z)
}

func tailRatioDirect(p, e, c, z float64) float64 {
	if z == 0 {
		return 0
	}
	l := math.Log1p(-z)
	f := mathext.Hypergeo(p, e, c, z)
	return (-math.Expm1(e*l) - math.Exp(e*l)*(f-1)) / e
}

// logHyp2f1Plus1 returns log 2F1(a, b; a+1; z) for a, b > 0 and z in [0, 1)
// (the Pareto/NBD likelihood's function). With Euler's transformation,
// 2F1(a, b; a+1; z) = (1−z)^(1−b) · 2F1(1, a+1−b; a+1; z), whose series has
// positive terms and a finite limit as z → 1 when b > 1, so the logarithm is
// computed without overflow.
func logHyp2f1Plus1(a, b, z float64) float64 {
	if z == 0 {
		return 0
	}
	return (1-b)*math.Log1p(-z) + math.Log(hyp2f1One(a+1-b, a+1, z))
}

// hyp2f1One returns 2F1(1, b; c; z) for 0 < b < c and z in [0, 1). Its
// series has positive terms whose ratio (b+k)/(c+k)·z stays below z, so for
// z ≤ 0.8 summing it directly is accurate and about twice as fast as the
// general algorithm; beyond, gonum's Hypergeo (with its transformations
// near z = 1) is used.
func hyp2f1One(b, c, z float64) float64 {
	if z > 0.8 || !(b > 0 && b < c) {
		return mathext.Hypergeo(1, b, c, z)
	}
	sum, term := 1.0, 1.0
	for k := 0.0; k < 1000; k++ {
		term *= (b + k) / (c + k) * z
		sum += term
		if term <= 1e-17*sum {
			break
		}
	}
	return sum
}

// logHyp2f1 returns log 2F1(a, b; c; z) for z in [0, 1) when c−a and c−b are
// positive (all terms of the transformed series positive).
func logHyp2f1(a, b, c, z float64) float64 {
	if z == 0 {
		return 0
	}
	return (c-a-b)*math.Log1p(-z) + math.Log(mathext.Hypergeo(c-a, c-b, c, z))
}

// negBinSurvival returns P(J ≥ n) for the negative binomial distribution
// P(J = j) = Γ(r+j)/(Γ(r) j!) (1−p)^r p^j, as the regularised incomplete
// beta function I_p(n, r), accurate in the far tail where 1 − Σ P(J < n)
// would cancel.
func negBinSurvival(n int, r, p float64) float64 {
	if n <= 0 {
		return 1
	}
	if p <= 0 {
		return 0
	}
	return mathext.RegIncBeta(float64(n), r, p)
}

// logNegBin returns log P(J = n) for the negative binomial above, with
// log p and log(1−p) given.
func logNegBin(n int, r, logP, log1mP float64) float64 {
	fn := float64(n)
	v := lgamma(r+fn) - lgamma(r) - lgamma(fn+1) + r*log1mP
	if n > 0 {
		v += fn * logP
	}
	return v
}
