// HostedShard: one replica of one shard on this node (cluster_node.h): its
// local engine collection, the ShardReplica following the shard's stream,
// and the campaign for the shard's primary (the winner runs ShardPrimary).
// Created, started and stopped by the node's reconcile thread; other
// threads hold it by shared pointer and may still read it once stopped.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "cluster/etcd/election.h"
#include "cluster/nats/jetstream_log.h"
#include "cluster/shard_primary.h"
#include "cluster/shard_replica.h"
#include "proximadb/db.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::cluster {

// A hosted shard's key in the node's maps: "<uid>/<shard>".
inline std::string ShardKey(const std::string& uid, uint32_t shard) {
  return uid + "/" + std::to_string(shard);
}

class HostedShard {
 public:
  HostedShard(std::string uid, uint32_t shard, std::string stream,
              std::string subject, std::string local_name)
      : uid(std::move(uid)),
        shard(shard),
        stream(std::move(stream)),
        subject(std::move(subject)),
        local_name(std::move(local_name)) {}
  ~HostedShard() { Stop(); }

  // Starts the campaign thread.
  void Campaign(EtcdClient* etcd, Lease* lease, JetStreamLog* log,
                const std::string& key, const std::string& node_id,
                int64_t timeout_ms) {
    election = std::make_unique<Election>(etcd, lease, key);
    campaign = std::thread([=, this] { Run(log, node_id, timeout_ms); });
  }

  // Ends the campaign (resigning a held primary, so that another replica
  // takes over at once) and stops following the stream.
  void Stop() {
    {
      MutexLock l(&mu);
      if (stopped) return;
      stopped = true;
      cv.SignalAll();
    }
    if (election) election->Cancel();
    if (campaign.joinable()) campaign.join();
    {
      MutexLock w(&write_mu);
      MutexLock l(&mu);
      primary.reset();
    }
    if (election) {
      (void)election->Resign();
      election.reset();
    }
    // The replica stops applying, but stays readable (its position): a
    // reader holding this shard may still ask.
    if (replica) replica->Stop();
  }

  bool is_primary() {
    MutexLock l(&mu);
    return primary != nullptr && !primary->deposed();
  }

  // The node the rebalancer asked this shard's primary to hand over to
  // ("" when none; ClusterKeys::handoff), set by the reconcile thread. The
  // primary, if it is another node, resigns kResignAfter after it saw the
  // request (once per request), and every replica but the target holds off
  // campaigning until kHoldOff after it saw it, so the target wins.
  void SetHandoff(const std::string& to) {
    MutexLock l(&mu);
    if (to == handoff_to) return;
    handoff_to = to;
    handoff_seen = std::chrono::steady_clock::now();
    handed_over = false;
  }

  // A learner follows the log to join the placement (a move's new replica,
  // rebalance.h): it neither campaigns nor is asked to serve. Set before
  // the shard is published and cleared by the reconcile thread when the
  // placement names this node (then it campaigns).
  std::atomic<bool> learner{false};

  const std::string uid;
  const uint32_t shard;
  const std::string stream;
  const std::string subject;
  const std::string local_name;
  std::shared_ptr<Collection> local;
  std::unique_ptr<ShardReplica> replica;
  // Serialises the writes of the shard at its primary, so that a write that
  // reads the local state first (a metadata update, a counted delete)
  // decides on the state its entry follows.
  Mutex write_mu;
  Mutex mu ACQUIRED_AFTER(write_mu);
  CondVar cv;
  std::unique_ptr<ShardPrimary> primary GUARDED_BY(mu);
  bool stopped GUARDED_BY(mu) = false;
  bool lost GUARDED_BY(mu) = false;
  std::string handoff_to GUARDED_BY(mu);
  std::chrono::steady_clock::time_point handoff_seen GUARDED_BY(mu);
  bool handed_over GUARDED_BY(mu) = false;

 private:
  // Longer than a campaign round (1 s), so that the other replicas see the
  // request before the primary resigns.
  static constexpr std::chrono::milliseconds kResignAfter{1600};
  static constexpr std::chrono::milliseconds kHoldOff{3000};

  // A hand-over to another node is under way (REQUIRES mu).
  bool HandoffElsewhere(const std::string& node_id) REQUIRES(mu) {
    return !handoff_to.empty() && handoff_to != node_id;
  }

  void Run(JetStreamLog* log, std::string node_id, int64_t timeout_ms) {
    while (true) {
      {
        MutexLock l(&mu);
        if (stopped) return;
        lost = false;
        if (HandoffElsewhere(node_id) &&
            std::chrono::steady_clock::now() < handoff_seen + kHoldOff) {
          cv.WaitFor(&mu, std::chrono::milliseconds(200));
          continue;
        }
        // A replica behind the log's first entry cannot lead: it waits for
        // the node to restore it from the shard's snapshot.
        if (replica->behind_log()) {
          cv.WaitFor(&mu, std::chrono::milliseconds(500));
          continue;
        }
      }
      Result<int64_t> token =
          election->Campaign(node_id, std::chrono::milliseconds(1000), [this] {
            MutexLock l(&mu);
            lost = true;
            cv.SignalAll();
          });
      if (!token.ok()) {
        if (token.status().code() != StatusCode::kUnavailable) {
          spdlog::warn("shard {}: campaign: {}", stream,
                       token.status().ToString());
          MutexLock l(&mu);
          cv.WaitFor(&mu, std::chrono::milliseconds(500));
        }
        continue;
      }
      ShardPrimaryOptions o;
      o.stream = stream;
      o.subject = subject;
      o.token = static_cast<uint64_t>(*token);
      o.writer_id = node_id + "-" + std::to_string(*token);
      o.timeout_ms = timeout_ms;
      auto p = ShardPrimary::Start(log, replica.get(), o);
      if (!p.ok()) {
        spdlog::warn("shard {}: elected (token {}) but cannot take over: {}",
                     stream, *token, p.status().ToString());
        (void)election->Resign();
        MutexLock l(&mu);
        cv.WaitFor(&mu, std::chrono::milliseconds(500));
        continue;
      }
      spdlog::info("shard {}: this node is its primary (token {})", stream,
                   *token);
      {
        MutexLock w(&write_mu);
        MutexLock l(&mu);
        primary = std::move(p).value();
      }
      // Lead until the lease or the term is lost, a newer primary wrote, or
      // the rebalancer asks for a hand-over.
      while (true) {
        MutexLock l(&mu);
        if (stopped || lost || primary->deposed()) break;
        if (HandoffElsewhere(node_id) && !handed_over &&
            std::chrono::steady_clock::now() >= handoff_seen + kResignAfter) {
          handed_over = true;
          spdlog::info("shard {}: handing its primary over to node {}", stream,
                       handoff_to);
          break;
        }
        cv.WaitFor(&mu, std::chrono::milliseconds(200));
        if (!election->is_leader()) break;
      }
      {
        MutexLock w(&write_mu);
        MutexLock l(&mu);
        primary.reset();
      }
      spdlog::info("shard {}: this node is no longer its primary", stream);
      (void)election->Resign();
    }
  }

  std::unique_ptr<Election> election;
  std::thread campaign;
};

}  // namespace proximadb::cluster
