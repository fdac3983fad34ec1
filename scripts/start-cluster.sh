#!/usr/bin/env bash
# A ProximaDB cluster on this machine (docs/CLUSTER.md): one etcd, a NATS
# JetStream cluster and N proximadb-server nodes on free 127.0.0.1 ports,
# everything under DIR.
#
#   scripts/start-cluster.sh --dir DIR [--nodes 3] [--shards S]
#                            [--replication R] [--snapshot-interval E]
#                            [--retain E] [--binary PATH]
#       starts the cluster and prints one line per node:
#         node <id> <rest_url> <grpc_address> <pid>
#       and writes DIR/cluster.env (what scripts/stop-cluster.sh and
#       --node use). --shards / --replication set the nodes'
#       [cluster] default_shards / default_replication_factor,
#       --snapshot-interval / --retain their snapshot_interval_entries /
#       stream_retain_entries (default: the server's). Every node's
#       [tiering] local_object_directory is DIR/objects: the object store
#       the nodes share for shard snapshots. The nodes share a random
#       [cluster] internal_token (kept in DIR/cluster.env).
#   scripts/start-cluster.sh --dir DIR --node I
#       starts node I (1-based) again, with its data and ports (after a
#       kill), and prints its line.
#   scripts/start-cluster.sh --dir DIR --add
#       adds a node to the running cluster (the next number, new ports, an
#       empty data directory; it joins the same etcd and NATS servers) and
#       prints its line. The cluster moves replicas to it (docs/CLUSTER.md,
#       "Moving replicas").
#   scripts/start-cluster.sh --dir DIR ... --netns
#       (root, `ip`) runs each node in a network namespace of its own,
#       linked to a bridge on this host (10.213.X.0/24, X from DIR) where
#       etcd and NATS listen: nodes are reached at 10.213.X.(10+I). Then
#   scripts/start-cluster.sh --dir DIR --cut I | --heal I
#       cuts node I off the network (its link to the bridge goes down: it
#       reaches nothing, nothing reaches it, it keeps running) and
#       restores it: a network partition of one node. A client inside its
#       namespace (`ip netns exec $(start-cluster.sh --dir DIR --ns I) ...`)
#       still reaches it.
#   scripts/start-cluster.sh --dir DIR --ns I    prints node I's namespace.
#   scripts/stop-cluster.sh --dir DIR    stops everything and removes DIR.
#
# The server binary: --binary, else $PROXIMADB_SERVER_BINARY, else
# build/src/server/proximadb-server (scripts/run-server.sh builds it).
# Needs etcd, nats-server, curl, python3 (scripts/install-deps.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="" NODES=3 SHARDS=1 RF=1 BINARY=${PROXIMADB_SERVER_BINARY:-} ONE="" ADD=0
SNAP_INTERVAL=10000 RETAIN=10000 NETNS=0 CUT="" HEAL="" NSOF=
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --replication) RF=$2; shift 2 ;;
    --snapshot-interval) SNAP_INTERVAL=$2; shift 2 ;;
    --retain) RETAIN=$2; shift 2 ;;
    --binary) BINARY=$2; shift 2 ;;
    --node) ONE=$2; shift 2 ;;
    --add) ADD=1; shift ;;
    --netns) NETNS=1; shift ;;
    --cut) CUT=$2; shift 2 ;;
    --heal) HEAL=$2; shift 2 ;;
    --ns) NSOF=$2; shift 2 ;;
    *) echo "start-cluster: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$DIR" ] || { echo "usage: $0 --dir DIR [--nodes N] [--shards S] [--replication R] [--snapshot-interval E] [--retain E] [--netns] [--binary PATH] | --dir DIR --node I | --dir DIR --add | --dir DIR --cut I | --heal I | --ns I" >&2; exit 2; }
[ -n "$BINARY" ] || BINARY=$ROOT/build/src/server/proximadb-server
[ -n "$CUT$HEAL$NSOF" ] || [ -x "$BINARY" ] || { echo "start-cluster: no server binary at $BINARY (build it, or pass --binary)" >&2; exit 1; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# Network namespaces (--netns): names and addresses derive from DIR, so
# two clusters on one host do not collide.
TAG=$(printf '%s' "$DIR" | md5sum | cut -c1-4)
NET=10.213.$(( 0x${TAG:0:2} % 200 + 20 ))
BR=pdb${TAG}b
if [ -f "$DIR/cluster.env" ] && grep -q '^NETNS=1' "$DIR/cluster.env"; then NETNS=1; fi
ns_of() { echo "pdb${TAG}n$1"; }
node_host() {  # I: the address node I listens on
  if [ "$NETNS" = 1 ]; then echo "$NET.$((10 + $1))"; else echo 127.0.0.1; fi
}
setup_ns() {  # I: node I's namespace, linked to the bridge (once)
  local I=$1 ns vh vc
  ns=$(ns_of "$I") vh=pdb${TAG}h$I vc=pdb${TAG}c$I
  ip netns list | awk '{print $1}' | grep -qx "$ns" && return 0
  ip netns add "$ns"
  ip link add "$vh" type veth peer name "$vc"
  ip link set "$vc" netns "$ns"
  ip link set "$vh" master "$BR" up
  ip netns exec "$ns" ip addr add "$(node_host "$I")/24" dev "$vc"
  ip netns exec "$ns" ip link set "$vc" up
  ip netns exec "$ns" ip link set lo up
}
if [ -n "$CUT$HEAL$NSOF" ]; then
  [ "$NETNS" = 1 ] || { echo "start-cluster: $DIR was not started with --netns" >&2; exit 1; }
  [ -z "$NSOF" ] || { ns_of "$NSOF"; exit 0; }
  if [ -n "$CUT" ]; then ip link set "pdb${TAG}h$CUT" down; else ip link set "pdb${TAG}h$HEAL" up; fi
  exit 0
fi

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_node() {  # I: starts node I from DIR/node$I/config.toml, waits until ready
  local I=$1 nd pid
  nd=$DIR/node$I
  if [ "$NETNS" = 1 ]; then
    ip netns exec "$(ns_of "$I")" "$BINARY" --config "$nd/config.toml" </dev/null >"$nd/stdout.log" 2>>"$nd/server.log" &
  else
    "$BINARY" --config "$nd/config.toml" </dev/null >"$nd/stdout.log" 2>>"$nd/server.log" &
  fi
  pid=$!
  echo "$pid" > "$nd/pid"
  for _ in $(seq 600); do  # 60 s
    if grep -q "proximadb-server ready" "$nd/stdout.log" 2>/dev/null; then
      echo "node n$I http://$(node_host "$I"):$(cat "$nd/rest_port") $(node_host "$I"):$(cat "$nd/grpc_port") $pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "start-cluster: node $I exited; the end of $nd/server.log:" >&2
      tail -n 20 "$nd/server.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  echo "start-cluster: node $I not ready after 60 s ($nd/server.log)" >&2
  return 1
}

toml_list() {  # a,b -> "a", "b"
  echo "$1" | awk -F, '{for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), $i}'
}
new_node() {  # I: a new node on new free ports; new ports when one was taken
  local I=$1 attempt
  [ "$NETNS" = 0 ] || setup_ns "$I"
  for attempt in 1 2 3; do
    write_config "$I"
    if start_node "$I" 2>"$DIR/node$I/start.err"; then
      return 0
    fi
    grep -q "Address already in use" "$DIR/node$I/start.err" || break
  done
  cat "$DIR/node$I/start.err" >&2
  return 1
}
write_config() {  # I: DIR/node$I/config.toml on new free ports
  local I=$1 nd
  nd=$DIR/node$I
  mkdir -p "$nd/data"
  free_port > "$nd/rest_port"; free_port > "$nd/grpc_port"; free_port > "$nd/internal_port"
  cat > "$nd/config.toml" <<EOF
[server]
node_id = "n$I"
bind_address = "$(node_host "$I")"

[storage]
data_directory = "$nd/data"

[api]
rest_port = $(cat "$nd/rest_port")
grpc_port = $(cat "$nd/grpc_port")

[cluster]
enabled = true
advertise_address = "$(node_host "$I"):$(cat "$nd/internal_port")"
etcd_endpoints = [$(toml_list "$ETCD_ENDPOINTS")]
nats_urls = [$(toml_list "$NATS_URLS")]
default_shards = $SHARDS
default_replication_factor = $RF
snapshot_interval_entries = $SNAP_INTERVAL
stream_retain_entries = $RETAIN
internal_token = "$TOKEN"

[tiering]
local_object_directory = "$DIR/objects"
EOF
}

if [ -n "$ONE" ]; then
  [ -f "$DIR/node$ONE/config.toml" ] || { echo "start-cluster: no node $ONE in $DIR" >&2; exit 1; }
  start_node "$ONE"
  exit 0
fi
if [ "$ADD" = 1 ]; then
  [ -f "$DIR/cluster.env" ] || { echo "start-cluster: no cluster in $DIR" >&2; exit 1; }
  . "$DIR/cluster.env"
  SHARDS=${SHARDS:-1} RF=${RF:-1}
  SNAP_INTERVAL=${SNAP_INTERVAL:-10000} RETAIN=${RETAIN:-10000}
  TOKEN=${TOKEN:-}
  I=$((NODES + 1))
  [ ! -e "$DIR/node$I" ] || { echo "start-cluster: $DIR/node$I exists" >&2; exit 1; }
  new_node "$I"
  sed -i "s/^NODES=.*/NODES=$I/" "$DIR/cluster.env"
  exit 0
fi

[ ! -f "$DIR/cluster.env" ] || { echo "start-cluster: $DIR already holds a cluster (scripts/stop-cluster.sh --dir $DIR)" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ]; then "$ROOT/scripts/stop-cluster.sh" --dir "$DIR" >/dev/null 2>&1 || true; fi' EXIT

# etcd (one member) and NATS (as many servers as nodes, 1..5: a stream has
# at most as many replicas as there are servers).
if [ "$NETNS" = 1 ]; then
  [ "$(id -u)" = 0 ] && command -v ip >/dev/null || { echo "start-cluster: --netns needs root and ip(8)" >&2; exit 1; }
  ip link show "$BR" >/dev/null 2>&1 || {
    ip link add "$BR" type bridge
    ip addr add "$NET.1/24" dev "$BR"
    ip link set "$BR" up
  }
  export PDB_LISTEN_HOST=$NET.1  # etcd and NATS, reached from every namespace
fi
# The nodes' shared [cluster] internal_token (in DIR/cluster.env).
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PDB_REQUIRE_ETCD=1 "$ROOT/tests/cluster/etcd_fixture.sh" up "$DIR/etcd" >/dev/null
. "$DIR/etcd/etcd.env"
NATS_N=$NODES
[ "$NATS_N" -le 5 ] || NATS_N=5
# Free ports are picked before they are bound: another process may take one
# meanwhile, so a failed start is tried again on new ports.
NATS_URLS=""
for attempt in 1 2 3; do
  if out=$("$ROOT/scripts/nats-cluster.sh" up "$DIR/nats" "$NATS_N" 2>"$DIR/nats-start.err"); then
    NATS_URLS=$(echo "$out" | sed -n 's/^NATS_URLS=//p')
    break
  fi
  "$ROOT/scripts/nats-cluster.sh" down "$DIR/nats" >/dev/null 2>&1 || true
done
[ -n "$NATS_URLS" ] || { cat "$DIR/nats-start.err" >&2; echo "start-cluster: NATS did not start" >&2; exit 1; }
{
  echo "ETCD_ENDPOINTS=$ETCD_ENDPOINTS"
  echo "NATS_URLS=$NATS_URLS"
  echo "NODES=$NODES"
  echo "SHARDS=$SHARDS"
  echo "RF=$RF"
  echo "SNAP_INTERVAL=$SNAP_INTERVAL"
  echo "RETAIN=$RETAIN"
  echo "NETNS=$NETNS"
  echo "TOKEN=$TOKEN"
} > "$DIR/cluster.env.tmp"

for i in $(seq "$NODES"); do
  new_node "$i"
done
mv "$DIR/cluster.env.tmp" "$DIR/cluster.env"
