// ClusterNode: one node of a ProximaDB cluster (docs/CLUSTER.md).
//
// What it does, on its own threads:
// * Membership: its key /proximadb/cluster/<ns>/nodes/<id> under its lease
//   (a second live node with the same id is refused at start). When the
//   lease is lost (the node was paused or cut off past its TTL) every
//   primary it held is gone: it stops its shards, takes a new lease,
//   registers again and starts them again.
// * The catalog: collection descriptors (cluster_catalog.h) in etcd, read
//   by every node; the node hosts a replica of every shard the placement
//   gives it: a local engine collection, a ShardReplica following the
//   shard's stream, and a campaign for the shard's election key. The
//   winner runs the shard's ShardPrimary.
// * The internal API (rpc/shard_rpc.proto) on advertise_address: other
//   nodes forward writes to the primaries here and reads to the replicas
//   here.
// * Routing, for the cluster's DB (cluster_db.h): Write() sends a batch to
//   its shard's primary wherever it is, Call() a read to a replica.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_catalog.h"
#include "cluster/cluster_options.h"
#include "proximadb/db.h"
#include "proximadb/env.h"
#include "storage/wal/wal_batch.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {
class DBImpl;
namespace snapshot {
class Repository;
}  // namespace snapshot
}  // namespace proximadb

namespace proximadb::cluster {

class EtcdClient;
class Lease;
class JetStreamLog;
class HostedShard;
struct RebalanceInput;
class ShardRpcServer;
struct ShardSnapshotRecord;

// What a routed write does at the primary.
enum class WriteKind {
  kBatch,           // an upsert or delete batch
  kDeleteCounted,   // a delete batch; counts the ids that existed
  kUpdateMetadata,  // metadata of one existing point (resolved there)
  // A partial metadata update of the existing points among the ops' ids,
  // each op's metadata_json the patch (EncodeMetadataPatch), resolved there
  kPatchMetadata,
};

struct WriteOutcome {
  uint64_t seq = 0;    // the entry's log sequence (0: nothing was written)
  uint64_t count = 0;  // kDeleteCounted: ids that existed; kPatchMetadata:
                       // points updated
  std::vector<std::string> not_found;  // kPatchMetadata: ids of no point
};

class ClusterNode {
 public:
  // Connects to etcd and NATS, registers, starts the internal API and the
  // reconcile thread, and waits for the first reconcile (so the shards it
  // hosts are open when it returns). `engine` holds this node's replicas.
  static Result<std::unique_ptr<ClusterNode>> Start(
      const ClusterOptions& options, std::unique_ptr<DB> engine, Env* env,
      const std::string& data_dir);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  const ClusterOptions& options() const { return options_; }
  DB* engine() { return engine_.get(); }

  // --- the catalog ---
  // Places the shards on the live nodes, creates their streams, writes the
  // descriptor, and waits until every shard has a primary.
  Result<ShardedCollection> CreateCollection(CollectionConfig config);
  Status DropCollection(const std::string& name);
  // A collection by name or alias (kNotFound otherwise), read from etcd.
  Result<ShardedCollection> Resolve(const std::string& name);
  Result<std::vector<ShardedCollection>> ListCollections();
  // Applies `change` to the descriptor of `name` in one guarded update
  // (retried when another node changed it meanwhile); every replica then
  // applies the new policies and payload indexes to its local collection.
  Status UpdateDef(const std::string& name,
                   const std::function<Status(CollectionDef*)>& change);
  Status UpdateAliases(const std::vector<AliasAction>& actions);
  Result<std::vector<AliasInfo>> ListAliases();

  // --- routing ---
  // `batch` goes to shard `shard`'s primary. kUpdateMetadata: one op whose
  // id and metadata_json are used.
  Result<WriteOutcome> Write(const ShardedCollection& c, uint32_t shard,
                             WriteKind kind, wal::WalBatch batch);
  // A read (search | get | count | scroll | info) on one replica of the
  // shard: this node's when it has one, else another; strong waits until
  // that replica applied everything the log acknowledged.
  Result<std::string> Call(const ShardedCollection& c, uint32_t shard,
                           const std::string& op, const std::string& body,
                           bool strong);
  // flush | compact on every replica of the shard.
  Status CallAll(const ShardedCollection& c, uint32_t shard,
                 const std::string& op);

  Result<ClusterInfo> Info();
  // Starts (or, with draining = false, cancels) the drain of `node_id`: the
  // rebalancer moves every replica the placement gives it to the other
  // nodes, each once its new replica has caught up. A live node or one
  // that any placement names (a dead node can be drained: its replicas are
  // rebuilt from the shard logs); kNotFound otherwise.
  Status SetDraining(const std::string& node_id, bool draining);

  // --- served to other nodes (rpc/shard_rpc.cc) ---
  // `*not_stored`: set on failure when the write certainly is not in the
  // shard's log and another node may take it (ShardPrimary::Write).
  Result<WriteOutcome> LocalWrite(const std::string& uid, uint32_t shard,
                                  WriteKind kind, wal::WalBatch batch,
                                  int64_t timeout_ms, bool* not_stored);
  Result<std::string> LocalCall(const std::string& uid, uint32_t shard,
                                const std::string& op, const std::string& body,
                                bool strong, int64_t timeout_ms);
  struct ReplicaState {
    std::string uid;
    uint32_t shard = 0;
    uint64_t applied_seq = 0;
    bool primary = false;
    std::string state;
  };
  std::vector<ReplicaState> LocalReplicas();

 private:
  ClusterNode(ClusterOptions options, std::unique_ptr<DB> engine, Env* env,
              std::string data_dir);
  // Binds the data directory to the cluster (its id in etcd, made by the
  // first node): a node pointed at another cluster or namespace, or at an
  // etcd that lost the cluster's keys, does not start and drops nothing.
  Status BindClusterId();
  Status Register();
  void ReconcileLoop();
  Status Reconcile();
  // The body of the rebalancer's and the snapshot thread's: `pass` every
  // `interval_ms` until the node stops; an error is logged (naming
  // `what`) once until it changes.
  void RunEvery(int64_t interval_ms, const char* what,
                Status (ClusterNode::*pass)());
  // The rebalancer (rebalance.h), acting on the live node with the
  // smallest id only: finishes the moves whose new replica caught up and
  // starts the next ones.
  Status Rebalance();
  // Primaries (rebalance.h, PlanHandoffs): ends the hand-over under way
  // once its target leads (or after a timeout), else asks for the next one
  // when its target replica is caught up. `reported`: the replica states
  // asked so far this round (added to).
  Status BalancePrimaries(
      const RebalanceInput& in,
      const std::map<std::string, std::string>& internal,
      std::map<std::string, std::vector<ReplicaState>>* reported);
  // What node `node_id` reports of its replicas (`internal`: the nodes'
  // internal addresses), asked once per round: kept in `reported` (empty
  // when the node could not be asked).
  const std::vector<ReplicaState>& ReportedBy(
      const std::string& node_id,
      const std::map<std::string, std::string>& internal,
      std::map<std::string, std::vector<ReplicaState>>* reported);
  // Writes `c` if its key is still at c->mod_revision (then updated).
  Status PutDescriptor(ShardedCollection* c);
  // Shard snapshots (cluster_snapshots.cc; shard_snapshot.h), on their own
  // thread: restores the replicas the reconcile thread set aside for it
  // (their log was purged past them), snapshots the shards this node is
  // the primary of once due and trims their streams, and deletes this
  // node's snapshots no record names.
  Status SnapshotPass();
  // A replica behind the log: restored from the shard's recorded snapshot
  // and its applied position set to the snapshot's.
  Status RestoreShard(const std::string& uid, uint32_t shard);
  Status SnapshotShard(const HostedShard& hs,
                       const ShardSnapshotRecord* newest);
  // This node's snapshots that no record names (superseded, or of a
  // dropped collection) are deleted.
  Status CollectSnapshots(
      const std::map<std::string, ShardSnapshotRecord>& records);
  // Node `node_id`'s repository of shard snapshots (opened once; this
  // node writes only its own). kFailedPrecondition without an object
  // store.
  Result<snapshot::Repository*> RepositoryOf(const std::string& node_id);
  Status OpenHosted(const ShardedCollection& c, uint32_t shard, bool learner);
  void StopAllHosted();
  std::shared_ptr<HostedShard> Hosted(const std::string& uid, uint32_t shard);
  // The node holding the shard's election key ("" when none), refreshed
  // from etcd when `refresh` or unknown.
  std::string PrimaryOf(const std::string& uid, uint32_t shard, bool refresh);
  // A node's internal address (refreshed from etcd when unknown).
  Result<std::string> AddressOf(const std::string& node_id);
  // `*not_stored` as for LocalWrite: the primary said so, or the node
  // could not be reached (within `connect_ms`) before anything was sent.
  Result<WriteOutcome> RemoteWrite(const std::string& address,
                                   const std::string& uid, uint32_t shard,
                                   WriteKind kind, const wal::WalBatch& batch,
                                   int64_t timeout_ms, int64_t connect_ms,
                                   bool* not_stored);
  // Call on the replicas `c` names, in order, until one answers or the
  // deadline passes.
  Result<std::string> CallReplicas(
      const ShardedCollection& c, uint32_t shard, const std::string& op,
      const std::string& body, bool strong,
      std::chrono::steady_clock::time_point deadline);
  Result<std::string> RemoteCall(const std::string& address,
                                 const std::string& uid, uint32_t shard,
                                 const std::string& op, const std::string& body,
                                 bool strong, int64_t timeout_ms);
  Result<std::vector<ReplicaState>> RemoteStatus(const std::string& address);

  const ClusterOptions options_;
  const ClusterKeys keys_;
  std::unique_ptr<DB> engine_;
  Env* const env_;
  const std::string data_dir_;
  std::string cluster_id_;
  std::string data_dir_id_;
  std::unique_ptr<EtcdClient> etcd_;
  std::unique_ptr<JetStreamLog> log_;
  std::unique_ptr<ShardRpcServer> rpc_;
  // The engine as snapshots need it (null: not a DBImpl; no snapshots).
  DBImpl* dbimpl_ = nullptr;
  // Used by the snapshot thread only.
  std::map<std::string, std::unique_ptr<snapshot::Repository>> repos_;
  std::map<std::string, uint64_t> purges_;  // stream -> keep from (retried)
  uint64_t snapshot_passes_ = 0;

  // The lease and the hosted shards change on the reconcile thread only
  // (and in the destructor); readers take shared pointers under mu_.
  Mutex mu_;
  std::unique_ptr<Lease> lease_;  // replaced on the reconcile thread only
  std::map<std::string, std::shared_ptr<HostedShard>> hosted_ GUARDED_BY(mu_);
  std::map<std::string, std::string> primaries_ GUARDED_BY(mu_);
  std::map<std::string, std::string> addresses_ GUARDED_BY(mu_);
  // Replicas set aside to be restored from their shard's snapshot (by shard
  // key): what the restore is doing, and when it may be tried again after
  // a failure. The reconcile thread adds them (and reopens each once the
  // snapshot thread removed it).
  struct PendingRestore {
    std::string uid;
    uint32_t shard = 0;
    std::string state;
    std::chrono::steady_clock::time_point not_before;
  };
  std::map<std::string, PendingRestore> restoring_ GUARDED_BY(mu_);
  Status last_reconcile_ GUARDED_BY(mu_);
  uint64_t reconciles_ GUARDED_BY(mu_) = 0;
  bool stop_ GUARDED_BY(mu_) = false;
  CondVar cv_;
  std::thread reconciler_;
  std::thread rebalancer_;
  std::thread snapshotter_;
};

}  // namespace proximadb::cluster
