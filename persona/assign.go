package persona

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit/bitmapindex"
)

// Assign scores every live customer of v for every persona and picks each
// customer's best persona, entirely with set algebra: each distinct rule is
// evaluated once to a bitmap, the weights are accumulated per persona by
// bit-sliced addition of the condition bitmaps, the minimum score is a
// bit-sliced comparison, and the best persona is chosen with bit-sliced
// comparisons between personas. No rule is evaluated per customer; the
// arithmetic handles 64 customers per machine-word operation.
//
// A customer's best persona is the qualifying persona (score ≥ MinScore)
// with the highest score; ties go to the higher Priority, then to the name
// that sorts first. Customers who qualify for no persona are unassigned.
// The result equals [Catalog.AssignProfile] on every customer's profile.
//
// now is the reference time of the rules' time windows. Evaluation stops
// when ctx is cancelled. A rule that fails to evaluate (a type error found
// only at evaluation) is returned as an [*Error] naming the persona and
// condition.
func (c *Catalog) Assign(ctx context.Context, v *bitmapindex.View, now time.Time) (a *Assignment, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("persona: internal error during assignment: %v", r)
		}
	}()
	all := v.All().Bitmap()
	byRule := make([]*roaring.Bitmap, len(c.srcs)) // each distinct rule once
	conds := make([][]*roaring.Bitmap, len(c.defs))
	for p := range c.defs {
		conds[p] = make([]*roaring.Bitmap, len(c.rules[p]))
		for i, r := range c.rules[p] {
			k := c.srcOf[p][i]
			if byRule[k] == nil {
				set, err := r.Eval(ctx, v, now)
				if err != nil {
					if ctx.Err() != nil {
						return nil, fmt.Errorf("persona: assign: %w", ctx.Err())
					}
					return nil, ruleErr(p, c.defs[p].Name, i, err)
				}
				byRule[k] = set.Bitmap()
			}
			conds[p][i] = byRule[k]
		}
	}
	stop := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("persona: assign: %w", err)
		}
		return nil
	}
	if err := stop(); err != nil {
		return nil, err
	}
	assign := c.sc.assign
	if useDense(all) {
		assign = c.sc.assignDense
	}
	st, err := assign(all, conds, stop)
	if err != nil {
		return nil, err
	}
	return &Assignment{c: c, view: v, now: now, st: st, unassigned: roaring.AndNot(all, st.assigned)}, nil
}

// AssignProfile ranks the personas one customer qualifies for, best first
// (score descending, then the tie-break of [Catalog.Assign]); an empty
// result means the customer is unassigned. It gives exactly the scores and
// order that Assign gives for the same customer in an index.
func (c *Catalog) AssignProfile(p bitmapindex.Profile, now time.Time) (out []Score, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("persona: internal error during assignment: %v", r)
		}
	}()
	results := make([]int8, len(c.srcs)) // 0 unknown, 1 false, 2 true
	matched := make([][]bool, len(c.defs))
	for q := range c.defs {
		matched[q] = make([]bool, len(c.rules[q]))
		for i, r := range c.rules[q] {
			k := c.srcOf[q][i]
			if results[k] == 0 {
				ok, err := r.Match(p, now)
				if err != nil {
					return nil, ruleErr(q, c.defs[q].Name, i, err)
				}
				results[k] = 1
				if ok {
					results[k] = 2
				}
			}
			matched[q][i] = results[k] == 2
		}
	}
	return c.scores(c.sc.rankingOf(matched)), nil
}

// Assignment is the result of [Catalog.Assign] over one view. It is
// immutable and safe for concurrent use.
type Assignment struct {
	c          *Catalog
	view       *bitmapindex.View
	now        time.Time
	st         *state
	unassigned *roaring.Bitmap
}

// Catalog returns the catalog that produced the assignment.
func (a *Assignment) Catalog() *Catalog { return a.c }

// View returns the view the assignment was computed on.
func (a *Assignment) View() *bitmapindex.View { return a.view }

// Now returns the reference time the rules were evaluated at.
func (a *Assignment) Now() time.Time { return a.now }

// Members returns the customers whose best persona is name.
func (a *Assignment) Members(name string) (bitmapindex.Set, bool) {
	p, ok := a.c.byName[name]
	if !ok {
		return bitmapindex.Set{}, false
	}
	return a.view.Wrap(a.st.members[p]), true
}

// Eligible returns the customers who qualify for name (score ≥ its
// MinScore), whether or not it is their best persona.
func (a *Assignment) Eligible(name string) (bitmapindex.Set, bool) {
	p, ok := a.c.byName[name]
	if !ok {
		return bitmapindex.Set{}, false
	}
	return a.view.Wrap(a.st.elig[p]), true
}

// Assigned returns the customers who have a best persona.
func (a *Assignment) Assigned() bitmapindex.Set { return a.view.Wrap(a.st.assigned) }

// Unassigned returns the live customers who qualify for no persona.
func (a *Assignment) Unassigned() bitmapindex.Set { return a.view.Wrap(a.unassigned) }

// Best returns customer id's best persona and its score; false when the
// customer is unassigned (or not in the view).
func (a *Assignment) Best(id uint32) (Score, bool) {
	if !a.st.assigned.Contains(id) {
		return Score{}, false
	}
	for p, m := range a.st.members {
		if m.Contains(id) {
			return Score{Persona: a.c.defs[p].Name, Score: a.c.sc.value(a.c.sc.scoreOf(a.st, p, id))}, true
		}
	}
	return Score{}, false // unreachable: assigned customers have a best persona
}

// Top returns the k personas customer id qualifies for with the highest
// scores, best first (all of them when k ≤ 0); empty when it is unassigned.
func (a *Assignment) Top(id uint32, k int) []Score {
	rs := a.c.sc.ranking(a.st, id)
	if k > 0 && len(rs) > k {
		rs = rs[:k]
	}
	return a.c.scores(rs)
}

// Scores yields every assigned customer, in ID order, with the top k
// personas it qualifies for (all when k ≤ 0), best first. It recomputes the
// scores 64 customers per word operation, so a full pass costs about as much
// as the assignment itself. The yielded slice is reused between iterations:
// copy it to keep it.
func (a *Assignment) Scores(k int) iter.Seq2[uint32, []Score] {
	return func(yield func(uint32, []Score) bool) {
		out := make([]Score, 0, len(a.c.defs))
		a.c.sc.each(a.st, a.st.assigned, func(id uint32, rs []ranked) bool {
			if k > 0 && len(rs) > k {
				rs = rs[:k]
			}
			out = out[:0]
			for _, r := range rs {
				out = append(out, Score{Persona: a.c.defs[r.p].Name, Score: a.c.sc.value(r.r)})
			}
			return yield(id, out)
		})
	}
}
