// JSON codecs of cluster mode's API surface (docs/API.md, "Cluster status"):
// the read consistency of searches and scrolls, and the cluster status.
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

json ClusterInfoToJson(const ClusterInfo& info) {
  json nodes = json::array();
  for (const ClusterNodeInfo& n : info.nodes) {
    nodes.push_back({{"node_id", n.node_id},
                     {"rest_address", n.rest_address},
                     {"grpc_address", n.grpc_address},
                     {"alive", n.alive}});
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
                      {"replicas", std::move(replicas)}});
  }
  return json{{"enabled", info.enabled},
              {"node_id", info.node_id},
              {"nodes", std::move(nodes)},
              {"shards", std::move(shards)}};
}

}  // namespace proximadb::service
