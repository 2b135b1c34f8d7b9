package segment

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// The event forms: did, didWithin, countWithin, firstWithin, sumWithin,
// avgWithin, didBetween, countBetween, sumBetween and didThen, each with an
// optional property filter as last argument ({category: "math"}).
//
// In the plan an event form is one node (nDid, nCount, nFirst, nSum, nAvg,
// nThen) whose evSpec says which occurrences it looks at: the event, the
// days (a window of N days ending today, or fixed calendar days) and the
// filter. nThen has a second evSpec for its second event.

// evSpec selects the occurrences an event node looks at.
type evSpec struct {
	name    string
	window  int  // days ending today; 0 (with !between): any day up to today
	between bool // fixed days from..to, independent of now
	from    segkit.Day
	to      segkit.Day
	filter  bitmapindex.Filter // nil: every occurrence
}

// days returns the inclusive day range relative to today.
func (s *evSpec) days(today int64) (segkit.Day, segkit.Day) {
	if s.between {
		return s.from, s.to
	}
	to := toDay(today)
	if s.window == 0 {
		return everFrom, to
	}
	return toDay(today + int64(1-s.window)), to
}

// filterString renders a filter canonically: {category: ["art", "math"], channel: "app"}.
func filterString(f bitmapindex.Filter) string {
	var b strings.Builder
	b.WriteString("{")
	for i, t := range f {
		if i > 0 {
			b.WriteString(", ")
		}
		if isIdent(t.Key) {
			b.WriteString(t.Key)
		} else {
			b.WriteString(strconv.Quote(t.Key))
		}
		b.WriteString(": ")
		if len(t.Values) == 1 {
			b.WriteString(strconv.Quote(t.Values[0]))
			continue
		}
		b.WriteString("[")
		for j, v := range t.Values {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(v))
		}
		b.WriteString("]")
	}
	b.WriteString("}")
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

// args renders the event, the days and the filter as call arguments.
func (s *evSpec) args() string {
	out := strconv.Quote(s.name)
	switch {
	case s.between:
		out += ", date(" + strconv.Quote(formatDay(int64(s.from))) + "), date(" + strconv.Quote(formatDay(int64(s.to))) + ")"
	case s.window != 0:
		out += ", " + strconv.Quote(windowString(s.window))
	}
	if s.filter != nil {
		out += ", " + filterString(s.filter)
	}
	return out
}

// evLabel is the canonical rendering of an event node.
func evLabel(n *pnode) string {
	s := n.ev
	cmp := func(num string) string { return " " + n.op.String() + " " + num }
	switch n.kind {
	case nDid:
		switch {
		case s.between:
			return "didBetween(" + s.args() + ")"
		case s.window == 0:
			return "did(" + s.args() + ")"
		}
		return "didWithin(" + s.args() + ")"
	case nCount:
		f := "countWithin("
		if s.between {
			f = "countBetween("
		}
		return f + s.args() + ")" + cmp(strconv.FormatInt(n.n, 10))
	case nFirst:
		return "firstWithin(" + s.args() + ")"
	case nSum:
		f := "sumWithin("
		if s.between {
			f = "sumBetween("
		}
		return f + s.args() + ")" + cmp(n.amt.String())
	case nAvg:
		return "avgWithin(" + s.args() + ")" + cmp(n.amt.String())
	case nThen:
		out := "didThen(" + strconv.Quote(s.name) + ", " + strconv.Quote(n.ev2.name) + ", " + strconv.Quote(windowString(n.window))
		if s.filter != nil || n.ev2.filter != nil {
			fa, fb := "{}", "{}"
			if s.filter != nil {
				fa = filterString(s.filter)
			}
			if n.ev2.filter != nil {
				fb = filterString(n.ev2.filter)
			}
			out += ", " + fa
			if n.ev2.filter != nil {
				out += ", " + fb
			}
		}
		return out + ")"
	}
	return "?"
}

// ---- compiling ---------------------------------------------------------------

// evProp is a property (and value, when not empty) a rule names, for
// warnings and the event schema.
type evProp struct {
	event, key, value string
	pos               int
}

// filterArg reads a property filter: a map literal whose values are a
// string or a list of strings. {} is no filter (nil).
func (c *compiler) filterArg(fn, event string, n ast.Node, depth int) (bitmapindex.Filter, bool) {
	m, ok := n.(*ast.MapNode)
	if !ok {
		o := c.value(n, depth+1)
		if o.kind != opdInvalid {
			c.errorf(o.pos, "%s's last argument is a property filter such as {category: \"math\"}, found %s", fn, o.describe())
		}
		return nil, false
	}
	if !c.visit(m, depth+1) {
		return nil, false
	}
	if len(m.Pairs) > c.opts.limits.MaxListItems {
		c.errorf(m.Location().From, "filter has %d keys, more than the limit of %d", len(m.Pairs), c.opts.limits.MaxListItems)
		return nil, false
	}
	var f bitmapindex.Filter
	seen := map[string]bool{}
	ok = true
	for _, p := range m.Pairs {
		pair, isPair := p.(*ast.PairNode)
		if !isPair {
			c.errorf(p.Location().From, "a filter holds key: value pairs")
			ok = false
			continue
		}
		kpos := pair.Key.Location().From
		var key string
		switch k := pair.Key.(type) {
		case *ast.StringNode:
			key = k.Value
		case *ast.IdentifierNode:
			key = k.Value
		default:
			c.errorf(kpos, "a filter key is a property name (category or \"category\")")
			ok = false
			continue
		}
		if key == "" {
			c.errorf(kpos, "empty property name")
			ok = false
			continue
		}
		if seen[key] {
			c.errorf(kpos, "property %q appears twice in the filter", key)
			ok = false
			continue
		}
		seen[key] = true
		c.evProps = append(c.evProps, evProp{event: event, key: key, pos: kpos})
		v := c.value(pair.Value, depth+2)
		var vals []string
		switch {
		case v.kind == opdInvalid:
			ok = false
			continue
		case v.kind == opdConst && v.lit.kind == litString:
			vals = []string{v.lit.s}
			c.evProps = append(c.evProps, evProp{event: event, key: key, value: v.lit.s, pos: v.pos})
		case v.kind == opdList && len(v.list) > 0:
			for i, it := range v.list {
				if it.kind != litString {
					c.errorf(v.listPos[i], "property values are strings, found %s", it.typeName())
					ok = false
					continue
				}
				vals = append(vals, it.s)
				c.evProps = append(c.evProps, evProp{event: event, key: key, value: it.s, pos: v.listPos[i]})
			}
		default:
			c.errorf(v.pos, "a filter value is a string or a non-empty list of strings, found %s", v.describe())
			ok = false
			continue
		}
		sort.Strings(vals)
		f = append(f, bitmapindex.FilterTerm{Key: key, Values: slices.Compact(vals)})
	}
	if !ok {
		return nil, false
	}
	sort.Slice(f, func(i, j int) bool { return f[i].Key < f[j].Key })
	if len(f) == 0 {
		return nil, true
	}
	return f, true
}

// dayArg reads date("YYYY-MM-DD") as a calendar day.
func (c *compiler) dayArg(fn string, n ast.Node, depth int) (segkit.Day, bool) {
	o := c.value(n, depth+1)
	if o.kind == opdInvalid {
		return 0, false
	}
	if o.kind != opdConst || o.lit.kind != litDay {
		c.errorf(o.pos, "%s needs calendar days: date(\"2026-11-01\"), found %s", fn, o.describe())
		return 0, false
	}
	if o.lit.day > math.MaxInt32 || o.lit.day < math.MinInt32 {
		c.errorf(o.pos, "date is out of range")
		return 0, false
	}
	return segkit.Day(o.lit.day), true
}

// eventSpec reads the arguments of an event form: the event, then its
// days (none, a window, or two dates), then an optional filter.
func (c *compiler) eventSpec(cl callSite, days int, sig string) (*evSpec, bool) {
	args := cl.args
	if len(args) != days+1 && len(args) != days+2 {
		c.errorf(cl.pos, "%s takes %d or %d arguments: %s", cl.name, days+1, days+2, sig)
		return nil, false
	}
	e, ok := c.stringArg(cl.name, args[0], cl.depth)
	s := &evSpec{name: e}
	switch days {
	case 1:
		w, ok2 := c.windowArg(cl.name, args[1], cl.depth)
		ok = ok && ok2
		s.window = w
	case 2:
		a, ok2 := c.dayArg(cl.name, args[1], cl.depth)
		b, ok3 := c.dayArg(cl.name, args[2], cl.depth)
		ok = ok && ok2 && ok3
		if ok2 && ok3 && a > b {
			c.errorf(args[1].Location().From, "%s: the first date (%s) is after the second (%s)", cl.name, formatDay(int64(a)), formatDay(int64(b)))
			ok = false
		}
		s.between, s.from, s.to = true, a, b
	}
	if len(args) == days+2 {
		f, ok2 := c.filterArg(cl.name, e, args[days+1], cl.depth)
		ok = ok && ok2
		s.filter = f
	}
	if !ok {
		return nil, false
	}
	c.events = append(c.events, namePos{e, args[0].Location().From})
	return s, true
}

// callEvent lowers every event form but didThen.
func (c *compiler) callEvent(cl callSite) operand {
	var s *evSpec
	var ok bool
	switch cl.name {
	case "did":
		s, ok = c.eventSpec(cl, 0, `did("event"[, {key: "value"}])`)
	case "didWithin", "firstWithin", "countWithin", "sumWithin", "avgWithin":
		s, ok = c.eventSpec(cl, 1, cl.name+`("event", "30d"[, {key: "value"}])`)
	case "didBetween", "countBetween", "sumBetween":
		s, ok = c.eventSpec(cl, 2, cl.name+`("event", date("2026-11-01"), date("2026-11-11")[, {key: "value"}])`)
	}
	if !ok {
		return operand{}
	}
	switch cl.name {
	case "did", "didWithin", "didBetween":
		return pred(newNode(&pnode{kind: nDid, pos: cl.pos, name: s.name, window: s.window, ev: s}))
	case "firstWithin":
		return pred(newNode(&pnode{kind: nFirst, pos: cl.pos, name: s.name, window: s.window, ev: s}))
	case "countWithin", "countBetween":
		return operand{kind: opdCount, pos: cl.pos, name: s.name, window: s.window, ev: s, fn: cl.name}
	case "sumWithin", "sumBetween":
		return operand{kind: opdSum, pos: cl.pos, name: s.name, window: s.window, ev: s, fn: cl.name}
	}
	return operand{kind: opdAvg, pos: cl.pos, name: s.name, window: s.window, ev: s, fn: cl.name}
}

// callDidThen lowers didThen(a, b, "7d"[, fa[, fb]]).
func (c *compiler) callDidThen(cl callSite) operand {
	const sig = `didThen("a", "b", "7d"[, {key: "value"}[, {key: "value"}]])`
	args := cl.args
	if len(args) < 3 || len(args) > 5 {
		c.errorf(cl.pos, "didThen takes 3 to 5 arguments: %s", sig)
		return operand{}
	}
	a, ok := c.stringArg(cl.name, args[0], cl.depth)
	b, ok2 := c.stringArg(cl.name, args[1], cl.depth)
	w, ok3 := c.windowArg(cl.name, args[2], cl.depth)
	ok = ok && ok2 && ok3
	sa, sb := &evSpec{name: a}, &evSpec{name: b}
	if len(args) > 3 {
		f, good := c.filterArg(cl.name, a, args[3], cl.depth)
		ok = ok && good
		sa.filter = f
	}
	if len(args) > 4 {
		f, good := c.filterArg(cl.name, b, args[4], cl.depth)
		ok = ok && good
		sb.filter = f
	}
	if !ok {
		return operand{}
	}
	if a == b && sa.filter == nil && sb.filter == nil {
		c.errorf(cl.pos, "didThen(%q, %q, …) of one event with itself and no filters is did(%q): filter one side or name two events", a, b, a)
		return operand{}
	}
	c.events = append(c.events, namePos{a, args[0].Location().From}, namePos{b, args[1].Location().From})
	return pred(newNode(&pnode{kind: nThen, pos: cl.pos, name: a, window: w, ev: sa, ev2: sb}))
}

// amountOf converts a rule constant to an exact Amount.
func amountOf(k lit) (bitmapindex.Amount, error) {
	switch k.kind {
	case litInt:
		if k.i > int64(bitmapindex.MaxAmount/10000) || k.i < -int64(bitmapindex.MaxAmount/10000) {
			return 0, fmt.Errorf("%d is out of range for an amount", k.i)
		}
		return bitmapindex.Amount(k.i * 10000), nil
	case litFloat:
		a, err := bitmapindex.AmountFromFloat(k.f)
		if err != nil {
			return 0, fmt.Errorf("amounts have at most 4 fractional digits: %v", err)
		}
		return a, nil
	}
	return 0, fmt.Errorf("expected a number")
}

// amountNode builds sumWithin/avgWithin(…) op k (op never Ne).
func (c *compiler) amountNode(l operand, op opKind, k lit, pos int) *pnode {
	a, err := amountOf(k)
	if err != nil {
		c.errorf(pos, "%s: %s", l.describe(), err.Error())
		return nil
	}
	kind := nSum
	if l.kind == opdAvg {
		kind = nAvg
	}
	return newNode(&pnode{kind: kind, pos: pos, name: l.name, window: l.window, ev: l.ev, op: op, amt: a})
}

// numNode builds `l op k` for an event number: a count, a sum or a mean.
func (c *compiler) numNode(l operand, op opKind, k lit, pos int) *pnode {
	if l.kind == opdCount {
		return c.countNode(l, op, k, pos)
	}
	return c.amountNode(l, op, k, pos)
}

func isEventNumber(k opdKind) bool { return k == opdCount || k == opdSum || k == opdAvg }

// checkEventSchema reports properties an event schema does not declare.
func (c *compiler) checkEventSchema() {
	if c.opts.eventProps == nil {
		return
	}
	for _, p := range c.evProps {
		if p.value != "" {
			continue
		}
		keys, ok := c.opts.eventProps[p.event]
		if !ok {
			continue // an event without declarations: every property allowed
		}
		if !slices.Contains(keys, p.key) {
			c.errorf(p.pos, "event %q has no property %q (declared: %s)%s", p.event, p.key, strings.Join(keys, ", "), suggest(p.key, keys))
		}
	}
}

// WithEventSchema declares the properties of events: for an event in the
// map, a filter naming a property it does not list is a compile error.
// Events not in the map accept every property (an unknown one is a
// warning, see Rule.Warnings).
func WithEventSchema(props map[string][]string) Option {
	return func(o *options) {
		o.eventProps = make(map[string][]string, len(props))
		for e, keys := range props {
			k := slices.Clone(keys)
			sort.Strings(k)
			o.eventProps[e] = k
		}
	}
}

// ---- evaluating on a view ----------------------------------------------------

// evalEvent evaluates an event node on the view.
func (e *evaluator) evalEvent(n *pnode) bits {
	s := n.ev
	from, to := s.days(e.today)
	switch {
	case s.between:
		e.note(n, fmt.Sprintf("days %s..%s", from, to))
	case s.window == 0 && n.kind != nThen:
		e.note(n, fmt.Sprintf("days up to %s", to))
	case n.kind != nThen:
		e.note(n, fmt.Sprintf("days %s..%s", from, to))
	}
	if s.filter != nil {
		e.note(n, joinNote(e.noteOf(n), "filter "+filterString(s.filter)))
	}
	switch n.kind {
	case nDid:
		return fromSet(e.v.DidWhere(s.name, from, to, s.filter))
	case nCount:
		return fromSet(e.v.CountWhere(s.name, from, to, s.filter, n.op, n.n))
	case nFirst:
		return fromSet(e.v.FirstWhere(s.name, from, to, s.filter))
	case nSum:
		return fromSet(e.v.SumWhere(s.name, from, to, s.filter, n.op, n.amt))
	case nAvg:
		return fromSet(e.v.AvgWhere(s.name, from, to, s.filter, n.op, n.amt))
	case nThen:
		e.note(n, fmt.Sprintf("days up to %s", to))
		return fromSet(e.v.DidThen(s.name, n.ev2.name, s.filter, n.ev2.filter, n.window, to))
	}
	return bits{bm: emptyBitmap}
}

// eventCount counts an unfiltered did or count node, or the negation of a
// did node, from the index's per-day counts without building the set
// (View.DidCount, View.CountCount); false for other nodes.
func (e *evaluator) eventCount(n *pnode) (int, bool) {
	neg := n.kind == nNot
	if neg {
		n = n.kids[0]
	}
	if n.ev == nil || n.ev.filter != nil {
		return 0, false
	}
	from, to := n.ev.days(e.today)
	var k int
	switch n.kind {
	case nDid:
		k = e.v.DidCount(n.ev.name, from, to)
	case nCount:
		k = e.v.CountCount(n.ev.name, from, to, n.op, n.n)
	default:
		return 0, false
	}
	if neg {
		k = e.v.Len() - k
	}
	return k, true
}

func (e *evaluator) noteOf(n *pnode) string {
	if e.notes == nil {
		return ""
	}
	return e.notes[n.id]
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

// ---- matching one profile ----------------------------------------------------

// occurrences returns the indexes [i, j) of the profile's occurrences of s
// on its days, with the event's times and details.
func (m *matcher) occurrences(s *evSpec) (ts []time.Time, det []bitmapindex.EventDetail, i, j int) {
	ts = m.p.Events[s.name]
	det = m.p.Details[s.name]
	if len(det) != len(ts) {
		det = nil // no details (or inconsistent ones): values 0, no properties
	}
	from, to := s.days(m.today)
	lo := dayStart(int64(from), m.loc)
	if s.window == 0 && !s.between {
		lo = time.Time{}
	}
	hi := dayStart(int64(to)+1, m.loc)
	i = 0
	if !lo.IsZero() {
		i = lowerBound(ts, lo)
	}
	return ts, det, i, lowerBound(ts, hi)
}

// matches reports whether occurrence i passes the filter.
func matchesAt(f bitmapindex.Filter, det []bitmapindex.EventDetail, i int) bool {
	if f == nil {
		return true
	}
	if det == nil {
		return false
	}
	return f.Matches(det[i].Props)
}

func (m *matcher) matchEvent(n *pnode) bool {
	s := n.ev
	switch n.kind {
	case nDid:
		_, det, i, j := m.occurrences(s)
		for ; i < j; i++ {
			if matchesAt(s.filter, det, i) {
				return true
			}
		}
		return false
	case nCount:
		_, det, i, j := m.occurrences(s)
		c := int64(0)
		for ; i < j; i++ {
			if matchesAt(s.filter, det, i) {
				c++
			}
		}
		return holdsInt(c, n.op, n.n)
	case nFirst:
		ts, det, i, j := m.occurrences(s)
		for k := range ts {
			if matchesAt(s.filter, det, k) {
				return k >= i && k < j
			}
		}
		return false
	case nSum, nAvg:
		_, det, i, j := m.occurrences(s)
		var sum int64
		var cnt int64
		for ; i < j; i++ {
			if !matchesAt(s.filter, det, i) {
				continue
			}
			cnt++
			if det != nil {
				sum = int64(bitmapindex.SumAmounts(bitmapindex.Amount(sum), det[i].Value))
			}
		}
		if n.kind == nSum {
			return holdsCmp(cmpInt(sum, int64(n.amt)), n.op)
		}
		if cnt == 0 {
			return false
		}
		return holdsCmp(bitmapindex.CompareAvg(bitmapindex.Amount(sum), cnt, n.amt), n.op)
	case nThen:
		return m.matchThen(n)
	}
	return false
}

func (m *matcher) matchThen(n *pnode) bool {
	a, b := n.ev, n.ev2
	tsa, deta := m.p.Events[a.name], m.p.Details[a.name]
	tsb, detb := m.p.Events[b.name], m.p.Details[b.name]
	if len(deta) != len(tsa) {
		deta = nil
	}
	if len(detb) != len(tsb) {
		detb = nil
	}
	hi := dayStart(m.today+1, m.loc)
	nb := lowerBound(tsb, hi)
	na := lowerBound(tsa, hi)
	for j := 0; j < nb; j++ {
		if !matchesAt(b.filter, detb, j) {
			continue
		}
		db := int64(segkit.DayOf(tsb[j], m.loc))
		lo, up := dayStart(db-int64(n.window)+1, m.loc), dayStart(db+1, m.loc)
		for i := lowerBound(tsa[:na], lo); i < na && tsa[i].Before(up); i++ {
			if matchesAt(a.filter, deta, i) {
				return true
			}
		}
	}
	return false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func holdsCmp(c int, op opKind) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	}
	return false
}

// eventWarnings reports filter properties and values that no recorded
// occurrence has.
func (r *Rule) eventWarnings(v *bitmapindex.View, add func(pos int, format string, args ...any)) {
	for _, p := range r.evProps {
		vals, ok := v.EventPropertyValues(p.event, p.key)
		switch {
		case p.value == "" && !ok:
			if !slices.Contains(v.Events(), p.event) {
				continue // the unknown event is reported
			}
			add(p.pos, "no occurrence of %q has property %q%s", p.event, p.key, suggest(p.key, v.EventProperties(p.event)))
		case p.value != "" && ok:
			if _, found := slices.BinarySearch(vals, p.value); !found {
				add(p.pos, "no occurrence of %q has %s %q", p.event, p.key, p.value)
			}
		}
	}
}
