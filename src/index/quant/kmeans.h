// Lloyd's k-means over full-width rows, shared by the quantizers that code
// a row as its nearest centroid plus a residual (binary_quantizer,
// product_quantizer) and by the IVF index's partitions (ivf/ivf_index.cc).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace proximadb::index::quant {

// Lloyd rounds the quantizers train their centroids with.
inline constexpr int kKmeansRounds = 10;

// Whether every value is finite (trained or loaded centroids).
inline bool AllFinite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(),
                     [](float x) { return std::isfinite(x); });
}

// The nearest of the k centroids c (k x dim, row-major) to y in L2; the
// first on ties.
uint32_t NearestOf(const float* y, const float* c, uint32_t k, uint32_t dim);

// k centroids (k x dim, row-major) of the n rows (n x dim, row-major)
// after `rounds` Lloyd rounds, seeded with an even stride through the rows;
// a centroid that loses every row keeps its place. The assignment pass runs
// on `threads` threads; the result does not depend on them
// (deterministic).
std::vector<float> Kmeans(const std::vector<float>& rows, uint32_t n,
                          uint32_t dim, uint32_t k, int rounds,
                          uint32_t threads = 1);

}  // namespace proximadb::index::quant
