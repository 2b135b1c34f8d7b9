package segment

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// Tree is a read-only description of a compiled rule bound to an instant
// and a time zone: every comparison is resolved against its attribute's
// kind, every relative window and day bound is turned into absolute days and
// instants. It is what a renderer for another engine (package sqlgen) needs
// to express the rule with exactly the semantics Eval has. A Tree is a
// plain value built fresh by Rule.Tree; nothing in it aliases the Rule.
type Tree struct {
	// Root is the rule after the same simplification Eval runs on (constants
	// folded, nested and/or flattened, duplicates dropped). It is never nil.
	Root Node
	// Source is the rule text.
	Source string
	// Now and Location are the arguments of Rule.Tree; Today is the day of
	// Now in Location, the last day of every window.
	Now      time.Time
	Location *time.Location
	Today    segkit.Day
}

// Node is one node of a Tree: *Const, *And, *Or, *Not, *Tag, *Compare,
// *Between, *In, *Present, *SetHas, *StrMatch, *Did, *Count, *First, *Sum,
// *Avg, *Then or *Ref. Renderers switch on the concrete type. Nodes carry the position of
// the rule text they come from, for error messages.
type Node interface {
	// Position returns the 1-based line and column of the node in the rule.
	Position() (line, column int)
	isNode()
}

// At is the position of a node in the rule text (1-based line and column,
// the column counted in runes). It implements Node's Position.
type At struct{ Line, Column int }

// Position returns the line and column.
func (a At) Position() (int, int) { return a.Line, a.Column }
func (At) isNode()                {}

// Const is every live customer (true) or nobody (false).
type Const struct {
	At
	Value bool
}

// And is the intersection of its operands (at least two).
type And struct {
	At
	Kids []Node
}

// Or is the union of its operands (at least two).
type Or struct {
	At
	Kids []Node
}

// Not is the complement of Kid over all live customers: it includes the
// customers without a value for the attributes Kid reads.
type Not struct {
	At
	Kid Node
}

// Tag is has(Name).
type Tag struct {
	At
	Name string
}

// Compare is `Attr Op Value` on customers with a value (Op is never Ne: a
// != is a Not of an Eq). Value has Attr's kind. bitmapindex.Holds is the
// exact meaning: decimals compare in Attr's fixed-point domain (Value may
// have more digits than Attr's scale), times at second precision
// (day-relative bounds are already the first or last second of their day in
// the Tree's Location), categories as byte strings, false < true.
type Compare struct {
	At
	Attr  bitmapindex.Attribute
	Op    bitmapindex.Op
	Value bitmapindex.Value
}

// Between is Lo ≤ Attr ≤ Hi on customers with a value, with Compare's
// meaning of each bound.
type Between struct {
	At
	Attr   bitmapindex.Attribute
	Lo, Hi bitmapindex.Value
}

// In is Attr equal to one of Values (each of Attr's kind; for decimals,
// values with more digits than the scale never match, as with Compare).
type In struct {
	At
	Attr   bitmapindex.Attribute
	Values []bitmapindex.Value
}

// Present is exists(Attr): the customer has a value (for a set attribute,
// at least one string).
type Present struct {
	At
	Attr bitmapindex.Attribute
}

// SetHas is `"Value" in Attr` for a set attribute.
type SetHas struct {
	At
	Attr  bitmapindex.Attribute
	Value string
}

// StrMatch is a string match on a category value, or on any of the strings
// of a set value: Op is "startsWith", "endsWith", "contains" or "matches"
// (Arg is then a regular expression in Go's RE2 syntax, as regexp.Compile
// reads it). Strings compare as bytes.
type StrMatch struct {
	At
	Attr bitmapindex.Attribute
	Op   string
	Arg  string
}

// Window is the days an event form looks at: From..To inclusive, in the
// Tree's Location. Ever is true for did("e") without a window: every day up
// to To (From is then the earliest Day). Start and End are the same days as
// a half-open range of instants, [Start, End): an event at t is in the
// window exactly when (Ever or !t.Before(Start)) and t.Before(End).
type Window struct {
	From, To   segkit.Day
	Ever       bool
	Start, End time.Time
}

// Did is did(Event), didWithin(Event, …) or didBetween(Event, …): at least
// one event in Window that matches Filter. A nil Filter matches every
// event; otherwise an event matches when, for every term, it has property
// Key with one of Values (bitmapindex.Filter.Matches on its properties).
// didBetween's Window is its fixed days (Ever false).
type Did struct {
	At
	Event  string
	Window Window
	Filter bitmapindex.Filter
}

// Count is countWithin(Event, …) Op N: the number of events (not days) in
// Window compared with N. Op is never Ne; N ≥ 0, and the comparison may hold
// for customers without any event (countWithin(…) < 3).
type Count struct {
	At
	Event  string
	Window Window
	Filter bitmapindex.Filter // as in Did
	Op     bitmapindex.Op
	N      int64
}

// First is firstWithin(Event, …): the customer's first-ever Event matching
// Filter (as in Did) falls in Window.
type First struct {
	At
	Event  string
	Window Window
	Filter bitmapindex.Filter
}

// Sum is sumWithin(Event, …) or sumBetween(Event, …) Op Value: the sum of
// the values (bitmapindex.Amount, exact fixed-point) of the events in
// Window matching Filter, 0 when there are none (so the comparison may
// hold for customers without any), compared with Value. Op is never Ne.
type Sum struct {
	At
	Event  string
	Window Window
	Filter bitmapindex.Filter
	Op     bitmapindex.Op
	Value  bitmapindex.Amount
}

// Avg is avgWithin(Event, …) Op Value: the mean value of the events in
// Window matching Filter, compared exactly (sum Op Value × count, see
// bitmapindex.CompareAvg). A customer without such events has no mean:
// Avg is false for it (a Not of an Avg includes it). Op is never Ne.
type Avg struct {
	At
	Event  string
	Window Window
	Filter bitmapindex.Filter
	Op     bitmapindex.Op
	Value  bitmapindex.Amount
}

// Then is didThen(Event, ThenEvent, "Nd", Filter, ThenFilter): an Event
// matching Filter on some day da and a ThenEvent matching ThenFilter on
// some day db with 0 ≤ db − da < Within, both on days up to To (events
// before End). Days are in the Tree's Location. When Event and ThenEvent
// are the same, one event matching both filters satisfies it.
type Then struct {
	At
	Event, ThenEvent   string
	Filter, ThenFilter bitmapindex.Filter
	Within             int
	To                 segkit.Day
	End                time.Time
}

// Ref is inSegment(Name): resolve it through the registry that defines
// the segment.
type Ref struct {
	At
	Name string
}

// Tree describes the rule for the instant now in the time zone loc (UTC
// when nil), with attribute kinds from schema, or from the schema given to
// Compile when schema is nil. Unknown attributes and comparisons that do not
// fit an attribute's kind are reported as an ErrorList, as Eval reports
// them.
func (r *Rule) Tree(schema []bitmapindex.Attribute, now time.Time, loc *time.Location) (*Tree, error) {
	if loc == nil {
		loc = time.UTC
	}
	defs := r.opts.schema
	if schema != nil {
		defs = make(map[string]bitmapindex.Attribute, len(schema))
		for _, a := range schema {
			defs[a.Name] = a
		}
	}
	if defs == nil {
		return nil, errors.New("segment: Tree needs a schema: pass one, or compile the rule WithSchema")
	}
	p := positions{r.src}
	var errs ErrorList
	res := make([]resolved, len(r.scs))
	for i, sc := range r.scs {
		def, ok := defs[sc.attr]
		if !ok {
			errs = append(errs, p.errorAt(sc.apos, "unknown attribute %q%s", sc.attr, suggest(sc.attr, schemaNames(defs))))
			continue
		}
		rs, err := resolve(def, sc)
		if err != nil {
			errs = append(errs, p.errorAt(sc.pos, "%s", err.Error()))
			continue
		}
		res[i] = rs
	}
	for _, u := range r.uses {
		def, ok := defs[u.name]
		if !ok {
			errs = append(errs, p.errorAt(u.pos, "unknown attribute %q%s", u.name, suggest(u.name, schemaNames(defs))))
			continue
		}
		if err := u.check(def); err != nil {
			errs = append(errs, p.errorAt(u.pos, "%s", err.Error()))
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	b := treeBuilder{p: p, defs: defs, res: res, loc: loc, today: int64(segkit.NewZone(loc).DayOf(now))}
	root := b.node(r.root)
	if b.err != nil {
		return nil, b.err
	}
	return &Tree{Root: root, Source: r.src, Now: now, Location: loc, Today: b.day(0)}, nil
}

type treeBuilder struct {
	p     positions
	defs  map[string]bitmapindex.Attribute
	res   []resolved
	loc   *time.Location
	today int64
	err   error
}

func (b *treeBuilder) at(n *pnode) At {
	l, c := b.p.at(n.pos)
	return At{Line: l, Column: c}
}

func (b *treeBuilder) day(off int64) segkit.Day {
	return segkit.Day(max(min(b.today+off, math.MaxInt32), math.MinInt32))
}

func (b *treeBuilder) window(w int) Window {
	to := b.day(0)
	win := Window{To: to, End: dayStart(int64(to)+1, b.loc)}
	if w == 0 {
		win.From, win.Ever = everFrom, true
		return win
	}
	win.From = b.day(int64(1 - w))
	win.Start = dayStart(int64(win.From), b.loc)
	return win
}

// evWindow is an event node's window: relative to today, or didBetween's
// fixed days.
func (b *treeBuilder) evWindow(n *pnode) Window {
	if !n.ev.between {
		return b.window(n.window)
	}
	return Window{From: n.ev.from, To: n.ev.to, Start: dayStart(int64(n.ev.from), b.loc), End: dayStart(int64(n.ev.to)+1, b.loc)}
}

func (b *treeBuilder) nodes(ns []*pnode) []Node {
	out := make([]Node, len(ns))
	for i, k := range ns {
		out[i] = b.node(k)
	}
	return out
}

func (b *treeBuilder) node(n *pnode) Node {
	at := b.at(n)
	switch n.kind {
	case nConst:
		return &Const{At: at, Value: n.b}
	case nAnd:
		return &And{At: at, Kids: b.nodes(n.kids)}
	case nOr:
		return &Or{At: at, Kids: b.nodes(n.kids)}
	case nNot:
		return &Not{At: at, Kid: b.node(n.kids[0])}
	case nAndNot:
		kids := b.nodes(n.kids)
		for _, k := range n.neg {
			kids = append(kids, &Not{At: b.at(k), Kid: b.node(k)})
		}
		if len(kids) == 1 {
			return kids[0]
		}
		return &And{At: at, Kids: kids}
	case nTag:
		return &Tag{At: at, Name: n.name}
	case nScalar:
		return b.scalar(at, n.sc)
	case nIn:
		def := b.defs[n.name]
		in := &In{At: at, Attr: def}
		var other []Node
		for i := range n.items {
			sc := &n.items[i]
			rs := b.res[sc.idx]
			if rs.kind == resCmp && rs.op == opEq && !rs.lo.dyn {
				in.Values = append(in.Values, rs.lo.v)
				continue
			}
			if k := b.scalar(at, sc); !isFalse(k) {
				other = append(other, k)
			}
		}
		var kids []Node
		switch len(in.Values) {
		case 0:
		case 1:
			kids = append(kids, &Compare{At: at, Attr: def, Op: bitmapindex.Eq, Value: in.Values[0]})
		default:
			kids = append(kids, in)
		}
		kids = append(kids, other...)
		switch len(kids) {
		case 0:
			return &Const{At: at}
		case 1:
			return kids[0]
		}
		return &Or{At: at, Kids: kids}
	case nSetHas:
		return &SetHas{At: at, Attr: b.defs[n.name], Value: n.str}
	case nStrMatch:
		return &StrMatch{At: at, Attr: b.defs[n.name], Op: n.smOp, Arg: n.str}
	case nPresent:
		return &Present{At: at, Attr: b.defs[n.name]}
	case nDid:
		return &Did{At: at, Event: n.name, Window: b.evWindow(n), Filter: n.ev.filter}
	case nCount:
		return &Count{At: at, Event: n.name, Window: b.evWindow(n), Filter: n.ev.filter, Op: n.op, N: n.n}
	case nFirst:
		return &First{At: at, Event: n.name, Window: b.evWindow(n), Filter: n.ev.filter}
	case nSum:
		return &Sum{At: at, Event: n.name, Window: b.evWindow(n), Filter: n.ev.filter, Op: n.op, Value: n.amt}
	case nAvg:
		return &Avg{At: at, Event: n.name, Window: b.evWindow(n), Filter: n.ev.filter, Op: n.op, Value: n.amt}
	case nThen:
		to := b.day(0)
		return &Then{At: at, Event: n.ev.name, ThenEvent: n.ev2.name, Filter: n.ev.filter, ThenFilter: n.ev2.filter,
			Within: n.window, To: to, End: dayStart(int64(to)+1, b.loc)}
	case nRef:
		return &Ref{At: at, Name: n.name}
	}
	if b.err == nil {
		b.err = fmt.Errorf("segment: Tree: plan node %d has no description", n.kind)
	}
	return &Const{At: at}
}

func isFalse(n Node) bool {
	c, ok := n.(*Const)
	return ok && !c.Value
}

func (b *treeBuilder) scalar(at At, sc *scalar) Node {
	def := b.defs[sc.attr]
	rs := b.res[sc.idx]
	switch rs.kind {
	case resNone:
		return &Const{At: at}
	case resPresent:
		return &Present{At: at, Attr: def}
	case resCmp:
		return &Compare{At: at, Attr: def, Op: rs.op, Value: rs.lo.value(b.today, b.loc)}
	case resRange:
		return &Between{At: at, Attr: def, Lo: rs.lo.value(b.today, b.loc), Hi: rs.hi.value(b.today, b.loc)}
	}
	return &Const{At: at}
}
