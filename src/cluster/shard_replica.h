// ShardReplica: one replica of one shard, kept up to date in the
// background: a thread follows the shard's stream (JetStreamLog::Read) from
// the persisted position and applies every entry (ShardApplier), persisting
// the position every `persist_interval_ms` and when it stops. Callers wait
// for a position: a strong read waits until everything acknowledged before
// it is applied; a primary waits for its own append before answering.
//
// On an error (the log unreachable, a gap, a damaged entry) the replica
// reports it (status()) and retries after `retry_ms`, from where it got: a
// damaged entry is retried, never skipped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "cluster/nats/jetstream_log.h"
#include "cluster/shard_applier.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::cluster {

struct ShardReplicaOptions {
  std::string stream;
  std::string subject;
  int64_t persist_interval_ms = 200;
  int64_t retry_ms = 200;
  size_t batch = 256;  // entries taken from the log per read
};

class ShardReplica {
 public:
  // Starts following at once. `log` must outlive the replica.
  static Result<std::unique_ptr<ShardReplica>> Start(
      JetStreamLog* log, std::unique_ptr<ShardApplier> applier,
      ShardReplicaOptions options);
  ~ShardReplica();  // Stop()

  // Stops applying (joins the thread) and persists the position. The
  // replica stays readable; waits end at once with kUnavailable.
  void Stop() EXCLUDES(mu_);

  // Waits until entry `seq` is applied: OK, or kUnavailable after
  // `timeout_ms` (the message says where the replica is and why).
  Status WaitForApplied(uint64_t seq, int64_t timeout_ms) EXCLUDES(mu_);
  AppliedPosition position() EXCLUDES(mu_);
  // The last error of the follow loop (OK when it is following).
  Status status() EXCLUDES(mu_);
  // The log no longer holds the next entry this replica needs (it was
  // purged after a snapshot): only a restore from the shard's snapshot
  // lets it follow again (docs/CLUSTER.md, "Snapshots and stream
  // retention").
  bool behind_log() EXCLUDES(mu_);

 private:
  ShardReplica(JetStreamLog* log, std::unique_ptr<ShardApplier> applier,
               ShardReplicaOptions options);
  void Run() EXCLUDES(mu_);
  // One attempt: open a reader after the applied position and apply until
  // stopped or an error.
  Status Follow() EXCLUDES(mu_);
  bool Stopping() EXCLUDES(mu_);
  void Published(Status s) EXCLUDES(mu_);

  JetStreamLog* const log_;
  const ShardReplicaOptions options_;
  // Used by the follow thread only.
  const std::unique_ptr<ShardApplier> applier_;

  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  AppliedPosition pos_ GUARDED_BY(mu_);
  Status status_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace proximadb::cluster
