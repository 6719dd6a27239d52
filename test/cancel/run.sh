#!/bin/bash
# test/cancel/run.sh: how fast a statement ends once it is cancelled (see README.md).
#
#   bash test/cancel/run.sh [--runs N] [--no-build]
#
# --runs N     cancels per situation and method (default 20)
# --no-build   use the installed extension as it is (no make clean / install)
#
# Three situations (a stalled request, a long ecs_wait_image, a retry backoff)
# times two ways to cancel (statement_timeout, pg_cancel_backend from a second
# session).  Each cancelled statement must end with SQLSTATE 57014 within
# 1000 ms, and the same session must then run SELECT 1 and a foreign scan.
# Prints a table and "cancel: worst W ms over K cancels"; exit status 1 if a
# cancel was slower than 1000 ms, ended with another SQLSTATE, or broke the session.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
RUNS=20
BUILD=1
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=${2:-}; shift 2 || RUNS= ;;
	--no-build) BUILD=; shift ;;
	*) ecs_die "usage: bash test/cancel/run.sh [--runs N] [--no-build]" ;;
	esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || ecs_die "--runs takes a positive integer"

LIMIT_MS=1000
OWNER_KEY=LTAI5tEmuOwner0000000001
MARK='/*cancel-target*/'    # marks the statement to cancel in pg_stat_activity
APP=cancel_target           # application_name of the session that is cancelled

START=$SECONDS
ecs_install_deps
[ -n "$BUILD" ] && ecs_build_install
ecs_workdir
ecs_start_emulator --regions 4 --images-per-region 12
# the owner's secret reaches psql only through the environment (\getenv), never
# a command line or the output; test/lib.sh may already export it
export EMU_OWNER_SECRET=${EMU_OWNER_SECRET:-emu-owner-secret-0001}
ecs_start_postgres
emu() { "$ECS_PYTHON" "$ECS_TOP/test/emulator/emuctl.py" "$@"; }

# set-up: a server on the emulator over two regions with max_retries 20 (the
# longest backoff), its tables, and cancel_when_active(app, delay_ms), which
# waits until the session named app runs the marked statement, sleeps
# delay_ms, then calls pg_cancel_backend and returns the moment of the call
# (epoch ms), its result, and what the session was waiting for just before
ecs_log "set-up: server with max_retries 20, the canceller function"
psql -Xq -v ON_ERROR_STOP=1 >"$WORK/setup.out" 2>&1 <<-SQL ||
	\\getenv emu_url EMU_URL
	\\getenv emu_ca EMU_CA
	\\getenv secret EMU_OWNER_SECRET
	CREATE EXTENSION ecs_image_fdw;
	CREATE SERVER cxl FOREIGN DATA WRAPPER ecs_image_fdw
	  OPTIONS (endpoint :'emu_url', ca_file :'emu_ca', regions 'cn-hangzhou,cn-shanghai',
	           max_retries '20');
	CREATE USER MAPPING FOR CURRENT_USER SERVER cxl
	  OPTIONS (access_key_id '$OWNER_KEY', access_key_secret :'secret');
	CREATE SCHEMA cxl;
	IMPORT FOREIGN SCHEMA ecs FROM SERVER cxl INTO cxl;
	CREATE FUNCTION cancel_when_active(app text, delay_ms int) RETURNS text
	LANGUAGE plpgsql AS \$\$
	DECLARE
	  target int;
	  t numeric;
	  waiting text;
	  give_up timestamptz := clock_timestamp() + interval '20 s';
	BEGIN
	  LOOP
	    PERFORM pg_stat_clear_snapshot();
	    SELECT pid INTO target FROM pg_stat_activity
	     WHERE application_name = app AND state = 'active'
	       AND strpos(query, '$MARK') > 0;
	    EXIT WHEN target IS NOT NULL;
	    IF clock_timestamp() > give_up THEN
	      RETURN 'never-active';
	    END IF;
	    PERFORM pg_sleep(0.002);
	  END LOOP;
	  PERFORM pg_sleep(delay_ms / 1000.0);
	  PERFORM pg_stat_clear_snapshot();
	  SELECT coalesce(wait_event_type || ':' || wait_event, 'no-wait-event') INTO waiting
	    FROM pg_stat_activity WHERE pid = target;
	  t := extract(epoch FROM clock_timestamp()) * 1000;
	  RETURN t || ' ' || pg_cancel_backend(target) || ' ' || coalesce(waiting, 'gone');
	END
	\$\$;
	SELECT count(*) > 0 AS works FROM cxl.images;
	SQL
	{ sed "s/$EMU_OWNER_SECRET/<secret>/g" "$WORK/setup.out" >&2; ecs_die "set-up failed"; }

# an own image of cn-hangzhou that is Creating: seeded images never move
CREATING=$(emu images --account 1234567890123456 --region cn-hangzhou |
	"$ECS_PYTHON" -c 'import json, sys
print(min(d["ImageId"] for d in map(json.loads, sys.stdin) if d["Status"] == "Creating"))') ||
	ecs_die "no Creating image in cn-hangzhou"

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# one_run SITUATION METHOD RUN DELAY_MS QUERY: a new session runs QUERY, which
# is cancelled DELAY_MS after it starts, by statement_timeout (METHOD timeout)
# or by pg_cancel_backend from a second session (METHOD cancel); then SELECT 1
# and a foreign scan of the regions table in the same session.  Appends a line
# to results.tsv: situation, method, run, delay, latency ms, SQLSTATE, next ok,
# and for pg_cancel_backend the wait event of the session when it was cancelled
one_run() {
	local sit=$1 method=$2 run=$3 delay=$4 query=$5 timeout=0 out canceller="" latency
	[ "$method" = timeout ] && timeout=$delay
	out=$WORK/run.out
	psql -XAtq -F ' ' >"$out" 2>"$WORK/run.err" <<-SQL &
		\\set ON_ERROR_STOP 0
		SET application_name = '$APP';
		SELECT pg_backend_pid() AS pid0 \\gset
		SET statement_timeout = $timeout;
		SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t0 \\gset
		$query $MARK;
		\\echo state :SQLSTATE
		SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t1 \\gset
		RESET statement_timeout;
		SELECT 1 AS one, pg_backend_pid() = :pid0 AS same \\gset
		\\echo next :ERROR :one :same
		SELECT count(*) > 0 AS scan_ok FROM cxl.regions \\gset
		\\echo scan :ERROR :scan_ok
		\\echo times :t0 :t1
	SQL
	local apid=$!
	if [ "$method" = cancel ]; then
		canceller=$(psql -XAtq -c "SELECT cancel_when_active('$APP', $delay)" 2>&1)
	fi
	wait "$apid"
	"$ECS_PYTHON" - "$sit" "$method" "$run" "$delay" "$canceller" "$out" "$WORK/run.err" >>"$RESULTS" <<-'PY'
		import sys
		sit, method, run, delay, canceller, out, err = sys.argv[1:]
		got = {}
		for line in open(out):
		    words = line.split()
		    if words:
		        got[words[0]] = words[1:]
		state = (got.get("state") or ["none"])[0]
		nxt = got.get("next", []) == ["false", "1", "t"] and got.get("scan", []) == ["false", "t"]
		latency, phase = -1.0, "-"
		try:
		    t0, t1 = map(float, got["times"])
		    if method == "timeout":
		        latency = t1 - t0 - float(delay)
		    else:
		        at, ok, phase = canceller.split()
		        latency = t1 - float(at) if ok in ("t", "true") else -1.0
		except (KeyError, ValueError):
		    pass
		print("\t".join([sit, method, run, delay, "%.1f" % latency, state, "yes" if nxt else "no", phase]))
		if latency < 0 or state != "57014" or not nxt:
		    sys.stderr.write("%s/%s run %s: state %s, canceller %r, output %r, errors %r\n"
		                     % (sit, method, run, state, canceller, open(out).read(), open(err).read()[-500:]))
	PY
}

# situation NAME FAULT QUERY: RUNS cancels each way, the fault rule active;
# the delay before the cancel goes from 200 to ~1500 ms over the runs, so that
# it falls in every phase (a request, a sleep, between two polls)
situation() {
	local name=$1 fault=$2 query=$3 method run delay
	emu faults-clear
	[ -n "$fault" ] && emu fault "$fault"
	for method in timeout cancel; do
		ecs_log "$name: $RUNS cancels by $method"
		for run in $(seq 1 "$RUNS"); do
			delay=$((200 + (run * 367) % 1300))
			one_run "$name" "$method" "$run" "$delay" "$query"
			printf '.' >&2
		done
		printf '\n' >&2
	done
	emu faults-clear
}

situation stall '{"kind": "stall", "action": "DescribeImages", "ms": 60000}' \
	"SELECT count(*) FROM cxl.images"
situation wait "" \
	"SELECT ecs_wait_image('cn-hangzhou', '$CREATING', 'Available', '1 hour', server => 'cxl')"
situation backoff '{"kind": "throttle", "action": "DescribeImages"}' \
	"SELECT count(*) FROM cxl.images"

ecs_log "done in $((SECONDS - START)) s"
CRASH=$(grep -cE 'terminated by signal|PANIC' "$ECS_PGDATA/server.log")
"$ECS_PYTHON" - "$RESULTS" "$LIMIT_MS" "$CRASH" <<-'PY'
	import statistics, sys
	rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
	limit, crash = float(sys.argv[2]), int(sys.argv[3])
	groups = {}
	phases = {}
	for sit, method, run, delay, lat, state, nxt, phase in rows:
	    groups.setdefault((sit, method), []).append((float(lat), state, nxt))
	    if method == "cancel":
	        phases.setdefault(sit, {}).setdefault(phase, 0)
	        phases[sit][phase] += 1
	print("%-9s %-18s %10s %9s %5s %9s %8s" % ("situation", "method", "median ms", "worst ms",
	                                            "runs", "all 57014", "next ok"))
	bad, worst = 0, 0.0
	for (sit, method), g in groups.items():
	    lats = [l for l, _, _ in g]
	    ok57 = all(s == "57014" for _, s, _ in g)
	    okn = all(n == "yes" for _, _, n in g)
	    bad += sum(1 for l, s, n in g if l < 0 or l > limit or s != "57014" or n != "yes")
	    worst = max([worst] + lats)
	    print("%-9s %-18s %10.1f %9.1f %5d %9s %8s"
	          % (sit, "statement_timeout" if method == "timeout" else "pg_cancel_backend",
	             statistics.median(lats), max(lats), len(g), "yes" if ok57 else "no",
	             "yes" if okn else "no"))
	print("waiting in, when pg_cancel_backend was called: " + "; ".join(
	    "%s %s" % (sit, ", ".join("%s x%d" % kv for kv in sorted(p.items())))
	    for sit, p in phases.items()))
	if bad:
	    print("problems: %d cancel(s) slower than %g ms, with another SQLSTATE or a broken session"
	          % (bad, limit))
	if crash:
	    print("the server log shows %d crash line(s)" % crash)
	print("cancel: worst %.0f ms over %d cancels" % (worst, len(rows)))
	sys.exit(1 if bad or crash else 0)
	PY
