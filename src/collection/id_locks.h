// Per-id write ordering for the one read-modify-write the engine offers:
// a metadata update reads the point's current vector and logs the whole
// resulting point, so its replay needs no other state. Between that read and
// the record's apply no other write of the same id may slip in, or the
// update would silently undo it. Ids are hashed onto a fixed set of stripes;
// every write holds the stripes of its ids in shared mode from before its
// WAL append until it is applied, and a metadata update holds its id's
// stripe exclusively from its read until its apply. Writes of different
// stripes never wait for each other, and shared holders (batches of
// upserts and deletes) still share one group commit.
//
// Fair: each stripe admits holders in arrival order (a shared holder that
// arrives behind a waiting exclusive one waits for it), so neither a steady
// stream of batches nor of metadata updates starves the other. Deadlock-free:
// shared holders take their stripes in ascending order, and an exclusive
// holder takes one stripe and waits for no other lock while holding it.
//
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <array>
#include <bitset>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string_view>

namespace proximadb {

class IdLocks {
 public:
  static constexpr size_t kStripes = 64;
  using Mask = std::bitset<kStripes>;

  // One lock of the table: a ticket lock, so every holder is admitted in
  // arrival order; consecutive shared holders are admitted together.
  struct Stripe {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t next_ticket = 0;  // guarded by mu
    uint64_t serving = 0;      // guarded by mu: the ticket admitted next
    size_t readers = 0;        // guarded by mu
    bool writer = false;       // guarded by mu

    void LockShared() {
      std::unique_lock l(mu);
      const uint64_t t = next_ticket++;
      cv.wait(l, [&] { return serving == t && !writer; });
      ++readers;
      ++serving;
      cv.notify_all();  // the next ticket may be a reader too
    }
    void UnlockShared() {
      std::lock_guard l(mu);
      if (--readers == 0) cv.notify_all();
    }
    void Lock() {
      std::unique_lock l(mu);
      const uint64_t t = next_ticket++;
      cv.wait(l, [&] { return serving == t && !writer && readers == 0; });
      writer = true;
      ++serving;
    }
    void Unlock() {
      {
        std::lock_guard l(mu);
        writer = false;
      }
      cv.notify_all();
    }
  };

  IdLocks() = default;
  IdLocks(const IdLocks&) = delete;
  IdLocks& operator=(const IdLocks&) = delete;

  static size_t StripeOf(std::string_view id) {
    return std::hash<std::string_view>{}(id) % kStripes;
  }

  // Holds the stripes of `mask` shared for its lifetime.
  class SharedGuard {
   public:
    SharedGuard(IdLocks* locks, const Mask& mask) : locks_(locks), mask_(mask) {
      for (size_t i = 0; i < kStripes; ++i) {
        if (mask_[i]) locks_->stripes_[i].LockShared();
      }
    }
    ~SharedGuard() {
      for (size_t i = 0; i < kStripes; ++i) {
        if (mask_[i]) locks_->stripes_[i].UnlockShared();
      }
    }
    SharedGuard(const SharedGuard&) = delete;
    SharedGuard& operator=(const SharedGuard&) = delete;

   private:
    IdLocks* const locks_;
    const Mask mask_;
  };

  // Holds the stripe of one id exclusively for its lifetime.
  class ExclusiveGuard {
   public:
    ExclusiveGuard(IdLocks* locks, std::string_view id)
        : stripe_(&locks->stripes_[StripeOf(id)]) {
      stripe_->Lock();
    }
    ~ExclusiveGuard() { stripe_->Unlock(); }
    ExclusiveGuard(const ExclusiveGuard&) = delete;
    ExclusiveGuard& operator=(const ExclusiveGuard&) = delete;

   private:
    Stripe* const stripe_;
  };

 private:
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace proximadb
