# shellcheck shell=bash
# Helpers for the integration tests: start ClickHouse from Debian's
# clickhouse-server package (18.16 on bookworm) as two shards — two server
# processes on loopback ports with their own data directories — and stop
# them (deleting the data) when the calling script exits.
#
#   source integration/ch.sh; ch_start   # exports SEGKIT_IT_CH_SHARDS
#
# SEGKIT_IT_CH_SHARDS is "http://127.0.0.1:P1,http://127.0.0.1:P2" (each
# shard's HTTP interface); both servers know the cluster "segkit" of the two.

CH_BIN=/usr/sbin/clickhouse-server

ch_install() {
	if [ -x "$CH_BIN" ]; then
		return 0
	fi
	echo "integration: installing clickhouse-server from Debian's packages" >&2
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clickhouse-server >/dev/null
	[ -x "$CH_BIN" ] || { echo "integration: clickhouse-server installed but $CH_BIN is missing" >&2; return 1; }
}

ch_free_port() { # start of the range
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ " ${CH_USED_PORTS:-} " != *" $p "* ]]; then
			CH_USED_PORTS="${CH_USED_PORTS:-} $p"
			echo "$p"
			return 0
		fi
	done
	echo "integration: no free port from $1" >&2
	return 1
}

CH_DIR=""
CH_PIDS=()

ch_stop() {
	local pid
	for pid in "${CH_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${CH_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
	done
	CH_PIDS=()
	if [ -n "$CH_DIR" ] && [ -d "$CH_DIR" ]; then
		rm -rf "$CH_DIR"
		echo "integration: stopped ClickHouse and removed $CH_DIR" >&2
	fi
	CH_DIR=""
}

ch_start() {
	ch_install
	CH_DIR=$(mktemp -d /tmp/segkit-it-ch.XXXXXX)
	local h1 t1 h2 t2 i
	h1=$(ch_free_port 28123); t1=$(ch_free_port 29000)
	h2=$(ch_free_port 28323); t2=$(ch_free_port 29200)
	cat >"$CH_DIR/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
	local hp=("$h1" "$h2") tp=("$t1" "$t2")
	for i in 0 1; do
		local d="$CH_DIR/s$i"
		mkdir -p "$d/data" "$d/tmp" "$d/files"
		cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/server.err.log</errorlog></logger>
  <http_port>${hp[$i]}</http_port>
  <tcp_port>${tp[$i]}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/files/</user_files_path>
  <users_config>$CH_DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
  <remote_servers>
    <segkit>
      <shard><replica><host>127.0.0.1</host><port>$t1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$t2</port></replica></shard>
    </segkit>
  </remote_servers>
</yandex>
XML
		"$CH_BIN" --config-file="$d/config.xml" >"$d/stdout.log" 2>&1 &
		CH_PIDS+=($!)
	done
	# keep a PostgreSQL started by bench/pg.sh's pg_start stopped on exit too
	trap 'ch_stop; if declare -F pg_stop >/dev/null; then pg_stop; fi' EXIT
	trap 'ch_stop; if declare -F pg_stop >/dev/null; then pg_stop; fi; exit 130' INT TERM
	for i in 0 1; do
		local ok=""
		for _ in $(seq 150); do
			if [ "$(curl -s "http://127.0.0.1:${hp[$i]}/ping" 2>/dev/null)" = "Ok." ]; then
				ok=1
				break
			fi
			sleep 0.2
		done
		if [ -z "$ok" ]; then
			echo "integration: ClickHouse shard $i did not start" >&2
			cat "$CH_DIR/s$i/stdout.log" "$CH_DIR/s$i/server.err.log" >&2 2>/dev/null || true
			return 1
		fi
	done
	export SEGKIT_IT_CH_SHARDS="http://127.0.0.1:$h1,http://127.0.0.1:$h2"
	echo "integration: ClickHouse $(curl -s "http://127.0.0.1:$h1/?query=SELECT%20version()") as two shards, HTTP on $h1 and $h2, data in $CH_DIR" >&2
}
