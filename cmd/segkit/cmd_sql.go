package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/internal/dataio"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/sqlgen"
)

// sqlSchemaFlags name where the attribute kinds and the time zone come from:
// a schema file or an index snapshot.
type sqlSchemaFlags struct {
	schema, index string
}

func (f *sqlSchemaFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.schema, "schema", "", "schema `FILE` (JSON): the attributes' kinds and the time zone")
	fs.StringVar(&f.index, "index", "", "index `SNAPSHOT` to take the schema and time zone from, instead of --schema")
}

// sqlSchema is what rendering needs to know about the data.
type sqlSchema struct {
	attrs  []bitmapindex.Attribute
	loc    *time.Location
	events map[string][]string // declared event properties; nil when none
}

func (f *sqlSchemaFlags) load() (sqlSchema, error) {
	switch {
	case f.schema != "" && f.index != "":
		return sqlSchema{}, usagef("give either --schema or --index, not both")
	case f.index != "":
		ix, err := bitmapindex.Load(f.index)
		if err != nil {
			return sqlSchema{}, err
		}
		return sqlSchema{ix.Schema(), ix.Location(), ix.View().EventSchema()}, nil
	case f.schema != "":
		s, err := dataio.ReadSchemaFile(f.schema)
		if err != nil {
			return sqlSchema{}, err
		}
		loc := s.Location
		if loc == nil {
			loc = time.UTC
		}
		return sqlSchema{s.Attributes, loc, s.Events}, nil
	}
	return sqlSchema{}, usagef("--schema FILE (or --index SNAPSHOT) is required: the SQL of a comparison depends on the attribute's kind")
}

func dialectFlag(s string) (sqlgen.Dialect, error) {
	d, ok := sqlgen.ParseDialect(s)
	if !ok {
		return 0, usagef("--dialect must be postgres or clickhouse, got %s", dataio.Quote(s))
	}
	return d, nil
}

// sqlCmd prints a rule as SQL.
type sqlCmd struct {
	schema    sqlSchemaFlags
	now       timeFlag
	limits    limitsFlag
	dialect   string
	rule      string
	defs      string
	count     bool
	params    bool
	customers string
	events    string
	globalIn  bool
}

func (*sqlCmd) doc() doc {
	return doc{
		name:    "sql",
		summary: "print a rule as one SQL query returning the members' ids (or their number) on PostgreSQL or ClickHouse",
		usage:   "--dialect postgres|clickhouse (--schema FILE | --index SNAPSHOT) --now T --rule R [--count] [--defs FILE] [--params]",
		example: `segkit sql --dialect postgres --schema schema.json --now 2026-06-30 \
  --rule 'has("undergrad") && age in 18..24 && !didWithin("purchase","30d")'`,
	}
}

func (c *sqlCmd) flags(fs *flag.FlagSet) {
	c.schema.register(fs)
	nowVar(fs, &c.now, "now", "evaluation time `T` (YYYY-MM-DD or RFC 3339); windows end on this day")
	c.limits.register(fs)
	fs.StringVar(&c.dialect, "dialect", "postgres", "SQL `dialect`: postgres (15+) or clickhouse (18.16+)")
	fs.StringVar(&c.rule, "rule", "", "the `RULE` in segkit's rule language")
	fs.StringVar(&c.defs, "defs", "", "segment definitions `FILE` that inSegment references resolve in (as for 'segkit segments')")
	fs.BoolVar(&c.count, "count", false, "select the number of members instead of their ids")
	fs.BoolVar(&c.params, "params", false, "PostgreSQL: constants as $n bind parameters, listed after the query")
	fs.StringVar(&c.customers, "customers-table", "customers", "customers `TABLE` (ClickHouse shards: the Distributed table)")
	fs.StringVar(&c.events, "events-table", "events", "events `TABLE` (ClickHouse shards: the shard-local table, or the Distributed one with --global-in)")
	fs.BoolVar(&c.globalIn, "global-in", false, "ClickHouse: event subqueries as GLOBAL IN (events not sharded like the customers)")
}

func (c *sqlCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q (quote the rule and pass it with --rule)", args)
	}
	if c.rule == "" {
		return usagef("--rule is required")
	}
	d, err := dialectFlag(c.dialect)
	if err != nil {
		return err
	}
	if c.params && d != sqlgen.Postgres {
		return usagef("--params is for PostgreSQL: ClickHouse queries carry escaped literals")
	}
	if err := c.now.required(); err != nil {
		return err
	}
	sch, err := c.schema.load()
	if err != nil {
		return err
	}
	attrs, loc := sch.attrs, sch.loc
	t, err := c.now.in(loc)
	if err != nil {
		return err
	}
	opts := []segment.Option{segment.WithSchema(attrs)}
	if sch.events != nil {
		opts = append(opts, segment.WithEventSchema(sch.events))
	}
	if c.limits.raw != "" {
		opts = append(opts, segment.WithLimits(c.limits.l))
	}
	var segs sqlgen.Segments
	if c.defs != "" {
		reg := segment.NewRegistry(opts...)
		if _, err := dataio.DefineSegmentsFile(c.defs, reg, opts...); err != nil {
			if dataio.IsRuleProblem(err) {
				return &ruleError{err}
			}
			return err
		}
		segs = reg
	}
	r, err := compileRule(c.rule, opts...)
	if err != nil {
		return err
	}
	g, err := sqlgen.New(sqlgen.Options{
		Dialect: d, Schema: attrs, Location: loc, Segments: segs, Params: c.params,
		Layout: sqlgen.Layout{Customers: c.customers, Events: c.events, GlobalIn: c.globalIn},
	})
	if err != nil {
		return err
	}
	var q sqlgen.Query
	if c.count {
		q, err = g.Count(r, t)
	} else {
		q, err = g.Select(r, t)
	}
	if err != nil {
		var el segment.ErrorList
		if errors.As(err, &el) {
			return &ruleError{err}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s;\n", q.SQL)
	for i, a := range q.Args {
		fmt.Fprintf(e.stdout, "-- $%d = %s\n", i+1, argString(a))
	}
	return nil
}

func argString(a any) string {
	switch x := a.(type) {
	case string:
		return dataio.Quote(x)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = dataio.Quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float64:
		return fmt.Sprintf("%.0f (%s)", x, time.Unix(int64(x), 0).UTC().Format(time.RFC3339))
	}
	return fmt.Sprint(a)
}

// sqlDDLCmd prints the CREATE statements of the documented layout.
type sqlDDLCmd struct {
	schema   sqlSchemaFlags
	dialect  string
	cluster  string
	database string
}

func (*sqlDDLCmd) doc() doc {
	return doc{
		name:    "sql ddl",
		summary: "print the CREATE TABLE statements of the documented layout (customers, events) for a schema",
		usage:   "--dialect postgres|clickhouse (--schema FILE | --index SNAPSHOT) [--cluster NAME [--database DB]]",
		example: `segkit sql ddl --dialect clickhouse --schema schema.json --cluster segkit`,
	}
}

func (c *sqlDDLCmd) flags(fs *flag.FlagSet) {
	c.schema.register(fs)
	fs.StringVar(&c.dialect, "dialect", "postgres", "SQL `dialect`: postgres or clickhouse")
	fs.StringVar(&c.cluster, "cluster", "", "ClickHouse: the `CLUSTER` (remote_servers) to shard over: shard-local tables plus Distributed tables sharded by customer id")
	fs.StringVar(&c.database, "database", "default", "ClickHouse with --cluster: the `DATABASE` of the shard-local tables")
}

func (c *sqlDDLCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	d, err := dialectFlag(c.dialect)
	if err != nil {
		return err
	}
	sch, err := c.schema.load()
	if err != nil {
		return err
	}
	attrs := sch.attrs
	if c.cluster != "" {
		if d != sqlgen.ClickHouse {
			return usagef("--cluster is for ClickHouse")
		}
		local, dist, err := sqlgen.ShardedDDL(attrs, sqlgen.Layout{}, c.cluster, c.database)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "-- on every shard, in database %s\n%s;\n\n-- on every server that takes queries and inserts (its Distributed tables read %s on the shards)\n%s;\n", c.database, strings.Join(local, ";\n\n"), c.database, strings.Join(dist, ";\n\n"))
		return nil
	}
	stmts, err := sqlgen.DDL(d, attrs, sqlgen.Layout{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s;\n", strings.Join(stmts, ";\n\n"))
	return nil
}
