# test/lib.sh: shared steps of the test command, the demo and the benchmark.
# Source it from bash; every function exits the script on failure.
#
#   ecs_step NAME CMD...  runs CMD (one of the functions below, or any
#                         command) quietly: its output goes to a log that is
#                         printed only if it fails; prints one line, NAME and
#                         how long it took
#   ecs_install_deps      Debian packages (apt-get) and, if missing, Node.js
#   ecs_build_install     make and make install the extension
#   ecs_private_pg        a private copy of the PostgreSQL tree in $WORK that
#                         ecs_build_install then installs into, so that the
#                         system's installation is never touched (used when
#                         ECS_PRIVATE_PG=1, by test/sanitize, and by work
#                         trees that build side by side)
#   ecs_workdir           a throw-away directory in $WORK, removed on exit
#   ecs_start_emulator    the ECS emulator over HTTPS with a fresh test CA;
#                         sets EMU_URL, EMU_CONNECT, EMU_CA, EMU_PID,
#                         EMU_METADATA_URL, EMU_OIDC_TOKEN_FILE and the
#                         EMU_*_SECRET test keys (arguments go to it)
#   ecs_start_postgres    a throw-away cluster run by the postgres user;
#                         sets PGHOST, PGPORT, PGUSER, PGDATABASE
#
# Everything started here is stopped by the EXIT trap that ecs_workdir sets.

ECS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ECS_PYTHON=/usr/bin/python3
export LANG=C.UTF-8 LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive

# fd 3 and 4: the script's own stdout and stderr, for ecs_step's line and
# for a failing step's log, while the step's output goes to that log
exec 3>&1 4>&2

ecs_log() { printf '== %s\n' "$*" >&2; }
ecs_die() {
	[ -n "${ECS_STEP_LOG:-}" ] && _ecs_step_failed "$*"
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# ecs_step NAME CMD...: the command runs in this shell (so the variables a
# function sets stay set) with stdout and stderr in a log of its own.  A
# step may set ECS_STEP_NOTE to a few words that end its line.
ecs_step() {
	local name=$1 t0 rc
	shift
	ECS_STEP_LOG=$(mktemp /tmp/ecs_image_fdw-step.XXXXXX) || exit 1
	ECS_STEP_NOTE=
	printf '== %s ... ' "$name" >&3
	t0=$(date +%s%N)
	"$@" >"$ECS_STEP_LOG" 2>&1
	rc=$?
	[ $rc -eq 0 ] || ecs_die "$name failed (exit status $rc)"
	printf '%s(%s)\n' "${ECS_STEP_NOTE:+$ECS_STEP_NOTE }" "$(ecs_since "$t0")" >&3
	rm -f "$ECS_STEP_LOG"
	ECS_STEP_LOG=
}

# _ecs_step_failed MESSAGE: a step failed; its log goes to the script's stderr
_ecs_step_failed() {
	local log=$ECS_STEP_LOG
	ECS_STEP_LOG=
	{
		printf 'FAILED\n'
		printf -- '---- output of the failed step (%s) ----\n' "$log"
		tail -n 300 "$log"
		printf -- '---- end of the output ----\n'
	} >&4
	exec >&3 2>&4
}

# ecs_since T0: seconds since T0 (date +%s%N), as "12.3 s"
ecs_since() {
	local d=$(( ($(date +%s%N) - $1) / 100000000 ))
	printf '%d.%d s' $((d / 10)) $((d % 10))
}

# The PostgreSQL to build and test against: $PG_CONFIG if set, otherwise
# the server of major version $ECS_PG_MAJOR, otherwise the distribution's
# own (the major version that the "postgresql" package depends on: 15 on
# Debian 12, 17 on Debian 13, 18 on sid).  Installs what is missing and
# exports PG_CONFIG, which the Makefile and every step below use.
ecs_install_deps() {
	local pkgs="libcurl4-openssl-dev libjson-c-dev libssl-dev pkg-config
		openssl make gcc python3 ca-certificates"
	if [ -z "${PG_CONFIG:-}" ]; then
		[ -n "${ECS_PG_MAJOR:-}" ] || _ecs_default_pg_major
		pkgs="postgresql-$ECS_PG_MAJOR postgresql-server-dev-$ECS_PG_MAJOR $pkgs"
	fi
	local missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	# ECS_NEED_NODE= (empty): no Node.js, for runs without the conformance suite
	if [ -n "${ECS_NEED_NODE-1}" ]; then
		command -v node >/dev/null || missing="$missing nodejs"
		command -v npm >/dev/null || missing="$missing npm"
	fi
	ECS_STEP_NOTE="all present"
	if [ -n "$missing" ]; then
		ecs_log "installing Debian packages:$missing"
		[ "$(id -u)" = 0 ] || ecs_die "run as root to install packages"
		_ecs_apt_update
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing ||
			ecs_die "apt-get install failed"
		# shellcheck disable=SC2086
		ECS_STEP_NOTE="installed $(echo $missing | wc -w) packages and what they need"
	fi
	export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$ECS_PG_MAJOR/bin/pg_config}
	[ -x "$PG_CONFIG" ] || ecs_die "no pg_config at $PG_CONFIG"
}

# _ecs_default_pg_major: sets ECS_PG_MAJOR to the distribution's PostgreSQL
_ecs_default_pg_major() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' postgresql 2>/dev/null)
	if [ -z "$dep" ]; then
		_ecs_apt_update
		dep=$(apt-cache show --no-all-versions postgresql 2>/dev/null |
			sed -n 's/^Depends: //p')
	fi
	dep=$(printf '%s\n' "$dep" | grep -o 'postgresql-[0-9][0-9]*' | head -1)
	[ -n "$dep" ] || ecs_die "the distribution has no postgresql package"
	ECS_PG_MAJOR=${dep#postgresql-}
}

_ecs_apt_update() {
	[ -n "${_ECS_APT_UPDATED:-}" ] && return
	apt-get update -qq || ecs_die "apt-get update failed"
	_ECS_APT_UPDATED=1
}

ecs_build_install() {
	ecs_log "building and installing ecs_image_fdw"
	# ECS_MAKE_FLAGS: optional bash array of extra make arguments (test/sanitize,
	# ecs_private_pg)
	make -C "$ECS_TOP" -s clean "${ECS_MAKE_FLAGS[@]}"
	make -C "$ECS_TOP" -s -j2 "${ECS_MAKE_FLAGS[@]}" || ecs_die "build failed"
	make -C "$ECS_TOP" -s install "${ECS_MAKE_FLAGS[@]}" || ecs_die "install failed"
}

# ecs_private_pg: PostgreSQL finds $libdir and the share directory relative
# to its own binary, so a copy of bin/ under $PGROOT with the same layout
# loads extensions from $PGROOT only.  Everything but ecs_image_fdw is a
# symlink to the system's files.  Needs $WORK (ecs_workdir); sets PGROOT,
# which ecs_build_install installs into and ecs_start_postgres runs from.
ecs_private_pg() {
	local real_bin
	real_bin=$("${PG_CONFIG:?ecs_private_pg needs PG_CONFIG}" --bindir) && [ -d "$real_bin" ] &&
		[ "$real_bin" != / ] || ecs_die "pg_config gave no usable bindir"
	PGROOT=$WORK/pgroot
	mkdir -p "$PGROOT$real_bin" && cp -a "$real_bin/." "$PGROOT$real_bin/" ||
		ecs_die "could not copy $real_bin"
	_ecs_mirror "$("$PG_CONFIG" --pkglibdir)"
	_ecs_mirror "$("$PG_CONFIG" --sharedir)"
	[ "$("$PGROOT$real_bin/pg_config" --pkglibdir)" = "$PGROOT$("$PG_CONFIG" --pkglibdir)" ] ||
		ecs_die "the private PostgreSQL tree does not relocate"
	ECS_MAKE_FLAGS+=("DESTDIR=$PGROOT")
}

# _ecs_mirror DIR: symlinks in $PGROOT/DIR to DIR's entries, but ecs_image_fdw
_ecs_mirror() {
	local e name
	mkdir -p "$PGROOT$1" || ecs_die "mkdir $PGROOT$1 failed"
	for e in "$1"/*; do
		name=${e##*/}
		case $name in
		ecs_image_fdw*) ;;
		bitcode | extension) _ecs_mirror "$e" ;;
		*) ln -s "$e" "$PGROOT$1/$name" ;;
		esac
	done
}

ecs_cleanup() {
	if [ -n "${ECS_PGDATA:-}" ] && [ -f "$ECS_PGDATA/postmaster.pid" ]; then
		ecs_as_postgres "$ECS_PGBIN/pg_ctl" -D "$ECS_PGDATA" -m immediate \
			-w stop >/dev/null 2>&1
	fi
	if [ -n "${EMU_PID:-}" ]; then
		kill "$EMU_PID" 2>/dev/null
		wait "$EMU_PID" 2>/dev/null
	fi
	[ -n "${WORK:-}" ] && [ -z "${ECS_KEEP:-}" ] && rm -rf "$WORK"
	return 0
}

ecs_workdir() {
	WORK=$(mktemp -d /tmp/ecs_image_fdw.XXXXXX) || ecs_die "mktemp failed"
	chmod 755 "$WORK"
	trap ecs_cleanup EXIT
	trap 'exit 130' INT TERM
}

ecs_start_emulator() {
	bash "$ECS_TOP/test/emulator/make_test_ca.sh" "$WORK/tls" >/dev/null ||
		ecs_die "could not make the test CA"
	chmod 755 "$WORK/tls"
	chmod 644 "$WORK/tls/ca.pem"
	"$ECS_PYTHON" "$ECS_TOP/test/emulator/ecs_emulator.py" --port 0 \
		--port-file "$WORK/emulator.port" \
		--tls-cert "$WORK/tls/server.pem" --tls-key "$WORK/tls/server.key" \
		--log "$WORK/emulator-requests.log" --metadata-port-file "$WORK/metadata.port" \
		"$@" >"$WORK/emulator.log" 2>&1 3>&- 4>&- &
	EMU_PID=$!
	# seeding 100,000 images (the benchmark's part 3) takes ~12 s of CPU,
	# longer on a busy machine
	local i
	for i in $(seq 1 600); do
		[ -s "$WORK/emulator.port" ] && break
		kill -0 "$EMU_PID" 2>/dev/null || { cat "$WORK/emulator.log" >&2; ecs_die "the emulator did not start"; }
		sleep 0.1
	done
	[ -s "$WORK/emulator.port" ] || ecs_die "the emulator did not start in time"
	EMU_PORT=$(cat "$WORK/emulator.port")
	# the instance metadata service (plain http, as on an instance) and where
	# tests put an OIDC token (emuctl.py oidc-token --out)
	export EMU_METADATA_URL="http://127.0.0.1:$(cat "$WORK/metadata.port")" \
		EMU_OIDC_TOKEN_FILE="$WORK/oidc/token"
	# EMU_URL: the emulator's own address (control endpoints, single-host
	# servers); EMU_CONNECT: the connect_to option of servers that use the
	# official host names (the test CA's certificate covers them)
	export EMU_URL="https://127.0.0.1:$EMU_PORT" EMU_CA="$WORK/tls/ca.pem" EMU_PORT \
		EMU_CONNECT="127.0.0.1:$EMU_PORT"
	# the emulator's fixed test keys (its README), for the SQL tests to read
	# with \getenv, so that no secret is written in a test or its output
	export EMU_OWNER_SECRET=emu-owner-secret-0001 EMU_PEER_SECRET=emu-peer-secret-0002 \
		EMU_STS_SECRET=emu-sts-secret-0003 EMU_STS_TOKEN=emu-sts-token-0003 \
		EMU_NOPERM_SECRET=emu-noperm-secret-0005
}

# ecs_as_postgres CMD...: CMD as the postgres user, from a directory it may
# enter (else initdb and pg_ctl warn that they cannot change back to ours),
# without the script's own fds 3 and 4 (a server would hold them open)
ecs_as_postgres() {
	(cd / && runuser -u postgres -- "$@") 3>&- 4>&-
}

ecs_start_postgres() {
	ECS_PGBIN=${PGROOT:-}$("$PG_CONFIG" --bindir)
	ECS_PGDATA="$WORK/pgdata"
	install -d -o postgres -g postgres -m 700 "$ECS_PGDATA"
	install -d -o postgres -g postgres -m 755 "$WORK/sock"
	ecs_as_postgres "$ECS_PGBIN/initdb" -D "$ECS_PGDATA" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log" >&2; ecs_die "initdb failed"; }
	# ECS_PG_ENV: optional bash array of NAME=VALUE for the server (test/sanitize);
	# the emulator's test keys stay out of its environment (and so its log)
	ecs_as_postgres env -u EMU_OWNER_SECRET -u EMU_PEER_SECRET \
		-u EMU_STS_SECRET -u EMU_STS_TOKEN -u EMU_NOPERM_SECRET "${ECS_PG_ENV[@]}" "$ECS_PGBIN/pg_ctl" -D "$ECS_PGDATA" -l "$ECS_PGDATA/server.log" \
		-w -t 60 -o "-p 5432 -k $WORK/sock -c listen_addresses= -c fsync=off ${ECS_PG_OPTIONS:-}" \
		start >/dev/null || { cat "$ECS_PGDATA/server.log" >&2; ecs_die "PostgreSQL did not start"; }
	export PGHOST="$WORK/sock" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}
