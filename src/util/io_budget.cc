#include "util/io_budget.h"

#include <algorithm>
#include <thread>

namespace proximadb {

IoBudget::IoBudget(uint64_t bytes_per_s, std::chrono::nanoseconds burst)
    : bytes_per_s_(std::max<uint64_t>(bytes_per_s, 1)), burst_(burst) {}

std::chrono::nanoseconds IoBudget::Reserve(uint64_t n, Steady::time_point now) {
  // n / rate in nanoseconds, without overflow for any n below 2^64 / 1e9
  // bytes per call (callers reserve chunks of at most a few MiB).
  const auto cost = std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<long double>(n) * 1e9L /
                           static_cast<long double>(bytes_per_s_)));
  MutexLock lock(&mu_);
  // An idle budget does not save up more than `burst` of credit.
  paid_until_ = std::max(paid_until_, now) + cost;
  const auto wait = paid_until_ - burst_ - now;
  return std::max(std::chrono::nanoseconds(0),
                  std::chrono::duration_cast<std::chrono::nanoseconds>(wait));
}

std::chrono::nanoseconds IoBudget::Acquire(uint64_t n) {
  const std::chrono::nanoseconds wait = Reserve(n, Steady::now());
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
  return wait;
}

}  // namespace proximadb
