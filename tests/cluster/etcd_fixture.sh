#!/usr/bin/env bash
# A one-member etcd for the `etcd` tests (tests/CMakeLists.txt):
#   etcd_fixture.sh up DIR     starts etcd on free loopback ports with its data
#                              in DIR, waits until /health says so, and writes
#                              DIR/etcd.env (and prints it):
#                                ETCD_ENDPOINTS=127.0.0.1:<client port>
#                                ETCD_PID=<pid>
#   etcd_fixture.sh restart DIR  stops it and starts it again on the same
#                              ports with the same data (DIR/etcd.env updated)
#   etcd_fixture.sh down DIR   stops the etcd started in DIR (by its PID) and
#                              removes DIR
# Without etcd installed, `up` writes ETCD_SKIP=<why> instead (the tests then
# skip) unless PDB_REQUIRE_ETCD is set, when it fails: scripts/test.sh sets
# it. A test that needs an etcd of its own (to stop it) runs this too.
# PDB_LISTEN_HOST (default 127.0.0.1): the address etcd listens on
# (scripts/start-cluster.sh --netns: its bridge's address).
set -euo pipefail
H=${PDB_LISTEN_HOST:-127.0.0.1}
cmd=${1:-} dir=${2:-}
[ -n "$dir" ] || { echo "usage: $0 up|restart|down DIR" >&2; exit 2; }

stop() {
  local pid
  pid=$(cat "$dir/etcd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/etcd.pid"
}

free_port() {  # one free loopback port (the kernel's choice)
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {  # etcd on the ports of DIR/ports; true once healthy
  local cp pp pid
  read -r cp pp < "$dir/ports"
  etcd --name n1 --data-dir "$dir/n1" \
    --listen-client-urls "http://$H:$cp" --advertise-client-urls "http://$H:$cp" \
    --listen-peer-urls "http://$H:$pp" --initial-advertise-peer-urls "http://$H:$pp" \
    --initial-cluster "n1=http://$H:$pp" --logger=zap --log-outputs="$dir/n1.log" \
    </dev/null >/dev/null 2>&1 &
  pid=$!
  echo "$pid" > "$dir/etcd.pid"
  for _ in $(seq 1 100); do  # 10 s
    if curl -fs "http://$H:$cp/health" 2>/dev/null | grep -q '"health":"true"'; then
      printf 'ETCD_ENDPOINTS=%s:%s\nETCD_PID=%s\n' "$H" "$cp" "$pid" > "$dir/etcd.env"
      cat "$dir/etcd.env"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break  # a port taken meanwhile
    sleep 0.1
  done
  stop
  return 1
}

case "$cmd" in
  restart)
    stop
    start || { echo "etcd_fixture: etcd did not come back (log: $dir/n1.log)" >&2; exit 1; }
    ;;
  up)
    [ -d "$dir" ] && stop  # one left running by an interrupted run
    rm -rf "$dir"
    mkdir -p "$dir"
    if ! command -v etcd >/dev/null; then
      if [ -n "${PDB_REQUIRE_ETCD:-}" ]; then
        echo "etcd_fixture: PDB_REQUIRE_ETCD is set but etcd is not installed (scripts/install-deps.sh)" >&2
        exit 1
      fi
      echo "ETCD_SKIP=etcd is not installed (scripts/install-deps.sh installs etcd-server)" > "$dir/etcd.env"
      cat "$dir/etcd.env"
      exit 0
    fi
    for attempt in 1 2 3; do
      cp=$(free_port) pp=$(free_port)
      [ "$cp" != "$pp" ] || continue
      echo "$cp $pp" > "$dir/ports"
      start && exit 0
      rm -rf "$dir/n1"
    done
    echo "etcd_fixture: etcd did not become healthy (log: $dir/n1.log)" >&2
    exit 1
    ;;
  down)
    [ -d "$dir" ] || exit 0
    stop
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 up|restart|down DIR" >&2; exit 2 ;;
esac
