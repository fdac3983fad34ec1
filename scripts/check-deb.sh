#!/usr/bin/env bash
# Installs the package scripts/build-deb.sh made and checks it as an
# operator would see it (docs/OPERATIONS.md, "Debian package"):
#   * apt-get installs it with its dependencies; the files, the proximadb
#     user and /var/lib/proximadb are there;
#   * every library the server loads belongs to a package its Depends names;
#   * the server starts as the proximadb user with the packaged config (as
#     the systemd unit runs it; a root without systemd runs the same command)
#     and answers /health, serves the packaged dashboard at /dashboard/
#     (index.html and the scripts it names), creates a collection in
#     /var/lib/proximadb and stops cleanly on SIGTERM;
#   * removing the package keeps the data.
# Run as root on a machine (or fresh-machine root) where build-deb.sh ran:
#   ../shared/tools/fresh-machine './scripts/build-deb.sh && ./scripts/check-deb.sh'
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-deb}
deb="$BUILD_DIR/proximadb_$(cat VERSION)_$(dpkg --print-architecture).deb"
fail() { echo "check-deb: $*" >&2; exit 1; }
[ -f "$deb" ] || fail "$deb not found: run ./scripts/build-deb.sh first"

apt-get install -y -qq "./$deb" >/dev/null
[ "$(dpkg-query -W -f='${Status}' proximadb)" = "install ok installed" ] ||
  fail "the package is not installed"
for f in /usr/bin/proximadb-server /etc/proximadb/config.toml \
  /lib/systemd/system/proximadb.service /usr/share/doc/proximadb/README.md \
  /usr/share/proximadb/dashboard/index.html; do
  [ -e "$f" ] || fail "$f is missing"
done
grep -qx /etc/proximadb/config.toml /var/lib/dpkg/info/proximadb.conffiles ||
  fail "the config is not a conffile"
getent passwd proximadb >/dev/null || fail "no proximadb user"
[ "$(stat -c '%U:%G %a' /var/lib/proximadb)" = "proximadb:proximadb 750" ] ||
  fail "/var/lib/proximadb: $(stat -c '%U:%G %a' /var/lib/proximadb)"
grep -q '^ExecStart=/usr/bin/proximadb-server --config /etc/proximadb/config.toml$' \
  /lib/systemd/system/proximadb.service || fail "unexpected ExecStart"

# Depends: the package of each library the binary links directly (its
# NEEDED entries; theirs come with those packages) must be named there.
depends=$(dpkg-query -W -f='${Depends}' proximadb | tr ',|' '\n\n' |
  sed -E 's/^ *([^ (]+).*/\1/' | sort -u)
needed=$(readelf -d /usr/bin/proximadb-server |
  sed -nE 's/.*Shared library: \[(.*)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no libraries"
for soname in $needed; do
  lib=$(ldd /usr/bin/proximadb-server | awk -v n="$soname" '$1 == n {print $3}')
  [ -n "$lib" ] && [ "$lib" != "not" ] || fail "$soname is not found"
  pkg=""
  for p in "$lib" "$(readlink -f "$lib")" "${lib#/usr}" "/usr$lib"; do
    pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || fail "no package owns $lib"
  # Named itself or by a virtual package it provides (libspdlog1.10
  # provides the libspdlog1.10-fmt9 its shlibs file asks for).
  names=$(printf '%s\n%s\n' "$pkg" "$(dpkg-query -W -f='${Provides}' "$pkg" |
    tr ',' '\n' | sed -E 's/^ *([^ (]+).*/\1/')")
  grep -qxF -f <(grep . <<<"$names") <<<"$depends" ||
    fail "$lib comes from $pkg, which Depends does not name"
done
echo "check-deb: installed; Depends names the package of each of the $(wc -w <<<"$needed") libraries linked"

# Run it as the unit does, on free ports.
log=$(mktemp)
(cd /var/lib/proximadb &&
  exec setpriv --reuid=proximadb --regid=proximadb --init-groups -- \
    env PROXIMADB_API__REST_PORT=0 \
    PROXIMADB_API__GRPC_PORT=0 /usr/bin/proximadb-server \
    --config /etc/proximadb/config.toml) >"$log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -nE 's/.*proximadb-server ready rest_port=([0-9]+).*/\1/p' "$log")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; kill "$pid"; fail "the server did not start"; }

# One HTTP/1.0 request over bash's /dev/tcp; prints the response.
http() {
  local method=$1 path=$2 body=${3:-}
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%s %s HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "$method" "$path" "${#body}" "$body" >&3
  cat <&3
  exec 3<&-
}
health=$(http GET /health)
grep -q '"healthy"' <<<"$health" || fail "/health answered: $health"
page=$(http GET /dashboard/)
grep -q '^HTTP/1.[01] 200' <<<"$page" || fail "/dashboard/ answered: $(head -c 600 <<<"$page")"
grep -qi '^content-type: text/html' <<<"$page" || fail "/dashboard/ is not HTML"
script=$(grep -oE 'src="/dashboard/assets/[^"]+\.js"' <<<"$page" | head -1 | cut -d'"' -f2)
[ -n "$script" ] || fail "/dashboard/ names no script: $page"
js=$(http GET "$script")
grep -q '^HTTP/1.[01] 200' <<<"$js" || fail "$script answered: $(head -c 300 <<<"$js")"
grep -qi '^content-type: text/javascript' <<<"$js" || fail "$script is not JavaScript"
created=$(http POST /api/v1/collections '{"name":"deb_check","dimension":3}')
grep -q '^HTTP/1.[01] 20[01]' <<<"$created" || fail "create answered: $created"
[ "$(stat -c %U /var/lib/proximadb/catalog.db 2>/dev/null)" = proximadb ] ||
  fail "/var/lib/proximadb/catalog.db is missing or not the proximadb user's"
kill -TERM "$pid"
wait "$pid" || fail "the server exited with status $? on SIGTERM"
echo "check-deb: the server answered /health on port $port as user proximadb and stopped cleanly"

apt-get remove -y -qq proximadb >/dev/null
[ -n "$(ls -A /var/lib/proximadb)" ] || fail "removing the package deleted the data"
echo "check-deb: removed; /var/lib/proximadb kept"
