package sqlgen

import (
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
)

// Event forms become subqueries over the events table, keyed by customer
// id: PostgreSQL a correlated EXISTS for did (planned as a semi-join) and
// IN over a grouped subquery for counts and first events; ClickHouse IN (or
// GLOBAL IN) subqueries throughout, as it has no correlated subqueries.

// eventWhere renders the conditions on one event row: its name, window
// and property filter.
func (rr *renderer) eventWhere(alias, event string, w segment.Window, f bitmapindex.Filter) []string {
	at := alias + rr.col(rr.g.l.EventAt)
	conds := []string{alias + rr.col(rr.g.l.EventName) + " = " + rr.str(event)}
	conds = append(conds, rr.filter(alias, f)...)
	r := windowRange(w.Start, w.End, w.Ever)
	if rr.d == ClickHouse {
		r = r.clip(chMinUnix, chMaxUnix)
	} else {
		r = r.clip(pgMinUnix, pgMaxUnix)
	}
	if r.none {
		return append(conds, rr.boolLit(false))
	}
	if r.hasLo {
		conds = append(conds, at+" >= "+rr.instant(r.lo))
	}
	if r.hasHi {
		conds = append(conds, at+" < "+rr.instant(r.hi))
	}
	return conds
}

func (rr *renderer) inOp() string {
	if rr.d == ClickHouse && rr.g.l.GlobalIn {
		return " GLOBAL IN "
	}
	return " IN "
}

// inEvents is `c.id IN (SELECT id FROM events WHERE … [GROUP BY id HAVING …])`.
func (rr *renderer) inEvents(conds []string, having string) string {
	alias := ""
	if rr.d == Postgres {
		alias = "e."
	}
	var b strings.Builder
	b.WriteString("c.")
	b.WriteString(rr.col(rr.g.l.ID))
	b.WriteString(rr.inOp())
	b.WriteString("(SELECT ")
	b.WriteString(alias + rr.col(rr.g.l.EventID))
	b.WriteString(" FROM ")
	b.WriteString(quoteIdent(rr.d, rr.g.l.Events))
	if rr.d == Postgres {
		b.WriteString(" AS e")
	}
	b.WriteString(" WHERE ")
	b.WriteString(strings.Join(conds, " AND "))
	if having != "" {
		b.WriteString(" GROUP BY ")
		b.WriteString(alias + rr.col(rr.g.l.EventID))
		b.WriteString(" HAVING ")
		b.WriteString(having)
	}
	b.WriteString(")")
	return b.String()
}

func (rr *renderer) eventAlias() string {
	if rr.d == Postgres {
		return "e."
	}
	return ""
}

// filter renders a property filter: for every term, the event has the
// property with one of the values (PostgreSQL: props ->> key; ClickHouse:
// the parallel prop_keys / prop_values arrays).
func (rr *renderer) filter(alias string, f bitmapindex.Filter) []string {
	var conds []string
	for _, t := range f {
		if len(t.Values) == 0 {
			conds = append(conds, rr.boolLit(false))
			continue
		}
		if rr.d == ClickHouse {
			vals := make([]string, len(t.Values))
			for i, v := range t.Values {
				vals[i] = rr.str(v)
			}
			conds = append(conds, "arrayExists((k, v) -> k = "+rr.str(t.Key)+" AND v IN ("+strings.Join(vals, ", ")+"), "+
				alias+rr.col(rr.g.l.PropKeys)+", "+alias+rr.col(rr.g.l.PropValues)+")")
			continue
		}
		conds = append(conds, "("+alias+rr.col(rr.g.l.EventProps)+" ->> "+rr.str(t.Key)+") = ANY("+rr.strArray(t.Values)+")")
	}
	return conds
}

func (rr *renderer) did(event string, w segment.Window, f bitmapindex.Filter) pred {
	conds := rr.eventWhere(rr.eventAlias(), event, w, f)
	if rr.d == Postgres {
		return pred{sql: "EXISTS (SELECT 1 FROM " + quoteIdent(rr.d, rr.g.l.Events) + " AS e WHERE e." + rr.col(rr.g.l.EventID) + " = c." + rr.col(rr.g.l.ID) + " AND " + strings.Join(conds, " AND ") + ")"}
	}
	return pred{sql: rr.inEvents(conds, "")}
}

func negateOp(op bitmapindex.Op) bitmapindex.Op {
	switch op {
	case bitmapindex.Eq:
		return bitmapindex.Ne
	case bitmapindex.Ne:
		return bitmapindex.Eq
	case bitmapindex.Lt:
		return bitmapindex.Ge
	case bitmapindex.Le:
		return bitmapindex.Gt
	case bitmapindex.Gt:
		return bitmapindex.Le
	}
	return bitmapindex.Lt
}

// holdsForZero reports whether `0 op n` holds: then customers without any
// event in the window qualify too, and the condition is rendered as the
// complement of those whose count fails it.
func holdsForZero(op bitmapindex.Op, n int64) bool {
	switch op {
	case bitmapindex.Eq:
		return n == 0
	case bitmapindex.Ne:
		return n != 0
	case bitmapindex.Lt:
		return 0 < n
	case bitmapindex.Le:
		return 0 <= n
	case bitmapindex.Gt:
		return 0 > n
	}
	return 0 >= n
}

func (rr *renderer) count(n *segment.Count) pred {
	cnt := "count(*)"
	if rr.d == ClickHouse {
		cnt = "count()"
	}
	if (n.Op == bitmapindex.Eq && n.N == 0) || (n.Op == bitmapindex.Lt && n.N == 1) || (n.Op == bitmapindex.Le && n.N == 0) {
		return pred{sql: "NOT " + parens(rr.did(n.Event, n.Window, n.Filter).sql)} // no event in the window
	}
	conds := rr.eventWhere(rr.eventAlias(), n.Event, n.Window, n.Filter)
	if holdsForZero(n.Op, n.N) {
		return pred{sql: "NOT " + parens(rr.inEvents(conds, cnt+" "+opSQL(negateOp(n.Op))+" "+rr.int(n.N)))}
	}
	return pred{sql: rr.inEvents(conds, cnt+" "+opSQL(n.Op)+" "+rr.int(n.N))}
}

// first: the customer's first-ever event (over all time, future ones
// included) falls in the window.
func (rr *renderer) first(n *segment.First) pred {
	alias := rr.eventAlias()
	conds := append([]string{alias + rr.col(rr.g.l.EventName) + " = " + rr.str(n.Event)}, rr.filter(alias, n.Filter)...)
	r := windowRange(n.Window.Start, n.Window.End, n.Window.Ever)
	if rr.d == ClickHouse {
		r = r.clip(chMinUnix, chMaxUnix)
	} else {
		r = r.clip(pgMinUnix, pgMaxUnix)
	}
	if r.none {
		return pred{sql: rr.boolLit(false)}
	}
	minAt := "min(" + alias + rr.col(rr.g.l.EventAt) + ")"
	var having []string
	if r.hasLo {
		having = append(having, minAt+" >= "+rr.instant(r.lo))
	}
	if r.hasHi {
		having = append(having, minAt+" < "+rr.instant(r.hi))
	}
	if len(having) == 0 {
		return rr.did(n.Event, segment.Window{Ever: true, End: n.Window.End}, n.Filter)
	}
	return pred{sql: rr.inEvents(conds, strings.Join(having, " AND "))}
}

// amount renders an event amount constant (4 fractional digits, exact).
func (rr *renderer) amount(a bitmapindex.Amount) string {
	return rr.decimal(a.String(), bitmapindex.AmountScale)
}

func amountHolds(op bitmapindex.Op, x, c bitmapindex.Amount) bool {
	switch op {
	case bitmapindex.Eq:
		return x == c
	case bitmapindex.Ne:
		return x != c
	case bitmapindex.Lt:
		return x < c
	case bitmapindex.Le:
		return x <= c
	case bitmapindex.Gt:
		return x > c
	}
	return x >= c
}

// sum: the sum of the values of the matching events in the window (0
// without any) compared with the constant.
func (rr *renderer) sum(n *segment.Sum) pred {
	alias := rr.eventAlias()
	conds := rr.eventWhere(alias, n.Event, n.Window, n.Filter)
	total := "sum(" + alias + rr.col(rr.g.l.EventValue) + ")"
	if amountHolds(n.Op, 0, n.Value) { // customers without events qualify
		return pred{sql: "NOT " + parens(rr.inEvents(conds, total+" "+opSQL(negateOp(n.Op))+" "+rr.amount(n.Value)))}
	}
	return pred{sql: rr.inEvents(conds, total+" "+opSQL(n.Op)+" "+rr.amount(n.Value))}
}

// avg: the mean value of the matching events in the window compared
// exactly (sum op value × count); false without events.
func (rr *renderer) avg(n *segment.Avg) pred {
	alias := rr.eventAlias()
	conds := rr.eventWhere(alias, n.Event, n.Window, n.Filter)
	cnt := "count(*)"
	if rr.d == ClickHouse {
		cnt = "count()"
	}
	return pred{sql: rr.inEvents(conds, "sum("+alias+rr.col(rr.g.l.EventValue)+") "+opSQL(n.Op)+" "+rr.amount(n.Value)+" * "+cnt)}
}

// fixedOffset returns the offset of a zone that has one offset at all
// times (UTC, time.FixedZone).
func fixedOffset(loc *time.Location) (int, bool) {
	t := time.Unix(0, 0).In(loc)
	if start, end := t.ZoneBounds(); !start.IsZero() || !end.IsZero() {
		return 0, false
	}
	_, off := t.Zone()
	return off, true
}

// dayExpr is the day number (in Options.Location) of a timestamp column,
// for differences of days: the engine's time zone functions for a named
// zone, epoch arithmetic for a fixed offset.
func (rr *renderer) dayExpr(n segment.Node, col string) (string, error) {
	loc := rr.g.o.Location
	if off, ok := fixedOffset(loc); ok {
		if rr.d == ClickHouse {
			return "intDiv(toUInt32(" + col + ") + " + strconv.Itoa(off+86400) + ", 86400)", nil
		}
		return "floor((extract(epoch FROM " + col + ") + " + strconv.Itoa(off) + ") / 86400)", nil
	}
	name := loc.String()
	if name == "" || name == "Local" {
		return "", rr.errAt(n, "the time zone %q has no IANA name the engine could use: give Options.Location as time.LoadLocation(\"Area/City\")", name)
	}
	if rr.d == ClickHouse {
		return "toDate(" + col + ", " + quoteString(rr.d, name) + ")", nil
	}
	return "(" + col + " AT TIME ZONE " + quoteString(rr.d, name) + ")::date", nil
}

// then: an Event matching Filter on day da and a ThenEvent matching
// ThenFilter on day db with 0 ≤ db − da < Within, both on days up to To.
func (rr *renderer) then(n *segment.Then) (pred, error) {
	win := segment.Window{Ever: true, End: n.End}
	if rr.d == Postgres {
		da, err := rr.dayExpr(n, "a."+rr.col(rr.g.l.EventAt))
		if err != nil {
			return pred{}, err
		}
		db, err := rr.dayExpr(n, "b."+rr.col(rr.g.l.EventAt))
		if err != nil {
			return pred{}, err
		}
		conds := append(rr.eventWhere("a.", n.Event, win, n.Filter), rr.eventWhere("b.", n.ThenEvent, win, n.ThenFilter)...)
		conds = append(conds, db+" - "+da+" >= 0", db+" - "+da+" < "+rr.int(int64(n.Within)))
		t := quoteIdent(rr.d, rr.g.l.Events)
		id := rr.col(rr.g.l.EventID)
		return pred{sql: "c." + rr.col(rr.g.l.ID) + " IN (SELECT a." + id + " FROM " + t + " AS a JOIN " + t + " AS b ON b." + id + " = a." + id +
			" WHERE " + strings.Join(conds, " AND ") + ")"}, nil
	}
	at := rr.col(rr.g.l.EventAt)
	day, err := rr.dayExpr(n, at)
	if err != nil {
		return pred{}, err
	}
	id := rr.col(rr.g.l.EventID)
	side := func(event string, f bitmapindex.Filter, as string) string {
		return "(SELECT " + id + ", " + day + " AS " + as + " FROM " + quoteIdent(rr.d, rr.g.l.Events) + " WHERE " + strings.Join(rr.eventWhere("", event, win, f), " AND ") + ")"
	}
	return pred{sql: "c." + rr.col(rr.g.l.ID) + rr.inOp() + "(SELECT " + id + " FROM " + side(n.Event, n.Filter, "segkit_da") +
		" ALL INNER JOIN " + side(n.ThenEvent, n.ThenFilter, "segkit_db") + " USING " + id +
		" WHERE segkit_db - segkit_da >= 0 AND segkit_db - segkit_da < " + strconv.Itoa(n.Within) + ")"}, nil
}

// maxRefDepth guards against reference chains a Segments implementation
// other than a Registry might not bound.
const maxRefDepth = 32

func (rr *renderer) ref(n *segment.Ref) (pred, error) {
	seg := rr.g.o.Segments
	if seg == nil {
		return pred{}, rr.errAt(n, "inSegment(%q) needs the registry that defines it", n.Name)
	}
	for _, s := range rr.stack {
		if s == n.Name {
			return pred{}, rr.errAt(n, "inSegment(%q): reference cycle %s → %s", n.Name, strings.Join(rr.stack, " → "), n.Name)
		}
	}
	if len(rr.stack) >= maxRefDepth {
		return pred{}, rr.errAt(n, "inSegment(%q): references nested deeper than %d", n.Name, maxRefDepth)
	}
	def, ok := seg.Get(n.Name)
	if !ok {
		return pred{}, rr.errAt(n, "inSegment(%q): no such segment", n.Name)
	}
	idCol := "c." + rr.col(rr.g.l.ID)
	if def.Static {
		if def.Members == nil {
			return pred{}, rr.errAt(n, "inSegment(%q): the static segment is not frozen yet: freeze it first", n.Name)
		}
		if len(def.Members) == 0 {
			return pred{sql: rr.boolLit(false)}, nil
		}
		if rr.d == Postgres {
			return pred{sql: idCol + " = ANY(" + rr.strArray(def.Members) + ")"}, nil
		}
		return pred{sql: idCol + " IN " + "(" + strings.TrimSuffix(strings.TrimPrefix(rr.strArray(def.Members), "["), "]") + ")"}, nil
	}
	rule, ok := seg.Rule(n.Name)
	if !ok {
		return pred{}, rr.errAt(n, "inSegment(%q): no such segment", n.Name)
	}
	rr.stack = append(rr.stack, n.Name)
	defer func() { rr.stack = rr.stack[:len(rr.stack)-1] }()
	if rr.d == ClickHouse {
		sql, err := rr.rule(rule)
		if err != nil {
			return pred{}, refErr(n.Name, err)
		}
		return pred{sql: parens(sql)}, nil
	}
	name := quoteColumn(rr.d, "segment "+n.Name)
	if !rr.done[n.Name] {
		sql, err := rr.rule(rule)
		if err != nil {
			return pred{}, refErr(n.Name, err)
		}
		if rr.done == nil {
			rr.done = map[string]bool{}
		}
		rr.done[n.Name] = true
		rr.ctes = append(rr.ctes, cte{name: name, body: "SELECT c." + rr.col(rr.g.l.ID) + " FROM " + quoteIdent(rr.d, rr.g.l.Customers) + " AS c WHERE " + sql})
	}
	return pred{sql: idCol + " IN (SELECT " + rr.col(rr.g.l.ID) + " FROM " + name + ")"}, nil
}

type refError struct {
	name string
	err  error
}

func (e *refError) Error() string { return "in segment " + e.name + ": " + e.err.Error() }
func (e *refError) Unwrap() error { return e.err }

func refErr(name string, err error) error {
	var re *refError
	if ok := asRef(err, &re); ok {
		return err
	}
	return &refError{name: name, err: err}
}

func asRef(err error, target **refError) bool {
	re, ok := err.(*refError)
	if ok {
		*target = re
	}
	return ok
}
