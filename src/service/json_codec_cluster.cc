// JSON codecs of cluster mode's API surface (docs/API.md, "Cluster status"
// and "Drain a node"): the read consistency of searches and scrolls, the
// cluster status, and the node ids and answers of DrainNode.
#include <string>
#include <utility>

#include "service/json_codec.h"

namespace proximadb::service {

using nlohmann::json;

Result<ReadConsistency> ParseReadConsistency(std::string_view name) {
  if (name == "eventual") return ReadConsistency::kEventual;
  if (name == "strong") return ReadConsistency::kStrong;
  return Status::InvalidArgument("unknown consistency '" + std::string(name) +
                                 "' (expected eventual or strong)");
}

Status ValidateNodeId(const std::string& node_id) {
  // The check [cluster] node_id gets (config.cc, CatalogNamespaceCheck).
  if (ValidateAliasName(node_id).ok()) return Status::OK();
  return Status::InvalidArgument(
      "node_id must be 1.." + std::to_string(kMaxCollectionNameBytes) +
      " characters of [A-Za-z0-9_-], got '" + node_id + "'");
}

json ClusterInfoToJson(const ClusterInfo& info) {
  json nodes = json::array();
  for (const ClusterNodeInfo& n : info.nodes) {
    // "id" and "rest_url" are the names of the cluster interface
    // (docs/CLUSTER.md); "node_id" and "rest_address" stay for clients
    // written before.
    nodes.push_back({{"id", n.node_id},
                     {"node_id", n.node_id},
                     {"rest_url", n.rest_url},
                     {"rest_address", n.rest_address},
                     {"grpc_address", n.grpc_address},
                     {"alive", n.alive},
                     {"draining", n.draining},
                     {"replicas", n.replicas}});
  }
  json shards = json::array();
  for (const ClusterShardInfo& s : info.shards) {
    json replicas = json::array();
    for (const ClusterReplicaInfo& r : s.replicas) {
      replicas.push_back({{"node_id", r.node_id},
                          {"primary", r.primary},
                          {"reported", r.reported},
                          {"applied_seq", r.applied_seq},
                          {"lag", r.lag},
                          {"state", r.state}});
    }
    shards.push_back({{"collection", s.collection},
                      {"shard", s.shard},
                      {"stream", s.stream},
                      {"primary", s.primary},
                      {"fencing_token", s.fencing_token},
                      {"last_seq", s.last_seq},
                      {"lag", s.lag},
                      {"first_seq", s.first_seq},
                      {"snapshot_id", s.snapshot_id},
                      {"snapshot_node", s.snapshot_node},
                      {"snapshot_seq", s.snapshot_seq},
                      {"snapshot_unix_ms", s.snapshot_unix_ms},
                      {"replicas", std::move(replicas)}});
  }
  return json{{"enabled", info.enabled},
              {"node_id", info.node_id},
              {"nodes", std::move(nodes)},
              {"shards", std::move(shards)}};
}

json DrainNodeToJson(const std::string& node_id, bool draining) {
  return json{{"node_id", node_id}, {"draining", draining}};
}

}  // namespace proximadb::service
