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
// every holder, shared or exclusive, takes its stripes in ascending order
// (one global order; a waiter holds only stripes below the one it waits
// for, and within a stripe waits only for earlier tickets).
//
// Thread-safety: all methods are safe from any thread. A stripe's own state
// is GUARDED_BY its mutex (checked); the stripes themselves guard no member
// (they order writes of an id), so they are not capabilities for the
// analysis, and the guards below are the only way to take them.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <functional>
#include <string_view>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

class IdLocks {
 public:
  static constexpr size_t kStripes = 64;
  using Mask = std::bitset<kStripes>;

  // One lock of the table: a ticket lock, so every holder is admitted in
  // arrival order; consecutive shared holders are admitted together.
  struct Stripe {
    Mutex mu;
    CondVar cv;
    uint64_t next_ticket GUARDED_BY(mu) = 0;
    uint64_t serving GUARDED_BY(mu) = 0;  // the ticket admitted next
    size_t readers GUARDED_BY(mu) = 0;
    bool writer GUARDED_BY(mu) = false;

    void LockShared() EXCLUDES(mu) {
      MutexLock l(&mu);
      const uint64_t t = next_ticket++;
      while (!(serving == t && !writer)) cv.Wait(&mu);
      ++readers;
      ++serving;
      cv.SignalAll();  // the next ticket may be a reader too
    }
    void UnlockShared() EXCLUDES(mu) {
      MutexLock l(&mu);
      if (--readers == 0) cv.SignalAll();
    }
    void Lock() EXCLUDES(mu) {
      MutexLock l(&mu);
      const uint64_t t = next_ticket++;
      while (!(serving == t && !writer && readers == 0)) cv.Wait(&mu);
      writer = true;
      ++serving;
    }
    void Unlock() EXCLUDES(mu) {
      {
        MutexLock l(&mu);
        writer = false;
      }
      cv.SignalAll();
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

  // Holds the stripe of one id, or the stripes of `mask` (a partial
  // metadata update of several points), exclusively for its lifetime.
  class ExclusiveGuard {
   public:
    ExclusiveGuard(IdLocks* locks, std::string_view id)
        : ExclusiveGuard(locks, Mask().set(StripeOf(id))) {}
    ExclusiveGuard(IdLocks* locks, const Mask& mask)
        : locks_(locks), mask_(mask) {
      for (size_t i = 0; i < kStripes; ++i) {
        if (mask_[i]) locks_->stripes_[i].Lock();
      }
    }
    ~ExclusiveGuard() {
      for (size_t i = 0; i < kStripes; ++i) {
        if (mask_[i]) locks_->stripes_[i].Unlock();
      }
    }
    ExclusiveGuard(const ExclusiveGuard&) = delete;
    ExclusiveGuard& operator=(const ExclusiveGuard&) = delete;

   private:
    IdLocks* const locks_;
    const Mask mask_;
  };

 private:
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace proximadb
