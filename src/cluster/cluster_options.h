// [cluster]: cluster mode (docs/CLUSTER.md). Off by default: single-node
// mode needs none of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace proximadb::cluster {

struct ClusterOptions {
  bool enabled = false;
  // This node's name in the cluster ([server] node_id); unique among the
  // live nodes (a second node with a live id is refused at start).
  std::string node_id;
  // host:port where the other nodes reach this node's internal API
  // (node-to-node forwarding). The node listens on it; it must not be one
  // of the public ports and belongs on the cluster's private network.
  std::string advertise_address;
  // host:port of the public APIs as clients reach them (GET
  // /api/v1/cluster lists them): the advertise host with [server] port /
  // grpc_port.
  std::string rest_address;
  std::string grpc_address;
  bool rest_tls = false;  // the REST API is https ([api] tls_cert_file)
  std::vector<std::string> etcd_endpoints;  // "host:port"
  std::vector<std::string> nats_urls;       // "nats://host:port"
  uint32_t default_shards = 1;
  uint32_t default_replication_factor = 1;
  // All nodes of one cluster share it: /proximadb/cluster/<namespace>/.
  std::string cluster_namespace = "default";
  // Membership lease ([cluster] lease_ttl_seconds): a node whose lease
  // lapses (killed, paused, cut off) is gone, and its primaries are
  // re-elected: the TTL bounds the failover time from below. Kept alive
  // every third of it. Default 3 s.
  int64_t lease_ttl_seconds = 3;
  // Deadline of one routed request (a write waiting for a primary, a read
  // for a replica). Default 10 s.
  int64_t request_timeout_ms = 10000;
  // [cluster] internal_token: a secret every node of the cluster shares.
  // Each internal call carries it (gRPC metadata kClusterTokenHeader,
  // rpc/shard_rpc.h) and a node refuses a call without it
  // (UNAUTHENTICATED). Empty: the internal API takes any caller (keep it
  // on a private network). It authenticates; it does not encrypt.
  std::string internal_token;
  // Shard snapshots (docs/CLUSTER.md, "Snapshots and stream retention"),
  // in the [tiering] object store every node shares: the primary of a
  // shard snapshots its replica once the log has grown by
  // snapshot_interval_entries entries since the last snapshot (0: never;
  // the streams then keep every entry), then removes from the stream the
  // entries before the snapshot's position but the last
  // stream_retain_entries (a replica behind by no more than that catches
  // up from the stream; one further behind restores the snapshot first).
  uint64_t snapshot_interval_entries = 10000;
  uint64_t stream_retain_entries = 10000;
};

}  // namespace proximadb::cluster
