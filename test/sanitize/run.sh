#!/bin/bash
# test/sanitize/run.sh: the pg_regress suite against an AddressSanitizer +
# UndefinedBehaviorSanitizer build of ecs_image_fdw (see test/sanitize/README.md).
#
#   bash test/sanitize/run.sh [--canary] [test ...]
#
# Builds a snapshot of the work tree with -fsanitize=address,undefined into a
# private copy of the PostgreSQL tree inside the throw-away directory (the
# system-wide installation is never touched), starts the ECS emulator and a
# throw-away cluster from that copy with libasan preloaded, runs `make
# installcheck` (all of REGRESS, or the tests named), and ends with one line:
#   "sanitize: regress N passed, M failed; K sanitizer reports"
# Exit status 0 only if no test failed, no sanitizer report was written and no
# server process crashed.  A failure of a test in ASAN_SENSITIVE (it measures
# the process's memory, which ASan inflates) that changes one line only of its
# output is shown but not counted.
# --canary also calls two deliberate bugs (canary.c): the run must then end
# with 2 sanitizer reports and exit 1.  ECS_KEEP=1 keeps the throw-away directory.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
START=$SECONDS
SAN_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# its rss_flat check fails: ASan's quarantine keeps freed memory resident (it
# passes with ASAN_OPTIONS quarantine_size_mb=0, which would weaken the run)
ASAN_SENSITIVE="memory"
CANARY=
TESTS=()
for a in "$@"; do
	case $a in
	--canary) CANARY=1 ;;
	-*) ecs_die "usage: bash test/sanitize/run.sh [--canary] [test ...]" ;;
	*) TESTS+=("$a") ;;
	esac
done

ecs_install_deps
LIBASAN=$(readlink -f "$(gcc -print-file-name=libasan.so)")
LIBUBSAN=$(readlink -f "$(gcc -print-file-name=libubsan.so)")
[ -f "$LIBASAN" ] && [ -f "$LIBUBSAN" ] ||
	ecs_die "gcc's libasan.so or libubsan.so was not found (apt-get install libasan8 libubsan1)"
ecs_workdir

# 1. a snapshot of the work tree, so that neither the ASan objects nor the
#    `make clean` reach the shared tree that others build in
ecs_log "copying the work tree to $WORK/src"
mkdir "$WORK/src"
tar -C "$ECS_TOP" --exclude=./.git --exclude=node_modules --exclude=./results \
	--exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=build \
	--exclude=./regression.diffs --exclude=./regression.out -cf - . |
	tar -C "$WORK/src" -xf - || ecs_die "could not copy the work tree"
ECS_TOP=$WORK/src

# 2. a private PostgreSQL tree (lib.sh), so the system's is never touched
ecs_private_pg
REAL_BIN=$("$PG_CONFIG" --bindir)
LIBDIR=$PGROOT$("$PG_CONFIG" --pkglibdir)

# 3. the sanitizer build, installed into the private tree only
ECS_MAKE_FLAGS+=(with_llvm=no "COPT=$SAN_CFLAGS")
ecs_build_install
SO=$LIBDIR/ecs_image_fdw.so
[[ $(nm -D "$SO" 2>/dev/null) == *__asan_init* ]] || ecs_die "$SO is not built with ASan"
if [ -n "$CANARY" ]; then
	# shellcheck disable=SC2086
	gcc $SAN_CFLAGS -O1 -fPIC -shared -I"$("$PG_CONFIG" --includedir-server)" \
		-o "$LIBDIR/sanitize_canary.so" "$ECS_TOP/test/sanitize/canary.c" ||
		ecs_die "could not build the canary"
fi

# 4. emulator and cluster, as test/run_tests.sh starts them, with libasan
#    preloaded into the postmaster (so into every backend)
ecs_start_emulator --regions 4 --images-per-region 12 --seed 7
LOGDIR=$WORK/sanitizer
install -d -o postgres -g postgres -m 755 "$LOGDIR"
PRELOAD=$WORK/preload.so	# see preload.c: without it the server hangs at start
gcc -shared -fPIC -O2 -Wall -Werror -o "$PRELOAD" "$ECS_TOP/test/sanitize/preload.c" ||
	ecs_die "could not build preload.so"
common="log_path=$LOGDIR/report:abort_on_error=1:halt_on_error=1:disable_coredump=1"
# libasan must come first, and preload.so before libubsan (its
# __ubsan_default_options must win over libubsan's own)
ECS_PG_ENV=(
	"LD_PRELOAD=$LIBASAN $PRELOAD $LIBUBSAN"
	"ASAN_OPTIONS=$common:detect_leaks=0"
	"UBSAN_OPTIONS=$common:print_stacktrace=1"
)
v=$(timeout 30 env "${ECS_PG_ENV[@]}" "$PGROOT$REAL_BIN/postgres" -V 2>&1) ||
	ecs_die "postgres -V with libasan preloaded failed or hung: $v"
ECS_PG_OPTIONS="-c log_min_messages=debug1 -c jit=off" ecs_start_postgres
LOG=$ECS_PGDATA/server.log

# the backends really run the sanitizer build from the private tree
maps=$(psql -XAtq -c "LOAD 'ecs_image_fdw'" -c "SELECT pg_read_file('/proc/self/maps')") ||
	ecs_die "could not read a backend's memory map"
grep -qF "$LIBASAN" <<<"$maps" && grep -qF "$LIBUBSAN" <<<"$maps" ||
	ecs_die "libasan or libubsan is not loaded in the backend"
grep -qF "$SO" <<<"$maps" || ecs_die "the backend did not load $SO"
ecs_log "backends run $SO with ${LIBASAN##*/} and ${LIBUBSAN##*/} preloaded"

# 5. the regress suite (as run_regress in test/run_tests.sh)
ecs_log "suite regress (sanitized)${TESTS[*]:+: ${TESTS[*]}}"
cd "$ECS_TOP" || exit 1
out=$WORK/regress.out
if [ ${#TESTS[@]} -gt 0 ]; then
	make -s installcheck REGRESS="${TESTS[*]}" >"$out" 2>&1
else
	make -s installcheck >"$out" 2>&1
fi
rc=$?
n=$(grep -cE '^(test | )?[a-z_]+ +\.\.\. ' "$out")
failed_names=$(sed -nE 's/^(test | )?([a-z_]+) +\.\.\. FAILED.*/\2/p' "$out")
failed=0
sensitive=()
for t in $failed_names; do
	# an ASan-sensitive test is let off only if a single line of its output differs
	changed=$(awk -v f="/expected/$t.out" '/^diff / { on = index($0, f) > 0; next }
		on && /^[-+]/ && !/^(\+\+\+|---) / { n++ } END { print n + 0 }' regression.diffs 2>/dev/null)
	if [[ " $ASAN_SENSITIVE " == *" $t "* ]] && [ "${changed:-0}" -eq 2 ]; then
		sensitive+=("$t")
	else
		failed=$((failed + 1))
	fi
done
[ $rc -ne 0 ] && [ -z "$failed_names" ] && failed=1
passed=$((n - failed - ${#sensitive[@]}))
[ $passed -lt 0 ] && passed=0
if [ $rc -ne 0 ]; then
	cat "$out"
	[ -f regression.diffs ] && head -300 regression.diffs
fi

if [ -n "$CANARY" ]; then
	ecs_log "canary: one ASan and one UBSan report expected"
	for call in "canary_heap_overflow(16)" "canary_int_overflow(2147483647)"; do
		psql -Xq -c "CREATE FUNCTION pg_temp.${call%%(*}(int) RETURNS int
			AS '\$libdir/sanitize_canary' LANGUAGE C STRICT" \
			-c "SELECT pg_temp.$call" >/dev/null 2>&1
		# the backend aborts and the postmaster restarts the cluster
		for _ in $(seq 1 50); do psql -XAtqc 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
	done
fi

# 6. sanitizer reports: files under log_path (one per process that reported),
#    and any report that reached stderr, i.e. the server log
runuser -u postgres -- "$ECS_PGBIN/pg_ctl" -D "$ECS_PGDATA" -m fast -w stop >/dev/null 2>&1
pattern='ERROR: AddressSanitizer|runtime error:|Sanitizer:DEADLYSIGNAL|ASan runtime does not come first'
crash_pattern='server process .* (was terminated by signal|exited with exit code)'
files=$(find "$LOGDIR" -type f | wc -l)
inlog=$(grep -cE "$pattern" "$LOG")
reports=$((files + inlog))
crashes=$(grep -cE "$crash_pattern" "$LOG")
for f in $(find "$LOGDIR" -type f | sort); do
	echo "---- sanitizer report $f"
	cat "$f"
done
if [ "$inlog" -ne 0 ] || [ "$crashes" -ne 0 ]; then
	echo "---- server log: sanitizer lines and crashes"
	grep -nE -B2 -A40 "$pattern|$crash_pattern" "$LOG" | head -400
fi

echo
echo "(${SAN_CFLAGS%% *}; $((SECONDS - START)) s; $crashes server crashes)"
[ ${#sensitive[@]} -gt 0 ] &&
	echo "not counted, ASan-sensitive (they measure memory): ${sensitive[*]} failed"
echo "sanitize: regress $passed passed, $failed failed; $reports sanitizer reports"
[ "$failed" -eq 0 ] && [ "$reports" -eq 0 ] && [ "$crashes" -eq 0 ]
