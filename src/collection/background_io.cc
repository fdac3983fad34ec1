#include "collection/background_io.h"

#include <algorithm>

namespace proximadb {

namespace {
// The task of this thread's innermost running BackgroundIoEnv::Task.
thread_local BackgroundIoEnv::Task* t_task = nullptr;

int64_t NanosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now() - t)
      .count();
}
}  // namespace

// A file created through the env: every append is throttled, then counted.
class BackgroundIoEnv::File final : public WritableFile {
 public:
  File(BackgroundIoEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      const size_t n = std::min(data.size(), kChunkBytes);
      env_->Throttle(n);
      Status s = base_->Append(data.substr(0, n));
      if (!s.ok()) return s;
      env_->Count(n);
      data.remove_prefix(n);
      // Paced writes reach the disk at the pace too: without a sync the
      // kernel would hold them as dirty pages and write them all at the
      // file's final fsync, one burst after all.
      unsynced_ += n;
      const uint64_t every = env_->SyncEveryBytes();
      if (every > 0 && unsynced_ >= every) {
        PDB_RETURN_IF_ERROR(base_->Sync());
        unsynced_ = 0;
      }
    }
    return Status::OK();
  }
  Status Sync() override {
    unsynced_ = 0;
    return base_->Sync();
  }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  BackgroundIoEnv* const env_;
  const std::unique_ptr<WritableFile> base_;
  uint64_t unsynced_ = 0;  // bytes appended since the last sync
};

BackgroundIoEnv::BackgroundIoEnv(
    Env* base, std::shared_ptr<IoBudget> budget,
    std::shared_ptr<const std::atomic<bool>> closing,
    std::shared_ptr<MemoryBudget> memory)
    : EnvWrapper(base),
      budget_(std::move(budget)),
      closing_(std::move(closing)),
      memory_(std::move(memory)) {}

BackgroundIoEnv::Task::Task(BackgroundIoEnv* env, BackgroundKind kind,
                            uint64_t segments, uint64_t bytes_total)
    : env_(env),
      outer_(t_task),
      kind_(kind),
      segments_(segments),
      started_(std::chrono::steady_clock::now()),
      bytes_total_(bytes_total) {
  if (env_ == nullptr) return;
  t_task = this;
  MutexLock lock(&env_->mu_);
  env_->tasks_.push_back(this);
}

BackgroundIoEnv::Task::~Task() {
  if (env_ == nullptr) return;
  t_task = outer_;
  MutexLock lock(&env_->mu_);
  auto& v = env_->tasks_;
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

Result<std::unique_ptr<WritableFile>> BackgroundIoEnv::Wrap(
    Result<std::unique_ptr<WritableFile>> f) {
  if (!f.ok()) return f.status();
  return std::unique_ptr<WritableFile>(
      std::make_unique<File>(this, std::move(f).value()));
}

Result<std::unique_ptr<WritableFile>> BackgroundIoEnv::NewWritableFile(
    const std::string& path) {
  return Wrap(target()->NewWritableFile(path));
}

Result<std::unique_ptr<WritableFile>> BackgroundIoEnv::NewAppendableFile(
    const std::string& path) {
  return Wrap(target()->NewAppendableFile(path));
}

uint64_t BackgroundIoEnv::SyncEveryBytes() const {
  // A quarter second of the budget, between one chunk and 8 MiB; never
  // without a budget (the file's own final sync is all there is).
  if (budget_ == nullptr) return 0;
  return std::clamp<uint64_t>(budget_->bytes_per_s() / 4, kChunkBytes,
                              uint64_t{8} << 20);
}

void BackgroundIoEnv::Throttle(size_t n) {
  if (budget_ == nullptr ||
      (closing_ != nullptr && closing_->load(std::memory_order_relaxed))) {
    return;
  }
  const std::chrono::nanoseconds waited = budget_->Acquire(n);
  throttled_ns_.fetch_add(waited.count(), std::memory_order_relaxed);
}

void BackgroundIoEnv::Count(size_t n) {
  Task* t = t_task;
  // Only a task of this env: a task of another collection's env on this
  // thread (never nested so today) would count elsewhere.
  while (t != nullptr && t->env_ != this) t = t->outer_;
  const BackgroundKind kind = t != nullptr ? t->kind_ : BackgroundKind::kOther;
  bytes_[static_cast<size_t>(kind)].fetch_add(n, std::memory_order_relaxed);
  if (t == nullptr) return;
  if (t->first_write_ns_.load(std::memory_order_relaxed) == 0) {
    t->first_write_ns_.store(std::max<int64_t>(NanosSince(t->started_), 1),
                             std::memory_order_relaxed);
  }
  t->bytes_done_.fetch_add(n, std::memory_order_relaxed);
}

BackgroundIo BackgroundIoEnv::Snapshot() const {
  BackgroundIo out;
  out.budget_bytes_per_s = budget_ != nullptr ? budget_->bytes_per_s() : 0;
  for (size_t k = 0; k < bytes_.size(); ++k) {
    out.bytes_written[std::string(kBackgroundKindNames[k])] =
        bytes_[k].load(std::memory_order_relaxed);
  }
  out.throttled_seconds =
      static_cast<double>(throttled_ns_.load(std::memory_order_relaxed)) / 1e9;
  MutexLock lock(&mu_);
  for (const Task* t : tasks_) {
    BackgroundTask task;
    task.kind = std::string(BackgroundKindName(t->kind_));
    task.segments = t->segments_;
    task.bytes_done = t->bytes_done_.load(std::memory_order_relaxed);
    task.bytes_total = t->bytes_total_.load(std::memory_order_relaxed);
    const int64_t age_ns = NanosSince(t->started_);
    task.seconds = static_cast<double>(age_ns) / 1e9;
    if (task.bytes_total > 0) {
      const double left = task.bytes_total > task.bytes_done
                              ? double(task.bytes_total - task.bytes_done)
                              : 0.0;
      const int64_t first = t->first_write_ns_.load(std::memory_order_relaxed);
      // The rate it has written at so far; before its first byte, the
      // budget's (an unlimited one gives no estimate).
      double rate = 0;
      if (first > 0 && age_ns > first && task.bytes_done > 0) {
        rate = double(task.bytes_done) / (double(age_ns - first) / 1e9);
      } else if (out.budget_bytes_per_s > 0) {
        rate = double(out.budget_bytes_per_s);
      }
      if (left == 0) {
        task.eta_seconds = 0;
      } else if (rate > 0) {
        task.eta_seconds = left / rate;
      }
    }
    out.tasks.push_back(std::move(task));
  }
  return out;
}

}  // namespace proximadb
