#include "cluster/cluster_node.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cluster/etcd/election.h"
#include "cluster/etcd/etcd_client.h"
#include "cluster/hosted_shard.h"
#include "cluster/nats/jetstream_log.h"
#include "cluster/rebalance.h"
#include "cluster/rpc/shard_codec.h"
#include "cluster/rpc/shard_rpc.h"
#include "cluster/shard_applier.h"
#include "cluster/shard_entry.h"
#include "cluster/shard_primary.h"
#include "cluster/shard_replica.h"
#include "cluster/shard_snapshot.h"
#include "collection/db_impl.h"
#include "collection/point_check.h"
#include "index/sparse.h"
#include "shard_rpc.grpc.pb.h"
#include "util/uuid.h"

namespace proximadb::cluster {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Messages that mean "ask another node": a write reached a node that is not
// the shard's primary (any more), or a read one that has no replica.
constexpr const char* kNotPrimary = "not the primary of shard ";
constexpr const char* kNoReplica = "no replica of shard ";
// How long a forwarded write waits for a connection to the primary before
// it counts as not sent (and may go to another primary).
constexpr int64_t kConnectTimeoutMs = 1000;
// Connecting to a primary known from the cache, not from etcd just now
// (ClusterNode::Write; measured: a router's next write after a primary's
// restart waited the whole kConnectTimeoutMs on the stopping node).
constexpr int64_t kCachedConnectMs = 150;
// Moving replicas (rebalance.h): a move's new replica replaces the old one
// in the placement once it is at most this many log entries behind (it
// goes on applying the rest; strong reads wait for it), and at most this
// many moves run at once in the whole cluster.
constexpr uint64_t kMaxSwitchLag = 100;
constexpr size_t kMaxMovesInFlight = 2;
constexpr int64_t kRebalanceIntervalMs = 1000;
constexpr int64_t kSnapshotPassMs = 1000;  // the shard snapshot thread's
// A primary hand-over (hosted_shard.h) not done by then is given up.
constexpr uint64_t kHandoffTimeoutMs = 15000;

uint64_t NowUnixMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// A UUID v4 as 32 lowercase hex digits.
std::string RandomHex32() {
  std::string u = NewUuidV4();
  u.erase(std::remove(u.begin(), u.end(), '-'), u.end());
  return u;
}

}  // namespace

ClusterNode::ClusterNode(ClusterOptions options, std::unique_ptr<DB> engine,
                         Env* env, std::string data_dir)
    : options_(std::move(options)),
      keys_(options_.cluster_namespace),
      engine_(std::move(engine)),
      env_(env),
      data_dir_(std::move(data_dir)) {}

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(
    const ClusterOptions& options, std::unique_ptr<DB> engine, Env* env,
    const std::string& data_dir) {
  if (options.node_id.empty() || options.advertise_address.empty() ||
      options.etcd_endpoints.empty() || options.nats_urls.empty()) {
    return Status::InvalidArgument(
        "cluster mode needs [server] node_id, [cluster] advertise_address, "
        "etcd_endpoints and nats_urls");
  }
  std::unique_ptr<ClusterNode> node(
      new ClusterNode(options, std::move(engine), env, data_dir));
  EtcdOptions eo;
  eo.endpoints = options.etcd_endpoints;
  PDB_ASSIGN_OR_RETURN(node->etcd_, EtcdClient::Open(eo));
  JetStreamOptions jo;
  jo.urls = options.nats_urls;
  jo.client_name = "proximadb-" + options.node_id;
  PDB_ASSIGN_OR_RETURN(node->log_, JetStreamLog::Connect(jo));
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(data_dir + "/cluster"));
  PDB_RETURN_IF_ERROR(env->SyncDir(data_dir));
  PDB_RETURN_IF_ERROR(node->BindClusterId());
  PDB_ASSIGN_OR_RETURN(
      node->rpc_, ShardRpcServer::Start(options.advertise_address, node.get()));
  PDB_RETURN_IF_ERROR(node->Register());
  // Shards that cannot open now are retried by the reconcile thread.
  Status first = node->Reconcile();
  if (!first.ok()) {
    spdlog::warn("cluster node {}: {}", options.node_id, first.ToString());
    if (first.code() == StatusCode::kFailedPrecondition) return first;
  }
  node->dbimpl_ = dynamic_cast<DBImpl*>(node->engine_.get());
  auto repo = node->RepositoryOf(options.node_id);
  if (!repo.ok()) {
    spdlog::warn(
        "cluster node {}: no shard snapshots ({}): the shard streams keep "
        "every entry, and a replica the stream no longer serves cannot be "
        "restored here",
        options.node_id, repo.status().ToString());
  } else if (options.snapshot_interval_entries == 0) {
    spdlog::info(
        "cluster node {}: [cluster] snapshot_interval_entries = 0: this node "
        "takes no shard snapshots (the streams keep every entry)",
        options.node_id);
  }
  node->reconciler_ = std::thread([n = node.get()] { n->ReconcileLoop(); });
  node->rebalancer_ = std::thread([n = node.get()] {
    n->RunEvery(kRebalanceIntervalMs, "rebalancing", &ClusterNode::Rebalance);
  });
  node->snapshotter_ = std::thread([n = node.get()] {
    n->RunEvery(kSnapshotPassMs, "shard snapshots", &ClusterNode::SnapshotPass);
  });
  spdlog::info("cluster node {} joined namespace '{}' (internal API on {})",
               options.node_id, options.cluster_namespace,
               options.advertise_address);
  return node;
}

ClusterNode::~ClusterNode() {
  {
    MutexLock l(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (reconciler_.joinable()) reconciler_.join();
  if (rebalancer_.joinable()) rebalancer_.join();
  if (snapshotter_.joinable()) snapshotter_.join();
  rpc_.reset();
  StopAllHosted();
  lease_.reset();  // revokes: the node's keys go at once
  engine_.reset();
}

Status ClusterNode::BindClusterId() {
  // One process per data directory: the engine, opened before this, holds
  // <data>/LOCK (StorageLayout::LockRoots) for as long as the node has it.
  const std::string path = data_dir_ + "/cluster/cluster-id";
  std::string bound;
  if (env_->FileExists(path)) {
    PDB_ASSIGN_OR_RETURN(bound, env_->ReadFileToString(path));
    if (bound.size() != 33 || bound.back() != '\n') {
      return Status::Corruption(path + " is damaged (expected a cluster id)");
    }
    bound.pop_back();
  }
  PDB_ASSIGN_OR_RETURN(RangeResult got, etcd_->Get(keys_.id()));
  if (got.kvs.empty()) {
    if (!bound.empty()) {
      return Status::FailedPrecondition(
          "this data directory belongs to cluster " + bound +
          ", but etcd has no cluster in namespace '" +
          options_.cluster_namespace +
          "' (wrong etcd or namespace, or etcd lost its keys); the node "
          "does not start, so that nothing is dropped");
    }
    std::string id = RandomHex32();
    TxnRequest t;
    t.compares.push_back(
        Compare::CreateRevision(keys_.id(), Compare::Op::kEqual, 0));
    t.success.push_back(TxnOp::Put(keys_.id(), id));
    t.failure.push_back(TxnOp::Get(keys_.id()));
    PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
    if (!r.succeeded) {
      if (r.responses.empty() || r.responses[0].kvs.empty()) {
        return Status::Unavailable("the cluster id changed while it was read");
      }
      id = r.responses[0].kvs[0].value;
    }
    got.kvs.push_back(KeyValue{keys_.id(), id});
  }
  cluster_id_ = got.kvs[0].value;
  // A random id of this data directory: its membership key carries it, so
  // that a restarted process recognises its predecessor's key.
  const std::string id_path = data_dir_ + "/cluster/data-dir-id";
  if (env_->FileExists(id_path)) {
    PDB_ASSIGN_OR_RETURN(data_dir_id_, env_->ReadFileToString(id_path));
  } else {
    data_dir_id_ = NewUuidV4();
    PDB_RETURN_IF_ERROR(env_->WriteFileAtomically(id_path, data_dir_id_));
    PDB_RETURN_IF_ERROR(env_->SyncDir(data_dir_ + "/cluster"));
  }
  if (bound.empty()) {
    PDB_RETURN_IF_ERROR(env_->WriteFileAtomically(path, cluster_id_ + "\n"));
    PDB_RETURN_IF_ERROR(env_->SyncDir(data_dir_ + "/cluster"));
  } else if (bound != cluster_id_) {
    return Status::FailedPrecondition(
        "this data directory belongs to cluster " + bound + ", not to " +
        cluster_id_ + " (namespace '" + options_.cluster_namespace +
        "'); the node does not start, so that nothing is dropped");
  }
  return Status::OK();
}

Status ClusterNode::Register() {
  PDB_ASSIGN_OR_RETURN(auto lease,
                       etcd_->GrantLease(options_.lease_ttl_seconds));
  const nlohmann::json value = {
      {"node_id", options_.node_id},
      {"internal", options_.advertise_address},
      {"rest", options_.rest_address},
      {"grpc", options_.grpc_address},
      {"rest_url",
       (options_.rest_tls ? "https://" : "http://") + options_.rest_address},
      {"data_dir_id", data_dir_id_},
      {"joined_unix_ms", NowUnixMs()}};
  TxnRequest t;
  const std::string key = keys_.node(options_.node_id);
  t.compares.push_back(Compare::CreateRevision(key, Compare::Op::kEqual, 0));
  t.success.push_back(TxnOp::Put(key, value.dump(), lease->id()));
  t.failure.push_back(TxnOp::Get(key));
  PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
  if (!r.succeeded && !r.responses.empty() && !r.responses[0].kvs.empty()) {
    // This data directory's previous process (killed: <data>/cluster/LOCK
    // keeps two live processes off one directory) still holds the key
    // until its lease expires. Revoking that lease ends its membership and
    // its primaries at once, so failover need not wait for the TTL.
    const KeyValue& held = r.responses[0].kvs[0];
    auto j = nlohmann::json::parse(held.value, nullptr, false);
    if (j.is_object() && j.value("data_dir_id", "") == data_dir_id_ &&
        held.lease != 0) {
      spdlog::info(
          "cluster node {}: ending the membership of this data "
          "directory's previous process (lease {})",
          options_.node_id, held.lease);
      Status revoked = etcd_->LeaseRevoke(held.lease);
      if (!revoked.ok() && revoked.code() != StatusCode::kNotFound) {
        return revoked;
      }
      PDB_ASSIGN_OR_RETURN(r, etcd_->Txn(t));
    }
  }
  if (!r.succeeded) {
    std::string holder;
    if (!r.responses.empty() && !r.responses[0].kvs.empty()) {
      holder = r.responses[0].kvs[0].value;
    }
    return Status::FailedPrecondition(
        "another live node is registered as '" + options_.node_id +
        "' in cluster namespace '" + options_.cluster_namespace + "' (" +
        holder + "); node ids must be unique");
  }
  lease_ = std::move(lease);
  return Status::OK();
}

void ClusterNode::ReconcileLoop() {
  while (true) {
    {
      MutexLock l(&mu_);
      if (stop_) return;
      cv_.WaitFor(&mu_, milliseconds(500));
      if (stop_) return;
    }
    if (!lease_ || !lease_->alive()) {
      spdlog::warn(
          "cluster node {}: membership lease lost; stopping its shards and "
          "joining again",
          options_.node_id);
      StopAllHosted();
      lease_.reset();
      Status s = Register();
      if (!s.ok()) {
        spdlog::warn("cluster node {}: cannot join again yet: {}",
                     options_.node_id, s.ToString());
        continue;  // lease_ is empty: the next round tries again
      }
    }
    Status s = Reconcile();
    MutexLock l(&mu_);
    if (!s.ok() && last_reconcile_.ok()) {
      spdlog::warn("cluster node {}: {}", options_.node_id, s.ToString());
    }
    last_reconcile_ = s;
  }
}

Status ClusterNode::Reconcile() {
  PDB_ASSIGN_OR_RETURN(RangeResult cols, etcd_->GetPrefix(keys_.collections()));
  PDB_ASSIGN_OR_RETURN(RangeResult prim, etcd_->GetPrefix(keys_.primaries()));
  PDB_ASSIGN_OR_RETURN(RangeResult nodes, etcd_->GetPrefix(keys_.nodes()));
  PDB_ASSIGN_OR_RETURN(RangeResult handoffs,
                       etcd_->GetPrefix(keys_.handoffs()));
  std::map<std::string, std::string> handoff_to;  // "<uid>/<shard>" -> node
  for (const auto& kv : handoffs.kvs) {
    ShardHandoff h = DecodeShardHandoff(kv.value);
    if (!h.to.empty()) {
      handoff_to[kv.key.substr(keys_.handoffs().size())] = std::move(h.to);
    }
  }
  // Nothing is dropped unless the listing is this cluster's.
  PDB_ASSIGN_OR_RETURN(RangeResult id, etcd_->Get(keys_.id()));
  if (id.kvs.empty() || id.kvs[0].value != cluster_id_) {
    return Status::FailedPrecondition("etcd no longer holds cluster " +
                                      cluster_id_ + " in namespace '" +
                                      options_.cluster_namespace +
                                      "'; this node changes nothing until it "
                                      "does");
  }
  {
    MutexLock l(&mu_);
    primaries_.clear();
    for (const auto& kv : prim.kvs) {
      primaries_[kv.key.substr(keys_.primaries().size())] = kv.value;
    }
    for (const auto& kv : nodes.kvs) {
      auto j = nlohmann::json::parse(kv.value, nullptr, false);
      if (j.is_object() && j.contains("internal") &&
          j["internal"].is_string()) {
        addresses_[kv.key.substr(keys_.nodes().size())] =
            j["internal"].get<std::string>();
      }
    }
  }
  std::set<std::string> wanted;       // shard keys this node hosts
  std::set<std::string> local_names;  // of the replicas it hosts
  Status first_error;
  bool all_decoded = true;
  for (const auto& kv : cols.kvs) {
    auto c = DecodeShardedCollection(kv.value, kv.key);
    if (!c.ok()) {
      all_decoded = false;
      if (first_error.ok()) first_error = c.status();
      continue;
    }
    for (uint32_t k = 0; k < c->shard_count(); ++k) {
      const auto& nodes_of = c->placement[k];
      const bool member = std::find(nodes_of.begin(), nodes_of.end(),
                                    options_.node_id) != nodes_of.end();
      const bool learner =
          std::any_of(c->moves.begin(), c->moves.end(), [&](const auto& m) {
            return m.shard == k && m.to == options_.node_id;
          });
      if (!member && !learner) continue;
      local_names.insert(LocalShardName(c->uid, k));
      wanted.insert(ShardKey(c->uid, k));
      std::shared_ptr<HostedShard> hs = Hosted(c->uid, k);
      if (!hs) {
        bool restoring = false;
        {
          MutexLock l(&mu_);
          restoring = restoring_.count(ShardKey(c->uid, k)) != 0;
        }
        if (restoring) continue;  // reopened once restored
        Status s = OpenHosted(*c, k, /*learner=*/!member);
        if (!s.ok() && first_error.ok()) first_error = s;
        continue;
      }
      if (hs->replica->behind_log()) {
        // The stream no longer holds the entries this replica needs: it is
        // closed and handed to the snapshot thread, which restores the
        // shard's snapshot into it.
        spdlog::warn(
            "shard {}: this node's replica is behind the log's first entry "
            "({}); restoring it from the shard's snapshot",
            hs->stream, hs->replica->status().ToString());
        {
          MutexLock l(&mu_);
          hosted_.erase(ShardKey(c->uid, k));
          restoring_[ShardKey(c->uid, k)] = {c->uid, k, "waiting", {}};
          cv_.SignalAll();
        }
        hs->Stop();
        continue;
      }
      {
        auto h = handoff_to.find(ShardKey(c->uid, k));
        hs->SetHandoff(h == handoff_to.end() ? "" : h->second);
      }
      if (member && hs->learner.load()) {
        // The move that brought it here is done: it is a replica now.
        spdlog::info("shard {}: this node's new replica joined the placement",
                     hs->stream);
        hs->Campaign(etcd_.get(), lease_.get(), log_.get(),
                     keys_.primary(c->uid, k), options_.node_id,
                     options_.request_timeout_ms);
        hs->learner.store(false);
      }
      // Policies and payload indexes follow the descriptor.
      const CollectionConfig have = hs->local->config();
      const CollectionConfig& want = c->def.config;
      if (!(have.flush == want.flush)) {
        (void)hs->local->SetFlushPolicy(want.flush);
      }
      if (!(have.tiering == want.tiering)) {
        (void)hs->local->SetTieringPolicy(want.tiering);
      }
      const std::vector<PayloadIndexDef> idx =
          hs->local->Info().payload_indexes;
      for (const auto& d : c->def.payload_indexes) {
        if (std::find(idx.begin(), idx.end(), d) == idx.end()) {
          Status s = hs->local->CreatePayloadIndex(d);
          if (s.code() == StatusCode::kAlreadyExists) {
            (void)hs->local->DropPayloadIndex(d.field);
            s = hs->local->CreatePayloadIndex(d);
          }
          if (!s.ok() && first_error.ok()) first_error = s;
        }
      }
      for (const auto& d : idx) {
        if (std::find(c->def.payload_indexes.begin(),
                      c->def.payload_indexes.end(),
                      d) == c->def.payload_indexes.end()) {
          (void)hs->local->DropPayloadIndex(d.field);
        }
      }
    }
  }
  // Shards no longer hosted here (the collection was dropped, or the
  // replica moved to another node).
  std::vector<std::shared_ptr<HostedShard>> gone;
  {
    MutexLock l(&mu_);
    for (auto it = hosted_.begin(); it != hosted_.end();) {
      if (wanted.count(it->first) == 0) {
        gone.push_back(it->second);
        it = hosted_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& hs : gone) hs->Stop();
  {
    MutexLock l(&mu_);
    for (auto it = restoring_.begin(); it != restoring_.end();) {
      it = wanted.count(it->first) == 0 ? restoring_.erase(it) : ++it;
    }
  }
  // Local shard collections no descriptor gives this node: their
  // collection was dropped (its descriptor is gone only after the drop was
  // decided), or the replica moved away (the placement names another node
  // only once that node caught up). Nothing is dropped while a descriptor
  // cannot be read.
  for (const CollectionInfo& info : engine_->ListCollections()) {
    const std::string& name = info.config.name;
    if (!all_decoded || name.size() < 4 || name[0] != 'c' ||
        local_names.count(name) != 0 || name.find("_s") == std::string::npos) {
      continue;
    }
    spdlog::info(
        "cluster node {}: dropping local shard {} (its collection was "
        "dropped or the replica moved to another node)",
        options_.node_id, name);
    Status s = engine_->DropCollection(name);
    if (s.ok() || s.code() == StatusCode::kNotFound) {
      (void)env_->RemoveFile(data_dir_ + "/cluster/" + name + ".applied");
    }
  }
  {
    MutexLock l(&mu_);
    ++reconciles_;
  }
  return first_error;
}

void ClusterNode::RunEvery(int64_t interval_ms, const char* what,
                           Status (ClusterNode::*pass)()) {
  std::string last;
  while (true) {
    {
      MutexLock l(&mu_);
      if (stop_) return;
      cv_.WaitFor(&mu_, milliseconds(interval_ms));
      if (stop_) return;
    }
    Status s = (this->*pass)();
    // Logged once per distinct error, not every pass.
    if (!s.ok() && s.ToString() != last) {
      spdlog::warn("cluster node {}: {}: {}", options_.node_id, what,
                   s.ToString());
    }
    last = s.ok() ? "" : s.ToString();
  }
}

const std::vector<ClusterNode::ReplicaState>& ClusterNode::ReportedBy(
    const std::string& node_id,
    const std::map<std::string, std::string>& internal,
    std::map<std::string, std::vector<ReplicaState>>* reported) {
  auto it = reported->find(node_id);
  if (it != reported->end()) return it->second;
  std::vector<ReplicaState>& out = (*reported)[node_id];
  if (node_id == options_.node_id) {
    out = LocalReplicas();
  } else if (auto a = internal.find(node_id); a != internal.end()) {
    auto r = RemoteStatus(a->second);
    if (r.ok()) out = std::move(r).value();
  }
  return out;
}

Status ClusterNode::BalancePrimaries(
    const RebalanceInput& in,
    const std::map<std::string, std::string>& internal,
    std::map<std::string, std::vector<ReplicaState>>* reported) {
  // Hand-overs under way: done once the target leads, given up after
  // kHandoffTimeoutMs; one at a time.
  PDB_ASSIGN_OR_RETURN(RangeResult got, etcd_->GetPrefix(keys_.handoffs()));
  bool pending = false;
  for (const auto& kv : got.kvs) {
    const std::string shard = kv.key.substr(keys_.handoffs().size());
    const auto [to, since] = DecodeShardHandoff(kv.value);
    auto p = in.primaries.find(shard);
    const bool done = p != in.primaries.end() && p->second == to;
    const bool stale = NowUnixMs() > since + kHandoffTimeoutMs;
    if (!done && !stale) {
      pending = true;
      continue;
    }
    if (done) {
      spdlog::info("rebalancing: the primary of shard {} is now node {}", shard,
                   to);
    } else {
      spdlog::warn(
          "rebalancing: node {} did not take over the primary of shard {} "
          "within {} ms; given up",
          to, shard, kHandoffTimeoutMs);
    }
    TxnRequest t;
    t.compares.push_back(
        Compare::ModRevision(kv.key, Compare::Op::kEqual, kv.mod_revision));
    t.success.push_back(TxnOp::Delete(kv.key));
    PDB_RETURN_IF_ERROR(etcd_->Txn(t).status());
  }
  if (pending) return Status::OK();
  for (const PlannedHandoff& h : PlanHandoffs(in)) {
    const ShardedCollection& c = in.collections[h.collection];
    // Only to a replica that is caught up (it serves at once).
    auto st =
        log_->State(ShardStream(options_.cluster_namespace, c.uid, h.shard));
    bool ready = false;
    for (const auto& r : ReportedBy(h.to, internal, reported)) {
      if (r.uid == c.uid && r.shard == h.shard && r.state == "following" &&
          st.ok() && st->last_seq <= r.applied_seq + kMaxSwitchLag) {
        ready = true;
      }
    }
    if (!ready) continue;
    const std::string value = EncodeShardHandoff({h.to, NowUnixMs()});
    spdlog::info(
        "rebalancing: handing the primary of shard {} of '{}' over from {} "
        "to {}",
        h.shard, c.name(), h.from, h.to);
    PDB_RETURN_IF_ERROR(
        etcd_->Put(keys_.handoff(c.uid, h.shard), value).status());
  }
  return Status::OK();
}

Status ClusterNode::PutDescriptor(ShardedCollection* c) {
  TxnRequest t;
  const std::string key = keys_.collection(c->name());
  t.compares.push_back(
      Compare::ModRevision(key, Compare::Op::kEqual, c->mod_revision));
  t.success.push_back(TxnOp::Put(key, EncodeShardedCollection(*c)));
  PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
  if (!r.succeeded) {
    return Status::Unavailable("collection '" + c->name() +
                               "' changed meanwhile; the next round retries");
  }
  c->mod_revision = r.revision;
  MutexLock l(&mu_);
  cv_.SignalAll();  // this node's reconcile applies it now
  return Status::OK();
}

Status ClusterNode::Rebalance() {
  PDB_ASSIGN_OR_RETURN(RangeResult nodes, etcd_->GetPrefix(keys_.nodes()));
  RebalanceInput in;
  std::map<std::string, std::string> internal;
  for (const auto& kv : nodes.kvs) {
    const std::string id = kv.key.substr(keys_.nodes().size());
    in.live.insert(id);
    auto j = nlohmann::json::parse(kv.value, nullptr, false);
    if (j.is_object() && j.contains("internal") && j["internal"].is_string()) {
      internal[id] = j["internal"].get<std::string>();
    }
  }
  // One node rebalances: the live one with the smallest id (a node whose
  // lease is lost is not listed). Every change is a guarded update, so two
  // that both think so cannot undo each other's moves; one of them retries.
  if (in.live.empty() || *in.live.begin() != options_.node_id) {
    return Status::OK();
  }
  PDB_ASSIGN_OR_RETURN(RangeResult drains, etcd_->GetPrefix(keys_.drains()));
  for (const auto& kv : drains.kvs) {
    in.draining.insert(kv.key.substr(keys_.drains().size()));
  }
  PDB_ASSIGN_OR_RETURN(RangeResult prim, etcd_->GetPrefix(keys_.primaries()));
  for (const auto& kv : prim.kvs) {
    in.primaries[kv.key.substr(keys_.primaries().size())] = kv.value;
  }
  PDB_ASSIGN_OR_RETURN(RangeResult cols, etcd_->GetPrefix(keys_.collections()));
  for (const auto& kv : cols.kvs) {
    // A descriptor that cannot be read stops every move: the placement
    // must be known whole before replicas move.
    PDB_ASSIGN_OR_RETURN(ShardedCollection c,
                         DecodeShardedCollection(kv.value, kv.key));
    c.mod_revision = kv.mod_revision;
    in.collections.push_back(std::move(c));
  }

  // Finish the moves whose new replica caught up; cancel those whose new
  // replica's node is gone or draining (it drops its copy).
  std::map<std::string, std::vector<ReplicaState>> reported;
  Status first_error;
  for (ShardedCollection& c : in.collections) {
    if (c.moves.empty()) continue;
    ShardedCollection next = c;
    next.moves.clear();
    bool changed = false;
    for (const ShardMove& m : c.moves) {
      const std::string what = "shard " + std::to_string(m.shard) + " of '" +
                               c.name() + "' from " + m.from + " to " + m.to;
      if (in.live.count(m.to) == 0 || in.draining.count(m.to) != 0) {
        spdlog::info(
            "rebalancing: cancelled the move of {} (the new node "
            "is {})",
            what, in.live.count(m.to) == 0 ? "down" : "draining");
        changed = true;
        continue;
      }
      const ReplicaState* rs = nullptr;
      for (const auto& r : ReportedBy(m.to, internal, &reported)) {
        if (r.uid == c.uid && r.shard == m.shard) rs = &r;
      }
      auto st =
          log_->State(ShardStream(options_.cluster_namespace, c.uid, m.shard));
      if (rs != nullptr && rs->state == "joining" && st.ok() &&
          st->last_seq <= rs->applied_seq + kMaxSwitchLag) {
        auto& p = next.placement[m.shard];
        std::replace(p.begin(), p.end(), m.from, m.to);
        spdlog::info(
            "rebalancing: moved {} (caught up to {} of {} after {} ms)", what,
            rs->applied_seq, st->last_seq,
            NowUnixMs() - std::min(NowUnixMs(), m.started_unix_ms));
        changed = true;
        continue;
      }
      if (!st.ok() && first_error.ok()) first_error = st.status();
      next.moves.push_back(m);
    }
    if (changed) {
      Status s = PutDescriptor(&next);
      if (s.ok()) {
        c = std::move(next);
      } else if (first_error.ok()) {
        first_error = s;
      }
    }
  }

  // Start the next moves.
  in.max_in_flight = kMaxMovesInFlight;
  std::vector<PlannedMove> planned = PlanMoves(in);
  const bool moving =
      !planned.empty() ||
      std::any_of(in.collections.begin(), in.collections.end(),
                  [](const ShardedCollection& c) { return !c.moves.empty(); });
  if (!moving) {
    Status s = BalancePrimaries(in, internal, &reported);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  std::map<size_t, std::vector<ShardMove>> by_collection;
  for (PlannedMove& p : planned) {
    p.move.started_unix_ms = NowUnixMs();
    by_collection[p.collection].push_back(std::move(p.move));
  }
  for (auto& [ci, moves] : by_collection) {
    ShardedCollection next = in.collections[ci];
    for (const ShardMove& m : moves) {
      spdlog::info("rebalancing: moving shard {} of '{}' from {} to {}{}",
                   m.shard, next.name(), m.from, m.to,
                   in.draining.count(m.from) != 0 ? " (draining)" : "");
      next.moves.push_back(m);
    }
    Status s = PutDescriptor(&next);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

Status ClusterNode::OpenHosted(const ShardedCollection& c, uint32_t shard,
                               bool learner) {
  const std::string local_name = LocalShardName(c.uid, shard);
  auto hs = std::make_shared<HostedShard>(
      c.uid, shard, ShardStream(options_.cluster_namespace, c.uid, shard),
      ShardSubject(options_.cluster_namespace, c.uid, shard), local_name);
  hs->learner.store(learner);
  const std::string state_path =
      data_dir_ + "/cluster/" + local_name + ".applied";
  auto existing = engine_->GetCollection(local_name);
  if (existing.ok()) {
    hs->local = *existing;
  } else if (existing.status().code() == StatusCode::kNotFound) {
    // A new, empty replica applies the log from its start: a position left
    // by an earlier replica of this name must not make it skip entries.
    if (env_->FileExists(state_path)) {
      PDB_RETURN_IF_ERROR(env_->RemoveFile(state_path));
      PDB_RETURN_IF_ERROR(env_->SyncDir(data_dir_ + "/cluster"));
    }
    CollectionConfig local = c.def.config;
    local.name = local_name;
    local.shard_count = 0;
    local.replication_factor = 0;
    PDB_ASSIGN_OR_RETURN(hs->local, engine_->CreateCollection(local));
    for (const auto& d : c.def.payload_indexes) {
      PDB_RETURN_IF_ERROR(hs->local->CreatePayloadIndex(d));
    }
  } else {
    return existing.status();
  }
  PDB_ASSIGN_OR_RETURN(auto applier,
                       ShardApplier::Open(env_, state_path, hs->local));
  ShardReplicaOptions ro;
  ro.stream = hs->stream;
  ro.subject = hs->subject;
  PDB_ASSIGN_OR_RETURN(hs->replica,
                       ShardReplica::Start(log_.get(), std::move(applier), ro));
  if (learner) {
    spdlog::info("shard {}: a new replica on this node follows the log",
                 hs->stream);
  } else {
    hs->Campaign(etcd_.get(), lease_.get(), log_.get(),
                 keys_.primary(c.uid, shard), options_.node_id,
                 options_.request_timeout_ms);
  }
  MutexLock l(&mu_);
  hosted_[ShardKey(c.uid, shard)] = std::move(hs);
  return Status::OK();
}

void ClusterNode::StopAllHosted() {
  std::map<std::string, std::shared_ptr<HostedShard>> all;
  {
    MutexLock l(&mu_);
    all.swap(hosted_);
  }
  for (auto& [key, hs] : all) hs->Stop();
}

std::shared_ptr<HostedShard> ClusterNode::Hosted(const std::string& uid,
                                                 uint32_t shard) {
  MutexLock l(&mu_);
  auto it = hosted_.find(ShardKey(uid, shard));
  return it == hosted_.end() ? nullptr : it->second;
}

// --- the catalog ---

Result<ShardedCollection> ClusterNode::CreateCollection(
    CollectionConfig config) {
  if (config.shard_count == 0) config.shard_count = options_.default_shards;
  if (config.replication_factor == 0) {
    config.replication_factor = options_.default_replication_factor;
  }
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  // The local names add "c<uid>_s<k>"; the collection's own name is only in
  // the catalog, so every valid name works.
  PDB_ASSIGN_OR_RETURN(RangeResult alias, etcd_->Get(keys_.alias(config.name)));
  if (!alias.kvs.empty()) {
    return Status::AlreadyExists("'" + config.name +
                                 "' is an alias (of collection '" +
                                 alias.kvs[0].value + "')");
  }
  PDB_ASSIGN_OR_RETURN(RangeResult nodes, etcd_->GetPrefix(keys_.nodes()));
  std::vector<std::string> live;
  for (const auto& kv : nodes.kvs) {
    live.push_back(kv.key.substr(keys_.nodes().size()));
  }
  if (live.size() < config.replication_factor) {
    return Status::FailedPrecondition(
        "replication_factor " + std::to_string(config.replication_factor) +
        " needs as many live nodes; " + std::to_string(live.size()) +
        " are up");
  }
  ShardedCollection c;
  c.def.config = config;
  c.uid = RandomHex32().substr(0, 16);
  c.created_at_unix_ms = NowUnixMs();
  c.placement =
      PlaceShards(live, config.shard_count, config.replication_factor);
  for (uint32_t k = 0; k < config.shard_count; ++k) {
    StreamSpec spec;
    spec.name = ShardStream(options_.cluster_namespace, c.uid, k);
    spec.subject = ShardSubject(options_.cluster_namespace, c.uid, k);
    spec.replicas = static_cast<int>(config.replication_factor);
    Status s = log_->EnsureStream(spec);
    if (!s.ok()) {
      for (uint32_t j = 0; j <= k; ++j) {
        (void)log_->DeleteStream(
            ShardStream(options_.cluster_namespace, c.uid, j));
      }
      return Status(s.code(), "cannot create the log of shard " +
                                  std::to_string(k) + ": " + s.message());
    }
  }
  TxnRequest t;
  const std::string key = keys_.collection(config.name);
  t.compares.push_back(Compare::CreateRevision(key, Compare::Op::kEqual, 0));
  t.compares.push_back(Compare::CreateRevision(keys_.alias(config.name),
                                               Compare::Op::kEqual, 0));
  t.success.push_back(TxnOp::Put(key, EncodeShardedCollection(c)));
  PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
  if (!r.succeeded) {
    for (uint32_t k = 0; k < config.shard_count; ++k) {
      (void)log_->DeleteStream(
          ShardStream(options_.cluster_namespace, c.uid, k));
    }
    return Status::AlreadyExists("collection '" + config.name +
                                 "' already exists");
  }
  c.mod_revision = r.revision;
  {
    MutexLock l(&mu_);
    cv_.SignalAll();  // host this node's replicas now
  }
  // Ready when every shard has a primary (the first write needs one).
  const auto deadline =
      Clock::now() + milliseconds(options_.request_timeout_ms);
  for (uint32_t k = 0; k < config.shard_count; ++k) {
    while (PrimaryOf(c.uid, k, true).empty()) {
      if (Clock::now() >= deadline) {
        return Status::Unavailable(
            "collection '" + config.name + "' was created, but shard " +
            std::to_string(k) + " has no primary yet; writes wait for it");
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  return c;
}

Status ClusterNode::DropCollection(const std::string& name) {
  PDB_ASSIGN_OR_RETURN(RangeResult alias, etcd_->Get(keys_.alias(name)));
  if (!alias.kvs.empty()) {
    return Status::FailedPrecondition(
        "'" + name + "' is an alias of collection '" + alias.kvs[0].value +
        "'; drop a collection by its own name");
  }
  PDB_ASSIGN_OR_RETURN(RangeResult got, etcd_->Get(keys_.collection(name)));
  if (got.kvs.empty()) {
    return Status::NotFound("collection '" + name + "' not found");
  }
  PDB_ASSIGN_OR_RETURN(ShardedCollection c,
                       DecodeShardedCollection(got.kvs[0].value, name));
  // The descriptor and the collection's aliases go in one transaction;
  // then every node drops its replicas (Reconcile), and the streams go.
  PDB_ASSIGN_OR_RETURN(RangeResult aliases, etcd_->GetPrefix(keys_.aliases()));
  TxnRequest t;
  t.compares.push_back(Compare::ModRevision(
      keys_.collection(name), Compare::Op::kEqual, got.kvs[0].mod_revision));
  t.success.push_back(TxnOp::Delete(keys_.collection(name)));
  for (const auto& kv : aliases.kvs) {
    if (kv.value == name) {
      t.compares.push_back(
          Compare::ModRevision(kv.key, Compare::Op::kEqual, kv.mod_revision));
      t.success.push_back(TxnOp::Delete(kv.key));
    }
  }
  PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
  if (!r.succeeded) {
    return Status::Unavailable("collection '" + name +
                               "' changed while it was being dropped; retry");
  }
  {
    MutexLock l(&mu_);
    cv_.SignalAll();
  }
  // Each node deletes its own snapshots of the collection once no record
  // names them (CollectSnapshots).
  Status records = etcd_->DeletePrefix(keys_.snapshots_of(c.uid)).status();
  if (!records.ok()) {
    spdlog::warn("dropping '{}': its shard snapshot records stay: {}", name,
                 records.ToString());
  }
  for (uint32_t k = 0; k < c.shard_count(); ++k) {
    Status s =
        log_->DeleteStream(ShardStream(options_.cluster_namespace, c.uid, k));
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      spdlog::warn("dropping '{}': the log of shard {} stays: {}", name, k,
                   s.ToString());
    }
  }
  return Status::OK();
}

Result<ShardedCollection> ClusterNode::Resolve(const std::string& name) {
  auto first = etcd_->Get(keys_.collection(name));
  if (!first.ok() && first.status().code() == StatusCode::kUnavailable) {
    // Cut off from etcd (a partition, etcd down): this node serves nothing
    // that needs the catalog; another node may.
    return Status::Unavailable("cluster node " + options_.node_id +
                               " cannot reach etcd (the cluster's catalog); "
                               "try another node: " +
                               first.status().message());
  }
  PDB_ASSIGN_OR_RETURN(RangeResult got, std::move(first));
  if (got.kvs.empty()) {
    PDB_ASSIGN_OR_RETURN(RangeResult alias, etcd_->Get(keys_.alias(name)));
    if (alias.kvs.empty()) {
      return Status::NotFound("collection '" + name + "' not found");
    }
    PDB_ASSIGN_OR_RETURN(got, etcd_->Get(keys_.collection(alias.kvs[0].value)));
    if (got.kvs.empty()) {
      return Status::NotFound("collection '" + name + "' not found");
    }
  }
  PDB_ASSIGN_OR_RETURN(ShardedCollection c,
                       DecodeShardedCollection(got.kvs[0].value, name));
  c.mod_revision = got.kvs[0].mod_revision;
  return c;
}

Result<std::vector<ShardedCollection>> ClusterNode::ListCollections() {
  PDB_ASSIGN_OR_RETURN(RangeResult cols, etcd_->GetPrefix(keys_.collections()));
  std::vector<ShardedCollection> out;
  for (const auto& kv : cols.kvs) {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c,
                         DecodeShardedCollection(kv.value, kv.key));
    c.mod_revision = kv.mod_revision;
    out.push_back(std::move(c));
  }
  return out;
}

Status ClusterNode::UpdateDef(
    const std::string& name,
    const std::function<Status(CollectionDef*)>& change) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Resolve(name));
    PDB_RETURN_IF_ERROR(change(&c.def));
    PDB_RETURN_IF_ERROR(ValidateCollectionConfig(c.def.config));
    TxnRequest t;
    const std::string key = keys_.collection(c.name());
    t.compares.push_back(
        Compare::ModRevision(key, Compare::Op::kEqual, c.mod_revision));
    t.success.push_back(TxnOp::Put(key, EncodeShardedCollection(c)));
    PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
    if (r.succeeded) {
      MutexLock l(&mu_);
      cv_.SignalAll();
      return Status::OK();
    }
  }
  return Status::Unavailable("collection '" + name +
                             "' keeps changing; retry the update");
}

Status ClusterNode::UpdateAliases(const std::vector<AliasAction>& actions) {
  PDB_ASSIGN_OR_RETURN(RangeResult cols, etcd_->GetPrefix(keys_.collections()));
  PDB_ASSIGN_OR_RETURN(RangeResult als, etcd_->GetPrefix(keys_.aliases()));
  std::vector<std::string> names;
  for (const auto& kv : cols.kvs) {
    names.push_back(kv.key.substr(keys_.collections().size()));
  }
  std::map<std::string, std::string> aliases;
  for (const auto& kv : als.kvs) {
    aliases[kv.key.substr(keys_.aliases().size())] = kv.value;
  }
  const std::map<std::string, std::string> before = aliases;
  PDB_RETURN_IF_ERROR(ApplyAliasActions(names, {}, actions, &aliases));
  // Applied only if neither list changed since it was read.
  const int64_t rev = std::max(cols.revision, als.revision);
  TxnRequest t;
  Compare cc =
      Compare::ModRevision(keys_.collections(), Compare::Op::kLess, rev + 1);
  cc.prefix = true;
  Compare ca =
      Compare::ModRevision(keys_.aliases(), Compare::Op::kLess, rev + 1);
  ca.prefix = true;
  t.compares = {cc, ca};
  for (const auto& [alias, col] : before) {
    if (aliases.count(alias) == 0)
      t.success.push_back(TxnOp::Delete(keys_.alias(alias)));
  }
  for (const auto& [alias, col] : aliases) {
    auto b = before.find(alias);
    if (b == before.end() || b->second != col) {
      t.success.push_back(TxnOp::Put(keys_.alias(alias), col));
    }
  }
  if (t.success.empty()) return Status::OK();
  PDB_ASSIGN_OR_RETURN(TxnResult r, etcd_->Txn(t));
  if (!r.succeeded) {
    return Status::Unavailable(
        "the collections or aliases changed meanwhile; retry");
  }
  return Status::OK();
}

Result<std::vector<AliasInfo>> ClusterNode::ListAliases() {
  PDB_ASSIGN_OR_RETURN(RangeResult als, etcd_->GetPrefix(keys_.aliases()));
  std::vector<AliasInfo> out;
  for (const auto& kv : als.kvs) {
    out.push_back({kv.key.substr(keys_.aliases().size()), kv.value});
  }
  return out;
}

// --- routing ---

std::string ClusterNode::PrimaryOf(const std::string& uid, uint32_t shard,
                                   bool refresh) {
  const std::string key = ShardKey(uid, shard);
  if (!refresh) {
    MutexLock l(&mu_);
    auto it = primaries_.find(key);
    if (it != primaries_.end()) return it->second;
  }
  auto got = etcd_->Get(keys_.primary(uid, shard));
  MutexLock l(&mu_);
  if (!got.ok() || got->kvs.empty()) {
    primaries_.erase(key);
    return "";
  }
  primaries_[key] = got->kvs[0].value;
  return got->kvs[0].value;
}

Result<std::string> ClusterNode::AddressOf(const std::string& node_id) {
  {
    MutexLock l(&mu_);
    auto it = addresses_.find(node_id);
    if (it != addresses_.end()) return it->second;
  }
  PDB_ASSIGN_OR_RETURN(RangeResult got, etcd_->Get(keys_.node(node_id)));
  if (got.kvs.empty()) {
    return Status::Unavailable("node '" + node_id + "' is not live");
  }
  auto j = nlohmann::json::parse(got.kvs[0].value, nullptr, false);
  if (!j.is_object() || !j.contains("internal") || !j["internal"].is_string()) {
    return Status::Corruption("the membership key of node '" + node_id +
                              "' is malformed");
  }
  MutexLock l(&mu_);
  addresses_[node_id] = j["internal"].get<std::string>();
  return addresses_[node_id];
}

Result<WriteOutcome> ClusterNode::Write(const ShardedCollection& c,
                                        uint32_t shard, WriteKind kind,
                                        wal::WalBatch batch) {
  const auto deadline =
      Clock::now() + milliseconds(options_.request_timeout_ms);
  bool refresh = false;
  Status last = Status::Unavailable("no attempt");
  while (true) {
    const std::string primary = PrimaryOf(c.uid, shard, refresh);
    const int64_t left =
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now())
            .count();
    Result<WriteOutcome> out = Status::Unavailable(
        "shard " + std::to_string(shard) + " of '" + c.name() +
        "' has no primary (an election is under way)");
    // Only a write that certainly is not in the log is sent again: another
    // primary, no primary yet, the node unreachable before the call. An
    // unknown outcome (a call cut off, a deadline) goes back to the client:
    // sending it again could apply it after a later write to the same ids.
    bool not_stored = true;
    if (primary == options_.node_id) {
      out = LocalWrite(c.uid, shard, kind, batch, std::max<int64_t>(left, 1),
                       &not_stored);
    } else if (!primary.empty()) {
      auto address = AddressOf(primary);
      if (address.ok()) {
        // A cached primary may be a node that has just stopped (its
        // process still holds the port while it exits, so connecting
        // neither succeeds nor fails): give it a short while, then ask
        // etcd again; a primary read from etcd just now gets the full
        // connect time.
        out = RemoteWrite(
            *address, c.uid, shard, kind, batch, std::max<int64_t>(left, 1),
            refresh ? kConnectTimeoutMs : kCachedConnectMs, &not_stored);
      } else {
        out = address.status();
      }
    }
    if (out.ok()) return out;
    last = out.status();
    if (!not_stored || Clock::now() >= deadline) return last;
    refresh = true;
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Result<WriteOutcome> ClusterNode::LocalWrite(const std::string& uid,
                                             uint32_t shard, WriteKind kind,
                                             wal::WalBatch batch,
                                             int64_t timeout_ms,
                                             bool* not_stored) {
  (void)timeout_ms;
  *not_stored = true;  // until the append is tried
  std::shared_ptr<HostedShard> hs = Hosted(uid, shard);
  const std::string where = std::to_string(shard) + " (" + uid + ")";
  if (!hs) return Status::Unavailable(std::string(kNoReplica) + where);
  MutexLock w(&hs->write_mu);
  ShardPrimary* primary = nullptr;
  {
    MutexLock l(&hs->mu);
    if (hs->primary && !hs->primary->deposed()) primary = hs->primary.get();
  }
  if (!primary) return Status::Unavailable(std::string(kNotPrimary) + where);
  // An answer about the data itself (no such point, a bad request) is final.
  *not_stored = false;
  WriteOutcome out;
  if (kind == WriteKind::kUpdateMetadata) {
    if (batch.ops.size() != 1) {
      return Status::InvalidArgument("a metadata update names one point");
    }
    wal::WalOp& op = batch.ops[0];
    PDB_ASSIGN_OR_RETURN(StoredPoint p, hs->local->Get(op.id));
    op.type = wal::WalOp::Type::kUpdateMetadata;
    op.vector = std::move(p.vector);
    op.sparse = index::EncodePointVectors(p.sparse_vectors, p.named_vectors);
    op.expires_at = p.expires_at_micros;
  } else if (kind == WriteKind::kPatchMetadata) {
    // Each existing point logged whole with its patched metadata, as the
    // engine's PatchMetadata does; write_mu keeps other writes of the shard
    // out from these reads to the append.
    if (batch.ops.empty()) return out;
    PDB_ASSIGN_OR_RETURN(MetadataPatch patch, rpc_codec::DecodeMetadataPatch(
                                                  batch.ops[0].metadata_json));
    std::vector<wal::WalOp> ops;
    for (auto& op : batch.ops) {
      Result<StoredPoint> p = hs->local->Get(op.id);
      if (p.status().code() == StatusCode::kNotFound) {
        out.not_found.push_back(op.id);
        continue;
      }
      PDB_RETURN_IF_ERROR(p.status());
      PDB_ASSIGN_OR_RETURN(
          wal::WalOp patched,
          PatchedPointOp(std::move(op.id), std::move(p).value(), patch));
      ops.push_back(std::move(patched));
    }
    out.count = ops.size();
    if (ops.empty()) return out;
    batch.ops = std::move(ops);
  } else if (kind == WriteKind::kDeleteCounted) {
    for (const auto& op : batch.ops) {
      if (hs->local->Get(op.id).ok()) ++out.count;
    }
  }
  Result<uint64_t> seq = primary->Write(std::move(batch), not_stored);
  if (!seq.ok()) {
    if (*not_stored && primary->deposed()) {
      return Status::Unavailable(std::string(kNotPrimary) + where + ": " +
                                 seq.status().message());
    }
    return seq.status();
  }
  out.seq = *seq;
  return out;
}

Result<std::string> ClusterNode::Call(const ShardedCollection& c,
                                      uint32_t shard, const std::string& op,
                                      const std::string& body, bool strong) {
  const auto deadline =
      Clock::now() + milliseconds(options_.request_timeout_ms);
  Result<std::string> out = CallReplicas(c, shard, op, body, strong, deadline);
  if (out.ok() || out.status().code() != StatusCode::kUnavailable) return out;
  // The caller's descriptor may be older than a move of the shard's
  // replicas (rebalancing, a drain): ask the replicas the current one names.
  auto now = Resolve(c.name());
  if (now.ok() && now->uid == c.uid && shard < now->shard_count() &&
      now->placement[shard] != c.placement[shard] && Clock::now() < deadline) {
    return CallReplicas(*now, shard, op, body, strong, deadline);
  }
  return out;
}

Result<std::string> ClusterNode::CallReplicas(
    const ShardedCollection& c, uint32_t shard, const std::string& op,
    const std::string& body, bool strong, Clock::time_point deadline) {
  // This node's replica first, then the primary, then the others.
  std::vector<std::string> order;
  const auto& nodes = c.placement[shard];
  if (std::find(nodes.begin(), nodes.end(), options_.node_id) != nodes.end()) {
    order.push_back(options_.node_id);
  }
  const std::string primary = PrimaryOf(c.uid, shard, false);
  if (!primary.empty() &&
      std::find(order.begin(), order.end(), primary) == order.end() &&
      std::find(nodes.begin(), nodes.end(), primary) != nodes.end()) {
    order.push_back(primary);
  }
  for (const auto& n : nodes) {
    if (std::find(order.begin(), order.end(), n) == order.end()) {
      order.push_back(n);
    }
  }
  Status last = Status::Unavailable("shard " + std::to_string(shard) + " of '" +
                                    c.name() + "' has no replica");
  for (const auto& n : order) {
    const int64_t left = std::max<int64_t>(
        1, std::chrono::duration_cast<milliseconds>(deadline - Clock::now())
               .count());
    Result<std::string> out = last;
    if (n == options_.node_id) {
      out = LocalCall(c.uid, shard, op, body, strong, left);
    } else {
      auto address = AddressOf(n);
      out = address.ok()
                ? RemoteCall(*address, c.uid, shard, op, body, strong, left)
                : Result<std::string>(address.status());
    }
    if (out.ok()) return out;
    last = out.status();
    // An answer about the data is final; only "that replica cannot serve"
    // moves on to the next.
    if (last.code() != StatusCode::kUnavailable) return last;
    if (Clock::now() >= deadline) break;
  }
  return last;
}

Status ClusterNode::CallAll(const ShardedCollection& c, uint32_t shard,
                            const std::string& op) {
  for (const auto& n : c.placement[shard]) {
    Result<std::string> out = std::string();
    if (n == options_.node_id) {
      out =
          LocalCall(c.uid, shard, op, "{}", false, options_.request_timeout_ms);
    } else {
      PDB_ASSIGN_OR_RETURN(std::string address, AddressOf(n));
      out = RemoteCall(address, c.uid, shard, op, "{}", false,
                       options_.request_timeout_ms);
    }
    if (!out.ok()) {
      return Status(out.status().code(),
                    "node '" + n + "': " + out.status().message());
    }
  }
  return Status::OK();
}

Result<std::string> ClusterNode::LocalCall(const std::string& uid,
                                           uint32_t shard,
                                           const std::string& op,
                                           const std::string& body, bool strong,
                                           int64_t timeout_ms) {
  std::shared_ptr<HostedShard> hs = Hosted(uid, shard);
  if (!hs) {
    return Status::Unavailable(std::string(kNoReplica) + std::to_string(shard) +
                               " (" + uid + ") on node '" + options_.node_id +
                               "'");
  }
  if (strong) {
    PDB_ASSIGN_OR_RETURN(StreamState st, log_->State(hs->stream));
    PDB_RETURN_IF_ERROR(hs->replica->WaitForApplied(st.last_seq, timeout_ms));
  }
  using namespace rpc_codec;
  if (op == "search") {
    PDB_ASSIGN_OR_RETURN(SearchRequest req, DecodeSearchRequest(body));
    PDB_ASSIGN_OR_RETURN(SearchResult r, hs->local->Search(req));
    return EncodeSearchResult(r);
  }
  if (op == "get") {
    PDB_ASSIGN_OR_RETURN(nlohmann::json j, DecodeJson(body));
    if (!j.contains("id") || !j["id"].is_string()) {
      return Status::InvalidArgument("internal get: no id");
    }
    PDB_ASSIGN_OR_RETURN(StoredPoint p,
                         hs->local->Get(j["id"].get<std::string>()));
    return EncodePoint(p);
  }
  if (op == "count") {
    PDB_ASSIGN_OR_RETURN(nlohmann::json j, DecodeJson(body));
    PDB_ASSIGN_OR_RETURN(uint64_t n,
                         hs->local->Count(j.value("filter", nlohmann::json())));
    return EncodeJson({{"count", n}});
  }
  if (op == "scroll") {
    PDB_ASSIGN_OR_RETURN(ScrollRequest req, DecodeScrollRequest(body));
    PDB_ASSIGN_OR_RETURN(ScrollPage p, hs->local->Scroll(req));
    return EncodeScrollPage(p);
  }
  if (op == "facet") {
    PDB_ASSIGN_OR_RETURN(FacetRequest req, DecodeFacetRequest(body));
    PDB_ASSIGN_OR_RETURN(FacetResult r, hs->local->Facet(req));
    return EncodeFacetResult(r);
  }
  if (op == "text_search") {
    PDB_ASSIGN_OR_RETURN(TextSearchRequest req, DecodeTextSearchRequest(body));
    PDB_ASSIGN_OR_RETURN(SearchResult r, hs->local->TextSearch(req));
    return EncodeSearchResult(r);
  }
  if (op == "sparse_search") {
    PDB_ASSIGN_OR_RETURN(SparseSearchRequest req,
                         DecodeSparseSearchRequest(body));
    PDB_ASSIGN_OR_RETURN(SearchResult r, hs->local->SparseSearch(req));
    return EncodeSearchResult(r);
  }
  if (op == "text_stats") {
    PDB_ASSIGN_OR_RETURN(TextSearchRequest req, DecodeTextSearchRequest(body));
    PDB_ASSIGN_OR_RETURN(TextCorpusStats s, hs->local->TextStats(req));
    return EncodeTextStats(s);
  }
  if (op == "info") return EncodeInfo(hs->local->Info());
  if (op == "flush") {
    PDB_RETURN_IF_ERROR(hs->local->Flush());
    return std::string("{}");
  }
  if (op == "compact") {
    PDB_RETURN_IF_ERROR(hs->local->Compact());
    return std::string("{}");
  }
  return Status::InvalidArgument("unknown internal call '" + op + "'");
}

std::vector<ClusterNode::ReplicaState> ClusterNode::LocalReplicas() {
  std::vector<std::shared_ptr<HostedShard>> all;
  {
    MutexLock l(&mu_);
    for (const auto& [k, hs] : hosted_) all.push_back(hs);
  }
  std::vector<ReplicaState> out;
  for (const auto& hs : all) {
    ReplicaState r;
    r.uid = hs->uid;
    r.shard = hs->shard;
    r.primary = hs->is_primary();
    if (hs->replica) {
      r.applied_seq = hs->replica->position().applied_seq;
      Status s = hs->replica->status();
      r.state = !s.ok()              ? "error: " + s.ToString()
                : hs->learner.load() ? "joining"
                                     : "following";
    }
    out.push_back(std::move(r));
  }
  MutexLock l(&mu_);
  for (const auto& [key, pending] : restoring_) {
    ReplicaState r;
    r.uid = pending.uid;
    r.shard = pending.shard;
    r.state = "restoring: " + pending.state;
    out.push_back(std::move(r));
  }
  return out;
}

// --- remote calls ---

namespace {

std::shared_ptr<::grpc::Channel> ChannelTo(const std::string& address) {
  static Mutex mu;
  static auto* channels =
      new std::map<std::string, std::shared_ptr<::grpc::Channel>>();
  MutexLock l(&mu);
  auto& ch = (*channels)[address];
  if (!ch) {
    ::grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    args.SetMaxSendMessageSize(256 << 20);
    // A node that comes back is reached within a second (gRPC's default
    // backoff grows to 2 minutes).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // A node that stops answering (paused, cut off) fails the calls under
    // way within about 4 s instead of at their deadline: their outcome is
    // unknown either way, and the next write looks for a new primary. The
    // internal server allows pings this often (rpc/shard_rpc.cc).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    ch = ::grpc::CreateCustomChannel(
        address, ::grpc::InsecureChannelCredentials(), args);
  }
  return ch;
}

// `write`: the call was a write that may have been sent, so a broken
// connection leaves its outcome unknown.
// The cluster's internal token on an outgoing call (when there is one).
void AddToken(::grpc::ClientContext* ctx, const std::string& token) {
  if (!token.empty()) ctx->AddMetadata(kClusterTokenHeader, token);
}

Status TransportStatus(const ::grpc::Status& s, const std::string& address,
                       bool write) {
  if (s.error_code() == ::grpc::StatusCode::UNAVAILABLE) {
    return Status::Unavailable(
        (write ? "the connection to node at " + address +
                     " broke during the write (its outcome is unknown): "
               : "cannot reach node at " + address + ": ") +
        s.error_message());
  }
  if (s.error_code() == ::grpc::StatusCode::UNAUTHENTICATED) {
    // A configuration error, not a transient one: retrying cannot help.
    return Status::FailedPrecondition(s.error_message() + " (node at " +
                                      address + ")");
  }
  if (s.error_code() == ::grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Status::Unavailable("node at " + address +
                               " did not answer in time (the outcome of a "
                               "write is then unknown)");
  }
  return Status::Internal("internal call to " + address +
                          " failed: " + s.error_message());
}

}  // namespace

// Whether the channel is (or gets) connected within `ms`. A connection
// attempt that fails (refused: the node stopped or is restarting) answers
// at once instead of waiting out the time: the router's cached primary may
// be a node that just went down, and the write then looks for the new one
// (measured: restarts cost each router's next write ~1 s, its connect
// timeout). A channel still backing off from an earlier failure tries
// again at once.
static bool ConnectedSoon(::grpc::Channel* channel, int64_t ms) {
  const auto by = std::chrono::system_clock::now() + milliseconds(ms);
  grpc_connectivity_state st = channel->GetState(/*try_to_connect=*/true);
  bool retried = false;
  while (st != GRPC_CHANNEL_READY) {
    if (st == GRPC_CHANNEL_TRANSIENT_FAILURE || st == GRPC_CHANNEL_SHUTDOWN) {
      if (retried || st == GRPC_CHANNEL_SHUTDOWN) return false;
      // Failed before this call (backing off): one fresh attempt.
      ::grpc::experimental::ChannelResetConnectionBackoff(channel);
      retried = true;
    }
    if (!channel->WaitForStateChange(st, by)) return false;
    st = channel->GetState(/*try_to_connect=*/true);
  }
  return true;
}

Result<WriteOutcome> ClusterNode::RemoteWrite(
    const std::string& address, const std::string& uid, uint32_t shard,
    WriteKind kind, const wal::WalBatch& batch, int64_t timeout_ms,
    int64_t connect_ms, bool* not_stored) {
  *not_stored = true;  // until the request may have left
  rpc::WriteRequest req;
  req.mutable_shard()->set_uid(uid);
  req.mutable_shard()->set_shard(shard);
  req.set_timeout_ms(timeout_ms);
  if (kind == WriteKind::kUpdateMetadata) {
    req.set_kind(rpc::WriteRequest::UPDATE_METADATA);
    req.set_id(batch.ops.at(0).id);
    req.set_metadata_json(batch.ops.at(0).metadata_json);
  } else if (kind == WriteKind::kPatchMetadata) {
    req.set_kind(rpc::WriteRequest::PATCH_METADATA);
    for (const auto& op : batch.ops) req.add_ids(op.id);
    req.set_metadata_json(batch.ops.at(0).metadata_json);
  } else {
    req.set_kind(kind == WriteKind::kDeleteCounted
                     ? rpc::WriteRequest::DELETE_COUNTED
                     : rpc::WriteRequest::BATCH);
    ShardEntry e;
    e.batch = batch;
    PDB_ASSIGN_OR_RETURN(std::string bytes, EncodeShardEntry(e));
    req.set_entry(std::move(bytes));
  }
  // Connected first, so that a node down (or stopped before the
  // handshake) is known not to have the request: only then may the write
  // go elsewhere. A failure once the call is under way leaves its outcome
  // unknown (*not_stored false).
  std::shared_ptr<::grpc::Channel> channel = ChannelTo(address);
  if (!ConnectedSoon(channel.get(), std::min(timeout_ms, connect_ms))) {
    return Status::Unavailable("cannot reach node at " + address);
  }
  *not_stored = false;
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(timeout_ms));
  AddToken(&ctx, options_.internal_token);
  rpc::Reply reply;
  auto stub = rpc::ShardRpc::NewStub(channel);
  ::grpc::Status gs = stub->Write(&ctx, req, &reply);
  if (gs.error_code() == ::grpc::StatusCode::UNAUTHENTICATED) {
    *not_stored = true;  // refused before anything was done
  }
  if (!gs.ok()) return TransportStatus(gs, address, /*write=*/true);
  *not_stored = reply.not_stored();
  PDB_RETURN_IF_ERROR(ReplyToStatus(reply));
  WriteOutcome out{reply.seq(), reply.count(), {}};
  out.not_found.assign(reply.not_found().begin(), reply.not_found().end());
  return out;
}

Result<std::string> ClusterNode::RemoteCall(const std::string& address,
                                            const std::string& uid,
                                            uint32_t shard,
                                            const std::string& op,
                                            const std::string& body,
                                            bool strong, int64_t timeout_ms) {
  rpc::CallRequest req;
  req.mutable_shard()->set_uid(uid);
  req.mutable_shard()->set_shard(shard);
  req.set_op(op);
  req.set_strong(strong);
  req.set_body(body);
  req.set_timeout_ms(timeout_ms);
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(timeout_ms));
  AddToken(&ctx, options_.internal_token);
  rpc::Reply reply;
  auto stub = rpc::ShardRpc::NewStub(ChannelTo(address));
  ::grpc::Status gs = stub->Call(&ctx, req, &reply);
  if (!gs.ok()) return TransportStatus(gs, address, /*write=*/false);
  PDB_RETURN_IF_ERROR(ReplyToStatus(reply));
  return std::move(*reply.mutable_body());
}

Result<std::vector<ClusterNode::ReplicaState>> ClusterNode::RemoteStatus(
    const std::string& address) {
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(2000));
  AddToken(&ctx, options_.internal_token);
  rpc::StatusRequest req;
  rpc::StatusReply reply;
  auto stub = rpc::ShardRpc::NewStub(ChannelTo(address));
  ::grpc::Status gs = stub->NodeStatus(&ctx, req, &reply);
  if (!gs.ok()) return TransportStatus(gs, address, /*write=*/false);
  std::vector<ReplicaState> out;
  for (const auto& r : reply.replicas()) {
    out.push_back(
        {r.uid(), r.shard(), r.applied_seq(), r.primary(), r.state()});
  }
  return out;
}

Result<ClusterInfo> ClusterNode::Info() {
  ClusterInfo info;
  info.enabled = true;
  info.node_id = options_.node_id;
  PDB_ASSIGN_OR_RETURN(RangeResult nodes, etcd_->GetPrefix(keys_.nodes()));
  std::map<std::string, std::vector<ReplicaState>> reported;
  for (const auto& kv : nodes.kvs) {
    ClusterNodeInfo n;
    n.node_id = kv.key.substr(keys_.nodes().size());
    n.alive = true;
    auto j = nlohmann::json::parse(kv.value, nullptr, false);
    if (j.is_object()) {
      n.rest_address = j.value("rest", "");
      n.grpc_address = j.value("grpc", "");
      n.rest_url = j.value("rest_url", "http://" + n.rest_address);
    }
    if (n.node_id == options_.node_id) {
      reported[n.node_id] = LocalReplicas();
    } else if (j.is_object() && j.contains("internal") &&
               j["internal"].is_string()) {
      auto r = RemoteStatus(j["internal"].get<std::string>());
      if (r.ok()) reported[n.node_id] = std::move(r).value();
    }
    info.nodes.push_back(std::move(n));
  }
  PDB_ASSIGN_OR_RETURN(auto cols, ListCollections());
  PDB_ASSIGN_OR_RETURN(RangeResult drains, etcd_->GetPrefix(keys_.drains()));
  PDB_ASSIGN_OR_RETURN(RangeResult snaps, etcd_->GetPrefix(keys_.snapshots()));
  std::map<std::string, ShardSnapshotRecord> snapshots;
  for (const auto& kv : snaps.kvs) {
    auto r = DecodeShardSnapshotRecord(kv.value, kv.key);
    if (r.ok()) snapshots[kv.key] = std::move(r).value();
  }
  std::set<std::string> draining;
  for (const auto& kv : drains.kvs) {
    draining.insert(kv.key.substr(keys_.drains().size()));
  }
  // Nodes that hold replicas but are down, or are being drained, are
  // listed too (alive: false).
  std::map<std::string, uint32_t> held;
  for (const auto& c : cols) {
    for (const auto& nodes_of : c.placement) {
      for (const auto& n : nodes_of) ++held[n];
    }
  }
  for (const auto& id : draining) held.emplace(id, 0);
  for (const auto& [id, count] : held) {
    auto it = std::find_if(info.nodes.begin(), info.nodes.end(),
                           [&](const auto& n) { return n.node_id == id; });
    if (it == info.nodes.end()) {
      ClusterNodeInfo n;
      n.node_id = id;
      info.nodes.push_back(std::move(n));
    }
  }
  std::sort(info.nodes.begin(), info.nodes.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  for (auto& n : info.nodes) {
    n.draining = draining.count(n.node_id) != 0;
    n.replicas = held.count(n.node_id) != 0 ? held[n.node_id] : 0;
  }
  for (const auto& c : cols) {
    for (uint32_t k = 0; k < c.shard_count(); ++k) {
      ClusterShardInfo s;
      s.collection = c.name();
      s.shard = k;
      s.stream = ShardStream(options_.cluster_namespace, c.uid, k);
      auto leader = etcd_->Get(keys_.primary(c.uid, k));
      if (leader.ok() && !leader->kvs.empty()) {
        s.primary = leader->kvs[0].value;
        s.fencing_token = static_cast<uint64_t>(leader->kvs[0].create_revision);
      }
      auto st = log_->State(s.stream);
      if (st.ok()) {
        s.last_seq = st->last_seq;
        s.first_seq = st->first_seq;
      }
      if (auto snap = snapshots.find(keys_.snapshot(c.uid, k));
          snap != snapshots.end()) {
        s.snapshot_id = snap->second.snapshot_id;
        s.snapshot_node = snap->second.node_id;
        s.snapshot_seq = snap->second.position.applied_seq;
        s.snapshot_unix_ms = snap->second.created_unix_ms;
      }
      // The replicas, then a move's new replica (state "joining").
      std::vector<std::string> members = c.placement[k];
      for (const auto& m : c.moves) {
        if (m.shard == k) members.push_back(m.to);
      }
      for (const auto& n : members) {
        ClusterReplicaInfo r;
        r.node_id = n;
        r.primary = n == s.primary;
        r.state = "unreachable";
        auto it = reported.find(n);
        if (it != reported.end()) {
          for (const auto& rs : it->second) {
            if (rs.uid == c.uid && rs.shard == k) {
              r.reported = true;
              r.applied_seq = rs.applied_seq;
              r.lag =
                  s.last_seq > rs.applied_seq ? s.last_seq - rs.applied_seq : 0;
              r.state = rs.state;
            }
          }
          if (!r.reported) r.state = "not open";
        }
        const bool member =
            std::find(c.placement[k].begin(), c.placement[k].end(), n) !=
            c.placement[k].end();
        if (member && r.reported) s.lag = std::max(s.lag, r.lag);
        s.replicas.push_back(std::move(r));
      }
      info.shards.push_back(std::move(s));
    }
  }
  return info;
}

Status ClusterNode::SetDraining(const std::string& node_id, bool draining) {
  PDB_ASSIGN_OR_RETURN(RangeResult live, etcd_->Get(keys_.node(node_id)));
  bool known = !live.kvs.empty();
  if (!known) {
    PDB_ASSIGN_OR_RETURN(auto cols, ListCollections());
    for (const auto& c : cols) {
      for (const auto& nodes : c.placement) {
        if (std::find(nodes.begin(), nodes.end(), node_id) != nodes.end()) {
          known = true;
        }
      }
    }
  }
  if (!known && draining) {
    return Status::NotFound("node '" + node_id +
                            "' is neither live nor holds a replica");
  }
  if (draining) {
    const nlohmann::json value = {{"since_unix_ms", NowUnixMs()}};
    PDB_RETURN_IF_ERROR(
        etcd_->Put(keys_.drain(node_id), value.dump()).status());
  } else {
    PDB_RETURN_IF_ERROR(etcd_->Delete(keys_.drain(node_id)).status());
  }
  MutexLock l(&mu_);
  cv_.SignalAll();  // the rebalancer looks again now
  return Status::OK();
}

}  // namespace proximadb::cluster
