#include "cluster/shard_primary.h"

#include <chrono>
#include <thread>

#include "cluster/shard_entry.h"

namespace proximadb::cluster {

Result<std::unique_ptr<ShardPrimary>> ShardPrimary::Start(
    JetStreamLog* log, ShardReplica* local, ShardPrimaryOptions options) {
  if (options.token == 0 || options.writer_id.empty()) {
    return Status::InvalidArgument("a primary needs its token and writer id");
  }
  std::unique_ptr<ShardPrimary> p(
      new ShardPrimary(log, local, std::move(options)));
  MutexLock lock(&p->mu_);
  PDB_RETURN_IF_ERROR(p->SyncLocked());
  return p;
}

Status ShardPrimary::SyncLocked() {
  PDB_ASSIGN_OR_RETURN(StreamState st, log_->State(options_.stream));
  PDB_RETURN_IF_ERROR(local_->WaitForApplied(st.last_seq, options_.timeout_ms));
  const uint64_t newest = local_->position().max_token;
  if (newest > options_.token) {
    deposed_ = true;
    return Status::FailedPrecondition(
        "shard " + options_.stream + ": a newer primary (token " +
        std::to_string(newest) + ") wrote; this one has token " +
        std::to_string(options_.token));
  }
  last_seq_ = st.last_seq;
  synced_ = true;
  return Status::OK();
}

Result<uint64_t> ShardPrimary::Write(wal::WalBatch batch, bool* not_stored) {
  bool unused = false;
  if (not_stored == nullptr) not_stored = &unused;
  *not_stored = false;
  ShardEntry entry;
  entry.fencing_token = options_.token;
  entry.batch = std::move(batch);
  PDB_ASSIGN_OR_RETURN(std::string bytes, EncodeShardEntry(entry));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(options_.timeout_ms);
  MutexLock lock(&mu_);
  if (deposed_) {
    *not_stored = true;
    return Status::Unavailable("shard " + options_.stream +
                               ": this node is no longer its primary");
  }
  if (!synced_) {
    Status s = SyncLocked();
    if (!s.ok()) {
      *not_stored = true;  // nothing was appended yet
      return s.code() == StatusCode::kFailedPrecondition
                 ? Status::Unavailable(s.message())
                 : s;
    }
  }
  AppendOptions o;
  o.expected_last_seq = last_seq_;
  o.id = options_.writer_id + "-" + std::to_string(next_id_++);
  Result<uint64_t> seq = Status::Unavailable("not tried");
  while (true) {
    seq = log_->Append(options_.subject, bytes, o);
    if (seq.ok() || seq.status().code() != StatusCode::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    // The outcome is unknown: the same id again is stored at most once.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!seq.ok()) {
    if (seq.status().code() == StatusCode::kFailedPrecondition) {
      // Someone else appended: a newer primary. Never stored.
      deposed_ = true;
      *not_stored = true;
      return Status::Unavailable("shard " + options_.stream +
                                 ": another primary took over (" +
                                 seq.status().message() + ")");
    }
    synced_ = false;  // whether it was stored is unknown: re-read first
    return seq.status();
  }
  last_seq_ = *seq;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  Status applied =
      local_->WaitForApplied(*seq, std::max<int64_t>(left.count(), 1));
  if (!applied.ok()) {
    // Stored by a quorum (it will be applied), but not yet readable here.
    return Status::Unavailable(
        "the write is in the log (entry " + std::to_string(*seq) +
        ") but not yet applied on the primary: " + applied.message());
  }
  return *seq;
}

bool ShardPrimary::deposed() {
  MutexLock lock(&mu_);
  return deposed_;
}

}  // namespace proximadb::cluster
