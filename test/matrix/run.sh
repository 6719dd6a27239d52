#!/bin/bash
# test/matrix/run.sh: the version matrix that CI runs after the test command.
#
#   bash test/matrix/run.sh [release ...]      (as root; default: trixie sid)
#
# For each Debian release (trixie = Debian 13 with PostgreSQL 17, sid with
# PostgreSQL 18) it makes a fresh chroot with debootstrap (minbase), mounts
# /proc and a tmpfs at /dev/shm in it, copies this tree (the files git
# knows) into it, and there
#   1. installs the distribution's PostgreSQL and what the build needs, as
#      the test command does (test/lib.sh), and builds the extension with
#      COPT=-Werror (gcc, and clang for the JIT bitcode): test/matrix/build.sh,
#      which counts as one test;
#   2. runs the test command's unit, regress and secrets suites against the
#      emulator on 127.0.0.1 (loopback is shared with the host; the emulator
#      takes a free port, the cluster listens on a socket only).
# Both chroots are made and tested side by side.  The mounts go when the
# script ends, also on failure or interrupt; so does the chroot (unless
# ECS_KEEP=1).  Output: one line per release and a final "N passed, M
# failed" that counts every release.
#
#   ECS_MIRROR          Debian mirror (default http://deb.debian.org/debian)
#   ECS_MATRIX_SUITES   suites to run (default "unit regress secrets")
set -uo pipefail
ECS_TOP=$(cd "$(dirname "$0")/../.." && pwd)
MIRROR=${ECS_MIRROR:-http://deb.debian.org/debian}
SUITES=${ECS_MATRIX_SUITES:-unit regress secrets}
releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(trixie sid)

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot, mount)"
if ! command -v debootstrap >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		debootstrap >/dev/null || die "could not install debootstrap"
fi

BASE=$(mktemp -d /tmp/ecs_matrix.XXXXXX) || die "mktemp failed"
chmod 755 "$BASE"

# unmount everything under $BASE (deepest first); remove $BASE only when
# nothing is mounted there any more
cleanup() {
	local m left
	for m in $(awk -v b="$BASE/" 'index($2, b) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	left=$(awk -v b="$BASE/" 'index($2, b) == 1' /proc/mounts)
	if [ -n "$left" ]; then
		printf 'still mounted, %s left in place:\n%s\n' "$BASE" "$left" >&2
	elif [ -z "${ECS_KEEP:-}" ]; then
		rm -rf "$BASE"
	else
		echo "kept $BASE" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_chroot ROOT COMMAND: runs a bash command in the chroot, in /ecs, with a
# clean environment; COPT=-Werror reaches every make through it
in_chroot() {
	chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 COPT=-Werror /bin/bash -c "cd /ecs && $2"
}

# count FILE: adds the final "N passed, M failed" of FILE to pass and fail
# (a file without one counts as a failure) and shows FILE if anything failed
count() {
	local line
	line=$(tail -1 "$1")
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
	else
		fail=$((fail + 1))
	fi
	[[ $line == *" 0 failed" ]] || { echo "== $1"; cat "$1"; } >&2
}

# run_release RELEASE: writes $BASE/RELEASE.result ("PASS FAIL what")
run_release() {
	local rel=$1 root=$BASE/$1 log=$BASE/$1.log t0 t1 t2 t3 pass=0 fail=0 built
	local result=$BASE/$1.result

	t0=$(date +%s)
	echo "0 1 set-up failed (see $log)" >"$result"
	debootstrap --variant=minbase "$rel" "$root" "$MIRROR" >"$log" 2>&1 || return
	# sid's Release file on the mirror can be past its Valid-Until date
	[ "$rel" = sid ] &&
		echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99ecs-matrix"
	# the tests make their own cluster: the package need not make "main"
	mkdir -p "$root/etc/postgresql-common/createcluster.d" &&
		echo 'create_main_cluster = false' \
			>"$root/etc/postgresql-common/createcluster.d/ecs-matrix.conf"
	mount -t proc proc "$root/proc" || return
	mkdir -p "$root/dev/shm" && mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm" || return
	mkdir "$root/ecs" &&
		git -C "$ECS_TOP" ls-files -z --cached --others --exclude-standard |
		tar -C "$ECS_TOP" --null -T - -cf - | tar -C "$root/ecs" -xf - || return
	t1=$(date +%s)

	# 1. the distribution's PostgreSQL and the build check (test/lib.sh)
	in_chroot "$root" 'bash test/matrix/build.sh' >"$BASE/$rel.build" 2>&1
	count "$BASE/$rel.build"
	built=$(grep -e '-Werror' "$BASE/$rel.build" | tail -1)
	t2=$(date +%s)

	# 2. the test command's suites
	in_chroot "$root" "bash test/run_tests.sh $SUITES" >"$BASE/$rel.tests" 2>&1
	count "$BASE/$rel.tests"
	t3=$(date +%s)
	echo "$pass $fail ${built:-no build}; $SUITES;" \
		"$((t3 - t0)) s (chroot $((t1 - t0)) s, packages and build $((t2 - t1)) s," \
		"tests $((t3 - t2)) s)" >"$result"
}

for rel in "${releases[@]}"; do
	run_release "$rel" &
done
wait

total_pass=0
total_fail=0
for rel in "${releases[@]}"; do
	read -r pass fail what <"$BASE/$rel.result"
	printf '%-7s %4d passed, %d failed  %s\n' "$rel:" "$pass" "$fail" "$what"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
