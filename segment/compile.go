package segment

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

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
	"sumWithin", "avgWithin", "didBetween", "countBetween", "sumBetween", "didThen",
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
	minInts map[int]bool // positions of -9223372036854775808's digits (bounds.go)
	pos     positions
	opts    *options
	errs    ErrorList
	nodes   int
	overN   bool // node limit already reported
	overD   bool // depth limit already reported
	refs    map[string]int
	tags    []namePos
	events  []namePos
	values  []valuePos
	attrs   []namePos
	scs     []*scalar
	uses    []attrUse
	evProps []evProp
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
	psrc, ok := c.prescan(src) // bounds.go
	if !ok {
		return nil, c.errs
	}
	cfg := &conf.Config{
		MaxNodes:          uint(4*(o.limits.MaxNodes+o.limits.MaxListItems) + 64),
		Functions:         functionTable,
		Disabled:          map[string]bool{},
		DisableIfOperator: true,
	}
	tree, err := parser.ParseWithConfig(psrc, cfg)
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
	c.checkEventSchema()
	if len(c.errs) > 0 {
		c.errs.sort()
		return nil, c.errs
	}
	plan := optimize(root)
	r := &Rule{
		src:     src,
		root:    plan,
		opts:    *o,
		tags:    c.tags,
		events:  c.events,
		values:  c.values,
		attrs:   c.attrs,
		scs:     c.scs,
		uses:    c.uses,
		evProps: c.evProps,
	}
	r.nnodes = number(plan, 0)
	r.indexAttributes()
	for name, pos := range c.refs {
		r.refs = append(r.refs, namePos{name, pos})
	}
	sort.Slice(r.refs, func(i, j int) bool { return r.refs[i].name < r.refs[j].name })
	return r, nil
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
