#!/bin/bash
# SDK conformance test of the ECS emulator (and of its STS and metadata service): installs the pinned npm SDKs (when
# node_modules is missing or older than package-lock.json), makes a throw-away CA and
# runs `node --test`. Works with Node >= 18 and npm >= 9; only the npm registry (or
# npm's local cache) is needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

stamp=node_modules/.conformance-lock.json
if [ ! -d node_modules ] || ! cmp -s package-lock.json "$stamp"; then
    # --ignore-scripts: the only install script (@alicloud/openapi-core's postinstall)
    # does something on Node 10 and 12 only.
    npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null
    cp package-lock.json "$stamp"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ecs-conformance-ca.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! out=$(bash ../emulator/make_test_ca.sh "$tmp/ca" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "run.sh: make_test_ca.sh failed" >&2
    exit 1
fi

# the PostgreSQL server (user postgres) reads the CA when the extension's requests are compared
chmod 755 "$tmp" "$tmp/ca" && chmod 644 "$tmp/ca/ca.pem"
ECS_CONF_CA_DIR="$tmp/ca" node --test --test-reporter=tap conformance.test.js sts.test.js
