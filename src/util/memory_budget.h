// MemoryBudget: what the collections of one DB hold in process memory, by
// part (MemoryUsage), against [storage] memory_limit_mb.
//
// Collections report changes of their own usage (Add, with the difference
// from what they reported before); a write asks Admit for room first. From
// half of the limit on, flushes are wanted (the memtables are the part a
// flush turns into mmapped segment files, which the kernel can reclaim);
// a write that would take the total past the limit is refused with
// kUnavailable naming the budget and what holds it. Limit 0: everything is
// counted, nothing refused.
//
// Thread-safe (atomics; the pressure callback is set before use).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

class MemoryBudget {
 public:
  static constexpr size_t kParts = std::size(kMemoryComponents);

  explicit MemoryBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  uint64_t limit() const { return limit_; }
  // Called (from a writer's thread) when flushes are wanted: the DB wakes
  // its flusher. Null: nothing (the DB clears it before it goes: a
  // collection handle may outlive it).
  void set_on_pressure(std::function<void()> f) EXCLUDES(pressure_mu_) {
    MutexLock lock(&pressure_mu_);
    on_pressure_ = std::move(f);
  }

  // Changes what is counted by `delta` (after - before) per part.
  void Add(const MemoryUsage& before, const MemoryUsage& after);
  MemoryUsage used() const;
  uint64_t total() const;
  // From half of the limit on (never without a limit).
  bool FlushWanted() const { return limit_ > 0 && total() >= limit_ / 2; }

  // Room for a write that adds about `bytes` to `collection`'s memtable:
  // OK, or kUnavailable naming the budget and what holds it. Wakes the
  // flusher when flushes are wanted.
  Status Admit(uint64_t bytes, const std::string& collection)
      EXCLUDES(pressure_mu_);

  // Counts `bytes` as graphs while it lives: a build in progress, whose
  // memory is not in any collection's report until it is served.
  class Hold {
   public:
    Hold(MemoryBudget* budget, uint64_t bytes) : budget_(budget) {
      usage_.graphs = bytes;
      if (budget_ != nullptr) budget_->Add(MemoryUsage{}, usage_);
    }
    ~Hold() {
      if (budget_ != nullptr) budget_->Add(usage_, MemoryUsage{});
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    MemoryBudget* const budget_;
    MemoryUsage usage_;
  };

 private:
  const uint64_t limit_;
  Mutex pressure_mu_;
  std::function<void()> on_pressure_ GUARDED_BY(pressure_mu_);
  std::array<std::atomic<int64_t>, kParts> parts_{};
};

// Keeps what one collection reported, so that each report adds only the
// difference (and Clear takes it all back: drop, close).
class MemoryReporter {
 public:
  // Shares the budget: a collection handle may outlive its DB.
  explicit MemoryReporter(std::shared_ptr<MemoryBudget> budget)
      : budget_(std::move(budget)) {}
  ~MemoryReporter() { Clear(); }
  MemoryReporter(const MemoryReporter&) = delete;
  MemoryReporter& operator=(const MemoryReporter&) = delete;

  // The memtables' bytes now (the other parts unchanged).
  void SetMemtables(uint64_t bytes);
  // Every part but the memtables, now.
  void SetSegments(const MemoryUsage& usage);
  MemoryUsage reported() const;
  void Clear();

 private:
  const std::shared_ptr<MemoryBudget> budget_;  // null: nothing is counted
  // Parts [first, end) of kMemoryComponents to `usage`'s.
  void Set(size_t first, size_t end, const MemoryUsage& usage);

  // What was reported, by part (kMemoryComponents' order).
  std::array<std::atomic<uint64_t>, MemoryBudget::kParts> parts_{};
};

}  // namespace proximadb
