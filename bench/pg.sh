# shellcheck shell=bash
# Helpers for run.sh and smoke.sh: install PostgreSQL 15 from Debian's
# packages when absent, start a throwaway server on 127.0.0.1 and stop it
# (deleting its data directory) when the calling script exits, also on failure.
#
#   source bench/pg.sh; pg_start   # exports SEGKIT_BENCH_PG_DSN
#
# Settings: SEGKIT_BENCH_PG_SHARED_BUFFERS (default 6GB: 25% of the 24 GiB machine),
# SEGKIT_BENCH_PG_THREADS (parallel workers per query, default 2).

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin

pg_install() {
	if [ -x "$PG_BIN/pg_ctl" ]; then
		return 0
	fi
	echo "bench: installing postgresql-$PG_VERSION from Debian's packages" >&2
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "postgresql-$PG_VERSION" >/dev/null
	if [ ! -x "$PG_BIN/pg_ctl" ]; then
		echo "bench: postgresql-$PG_VERSION installed but $PG_BIN/pg_ctl is missing" >&2
		return 1
	fi
}

# pg_free_port prints a TCP port on 127.0.0.1 that nothing listens on.
pg_free_port() {
	local p
	for p in $(seq 25432 25631); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "bench: no free port in 25432..25631" >&2
	return 1
}

PG_DIR=""

pg_stop() {
	if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
		$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
		rm -rf "$PG_DIR"
		echo "bench: stopped PostgreSQL and removed $PG_DIR" >&2
	fi
	PG_DIR=""
}

pg_start() {
	pg_install
	# postgres refuses to run as root: run it as the postgres user then.
	PG_AS=""
	if [ "$(id -u)" = 0 ]; then
		PG_AS="runuser -u postgres --"
	fi
	PG_DIR=$(mktemp -d /tmp/segkit-bench-pg.XXXXXX)
	trap pg_stop EXIT
	trap 'pg_stop; exit 130' INT TERM
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$PG_DIR"
	fi
	local port
	port=$(pg_free_port)
	$PG_AS "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	# A throwaway copy tuned as PostgreSQL's documentation recommends (the
	# sources are in bench/README.md, "Tuning"): shared_buffers 25% of RAM
	# and effective_cache_size about half (runtime-config-resource,
	# runtime-config-query), work_mem and maintenance_work_mem large for
	# sorts, hashes and index builds (populate.html: indexes after COPY,
	# larger maintenance_work_mem and max_wal_size, ANALYZE afterwards),
	# parallel workers as in DESIGN.md §6, random_page_cost 1.1 for data
	# in memory, durability off for data regenerated on every run
	# (non-durability.html), JIT off (jit-decision.html: its cost pays
	# only for long CPU-bound queries; these run in milliseconds).
	cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_DIR'
shared_buffers = ${SEGKIT_BENCH_PG_SHARED_BUFFERS:-6GB}
effective_cache_size = 12GB
work_mem = 256MB
maintenance_work_mem = 1GB
max_worker_processes = 8
max_parallel_workers = ${SEGKIT_BENCH_PG_THREADS:-2}
max_parallel_workers_per_gather = ${SEGKIT_BENCH_PG_THREADS:-2}
max_parallel_maintenance_workers = ${SEGKIT_BENCH_PG_THREADS:-2}
random_page_cost = 1.1
effective_io_concurrency = 200
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 4GB
checkpoint_timeout = 1h
autovacuum = off
CONF
	$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null || {
		cat "$PG_DIR/server.log" >&2
		return 1
	}
	export SEGKIT_BENCH_PG_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	echo "bench: PostgreSQL $PG_VERSION on 127.0.0.1:$port, data in $PG_DIR" >&2
}
