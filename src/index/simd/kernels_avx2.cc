// AVX2 + FMA kernels. Compiled with -mavx2 -mfma (src/index/CMakeLists.txt)
// and only called after the dispatcher saw both flags in CPUID.
#include "index/simd/kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <algorithm>

namespace proximadb::index::simd::internal {
namespace {

inline float HSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

inline uint32_t HSumI(__m256i v) {
  __m128i x =
      _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
  return static_cast<uint32_t>(_mm_cvtsi128_si32(x));
}

// Two accumulators hide the FMA latency; more did not help at dim 128-784.
// L2 and the early-abandoning L2Bounded (kernels.h) are one loop: without
// a bound it runs through in one piece and checks nothing, so both sum in
// the same order and a kept distance is bit-identical.
template <bool kBounded>
float L2Impl(const float* a, const float* b, size_t dim, float bound) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  const size_t body = dim - dim % 16;
  size_t i = 0;
  while (i < body) {
    const size_t stop = kBounded ? std::min(body, i + kBoundStride) : body;
    for (; i < stop; i += 16) {
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
      __m256 d1 =
          _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
      s0 = _mm256_fmadd_ps(d0, d0, s0);
      s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    if (kBounded) {
      const float partial = HSum(_mm256_add_ps(s0, s1));
      if (!(partial < bound)) return partial;
    }
  }
  if (i + 8 <= dim) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    i += 8;
  }
  float s = HSum(_mm256_add_ps(s0, s1));
  for (; i < dim; ++i) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

float L2(const float* a, const float* b, size_t dim) {
  return L2Impl<false>(a, b, dim, 0.0f);
}

float Dot(const float* a, const float* b, size_t dim) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8),
                         s1);
  }
  if (i + 8 <= dim) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    i += 8;
  }
  float s = HSum(_mm256_add_ps(s0, s1));
  for (; i < dim; ++i) s += a[i] * b[i];
  return s;
}

// Codes widen to 16 bits; vpmaddwd squares and adds pairs into 32 bits.
template <bool kBounded>
uint32_t L2U8Impl(const uint8_t* a, const uint8_t* b, size_t dim,
                  uint32_t bound) {
  __m256i s = _mm256_setzero_si256();
  const size_t body = dim - dim % 16;
  size_t i = 0;
  while (i < body) {
    const size_t stop = kBounded ? std::min(body, i + kBoundStrideU8) : body;
    for (; i < stop; i += 16) {
      __m256i x = _mm256_cvtepu8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
      __m256i y = _mm256_cvtepu8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
      __m256i d = _mm256_sub_epi16(x, y);
      s = _mm256_add_epi32(s, _mm256_madd_epi16(d, d));
    }
    if (kBounded) {
      const uint32_t partial = HSumI(s);
      if (partial >= bound) return partial;
    }
  }
  uint32_t r = HSumI(s);
  for (; i < dim; ++i) {
    int32_t d = int32_t(a[i]) - int32_t(b[i]);
    r += uint32_t(d * d);
  }
  return r;
}

uint32_t L2U8(const uint8_t* a, const uint8_t* b, size_t dim) {
  return L2U8Impl<false>(a, b, dim, 0);
}

uint32_t DotU8(const uint8_t* a, const uint8_t* b, size_t dim) {
  __m256i s = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    __m256i x = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    __m256i y = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    s = _mm256_add_epi32(s, _mm256_madd_epi16(x, y));
  }
  uint32_t r = HSumI(s);
  for (; i < dim; ++i) r += uint32_t(a[i]) * uint32_t(b[i]);
  return r;
}

// Batched versions for scans: each query chunk is loaded once for kBatch
// rows (2 loads per 16 floats for four rows instead of eight). Per row the
// accumulators, chunking and tail are exactly L2 / Dot above, so the
// results are bit-identical to theirs. 8 accumulators + 2 query registers
// fit the 16 ymm registers.
void L2x4(const float* q, const float* const* x, size_t dim, float* out) {
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
  __m256 e0 = _mm256_setzero_ps(), e1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);
    __m256 d0 = _mm256_sub_ps(q0, _mm256_loadu_ps(x0 + i));
    __m256 d1 = _mm256_sub_ps(q1, _mm256_loadu_ps(x0 + i + 8));
    a0 = _mm256_fmadd_ps(d0, d0, a0);
    a1 = _mm256_fmadd_ps(d1, d1, a1);
    d0 = _mm256_sub_ps(q0, _mm256_loadu_ps(x1 + i));
    d1 = _mm256_sub_ps(q1, _mm256_loadu_ps(x1 + i + 8));
    b0 = _mm256_fmadd_ps(d0, d0, b0);
    b1 = _mm256_fmadd_ps(d1, d1, b1);
    d0 = _mm256_sub_ps(q0, _mm256_loadu_ps(x2 + i));
    d1 = _mm256_sub_ps(q1, _mm256_loadu_ps(x2 + i + 8));
    c0 = _mm256_fmadd_ps(d0, d0, c0);
    c1 = _mm256_fmadd_ps(d1, d1, c1);
    d0 = _mm256_sub_ps(q0, _mm256_loadu_ps(x3 + i));
    d1 = _mm256_sub_ps(q1, _mm256_loadu_ps(x3 + i + 8));
    e0 = _mm256_fmadd_ps(d0, d0, e0);
    e1 = _mm256_fmadd_ps(d1, d1, e1);
  }
  if (i + 8 <= dim) {
    const __m256 q0 = _mm256_loadu_ps(q + i);
    __m256 d = _mm256_sub_ps(q0, _mm256_loadu_ps(x0 + i));
    a0 = _mm256_fmadd_ps(d, d, a0);
    d = _mm256_sub_ps(q0, _mm256_loadu_ps(x1 + i));
    b0 = _mm256_fmadd_ps(d, d, b0);
    d = _mm256_sub_ps(q0, _mm256_loadu_ps(x2 + i));
    c0 = _mm256_fmadd_ps(d, d, c0);
    d = _mm256_sub_ps(q0, _mm256_loadu_ps(x3 + i));
    e0 = _mm256_fmadd_ps(d, d, e0);
    i += 8;
  }
  float s[kBatch] = {HSum(_mm256_add_ps(a0, a1)), HSum(_mm256_add_ps(b0, b1)),
                     HSum(_mm256_add_ps(c0, c1)), HSum(_mm256_add_ps(e0, e1))};
  for (size_t r = 0; r < kBatch; ++r) {
    for (size_t j = i; j < dim; ++j) {
      float d = q[j] - x[r][j];
      s[r] += d * d;
    }
    out[r] = s[r];
  }
}

void Dotx4(const float* q, const float* const* x, size_t dim, float* out) {
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
  __m256 e0 = _mm256_setzero_ps(), e1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);
    a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x0 + i), a0);
    a1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x0 + i + 8), a1);
    b0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x1 + i), b0);
    b1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x1 + i + 8), b1);
    c0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x2 + i), c0);
    c1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x2 + i + 8), c1);
    e0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x3 + i), e0);
    e1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x3 + i + 8), e1);
  }
  if (i + 8 <= dim) {
    const __m256 q0 = _mm256_loadu_ps(q + i);
    a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x0 + i), a0);
    b0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x1 + i), b0);
    c0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x2 + i), c0);
    e0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x3 + i), e0);
    i += 8;
  }
  float s[kBatch] = {HSum(_mm256_add_ps(a0, a1)), HSum(_mm256_add_ps(b0, b1)),
                     HSum(_mm256_add_ps(c0, c1)), HSum(_mm256_add_ps(e0, e1))};
  for (size_t r = 0; r < kBatch; ++r) {
    for (size_t j = i; j < dim; ++j) s[r] += q[j] * x[r][j];
    out[r] = s[r];
  }
}

float L2Bounded(const float* a, const float* b, size_t dim, float bound) {
  return L2Impl<true>(a, b, dim, bound);
}

uint32_t L2U8Bounded(const uint8_t* a, const uint8_t* b, size_t dim,
                     uint32_t bound) {
  return L2U8Impl<true>(a, b, dim, bound);
}

#include "index/simd/bq_dot_inl.h"  // NOLINT(build/include): see the file

// 256 outputs are 32 ymm accumulators, more than the 16 registers: two
// passes of 128 over the rows, each keeping its sums in registers.
void PqDots(const float* ct, const float* y, size_t w, float* out) {
  for (size_t h = 0; h < kPqCentroids; h += 128) {
    __m256 acc[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm256_setzero_ps();
    for (size_t d = 0; d < w; ++d) {
      const __m256 v = _mm256_set1_ps(y[d]);
      const float* row = ct + d * kPqCentroids + h;
#pragma GCC unroll 16
      for (int i = 0; i < 16; ++i) {
        acc[i] = _mm256_fmadd_ps(v, _mm256_loadu_ps(row + 8 * i), acc[i]);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) _mm256_storeu_ps(out + h + 8 * i, acc[i]);
  }
}

const KernelTable kTable{L2,    Dot,       L2U8,        DotU8, L2x4,
                         Dotx4, L2Bounded, L2U8Bounded, BqDot, PqDots};

}  // namespace

const KernelTable* Avx2Kernels() { return &kTable; }

}  // namespace proximadb::index::simd::internal

#else
namespace proximadb::index::simd::internal {
const KernelTable* Avx2Kernels() { return nullptr; }
}  // namespace proximadb::index::simd::internal
#endif
