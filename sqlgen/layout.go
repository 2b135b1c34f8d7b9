package sqlgen

import (
	"strings"
)

// Dialect is the SQL engine a query is rendered for.
type Dialect uint8

// The dialects.
const (
	// Postgres is PostgreSQL 15 or later.
	Postgres Dialect = iota + 1
	// ClickHouse is ClickHouse 18.16 or later (no table CTEs, no bitmap
	// functions, no query parameters: constants are escaped literals).
	ClickHouse
)

// String returns "postgres" or "clickhouse".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case ClickHouse:
		return "clickhouse"
	}
	return "invalid"
}

// ParseDialect reads "postgres" (or "postgresql", "pg") and "clickhouse"
// (or "ch").
func ParseDialect(s string) (Dialect, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "postgres", "postgresql", "pg":
		return Postgres, true
	case "clickhouse", "ch":
		return ClickHouse, true
	}
	return 0, false
}

// Layout names the tables and columns of the documented layout. The zero
// Layout is the default: tables customers and events, columns id, tags,
// name, at, value, props (PostgreSQL) or prop_keys/prop_values
// (ClickHouse), and one column per attribute named as the attribute.
//
// PostgreSQL:
//
//	customers(id text primary key, tags text[] not null, <attr> <type> null, …)
//	  int → bigint, decimal(s) → numeric(38,s), category → text, set → text[],
//	  time → timestamptz, bool → boolean
//	events(id text not null, name text not null, at timestamptz not null,
//	  value numeric(38,4) not null default 0, props jsonb not null default '{}')
//
// ClickHouse:
//
//	customers(id String, tags Array(String), <attr> Nullable(Int64 |
//	  Decimal(38,s) | String | DateTime | UInt8), <set attr> Array(String),
//	  <set attr>_present UInt8)
//	events(id String, name String, at DateTime, value Decimal(38,4),
//	  prop_keys Array(String), prop_values Array(String))
//
// On a sharded ClickHouse, Customers is the Distributed table the query
// starts from and Events the shard-local events table, with events sharded
// by customer id like the customers (each shard then answers the event
// subqueries for its own customers); with GlobalIn the subqueries use
// GLOBAL IN instead and Events may be a Distributed table sharded any way.
type Layout struct {
	Customers string // default "customers"
	Events    string // default "events"
	// Columns of customers.
	ID   string // default "id"
	Tags string // default "tags"
	// Columns maps attribute names to column names; an attribute not in it
	// is a column of its own name.
	Columns map[string]string
	// Columns of events.
	EventID    string // default "id"
	EventName  string // default "name"
	EventAt    string // default "at"
	EventValue string // default "value"
	EventProps string // PostgreSQL jsonb, default "props"
	PropKeys   string // ClickHouse, default "prop_keys"
	PropValues string // ClickHouse, default "prop_values"
	// GlobalIn makes ClickHouse event subqueries GLOBAL IN (see above).
	GlobalIn bool
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (l Layout) withDefaults() Layout {
	l.Customers = or(l.Customers, "customers")
	l.Events = or(l.Events, "events")
	l.ID = or(l.ID, "id")
	l.Tags = or(l.Tags, "tags")
	l.EventID = or(l.EventID, "id")
	l.EventName = or(l.EventName, "name")
	l.EventAt = or(l.EventAt, "at")
	l.EventValue = or(l.EventValue, "value")
	l.EventProps = or(l.EventProps, "props")
	l.PropKeys = or(l.PropKeys, "prop_keys")
	l.PropValues = or(l.PropValues, "prop_values")
	return l
}

// Column returns the column of an attribute.
func (l Layout) Column(attr string) string {
	if c, ok := l.Columns[attr]; ok && c != "" {
		return c
	}
	return attr
}

// quoteIdent quotes an identifier: "x" with "" doubled for PostgreSQL,
// `x` with \ and ` escaped for ClickHouse. A name with dots is a qualified
// name, each part quoted.
func quoteIdent(d Dialect, name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if d == ClickHouse {
			p = strings.ReplaceAll(p, `\`, `\\`)
			parts[i] = "`" + strings.ReplaceAll(p, "`", "\\`") + "`"
		} else {
			parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		}
	}
	return strings.Join(parts, ".")
}

// quoteColumn quotes a plain (unqualified) column name.
func quoteColumn(d Dialect, name string) string {
	if d == ClickHouse {
		return "`" + strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), "`", "\\`") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
