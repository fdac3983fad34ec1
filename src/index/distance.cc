#include "index/distance.h"

#include <algorithm>
#include <cmath>

#include "index/simd/dispatch.h"

namespace proximadb::index {

float L2Sqr(const float* a, const float* b, size_t dim) {
  return simd::ActiveKernels().l2(a, b, dim);
}

float Dot(const float* a, const float* b, size_t dim) {
  return simd::ActiveKernels().dot(a, b, dim);
}

float Norm(const float* a, size_t dim) { return std::sqrt(Dot(a, a, dim)); }

float ScoreFromDistance(Metric m, float d) {
  switch (m) {
    case Metric::kEuclidean:
      return std::sqrt(std::max(d, 0.0f));
    case Metric::kDotProduct:
      return -d;
    case Metric::kCosine:
      return 1.0f - d;
  }
  return d;
}

}  // namespace proximadb::index
