package sqlgen

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
)

// Segments resolves inSegment references while rendering. *segment.Registry
// implements it.
type Segments interface {
	Get(name string) (segment.Definition, bool)
	Rule(name string) (*segment.Rule, bool)
}

// Options configure a Generator.
type Options struct {
	Dialect Dialect
	// Schema gives every attribute's kind (decimal scale included): the
	// meaning of a constant and the SQL of a comparison depend on it.
	Schema []bitmapindex.Attribute
	// Layout names tables and columns; the zero Layout is the documented
	// default.
	Layout Layout
	// Location is the index's time zone: days (daysSince, within, date(…),
	// event windows) are whole days there. Nil means UTC.
	Location *time.Location
	// Segments resolves inSegment: PostgreSQL gets one CTE per referenced
	// segment, ClickHouse (18.16 has no table CTEs) the referenced rule
	// inline. Nil: a rule with inSegment is an error.
	Segments Segments
	// Params renders PostgreSQL constants as bind parameters ($1, $2, …,
	// values in Query.Args) instead of escaped literals. ClickHouse always
	// gets escaped literals.
	Params bool
}

// Generator renders compiled rules as SQL. It is immutable and safe for
// concurrent use.
type Generator struct {
	o      Options
	l      Layout
	schema []bitmapindex.Attribute
}

// New returns a Generator.
func New(o Options) (*Generator, error) {
	if o.Dialect != Postgres && o.Dialect != ClickHouse {
		return nil, errors.New("sqlgen: unknown dialect")
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Schema == nil {
		o.Schema = []bitmapindex.Attribute{}
	}
	return &Generator{o: o, l: o.Layout.withDefaults(), schema: o.Schema}, nil
}

// Query is a rendered statement: SQL, and for PostgreSQL with Params the
// values of its $n placeholders.
type Query struct {
	SQL  string
	Args []any
}

// Select renders the rule as one SELECT returning the ids of the customers
// that satisfy it at now: the members Rule.Eval returns on an index holding
// the same data.
func (g *Generator) Select(r *segment.Rule, now time.Time) (Query, error) {
	return g.render(r, now, false)
}

// Count renders the rule as a SELECT of the number of members.
func (g *Generator) Count(r *segment.Rule, now time.Time) (Query, error) {
	return g.render(r, now, true)
}

type cte struct{ name, body string }

type renderer struct {
	g     *Generator
	d     Dialect
	now   time.Time
	args  []any
	ctes  []cte
	done  map[string]bool // segments with a CTE (PostgreSQL)
	stack []string        // segments being rendered (cycle guard)
	src   string
	depth int // nesting of and/or, for indentation
}

func (g *Generator) render(r *segment.Rule, now time.Time, count bool) (Query, error) {
	rr := &renderer{g: g, d: g.o.Dialect, now: now}
	where, err := rr.rule(r)
	if err != nil {
		return Query{}, err
	}
	var b strings.Builder
	if len(rr.ctes) > 0 {
		b.WriteString("WITH ")
		for i, c := range rr.ctes {
			if i > 0 {
				b.WriteString(",\n     ")
			}
			b.WriteString(c.name)
			b.WriteString(" AS (")
			b.WriteString(c.body)
			b.WriteString(")")
		}
		b.WriteString("\n")
	}
	if count {
		if rr.d == ClickHouse {
			b.WriteString("SELECT count()")
		} else {
			b.WriteString("SELECT count(*)")
		}
	} else {
		b.WriteString("SELECT c.")
		b.WriteString(rr.col(g.l.ID))
	}
	b.WriteString("\nFROM ")
	b.WriteString(quoteIdent(rr.d, g.l.Customers))
	b.WriteString(" AS c\nWHERE ")
	b.WriteString(where)
	return Query{SQL: b.String(), Args: rr.args}, nil
}

// rule renders a rule's condition on the customer row c.
func (rr *renderer) rule(r *segment.Rule) (string, error) {
	t, err := r.Tree(rr.g.schema, rr.now, rr.g.o.Location)
	if err != nil {
		return "", err
	}
	saved := rr.src
	rr.src = t.Source
	defer func() { rr.src = saved }()
	p, err := rr.node(t.Root)
	if err != nil {
		return "", err
	}
	return p.sql, nil
}

// pred is a rendered condition. nullable: it may be NULL where the index
// says false (a comparison on a missing value); a NOT must then treat NULL
// as false.
type pred struct {
	sql      string
	nullable bool
}

func (rr *renderer) errAt(n segment.Node, format string, args ...any) error {
	l, c := n.Position()
	return segment.ErrorList{&segment.Error{Line: l, Column: c, Msg: rr.d.String() + ": " + fmt.Sprintf(format, args...), Source: rr.src}}
}

func (rr *renderer) col(name string) string { return quoteColumn(rr.d, name) }

func (rr *renderer) attrCol(a bitmapindex.Attribute) string {
	return "c." + rr.col(rr.g.l.Column(a.Name))
}

func (rr *renderer) boolLit(b bool) string {
	switch {
	case rr.d == ClickHouse && b:
		return "1"
	case rr.d == ClickHouse:
		return "0"
	case b:
		return "TRUE"
	}
	return "FALSE"
}

// param adds a PostgreSQL bind parameter and returns its placeholder with
// a cast.
func (rr *renderer) param(v any, typ string) string {
	rr.args = append(rr.args, v)
	return "$" + strconv.Itoa(len(rr.args)) + "::" + typ
}

func (rr *renderer) str(s string) string {
	if rr.d == Postgres && rr.g.o.Params {
		return rr.param(s, "text")
	}
	return quoteString(rr.d, s)
}

func (rr *renderer) strArray(ss []string) string {
	if rr.d == Postgres && rr.g.o.Params {
		return rr.param(ss, "text[]")
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = quoteString(rr.d, s)
	}
	if rr.d == ClickHouse {
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]::text[]"
}

func (rr *renderer) int(n int64) string {
	if rr.d == Postgres && rr.g.o.Params {
		return rr.param(n, "bigint")
	}
	return strconv.FormatInt(n, 10)
}

func (rr *renderer) decimal(s string, scale int) string {
	switch {
	case rr.d == ClickHouse:
		return "toDecimal128(" + quoteString(rr.d, s) + ", " + strconv.Itoa(scale) + ")"
	case rr.g.o.Params:
		return rr.param(s, "numeric")
	}
	return s
}

func (rr *renderer) instant(sec int64) string {
	t := time.Unix(sec, 0).UTC()
	switch {
	case rr.d == ClickHouse:
		return "toDateTime(" + quoteString(rr.d, t.Format(time.DateTime)) + ", 'UTC')"
	case rr.g.o.Params:
		return "to_timestamp(" + rr.param(float64(sec), "float8") + ")"
	case t.Year() >= 1 && t.Year() <= 9999:
		return "TIMESTAMPTZ '" + t.Format(time.DateTime) + "+00'"
	}
	return "to_timestamp(" + strconv.FormatInt(sec, 10) + ")"
}

// nonNull makes a ClickHouse condition on a Nullable column false where it
// is NULL; PostgreSQL keeps the NULL (see pred).
func (rr *renderer) leaf(sql string, nullable bool) pred {
	if rr.d == ClickHouse && nullable {
		return pred{sql: "ifNull(" + sql + ", 0)"}
	}
	return pred{sql: sql, nullable: nullable}
}

func (rr *renderer) node(n segment.Node) (pred, error) {
	switch n := n.(type) {
	case *segment.Const:
		return pred{sql: rr.boolLit(n.Value)}, nil
	case *segment.And:
		return rr.junction(n.Kids, true)
	case *segment.Or:
		return rr.junction(n.Kids, false)
	case *segment.Not:
		k, err := rr.node(n.Kid)
		if err != nil {
			return pred{}, err
		}
		if k.nullable {
			return pred{sql: "(" + k.sql + ") IS NOT TRUE"}, nil
		}
		return pred{sql: "NOT " + parens(k.sql)}, nil
	case *segment.Tag:
		return rr.tags([]string{n.Name}, true), nil
	case *segment.Compare:
		return rr.compare(n)
	case *segment.Between:
		return rr.between(n)
	case *segment.In:
		return rr.in(n)
	case *segment.Present:
		return rr.present(n.Attr), nil
	case *segment.SetHas:
		c := rr.attrCol(n.Attr)
		if rr.d == ClickHouse {
			return pred{sql: "has(" + c + ", " + rr.str(n.Value) + ")"}, nil
		}
		return pred{sql: c + " @> " + rr.strArray([]string{n.Value}), nullable: true}, nil
	case *segment.StrMatch:
		return rr.strMatch(n)
	case *segment.Did:
		return rr.did(n.Event, n.Window, n.Filter), nil
	case *segment.Count:
		return rr.count(n), nil
	case *segment.First:
		return rr.first(n), nil
	case *segment.Sum:
		return rr.sum(n), nil
	case *segment.Avg:
		return rr.avg(n), nil
	case *segment.Then:
		return rr.then(n)
	case *segment.Ref:
		return rr.ref(n)
	}
	return pred{}, rr.errAt(n, "rule form %T cannot be rendered", n)
}

// parens wraps a condition unless it is one already.
func parens(s string) string {
	if strings.HasPrefix(s, "(") && closesAtEnd(s) {
		return s
	}
	return "(" + s + ")"
}

// closesAtEnd reports whether the parenthesis opening s closes at its last
// byte (ignoring parentheses inside quoted strings and identifiers).
func closesAtEnd(s string) bool {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote == '\'':
				i++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"', '`':
			quote = c
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i == len(s)-1
			}
		}
	}
	return false
}

func (rr *renderer) junction(kids []segment.Node, and bool) (pred, error) {
	var tags []string
	var parts []string
	nullable := false
	rr.depth++
	defer func() { rr.depth-- }()
	for _, k := range kids {
		if t, ok := k.(*segment.Tag); ok {
			tags = append(tags, t.Name)
			continue
		}
		p, err := rr.node(k)
		if err != nil {
			return pred{}, err
		}
		parts = append(parts, p.sql)
		nullable = nullable || p.nullable
	}
	if len(tags) > 0 {
		parts = append([]string{rr.tags(tags, and).sql}, parts...)
	}
	if len(parts) == 1 {
		return pred{sql: parts[0], nullable: nullable}, nil
	}
	sep := "\n" + strings.Repeat("  ", rr.depth) + "OR "
	if and {
		sep = "\n" + strings.Repeat("  ", rr.depth) + "AND "
	}
	return pred{sql: "(" + strings.Join(parts, sep) + ")", nullable: nullable}, nil
}

// tags renders has(t) for every (all) or any of the tags: PostgreSQL
// array containment and overlap (a GIN index answers both), ClickHouse
// has/hasAll/hasAny.
func (rr *renderer) tags(names []string, all bool) pred {
	c := "c." + rr.col(rr.g.l.Tags)
	if rr.d == ClickHouse {
		switch {
		case len(names) == 1:
			return pred{sql: "has(" + c + ", " + rr.str(names[0]) + ")"}
		case all:
			return pred{sql: "hasAll(" + c + ", " + rr.strArray(names) + ")"}
		}
		return pred{sql: "hasAny(" + c + ", " + rr.strArray(names) + ")"}
	}
	if all || len(names) == 1 {
		return pred{sql: c + " @> " + rr.strArray(names)}
	}
	return pred{sql: c + " && " + rr.strArray(names)}
}

func (rr *renderer) present(a bitmapindex.Attribute) pred {
	c := rr.attrCol(a)
	switch {
	case a.Kind == bitmapindex.KindSet && rr.d == ClickHouse:
		return pred{sql: "notEmpty(" + c + ")"}
	case a.Kind == bitmapindex.KindSet:
		return pred{sql: "coalesce(cardinality(" + c + "), 0) > 0"}
	case rr.d == ClickHouse:
		return pred{sql: "isNotNull(" + c + ")"}
	}
	return pred{sql: c + " IS NOT NULL"}
}

func opSQL(op bitmapindex.Op) string {
	switch op {
	case bitmapindex.Eq:
		return "="
	case bitmapindex.Ne:
		return "<>"
	}
	return op.String()
}

func (rr *renderer) compare(n *segment.Compare) (pred, error) {
	c := rr.attrCol(n.Attr)
	switch n.Attr.Kind {
	case bitmapindex.KindInt:
		v, _ := n.Value.AsInt()
		return rr.leaf(c+" "+opSQL(n.Op)+" "+rr.int(v), true), nil
	case bitmapindex.KindBool:
		v, _ := n.Value.AsBool()
		if rr.d == Postgres && rr.g.o.Params {
			return rr.leaf(c+" "+opSQL(n.Op)+" "+rr.param(v, "boolean"), true), nil
		}
		return rr.leaf(c+" "+opSQL(n.Op)+" "+rr.boolLit(v), true), nil
	case bitmapindex.KindCategory:
		v, _ := n.Value.AsString()
		coll := ""
		if rr.d == Postgres && n.Op != bitmapindex.Eq {
			coll = ` COLLATE "C"`
		}
		return rr.leaf(c+coll+" "+opSQL(n.Op)+" "+rr.str(v), true), nil
	case bitmapindex.KindDecimal:
		f, _ := n.Value.AsDecimal()
		b, err := newDecimalBound(f, n.Attr.Scale)
		if err != nil {
			return pred{}, rr.errAt(n, "%v", err)
		}
		return rr.decimalCmp(n.Attr, n.Op, b), nil
	case bitmapindex.KindTime:
		return rr.timeRange(n.Attr, secondsCmp(n.Op, timeSeconds(n.Value))), nil
	}
	return pred{}, rr.errAt(n, "cannot compare %s attribute %s", n.Attr.Kind, n.Attr.Name)
}

// decimalCmp compares a decimal column with a constant exactly as the index
// does: in the fixed-point domain of the attribute's scale.
func (rr *renderer) decimalCmp(a bitmapindex.Attribute, op bitmapindex.Op, b decimalBound) pred {
	var m = b.floor
	switch op {
	case bitmapindex.Eq:
		if !b.exact {
			return pred{sql: rr.boolLit(false)}
		}
	case bitmapindex.Lt, bitmapindex.Ge:
		m = b.ceil
	}
	switch {
	case m.Cmp(maxFixed) > 0: // above every stored value
		if op == bitmapindex.Lt || op == bitmapindex.Le {
			return rr.present(a)
		}
		return pred{sql: rr.boolLit(false)}
	case m.Cmp(minFixed) < 0:
		if op == bitmapindex.Gt || op == bitmapindex.Ge {
			return rr.present(a)
		}
		return pred{sql: rr.boolLit(false)}
	}
	return rr.leaf(rr.attrCol(a)+" "+opSQL(op)+" "+rr.decimal(fixedString(m, a.Scale), a.Scale), true)
}

func (rr *renderer) timeRange(a bitmapindex.Attribute, r unixRange) pred {
	if rr.d == ClickHouse {
		r = r.clip(chMinUnix, chMaxUnix)
	} else {
		r = r.clip(pgMinUnix, pgMaxUnix)
	}
	if r.none {
		return pred{sql: rr.boolLit(false)}
	}
	c := rr.attrCol(a)
	switch {
	case r.hasLo && r.hasHi:
		return rr.leaf("("+c+" >= "+rr.instant(r.lo)+" AND "+c+" < "+rr.instant(r.hi)+")", true)
	case r.hasLo:
		return rr.leaf(c+" >= "+rr.instant(r.lo), true)
	case r.hasHi:
		return rr.leaf(c+" < "+rr.instant(r.hi), true)
	}
	return rr.present(a)
}

func (rr *renderer) between(n *segment.Between) (pred, error) {
	c := rr.attrCol(n.Attr)
	switch n.Attr.Kind {
	case bitmapindex.KindInt:
		lo, _ := n.Lo.AsInt()
		hi, _ := n.Hi.AsInt()
		if lo > hi {
			return pred{sql: rr.boolLit(false)}, nil
		}
		return rr.leaf(c+" BETWEEN "+rr.int(lo)+" AND "+rr.int(hi), true), nil
	case bitmapindex.KindDecimal:
		flo, _ := n.Lo.AsDecimal()
		fhi, _ := n.Hi.AsDecimal()
		lo, err := newDecimalBound(flo, n.Attr.Scale)
		if err != nil {
			return pred{}, rr.errAt(n, "%v", err)
		}
		hi, err := newDecimalBound(fhi, n.Attr.Scale)
		if err != nil {
			return pred{}, rr.errAt(n, "%v", err)
		}
		if lo.ceil.Cmp(hi.floor) > 0 {
			return pred{sql: rr.boolLit(false)}, nil
		}
		ge, le := rr.decimalCmp(n.Attr, bitmapindex.Ge, lo), rr.decimalCmp(n.Attr, bitmapindex.Le, hi)
		return rr.junctionOf(ge, le), nil
	case bitmapindex.KindTime:
		r := secondsCmp(bitmapindex.Ge, timeSeconds(n.Lo)).and(secondsCmp(bitmapindex.Le, timeSeconds(n.Hi)))
		return rr.timeRange(n.Attr, r), nil
	}
	return pred{}, rr.errAt(n, "between on %s attribute %s", n.Attr.Kind, n.Attr.Name)
}

// junctionOf is the conjunction of two rendered conditions.
func (rr *renderer) junctionOf(a, b pred) pred {
	return pred{sql: "(" + a.sql + " AND " + b.sql + ")", nullable: a.nullable || b.nullable}
}

func (rr *renderer) in(n *segment.In) (pred, error) {
	c := rr.attrCol(n.Attr)
	switch n.Attr.Kind {
	case bitmapindex.KindInt:
		vs := make([]int64, len(n.Values))
		for i, v := range n.Values {
			vs[i], _ = v.AsInt()
		}
		if rr.d == Postgres && rr.g.o.Params {
			return rr.leaf(c+" = ANY("+rr.param(vs, "bigint[]")+")", true), nil
		}
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = strconv.FormatInt(v, 10)
		}
		return rr.leaf(c+" IN ("+strings.Join(parts, ", ")+")", true), nil
	case bitmapindex.KindCategory:
		vs := make([]string, len(n.Values))
		for i, v := range n.Values {
			vs[i], _ = v.AsString()
		}
		if rr.d == Postgres && rr.g.o.Params {
			return rr.leaf(c+" = ANY("+rr.param(vs, "text[]")+")", true), nil
		}
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = quoteString(rr.d, v)
		}
		return rr.leaf(c+" IN ("+strings.Join(parts, ", ")+")", true), nil
	}
	// decimal, time, bool: one equality each
	kids := make([]segment.Node, len(n.Values))
	for i, v := range n.Values {
		kids[i] = &segment.Compare{At: n.At, Attr: n.Attr, Op: bitmapindex.Eq, Value: v}
	}
	return rr.junction(kids, false)
}

// likePattern escapes LIKE's wildcards (PostgreSQL's default escape is \).
func likePattern(prefix, s, suffix string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return prefix + r.Replace(s) + suffix
}

func (rr *renderer) strMatch(n *segment.StrMatch) (pred, error) {
	isSet := n.Attr.Kind == bitmapindex.KindSet
	var test func(v string) string
	if rr.d == Postgres {
		switch n.Op {
		case "startsWith", "endsWith", "contains":
			pat := likePattern("", n.Arg, "%")
			if n.Op == "endsWith" {
				pat = likePattern("%", n.Arg, "")
			} else if n.Op == "contains" {
				pat = likePattern("%", n.Arg, "%")
			}
			lit := rr.str(pat)
			test = func(v string) string { return v + ` COLLATE "C" LIKE ` + lit }
		case "matches":
			re, err := translateRegex(n.Arg, reARE)
			if err != nil {
				return pred{}, rr.errAt(n, "%v", err)
			}
			lit := rr.str(re)
			test = func(v string) string { return v + ` COLLATE "C" ~ ` + lit }
		}
	} else {
		switch n.Op {
		case "startsWith", "endsWith":
			lit := rr.str(n.Arg)
			test = func(v string) string { return n.Op + "(" + v + ", " + lit + ")" }
		case "contains":
			lit := rr.str(n.Arg)
			test = func(v string) string { return "position(" + v + ", " + lit + ") > 0" }
		case "matches":
			re, err := translateRegex(n.Arg, reRE2)
			if err != nil {
				return pred{}, rr.errAt(n, "%v", err)
			}
			lit := rr.str(re)
			test = func(v string) string { return "match(" + v + ", " + lit + ")" }
		}
	}
	if test == nil {
		return pred{}, rr.errAt(n, "unknown string match %s", n.Op)
	}
	c := rr.attrCol(n.Attr)
	switch {
	case !isSet:
		return rr.leaf(test(c), true), nil
	case rr.d == ClickHouse:
		return pred{sql: "arrayExists(v -> " + test("v") + ", " + c + ")"}, nil
	}
	return pred{sql: "EXISTS (SELECT 1 FROM unnest(" + c + ") AS u(v) WHERE " + test("u.v") + ")"}, nil
}
