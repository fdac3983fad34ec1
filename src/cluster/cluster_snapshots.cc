// ClusterNode's shard snapshots (shard_snapshot.h; docs/CLUSTER.md,
// "Snapshots and stream retention"): the snapshot thread.
#include <chrono>
#include <set>
#include <vector>

#include <spdlog/spdlog.h>

#include "cluster/cluster_node.h"
#include "cluster/etcd/etcd_client.h"
#include "cluster/hosted_shard.h"
#include "cluster/nats/jetstream_log.h"
#include "cluster/shard_snapshot.h"
#include "collection/db_impl.h"
#include "storage/snapshot/snapshot_repo.h"

namespace proximadb::cluster {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A failed restore is tried again after this long.
constexpr int64_t kRestoreRetryMs = 2000;
// This node's unnamed snapshots are looked for every this many passes.
constexpr uint64_t kCollectEveryPasses = 30;

}  // namespace

Result<snapshot::Repository*> ClusterNode::RepositoryOf(
    const std::string& node_id) {
  auto it = repos_.find(node_id);
  if (it != repos_.end()) return it->second.get();
  if (dbimpl_ == nullptr) {
    return Status::FailedPrecondition("the engine cannot take snapshots");
  }
  PDB_ASSIGN_OR_RETURN(auto repo,
                       dbimpl_->OpenObjectRepository(ShardSnapshotPrefix(
                           options_.cluster_namespace, cluster_id_, node_id)));
  if (!repo) {
    return Status::FailedPrecondition(
        "shard snapshots need the object store every node of the cluster "
        "shares: set [tiering] s3_bucket (with s3_endpoint, s3_access_key, "
        "s3_secret_key) or [tiering] local_object_directory, the same on "
        "every node");
  }
  snapshot::Repository* out = repo.get();
  repos_[node_id] = std::move(repo);
  return out;
}

Status ClusterNode::SnapshotPass() {
  ++snapshot_passes_;
  Status first_error;
  auto note = [&](const Status& s) {
    if (!s.ok() && first_error.ok()) first_error = s;
  };
  // 1. Replicas set aside by the reconcile thread, oldest key first.
  std::vector<std::pair<std::string, PendingRestore>> due;
  {
    MutexLock l(&mu_);
    const auto now = Clock::now();
    for (const auto& [key, p] : restoring_) {
      if (p.not_before <= now) due.emplace_back(key, p);
    }
  }
  for (const auto& [key, p] : due) {
    {
      MutexLock l(&mu_);
      auto it = restoring_.find(key);
      if (it == restoring_.end()) continue;  // no longer hosted here
      it->second.state = "downloading the shard's snapshot";
    }
    Status s = RestoreShard(p.uid, p.shard);
    MutexLock l(&mu_);
    auto it = restoring_.find(key);
    if (it == restoring_.end()) continue;
    if (s.ok()) {
      restoring_.erase(it);  // the reconcile thread reopens it
      cv_.SignalAll();
    } else {
      it->second.state = "failed, retrying: " + s.ToString();
      it->second.not_before = Clock::now() + milliseconds(kRestoreRetryMs);
      note(s);
    }
  }
  if (options_.snapshot_interval_entries == 0 || dbimpl_ == nullptr) {
    return first_error;
  }
  auto own = RepositoryOf(options_.node_id);
  if (!own.ok()) return first_error;  // said once at start

  // 2. Trims that failed before.
  for (auto it = purges_.begin(); it != purges_.end();) {
    Status s = log_->Purge(it->first, it->second);
    if (s.ok() || s.code() == StatusCode::kNotFound) {
      it = purges_.erase(it);
    } else {
      note(s);
      ++it;
    }
  }

  // The shards this node leads; the records are read only when one may be
  // due or this node's snapshots are looked over (every
  // kCollectEveryPasses passes).
  std::vector<std::shared_ptr<HostedShard>> leading;
  {
    MutexLock l(&mu_);
    for (const auto& [key, hs] : hosted_) leading.push_back(hs);
  }
  std::erase_if(leading, [](const std::shared_ptr<HostedShard>& hs) {
    return hs->learner.load() || !hs->is_primary();
  });
  const bool collect = snapshot_passes_ % kCollectEveryPasses == 0;
  if (leading.empty() && !collect) return first_error;

  // 3. The newest snapshot of every shard.
  PDB_ASSIGN_OR_RETURN(RangeResult got, etcd_->GetPrefix(keys_.snapshots()));
  std::map<std::string, ShardSnapshotRecord> records;
  bool all_decoded = true;
  for (const auto& kv : got.kvs) {
    auto r = DecodeShardSnapshotRecord(kv.value, kv.key);
    if (!r.ok()) {
      all_decoded = false;
      note(r.status());
      continue;
    }
    r->mod_revision = kv.mod_revision;
    records[kv.key] = std::move(r).value();
  }

  // 4. The shards this node leads whose log grew by an interval since.
  for (const auto& hs : leading) {
    auto rec = records.find(keys_.snapshot(hs->uid, hs->shard));
    const ShardSnapshotRecord* newest =
        rec == records.end() ? nullptr : &rec->second;
    if (!SnapshotDue(hs->replica->position().applied_seq,
                     newest ? newest->position.applied_seq : 0,
                     options_.snapshot_interval_entries)) {
      continue;
    }
    note(SnapshotShard(*hs, newest));
  }

  // 5. Now and then: this node's snapshots no record names.
  if (all_decoded && collect) note(CollectSnapshots(records));
  return first_error;
}

Status ClusterNode::SnapshotShard(const HostedShard& hs,
                                  const ShardSnapshotRecord* newest) {
  PDB_ASSIGN_OR_RETURN(snapshot::Repository * own,
                       RepositoryOf(options_.node_id));
  // Read before the snapshot starts: everything up to it is in the engine
  // (each entry is applied once the engine made it durable).
  const AppliedPosition pos = hs.replica->position();
  const auto started = Clock::now();
  PDB_ASSIGN_OR_RETURN(SnapshotInfo info,
                       dbimpl_->CreateSnapshotIn(own, hs.local_name));
  ShardSnapshotRecord r;
  r.node_id = options_.node_id;
  r.snapshot_id = info.id;
  r.position = pos;
  r.created_unix_ms = info.created_at_unix_ms;
  r.points = info.collections.empty() ? 0 : info.collections[0].points;
  r.size_bytes = info.size_bytes;
  const std::string key = keys_.snapshot(hs.uid, hs.shard);
  TxnRequest t;
  t.compares.push_back(Compare::ModRevision(key, Compare::Op::kEqual,
                                            newest ? newest->mod_revision : 0));
  t.success.push_back(TxnOp::Put(key, EncodeShardSnapshotRecord(r)));
  auto txn = etcd_->Txn(t);
  if (!txn.ok() || !txn->succeeded) {
    // Another node recorded a snapshot meanwhile (or etcd is away): this
    // one is not needed.
    (void)dbimpl_->DeleteSnapshotIn(own, info.id);
    return txn.ok() ? Status::Unavailable("shard " + hs.stream +
                                          ": another snapshot was recorded "
                                          "meanwhile; the next pass retries")
                    : txn.status();
  }
  if (newest != nullptr && newest->node_id == options_.node_id) {
    Status s = dbimpl_->DeleteSnapshotIn(own, newest->snapshot_id);
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      spdlog::warn("shard {}: the previous snapshot {} stays for now: {}",
                   hs.stream, newest->snapshot_id, s.ToString());
    }
  }
  const uint64_t keep_from =
      StreamKeepFrom(pos.applied_seq, options_.stream_retain_entries);
  Status purged = log_->Purge(hs.stream, keep_from);
  if (!purged.ok()) purges_[hs.stream] = keep_from;
  spdlog::info(
      "shard {}: snapshot {} holds the log up to entry {} ({} points, {} "
      "bytes, {} uploaded, {} ms); the stream keeps entries from {}{}",
      hs.stream, info.id, pos.applied_seq, r.points, info.size_bytes,
      info.uploaded_bytes,
      std::chrono::duration_cast<milliseconds>(Clock::now() - started).count(),
      keep_from,
      purged.ok() ? "" : " (trim failed: " + purged.ToString() + ")");
  return Status::OK();
}

Status ClusterNode::RestoreShard(const std::string& uid, uint32_t shard) {
  const std::string local_name = LocalShardName(uid, shard);
  const std::string stream =
      ShardStream(options_.cluster_namespace, uid, shard);
  PDB_ASSIGN_OR_RETURN(RangeResult got, etcd_->Get(keys_.snapshot(uid, shard)));
  if (got.kvs.empty()) {
    return Status::FailedPrecondition(
        "shard " + stream +
        ": the stream no longer holds the entries this replica needs, and "
        "no snapshot of the shard is recorded");
  }
  PDB_ASSIGN_OR_RETURN(
      ShardSnapshotRecord rec,
      DecodeShardSnapshotRecord(got.kvs[0].value, got.kvs[0].key));
  if (dbimpl_ == nullptr) {
    return Status::FailedPrecondition("the engine cannot restore snapshots");
  }
  PDB_ASSIGN_OR_RETURN(snapshot::Repository * repo, RepositoryOf(rec.node_id));
  const auto started = Clock::now();
  RestoreOptions o;
  o.target_collection = local_name;
  o.overwrite = true;
  auto restored = dbimpl_->RestoreSnapshotFrom(repo, rec.snapshot_id, o);
  if (!restored.ok()) {
    return Status(restored.status().code(),
                  "shard " + stream + ": restoring snapshot " +
                      rec.snapshot_id + " of node " + rec.node_id + ": " +
                      restored.status().message());
  }
  // The replica follows the log from the snapshot's position.
  PDB_RETURN_IF_ERROR(ShardApplier::WritePosition(
      env_, data_dir_ + "/cluster/" + local_name + ".applied", rec.position));
  spdlog::info(
      "shard {}: this node's replica restored from snapshot {} of node {} "
      "(log entry {}, {} points, {} bytes, {} ms); it follows the log from "
      "entry {}",
      stream, rec.snapshot_id, rec.node_id, rec.position.applied_seq,
      restored->points, restored->bytes,
      std::chrono::duration_cast<milliseconds>(Clock::now() - started).count(),
      rec.position.applied_seq + 1);
  return Status::OK();
}

Status ClusterNode::CollectSnapshots(
    const std::map<std::string, ShardSnapshotRecord>& records) {
  PDB_ASSIGN_OR_RETURN(snapshot::Repository * own,
                       RepositoryOf(options_.node_id));
  // Nothing is deleted unless the records read are this cluster's (an
  // etcd that lost the cluster's keys lists none).
  PDB_ASSIGN_OR_RETURN(RangeResult id, etcd_->Get(keys_.id()));
  if (id.kvs.empty() || id.kvs[0].value != cluster_id_) {
    return Status::FailedPrecondition("etcd no longer holds cluster " +
                                      cluster_id_ +
                                      "; no snapshot is deleted until it does");
  }
  // Records of collections that no longer exist (a snapshot recorded
  // while its collection was being dropped) go first.
  PDB_ASSIGN_OR_RETURN(RangeResult cols, etcd_->GetPrefix(keys_.collections()));
  std::set<std::string> uids;
  for (const auto& kv : cols.kvs) {
    auto c = DecodeShardedCollection(kv.value, kv.key);
    if (!c.ok()) return c.status();  // unsure: delete nothing
    uids.insert(c->uid);
  }
  std::set<std::string> named;
  for (const auto& [key, r] : records) {
    const std::string rest = key.substr(keys_.snapshots().size());
    const std::string uid = rest.substr(0, rest.find('/'));
    if (uids.count(uid) == 0) {
      TxnRequest t;
      t.compares.push_back(
          Compare::ModRevision(key, Compare::Op::kEqual, r.mod_revision));
      t.success.push_back(TxnOp::Delete(key));
      PDB_RETURN_IF_ERROR(etcd_->Txn(t).status());
      continue;
    }
    if (r.node_id == options_.node_id) named.insert(r.snapshot_id);
  }
  PDB_ASSIGN_OR_RETURN(std::vector<snapshot::Manifest> all, own->List());
  Status first_error;
  for (const auto& m : all) {
    if (named.count(m.id) != 0) continue;
    Status s = dbimpl_->DeleteSnapshotIn(own, m.id);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

}  // namespace proximadb::cluster
