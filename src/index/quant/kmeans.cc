#include "index/quant/kmeans.h"

#include <algorithm>

#include "index/distance.h"

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
                          uint32_t dim, uint32_t k, int rounds) {
  std::vector<float> c(size_t(k) * dim);
  for (uint32_t j = 0; j < k; ++j) {
    const float* y = rows.data() + size_t(uint64_t(j) * n / k) * dim;
    std::copy(y, y + dim, c.begin() + size_t(j) * dim);
  }
  std::vector<double> sum(size_t(k) * dim);
  std::vector<uint32_t> count(k);
  for (int round = 0; round < rounds; ++round) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0u);
    for (uint32_t i = 0; i < n; ++i) {
      const float* y = rows.data() + size_t(i) * dim;
      const uint32_t best = NearestOf(y, c.data(), k, dim);
      ++count[best];
      double* s = sum.data() + size_t(best) * dim;
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
