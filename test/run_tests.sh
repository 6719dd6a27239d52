#!/bin/bash
# test/run_tests.sh: the project's test command (see README.md).
#
# Installs what it needs (apt-get, npm), builds and installs the extension,
# starts the ECS emulator over HTTPS and a throw-away PostgreSQL cluster,
# runs every suite, stops everything again and ends with one line:
# "N passed, M failed".  Exit status 0 only if nothing failed.
#
#   bash test/run_tests.sh [suite ...]
#
# Suites: unit conformance emulator regress secrets (the last checks the
# logs and outputs of those before it).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ECS_TOP"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit conformance emulator regress secrets)

total_pass=0
total_fail=0
summary=()

# record SUITE PASSED FAILED: a suite that ran no test failed
record() {
	local pass=$2 fail=$3
	[ $((pass + fail)) -eq 0 ] && fail=1
	summary+=("$(printf '%-12s %4d passed, %d failed' "$1:" "$pass" "$fail")")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

# tap_count FILE: sets PASS and FAIL from the TAP results in FILE (top level
# only: "ok N ..." and "not ok N ..."); tests that the "1..N" plans announce
# (one per program that wrote to FILE, added up) but that never reported
# count as failed
tap_count() {
	local plan
	PASS=$(grep -cE '^ok [0-9]+' "$1")
	FAIL=$(grep -cE '^not ok [0-9]+' "$1")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$1" |
		awk '{ n += $1 } END { print n + 0 }')
	[ "$plan" -gt $((PASS + FAIL)) ] && FAIL=$((plan - PASS))
	return 0
}

run_unit() {
	local out="$WORK/unit.out"
	make -s -C test/unit >"$out" 2>&1
	local rc=$?
	tap_count "$out"
	[ $rc -ne 0 ] && [ "$FAIL" -eq 0 ] && FAIL=1
	[ "$FAIL" -ne 0 ] && cat "$out"
	record unit "$PASS" "$FAIL"
}

run_emulator() {
	local out="$WORK/emulator-selftest.out" ran bad
	# its SDK check uses the npm SDKs that the conformance suite installs
	[ -d test/conformance/node_modules ] &&
		export ECS_SDK_NODE_PATH="$ECS_TOP/test/conformance/node_modules"
	"$ECS_PYTHON" test/emulator/test_emulator.py >"$out" 2>&1
	local rc=$?
	ran=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$out" | tail -1)
	ran=${ran:-0}
	bad=$(sed -n 's/^FAILED (\(.*\))/\1/p' "$out" | tr ',' '\n' |
		awk -F= '$1 ~ /failures|errors/ { n += $2 } END { print n + 0 }')
	bad=${bad:-0}
	[ $rc -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	[ $rc -ne 0 ] && tail -50 "$out"
	record emulator $((ran - bad < 0 ? 0 : ran - bad)) "$bad"
}

run_conformance() {
	local out="$WORK/conformance.out"
	bash test/conformance/run.sh >"$out" 2>&1
	local rc=$?
	tap_count "$out"
	[ $rc -ne 0 ] && [ "$FAIL" -eq 0 ] && FAIL=1
	[ $rc -ne 0 ] && tail -80 "$out"
	record conformance "$PASS" "$FAIL"
}

# pg_regress prints TAP from PostgreSQL 16 on ("ok 1 - setup", "not ok 2 -
# options"), and "test setup ... ok" / "... FAILED" lines before
run_regress() {
	local out="$WORK/regress.out"
	# ECS_REGRESS: optional space-separated topics instead of all of REGRESS
	make -s installcheck ${ECS_REGRESS:+REGRESS="$ECS_REGRESS"} >"$out" 2>&1
	local rc=$?
	tap_count "$out"
	PASS=$((PASS + $(grep -cE '^(test | +)?[a-z_0-9]+ +\.\.\. ok' "$out")))
	FAIL=$((FAIL + $(grep -cE '^(test | +)?[a-z_0-9]+ +\.\.\. FAILED' "$out")))
	[ $rc -ne 0 ] && [ "$FAIL" -eq 0 ] && FAIL=1
	if [ $rc -ne 0 ]; then
		cat "$out"
		[ -f regression.diffs ] && head -300 regression.diffs
	fi
	record regress "$PASS" "$FAIL"
}

# every test key of the emulator, the one fixed security token, and what
# its STS and metadata service issue: secrets, security tokens and metadata
# tokens by their prefix, OIDC tokens (JWTs) by their fixed header
secret_patterns() {
	printf '%s\n' "$EMU_OWNER_SECRET" "$EMU_PEER_SECRET" "$EMU_STS_SECRET" \
		"$EMU_STS_TOKEN" "$EMU_NOPERM_SECRET" emu-empty-secret-0004 \
		emu-issued-secret- emu-issued-token- emu-imds-token- \
		eyJhbGciOiJSUzI1NiIsImtpZCI6ImVtdS1ycnNhLTEiLCJ0eXAiOiJKV1QifQ
}

# The server ran at log_min_messages = debug5 with log_statement = 'all'
# (the tests switch log_statement off around user mapping DDL only): no key
# or token may appear in its log, in any pg_regress result, in the
# emulator's logs or in any suite's output.
run_secrets() {
	local files=("$ECS_PGDATA/server.log" "$WORK/emulator.log"
		"$WORK/emulator-requests.log" "$WORK"/*.out) hits
	[ -d results ] && files+=(results/*.out)
	[ -f regression.diffs ] && files+=(regression.diffs)
	hits=$(grep -F -c -f <(secret_patterns) "${files[@]}" 2>/dev/null |
		awk -F: '{ n += $NF } END { print n + 0 }')
	echo "secret hits in ${#files[@]} files: $hits"
	if [ "$hits" -ne 0 ]; then
		grep -F -n -f <(secret_patterns) "${files[@]}" | cut -c1-300 | head -20
		record secrets 0 1
	else
		record secrets 1 0
	fi
}

# suite_what SUITE: what the suite runs, for its line
suite_what() {
	case $1 in
	regress)
		# shellcheck disable=SC2046
		set -- ${ECS_REGRESS:-$(printf 'ecs-topics:\n\t@echo $(REGRESS)\n' |
			make -s -f Makefile -f - ecs-topics)}
		echo "regress: $# topics" ;;
	*) echo "$1" ;;
	esac
}

# report: the summary and the final line, also when set-up failed (a set-up
# step ends the script through ecs_die; the EXIT trap still reports)
report() {
	[ -n "$setup_done" ] || record set-up 0 1
	echo
	printf '%s\n' "${summary[@]}"
	[ -n "$t_suites" ] &&
		echo "time: set-up $setup_time, suites $(ecs_since "$t_suites"), total $(ecs_since "$t_all")"
	echo "$total_pass passed, $total_fail failed"
}
setup_done=
t_suites=
trap report EXIT

[[ " ${suites[*]} " == *" conformance "* ]] || ECS_NEED_NODE=
t_all=$(date +%s%N)
ecs_step "Debian packages" ecs_install_deps
ecs_workdir
trap 'report; ecs_cleanup' EXIT
# ECS_PRIVATE_PG=1: install into a private copy of the PostgreSQL tree, for
# work trees that build and test side by side on one machine
[ -n "${ECS_PRIVATE_PG:-}" ] && ecs_step "private PostgreSQL tree" ecs_private_pg
ecs_step "build and install ecs_image_fdw" ecs_build_install
ecs_step "ECS emulator" ecs_start_emulator --regions 4 --images-per-region 12 --seed 7
ECS_PG_OPTIONS="-c log_min_messages=debug5 -c log_statement=all" \
	ecs_step "PostgreSQL cluster" ecs_start_postgres
setup_time=$(ecs_since "$t_all")
setup_done=1

# one line per suite: what it runs, then its counts and time; whatever a
# suite prints (the details of a failure) follows its line
t_suites=$(date +%s%N)
for s in "${suites[@]}"; do
	printf '== suite %s ... ' "$(suite_what "$s")"
	t0=$(date +%s%N)
	"run_$s" >"$WORK/suite-$s.txt" 2>&1
	read -r counts <<<"${summary[-1]#*:}"
	printf '%s (%s)\n' "$counts" "$(ecs_since "$t0")"
	cat "$WORK/suite-$s.txt"
done

[ "$total_fail" -eq 0 ]
