#!/bin/bash
# test/matrix/build.sh: the CI build check, on this machine (.ci/run) and in
# each chroot of the matrix (run.sh).  Installs what the build needs for the
# PostgreSQL that test/lib.sh picks, builds the extension from clean with
# COPT=-Werror (gcc, and clang for the JIT bitcode where the server has it)
# and ends with "1 passed, 0 failed" only if the build has no warning.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$ECS_TOP"

ECS_NEED_NODE= ecs_install_deps
log=$(mktemp)
make -s clean
make -j2 COPT=-Werror >"$log" 2>&1
rc=$?
warnings=$(grep -c 'warning:' "$log")
[ $rc -ne 0 ] && cat "$log"
llvm=$(grep -q '^with_llvm[[:space:]]*=[[:space:]]*yes' \
	"$(dirname "$("$PG_CONFIG" --pgxs)")/../Makefile.global" && echo ", clang bitcode" || true)
echo "$("$PG_CONFIG" --version): build with -Werror (gcc$llvm): exit $rc, $warnings warnings"
rm -f "$log"
make -s clean
if [ $rc -eq 0 ] && [ "$warnings" -eq 0 ]; then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
	exit 1
fi
