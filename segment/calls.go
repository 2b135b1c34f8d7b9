package segment

// The lowering of each rule function (a call form) into an operand or a
// plan node, and the argument readers they share.

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
)

// A call form is lowered by its own method below; call checks the callee
// and dispatches on the function's name. Every lowering reports its own
// argument errors and returns an invalid operand after reporting.

// callSite is one call of a rule function: its name, arguments and position.
type callSite struct {
	name  string
	args  []ast.Node
	pos   int
	depth int
}

// argc reports a wrong number of arguments; sig shows the right form.
func (c *compiler) argc(cl callSite, want int, sig string) bool {
	if len(cl.args) != want {
		c.errorf(cl.pos, "%s takes %d argument%s: %s", cl.name, want, plural(want), sig)
		return false
	}
	return true
}

func (c *compiler) call(n *ast.CallNode, pos, depth int) operand {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		c.errorf(pos, "method calls are not supported in rules")
		return operand{}
	}
	cl := callSite{name: id.Value, args: n.Arguments, pos: pos, depth: depth}
	switch cl.name {
	case "has":
		return c.callHas(cl)
	case "hasAny", "hasAll", "hasNone":
		return c.callHasList(cl)
	case "exists", "missing":
		return c.callPresence(cl)
	case "between":
		return c.callBetween(cl)
	case "daysSince":
		return c.callDaysSince(cl)
	case "within":
		return c.callWithin(cl)
	case "date":
		return c.callDate(cl)
	case "did", "didWithin", "firstWithin", "countWithin", "sumWithin", "avgWithin",
		"didBetween", "countBetween", "sumBetween":
		return c.callEvent(cl) // events.go
	case "didThen":
		return c.callDidThen(cl)
	case "inSegment":
		return c.callInSegment(cl)
	}
	c.errorf(pos, "unknown function %s%s", cl.name, suggest(cl.name, functionNames))
	return operand{}
}

// has("tag")
func (c *compiler) callHas(cl callSite) operand {
	if !c.argc(cl, 1, `has("tag")`) {
		return operand{}
	}
	s, ok := c.stringArg(cl.name, cl.args[0], cl.depth)
	if !ok {
		return operand{}
	}
	return pred(c.tag(s, cl.args[0].Location().From))
}

// hasAny/hasAll/hasNone("a", "b", …) or (["a", "b", …])
func (c *compiler) callHasList(cl callSite) operand {
	names, poss, ok := c.tagList(cl.name, cl.args, cl.pos, cl.depth)
	if !ok {
		return operand{}
	}
	kids := make([]*pnode, len(names))
	for i, s := range names {
		kids[i] = c.tag(s, poss[i])
	}
	var node *pnode
	switch {
	case len(kids) == 1:
		node = kids[0]
	case cl.name == "hasAll":
		node = newNode(&pnode{kind: nAnd, pos: cl.pos, kids: kids})
	default:
		node = newNode(&pnode{kind: nOr, pos: cl.pos, kids: kids})
	}
	if cl.name == "hasNone" {
		node = notNode(node, cl.pos)
	}
	return pred(node)
}

// exists(x), missing(x)
func (c *compiler) callPresence(cl callSite) operand {
	if !c.argc(cl, 1, cl.name+"(attribute)") {
		return operand{}
	}
	a, ok := c.attrArg(cl.name, cl.args[0], cl.depth)
	if !ok {
		return operand{}
	}
	node := c.present(a, cl.args[0].Location().From)
	if cl.name == "missing" {
		node = notNode(node, cl.pos)
	}
	return pred(node)
}

// between(x, lo, hi), inclusive, for attributes, daysSince and countWithin.
func (c *compiler) callBetween(cl callSite) operand {
	if !c.argc(cl, 3, "between(x, lo, hi)") {
		return operand{}
	}
	args, depth, pos := cl.args, cl.depth, cl.pos
	x := c.value(args[0], depth+1)
	lo, hi := c.value(args[1], depth+1), c.value(args[2], depth+1)
	if x.kind == opdInvalid || lo.kind == opdInvalid || hi.kind == opdInvalid {
		return operand{}
	}
	for _, b := range []operand{lo, hi} {
		if b.kind != opdConst {
			c.errorf(b.pos, "between bounds must be constants, found %s", b.describe())
			return operand{}
		}
	}
	switch x.kind {
	case opdAttr:
		return pred(c.scalarNode(&scalar{attr: x.name, form: formRange, a: lo.lit, b: hi.lit, pos: pos, apos: x.pos}, pos))
	case opdDaysSince, opdCount, opdSum, opdAvg:
		for _, b := range []operand{lo, hi} {
			if !b.lit.isNumber() {
				c.errorf(b.pos, "%s is a number: between bounds must be numbers, found %s", x.describe(), b.describe())
				return operand{}
			}
		}
		if isEventNumber(x.kind) {
			return pred(c.countRange(x, lo.lit, hi.lit, pos))
		}
		return pred(c.scalarNode(&scalar{attr: x.name, form: formDaysRange, a: lo.lit, b: hi.lit, pos: pos, apos: x.pos}, x.pos))
	case opdConst:
		if x.lit.isNumber() && lo.lit.isNumber() && hi.lit.isNumber() {
			v := x.lit.number()
			return operand{kind: opdConst, pos: pos, lit: boolLit(v >= lo.lit.number() && v <= hi.lit.number())}
		}
	}
	c.errorf(x.pos, "between needs an attribute, daysSince(…), countWithin(…), sumWithin(…) or avgWithin(…) first, found %s", x.describe())
	return operand{}
}

// daysSince(timeAttribute): a number operand, compared by the walker.
func (c *compiler) callDaysSince(cl callSite) operand {
	if !c.argc(cl, 1, "daysSince(timeAttribute)") {
		return operand{}
	}
	a, ok := c.attrArg(cl.name, cl.args[0], cl.depth)
	if !ok {
		return operand{}
	}
	return operand{kind: opdDaysSince, pos: cl.pos, name: a}
}

// within(timeAttribute, "7d")
func (c *compiler) callWithin(cl callSite) operand {
	if !c.argc(cl, 2, `within(timeAttribute, "7d")`) {
		return operand{}
	}
	a, ok := c.attrArg(cl.name, cl.args[0], cl.depth)
	w, ok2 := c.windowArg(cl.name, cl.args[1], cl.depth)
	if !ok || !ok2 {
		return operand{}
	}
	return pred(c.scalarNode(&scalar{attr: a, form: formWithin, window: w, pos: cl.pos, apos: cl.args[0].Location().From}, cl.pos))
}

// date("2025-01-31"): a time constant.
func (c *compiler) callDate(cl callSite) operand {
	if !c.argc(cl, 1, `date("2025-01-31")`) {
		return operand{}
	}
	s, ok := c.stringArg(cl.name, cl.args[0], cl.depth)
	if !ok {
		return operand{}
	}
	l, err := parseDate(s)
	if err != nil {
		c.errorf(cl.args[0].Location().From, "%s", err.Error())
		return operand{}
	}
	return operand{kind: opdConst, pos: cl.pos, lit: l}
}

// inSegment("name")
func (c *compiler) callInSegment(cl callSite) operand {
	if !c.argc(cl, 1, `inSegment("name")`) {
		return operand{}
	}
	s, ok := c.stringArg(cl.name, cl.args[0], cl.depth)
	if !ok {
		return operand{}
	}
	if s == "" {
		c.errorf(cl.args[0].Location().From, "inSegment needs a segment name")
		return operand{}
	}
	if _, dup := c.refs[s]; !dup {
		c.refs[s] = cl.pos
	}
	return pred(newNode(&pnode{kind: nRef, pos: cl.pos, name: s}))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (c *compiler) tag(name string, pos int) *pnode {
	c.tags = append(c.tags, namePos{name, pos})
	return newNode(&pnode{kind: nTag, pos: pos, name: name})
}

// tagList reads hasAny("a", "b") or hasAny(["a", "b"]).
func (c *compiler) tagList(fn string, args []ast.Node, pos, depth int) ([]string, []int, bool) {
	if len(args) == 1 {
		if arr, ok := args[0].(*ast.ArrayNode); ok {
			args = arr.Nodes
		}
	}
	if len(args) == 0 {
		c.errorf(pos, "%s needs at least one tag", fn)
		return nil, nil, false
	}
	if len(args) > c.opts.limits.MaxListItems {
		c.errorf(pos, "%s has %d tags, more than the limit of %d", fn, len(args), c.opts.limits.MaxListItems)
		return nil, nil, false
	}
	var names []string
	var poss []int
	ok := true
	for _, a := range args {
		c.nodes--
		s, good := c.stringArg(fn, a, depth)
		if !good {
			ok = false
			continue
		}
		names = append(names, s)
		poss = append(poss, a.Location().From)
	}
	return names, poss, ok
}

func (c *compiler) stringArg(fn string, n ast.Node, depth int) (string, bool) {
	o := c.value(n, depth+1)
	if o.kind == opdInvalid {
		return "", false
	}
	if o.kind != opdConst || o.lit.kind != litString {
		hint := ""
		if o.kind == opdAttr {
			hint = fmt.Sprintf(" (quote it: %q)", o.name)
		}
		c.errorf(o.pos, "%s needs a string constant, found %s%s", fn, o.describe(), hint)
		return "", false
	}
	return o.lit.s, true
}

func (c *compiler) attrArg(fn string, n ast.Node, depth int) (string, bool) {
	o := c.value(n, depth+1)
	if o.kind == opdInvalid {
		return "", false
	}
	if o.kind != opdAttr {
		hint := ""
		if o.kind == opdConst && o.lit.kind == litString {
			hint = fmt.Sprintf(" (attributes are not quoted: %s)", o.lit.s)
		}
		c.errorf(o.pos, "%s needs an attribute name, found %s%s", fn, o.describe(), hint)
		return "", false
	}
	return o.name, true
}

func (c *compiler) windowArg(fn string, n ast.Node, depth int) (int, bool) {
	o := c.value(n, depth+1)
	if o.kind == opdInvalid {
		return 0, false
	}
	if o.kind != opdConst || o.lit.kind != litString {
		c.errorf(o.pos, "%s needs a duration string such as \"7d\", \"2w\", \"3mo\" or \"1y\", found %s", fn, o.describe())
		return 0, false
	}
	w, err := parseWindow(o.lit.s)
	if err != nil {
		c.errorf(o.pos, "%s", err.Error())
		return 0, false
	}
	return w, true
}
func (c *compiler) countNode(l operand, op opKind, k lit, pos int) *pnode {
	nc := normInt(op, k)
	switch {
	case nc.all:
		return constNode(true, pos)
	case nc.none:
		return constNode(false, pos)
	}
	// Counts are never negative: fold what that decides.
	switch {
	case (nc.op == opGe && nc.n <= 0) || (nc.op == opGt && nc.n < 0):
		return constNode(true, pos)
	case (nc.op == opLt && nc.n <= 0) || (nc.op == opLe && nc.n < 0) || (nc.op == opEq && nc.n < 0):
		return constNode(false, pos)
	}
	return newNode(&pnode{kind: nCount, pos: pos, name: l.name, window: l.window, op: nc.op, n: nc.n, ev: l.ev})
}

func (c *compiler) present(attr string, pos int) *pnode {
	c.attrs = append(c.attrs, namePos{attr, pos})
	c.uses = append(c.uses, attrUse{name: attr, pos: pos, need: anyKind, what: "exists"})
	return newNode(&pnode{kind: nPresent, pos: pos, name: attr})
}

func (c *compiler) countRange(l operand, lo, hi lit, pos int) *pnode {
	if l.kind != opdCount {
		a, b := c.amountNode(l, opGe, lo, pos), c.amountNode(l, opLe, hi, pos)
		if a == nil || b == nil {
			return nil
		}
		return newNode(&pnode{kind: nAnd, pos: pos, kids: []*pnode{a, b}})
	}
	a, b, ok := intRange(lo, hi)
	if !ok {
		return constNode(false, pos)
	}
	return newNode(&pnode{kind: nAnd, pos: pos, kids: []*pnode{
		c.countNode(l, opGe, intLit(a), pos),
		c.countNode(l, opLe, intLit(b), pos),
	}})
}
