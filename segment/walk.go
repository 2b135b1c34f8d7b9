package segment

// The walker: expr's syntax tree → operands → plan nodes. Logical
// operators, comparisons, membership, string matching and lists live here;
// function calls are lowered in calls.go.

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

type opdKind uint8

const (
	opdInvalid   opdKind = iota // an error was already reported
	opdPred                     // a condition
	opdConst                    // a constant
	opdAttr                     // an attribute
	opdDaysSince                // daysSince(attr)
	opdCount                    // countWithin/countBetween(event, …)
	opdSum                      // sumWithin/sumBetween(event, …)
	opdAvg                      // avgWithin(event, …)
	opdRange                    // a..b of integer constants
	opdList                     // [c1, c2, …] of constants
)

type operand struct {
	kind    opdKind
	pos     int
	node    *pnode
	lit     lit
	name    string
	window  int
	lo, hi  int64
	list    []lit
	listPos []int
	ev      *evSpec // opdCount, opdSum, opdAvg
	fn      string  // opdCount, opdSum, opdAvg: the function's name
}

func (o operand) describe() string {
	switch o.kind {
	case opdPred:
		return "a condition"
	case opdConst:
		return o.lit.typeName() + " " + o.lit.String()
	case opdAttr:
		return "attribute " + o.name
	case opdDaysSince:
		return "daysSince(" + o.name + ")"
	case opdCount, opdSum, opdAvg:
		return o.fn + "(" + strconv.Quote(o.name) + ", …)"
	case opdRange:
		return "a range"
	case opdList:
		return "a list"
	}
	return "an invalid expression"
}

// boolean compiles n where a condition is expected. It returns nil after
// reporting an error.
func (c *compiler) boolean(n ast.Node, depth int) *pnode {
	if n == nil {
		return nil
	}
	o := c.value(n, depth)
	return c.asCondition(o)
}

func (c *compiler) asCondition(o operand) *pnode {
	switch o.kind {
	case opdInvalid:
		return nil
	case opdPred:
		return o.node
	case opdConst:
		if o.lit.kind == litBool {
			return constNode(o.lit.b, o.pos)
		}
		c.errorf(o.pos, "expected a condition, found %s", o.describe())
	case opdAttr:
		// A bare attribute is a bool attribute being true: `vip`.
		return c.scalarNode(&scalar{attr: o.name, form: formCmp, op: opEq, a: boolLit(true), pos: o.pos, apos: o.pos}, o.pos)
	case opdDaysSince:
		c.errorf(o.pos, "daysSince(%s) is a number of days, not a condition: compare it, e.g. daysSince(%s) > 30", o.name, o.name)
	case opdCount:
		c.errorf(o.pos, "%s(%q, …) is a number of events, not a condition: compare it, e.g. countWithin(%q, \"90d\") >= 3", o.fn, o.name, o.name)
	case opdSum, opdAvg:
		c.errorf(o.pos, "%s(%q, …) is an amount, not a condition: compare it, e.g. %s(%q, \"90d\") >= 500", o.fn, o.name, o.fn, o.name)
	default:
		c.errorf(o.pos, "expected a condition, found %s", o.describe())
	}
	return nil
}

func (c *compiler) scalarNode(sc *scalar, pos int) *pnode {
	c.scs = append(c.scs, sc)
	c.attrs = append(c.attrs, namePos{sc.attr, pos})
	return newNode(&pnode{kind: nScalar, pos: pos, name: sc.attr, sc: sc})
}

func notNode(k *pnode, pos int) *pnode {
	if k == nil {
		return nil
	}
	return newNode(&pnode{kind: nNot, pos: pos, kids: []*pnode{k}})
}

func pred(n *pnode) operand {
	if n == nil {
		return operand{}
	}
	return operand{kind: opdPred, pos: n.pos, node: n}
}

// value compiles any expression into an operand.
func (c *compiler) value(n ast.Node, depth int) operand {
	if n == nil {
		return operand{}
	}
	pos := n.Location().From
	if !c.visit(n, depth) {
		return operand{}
	}
	switch n := n.(type) {
	case *ast.BoolNode:
		return operand{kind: opdConst, pos: pos, lit: boolLit(n.Value)}
	case *ast.IntegerNode:
		return operand{kind: opdConst, pos: pos, lit: intLit(int64(n.Value))}
	case *ast.FloatNode:
		if c.minInts[pos] {
			c.errorf(pos, "integer %s is out of range (largest: 9223372036854775807)", minIntDigits)
			return operand{}
		}
		if math.IsInf(n.Value, 0) || math.IsNaN(n.Value) {
			c.errorf(pos, "number is out of range")
			return operand{}
		}
		return operand{kind: opdConst, pos: pos, lit: floatLit(n.Value)}
	case *ast.StringNode:
		return operand{kind: opdConst, pos: pos, lit: strLit(n.Value)}
	case *ast.NilNode:
		return operand{kind: opdConst, pos: pos, lit: lit{kind: litNil}}
	case *ast.IdentifierNode:
		return operand{kind: opdAttr, pos: pos, name: n.Value}
	case *ast.UnaryNode:
		return c.unary(n, pos, depth)
	case *ast.BinaryNode:
		return c.binary(n, pos, depth)
	case *ast.ArrayNode:
		return c.list(n, pos, depth)
	case *ast.CallNode:
		return c.call(n, pos, depth)
	case *ast.BuiltinNode:
		c.errorf(pos, "unknown function %s%s", n.Name, builtinHint(n.Name))
	case *ast.MemberNode, *ast.ChainNode:
		c.errorf(pos, "field access is not supported in rules: attribute names are plain identifiers")
	case *ast.ConditionalNode:
		if n.Cond != nil {
			pos = n.Cond.Location().From
		}
		c.errorf(pos, "conditional expressions (?: and if/else) are not supported in rules")
	case *ast.VariableDeclaratorNode:
		c.errorf(pos, "let is not supported in rules")
	case *ast.SequenceNode:
		c.errorf(pos, "a rule is one expression; ; is not supported")
	case *ast.MapNode:
		c.errorf(pos, "maps are not supported in rules")
	case *ast.BytesNode:
		c.errorf(pos, "byte strings are not supported in rules")
	case *ast.SliceNode:
		c.errorf(pos, "slices are not supported in rules")
	case *ast.PointerNode, *ast.PredicateNode:
		c.errorf(pos, "predicates (#, .field) are not supported in rules")
	default:
		c.errorf(pos, "unsupported expression %s", n.String())
	}
	return operand{}
}

func (c *compiler) unary(n *ast.UnaryNode, pos, depth int) operand {
	switch n.Operator {
	case "!", "not":
		k := c.boolean(n.Node, depth+1)
		if k == nil {
			return operand{}
		}
		if k.kind == nConst {
			return operand{kind: opdConst, pos: pos, lit: boolLit(!k.b)}
		}
		return pred(notNode(k, pos))
	case "-", "+":
		if f, ok := n.Node.(*ast.FloatNode); ok && n.Operator == "-" && c.minInts[f.Location().From] {
			c.visit(f, depth+1)
			return operand{kind: opdConst, pos: pos, lit: intLit(math.MinInt64)} // bounds.go
		}
		o := c.value(n.Node, depth+1)
		if o.kind == opdInvalid {
			return o
		}
		if o.kind != opdConst || !o.lit.isNumber() {
			if o.kind == opdAttr || o.kind == opdDaysSince || isEventNumber(o.kind) {
				c.errorf(pos, "arithmetic on %s is not supported: move the constant to the other side of the comparison", o.describe())
			} else {
				c.errorf(pos, "unary %s needs a number, found %s", n.Operator, o.describe())
			}
			return operand{}
		}
		if n.Operator == "+" {
			o.pos = pos
			return o
		}
		if o.lit.kind == litInt {
			if o.lit.i == math.MinInt64 {
				c.errorf(pos, "integer overflow")
				return operand{}
			}
			return operand{kind: opdConst, pos: pos, lit: intLit(-o.lit.i)}
		}
		return operand{kind: opdConst, pos: pos, lit: floatLit(-o.lit.f)}
	}
	c.errorf(pos, "unsupported operator %s", n.Operator)
	return operand{}
}

func (c *compiler) binary(n *ast.BinaryNode, pos, depth int) operand {
	switch n.Operator {
	case "&&", "and", "||", "or":
		// A chain a && b && c is one level, not a nesting per operator.
		l := c.boolean(n.Left, chainDepth(n, n.Left, depth))
		r := c.boolean(n.Right, chainDepth(n, n.Right, depth))
		if l == nil || r == nil {
			return operand{}
		}
		isAnd := n.Operator == "&&" || n.Operator == "and"
		if l.kind == nConst && r.kind == nConst {
			if isAnd {
				return operand{kind: opdConst, pos: pos, lit: boolLit(l.b && r.b)}
			}
			return operand{kind: opdConst, pos: pos, lit: boolLit(l.b || r.b)}
		}
		k := nOr
		if isAnd {
			k = nAnd
		}
		return pred(newNode(&pnode{kind: k, pos: pos, kids: []*pnode{l, r}}))
	case "==", "!=", "<", "<=", ">", ">=":
		return c.comparison(n, pos, depth)
	case "in":
		return c.membership(n, pos, depth)
	case "startsWith", "endsWith", "contains", "matches":
		return c.stringMatch(n, pos, depth)
	case "..":
		l, r := c.value(n.Left, depth+1), c.value(n.Right, depth+1)
		if l.kind == opdInvalid || r.kind == opdInvalid {
			return operand{}
		}
		if l.kind != opdConst || r.kind != opdConst || l.lit.kind != litInt || r.lit.kind != litInt {
			c.errorf(pos, "range bounds must be integer constants, found %s and %s", l.describe(), r.describe())
			return operand{}
		}
		return operand{kind: opdRange, pos: pos, lo: l.lit.i, hi: r.lit.i}
	case "+", "-", "*", "/", "%", "**", "^":
		l, r := c.value(n.Left, depth+1), c.value(n.Right, depth+1)
		if l.kind == opdInvalid || r.kind == opdInvalid {
			return operand{}
		}
		if l.kind != opdConst || r.kind != opdConst {
			bad := l
			if l.kind == opdConst {
				bad = r
			}
			if bad.kind == opdAttr || bad.kind == opdDaysSince || isEventNumber(bad.kind) {
				c.errorf(pos, "arithmetic on %s is not supported: move the constant to the other side of the comparison", bad.describe())
			} else {
				c.errorf(pos, "operator %s needs constants, found %s", n.Operator, bad.describe())
			}
			return operand{}
		}
		v, err := foldArith(n.Operator, l.lit, r.lit)
		if err != nil {
			c.errorf(pos, "%s", err.Error())
			return operand{}
		}
		return operand{kind: opdConst, pos: pos, lit: v}
	case "??":
		c.errorf(pos, "?? is not supported in rules")
	case "|":
		c.errorf(pos, "pipes are not supported in rules")
	default:
		c.errorf(pos, "unsupported operator %s", n.Operator)
	}
	return operand{}
}

func logicalFamily(op string) string {
	switch op {
	case "&&", "and":
		return "and"
	case "||", "or":
		return "or"
	}
	return ""
}

// chainDepth is the depth of a child of a logical operator: the same as the
// parent's for the same operator, one more otherwise.
func chainDepth(parent *ast.BinaryNode, child ast.Node, depth int) int {
	if b, ok := child.(*ast.BinaryNode); ok && logicalFamily(b.Operator) == logicalFamily(parent.Operator) {
		return depth
	}
	return depth + 1
}

func isValueOperand(k opdKind) bool {
	return k == opdAttr || k == opdDaysSince || isEventNumber(k)
}

func (c *compiler) comparison(n *ast.BinaryNode, pos, depth int) operand {
	op, _ := parseOp(n.Operator)
	l, r := c.value(n.Left, depth+1), c.value(n.Right, depth+1)
	if l.kind == opdInvalid || r.kind == opdInvalid {
		return operand{}
	}
	if l.kind == opdConst && r.kind == opdConst {
		b, err := foldCompare(n.Operator, l.lit, r.lit)
		if err != nil {
			c.errorf(pos, "%s", err.Error())
			return operand{}
		}
		return operand{kind: opdConst, pos: pos, lit: boolLit(b)}
	}
	if l.kind == opdConst && (isValueOperand(r.kind) || r.kind == opdPred) {
		l, r = r, l
		op = flipOp(op)
	}
	if r.kind != opdConst {
		switch {
		case isValueOperand(l.kind) && isValueOperand(r.kind):
			c.errorf(pos, "cannot compare %s with %s: one side must be a constant", l.describe(), r.describe())
		default:
			c.errorf(pos, "cannot compare %s with %s", l.describe(), r.describe())
		}
		return operand{}
	}
	k := r.lit
	switch l.kind {
	case opdPred:
		// cond == true, cond != false, …
		if k.kind != litBool || (op != opEq && op != opNe) {
			c.errorf(pos, "a condition can only be compared with == or != true/false")
			return operand{}
		}
		if (op == opEq) == k.b {
			return l
		}
		return pred(notNode(l.node, pos))
	case opdAttr:
		if k.kind == litNil {
			switch op {
			case opEq:
				return pred(notNode(c.present(l.name, pos), pos))
			case opNe:
				return pred(c.present(l.name, pos))
			}
			c.errorf(pos, "nil can only be compared with == or !=")
			return operand{}
		}
		eq := op
		if op == opNe {
			eq = opEq
		}
		node := c.scalarNode(&scalar{attr: l.name, form: formCmp, op: eq, a: k, pos: pos, apos: l.pos}, pos)
		if op == opNe {
			node = notNode(node, pos)
		}
		return pred(node)
	case opdDaysSince:
		if !k.isNumber() {
			c.errorf(r.pos, "daysSince(%s) is a number of days: compare it with a number, not %s", l.name, r.describe())
			return operand{}
		}
		eq := op
		if op == opNe {
			eq = opEq
		}
		node := c.scalarNode(&scalar{attr: l.name, form: formDaysCmp, op: eq, a: k, pos: pos, apos: l.pos}, l.pos)
		if op == opNe {
			node = notNode(node, pos)
		}
		return pred(node)
	case opdCount, opdSum, opdAvg:
		if !k.isNumber() {
			what := "a number of events"
			if l.kind != opdCount {
				what = "an amount"
			}
			c.errorf(r.pos, "%s is %s: compare it with a number, not %s", l.describe(), what, r.describe())
			return operand{}
		}
		eq := op
		if op == opNe {
			eq = opEq
		}
		node := c.numNode(l, eq, k, pos)
		if op == opNe {
			node = notNode(node, pos)
		}
		return pred(node)
	}
	c.errorf(pos, "cannot compare %s with %s", l.describe(), r.describe())
	return operand{}
}

// countNode builds countWithin(e, w) op k; fractional and out-of-range
// constants are normalised (counts are integers ≥ 0 and defined for every
// customer).
func (c *compiler) membership(n *ast.BinaryNode, pos, depth int) operand {
	l, r := c.value(n.Left, depth+1), c.value(n.Right, depth+1)
	if l.kind == opdInvalid || r.kind == opdInvalid {
		return operand{}
	}
	switch r.kind {
	case opdAttr:
		// "math" in interests
		if l.kind != opdConst || l.lit.kind != litString {
			c.errorf(pos, "in with an attribute on the right needs a string on the left (\"math\" in %s), found %s", r.name, l.describe())
			return operand{}
		}
		c.attrs = append(c.attrs, namePos{r.name, r.pos})
		c.uses = append(c.uses, attrUse{name: r.name, pos: r.pos, need: setKind, what: "\"value\" in attribute"})
		c.values = append(c.values, valuePos{r.name, l.lit.s, l.pos})
		return pred(newNode(&pnode{kind: nSetHas, pos: pos, name: r.name, str: l.lit.s}))
	case opdRange:
		lo, hi := intLit(r.lo), intLit(r.hi)
		switch l.kind {
		case opdConst:
			if !l.lit.isNumber() {
				c.errorf(pos, "cannot test %s in a range", l.describe())
				return operand{}
			}
			x := l.lit.number()
			return operand{kind: opdConst, pos: pos, lit: boolLit(x >= float64(r.lo) && x <= float64(r.hi))}
		case opdAttr:
			return pred(c.scalarNode(&scalar{attr: l.name, form: formRange, a: lo, b: hi, pos: pos, apos: l.pos}, pos))
		case opdDaysSince:
			return pred(c.scalarNode(&scalar{attr: l.name, form: formDaysRange, a: lo, b: hi, pos: pos, apos: l.pos}, l.pos))
		case opdCount, opdSum, opdAvg:
			return pred(c.countRange(l, lo, hi, pos))
		}
	case opdList:
		switch l.kind {
		case opdConst:
			for _, it := range r.list {
				if b, err := foldCompare("==", l.lit, it); err == nil && b {
					return operand{kind: opdConst, pos: pos, lit: boolLit(true)}
				}
			}
			return operand{kind: opdConst, pos: pos, lit: boolLit(false)}
		case opdAttr:
			items := make([]scalar, 0, len(r.list)) // sized once: compile memory stays linear (bounds.go)
			var kids []*pnode
			for i, it := range r.list {
				if it.kind == litNil {
					kids = append(kids, notNode(c.present(l.name, r.listPos[i]), r.listPos[i]))
					continue
				}
				items = append(items, scalar{attr: l.name, form: formCmp, op: opEq, a: it, pos: r.listPos[i], apos: l.pos})
				if it.kind == litString {
					c.values = append(c.values, valuePos{l.name, it.s, r.listPos[i]})
				}
			}
			c.attrs = append(c.attrs, namePos{l.name, l.pos})
			if len(items) > 0 {
				in := &pnode{kind: nIn, pos: pos, name: l.name, items: items}
				for i := range in.items {
					c.scs = append(c.scs, &in.items[i])
				}
				kids = append(kids, newNode(in))
			}
			switch len(kids) {
			case 0:
				return operand{kind: opdConst, pos: pos, lit: boolLit(false)}
			case 1:
				return pred(kids[0])
			}
			return pred(newNode(&pnode{kind: nOr, pos: pos, kids: kids}))
		case opdDaysSince, opdCount, opdSum, opdAvg:
			var kids []*pnode
			for i, it := range r.list {
				if !it.isNumber() {
					c.errorf(r.listPos[i], "%s is a number: list items must be numbers, found %s", l.describe(), it.typeName())
					continue
				}
				if isEventNumber(l.kind) {
					if k := c.numNode(l, opEq, it, r.listPos[i]); k != nil {
						kids = append(kids, k)
					}
				} else {
					kids = append(kids, c.scalarNode(&scalar{attr: l.name, form: formDaysCmp, op: opEq, a: it, pos: r.listPos[i], apos: l.pos}, r.listPos[i]))
				}
			}
			if len(kids) == 0 {
				return operand{kind: opdConst, pos: pos, lit: boolLit(false)}
			}
			return pred(newNode(&pnode{kind: nOr, pos: pos, kids: kids}))
		}
	}
	c.errorf(pos, "unsupported use of in: %s in %s (write x in [\"a\", \"b\"], x in 1..5 or \"v\" in setAttribute)", l.describe(), r.describe())
	return operand{}
}

func (c *compiler) stringMatch(n *ast.BinaryNode, pos, depth int) operand {
	l, r := c.value(n.Left, depth+1), c.value(n.Right, depth+1)
	if l.kind == opdInvalid || r.kind == opdInvalid {
		return operand{}
	}
	if r.kind != opdConst || r.lit.kind != litString {
		c.errorf(r.pos, "%s needs a string constant on the right, found %s", n.Operator, r.describe())
		return operand{}
	}
	var re *regexp.Regexp
	if n.Operator == "matches" {
		var err error
		re, err = compileRegex(r.lit.s, c.opts.limits) // bounds.go
		if err != nil {
			c.errorf(r.pos, "bad regular expression %s: %s", strconv.Quote(r.lit.s), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			return operand{}
		}
	}
	switch l.kind {
	case opdConst:
		if l.lit.kind != litString {
			break
		}
		return operand{kind: opdConst, pos: pos, lit: boolLit(stringOp(n.Operator, re, l.lit.s, r.lit.s))}
	case opdAttr:
		c.attrs = append(c.attrs, namePos{l.name, l.pos})
		c.uses = append(c.uses, attrUse{name: l.name, pos: pos, need: setKind | categoryKind, what: n.Operator})
		return pred(newNode(&pnode{kind: nStrMatch, pos: pos, name: l.name, str: r.lit.s, smOp: n.Operator, re: re}))
	}
	c.errorf(pos, "%s needs a category or set attribute on the left, found %s", n.Operator, l.describe())
	return operand{}
}

func stringOp(op string, re *regexp.Regexp, s, arg string) bool {
	switch op {
	case "startsWith":
		return strings.HasPrefix(s, arg)
	case "endsWith":
		return strings.HasSuffix(s, arg)
	case "contains":
		return strings.Contains(s, arg)
	case "matches":
		return re.MatchString(s)
	}
	return false
}

func (c *compiler) list(n *ast.ArrayNode, pos, depth int) operand {
	if len(n.Nodes) > c.opts.limits.MaxListItems {
		c.errorf(pos, "list has %d items, more than the limit of %d", len(n.Nodes), c.opts.limits.MaxListItems)
		return operand{}
	}
	o := operand{kind: opdList, pos: pos}
	ok := true
	for _, it := range n.Nodes {
		c.nodes-- // list items do not count against MaxNodes
		v := c.value(it, depth+1)
		if v.kind == opdInvalid {
			ok = false
			continue
		}
		if v.kind != opdConst {
			c.errorf(v.pos, "list items must be constants, found %s", v.describe())
			ok = false
			continue
		}
		o.list = append(o.list, v.lit)
		o.listPos = append(o.listPos, v.pos)
	}
	_ = ok // items in error were reported; keep the rest so their types are checked too
	return o
}
