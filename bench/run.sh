#!/usr/bin/env bash
# The one command of the comparison benchmark (issue 9):
#
#   bash bench/run.sh                                  # 1M customers, all engines
#   bash bench/run.sh --customers 10M --one-at-a-time  # 10M, one engine in memory at a time
#
# It installs PostgreSQL 15 from Debian's packages when absent, starts a
# throwaway server on 127.0.0.1 (stopped and deleted at the end, also on
# failure), then runs `go run ./cmd/compare` with the given flags (see
# bench/README.md). Set SEGKIT_BENCH_PG_DSN to use a server of your own.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pg.sh
source "$here/pg.sh"
if [ -z "${SEGKIT_BENCH_PG_DSN:-}" ]; then
	pg_start
fi
cd "$here"
echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
go run ./cmd/compare --pg-dsn "$SEGKIT_BENCH_PG_DSN" "$@"
