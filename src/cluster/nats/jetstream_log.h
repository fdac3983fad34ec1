// JetStreamLog: NATS JetStream as a replicated, ordered log (cluster mode's
// shard log, docs/CLUSTER.md). One stream per shard; its replicas are the
// replication factor; an append returns once JetStream acknowledged it,
// i.e. once a quorum of the stream's replicas stored it (JetStream's Raft).
// Readers follow a stream from any sequence, in order.
//
// Over the NATS C client (libnats, cnats 3.4); nothing of it leaks out of
// this header. Errors are values: no server / a timeout / a closed
// connection -> kUnavailable; a stream that does not exist -> kNotFound; an
// append whose expected last sequence is not the stream's ->
// kFailedPrecondition (another writer appended first: the fencing of a stale
// primary).
//
// Thread-safety: JetStreamLog is safe for concurrent use; a LogReader is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::cluster {

struct JetStreamOptions {
  // "nats://host:port" of one or more servers of the NATS cluster.
  std::vector<std::string> urls;
  // Deadline of each request to JetStream (publish acknowledgement, stream
  // management) and of the first connection.
  int64_t timeout_ms = 5000;
  // For the server's connection list ("proximadb-<node>").
  std::string client_name = "proximadb";
};

struct StreamSpec {
  std::string name;     // [A-Za-z0-9_-]
  std::string subject;  // the one subject appends go to
  int replicas = 1;     // 1..5 (JetStream's limit)
  // Retention (0 = no limit): entries beyond are removed oldest first.
  uint64_t max_bytes = 0;
  int64_t max_age_ms = 0;
  // Duplicate window for append ids (JetStream's Nats-Msg-Id); 0 = the
  // server's default (2 minutes).
  int64_t duplicate_window_ms = 0;
};

struct StreamReplica {
  std::string server;  // NATS server name
  bool current = false;
  bool offline = false;
  uint64_t lag = 0;  // entries behind the leader
};

struct StreamState {
  uint64_t first_seq = 0;  // 0 when empty
  uint64_t last_seq = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  std::string leader;  // NATS server name; "" for a non-clustered server
  std::vector<StreamReplica> replicas;  // the followers
};

struct LogEntry {
  uint64_t seq = 0;
  std::string data;
  int64_t time_unix_nanos = 0;  // JetStream's timestamp of the append
};

struct AppendOptions {
  // The append is stored only when the stream's last sequence is this one
  // (kFailedPrecondition otherwise; nothing stored).
  std::optional<uint64_t> expected_last_seq;
  // JetStream de-duplicates appends of one id within the stream's duplicate
  // window: a retried append (after a timeout) is stored once. The result
  // is the sequence of the first.
  std::string id;
};

class LogReader {
 public:
  virtual ~LogReader() = default;
  // Appends up to `max_entries` entries to *out, in sequence order; waits
  // up to `wait_ms` for the first one (0: do not wait). OK with none appended
  // when nothing came in time.
  virtual Status Next(size_t max_entries, int64_t wait_ms,
                      std::vector<LogEntry>* out) = 0;
  // The sequence of the next entry Next delivers.
  virtual uint64_t next_seq() const = 0;
};

class JetStreamLog {
 public:
  static Result<std::unique_ptr<JetStreamLog>> Connect(
      const JetStreamOptions& options);
  virtual ~JetStreamLog() = default;

  // Creates the stream, or checks an existing one: its subject and
  // replicas must be `spec`'s (kFailedPrecondition otherwise); retention
  // limits are updated to `spec`'s.
  virtual Status EnsureStream(const StreamSpec& spec) = 0;
  // kNotFound when there is none.
  virtual Status DeleteStream(const std::string& name) = 0;
  virtual Result<StreamState> State(const std::string& name) = 0;
  // Appends one entry to `subject`; returns its sequence once JetStream
  // acknowledged it.
  virtual Result<uint64_t> Append(const std::string& subject,
                                  std::string_view data,
                                  const AppendOptions& options) = 0;
  // One entry by sequence (kNotFound when it is not in the stream).
  virtual Result<LogEntry> Get(const std::string& stream, uint64_t seq) = 0;
  // Removes every entry before `keep_from` (JetStream's purge up to a
  // sequence; entries from `keep_from` on stay, and later appends keep
  // their numbering). Reading from a removed entry is kOutOfRange from then
  // on. kNotFound when the stream does not exist.
  virtual Status Purge(const std::string& stream, uint64_t keep_from) = 0;
  // Follows `stream` (its `subject`) from sequence `from_seq` (>= 1), in
  // order, without gaps. kOutOfRange when `from_seq` is before the stream's
  // first retained entry (entries were purged), also while following.
  virtual Result<std::unique_ptr<LogReader>> Read(const std::string& stream,
                                                  const std::string& subject,
                                                  uint64_t from_seq) = 0;
};

}  // namespace proximadb::cluster
