package segment

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/segkit/segkit/bitmapindex"
)

type opKind = bitmapindex.Op

const (
	opEq = bitmapindex.Eq
	opNe = bitmapindex.Ne
	opLt = bitmapindex.Lt
	opLe = bitmapindex.Le
	opGt = bitmapindex.Gt
	opGe = bitmapindex.Ge
)

// flipOp turns `c op x` into `x op' c`.
func flipOp(op opKind) opKind {
	switch op {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return op
}

func parseOp(s string) (opKind, bool) {
	switch s {
	case "==":
		return opEq, true
	case "!=":
		return opNe, true
	case "<":
		return opLt, true
	case "<=":
		return opLe, true
	case ">":
		return opGt, true
	case ">=":
		return opGe, true
	}
	return 0, false
}

// nkind is the kind of a plan node.
type nkind uint8

const (
	nConst    nkind = iota // b: true is every live customer, false nobody
	nAnd                   // intersection of kids
	nOr                    // union of kids
	nNot                   // complement of kids[0] over live customers
	nAndNot                // intersection of kids (every live customer when empty) minus each of neg
	nTag                   // has(name)
	nScalar                // comparison family on one attribute (sc)
	nIn                    // attribute equal to one of items
	nSetHas                // set attribute contains str
	nStrMatch              // category/set value matches str by smOp
	nPresent               // attribute has a value
	nDid                   // event in window (window 0: any time up to today)
	nCount                 // number of events in window op n
	nFirst                 // first-ever event in window
	nRef                   // inSegment(name)
	nSum                   // sum of values in window op amt
	nAvg                   // mean value in window op amt (missing when none)
	nThen                  // an occurrence of ev, then one of ev2 within window days
)

// pnode is a node of a compiled plan. Plans are immutable after Compile.
type pnode struct {
	kind  nkind
	id    int // index into per-evaluation tables
	pos   int // rune offset in the source
	b     bool
	kids  []*pnode
	neg   []*pnode
	name  string // tag, attribute, event or segment
	sc    *scalar
	items []scalar // nIn: one Eq scalar per item
	str   string
	smOp  string
	re    *regexp.Regexp
	// events
	window int // days; 0 with nDid means any time up to today
	op     opKind
	n      int64
	ev     *evSpec            // event nodes: the occurrences looked at (events.go)
	ev2    *evSpec            // nThen: the second event
	amt    bitmapindex.Amount // nSum, nAvg: the constant
	// label is the canonical rendering used by Explain and for dedup.
	label string
	ai    int // nSetHas, nStrMatch, nPresent, nIn: index into Rule.attrNames
}

// cost orders the operands of an intersection: cheap lookups first, so an
// empty intersection can skip the expensive ones.
func (n *pnode) cost() int {
	switch n.kind {
	case nConst:
		return 0
	case nTag, nSetHas, nPresent:
		return 1
	case nScalar, nIn:
		return 2
	case nStrMatch:
		return 3
	case nDid, nFirst:
		if n.ev != nil && (n.ev.filter != nil || n.ev.between) {
			return 5
		}
		return 4
	case nCount:
		return 5
	case nSum, nAvg:
		return 6
	case nThen:
		return 7
	case nRef:
		return 8
	case nNot:
		return n.kids[0].cost()
	}
	m := 0
	for _, k := range n.kids {
		m = max(m, k.cost())
	}
	for _, k := range n.neg {
		m = max(m, k.cost())
	}
	return m + 1
}

// scalar is a comparison on one attribute before it meets the attribute's
// kind: a constant's meaning depends on it (3 is Int for an int attribute
// and Decimal for a decimal one; date("…") is a calendar day for time).
type scalarForm uint8

const (
	formCmp       scalarForm = iota // attr op a
	formRange                       // a ≤ attr ≤ b
	formDaysCmp                     // daysSince(attr) op a
	formDaysRange                   // a ≤ daysSince(attr) ≤ b
	formWithin                      // within(attr, window)
)

type scalar struct {
	attr   string
	form   scalarForm
	op     opKind // never Ne: x != v is compiled as not(x == v)
	a, b   lit
	window int
	pos    int // position for type errors
	apos   int // position of the attribute name
	idx    int // index into per-evaluation resolution tables
	ai     int // index into Rule.attrNames
	// Filled by Compile when a schema is given.
	resolvedOK bool
	def        bitmapindex.Attribute
	res        resolved
}

func (s *scalar) label() string {
	switch s.form {
	case formCmp:
		return s.attr + " " + s.op.String() + " " + s.a.String()
	case formRange:
		return "between(" + s.attr + ", " + s.a.String() + ", " + s.b.String() + ")"
	case formDaysCmp:
		return "daysSince(" + s.attr + ") " + s.op.String() + " " + s.a.String()
	case formDaysRange:
		return "between(daysSince(" + s.attr + "), " + s.a.String() + ", " + s.b.String() + ")"
	case formWithin:
		return "within(" + s.attr + ", " + strconv.Quote(windowString(s.window)) + ")"
	}
	return "?"
}

func windowString(days int) string { return strconv.Itoa(days) + "d" }

// labelOf computes the canonical rendering of a node (children first).
func labelOf(n *pnode) string {
	switch n.kind {
	case nConst:
		return strconv.FormatBool(n.b)
	case nAnd:
		return "and(" + joinLabels(n.kids) + ")"
	case nOr:
		return "or(" + joinLabels(n.kids) + ")"
	case nNot:
		return "not " + n.kids[0].label
	case nAndNot:
		return "and-not(" + joinLabels(n.kids) + "; " + joinLabels(n.neg) + ")"
	case nTag:
		return "has(" + strconv.Quote(n.name) + ")"
	case nScalar:
		return n.sc.label()
	case nIn:
		return inLabel(n, len(n.items)) // every item: labels identify nodes
	case nSetHas:
		return strconv.Quote(n.str) + " in " + n.name
	case nStrMatch:
		return n.name + " " + n.smOp + " " + strconv.Quote(n.str)
	case nPresent:
		return "exists(" + n.name + ")"
	case nDid, nCount, nFirst, nSum, nAvg, nThen:
		return evLabel(n)
	case nRef:
		return "inSegment(" + strconv.Quote(n.name) + ")"
	}
	return "?"
}

// inLabel renders an nIn node with at most max items (Explain shortens
// long lists; the label, which identifies the node, has them all).
func inLabel(n *pnode, max int) string {
	var b strings.Builder
	b.WriteString(n.name)
	b.WriteString(" in [")
	for i, it := range n.items {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == max-2 && len(n.items) > max {
			b.WriteString("… " + strconv.Itoa(len(n.items)-i) + " more")
			break
		}
		b.WriteString(it.a.String())
	}
	b.WriteString("]")
	return b.String()
}

func joinLabels(ns []*pnode) string {
	parts := make([]string, len(ns))
	for i, k := range ns {
		parts[i] = k.label
	}
	return strings.Join(parts, ", ")
}

func constNode(b bool, pos int) *pnode {
	n := &pnode{kind: nConst, b: b, pos: pos}
	n.label = labelOf(n)
	return n
}

func newNode(n *pnode) *pnode {
	n.label = labelOf(n)
	return n
}

// Plan construction: simplify and optimise a tree built by the compiler.
//
//   - nested and/or are flattened; constants are folded away;
//   - not(not x) is x;
//   - an intersection with negated operands becomes and-not: the positive
//     operands are intersected and the negated ones subtracted, so no
//     complement is ever materialised when a parent intersection can
//     subtract instead;
//   - a union whose operands are all negated becomes not(and(...)) (De
//     Morgan), which a parent can then subtract;
//   - duplicate operands are dropped; the rest are ordered by cost.
func optimize(n *pnode) *pnode {
	switch n.kind {
	case nAnd, nOr:
		return optimizeAndOr(n)
	case nNot:
		k := optimize(n.kids[0])
		switch {
		case k.kind == nConst:
			return constNode(!k.b, n.pos)
		case k.kind == nNot:
			return k.kids[0]
		}
		return newNode(&pnode{kind: nNot, pos: n.pos, kids: []*pnode{k}})
	}
	return n
}

func optimizeAndOr(n *pnode) *pnode {
	isAnd := n.kind == nAnd
	var kids []*pnode
	seen := map[string]bool{}
	var add func(k *pnode) bool
	add = func(k *pnode) bool { // false: the whole node is decided by an absorbing constant
		if k.kind == n.kind {
			for _, kk := range k.kids {
				if !add(kk) {
					return false
				}
			}
			return true
		}
		if k.kind == nConst {
			return k.b == isAnd // and: true is neutral, false absorbs; or: the reverse
		}
		if isAnd && k.kind == nAndNot {
			for _, kk := range k.kids {
				if !add(kk) {
					return false
				}
			}
			for _, kk := range k.neg {
				if !add(newNode(&pnode{kind: nNot, pos: kk.pos, kids: []*pnode{kk}})) {
					return false
				}
			}
			return true
		}
		if !seen[k.label] {
			seen[k.label] = true
			kids = append(kids, k)
		}
		return true
	}
	for _, k := range n.kids {
		if !add(optimize(k)) {
			return constNode(!isAnd, n.pos)
		}
	}
	switch len(kids) {
	case 0:
		return constNode(isAnd, n.pos)
	case 1:
		return kids[0]
	}
	slices.SortStableFunc(kids, func(a, b *pnode) int { return a.cost() - b.cost() })
	if !isAnd {
		allNeg := true
		for _, k := range kids {
			if k.kind != nNot {
				allNeg = false
				break
			}
		}
		if !allNeg {
			return newNode(&pnode{kind: nOr, pos: n.pos, kids: kids})
		}
		inner := make([]*pnode, len(kids))
		for i, k := range kids {
			inner[i] = k.kids[0]
		}
		and := optimizeAndOr(&pnode{kind: nAnd, pos: n.pos, kids: inner})
		return optimize(&pnode{kind: nNot, pos: n.pos, kids: []*pnode{and}})
	}
	var pos, neg []*pnode
	for _, k := range kids {
		if k.kind == nNot {
			neg = append(neg, k.kids[0])
		} else {
			pos = append(pos, k)
		}
	}
	if len(neg) == 0 {
		return newNode(&pnode{kind: nAnd, pos: n.pos, kids: pos})
	}
	if len(pos) == 0 && len(neg) == 1 {
		return newNode(&pnode{kind: nNot, pos: n.pos, kids: neg})
	}
	return newNode(&pnode{kind: nAndNot, pos: n.pos, kids: pos, neg: neg})
}

// number assigns ids in pre-order and returns the count.
func number(n *pnode, next int) int {
	n.id = next
	next++
	for _, k := range n.kids {
		next = number(k, next)
	}
	for _, k := range n.neg {
		next = number(k, next)
	}
	return next
}
