#!/bin/bash
# test/soak/run.sh: many full scans of the images table against a faulty
# emulator; every answer must be exact or an ERROR, never wrong (see README.md).
#
#   bash test/soak/run.sh [--scans N] [--no-build]
#
# --scans N    full scans to run (default 100)
# --no-build   use the installed extension as it is (no make clean / install)
#
# Prints a character per scan ('.' exact, 'E' failed with an error, 'W' wrong),
# then a summary, the emulator's fault counters, the requests and the time.
# Exit status 1 if any scan gave a wrong answer, a scan went unreported, the
# server crashed, or the set-up failed; scans that fail with an ERROR are allowed.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
SCANS=100
BUILD=1
while [ $# -gt 0 ]; do
	case "$1" in
	--scans) SCANS=${2:-}; shift 2 || SCANS= ;;
	--no-build) BUILD=; shift ;;
	*) ecs_die "usage: bash test/soak/run.sh [--scans N] [--no-build]" ;;
	esac
done
[[ "$SCANS" =~ ^[1-9][0-9]*$ ]] || ecs_die "--scans takes a positive integer"

# the emulator and the server
REGIONS=8
IMAGES=60
PAGE=20              # --page-size-max and the server's page_size: 4 pages a region
THROTTLE=0.1
ERRORS=0.02
RESETS=0.01
RETRIES=8
OWNER_KEY=LTAI5tEmuOwner0000000001
OWNER_ACCOUNT=1234567890123456

START=$SECONDS
ecs_install_deps
[ -n "$BUILD" ] && ecs_build_install
ecs_workdir
ecs_start_emulator --regions "$REGIONS" --images-per-region "$IMAGES" \
	--page-size-max "$PAGE" --throttle-rate "$THROTTLE" --error-rate "$ERRORS" \
	--reset-rate "$RESETS"
# the owner's secret reaches psql only through the environment (\getenv), never
# a command line or the output; test/lib.sh may already export it
export EMU_OWNER_SECRET=${EMU_OWNER_SECRET:-emu-owner-secret-0001}
ecs_start_postgres
emu() { "$ECS_PYTHON" "$ECS_TOP/test/emulator/emuctl.py" "$@"; }

# set-up: the extension, the server (cache off), the owner's user mapping (the
# secret comes from the environment of psql only), IMPORT FOREIGN SCHEMA, and
# the truth from the control endpoint (no faults there): every image the
# owner can see, as it sees it, in every status
ecs_log "set-up: server with max_retries $RETRIES, page_size $PAGE, cache off; the truth"
psql -Xq -v ON_ERROR_STOP=1 >"$WORK/setup.out" 2>&1 <<-SQL ||
	\\getenv emu_url EMU_URL
	\\getenv emu_ca EMU_CA
	\\getenv secret EMU_OWNER_SECRET
	CREATE EXTENSION ecs_image_fdw;
	CREATE SERVER soak FOREIGN DATA WRAPPER ecs_image_fdw
	  OPTIONS (endpoint :'emu_url', ca_file :'emu_ca', max_retries '$RETRIES',
	           page_size '$PAGE', cache_ttl_s '0');
	CREATE USER MAPPING FOR CURRENT_USER SERVER soak
	  OPTIONS (access_key_id '$OWNER_KEY', access_key_secret :'secret');
	CREATE SCHEMA ecs;
	IMPORT FOREIGN SCHEMA ecs FROM SERVER soak INTO ecs;
	CREATE TABLE truth (doc jsonb);
	\\copy truth FROM PROGRAM '$ECS_PYTHON $ECS_TOP/test/emulator/emuctl.py images --visible-to $OWNER_ACCOUNT' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
	-- what a scan must return: these columns of every visible image
	CREATE TABLE expected AS
	SELECT doc->>'region' AS region_id, doc->>'ImageId' AS image_id,
	       doc->>'Status' AS status, doc->>'ImageName' AS image_name
	  FROM truth;
	CREATE VIEW fingerprint AS
	SELECT count(*) AS n, md5(coalesce(string_agg(format('%s|%s|%s|%s', region_id,
	         image_id, status, image_name), E'\\n' ORDER BY region_id, image_id, status,
	         image_name), '')) AS h
	  FROM expected;
	SQL
	{ sed "s/$EMU_OWNER_SECRET/<secret>/g" "$WORK/setup.out" >&2; ecs_die "set-up failed"; }
read -r EXP_N EXP_H STATUSES < <(psql -XAt -F ' ' -c "SELECT n, h,
	(SELECT string_agg(s || '=' || c, ',' ORDER BY s) FROM (SELECT status s, count(*) c
	   FROM expected GROUP BY 1) x) FROM fingerprint")
[ "${EXP_N:-0}" -gt 0 ] || ecs_die "the truth is empty"
ecs_log "truth: $EXP_N images in $REGIONS regions ($STATUSES)"

# one session runs every scan: each copies the table into a temporary table
# (a failing scan leaves it empty), then compares it with the truth; a wrong
# answer also prints its differences
script() {
	local i
	cat <<-SQL
		\\set ON_ERROR_STOP 0
		\\set QUIET 1
		CREATE TEMP TABLE scan (region_id text, image_id text, status text, image_name text);
		CREATE TEMP VIEW scan_fp AS
		SELECT count(*) AS n, md5(coalesce(string_agg(format('%s|%s|%s|%s', region_id,
		         image_id, status, image_name), E'\\n' ORDER BY region_id, image_id, status,
		         image_name), '')) AS h
		  FROM scan;
	SQL
	for i in $(seq 1 "$SCANS"); do
		cat <<-SQL
			TRUNCATE scan;
			SELECT clock_timestamp() AS t0 \\gset
			INSERT INTO scan SELECT region_id, image_id, status, image_name FROM ecs.images;
			\\if :ERROR
			  SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1000) AS ms \\gset
			  \\echo scan $i error :ms :LAST_ERROR_SQLSTATE :LAST_ERROR_MESSAGE
			\\else
			  SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1000) AS ms,
			         n, h = '$EXP_H' AND n = $EXP_N AS exact FROM scan_fp \\gset
			  \\if :exact
			    \\echo scan $i exact :ms
			  \\else
			    \\echo scan $i WRONG :ms ms, :n rows, $EXP_N expected
			    (SELECT 'detail', 'missing', * FROM expected EXCEPT ALL SELECT 'detail', 'missing', * FROM scan)
			    UNION ALL
			    (SELECT 'detail', 'unexpected', * FROM scan EXCEPT ALL SELECT 'detail', 'unexpected', * FROM expected)
			    ORDER BY 2, 3, 4 LIMIT 20;
			  \\endif
			\\endif
		SQL
	done
}

emu stats-reset || ecs_die "could not reset the emulator's stats"
ecs_log "$SCANS full scans of ecs.images"
T0=$(date +%s%N)
exact=0 failed=0 wrong=0 col=0
declare -A errors=()
: >"$WORK/scan.times"
while IFS= read -r line; do
	case "$line" in
	"scan "*)
		read -r _ i what ms rest <<<"$line"
		echo "$ms" >>"$WORK/scan.times"
		case "$what" in
		exact) exact=$((exact + 1)); printf '.' ;;
		error) failed=$((failed + 1)); printf 'E'
			errors["$rest"]=$((${errors["$rest"]:-0} + 1)) ;;
		*) wrong=$((wrong + 1)); printf 'W'
			printf '%s\n' "$line" >>"$WORK/wrong.txt" ;;
		esac
		col=$((col + 1))
		[ $((col % 100)) -eq 0 ] && printf '\n'
		;;
	detail*) printf '%s\n' "$line" >>"$WORK/wrong.txt" ;;
	esac
done < <(script | stdbuf -oL psql -XAt -F ' ' 2>"$WORK/psql.err")
[ $((col % 100)) -ne 0 ] && printf '\n'
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
done_scans=$((exact + failed + wrong))

echo "soak: $exact exact, $failed failed with an error, $wrong wrong, out of $SCANS scans"
[ "$done_scans" -eq "$SCANS" ] ||
	echo "soak: only $done_scans of $SCANS scans reported (psql: $(head -1 "$WORK/psql.err"))"
for e in "${!errors[@]}"; do
	printf '  error x%d: %s\n' "${errors[$e]}" "$e"
done
if [ "$wrong" -gt 0 ]; then
	echo "wrong answers (first differences: kind, region, image, status, name):"
	head -40 "$WORK/wrong.txt" | sed 's/^/  /'
fi
emu stats-json >"$WORK/stats.json" || ecs_die "could not read the emulator's stats"
"$ECS_PYTHON" - "$WORK/stats.json" "$WORK/scan.times" "$ELAPSED_MS" "$done_scans" "$EXP_N" <<-'PY'
	import json, statistics, sys
	stats = json.load(open(sys.argv[1]))
	times = sorted(int(float(t)) for t in open(sys.argv[2]).read().split())
	elapsed, scans, images = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
	fmt = lambda d: ", ".join("%s %d" % kv for kv in sorted(d.items())) or "none"
	total, faults = stats["total"], stats.get("faults", {})
	print("emulator: %d requests (%s), max in flight %d"
	      % (total, fmt(stats.get("by_action", {})), stats.get("max_in_flight", 0)))
	print("emulator by_code: %s" % fmt(stats.get("by_code", {})))
	print("emulator faults: %s; %d of %d requests faulted (%.1f %%)"
	      % (fmt(faults), sum(faults.values()), total, 100.0 * sum(faults.values()) / max(total, 1)))
	times and print("scan time: median %d ms, worst %d ms, best %d ms (%d images a scan)"
	                % (statistics.median(times), times[-1], times[0], images))
	print("time: %.1f s for %d scans" % (elapsed / 1000.0, scans))
	PY
CRASH=$(grep -cE 'terminated by signal|PANIC' "$ECS_PGDATA/server.log")
[ "$CRASH" -eq 0 ] || echo "the server log shows $CRASH crash line(s)"
ecs_log "done in $((SECONDS - START)) s"
[ "$wrong" -eq 0 ] && [ "$done_scans" -eq "$SCANS" ] && [ "$CRASH" -eq 0 ]
