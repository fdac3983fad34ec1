// The cluster's catalog in etcd (cluster mode, docs/CLUSTER.md;
// FORMATS.md "Cluster keys"): one descriptor per collection with its shard
// count, replication factor and placement, plus the key layout, the shard
// of an id, and the names a shard's parts have (local engine collection,
// JetStream stream and subject).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cluster/catalog_store.h"
#include "proximadb/status.h"

namespace proximadb::cluster {

// A replica being moved (rebalancing, draining; rebalance.h): `to`
// follows the shard's log as a learner (it neither serves nor campaigns)
// until it has caught up; then one update of the descriptor puts `to` in
// the placement in `from`'s place and ends the move.
struct ShardMove {
  uint32_t shard = 0;
  std::string from;
  std::string to;
  uint64_t started_unix_ms = 0;

  bool operator==(const ShardMove&) const = default;
};

// A collection of the cluster. def.config carries shard_count and
// replication_factor (both >= 1 here).
struct ShardedCollection {
  CollectionDef def;
  // 16 hex digits made at create: a dropped and re-created collection of
  // the same name shares nothing with the old one (streams, local data).
  std::string uid;
  // placement[k]: the nodes that hold a replica of shard k.
  std::vector<std::vector<std::string>> placement;
  // Moves under way: at most one per shard; `from` is in the shard's
  // placement, `to` is not.
  std::vector<ShardMove> moves;
  uint64_t created_at_unix_ms = 0;
  int64_t mod_revision = 0;  // of its etcd key (not encoded)

  const std::string& name() const { return def.config.name; }
  uint32_t shard_count() const { return def.config.shard_count; }
};

// {"version":1,"uid":...,"created_at_unix_ms":...,"placement":[[...]],
//  "shard_count":n,"replication_factor":r,"def":<EncodeCollectionDef>,
//  ["moves":[{"shard":k,"from":id,"to":id,"started_unix_ms":t}],]
//  "crc32c":<of the rest>} ("moves" only while there are any). A damaged value
//  is kCorruption naming `where`.
std::string EncodeShardedCollection(const ShardedCollection& c);
// The value of ClusterKeys::handoff: a primary hand-over asked for by the
// rebalancer. Decoding anything that is not such an object gives an empty
// `to` (and 0).
struct ShardHandoff {
  std::string to;  // the node to hand the primary over to
  uint64_t since_unix_ms = 0;
};
std::string EncodeShardHandoff(const ShardHandoff& h);
ShardHandoff DecodeShardHandoff(const std::string& bytes);

// The cluster's checksummed JSON values in etcd (descriptors, shard
// snapshot records): `j` with "crc32c", the CRC32C of its dump without it.
std::string SealJson(nlohmann::json j);
// The object `bytes` holds, its "crc32c" checked and removed;
// kCorruption("<what> <where>: <why>") when it is not a JSON object or the
// checksum is missing or wrong.
Result<nlohmann::json> OpenSealedJson(const std::string& bytes,
                                      const std::string& what,
                                      const std::string& where);
Result<ShardedCollection> DecodeShardedCollection(const std::string& bytes,
                                                  const std::string& where);

// Key layout under /proximadb/cluster/<namespace>/.
class ClusterKeys {
 public:
  explicit ClusterKeys(const std::string& ns)
      : root_("/proximadb/cluster/" + ns + "/") {}
  const std::string& root() const { return root_; }
  // A random id made when the first node of the namespace started; every
  // node's data directory records it (<data>/cluster/cluster-id).
  std::string id() const { return root_ + "id"; }
  std::string nodes() const { return root_ + "nodes/"; }
  std::string node(const std::string& id) const { return nodes() + id; }
  std::string collections() const { return root_ + "collections/"; }
  std::string collection(const std::string& name) const {
    return collections() + name;
  }
  std::string aliases() const { return root_ + "aliases/"; }
  std::string alias(const std::string& a) const { return aliases() + a; }
  std::string primaries() const { return root_ + "primary/"; }
  // Present while an operator wants the node drained (its replicas moved
  // to the others); removed when the drain is cancelled.
  std::string drains() const { return root_ + "drain/"; }
  std::string drain(const std::string& id) const { return drains() + id; }
  // The newest snapshot of each shard (shard_snapshot.h), under
  // snapshots/<uid>/<shard>.
  std::string snapshots() const { return root_ + "snapshots/"; }
  std::string snapshots_of(const std::string& uid) const {
    return snapshots() + uid + "/";
  }
  std::string snapshot(const std::string& uid, uint32_t shard) const {
    return snapshots_of(uid) + std::to_string(shard);
  }
  // A primary hand-over under way (rebalance.h, PlanHandoffs): JSON
  // {"to", "since_unix_ms"} under handoff/<uid>/<shard>.
  std::string handoffs() const { return root_ + "handoff/"; }
  std::string handoff(const std::string& uid, uint32_t shard) const {
    return handoffs() + uid + "/" + std::to_string(shard);
  }
  // The election key of one shard (election.h): its holder is the primary.
  std::string primary(const std::string& uid, uint32_t shard) const {
    return primaries() + uid + "/" + std::to_string(shard);
  }

 private:
  std::string root_;
};

// Which shard holds `id`: CRC32C of the id's bytes modulo the shard count.
// Fixed forever for a collection (its points are where this says).
uint32_t ShardOf(std::string_view id, uint32_t shard_count);

// The engine collection of one replica on its node: "c<uid>_s<k>".
std::string LocalShardName(const std::string& uid, uint32_t shard);
// JetStream stream "PDB_<ns>_<uid>_<k>" and subject "pdb.<ns>.<uid>.<k>".
std::string ShardStream(const std::string& ns, const std::string& uid,
                        uint32_t shard);
std::string ShardSubject(const std::string& ns, const std::string& uid,
                         uint32_t shard);

// The replicas of each shard for `nodes` (sorted ids of the live nodes):
// shard k on nodes k, k+1, ... k+rf-1 (mod n), so each node leads and
// follows about as many shards as the others.
std::vector<std::vector<std::string>> PlaceShards(
    const std::vector<std::string>& nodes, uint32_t shard_count, uint32_t rf);

}  // namespace proximadb::cluster
