#!/bin/bash
# test/demo.sh: the demo command (see README.md).
#
# Installs what it needs, builds and installs the extension, starts a
# throw-away PostgreSQL cluster and the ECS emulator with a realistic
# account (8 regions of different sizes, a second account, 20 ms per API
# call), and runs the guided tour of test/demo.sql: each step says what it
# shows, echoes its SQL and prints its result with what it cost in API
# requests and time (test/demo_meter.py).  Everything it started is
# stopped again and the cluster is removed.  The set-up prints one line
# per step (its output goes to a log shown only if it fails); the exit
# status is non-zero if any step of the tour fails.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ECS_TOP"

ecs_step "Debian packages" ecs_install_deps
ecs_workdir
# ECS_PRIVATE_PG=1: install into a private copy of the PostgreSQL tree (as
# the test command does), for work trees that build side by side
[ -n "${ECS_PRIVATE_PG:-}" ] && ecs_step "private PostgreSQL tree" ecs_private_pg
ecs_step "build and install ecs_image_fdw" ecs_build_install
ecs_step "ECS emulator (realistic account, 20 ms per call)" ecs_start_emulator \
	--regions 8 --images-per-region 400 --seed 2026 --profile realistic --latency-ms 20
ecs_step "PostgreSQL cluster" ecs_start_postgres

export DEMO_STATE="$WORK/demo-meter.json"
meter="$ECS_PYTHON $ECS_TOP/test/demo_meter.py"
# psql's own messages (NOTICEs, the expected ERROR) go to stderr: keep them
# in order with the results, without the "psql:test/demo.sql:LINE: " prefix
psql -X -v ON_ERROR_STOP=1 -v emu_connect="$EMU_CONNECT" -v emu_ca="$EMU_CA" -v meter="$meter" \
	-f test/demo.sql 2>&1 | sed -u 's/^psql:test\/demo\.sql:[0-9]*: //' ||
	ecs_die "a step of the demo failed (see above)"

[ -s "$DEMO_STATE.errors" ] && ecs_die "the demo's meter failed: $(cat "$DEMO_STATE.errors")"
summary=$($meter summary) || ecs_die "could not read the demo's totals"
ecs_cleanup
trap - EXIT
echo
echo "Summary: $summary; cleaned up (cluster and emulator stopped, $WORK ${ECS_KEEP:+kept}${ECS_KEEP:-removed})."
