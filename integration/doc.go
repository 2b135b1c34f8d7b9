// Package integration holds segkit's tests against real database servers,
// in a module of its own so that their drivers never enter the library's
// go.mod: a throwaway PostgreSQL 15 and ClickHouse (Debian's
// clickhouse-server, 18.16) as two shards behind Distributed tables, both
// started by .ci/run (see run.sh).
//
// The differential test renders random rules of every form with sqlgen,
// runs them on a bitmapindex, on PostgreSQL and on the sharded ClickHouse,
// and requires identical member sets. The loader test builds and refreshes
// an index from PostgreSQL with dbload.
//
// Without the servers (SEGKIT_IT_PG_DSN, SEGKIT_IT_CH_SHARDS unset) the
// tests skip, unless SEGKIT_IT_REQUIRE=1 makes that a failure.
package integration
