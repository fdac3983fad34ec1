// Portable reference kernels: several independent accumulators so the
// compiler can vectorise with baseline SSE2 without -ffast-math.
#include <algorithm>

#include "index/simd/kernels.h"

namespace proximadb::index::simd::internal {
namespace {

// L2 and the early-abandoning L2Bounded (kernels.h) are one loop: without
// a bound it runs through in one piece and checks nothing, so both sum in
// the same order and a kept distance is bit-identical.
template <bool kBounded>
float L2Impl(const float* a, const float* b, size_t dim, float bound) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const size_t body = dim - dim % 4;
  size_t i = 0;
  while (i < body) {
    const size_t stop = kBounded ? std::min(body, i + kBoundStride) : body;
    for (; i < stop; i += 4) {
      float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
      float d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    if (kBounded) {
      const float partial = (s0 + s1) + (s2 + s3);
      if (!(partial < bound)) return partial;
    }
  }
  for (; i < dim; ++i) {
    float d = a[i] - b[i];
    s0 += d * d;
  }
  return (s0 + s1) + (s2 + s3);
}

float L2(const float* a, const float* b, size_t dim) {
  return L2Impl<false>(a, b, dim, 0.0f);
}

float Dot(const float* a, const float* b, size_t dim) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= dim; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < dim; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

template <bool kBounded>
uint32_t L2U8Impl(const uint8_t* a, const uint8_t* b, size_t dim,
                  uint32_t bound) {
  uint64_t s = 0;
  for (size_t i = 0; i < dim; ++i) {
    int32_t d = int32_t(a[i]) - int32_t(b[i]);
    s += uint32_t(d * d);
    if (kBounded && (i + 1) % kBoundStrideU8 == 0 && s >= bound) break;
  }
  return static_cast<uint32_t>(s);
}

uint32_t L2U8(const uint8_t* a, const uint8_t* b, size_t dim) {
  return L2U8Impl<false>(a, b, dim, 0);
}

uint32_t DotU8(const uint8_t* a, const uint8_t* b, size_t dim) {
  uint64_t s = 0;
  for (size_t i = 0; i < dim; ++i) s += uint32_t(a[i]) * uint32_t(b[i]);
  return static_cast<uint32_t>(s);
}

// Batched versions: the single-row loops above run for kBatch rows side by
// side, each row with its own four accumulators in the same order, so every
// result equals L2 / Dot on that row bit for bit.
void L2x4(const float* q, const float* const* x, size_t dim, float* out) {
  float s[kBatch][4] = {};
  size_t i = 0;
  for (; i + 4 <= dim; i += 4) {
    const float q0 = q[i], q1 = q[i + 1], q2 = q[i + 2], q3 = q[i + 3];
    for (size_t r = 0; r < kBatch; ++r) {
      const float* b = x[r] + i;
      float d0 = q0 - b[0], d1 = q1 - b[1], d2 = q2 - b[2], d3 = q3 - b[3];
      s[r][0] += d0 * d0;
      s[r][1] += d1 * d1;
      s[r][2] += d2 * d2;
      s[r][3] += d3 * d3;
    }
  }
  for (; i < dim; ++i) {
    for (size_t r = 0; r < kBatch; ++r) {
      float d = q[i] - x[r][i];
      s[r][0] += d * d;
    }
  }
  for (size_t r = 0; r < kBatch; ++r)
    out[r] = (s[r][0] + s[r][1]) + (s[r][2] + s[r][3]);
}

void Dotx4(const float* q, const float* const* x, size_t dim, float* out) {
  float s[kBatch][4] = {};
  size_t i = 0;
  for (; i + 4 <= dim; i += 4) {
    const float q0 = q[i], q1 = q[i + 1], q2 = q[i + 2], q3 = q[i + 3];
    for (size_t r = 0; r < kBatch; ++r) {
      const float* b = x[r] + i;
      s[r][0] += q0 * b[0];
      s[r][1] += q1 * b[1];
      s[r][2] += q2 * b[2];
      s[r][3] += q3 * b[3];
    }
  }
  for (; i < dim; ++i) {
    for (size_t r = 0; r < kBatch; ++r) s[r][0] += q[i] * x[r][i];
  }
  for (size_t r = 0; r < kBatch; ++r)
    out[r] = (s[r][0] + s[r][1]) + (s[r][2] + s[r][3]);
}

float L2Bounded(const float* a, const float* b, size_t dim, float bound) {
  return L2Impl<true>(a, b, dim, bound);
}

uint32_t L2U8Bounded(const uint8_t* a, const uint8_t* b, size_t dim,
                     uint32_t bound) {
  return L2U8Impl<true>(a, b, dim, bound);
}

#include "index/simd/bq_dot_inl.h"  // NOLINT(build/include): see the file

void PqDots(const float* ct, const float* y, size_t w, float* out) {
  for (size_t k = 0; k < kPqCentroids; ++k) out[k] = 0.0f;
  for (size_t d = 0; d < w; ++d) {
    const float v = y[d];
    const float* row = ct + d * kPqCentroids;
    for (size_t k = 0; k < kPqCentroids; ++k) out[k] += v * row[k];
  }
}

const KernelTable kTable{L2,    Dot,       L2U8,        DotU8, L2x4,
                         Dotx4, L2Bounded, L2U8Bounded, BqDot, PqDots};

}  // namespace

const KernelTable* ScalarKernels() { return &kTable; }

}  // namespace proximadb::index::simd::internal
