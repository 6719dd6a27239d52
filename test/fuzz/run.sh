#!/bin/bash
#-------------------------------------------------------------------------
#
# run.sh
#		Build the fuzz targets and run each for a fixed number of
#		executions.
#
#	bash test/fuzz/run.sh [--runs N] [--seed S]
#
# --runs N	executions per target (default 400000, so 1.2 million in all)
# --seed S	libFuzzer's random seed (default: a new one each run)
#
# Installs what is missing with apt-get (clang-14 and libclang-rt-14-dev
# for libFuzzer, postgresql-server-dev-15, libjson-c-dev, libssl-dev,
# pkg-config, make), builds through test/fuzz/Makefile into
# test/fuzz/build/, then runs fuzz_page, fuzz_decode and fuzz_sign one after
# the other.  Each starts from its seed corpus in test/fuzz/corpus/<name>/,
# which is only read: the inputs a run adds, its logs and any crash
# artefacts go to a temporary directory, removed at the end unless a target
# crashed.  A target that crashes is started again (at most
# MAX_RESTARTS times) to complete its executions.
#
# Prints per target its executions and crashes (sanitizer reports, failed
# checks, leaks, timeouts and out-of-memory all count), the wall time, and
# last the line "fuzz: E executions, C crashes".  Exit status 1 if anything
# crashed, 2 if the setup or the build failed.
#
# IDENTIFICATION
#		test/fuzz/run.sh
#
#-------------------------------------------------------------------------

set -u -o pipefail

runs=400000
seed=
MAX_RESTARTS=3

while [ $# -gt 0 ]; do
	case "$1" in
		--runs)
			runs=${2:-}
			shift 2 || break
			;;
		--runs=*)
			runs=${1#--runs=}
			shift
			;;
		--seed)
			seed=${2:-}
			shift 2 || break
			;;
		--seed=*)
			seed=${1#--seed=}
			shift
			;;
		-h|--help)
			sed -n '8,11p' "$0" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		*)
			echo "run.sh: unknown argument \"$1\"" >&2
			exit 2
			;;
	esac
done
case "$runs" in
	''|*[!0-9]*|0)
		echo "run.sh: --runs needs a positive number" >&2
		exit 2
		;;
esac
case "$seed" in
	*[!0-9]*)
		echo "run.sh: --seed needs a number" >&2
		exit 2
		;;
esac

fuzzdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive

# --- what is needed -----------------------------------------------------

# whether clang-14 can link a libFuzzer target
fuzzer_links()
{
	local d rc
	command -v clang-14 >/dev/null 2>&1 || return 1
	d=$(mktemp -d) || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' \
		>"$d/t.c"
	clang-14 -fsanitize=fuzzer,address,undefined "$d/t.c" -o "$d/t" \
		>/dev/null 2>&1
	rc=$?
	rm -rf "$d"
	return $rc
}

need=()
command -v make >/dev/null 2>&1 || need+=(make)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v clang-14 >/dev/null 2>&1 || need+=(clang-14)
command -v clang-14 >/dev/null 2>&1 && ! fuzzer_links && need+=(libclang-rt-14-dev)
if ! command -v pg_config >/dev/null 2>&1 ||
	[ ! -f "$(pg_config --includedir-server)/postgres.h" ]; then
	need+=(postgresql-server-dev-15)
fi
command -v pkg-config >/dev/null 2>&1 && ! pkg-config --exists json-c && need+=(libjson-c-dev)
command -v pkg-config >/dev/null 2>&1 && ! pkg-config --exists libcrypto && need+=(libssl-dev)
if ! command -v pkg-config >/dev/null 2>&1; then
	need+=(libjson-c-dev libssl-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
	echo "run.sh: installing ${need[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "run.sh: not root; install these first: ${need[*]}" >&2
		exit 2
	fi
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" \
		>/dev/null || { echo "run.sh: apt-get failed" >&2; exit 2; }
	if ! fuzzer_links; then
		apt-get install -y -qq --no-install-recommends libclang-rt-14-dev >/dev/null
		fuzzer_links || { echo "run.sh: clang-14 cannot link -fsanitize=fuzzer" >&2; exit 2; }
	fi
fi

# --- build --------------------------------------------------------------

tmp=$(mktemp -d /tmp/ecs_image_fdw_fuzz.XXXXXX) || exit 2
if ! make -C "$fuzzdir" -j2 >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log" >&2
	echo "run.sh: build failed" >&2
	exit 2
fi

# --- run ----------------------------------------------------------------

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$tmp/artifacts"

total_execs=0
total_crashes=0
start_all=$SECONDS

# executions of one libFuzzer run, from its log
executions()
{
	local n
	n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -1)
	if [ -z "$n" ]; then
		# no final stats: take the last status line ("#123 ...")
		n=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$1" | tail -1)
	fi
	echo "${n:-0}"
}

# crash artefacts of target $1 so far
artefacts()
{
	find "$tmp/artifacts" -maxdepth 1 -type f \
		\( -name "$1-crash-*" -o -name "$1-leak-*" -o -name "$1-timeout-*" \
		-o -name "$1-oom-*" \) | wc -l
}

for target in page decode sign; do
	bin="$fuzzdir/build/fuzz_$target"
	opts=(-print_final_stats=1 -timeout=25 -rss_limit_mb=3072
		  "-artifact_prefix=$tmp/artifacts/$target-")
	case $target in
		page|decode)
			opts+=(-max_len=16384 "-dict=$fuzzdir/json.dict")
			;;
		sign)
			opts+=(-max_len=4096)
			;;
	esac
	[ -n "$seed" ] && opts+=("-seed=$seed")
	mkdir -p "$tmp/corpus/$target"

	execs=0
	crashes=0
	attempt=0
	start=$SECONDS
	while [ "$execs" -lt "$runs" ] && [ "$attempt" -le "$MAX_RESTARTS" ]; do
		log="$tmp/$target.$attempt.log"
		"$bin" "${opts[@]}" -runs=$((runs - execs)) \
			"$tmp/corpus/$target" "$fuzzdir/corpus/$target" >"$log" 2>&1
		rc=$?
		n=$(executions "$log")
		execs=$((execs + n))
		if [ "$rc" -ne 0 ]; then
			found=$(artefacts "$target")
			if [ "$found" -gt "$crashes" ]; then
				crashes=$found
			else
				crashes=$((crashes + 1))	# failed without an artefact
			fi
			echo "--- fuzz_$target crashed (exit $rc); end of $log:" >&2
			grep -v -E '^#[0-9]+[[:space:]]' "$log" | tail -40 >&2
		elif [ "$n" -eq 0 ]; then
			break				# nothing happened; do not loop
		fi
		attempt=$((attempt + 1))
	done
	printf 'fuzz_%s: %d executions, %d crashes (%d s)\n' \
		"$target" "$execs" "$crashes" $((SECONDS - start))
	total_execs=$((total_execs + execs))
	total_crashes=$((total_crashes + crashes))
done

echo "fuzz: wall time $((SECONDS - start_all)) s"
if [ "$total_crashes" -gt 0 ]; then
	echo "fuzz: crash inputs and logs are in $tmp/ (reproduce with: $fuzzdir/build/fuzz_<target> <file>)"
	echo "fuzz: $total_execs executions, $total_crashes crashes"
	exit 1
fi
rm -rf "$tmp"
echo "fuzz: $total_execs executions, $total_crashes crashes"
exit 0
