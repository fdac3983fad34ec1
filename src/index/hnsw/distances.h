// The distance computers the graph walks with: "distance from the current
// query to row r", for float vectors, 8-bit codes and 1-bit codes. All keep
// the semantics (the codes approximately) of InternalDistance (euclidean:
// squared L2; dot: -<q,x>; cosine: 1 - <q,x> / (|q||x|) with the stored norms).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "index/quant/binary_quantizer.h"
#include "index/quant/product_quantizer.h"
#include "index/quant/scalar_quantizer.h"
#include "index/simd/dispatch.h"
#include "proximadb/types.h"

namespace proximadb::index::hnsw {

// Cache lines of a row fetched ahead of its distance: a walk reads rows
// in random order, so each row's first miss is a full memory latency
// (about 100 ns) unless it was asked for while the previous row was being
// scored. Measured (bench/ann_bench, Fashion-MNIST): whole 784-byte code
// rows beat their first two lines (+32 % QPS); float rows (3 KiB) are
// bandwidth-bound and gained 8 %; 32 lines did no better than 16.
inline constexpr size_t kPrefetchLines = 16;

inline void PrefetchLines(const void* row, size_t bytes) {
  const char* p = static_cast<const char*>(row);
  const size_t lines = std::min<size_t>(kPrefetchLines, (bytes + 63) / 64);
  for (size_t i = 0; i < lines; ++i) __builtin_prefetch(p + 64 * i);
}

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
  // For walks that only keep rows closer than `bound`: operator()(row) when
  // that is below the bound, else some value >= bound, possibly computed
  // from part of the row (euclidean: the bounded kernel; inner products
  // have no monotone partial sums and read the whole row).
  float Bounded(uint32_t row, float bound) const {
    if (metric != Metric::kEuclidean) return (*this)(row);
    return k->l2_bounded(q, data + size_t(row) * dim, dim, bound);
  }
  // The first lines of the next row, up to the bounded kernel's first
  // check (kPrefetchLines); the hardware prefetcher follows the rest once
  // the kernel streams through it.
  void Prefetch(uint32_t row) const {
    PrefetchLines(data + size_t(row) * dim, dim * sizeof(float));
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
  float Bounded(uint32_t row, float) const { return (*this)(row); }
  void Prefetch(uint32_t row) const {
    PrefetchLines(data + size_t(row) * dim, dim * sizeof(float));
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
  // As FloatDist::Bounded. The bound becomes a code-space sum: a partial
  // sum past ceil(bound / step^2) + 1 maps to a distance above the bound.
  float Bounded(uint32_t row, float bound) const {
    if (metric != Metric::kEuclidean) return (*this)(row);
    const double limit = sq->L2CodeBound(bound);
    const uint32_t raw = k->l2_u8_bounded(qc, codes + size_t(row) * dim, dim,
                                          limit < 4294967295.0  // false for NaN
                                              ? static_cast<uint32_t>(limit)
                                              : 0xFFFFFFFFu);
    return sq->L2(raw);
  }
  void Prefetch(uint32_t row) const {
    PrefetchLines(codes + size_t(row) * dim, dim);
  }
  size_t RowBytes() const { return dim; }
};

// Distance from a float query to binary-coded rows (the asymmetric estimate
// of quant::BinaryQuantizer). Only ranks the walk: the beam is re-scored on
// the float vectors.
struct BitDist {
  const uint64_t* codes;
  const uint8_t* centroids;  // per-row centroid number
  const float* terms;        // per-row term, used by euclidean
  const float* norms;        // exact float norms, used by cosine
  size_t words;
  Metric metric;
  const quant::BinaryQuery* q;
  float qn;
  const simd::KernelTable* k;

  float operator()(uint32_t row) const {
    uint32_t ones = 0;
    const uint32_t weighted =
        k->bq_dot(q->planes.data(), codes + size_t(row) * words, words, &ones);
    const float est = quant::BinaryQuantizer::Estimate(
        *q, metric, centroids[row], ones, weighted, terms[row]);
    if (metric == Metric::kEuclidean) return est;
    return FromDot(metric, est, qn, norms ? norms[row] : 0.0f);
  }
  // A code row is a few cache lines: nothing to abandon early.
  float Bounded(uint32_t row, float) const { return (*this)(row); }
  void Prefetch(uint32_t row) const {
    PrefetchLines(codes + size_t(row) * words, words * sizeof(uint64_t));
  }
  size_t RowBytes() const { return words * sizeof(uint64_t); }
};

// Distance from a float query to product-quantized rows: the estimate of
// quant::ProductQuantizer from the sum of the query's table entries each
// row's code picks. Only ranks the walk: the beam is re-scored on the
// float vectors.
struct PqDist {
  const uint8_t* codes;
  const uint8_t* centroids;  // per-row coarse centroid number
  const float* terms;        // per-row term, used by euclidean
  const float* norms;        // exact float norms, used by cosine
  uint32_t m;                // code bytes per row
  Metric metric;
  const quant::PqQuery* q;
  float qn;

  float operator()(uint32_t row) const {
    const float adc = quant::ProductQuantizer::Adc(q->table.data(),
                                                   codes + size_t(row) * m, m);
    const float est = quant::ProductQuantizer::Estimate(
        *q, metric, centroids[row], adc, terms[row]);
    if (metric == Metric::kEuclidean) return est;
    return FromDot(metric, est, qn, norms ? norms[row] : 0.0f);
  }
  float Bounded(uint32_t row, float) const { return (*this)(row); }
  void Prefetch(uint32_t row) const {
    PrefetchLines(codes + size_t(row) * m, m);
  }
  size_t RowBytes() const { return m; }
};

}  // namespace proximadb::index::hnsw
