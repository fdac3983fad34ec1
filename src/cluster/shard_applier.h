// ShardApplier: applies a shard's log (shard_entry.h, in log order) to the
// replica's local collection, and remembers how far it got (cluster mode,
// docs/CLUSTER.md "Replicas").
//
// Exactly-once in effect without a transaction between the log and the
// engine: every entry is a "set" (an upsert writes whole points, a delete
// removes, a metadata update is logged as the whole resulting point), so
// applying again, in order, entries whose effect is already in the engine
// changes nothing. The applied position is therefore persisted lazily
// (<state_path>, FORMATS.md "Shard applied position"), never ahead of what
// the engine has made durable (each Apply returns after the engine's
// fsync); after a crash the replica re-applies from the persisted position.
//
// Fencing: an entry whose token is lower than the highest token applied so
// far comes from a primary that lost its lease after a newer one was
// elected: it is skipped, on every replica alike (the rule depends on the
// log alone), and counted.
//
// Not thread-safe: one applier per shard replica, driven by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proximadb/db.h"
#include "proximadb/env.h"
#include "proximadb/status.h"

namespace proximadb::cluster {

struct AppliedPosition {
  uint64_t applied_seq = 0;     // the last log sequence applied (0: none)
  uint64_t max_token = 0;       // the highest fencing token among them
  uint64_t fenced_entries = 0;  // entries skipped for a stale token
  bool operator==(const AppliedPosition&) const = default;
};

class ShardApplier {
 public:
  // Reads the persisted position at `state_path` (none yet: 0).
  static Result<std::unique_ptr<ShardApplier>> Open(
      Env* env, std::string state_path, std::shared_ptr<Collection> collection);

  // Applies log entry `seq`. An entry at or before the applied position is
  // skipped (OK); one after the next expected is kFailedPrecondition (a gap:
  // the caller lost entries). A malformed entry is kCorruption and stops
  // the replica: it must not guess.
  Status Apply(uint64_t seq, std::string_view data);
  // Writes the position durably (after Apply calls whose engine writes are
  // durable: always, since each Apply waited for the engine's fsync).
  Status Persist();

  // Writes `pos` durably at `state_path` as the position of a replica that
  // has no applier open (a replica restored from a shard snapshot starts
  // at the snapshot's position).
  static Status WritePosition(Env* env, const std::string& state_path,
                              const AppliedPosition& pos);

  const AppliedPosition& position() const { return pos_; }
  const AppliedPosition& persisted() const { return persisted_; }

 private:
  ShardApplier(Env* env, std::string state_path,
               std::shared_ptr<Collection> collection, AppliedPosition pos);

  Env* const env_;
  const std::string state_path_;
  const std::shared_ptr<Collection> collection_;
  AppliedPosition pos_;
  AppliedPosition persisted_;
};

}  // namespace proximadb::cluster
