// Runs a loop over [0, n) on several threads, in contiguous parts: the
// index builds' parallel passes (k-means assignment, IVF partitioning,
// encoding).
#pragma once

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace proximadb {

// Runs fn(begin, end) over [0, n) split into at most `threads` contiguous
// parts (one per 1024 items at most), the first on the calling thread.
template <typename Fn>
void ParallelFor(uint32_t n, uint32_t threads, Fn&& fn) {
  threads = std::max(1u, std::min(threads, n / 1024 + 1));
  if (threads == 1) {
    fn(0u, n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (uint32_t t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] {
      fn(uint32_t(uint64_t(n) * t / threads),
         uint32_t(uint64_t(n) * (t + 1) / threads));
    });
  }
  fn(0u, uint32_t(uint64_t(n) / threads));
  for (std::thread& th : pool) th.join();
}

}  // namespace proximadb
