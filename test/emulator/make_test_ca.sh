#!/bin/sh
# make_test_ca.sh DIR -- create a throwaway test CA and a server certificate
# for the ECS emulator: DIR/ca.pem, DIR/ca.key, DIR/server.pem, DIR/server.key.
# EC P-256, valid 30 days, server SAN IP:127.0.0.1, IP:::1 and the official
# host names of the emulator's regions (*.aliyuncs.com: ecs.aliyuncs.com,
# ecs-cn-hangzhou.aliyuncs.com, ...; *.<region>.aliyuncs.com: ecs., ecs-vpc.,
# oos., oos-vpc.<region>), which tests reach through the connect_to option:
# the name "localhost" is left out on purpose, so that tests can reach the
# emulator under a host name its certificate does not cover.
# Idempotent: existing files are kept while they verify and stay valid for
# at least another day.  Quiet unless something fails.
set -eu
dir=${1:?usage: make_test_ca.sh DIR}
mkdir -p "$dir"

if [ -s "$dir/ca.pem" ] && [ -s "$dir/ca.key" ] && [ -s "$dir/server.pem" ] && [ -s "$dir/server.key" ] &&
   openssl x509 -in "$dir/server.pem" -noout -checkend 86400 >/dev/null 2>&1 &&
   openssl x509 -in "$dir/ca.pem" -noout -checkend 86400 >/dev/null 2>&1 &&
   openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null 2>&1 &&
   openssl x509 -in "$dir/server.pem" -noout -text 2>/dev/null | grep -q 'DNS:\*\.aliyuncs\.com'; then
    exit 0
fi

tmp=$(mktemp -d "$dir/.make_test_ca.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log="$tmp/openssl.log"
fail() { cat "$log" >&2; echo "make_test_ca.sh: $1" >&2; exit 1; }

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 30 -subj "/CN=ecs_image_fdw test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >"$log" 2>&1 || fail "could not create the CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=ECS emulator" \
    >"$log" 2>&1 || fail "could not create the server key"
# the region ids of the emulator (ecsemu.regions.REGIONS)
here=$(cd "$(dirname "$0")" && pwd)
names=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); from ecsemu.regions import REGIONS
print(",".join("DNS:*.%s.aliyuncs.com" % r[0] for r in REGIONS))' "$here") ||
    fail "could not read the emulator's regions"
cat >"$tmp/server.ext" <<EXT
subjectAltName=IP:127.0.0.1,IP:::1,DNS:*.aliyuncs.com,$names
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -out "$tmp/server.pem" -days 30 \
    -extfile "$tmp/server.ext" >"$log" 2>&1 || fail "could not sign the server certificate"

chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
chmod 600 "$tmp/ca.key" "$tmp/server.key"
for f in ca.key ca.pem server.key server.pem; do
    mv -f "$tmp/$f" "$dir/$f"
done
