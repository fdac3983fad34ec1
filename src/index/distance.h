// Distance kernels on float32 vectors. L2Sqr and Dot dispatch to the
// fastest kernel this CPU supports (scalar, AVX2+FMA, AVX-512), chosen once
// at start-up and overridable with PDB_SIMD=scalar|avx2|avx512; see
// index/simd/dispatch.h.
#pragma once

#include <cstddef>

#include "proximadb/types.h"

namespace proximadb::index {

float L2Sqr(const float* a, const float* b, size_t dim);
float Dot(const float* a, const float* b, size_t dim);
float Norm(const float* a, size_t dim);

// Internal "smaller is better" distance used by every index:
//   euclidean: squared L2; dot_product: -<a,b>;
//   cosine: 1 - <a,b> / (|a| |b|), computed from the stored norms so the
//   vectors themselves are kept exactly as the client sent them.
inline float InternalDistance(Metric m, const float* q, float q_norm,
                              const float* x, float x_norm, size_t dim) {
  switch (m) {
    case Metric::kEuclidean:
      return L2Sqr(q, x, dim);
    case Metric::kDotProduct:
      return -Dot(q, x, dim);
    case Metric::kCosine: {
      float denom = q_norm * x_norm;
      // Zero vectors are refused at the API edge for cosine; guard anyway.
      return denom > 0 ? 1.0f - Dot(q, x, dim) / denom : 1.0f;
    }
  }
  return 0;
}

// The score reported to clients for an internal distance: cosine similarity,
// L2 distance, or inner product (see Metric).
float ScoreFromDistance(Metric m, float internal_distance);

}  // namespace proximadb::index
