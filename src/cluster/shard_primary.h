// ShardPrimary: the write side of one shard on the node elected its primary
// (cluster mode, docs/CLUSTER.md "Writes"). Writes of the shard are
// serialised here: each becomes one shard entry (shard_entry.h) stamped
// with the primary's fencing token, appended to the shard's stream with the
// expected last sequence (so an append by anyone else in between - a newer
// primary - makes this one fail: the stale primary is deposed, never
// acknowledged), and acknowledged only once JetStream acknowledged it (a
// quorum stored it) AND the local replica applied it (so the primary reads
// its own writes, and metadata updates resolve against current state).
//
// An append whose outcome is unknown (a timeout) is retried with the same id
// (JetStream de-duplicates it); if it stays unknown the write fails with
// kUnavailable and the primary re-reads the stream before the next one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cluster/nats/jetstream_log.h"
#include "cluster/shard_replica.h"
#include "storage/wal/wal_batch.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::cluster {

struct ShardPrimaryOptions {
  std::string stream;
  std::string subject;
  uint64_t token = 0;          // the election's fencing token
  std::string writer_id;       // unique per primary term, for append ids
  int64_t timeout_ms = 10000;  // per write: append retries + local apply
};

class ShardPrimary {
 public:
  // Takes over: waits until `local` applied the stream's last entry and
  // checks that no newer primary wrote (kFailedPrecondition otherwise).
  // `log` and `local` must outlive the primary.
  static Result<std::unique_ptr<ShardPrimary>> Start(
      JetStreamLog* log, ShardReplica* local, ShardPrimaryOptions options);

  // One client write (every op of one type; ids set). Returns the entry's
  // sequence once acknowledged and applied locally. kUnavailable when this
  // node is no longer the primary (deposed() is then true) or the log is
  // unreachable. `*not_stored` (when given) is set on failure when the
  // entry certainly is not in the log — deposed before the append, the
  // sync that precedes a first append failed, or the append refused by the
  // log's expected-sequence check — so that the
  // router may send the write to another primary; otherwise the outcome is
  // unknown and the write must not be sent again.
  Result<uint64_t> Write(wal::WalBatch batch, bool* not_stored = nullptr)
      EXCLUDES(mu_);
  bool deposed() EXCLUDES(mu_);
  uint64_t token() const { return options_.token; }

 private:
  ShardPrimary(JetStreamLog* log, ShardReplica* local,
               ShardPrimaryOptions options)
      : log_(log), local_(local), options_(std::move(options)) {}
  // Reads the stream's end and waits for the local replica to reach it.
  Status SyncLocked() REQUIRES(mu_);

  JetStreamLog* const log_;
  ShardReplica* const local_;
  const ShardPrimaryOptions options_;
  Mutex mu_;
  uint64_t last_seq_ GUARDED_BY(mu_) = 0;
  bool synced_ GUARDED_BY(mu_) = false;
  bool deposed_ GUARDED_BY(mu_) = false;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
};

}  // namespace proximadb::cluster
