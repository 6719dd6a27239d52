#!/bin/bash
# test/bench/run.sh: the benchmark of ecs_image_fdw (see test/bench/README.md).
#
#   bash test/bench/run.sh [--runs N] [--slow-runs N] [--no-build] [--accounts-only]
#
# --runs N       timed warm runs per fast variant, after one cold run (default 5)
# --slow-runs N  the same for the serial variants (~16 s a run) and the 100,000-row
#                scans (~5 s) (default 3)
# --no-build     use the installed extension as it is (no make clean / install)
# --accounts-only  only part 5 (many accounts), with its report
#
# Builds and installs the extension, starts a throw-away cluster and the ECS
# emulator over HTTPS, measures, and prints the figures on stdout (progress on
# stderr).  Everything it started is stopped again.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
BENCH=$ECS_TOP/test/bench
RUNS=5
SLOW_RUNS=3
BUILD=1
ONLY_ACCOUNTS=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift 2 ;;
	--slow-runs) SLOW_RUNS=$2; shift 2 ;;
	--no-build) BUILD=; shift ;;
	--accounts-only) ONLY_ACCOUNTS=1; shift ;;
	*) ecs_die "usage: bash test/bench/run.sh [--runs N] [--slow-runs N] [--no-build] [--accounts-only]" ;;
	esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ && "$SLOW_RUNS" =~ ^[1-9][0-9]*$ ]] || ecs_die "--runs and --slow-runs take a positive integer"
START=$SECONDS

ecs_install_deps
ecs_workdir
# ECS_PRIVATE_PG=1: build into a private copy of the PostgreSQL tree (as the
# test command does), so that work trees side by side never touch the system's
[ -n "${ECS_PRIVATE_PG:-}" ] && ecs_private_pg
[ -n "$BUILD" ] && ecs_build_install
[ "$(getconf CLK_TCK)" = 100 ] || ecs_die "bench.sql assumes USER_HZ = 100"
if [ ! -d "$BENCH/node_modules" ] || ! cmp -s "$BENCH/package-lock.json" "$BENCH/node_modules/.bench-lock.json"; then
	ecs_log "installing the official npm SDK (npm ci)"
	(cd "$BENCH" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null &&
		cp package-lock.json node_modules/.bench-lock.json) || ecs_die "npm ci failed"
fi
ecs_start_postgres
psql -Xq -v ON_ERROR_STOP=1 -f "$BENCH/bench.sql" || ecs_die "bench.sql failed"

OUT=$WORK/results          # results.tsv and one emulator stats file per measurement
mkdir "$OUT"
emu() { "$ECS_PYTHON" "$ECS_TOP/test/emulator/emuctl.py" "$@"; }

# emulator ARGS: (re)start the emulator with these arguments
emulator() {
	if [ -n "${EMU_PID:-}" ]; then
		kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null
		rm -f "$WORK/emulator.port"
	fi
	ecs_log "emulator: $*"
	ecs_start_emulator "$@"
	printf 'emulator\t%s\n' "$*" >>"$OUT/results.tsv"
	# for bench_scan's emulator CPU time
	psql -Xq -c "TRUNCATE bench_emulator; INSERT INTO bench_emulator VALUES ($EMU_PID)" ||
		ecs_die "could not record the emulator's pid"
}

# server NAME [OPTION...]: a server on the current emulator, the owner's user
# mapping, and its tables imported into the schema NAME
server() {
	account_server "$1" LTAI5tEmuOwner0000000001 emu-owner-secret-0001 "${@:2}"
}

# account_server NAME KEY_ID SECRET [OPTION...]: the same with another account's key
account_server() {
	local name=$1 key=$2 secret=$3 opts
	shift 3
	opts=$(printf ", %s" "$@")
	psql -Xq -v ON_ERROR_STOP=1 <<-SQL || ecs_die "could not create server $name"
		CREATE SERVER $name FOREIGN DATA WRAPPER ecs_image_fdw
		  OPTIONS (endpoint '$EMU_URL', ca_file '$EMU_CA', sts_endpoint '$EMU_URL'${1:+$opts});
		CREATE USER MAPPING FOR CURRENT_USER SERVER $name
		  OPTIONS (access_key_id '$key', access_key_secret '$secret');
		CREATE SCHEMA $name;
		IMPORT FOREIGN SCHEMA ecs FROM SERVER $name INTO $name;
	SQL
}

# fdw_runs VARIANT N QUERY: in one new backend, a cold run and N warm runs of
# QUERY; the emulator's stats of them all go to stats.VARIANT.json, and those
# of the cold run alone (taken right after it) to stats.VARIANT.cold.json
fdw_runs() {
	local variant=$1 n=$2 query=$3 i
	ecs_log "$variant: 1 cold + $n warm runs of: ${query:0:70}"
	emu stats-reset
	for i in $(seq 0 "$n"); do
		printf "SELECT bench_scan('%s', %d, \$q\$%s\$q\$);\n" "$variant" "$i" "$query"
		if [ "$i" = 0 ]; then
			printf '\\! "%s" "%s" stats-json >"%s"\n' "$ECS_PYTHON" \
				"$ECS_TOP/test/emulator/emuctl.py" "$OUT/stats.$variant.cold.json"
		fi
	done | psql -XAt -v ON_ERROR_STOP=1 >>"$OUT/results.tsv" 2>"$WORK/err" ||
		printf 'error\t%s\t%s\n' "$variant" "$(head -1 "$WORK/err")" >>"$OUT/results.tsv"
	emu stats-json >"$OUT/stats.$variant.json"
}

# sdk_runs VARIANT N serial|parallel PAGE_SIZE: the same with the official SDK
sdk_runs() {
	local variant=$1 n=$2
	ecs_log "$variant: 1 cold + $n warm runs of sdk_scan.js $3 $4"
	emu stats-reset
	node "$BENCH/sdk_scan.js" "$3" "$4" "$n" | sed "s/^/sdk\t$variant\t/" >>"$OUT/results.tsv" ||
		ecs_die "sdk_scan.js failed"
	emu stats-json >"$OUT/stats.$variant.json"
}

# lookup NAME ROWS [DETAIL]: a query's rows; the emulator's stats since the last reset
lookup() {
	printf 'lookup\t%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$OUT/results.tsv"
	emu stats-json >"$OUT/stats.$1.json"
}

# cancellation: statement_timeout 500 ms while every answer stalls, and while
# the scan sleeps between throttled answers; the latency past the 500 ms
cancel_runs() {
	local name=$1 fault=$2 from=${3:-ecs.images} i
	ecs_log "cancel: statement_timeout during $name, 5 times"
	emu faults-clear
	emu fault "$fault"
	for i in 1 2 3 4 5; do
		psql -XAt 2>/dev/null <<-SQL
			SET statement_timeout = '500ms';
			SELECT clock_timestamp() AS t0 \gset
			SELECT count(*) FROM $from;
			SELECT concat_ws(E'\t', 'cancel', '$name',
			       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) - 500);
		SQL
	done >>"$OUT/results.tsv"
	emu faults-clear
}
if [ -z "$ONLY_ACCOUNTS" ]; then
# ---- 1. 24 regions x 1000 own images (+ those shared with us), 50 ms a request
emulator --latency-ms 50 --regions 24 --images-per-region 1000
server ecs
server c1 "max_concurrency '1'"
server c32 "max_concurrency '32'"

ecs_log "plain SELECT count(*) and an image id for the lookup"
read -r COUNT ID < <(psql -XAt -F ' ' -c "SELECT count(*), min(image_id) FILTER
	(WHERE region_id = 'cn-shanghai' AND image_owner_alias = 'self') FROM ecs.images")
[ -n "${ID:-}" ] || ecs_die "the plain SELECT count(*) failed"
printf 'count\tplain\t%s\n' "$COUNT" >>"$OUT/results.tsv"

fdw_runs a "$RUNS" "SELECT count(*) FROM ecs.images"
fdw_runs c32 "$RUNS" "SELECT count(*) FROM c32.images"
sdk_runs d "$RUNS" parallel 50
ecs_log "requests of a targeted lookup and of LIMIT 10 in one region"
emu stats-reset
lookup image_id "$(psql -XAt -c "SELECT count(*) FROM ecs.images WHERE region_id = 'cn-shanghai' AND image_id = '$ID'")" "$ID"
emu stats-reset
lookup limit10 "$(psql -Xq -c "\copy (SELECT * FROM ecs.images WHERE region_id = 'cn-shanghai' LIMIT 10) TO STDOUT" | wc -l)"
fdw_runs c1 "$SLOW_RUNS" "SELECT count(*) FROM c1.images"
sdk_runs c "$SLOW_RUNS" serial 100

cancel_runs stall '{"kind": "stall", "action": "DescribeImages", "ms": 60000}'
cancel_runs backoff '{"kind": "throttle", "action": "DescribeImages"}'

# ---- 2. the same with the emulator's --qps-limit: throttled, retried, still complete
emulator --latency-ms 50 --regions 24 --images-per-region 1000 --qps-limit 100
server qps
fdw_runs qps 0 "SELECT count(*) FROM qps.images"

# ---- 3. no latency, 10 regions x 10000 own images = 100,000 rows (table option
#         image_owner_alias 'self'): decoding throughput and memory
emulator --latency-ms 0 --regions 10 --images-per-region 10000
server l0
psql -Xq -c "ALTER FOREIGN TABLE l0.images OPTIONS (ADD image_owner_alias 'self')" ||
	ecs_die "could not set image_owner_alias"
ALL=$(psql -XAt -c "SELECT string_agg(format('count(%I) AS %I', attname, attname), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'l0.images'::regclass AND attnum > 0")
fdw_runs count_l0 "$SLOW_RUNS" "SELECT count(*) FROM l0.images"
fdw_runs all_l0 "$SLOW_RUNS" "SELECT $ALL FROM l0.images"

# decoding alone: the same answers from the FDW's own cache (server option
# cache_ttl_s), so no HTTP, TLS or waiting.  The cache holds 64 MB, so only
# 4 regions: 40,000 rows, ~52 MB of answers.  The cold run fills the cache.
server l0c "cache_ttl_s '3600'"
psql -Xq -c "ALTER FOREIGN TABLE l0c.images OPTIONS (ADD image_owner_alias 'self',
	ADD regions 'cn-hangzhou,cn-shanghai,cn-beijing,cn-shenzhen')" || ecs_die "could not set the regions"
fdw_runs count_cached "$RUNS" "SELECT count(*) FROM l0c.images"
fdw_runs all_cached "$RUNS" "SELECT $ALL FROM l0c.images"

# peak memory of a new backend: every column of 1000 rows (LIMIT) and of all 100,000
for from in "(SELECT * FROM l0.images LIMIT 1000) s" "l0.images"; do
	ecs_log "memory: SELECT <every column> FROM $from, in a new backend"
	psql -XAt -v ON_ERROR_STOP=1 >>"$OUT/results.tsv" <<-SQL || ecs_die "memory run failed"
		SELECT hwm_kb AS h0, rss_kb AS r0 FROM bench_mem() \gset
		SELECT $ALL FROM $from \gset
		SELECT concat_ws(E'\t', 'mem', :image_id, :h0, :r0, hwm_kb, rss_kb) FROM bench_mem();
	SQL
done

fi

# ---- 5. many accounts: 8 accounts x 6 regions x 300 own images, 50 ms a request;
#         a UNION ALL view over their 8 servers against one account's table
emulator --latency-ms 50 --regions 6 --images-per-region 300 --extra-accounts 8
VIEW="CREATE VIEW all_accounts AS"
for k in 1 2 3 4 5 6 7 8; do
	account_server "acct$k" "$(printf 'LTAI5tEmuAcct%011d' "$k")" "$(printf 'emu-acct-secret-%04d' "$k")"
	VIEW="$VIEW$([ "$k" -gt 1 ] && echo ' UNION ALL') SELECT * FROM acct$k.images"
done
psql -Xq -v ON_ERROR_STOP=1 -c "$VIEW" || ecs_die "could not create the view"
COUNT8=$(psql -XAt -c "SELECT count(*) FROM all_accounts") || ecs_die "the plain count of the view failed"
printf 'count\tview8\t%s\n' "$COUNT8" >>"$OUT/results.tsv"
fdw_runs one "$RUNS" "SELECT count(*) FROM acct1.images"
fdw_runs view8 "$RUNS" "SELECT count(*) FROM all_accounts"
PGOPTIONS="-c enable_async_append=off" fdw_runs view8_sync "$SLOW_RUNS" "SELECT count(*) FROM all_accounts"
# the same two with every answer 300 ms late (a latency fault on top of the
# 50 ms): then the emulator's CPU time hides behind the latency
emu fault '{"kind": "latency", "ms": 250}'
fdw_runs one300 "$SLOW_RUNS" "SELECT count(*) FROM acct1.images"
fdw_runs view300 "$SLOW_RUNS" "SELECT count(*) FROM all_accounts"
emu faults-clear
# what the emulator and the machine allow: 8 backends at once, one account each
ecs_log "par8: 8 backends at once, each 1 cold + $RUNS warm runs of one account's count"
emu stats-reset
PIDS=()
for k in 1 2 3 4 5 6 7 8; do
	for i in $(seq 0 "$RUNS"); do
		printf "SELECT bench_scan('par8', %d, \$q\$SELECT count(*) FROM acct%d.images\$q\$);\n" "$i" "$k"
	done | psql -XAt -v ON_ERROR_STOP=1 >"$WORK/par8.$k" 2>&1 &
	PIDS+=($!)
done
wait "${PIDS[@]}"
cat "$WORK"/par8.* >>"$OUT/results.tsv"
emu stats-json >"$OUT/stats.par8.json"

# the view with a condition on account_id: one cold run (it asks each server's
# account once: GetCallerIdentity), then the warm runs, whose requests by
# account the emulator counts
PRUNED="SELECT count(*) FROM all_accounts WHERE account_id = '5000000000000003'"
ecs_log "pruned: 1 cold + $RUNS warm runs of: $PRUNED"
emu stats-reset
{
	printf "SELECT bench_scan('pruned', 0, \$q\$%s\$q\$);\n" "$PRUNED"
	printf '\\! "%s" "%s" stats-json >"%s"\n' "$ECS_PYTHON" "$ECS_TOP/test/emulator/emuctl.py" "$OUT/stats.pruned_cold.json"
	printf '\\! "%s" "%s" stats-reset\n' "$ECS_PYTHON" "$ECS_TOP/test/emulator/emuctl.py"
	for i in $(seq 1 "$RUNS"); do
		printf "SELECT bench_scan('pruned', %d, \$q\$%s\$q\$);\n" "$i" "$PRUNED"
	done
} | psql -XAt -v ON_ERROR_STOP=1 >>"$OUT/results.tsv" 2>"$WORK/err" ||
	printf 'error\tpruned\t%s\n' "$(head -1 "$WORK/err")" >>"$OUT/results.tsv"
emu stats-json >"$OUT/stats.pruned.json"

cancel_runs view8 '{"kind": "stall", "action": "DescribeImages", "ms": 60000}' all_accounts
# a failing account: every request of account 5 in cn-beijing is refused
emu fault '{"kind": "error", "status": 403, "code": "Forbidden.RAM", "message": "User not authorized to operate on the specified resource.", "account": "5000000000000005", "region": "cn-beijing"}'
printf 'fail\t%s\n' "$(psql -XAt -c "SELECT count(*) FROM all_accounts" 2>&1 | head -1)" >>"$OUT/results.tsv"
emu faults-clear

ecs_log "done in $((SECONDS - START)) s; report:"
RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS CPUS=$(nproc) ONLY_ACCOUNTS=$ONLY_ACCOUNTS node "$BENCH/report.js" "$OUT"
