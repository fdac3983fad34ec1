// InflightLimit: the bound on requests being served at once, shared by the
// REST and gRPC transports (`[api] max_inflight_requests`). A request over
// the bound is refused immediately (REST 503 + Retry-After, gRPC
// RESOURCE_EXHAUSTED) rather than queued: queueing would only add latency
// and memory while the disk is already the bottleneck, and the client is
// better placed to back off.
//
// Thread-safety: lock-free; safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace proximadb::service {

class InflightLimit {
 public:
  // `max` <= 0: unlimited.
  explicit InflightLimit(int64_t max) : max_(max) {}
  InflightLimit(const InflightLimit&) = delete;
  InflightLimit& operator=(const InflightLimit&) = delete;

  // Takes a slot; false (and nothing taken) when all are in use.
  bool TryAcquire() {
    int64_t now = current_.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (max_ > 0 && now > max_) {
      current_.fetch_sub(1, std::memory_order_acq_rel);
      return false;
    }
    return true;
  }
  void Release() { current_.fetch_sub(1, std::memory_order_acq_rel); }
  int64_t current() const { return current_.load(std::memory_order_relaxed); }
  int64_t max() const { return max_; }

  // Holds one slot for its lifetime (when acquired).
  class Slot {
   public:
    explicit Slot(InflightLimit* limit)
        : limit_(limit), held_(limit == nullptr || limit->TryAcquire()) {}
    ~Slot() {
      if (held_ && limit_ != nullptr) limit_->Release();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    bool acquired() const { return held_; }

   private:
    InflightLimit* limit_;
    bool held_;
  };

 private:
  const int64_t max_;
  std::atomic<int64_t> current_{0};
};

}  // namespace proximadb::service
