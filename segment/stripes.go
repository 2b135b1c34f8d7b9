package segment

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// Evaluating a plan on several cores (issue 21 item 4).
//
// A plan whose operands are all sets the index keeps whole — tags, category
// and set values, present customers, constants — combined by and, or, not
// and and-not, is evaluated stripe by stripe when its operands are large:
// the index cuts its large dense bitmaps into stripes of 2^22 IDs that
// share their containers (bitmapindex.Set.Stripes), so the plan's
// operations run on each stripe with exactly the code and the order of a
// whole evaluation, up to GOMAXPROCS stripes at a time, and the stripes'
// results are joined in ID order without copying their containers. A
// Count adds the stripes' counts.
//
// Event, comparison and reference operands are computed by the index (or
// the registry) as whole bitmaps; a plan with one of them runs on one core.

// minStripedBytes is the memory of a plan's operands from which it is
// evaluated stripe by stripe (a variable for tests): below it, starting
// goroutines costs more than the split saves. Memory, not members,
// measures the work: a tag held by half the customers in long runs of IDs
// is a few bytes per 65,536 customers and is intersected as fast. A Count
// needs 8 times as much: it counts the last intersection without building
// it, at tens of GB/s (AndCardinality of two dense tags at 10M, 2.5 MB,
// takes 30–40 µs, which starting goroutines only slowed down; at 100M,
// 25 MB, 0.8–0.9 ms on one core and 0.5–0.8 ms split over two).
var minStripedBytes uint64 = 2 << 20

// stripeWorkers is the number of goroutines a striped evaluation may use
// (a variable for tests).
var stripeWorkers = func() int { return runtime.GOMAXPROCS(0) }

// noSplitKey marks a context whose evaluations run whole: EvalAll's
// goroutines already keep every core busy.
type noSplitKey struct{}

// stripedPlan is what a striped evaluation needs: the plan's leaf sets,
// fetched once, and the number of stripes.
type stripedPlan struct {
	leaves  map[*pnode]bitmapindex.Set
	all     bitmapindex.Set
	stripes int
	workers int
}

// planStripes returns how to evaluate n stripe by stripe, or nil when it
// should run whole: one core, Explain tracing, an operand the index does
// not keep in stripes, or too little work. Deciding allocates nothing.
func (e *evaluator) planStripes(n *pnode, minBytes uint64) *stripedPlan {
	workers := stripeWorkers()
	if workers < 2 || e.trace != nil || e.noSplit {
		return nil
	}
	all := e.v.All()
	if all.Stripes() == nil {
		return nil
	}
	stripes, work, ok := len(all.Stripes()), uint64(0), true
	e.eachLeaf(n, func(_ *pnode, s bitmapindex.Set, err error) bool {
		if err != nil || (s.Len() > 0 && s.Stripes() == nil) {
			ok = false // (a whole evaluation reports the error)
			return false
		}
		work += sampleBytes(s.Stripes())
		stripes = max(stripes, len(s.Stripes()))
		return true
	})
	if !ok || work < minBytes || stripes < 2 {
		return nil
	}
	p := &stripedPlan{leaves: map[*pnode]bitmapindex.Set{}, all: all, stripes: stripes, workers: min(workers, stripes)}
	e.eachLeaf(n, func(l *pnode, s bitmapindex.Set, _ error) bool {
		p.leaves[l] = s
		return true
	})
	return p
}

// eachLeaf calls f with every leaf of n below and, or, not and and-not
// nodes, and its set, until f returns false; a leaf that is not a tag, a
// set value or a presence gets a nil set and an error.
func (e *evaluator) eachLeaf(n *pnode, f func(l *pnode, s bitmapindex.Set, err error) bool) bool {
	var s bitmapindex.Set
	var err error
	switch n.kind {
	case nConst:
		return true
	case nAnd, nOr, nNot, nAndNot:
		for _, k := range n.kids {
			if !e.eachLeaf(k, f) {
				return false
			}
		}
		for _, k := range n.neg {
			if !e.eachLeaf(k, f) {
				return false
			}
		}
		return true
	case nTag:
		s = e.v.Tag(n.name)
	case nSetHas:
		s, err = e.v.WithValue(n.name, n.str)
	case nPresent:
		s, err = e.v.Present(n.name)
	default:
		err = errNotStriped
	}
	return f(n, s, err)
}

var errNotStriped = errors.New("segment: operand not kept in stripes")

// sampleBytes estimates the memory of a set's stripes from the first
// non-empty one (a stripe has at most 64 containers, so this costs well
// under a microsecond where summing all of them would cost tens at 100M).
func sampleBytes(parts []*roaring.Bitmap) uint64 {
	for _, p := range parts {
		if p != nil {
			return p.GetSizeInBytes() * uint64(len(parts))
		}
	}
	return 0
}

// stripe returns an evaluator of stripe k of p: its leaves and its live
// customers are the stripe's.
func (e *evaluator) stripe(p *stripedPlan, k int) *evaluator {
	w := *e
	w.leaves, w.k = p.leaves, k
	w.all, w.hasAl = partOf(p.all, k), true
	w.trace, w.notes = nil, nil
	return &w
}

// partOf is stripe k of s, not owned.
func partOf(s bitmapindex.Set, k int) bits {
	if parts := s.Stripes(); k < len(parts) && parts[k] != nil {
		return bits{bm: parts[k]}
	}
	return bits{bm: emptyBitmap}
}

// leafBits is a leaf operand: its stripe in a striped evaluation.
func (e *evaluator) leafBits(n *pnode) bits { return partOf(e.leaves[n], e.k) }

// eachStripe calls f for every stripe of p on p.workers goroutines and
// returns the first error (a panic in f is one).
func eachStripe(p *stripedPlan, f func(k int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= p.stripes {
					return
				}
				err := func() (err error) {
					defer recoverInto(&err)
					return f(k)
				}()
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(p.stripes)) // the others stop at their next stripe
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// evalStriped evaluates n stripe by stripe and joins the results.
func (e *evaluator) evalStriped(p *stripedPlan, n *pnode) (bits, error) {
	res := make([]bits, p.stripes)
	err := eachStripe(p, func(k int) error {
		b, err := e.stripe(p, k).eval(n)
		res[k] = b
		return err
	})
	if err != nil {
		return bits{}, err
	}
	// The stripes hold increasing, disjoint ID ranges: each Or appends the
	// next stripe's containers. An owned result's containers move into out
	// (shared, marked copy-on-write); a stripe of the index's bitmaps is
	// already marked, so its containers are shared without writing to it.
	out := roaring.New()
	for _, b := range res {
		if b.bm.IsEmpty() {
			continue
		}
		if b.owned {
			b.bm.SetCopyOnWrite(true)
		}
		out.SetCopyOnWrite(b.owned)
		out.Or(b.bm)
	}
	out.SetCopyOnWrite(false)
	return owned(out), nil
}

// countStriped counts n stripe by stripe.
func (e *evaluator) countStriped(p *stripedPlan, n *pnode) (int, error) {
	var total atomic.Int64
	err := eachStripe(p, func(k int) error {
		c, err := e.stripe(p, k).count(n)
		total.Add(int64(c))
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(total.Load()), nil
}
