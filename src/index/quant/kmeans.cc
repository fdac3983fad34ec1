#include "index/quant/kmeans.h"

#include <algorithm>

#include "index/distance.h"
#include "util/parallel_for.h"

namespace proximadb::index::quant {

uint32_t NearestOf(const float* y, const float* c, uint32_t k, uint32_t dim) {
  uint32_t best = 0;
  float best_d = L2Sqr(y, c, dim);
  for (uint32_t j = 1; j < k; ++j) {
    const float d = L2Sqr(y, c + size_t(j) * dim, dim);
    if (d < best_d) best_d = d, best = j;
  }
  return best;
}

std::vector<float> Kmeans(const std::vector<float>& rows, uint32_t n,
                          uint32_t dim, uint32_t k, int rounds,
                          uint32_t threads) {
  std::vector<float> c(size_t(k) * dim);
  for (uint32_t j = 0; j < k; ++j) {
    const float* y = rows.data() + size_t(uint64_t(j) * n / k) * dim;
    std::copy(y, y + dim, c.begin() + size_t(j) * dim);
  }
  std::vector<uint32_t> assign(n);
  std::vector<double> sum(size_t(k) * dim);
  std::vector<uint32_t> count(k);
  for (int round = 0; round < rounds; ++round) {
    ParallelFor(n, threads, [&](uint32_t b, uint32_t e) {
      for (uint32_t i = b; i < e; ++i) {
        assign[i] = NearestOf(rows.data() + size_t(i) * dim, c.data(), k, dim);
      }
    });
    // Summed in row order whatever the threads: the same floats every time.
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0u);
    for (uint32_t i = 0; i < n; ++i) {
      ++count[assign[i]];
      const float* y = rows.data() + size_t(i) * dim;
      double* s = sum.data() + size_t(assign[i]) * dim;
      for (uint32_t d = 0; d < dim; ++d) s[d] += y[d];
    }
    for (uint32_t j = 0; j < k; ++j) {
      if (count[j] == 0) continue;
      for (uint32_t d = 0; d < dim; ++d) {
        c[size_t(j) * dim + d] =
            static_cast<float>(sum[size_t(j) * dim + d] / count[j]);
      }
    }
  }
  return c;
}

}  // namespace proximadb::index::quant
