#!/bin/bash
# test/demo.sh: the demo command (see README.md).
#
# Installs what it needs, builds and installs the extension, starts a
# throw-away PostgreSQL cluster and the ECS emulator with a multi-region
# inventory (8 regions, two accounts, 20 ms per API call), runs the
# showcase queries of test/demo.sql and prints their results.  Everything
# it started is stopped again, and the cluster is removed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ECS_TOP"

ecs_step "Debian packages" ecs_install_deps
ecs_workdir
# ECS_PRIVATE_PG=1: install into a private copy of the PostgreSQL tree (as
# the test command does), for work trees that build side by side
[ -n "${ECS_PRIVATE_PG:-}" ] && ecs_step "private PostgreSQL tree" ecs_private_pg
ecs_step "build and install ecs_image_fdw" ecs_build_install
ecs_step "ECS emulator" ecs_start_emulator --regions 8 --images-per-region 40 --seed 2026 --latency-ms 20
ecs_step "PostgreSQL cluster" ecs_start_postgres

ecs_log "running test/demo.sql against the emulator at $EMU_URL"
psql -X -q -v ON_ERROR_STOP=1 -v emu_url="$EMU_URL" -v emu_ca="$EMU_CA" \
	-f test/demo.sql || ecs_die "a demo query failed"
