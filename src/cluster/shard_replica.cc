#include "cluster/shard_replica.h"

#include <chrono>

#include <spdlog/spdlog.h>

namespace proximadb::cluster {

ShardReplica::ShardReplica(JetStreamLog* log,
                           std::unique_ptr<ShardApplier> applier,
                           ShardReplicaOptions options)
    : log_(log), options_(std::move(options)), applier_(std::move(applier)) {
  pos_ = applier_->position();
}

Result<std::unique_ptr<ShardReplica>> ShardReplica::Start(
    JetStreamLog* log, std::unique_ptr<ShardApplier> applier,
    ShardReplicaOptions options) {
  if (options.stream.empty() || options.subject.empty()) {
    return Status::InvalidArgument("a shard replica needs its stream");
  }
  std::unique_ptr<ShardReplica> r(
      new ShardReplica(log, std::move(applier), std::move(options)));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

ShardReplica::~ShardReplica() { Stop(); }

void ShardReplica::Stop() {
  {
    MutexLock lock(&mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  Status s = applier_->Persist();
  if (!s.ok()) {
    spdlog::warn("shard {}: applied position not saved: {}", options_.stream,
                 s.ToString());
  }
}

bool ShardReplica::Stopping() {
  MutexLock lock(&mu_);
  return stop_;
}

void ShardReplica::Published(Status s) {
  MutexLock lock(&mu_);
  pos_ = applier_->position();
  status_ = std::move(s);
  cv_.SignalAll();
}

void ShardReplica::Run() {
  while (!Stopping()) {
    Status s = Follow();
    if (s.ok()) break;  // stopped
    Published(s);
    spdlog::warn("shard {}: replica stopped at entry {}: {}; retrying",
                 options_.stream, applier_->position().applied_seq,
                 s.ToString());
    MutexLock lock(&mu_);
    if (!stop_) {
      cv_.WaitFor(&mu_, std::chrono::milliseconds(options_.retry_ms));
    }
  }
}

Status ShardReplica::Follow() {
  PDB_ASSIGN_OR_RETURN(auto reader,
                       log_->Read(options_.stream, options_.subject,
                                  applier_->position().applied_seq + 1));
  Published(Status::OK());  // following again
  auto last_persist = std::chrono::steady_clock::now();
  std::vector<LogEntry> entries;
  while (!Stopping()) {
    entries.clear();
    PDB_RETURN_IF_ERROR(reader->Next(options_.batch, 50, &entries));
    for (const LogEntry& e : entries) {
      Status s = applier_->Apply(e.seq, e.data);
      // kOutOfRange means "the log lacks the entry" (behind_log) only.
      if (s.code() == StatusCode::kOutOfRange) {
        return Status::Internal(s.message());
      }
      PDB_RETURN_IF_ERROR(s);
    }
    if (!entries.empty()) Published(Status::OK());
    const auto now = std::chrono::steady_clock::now();
    if (now - last_persist >=
        std::chrono::milliseconds(options_.persist_interval_ms)) {
      PDB_RETURN_IF_ERROR(applier_->Persist());
      last_persist = now;
    }
  }
  return Status::OK();
}

Status ShardReplica::WaitForApplied(uint64_t seq, int64_t timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  MutexLock lock(&mu_);
  while (pos_.applied_seq < seq && !stop_) {
    if (!cv_.WaitUntil(&mu_, deadline) &&
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
  if (pos_.applied_seq >= seq) return Status::OK();
  std::string why = stop_          ? " (the replica stopped)"
                    : status_.ok() ? ""
                                   : " (" + status_.ToString() + ")";
  return Status::Unavailable("shard " + options_.stream + ": entry " +
                             std::to_string(seq) + " not applied within " +
                             std::to_string(timeout_ms) + " ms; applied " +
                             std::to_string(pos_.applied_seq) + why);
}

AppliedPosition ShardReplica::position() {
  MutexLock lock(&mu_);
  return pos_;
}

Status ShardReplica::status() {
  MutexLock lock(&mu_);
  return status_;
}

bool ShardReplica::behind_log() {
  MutexLock lock(&mu_);
  return status_.code() == StatusCode::kOutOfRange;
}

}  // namespace proximadb::cluster
