#!/usr/bin/env bash
# NATS JetStream servers for tests and for scripts/start-cluster.sh.
# nats-cluster.sh up DIR [N]   : starts N (default 3; 1 = no NATS cluster)
#                                nats-servers with JetStream on free
#                                127.0.0.1 ports, data under DIR, and waits
#                                until every one answers /healthz (a
#                                JetStream meta leader exists). Prints
#                                NATS_URLS=nats://...,nats://... and
#                                NATS_MONITOR_PORTS=p1,p2,... on stdout.
# nats-cluster.sh down DIR     : stops them by PID (DIR/pids), removes DIR.
# nats-cluster.sh kill DIR I   : SIGKILLs server I (1-based); `start DIR I`
#                                starts it again with its data and ports.
# Needs nats-server curl python3 (scripts/install-deps.sh installs them).
# PDB_LISTEN_HOST (default 127.0.0.1): the address the servers listen on
# (scripts/start-cluster.sh --netns: its bridge's address).
set -euo pipefail
H=${PDB_LISTEN_HOST:-127.0.0.1}
alive() { [ -r /proc/$1/stat ] && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]; }  # zombie = dead
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do alive "$1" || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
down() {
  local DIR=$1
  if [ -d "$DIR" ]; then
    for f in "$DIR"/n*.pid; do
      [ -f "$f" ] && stop_pid "$(cat "$f")"
    done
  fi
  rm -rf "$DIR"
}
start_one() {  # DIR I
  local DIR=$1 I=$2
  nats-server -c "$DIR/n$I.conf" </dev/null >"$DIR/n$I.out" 2>&1 &
  echo $! > "$DIR/n$I.pid"
}
wait_ready() {  # DIR I
  local DIR=$1 I=$2 port
  port=$(cat "$DIR/n$I.monitor")
  for _ in $(seq 300); do
    # Plain /healthz: "unavailable" until a JetStream meta leader exists
    # (?js-enabled-only=true says ok too early).
    if curl -fs "http://$H:$port/healthz" >/dev/null 2>&1; then return 0; fi
    alive "$(cat "$DIR/n$I.pid")" || { tail -n 5 "$DIR/n$I.log" >&2 || true; return 1; }
    sleep 0.05
  done
  echo "nats-cluster: server $I not ready after 15 s" >&2
  return 1
}
up() {
  local DIR=$1 N=${2:-3}
  mkdir -p "$DIR"
  trap "rc=\$?; if [ \$rc -ne 0 ]; then down '$DIR'; fi" EXIT  # on failure: stop what started
  local -a client route monitor
  for i in $(seq "$N"); do
    client[$i]=$(free_port); route[$i]=$(free_port); monitor[$i]=$(free_port)
  done
  local routes="" urls="" mports=""
  for i in $(seq "$N"); do
    routes+="${routes:+, }nats://$H:${route[$i]}"
    urls+="${urls:+,}nats://$H:${client[$i]}"
    mports+="${mports:+,}${monitor[$i]}"
  done
  for i in $(seq "$N"); do
    {
      echo "server_name: n$i"
      echo "listen: $H:${client[$i]}"
      echo "http: $H:${monitor[$i]}"
      echo "jetstream { store_dir: \"$DIR/js$i\", max_mem: 256MB, max_file: 4GB }"
      if [ "$N" -gt 1 ]; then
        echo "cluster { name: pdb, listen: $H:${route[$i]}, routes: [$routes] }"
      fi
      echo "log_file: \"$DIR/n$i.log\""
    } > "$DIR/n$i.conf"
    echo "${monitor[$i]}" > "$DIR/n$i.monitor"
    echo "${client[$i]}" > "$DIR/n$i.port"
    start_one "$DIR" "$i"
  done
  for i in $(seq "$N"); do wait_ready "$DIR" "$i"; done
  echo "NATS_URLS=$urls"
  echo "NATS_MONITOR_PORTS=$mports"
}
case "${1:-}" in
  up) up "${2:?DIR}" "${3:-3}" ;;
  down) down "${2:?DIR}" ;;
  kill) kill -9 "$(cat "${2:?DIR}/n${3:?I}.pid")" ;;
  start) start_one "${2:?DIR}" "${3:?I}"; wait_ready "$2" "$3" ;;
  *) echo "usage: $0 up DIR [N] | down DIR | kill DIR I | start DIR I" >&2; exit 2 ;;
esac
