package segment

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/parser/lexer"

	"github.com/segkit/segkit/bitmapindex"
)

// The rule language's functions. They are registered with expr's parser so
// that its builtins of the same or similar names (date, count, all, …) do
// not capture them.
var functionNames = []string{
	"has", "hasAny", "hasAll", "hasNone",
	"exists", "missing", "between",
	"daysSince", "within", "date",
	"did", "didWithin", "countWithin", "firstWithin",
	"inSegment",
}

var functionTable = func() conf.FunctionsTable {
	t := make(conf.FunctionsTable, len(functionNames))
	for _, n := range functionNames {
		t[n] = &builtin.Function{Name: n}
	}
	return t
}()

// compiler walks expr's syntax tree into a plan, collecting every problem.
type compiler struct {
	pos    positions
	opts   *options
	errs   ErrorList
	nodes  int
	overN  bool // node limit already reported
	overD  bool // depth limit already reported
	refs   map[string]int
	tags   []namePos
	events []namePos
	values []valuePos
	attrs  []namePos
	scs    []*scalar
	uses   []attrUse
}

// attrUse is a use of an attribute outside comparisons, checked against the
// attribute's kind (at compile time with a schema, else at evaluation).
type attrUse struct {
	name string
	pos  int
	need kindMask
	what string
	ai   int // index into Rule.attrNames
}

type kindMask uint8

const (
	anyKind      kindMask = 0
	setKind      kindMask = 1
	categoryKind kindMask = 2
)

func (u attrUse) check(def bitmapindex.Attribute) error {
	switch u.need {
	case setKind:
		if def.Kind != bitmapindex.KindSet {
			if def.Kind == bitmapindex.KindCategory {
				return fmt.Errorf("%s needs a set attribute; %s is category: write %s == \"value\"", u.what, u.name, u.name)
			}
			return fmt.Errorf("%s needs a set attribute; %s is %s", u.what, u.name, def.Kind)
		}
	case setKind | categoryKind:
		if def.Kind != bitmapindex.KindSet && def.Kind != bitmapindex.KindCategory {
			return fmt.Errorf("%s needs a category or set attribute; %s is %s", u.what, u.name, def.Kind)
		}
	}
	return nil
}

type namePos struct {
	name string
	pos  int
}

type valuePos struct {
	attr, value string
	pos         int
}

func (c *compiler) errorf(pos int, format string, args ...any) {
	c.errs = append(c.errs, c.pos.errorAt(pos, format, args...))
}

func compile(src string, o *options) (*Rule, error) {
	c := &compiler{pos: positions{src}, opts: o, refs: map[string]int{}}
	if strings.TrimSpace(src) == "" {
		c.errorf(0, "empty rule")
		return nil, c.errs
	}
	if !c.prescan(src) {
		return nil, c.errs
	}
	cfg := &conf.Config{
		MaxNodes:          uint(4*(o.limits.MaxNodes+o.limits.MaxListItems) + 64),
		Functions:         functionTable,
		Disabled:          map[string]bool{},
		DisableIfOperator: true,
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		c.parseError(err)
		return nil, c.errs
	}
	root := c.boolean(tree.Node, 1)
	for i, sc := range c.scs {
		sc.idx = i
		c.resolveStatic(sc)
	}
	if c.opts.schema != nil {
		for _, u := range c.uses {
			def, ok := c.opts.schema[u.name]
			if !ok {
				c.errorf(u.pos, "unknown attribute %q%s", u.name, suggest(u.name, schemaNames(c.opts.schema)))
				continue
			}
			if err := u.check(def); err != nil {
				c.errorf(u.pos, "%s", err.Error())
			}
		}
	}
	if len(c.errs) > 0 {
		c.errs.sort()
		return nil, c.errs
	}
	plan := optimize(root)
	r := &Rule{
		src:    src,
		root:   plan,
		opts:   *o,
		tags:   c.tags,
		events: c.events,
		values: c.values,
		attrs:  c.attrs,
		scs:    c.scs,
		uses:   c.uses,
	}
	r.nnodes = number(plan, 0)
	r.indexAttributes()
	for name, pos := range c.refs {
		r.refs = append(r.refs, namePos{name, pos})
	}
	sort.Slice(r.refs, func(i, j int) bool { return r.refs[i].name < r.refs[j].name })
	return r, nil
}

// prescan bounds the input before expr's recursive-descent parser sees it:
// a bounded number of tokens and bracket nesting no deeper than MaxDepth.
func (c *compiler) prescan(src string) bool {
	toks, err := lexer.Lex(file.NewSource(src))
	if err != nil {
		c.parseError(err)
		return false
	}
	maxTokens := 4*(c.opts.limits.MaxNodes+c.opts.limits.MaxListItems) + 64
	depth := 0
	for i, t := range toks {
		if i > maxTokens {
			c.errorf(t.From, "rule is too long (more than %d tokens)", maxTokens)
			return false
		}
		if t.Kind != lexer.Bracket {
			continue
		}
		switch t.Value {
		case "(", "[", "{":
			depth++
			if depth > c.opts.limits.MaxDepth {
				c.errorf(t.From, "rule is nested deeper than %d levels", c.opts.limits.MaxDepth)
				return false
			}
		default:
			depth--
		}
	}
	return true
}

var tokenRE = regexp.MustCompile(`(Identifier|Number|String|Bytes|Operator|Bracket)\("((?:[^"\\]|\\.)*)"\)`)

// parseError converts expr's *file.Error (first syntax error only: expr's
// parser stops there) into ours, with expr's token names made readable.
func (c *compiler) parseError(err error) {
	var fe *file.Error
	if !errors.As(err, &fe) {
		c.errorf(0, "%s", err.Error())
		return
	}
	msg := fe.Message
	if strings.Contains(msg, "maximum allowed nodes") {
		msg = fmt.Sprintf("rule has more than %d nodes", c.opts.limits.MaxNodes)
	}
	msg = strings.ReplaceAll(msg, "unexpected token EOF", "unexpected end of rule")
	msg = tokenRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := tokenRE.FindStringSubmatch(m)
		if s, err := strconv.Unquote(`"` + sub[2] + `"`); err == nil {
			return strconv.Quote(s)
		}
		return sub[2]
	})
	c.errorf(fe.From, "%s", msg)
}

// visit counts a node against the limits; false means stop descending.
func (c *compiler) visit(n ast.Node, depth int) bool {
	c.nodes++
	if c.nodes > c.opts.limits.MaxNodes {
		if !c.overN {
			c.overN = true
			c.errorf(n.Location().From, "rule has more than %d nodes", c.opts.limits.MaxNodes)
		}
		return false
	}
	if depth > c.opts.limits.MaxDepth {
		if !c.overD {
			c.overD = true
			c.errorf(n.Location().From, "rule is nested deeper than %d levels", c.opts.limits.MaxDepth)
		}
		return false
	}
	return true
}

// ---- operands ----------------------------------------------------------------

type opdKind uint8

const (
	opdInvalid   opdKind = iota // an error was already reported
	opdPred                     // a condition
	opdConst                    // a constant
	opdAttr                     // an attribute
	opdDaysSince                // daysSince(attr)
	opdCount                    // countWithin(event, window)
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
	case opdCount:
		return "countWithin(" + strconv.Quote(o.name) + ", …)"
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
		c.errorf(o.pos, "countWithin(%q, …) is a number of events, not a condition: compare it, e.g. countWithin(%q, \"90d\") >= 3", o.name, o.name)
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
		o := c.value(n.Node, depth+1)
		if o.kind == opdInvalid {
			return o
		}
		if o.kind != opdConst || !o.lit.isNumber() {
			if o.kind == opdAttr || o.kind == opdDaysSince || o.kind == opdCount {
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
			if bad.kind == opdAttr || bad.kind == opdDaysSince || bad.kind == opdCount {
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
	return k == opdAttr || k == opdDaysSince || k == opdCount
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
	case opdCount:
		if !k.isNumber() {
			c.errorf(r.pos, "countWithin(%q, …) is a number of events: compare it with a number, not %s", l.name, r.describe())
			return operand{}
		}
		eq := op
		if op == opNe {
			eq = opEq
		}
		node := c.countNode(l, eq, k, pos)
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
	c.events = append(c.events, namePos{l.name, l.pos})
	return newNode(&pnode{kind: nCount, pos: pos, name: l.name, window: l.window, op: nc.op, n: nc.n})
}

func (c *compiler) present(attr string, pos int) *pnode {
	c.attrs = append(c.attrs, namePos{attr, pos})
	c.uses = append(c.uses, attrUse{name: attr, pos: pos, need: anyKind, what: "exists"})
	return newNode(&pnode{kind: nPresent, pos: pos, name: attr})
}

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
		case opdCount:
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
			var items []scalar
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
		case opdDaysSince, opdCount:
			var kids []*pnode
			for i, it := range r.list {
				if !it.isNumber() {
					c.errorf(r.listPos[i], "%s is a number: list items must be numbers, found %s", l.describe(), it.typeName())
					continue
				}
				if l.kind == opdCount {
					kids = append(kids, c.countNode(l, opEq, it, r.listPos[i]))
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

func (c *compiler) countRange(l operand, lo, hi lit, pos int) *pnode {
	a, b, ok := intRange(lo, hi)
	if !ok {
		return constNode(false, pos)
	}
	return newNode(&pnode{kind: nAnd, pos: pos, kids: []*pnode{
		c.countNode(l, opGe, intLit(a), pos),
		c.countNode(l, opLe, intLit(b), pos),
	}})
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
		re, err = regexp.Compile(r.lit.s)
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

// ---- function calls ----------------------------------------------------------

func (c *compiler) call(n *ast.CallNode, pos, depth int) operand {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		c.errorf(pos, "method calls are not supported in rules")
		return operand{}
	}
	name := id.Value
	args := n.Arguments
	argc := func(want int, sig string) bool {
		if len(args) != want {
			c.errorf(pos, "%s takes %d argument%s: %s", name, want, plural(want), sig)
			return false
		}
		return true
	}
	switch name {
	case "has":
		if !argc(1, `has("tag")`) {
			return operand{}
		}
		s, ok := c.stringArg(name, args[0], depth)
		if !ok {
			return operand{}
		}
		return pred(c.tag(s, args[0].Location().From))
	case "hasAny", "hasAll", "hasNone":
		names, poss, ok := c.tagList(name, args, pos, depth)
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
		case name == "hasAll":
			node = newNode(&pnode{kind: nAnd, pos: pos, kids: kids})
		default:
			node = newNode(&pnode{kind: nOr, pos: pos, kids: kids})
		}
		if name == "hasNone" {
			node = notNode(node, pos)
		}
		return pred(node)
	case "exists", "missing":
		if !argc(1, name+"(attribute)") {
			return operand{}
		}
		a, ok := c.attrArg(name, args[0], depth)
		if !ok {
			return operand{}
		}
		node := c.present(a, args[0].Location().From)
		if name == "missing" {
			node = notNode(node, pos)
		}
		return pred(node)
	case "between":
		if !argc(3, "between(x, lo, hi)") {
			return operand{}
		}
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
		case opdDaysSince, opdCount:
			for _, b := range []operand{lo, hi} {
				if !b.lit.isNumber() {
					c.errorf(b.pos, "%s is a number: between bounds must be numbers, found %s", x.describe(), b.describe())
					return operand{}
				}
			}
			if x.kind == opdCount {
				return pred(c.countRange(x, lo.lit, hi.lit, pos))
			}
			return pred(c.scalarNode(&scalar{attr: x.name, form: formDaysRange, a: lo.lit, b: hi.lit, pos: pos, apos: x.pos}, x.pos))
		case opdConst:
			if x.lit.isNumber() && lo.lit.isNumber() && hi.lit.isNumber() {
				v := x.lit.number()
				return operand{kind: opdConst, pos: pos, lit: boolLit(v >= lo.lit.number() && v <= hi.lit.number())}
			}
		}
		c.errorf(x.pos, "between needs an attribute, daysSince(…) or countWithin(…) first, found %s", x.describe())
		return operand{}
	case "daysSince":
		if !argc(1, "daysSince(timeAttribute)") {
			return operand{}
		}
		a, ok := c.attrArg(name, args[0], depth)
		if !ok {
			return operand{}
		}
		return operand{kind: opdDaysSince, pos: pos, name: a}
	case "within":
		if !argc(2, `within(timeAttribute, "7d")`) {
			return operand{}
		}
		a, ok := c.attrArg(name, args[0], depth)
		w, ok2 := c.windowArg(name, args[1], depth)
		if !ok || !ok2 {
			return operand{}
		}
		return pred(c.scalarNode(&scalar{attr: a, form: formWithin, window: w, pos: pos, apos: args[0].Location().From}, pos))
	case "date":
		if !argc(1, `date("2025-01-31")`) {
			return operand{}
		}
		s, ok := c.stringArg(name, args[0], depth)
		if !ok {
			return operand{}
		}
		l, err := parseDate(s)
		if err != nil {
			c.errorf(args[0].Location().From, "%s", err.Error())
			return operand{}
		}
		return operand{kind: opdConst, pos: pos, lit: l}
	case "did":
		if !argc(1, `did("event")`) {
			return operand{}
		}
		e, ok := c.stringArg(name, args[0], depth)
		if !ok {
			return operand{}
		}
		c.events = append(c.events, namePos{e, args[0].Location().From})
		return pred(newNode(&pnode{kind: nDid, pos: pos, name: e}))
	case "didWithin", "firstWithin", "countWithin":
		if !argc(2, name+`("event", "30d")`) {
			return operand{}
		}
		e, ok := c.stringArg(name, args[0], depth)
		w, ok2 := c.windowArg(name, args[1], depth)
		if !ok || !ok2 {
			return operand{}
		}
		if name == "countWithin" {
			return operand{kind: opdCount, pos: pos, name: e, window: w}
		}
		c.events = append(c.events, namePos{e, args[0].Location().From})
		k := nDid
		if name == "firstWithin" {
			k = nFirst
		}
		return pred(newNode(&pnode{kind: k, pos: pos, name: e, window: w}))
	case "inSegment":
		if !argc(1, `inSegment("name")`) {
			return operand{}
		}
		s, ok := c.stringArg(name, args[0], depth)
		if !ok {
			return operand{}
		}
		if s == "" {
			c.errorf(args[0].Location().From, "inSegment needs a segment name")
			return operand{}
		}
		if _, dup := c.refs[s]; !dup {
			c.refs[s] = pos
		}
		return pred(newNode(&pnode{kind: nRef, pos: pos, name: s}))
	}
	c.errorf(pos, "unknown function %s%s", name, suggest(name, functionNames))
	return operand{}
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

// resolveStatic type-checks a comparison against the schema, when one was
// given.
func (c *compiler) resolveStatic(sc *scalar) {
	if c.opts.schema == nil {
		return
	}
	def, ok := c.opts.schema[sc.attr]
	if !ok {
		c.errorf(sc.apos, "unknown attribute %q%s", sc.attr, suggest(sc.attr, schemaNames(c.opts.schema)))
		return
	}
	res, err := resolve(def, sc)
	if err != nil {
		c.errorf(sc.pos, "%s", err.Error())
		return
	}
	sc.def, sc.res, sc.resolvedOK = def, res, true
}

func schemaNames(m map[string]bitmapindex.Attribute) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// builtinHint points users of expr's builtins to the rule language's
// counterparts.
func builtinHint(name string) string {
	switch name {
	case "count":
		return ` (did you mean countWithin("event", "30d")?)`
	case "any":
		return " (did you mean hasAny?)"
	case "all":
		return " (did you mean hasAll?)"
	case "none":
		return " (did you mean hasNone?)"
	case "now":
		return ": the current time is given at evaluation"
	case "duration":
		return ` (windows are strings such as "7d")`
	}
	return suggest(name, functionNames)
}

// suggest returns ` (did you mean "x"?)` for the closest candidate within a
// small edit distance, or "".
func suggest(name string, candidates []string) string {
	best, bestD := "", 3
	ln := strings.ToLower(name)
	for _, cand := range candidates {
		d := editDistance(ln, strings.ToLower(cand))
		if d < bestD {
			best, bestD = cand, d
		}
	}
	if best == "" || best == name {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 99
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
