package sqlgen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/segkit/segkit/bitmapindex"
)

// ColumnType returns the SQL type of an attribute's column in the
// documented layout (see Layout).
func ColumnType(d Dialect, a bitmapindex.Attribute) (string, error) {
	if d == ClickHouse {
		switch a.Kind {
		case bitmapindex.KindInt:
			return "Nullable(Int64)", nil
		case bitmapindex.KindDecimal:
			return fmt.Sprintf("Nullable(Decimal(38, %d))", a.Scale), nil
		case bitmapindex.KindCategory:
			return "Nullable(String)", nil
		case bitmapindex.KindSet:
			return "Array(String)", nil
		case bitmapindex.KindTime:
			return "Nullable(DateTime('UTC'))", nil
		case bitmapindex.KindBool:
			return "Nullable(UInt8)", nil
		}
	} else {
		switch a.Kind {
		case bitmapindex.KindInt:
			return "bigint", nil
		case bitmapindex.KindDecimal:
			return fmt.Sprintf("numeric(38,%d)", a.Scale), nil
		case bitmapindex.KindCategory:
			return "text", nil
		case bitmapindex.KindSet:
			return "text[]", nil
		case bitmapindex.KindTime:
			return "timestamptz", nil
		case bitmapindex.KindBool:
			return "boolean", nil
		}
	}
	return "", fmt.Errorf("sqlgen: attribute %s has kind %s, which has no column type", a.Name, a.Kind)
}

// sortedSchema returns the attributes ordered by name.
func sortedSchema(schema []bitmapindex.Attribute) []bitmapindex.Attribute {
	s := append([]bitmapindex.Attribute(nil), schema...)
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}

// DDL returns the CREATE TABLE statements of the documented layout for a
// schema on one server (PostgreSQL with the indexes the rendered queries
// use: GIN on tags, events by name and time and by customer).
func DDL(d Dialect, schema []bitmapindex.Attribute, l Layout) ([]string, error) {
	l = l.withDefaults()
	cols, err := customerColumns(d, schema, l)
	if err != nil {
		return nil, err
	}
	if d == ClickHouse {
		return []string{
			chCreate(l.Customers, cols, "MergeTree() ORDER BY "+quoteColumn(d, l.ID)),
			chCreate(l.Events, eventColumns(d, l), "MergeTree() ORDER BY ("+quoteColumn(d, l.EventName)+", "+quoteColumn(d, l.EventID)+", "+quoteColumn(d, l.EventAt)+")"),
		}, nil
	}
	ct, et := quoteIdent(d, l.Customers), quoteIdent(d, l.Events)
	return []string{
		"CREATE TABLE " + ct + " (\n  " + strings.Join(cols, ",\n  ") + "\n)",
		"CREATE TABLE " + et + " (\n  " + strings.Join(eventColumns(d, l), ",\n  ") + "\n)",
		"CREATE INDEX ON " + ct + " USING gin (" + quoteColumn(d, l.Tags) + ")",
		"CREATE INDEX ON " + et + " (" + quoteColumn(d, l.EventName) + ", " + quoteColumn(d, l.EventAt) + ")",
		"CREATE INDEX ON " + et + " (" + quoteColumn(d, l.EventID) + ")",
	}, nil
}

// ShardedDDL returns the ClickHouse statements of a sharded layout: local
// are run on every shard (MergeTree tables named l.Customers+"_local" and
// l.Events+"_local"), distributed on every server that takes queries and
// inserts (Distributed tables named l.Customers and l.Events over cluster,
// both sharded by cityHash64 of the customer id, so a customer's events
// live on its shard). Render queries with Layout{Events: l.Events+"_local"}
// (or GlobalIn).
func ShardedDDL(schema []bitmapindex.Attribute, l Layout, cluster, database string) (local, distributed []string, err error) {
	d := ClickHouse
	l = l.withDefaults()
	cols, err := customerColumns(d, schema, l)
	if err != nil {
		return nil, nil, err
	}
	cl, el := l.Customers+"_local", l.Events+"_local"
	local = []string{
		chCreate(cl, cols, "MergeTree() ORDER BY "+quoteColumn(d, l.ID)),
		chCreate(el, eventColumns(d, l), "MergeTree() ORDER BY ("+quoteColumn(d, l.EventName)+", "+quoteColumn(d, l.EventID)+", "+quoteColumn(d, l.EventAt)+")"),
	}
	dist := func(table, localTable, idCol string, c []string) string {
		return chCreate(table, c, fmt.Sprintf("Distributed(%s, %s, %s, cityHash64(%s))",
			quoteColumn(d, cluster), quoteColumn(d, database), quoteColumn(d, localTable), quoteColumn(d, idCol)))
	}
	distributed = []string{
		dist(l.Customers, cl, l.ID, cols),
		dist(l.Events, el, l.EventID, eventColumns(d, l)),
	}
	return local, distributed, nil
}

func chCreate(table string, cols []string, engine string) string {
	return "CREATE TABLE " + quoteIdent(ClickHouse, table) + " (\n  " + strings.Join(cols, ",\n  ") + "\n) ENGINE = " + engine
}

func customerColumns(d Dialect, schema []bitmapindex.Attribute, l Layout) ([]string, error) {
	var cols []string
	if d == ClickHouse {
		cols = []string{quoteColumn(d, l.ID) + " String", quoteColumn(d, l.Tags) + " Array(String)"}
	} else {
		cols = []string{quoteColumn(d, l.ID) + " text PRIMARY KEY", quoteColumn(d, l.Tags) + " text[] NOT NULL DEFAULT '{}'"}
	}
	seen := map[string]string{l.ID: "the id", l.Tags: "the tags"}
	for _, a := range sortedSchema(schema) {
		typ, err := ColumnType(d, a)
		if err != nil {
			return nil, err
		}
		col := l.Column(a.Name)
		if other, dup := seen[col]; dup {
			return nil, fmt.Errorf("sqlgen: attribute %s and %s share the column %q", a.Name, other, col)
		}
		seen[col] = "attribute " + a.Name
		if d == Postgres {
			typ += " NULL"
		}
		cols = append(cols, quoteColumn(d, col)+" "+typ)
		if d == ClickHouse && a.Kind == bitmapindex.KindSet {
			seen[col+"_present"] = "attribute " + a.Name
			cols = append(cols, quoteColumn(d, col+"_present")+" UInt8")
		}
	}
	return cols, nil
}

func eventColumns(d Dialect, l Layout) []string {
	q := func(s string) string { return quoteColumn(d, s) }
	if d == ClickHouse {
		return []string{
			q(l.EventID) + " String", q(l.EventName) + " String", q(l.EventAt) + " DateTime('UTC')",
			q(l.EventValue) + " Decimal(38, 4)", q(l.PropKeys) + " Array(String)", q(l.PropValues) + " Array(String)",
		}
	}
	return []string{
		q(l.EventID) + " text NOT NULL", q(l.EventName) + " text NOT NULL", q(l.EventAt) + " timestamptz NOT NULL",
		q(l.EventValue) + " numeric(38,4) NOT NULL DEFAULT 0", q(l.EventProps) + " jsonb NOT NULL DEFAULT '{}'",
	}
}
