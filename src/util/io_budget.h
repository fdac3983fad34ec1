// IoBudget: a rate limit on bytes, shared by every writer that takes from
// it ([storage] background_io_mb_per_s: flush, compaction, index builds).
//
// A token bucket in its "virtual scheduling" form (GCRA): the budget keeps
// the time at which everything reserved so far is paid for; a reservation
// of n bytes moves that time n / rate later, and the caller waits until it
// is at most `burst` ahead of now. Over any interval the bytes granted are
// at most rate * interval + rate * burst. Reservations are served in the
// order they were made, so concurrent writers share the rate.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

class IoBudget {
 public:
  using Steady = std::chrono::steady_clock;

  // `bytes_per_s` > 0.
  explicit IoBudget(uint64_t bytes_per_s, std::chrono::nanoseconds burst =
                                              std::chrono::milliseconds(100));
  IoBudget(const IoBudget&) = delete;
  IoBudget& operator=(const IoBudget&) = delete;

  uint64_t bytes_per_s() const { return bytes_per_s_; }

  // Reserves `n` bytes at `now`; returns how long the caller must wait
  // before writing them (zero when the budget has room).
  std::chrono::nanoseconds Reserve(uint64_t n, Steady::time_point now)
      EXCLUDES(mu_);
  // Reserve, then sleep for the wait; returns the wait.
  std::chrono::nanoseconds Acquire(uint64_t n) EXCLUDES(mu_);

 private:
  const uint64_t bytes_per_s_;
  const std::chrono::nanoseconds burst_;
  Mutex mu_;
  // When everything reserved so far is paid for (the epoch: nothing yet).
  Steady::time_point paid_until_ GUARDED_BY(mu_);
};

}  // namespace proximadb
