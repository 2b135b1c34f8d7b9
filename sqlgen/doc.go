// Package sqlgen renders a compiled segment rule as SQL, so the same
// segment definition runs where the data lives: PostgreSQL 15+ or
// ClickHouse 18.16+ (a single server, or shards behind Distributed tables),
// over the documented layout (see [Layout]; [DDL] and [ShardedDDL] create
// it).
//
//	g, _ := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: ix.Schema(), Location: ix.Location(), Segments: registry, Params: true})
//	q, err := g.Select(rule, now) // q.SQL returns the members' ids; q.Args its $n values
//	q, err = g.Count(rule, now)   // SELECT count(*) …
//
// A query selects exactly the customers [segment.Rule.Eval] selects on an
// index holding the same data (the integration module holds them to it on
// random rules of every form, against real servers):
//
//   - a missing value is NULL, and a positive condition on it is false;
//     !p, !=, not in, hasNone are complements over every customer row, so
//     they include customers without a value;
//   - time is measured in whole days in [Options.Location]: day bounds and
//     event windows ending on the day of now are rendered as half-open
//     ranges of instants [first second of a day, first second of the next),
//     which is the same as comparing (at AT TIME ZONE zone)::date or
//     toDate(at, zone) and keeps the conditions sargable;
//   - decimals compare in the attribute's fixed-point domain (x > 100.555 at
//     scale 2 is x > 100.55), times at second precision, categories as
//     bytes (COLLATE "C" on PostgreSQL);
//   - countWithin counts events (not days), firstWithin looks at the
//     customer's first-ever event; property filters test the event's
//     properties (props ->> key on PostgreSQL, the prop_keys/prop_values
//     arrays on ClickHouse); sumWithin/sumBetween add the values exactly in
//     numeric / Decimal(38,4) (0 without events) and avgWithin compares
//     sum op value × count (false without events); didBetween and friends
//     use their fixed days; didThen joins the events with themselves and
//     compares days in the zone (an IANA zone name, or a fixed offset);
//   - inSegment renders the referenced
//     segment from [Options.Segments] (a PostgreSQL CTE per segment; inline
//     on ClickHouse, which has no table CTEs before 20.x; frozen static
//     segments as their member list);
//   - regular expressions are Go's (RE2 syntax), rewritten from their syntax
//     tree with explicit code point classes for each engine; a construct an
//     engine cannot match identically (multi-line anchors and counted
//     repetitions over 255 on PostgreSQL) is an error naming it, at the
//     rule's line and column.
//
// Constants travel as bind parameters (PostgreSQL with Params) or as
// literals escaped for the engine: a rule string such as
// `'; DROP TABLE customers; --` is data, never SQL.
//
// A Generator is immutable and safe for concurrent use.
package sqlgen
