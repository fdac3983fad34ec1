// ClusterDB: the DB the service uses in cluster mode (docs/CLUSTER.md). It
// implements the engine's DB and Collection interfaces over a ClusterNode,
// so both transports and every operation's validation are unchanged:
//
// * writes are split by shard (ShardOf(id)) and each part goes to its
//   shard's primary; a batch is atomic per shard, not across shards;
// * get and count read a replica that has applied every acknowledged
//   write (strong); search and scroll follow the request's consistency;
// * search scatters to one replica of every shard and merges the top k;
//   scroll merges the shards' pages by id;
// * flush and compact run on every replica; policies and payload indexes
//   change the descriptor in etcd, which every replica follows.
//
// Operations not built for cluster mode yet (snapshots, restores, tier
// moves, the change feed) answer kFailedPrecondition saying so.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_node.h"
#include "proximadb/db.h"

namespace proximadb::cluster {

class ClusterDB final : public DB {
 public:
  explicit ClusterDB(std::unique_ptr<ClusterNode> node)
      : node_(std::move(node)) {}
  ~ClusterDB() override;

  Result<std::shared_ptr<Collection>> CreateCollection(
      const CollectionConfig& config) override;
  Result<std::shared_ptr<Collection>> GetCollection(
      const std::string& name) override;
  std::vector<CollectionInfo> ListCollections() override;
  Status DropCollection(const std::string& name) override;
  Status UpdateAliases(const std::vector<AliasAction>& actions) override;
  std::vector<AliasInfo> ListAliases() override;
  Status FlushAll() override;
  Result<ClusterInfo> GetClusterInfo() override;
  Status SetNodeDraining(const std::string& node_id, bool draining) override;

  Result<std::vector<QuarantineEntry>> ListQuarantine() override;
  Result<uint64_t> ClearQuarantine(const std::string& id) override;

  Result<SnapshotInfo> CreateSnapshot(const std::string& collection,
                                      SnapshotTarget target) override;
  Result<std::vector<SnapshotInfo>> ListSnapshots(
      const std::string& collection) override;
  Result<SnapshotInfo> GetSnapshot(const std::string& collection,
                                   const std::string& id) override;
  Status DeleteSnapshot(const std::string& collection,
                        const std::string& id) override;
  Result<RestoreResult> RestoreSnapshot(const std::string& collection,
                                        const std::string& id,
                                        const RestoreOptions& options) override;
  Result<RestoreResult> RestorePointInTime(
      const std::string& collection,
      const PointInTimeOptions& options) override;
  Result<SnapshotInfo> CreateDatabaseSnapshot(SnapshotTarget target) override;

  ClusterNode* node() { return node_.get(); }

 private:
  std::unique_ptr<ClusterNode> node_;
};

}  // namespace proximadb::cluster
