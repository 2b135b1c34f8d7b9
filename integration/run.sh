#!/usr/bin/env bash
# Runs the integration tests against real servers: a throwaway PostgreSQL 15
# (bench/pg.sh) and ClickHouse from Debian's clickhouse-server package as two
# shards (integration/ch.sh), both on loopback, installed with apt-get the
# first time and removed (data directories included) when this script exits.
#
#   bash integration/run.sh [go test flags…]
#
# SEGKIT_IT_RULES sets the number of random rules of the differential test
# (default 600).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../bench/pg.sh
source "$here/../bench/pg.sh"
# shellcheck source=ch.sh
source "$here/ch.sh"

SEGKIT_BENCH_PG_SHARED_BUFFERS=${SEGKIT_BENCH_PG_SHARED_BUFFERS:-256MB} pg_start
ch_start
export SEGKIT_IT_PG_DSN="$SEGKIT_BENCH_PG_DSN"
export SEGKIT_IT_REQUIRE=1
cd "$here"
go vet ./...
go test -count=1 "$@" ./...
