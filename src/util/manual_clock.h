// A Clock that only moves when a test says so, to drive age-based flushes
// deterministically. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "proximadb/db.h"

namespace proximadb {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_micros = 0) : now_(start_micros) {}
  uint64_t NowMicros() override { return now_.load(); }
  void Advance(uint64_t micros) { now_.fetch_add(micros); }
  void Set(uint64_t micros) { now_.store(micros); }

 private:
  std::atomic<uint64_t> now_;
};

}  // namespace proximadb
