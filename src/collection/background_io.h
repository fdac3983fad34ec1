// BackgroundIoEnv: the Env a collection's background writers use (flush,
// compaction, index and payload index builds, tier moves). It forwards
// every call to the collection's Env and, for the files it creates:
//
//  - takes every appended byte from the server's IoBudget first ([storage]
//    background_io_mb_per_s), in chunks of at most kChunkBytes, so a large
//    segment is written at the budget's pace instead of in one burst;
//  - with a budget, syncs each file every quarter second of the budget's
//    bytes (kChunkBytes..8 MiB), so the kernel writes them back at that
//    pace too, not in one burst at the writer's final fsync;
//  - counts the bytes per kind of work, and per running task (its
//    progress and ETA in collection stats and /metrics).
//
// Foreground writes (the WAL, the catalog, manifests) do not go through it.
// Once the collection is closing, its writes stop waiting for the budget,
// so a close or drop never waits for it.
//
// A Task is the unit of progress: one flush, one compaction, one index
// build. It is a scoped object on the thread doing the work; the writes of
// that thread while it lives count to it (index builds write their file
// from the thread that runs the build).
//
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/types.h"
#include "util/env_wrapper.h"
#include "util/io_budget.h"
#include "util/memory_budget.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

// In the order of kBackgroundKindNames (types.h).
enum class BackgroundKind : uint8_t {
  kFlush,
  kCompaction,
  kIndexBuild,
  kPayloadIndex,
  kTierMove,
  kOther,  // a write through the env outside any task
};
static_assert(static_cast<size_t>(BackgroundKind::kOther) + 1 ==
              std::size(kBackgroundKindNames));
static_assert(static_cast<size_t>(BackgroundKind::kTierMove) + 1 ==
              kBackgroundTaskKinds);
inline std::string_view BackgroundKindName(BackgroundKind k) {
  return kBackgroundKindNames[static_cast<size_t>(k)];
}

class BackgroundIoEnv final : public EnvWrapper {
 public:
  // Appends are taken from the budget in chunks of at most this size.
  static constexpr size_t kChunkBytes = 256 * 1024;

  // `budget` null: no limit (bytes are still counted). `closing` set: no
  // more waiting.
  BackgroundIoEnv(Env* base, std::shared_ptr<IoBudget> budget,
                  std::shared_ptr<const std::atomic<bool>> closing,
                  std::shared_ptr<MemoryBudget> memory = nullptr);

  // The memory budget the collection's background builds count against
  // (null: none).
  MemoryBudget* memory() const { return memory_.get(); }

  class Task {
   public:
    // Begins a task of `env` on this thread (`env` may be null: then the
    // task is nothing). `bytes_total` 0 = not known.
    Task(BackgroundIoEnv* env, BackgroundKind kind, uint64_t segments,
         uint64_t bytes_total);
    ~Task();
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

    // A better estimate of what the task will write.
    void set_bytes_total(uint64_t n) {
      bytes_total_.store(n, std::memory_order_relaxed);
    }

   private:
    friend class BackgroundIoEnv;
    BackgroundIoEnv* const env_;
    Task* const outer_;  // the thread's task before this one
    const BackgroundKind kind_;
    const uint64_t segments_;
    const std::chrono::steady_clock::time_point started_;
    std::atomic<uint64_t> bytes_total_;
    std::atomic<uint64_t> bytes_done_{0};
    // Nanoseconds since `started_` of the first byte written (0: none yet).
    std::atomic<int64_t> first_write_ns_{0};
  };

  // Counters since construction and the running tasks, oldest first.
  BackgroundIo Snapshot() const EXCLUDES(mu_);

  // EnvWrapper: the files it creates are throttled and counted; every
  // other call goes to the collection's env as it is.
  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;

 private:
  class File;
  // `f` (the target's file) wrapped: throttled, synced at the pace, counted.
  Result<std::unique_ptr<WritableFile>> Wrap(
      Result<std::unique_ptr<WritableFile>> f);
  // Takes `n` bytes from the budget (unless closing); counts the wait.
  void Throttle(size_t n);
  // With a budget, files are synced after every this many bytes appended,
  // so the disk sees the paced rate; 0 = only when the writer syncs.
  uint64_t SyncEveryBytes() const;
  // Counts `n` bytes written by this thread.
  void Count(size_t n);

  const std::shared_ptr<IoBudget> budget_;
  const std::shared_ptr<const std::atomic<bool>> closing_;
  const std::shared_ptr<MemoryBudget> memory_;
  std::array<std::atomic<uint64_t>, std::size(kBackgroundKindNames)> bytes_{};
  std::atomic<int64_t> throttled_ns_{0};
  mutable Mutex mu_;
  std::vector<const Task*> tasks_ GUARDED_BY(mu_);  // oldest first
};

}  // namespace proximadb
