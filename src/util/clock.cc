#include <chrono>

#include "proximadb/db.h"

namespace proximadb {
namespace {

class RealClock final : public Clock {
 public:
  uint64_t NowMicros() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  }
};

}  // namespace

Clock* Clock::Real() {
  static RealClock* clock = new RealClock;  // never deleted
  return clock;
}

}  // namespace proximadb
