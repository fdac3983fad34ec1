#!/usr/bin/env bash
# The ctest fixture of the `pg` tests (tests/CMakeLists.txt), and of any test
# that wants a PostgreSQL of its own:
#   pg_fixture.sh up DIR ENV_FILE    initdb + postgres 15 in DIR (on a free
#                                    loopback port, socket in DIR), a role and
#                                    a database for the tests, and writes
#                                    PDB_PG_URL, PDB_PG_ADMIN_URL, PDB_PG_PID,
#                                    PDB_PG_PASSWORD to ENV_FILE
#   pg_fixture.sh down DIR ENV_FILE  stops it (by PID), removes DIR, ENV_FILE
# As root the server runs as the `postgres` user (initdb refuses root), via
# setpriv; otherwise as the caller. TCP logins need a password (scram), so the
# tests see the password in their URL and check it never shows up anywhere.
# When PostgreSQL is not installed or cannot start, `up` writes PG_SKIP=<why>
# instead (the tests then skip) unless PDB_REQUIRE_PG is set, when it fails:
# scripts/test.sh sets it, so the suite always runs them.
set -euo pipefail
cmd=${1:-} dir=${2:-} env_file=${3:-}
[ -n "$dir" ] && [ -n "$env_file" ] || { echo "usage: $0 up|down DIR ENV_FILE" >&2; exit 2; }
bin=/usr/lib/postgresql/15/bin

stop() {
  if [ -f "$dir/postgres.pid.fixture" ]; then
    local pid; pid=$(cat "$dir/postgres.pid.fixture")
    if kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid" 2>/dev/null || true  # fast shutdown
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

skip_or_fail() {
  if [ -n "${PDB_REQUIRE_PG:-}" ]; then
    echo "pg_fixture: PDB_REQUIRE_PG is set but $1" >&2
    [ -f "$dir/log" ] && tail -20 "$dir/log" >&2
    exit 1
  fi
  echo "PG_SKIP=$1" > "$env_file"
  exit 0
}

case "$cmd" in
  up)
    stop  # a fixture left running by an interrupted run
    rm -f "$env_file"
    [ -x "$bin/postgres" ] || skip_or_fail "PostgreSQL 15 is not installed (scripts/install-deps.sh installs postgresql-15)"
    mkdir -p "$dir"
    as=()
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || skip_or_fail "there is no postgres user"
      chown postgres: "$dir"
      as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    fi
    password=pw$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    admin_password=ad$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$admin_password" > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
    if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      skip_or_fail "initdb failed: $(tail -1 "$dir/initdb.log")"
    fi
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # exec: $! is the postgres process itself.
    "${as[@]}" "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" \
      -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off </dev/null >>"$dir/log" 2>&1 &
    echo $! > "$dir/postgres.pid.fixture"
    for _ in $(seq 1 200); do
      /usr/bin/pg_isready -q -h "$dir" -p "$port" && break
      kill -0 "$(cat "$dir/postgres.pid.fixture")" 2>/dev/null || break
      sleep 0.05
    done
    /usr/bin/pg_isready -q -h "$dir" -p "$port" || skip_or_fail "postgres did not start"
    psql=(/usr/bin/psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres)
    "${psql[@]}" -d postgres -c "CREATE ROLE proximadb LOGIN PASSWORD '$password'" >/dev/null
    "${psql[@]}" -d postgres -c "CREATE DATABASE pdbtest OWNER proximadb" >/dev/null
    {
      echo "PDB_PG_URL=postgresql://proximadb:$password@127.0.0.1:$port/pdbtest"
      echo "PDB_PG_ADMIN_URL=postgresql://postgres:$admin_password@127.0.0.1:$port/pdbtest"
      echo "PDB_PG_PASSWORD=$password"
      echo "PDB_PG_PID=$(cat "$dir/postgres.pid.fixture")"
      echo "PDB_PG_PORT=$port"
    } > "$env_file.tmp"
    mv "$env_file.tmp" "$env_file"
    ;;
  down)
    stop
    rm -f "$env_file" "$env_file.tmp"
    ;;
  *) echo "usage: $0 up|down DIR ENV_FILE" >&2; exit 2 ;;
esac
