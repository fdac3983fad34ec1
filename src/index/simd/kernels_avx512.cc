// AVX-512 (F + BW + VL) kernels. Compiled with those flags only for this
// file; the tail of every loop uses a masked load instead of a scalar loop.
#include "index/simd/kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
// GCC 12's AVX-512 headers build results on _mm256_undefined_*(), which its
// own -Wuninitialized flags once inlined (GCC bug 105593): a false alarm.
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // clang has no such warning (and warns about that)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>

namespace proximadb::index::simd::internal {
namespace {

// Own reductions: GCC 12's _mm512_reduce_add_* trip -Wuninitialized
// (GCC bug 105593); the maskz extracts avoid its undefined-register idiom.
inline float Reduce(__m512 v) {
  __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v),
                           _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(
                               0xFF, _mm512_castps_pd(v), 1)));
  __m128 lo =
      _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

inline uint32_t ReduceI(__m512i v) {
  __m256i a = _mm256_add_epi32(_mm512_castsi512_si256(v),
                               _mm512_maskz_extracti64x4_epi64(0xFF, v, 1));
  __m128i x =
      _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
  return static_cast<uint32_t>(_mm_cvtsi128_si32(x));
}

inline __mmask16 TailMask(size_t n) {
  return static_cast<__mmask16>((1u << n) - 1u);
}

// L2 and the early-abandoning L2Bounded (kernels.h) are one loop: without
// a bound it runs through in one piece and checks nothing, so both sum in
// the same order and a kept distance is bit-identical.
template <bool kBounded>
float L2Impl(const float* a, const float* b, size_t dim, float bound) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  const size_t body = dim - dim % 32;
  size_t i = 0;
  while (i < body) {
    const size_t stop = kBounded ? std::min(body, i + kBoundStride) : body;
    for (; i < stop; i += 32) {
      __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
      __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16),
                                _mm512_loadu_ps(b + i + 16));
      s0 = _mm512_fmadd_ps(d0, d0, s0);
      s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    if (kBounded) {
      const float partial = Reduce(_mm512_add_ps(s0, s1));
      if (!(partial < bound)) return partial;
    }
  }
  for (; i < dim; i += 16) {
    __mmask16 m = dim - i >= 16 ? __mmask16(0xFFFF) : TailMask(dim - i);
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i),
                             _mm512_maskz_loadu_ps(m, b + i));
    s0 = _mm512_fmadd_ps(d, d, s0);
  }
  return Reduce(_mm512_add_ps(s0, s1));
}

float L2(const float* a, const float* b, size_t dim) {
  return L2Impl<false>(a, b, dim, 0.0f);
}

float Dot(const float* a, const float* b, size_t dim) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16),
                         _mm512_loadu_ps(b + i + 16), s1);
  }
  for (; i < dim; i += 16) {
    __mmask16 m = dim - i >= 16 ? __mmask16(0xFFFF) : TailMask(dim - i);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i),
                         _mm512_maskz_loadu_ps(m, b + i), s0);
  }
  return Reduce(_mm512_add_ps(s0, s1));
}

template <bool kBounded>
uint32_t L2U8Impl(const uint8_t* a, const uint8_t* b, size_t dim,
                  uint32_t bound) {
  __m512i s = _mm512_setzero_si512();
  size_t i = 0;
  while (i < dim) {
    const size_t stop = kBounded ? std::min(dim, i + kBoundStrideU8) : dim;
    for (; i < stop; i += 32) {
      __mmask32 m = dim - i >= 32
                        ? __mmask32(0xFFFFFFFFu)
                        : static_cast<__mmask32>((1ull << (dim - i)) - 1);
      __m512i x = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, a + i));
      __m512i y = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, b + i));
      __m512i d = _mm512_sub_epi16(x, y);
      s = _mm512_add_epi32(s, _mm512_madd_epi16(d, d));
    }
    if (kBounded) {
      const uint32_t partial = ReduceI(s);
      if (partial >= bound) return partial;
    }
  }
  return ReduceI(s);
}

uint32_t L2U8(const uint8_t* a, const uint8_t* b, size_t dim) {
  return L2U8Impl<false>(a, b, dim, 0);
}

uint32_t DotU8(const uint8_t* a, const uint8_t* b, size_t dim) {
  __m512i s = _mm512_setzero_si512();
  for (size_t i = 0; i < dim; i += 32) {
    __mmask32 m = dim - i >= 32
                      ? __mmask32(0xFFFFFFFFu)
                      : static_cast<__mmask32>((1ull << (dim - i)) - 1);
    __m512i x = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, a + i));
    __m512i y = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, b + i));
    s = _mm512_add_epi32(s, _mm512_madd_epi16(x, y));
  }
  return ReduceI(s);
}

// Batched versions for scans: each query chunk is loaded once for kBatch
// rows. Per row the accumulators, chunking and masked tail are exactly L2 /
// Dot above, so the results are bit-identical to theirs.
void L2x4(const float* q, const float* const* x, size_t dim, float* out) {
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
  __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
  __m512 e0 = _mm512_setzero_ps(), e1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    const __m512 q0 = _mm512_loadu_ps(q + i), q1 = _mm512_loadu_ps(q + i + 16);
    __m512 d0 = _mm512_sub_ps(q0, _mm512_loadu_ps(x0 + i));
    __m512 d1 = _mm512_sub_ps(q1, _mm512_loadu_ps(x0 + i + 16));
    a0 = _mm512_fmadd_ps(d0, d0, a0);
    a1 = _mm512_fmadd_ps(d1, d1, a1);
    d0 = _mm512_sub_ps(q0, _mm512_loadu_ps(x1 + i));
    d1 = _mm512_sub_ps(q1, _mm512_loadu_ps(x1 + i + 16));
    b0 = _mm512_fmadd_ps(d0, d0, b0);
    b1 = _mm512_fmadd_ps(d1, d1, b1);
    d0 = _mm512_sub_ps(q0, _mm512_loadu_ps(x2 + i));
    d1 = _mm512_sub_ps(q1, _mm512_loadu_ps(x2 + i + 16));
    c0 = _mm512_fmadd_ps(d0, d0, c0);
    c1 = _mm512_fmadd_ps(d1, d1, c1);
    d0 = _mm512_sub_ps(q0, _mm512_loadu_ps(x3 + i));
    d1 = _mm512_sub_ps(q1, _mm512_loadu_ps(x3 + i + 16));
    e0 = _mm512_fmadd_ps(d0, d0, e0);
    e1 = _mm512_fmadd_ps(d1, d1, e1);
  }
  for (; i < dim; i += 16) {
    __mmask16 m = dim - i >= 16 ? __mmask16(0xFFFF) : TailMask(dim - i);
    const __m512 q0 = _mm512_maskz_loadu_ps(m, q + i);
    __m512 d = _mm512_sub_ps(q0, _mm512_maskz_loadu_ps(m, x0 + i));
    a0 = _mm512_fmadd_ps(d, d, a0);
    d = _mm512_sub_ps(q0, _mm512_maskz_loadu_ps(m, x1 + i));
    b0 = _mm512_fmadd_ps(d, d, b0);
    d = _mm512_sub_ps(q0, _mm512_maskz_loadu_ps(m, x2 + i));
    c0 = _mm512_fmadd_ps(d, d, c0);
    d = _mm512_sub_ps(q0, _mm512_maskz_loadu_ps(m, x3 + i));
    e0 = _mm512_fmadd_ps(d, d, e0);
  }
  out[0] = Reduce(_mm512_add_ps(a0, a1));
  out[1] = Reduce(_mm512_add_ps(b0, b1));
  out[2] = Reduce(_mm512_add_ps(c0, c1));
  out[3] = Reduce(_mm512_add_ps(e0, e1));
}

void Dotx4(const float* q, const float* const* x, size_t dim, float* out) {
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
  __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
  __m512 e0 = _mm512_setzero_ps(), e1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    const __m512 q0 = _mm512_loadu_ps(q + i), q1 = _mm512_loadu_ps(q + i + 16);
    a0 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(x0 + i), a0);
    a1 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(x0 + i + 16), a1);
    b0 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(x1 + i), b0);
    b1 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(x1 + i + 16), b1);
    c0 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(x2 + i), c0);
    c1 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(x2 + i + 16), c1);
    e0 = _mm512_fmadd_ps(q0, _mm512_loadu_ps(x3 + i), e0);
    e1 = _mm512_fmadd_ps(q1, _mm512_loadu_ps(x3 + i + 16), e1);
  }
  for (; i < dim; i += 16) {
    __mmask16 m = dim - i >= 16 ? __mmask16(0xFFFF) : TailMask(dim - i);
    const __m512 q0 = _mm512_maskz_loadu_ps(m, q + i);
    a0 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, x0 + i), a0);
    b0 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, x1 + i), b0);
    c0 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, x2 + i), c0);
    e0 = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(m, x3 + i), e0);
  }
  out[0] = Reduce(_mm512_add_ps(a0, a1));
  out[1] = Reduce(_mm512_add_ps(b0, b1));
  out[2] = Reduce(_mm512_add_ps(c0, c1));
  out[3] = Reduce(_mm512_add_ps(e0, e1));
}

float L2Bounded(const float* a, const float* b, size_t dim, float bound) {
  return L2Impl<true>(a, b, dim, bound);
}

uint32_t L2U8Bounded(const uint8_t* a, const uint8_t* b, size_t dim,
                     uint32_t bound) {
  return L2U8Impl<true>(a, b, dim, bound);
}

#include "index/simd/bq_dot_inl.h"  // NOLINT(build/include): see the file

// The 256 outputs are 16 zmm accumulators, held in registers over the rows.
void PqDots(const float* ct, const float* y, size_t w, float* out) {
  __m512 acc[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
  for (size_t d = 0; d < w; ++d) {
    const __m512 v = _mm512_set1_ps(y[d]);
    const float* row = ct + d * kPqCentroids;
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      acc[i] = _mm512_fmadd_ps(v, _mm512_loadu_ps(row + 16 * i), acc[i]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(out + 16 * i, acc[i]);
}

const KernelTable kTable{L2,    Dot,       L2U8,        DotU8, L2x4,
                         Dotx4, L2Bounded, L2U8Bounded, BqDot, PqDots};

}  // namespace

const KernelTable* Avx512Kernels() { return &kTable; }

}  // namespace proximadb::index::simd::internal

#else
namespace proximadb::index::simd::internal {
const KernelTable* Avx512Kernels() { return nullptr; }
}  // namespace proximadb::index::simd::internal
#endif
