#!/usr/bin/env bash
# CI smoke run of the comparison benchmark: 10,000 customers through every
# engine and layout (segkit, the roaring floor, the expr baseline, DuckDB in
# both layouts, SQLite, PostgreSQL in both layouts), checking only that all
# of them return the same member count for every rule; exits non-zero with
# the diff otherwise. Then the bench module's tests, with the PostgreSQL
# translations checked against the same server.
#
#   bash bench/smoke.sh
#
# It needs Go, a C compiler (DuckDB and SQLite are cgo) and root or sudo the
# first time (apt-get install postgresql-15). The throwaway PostgreSQL is
# stopped and its data directory deleted on exit, also on failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pg.sh
source "$here/pg.sh"
if [ -z "${SEGKIT_BENCH_PG_DSN:-}" ]; then
	SEGKIT_BENCH_PG_SHARED_BUFFERS=${SEGKIT_BENCH_PG_SHARED_BUFFERS:-256MB} pg_start
fi
cd "$here"
start=$(date +%s)
go run ./cmd/compare --customers 10000 --runs 0 --gen-time=false \
	--engines segkit,duckdb,duckdb-list,duckdb-sqlgen,sqlite,postgres,postgres-gin,postgres-sqlgen \
	--pg-dsn "$SEGKIT_BENCH_PG_DSN" >/dev/null
echo "bench smoke: counts agree across all engines ($(($(date +%s) - start)) s including the build)" >&2
go vet ./...
go test ./...
echo "bench smoke: ok" >&2
