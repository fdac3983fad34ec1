#!/usr/bin/env bash
# Stops what scripts/start-cluster.sh started in DIR (nodes by PID with
# SIGTERM, then SIGKILL after 10 s; NATS; etcd), removes the network
# namespaces and the bridge of a --netns cluster, and removes DIR.
#   scripts/stop-cluster.sh --dir DIR [--keep]   (--keep: leave DIR)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="" KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "stop-cluster: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$DIR" ] || { echo "usage: $0 --dir DIR [--keep]" >&2; exit 2; }
[ -d "$DIR" ] || exit 0
DIR=$(cd "$DIR" && pwd)
TAG=$(printf '%s' "$DIR" | md5sum | cut -c1-4)  # as start-cluster.sh
net_down() {  # a --netns cluster's namespaces (their veths go with them), bridge
  command -v ip >/dev/null || return 0
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^pdb${TAG}n" || true); do
    ip netns del "$ns" || true
  done
  ip link del "pdb${TAG}b" 2>/dev/null || true
}
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
for p in "$DIR"/node*/pid; do
  [ -f "$p" ] && stop_pid "$(cat "$p")" &
done
wait
if [ "$KEEP" = 1 ]; then
  # Stop the services, keep their data and the nodes' logs.
  for f in "$DIR"/nats/n*.pid "$DIR"/etcd/etcd.pid; do
    [ -f "$f" ] && stop_pid "$(cat "$f")"
  done
  net_down
  exit 0
fi
[ -d "$DIR/nats" ] && "$ROOT/scripts/nats-cluster.sh" down "$DIR/nats"
[ -d "$DIR/etcd" ] && "$ROOT/tests/cluster/etcd_fixture.sh" down "$DIR/etcd"
net_down
rm -rf "$DIR"
