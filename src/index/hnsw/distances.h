// The distance computers the graph walks with: "distance from the current
// query to row r", for float vectors and for 8-bit codes. Both keep the
// semantics of InternalDistance (euclidean: squared L2; dot: -<q,x>;
// cosine: 1 - <q,x> / (|q||x|) with the stored norms).
#pragma once

#include <cstddef>
#include <cstdint>

#include "index/quant/scalar_quantizer.h"
#include "index/simd/dispatch.h"
#include "proximadb/types.h"

namespace proximadb::index::hnsw {

inline float FromDot(Metric m, float dot, float qn, float xn) {
  if (m == Metric::kDotProduct) return -dot;
  float denom = qn * xn;
  return denom > 0 ? 1.0f - dot / denom : 1.0f;
}

// Distance from a float query to the float rows of a view.
struct FloatDist {
  const float* data;
  const float* norms;
  size_t dim;
  Metric metric;
  const float* q;
  float qn;
  const simd::KernelTable* k;

  float operator()(uint32_t row) const {
    const float* x = data + size_t(row) * dim;
    if (metric == Metric::kEuclidean) return k->l2(q, x, dim);
    return FromDot(metric, k->dot(q, x, dim), qn, norms ? norms[row] : 0.0f);
  }
  // The first lines of the next row; the hardware prefetcher follows the
  // rest once the kernel streams through it.
  void Prefetch(uint32_t row) const {
    const char* p = reinterpret_cast<const char*>(data + size_t(row) * dim);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    __builtin_prefetch(p + 128);
  }
};

// Inner-product graphs are built in the space of the MIPS-to-NN reduction
// (Bachrach et al. 2014): x' = [x, sqrt(M^2 - |x|^2)] with M the largest
// norm. L2 between augmented rows is a true metric, so the neighbour
// heuristic works as for euclidean data; for a query q' = [q, 0] the
// augmented L2 ranks rows exactly like -<q,x>, so searches keep using the
// plain dot product. This is the row-to-row distance used while inserting.
inline float MipsExtra(float m2, float norm) {
  float r = m2 - norm * norm;
  return r > 0 ? __builtin_sqrtf(r) : 0.0f;
}

struct MipsBuildDist {
  const float* data;
  const float* norms;
  size_t dim;
  const float* q;
  float q_extra;  // MipsExtra of the row being inserted
  float m2;
  const simd::KernelTable* k;

  float operator()(uint32_t row) const {
    float e = q_extra - MipsExtra(m2, norms[row]);
    return k->l2(q, data + size_t(row) * dim, dim) + e * e;
  }
  void Prefetch(uint32_t row) const {
    const char* p = reinterpret_cast<const char*>(data + size_t(row) * dim);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    __builtin_prefetch(p + 128);
  }
};

// Distance from a quantized query to quantized rows (see
// quant::ScalarQuantizer for the algebra of the dot-product terms).
struct CodeDist {
  const uint8_t* codes;
  const float* terms;  // per-row RowTerm, used by dot and cosine
  const float* norms;  // exact float norms, used by cosine
  size_t dim;
  Metric metric;
  const uint8_t* qc;
  double qterm;  // ScalarQuantizer::QueryTerm
  float qn;
  const quant::ScalarQuantizer* sq;
  const simd::KernelTable* k;

  float operator()(uint32_t row) const {
    const uint8_t* x = codes + size_t(row) * dim;
    if (metric == Metric::kEuclidean) return sq->L2(k->l2_u8(qc, x, dim));
    float dot = sq->Dot(k->dot_u8(qc, x, dim), terms[row], qterm);
    return FromDot(metric, dot, qn, norms ? norms[row] : 0.0f);
  }
  void Prefetch(uint32_t row) const {
    const char* p = reinterpret_cast<const char*>(codes + size_t(row) * dim);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
  }
};

}  // namespace proximadb::index::hnsw
