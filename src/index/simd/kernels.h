// The kernel table each instruction-set file fills in. This header is
// included by files compiled with -mavx2 / -mavx512*: it must hold only
// declarations and plain structs, never an inline function, or the linker
// could pick an AVX-512 copy of it for code that runs on any CPU.
#pragma once

#include <cstddef>
#include <cstdint>

namespace proximadb::index::simd {

struct KernelTable {
  // float32: squared L2 distance and inner product.
  float (*l2)(const float* a, const float* b, size_t dim);
  float (*dot)(const float* a, const float* b, size_t dim);
  // 8-bit codes (unsigned, 0..255): squared L2 distance and inner product,
  // exact in integer arithmetic for dim <= 65536.
  uint32_t (*l2_u8)(const uint8_t* a, const uint8_t* b, size_t dim);
  uint32_t (*dot_u8)(const uint8_t* a, const uint8_t* b, size_t dim);
  // Batched float32 kernels for scans: out[r] = l2(q, x[r]) / dot(q, x[r])
  // for the kBatch rows x[0..3], sharing each load of q across the rows.
  // Each row's result is bit-identical to the single-row kernel of the same
  // level (same accumulators, same summation order), so a scan that batches
  // ranks and breaks ties exactly like one that does not.
  void (*l2_x4)(const float* q, const float* const* x, size_t dim, float* out);
  void (*dot_x4)(const float* q, const float* const* x, size_t dim, float* out);
  // Early-abandoning L2 for graph walks, which only ask "is it below the
  // bound?": every kBoundStride (kBoundStrideU8) dimensions the partial sum is
  // compared with `bound`, and the kernel returns it as soon as it reaches the
  // bound (sums of squares only grow, so the full distance would too). A
  // distance below the bound is returned whole and bit-identical to l2 / l2_u8
  // (same accumulators, same order); one at or above it is returned as some
  // value
  // >= bound. A rejected neighbour then costs the bytes up to the first
  // checkpoint past the bound instead of the whole row.
  float (*l2_bounded)(const float* a, const float* b, size_t dim, float bound);
  uint32_t (*l2_u8_bounded)(const uint8_t* a, const uint8_t* b, size_t dim,
                            uint32_t bound);
  // Binary codes (quant::BinaryQuantizer): `planes` holds 4 bit planes of
  // `words` 64-bit words each (plane k at planes + k * words), `code` one
  // row's `words` words. Returns sum_k 2^k popcount(plane_k & code) and sets
  // *ones to popcount(code). Exact integers: equal at every level.
  uint32_t (*bq_dot)(const uint64_t* planes, const uint64_t* code, size_t words,
                     uint32_t* ones);
  // Product quantization (quant::ProductQuantizer): a transposed codebook
  // `ct` of w rows of kPqCentroids floats (row d holds coordinate d of every
  // centroid) and a sub-vector y of w floats; writes out[k] = <y, c_k> for
  // the kPqCentroids centroids. Summed over d in order (FMA where the level
  // has it), so levels may differ in the last bits.
  void (*pq_dots)(const float* ct, const float* y, size_t w, float* out);
};

// Centroids per product-quantization subspace (one code byte).
inline constexpr size_t kPqCentroids = 256;

// Dimensions between two bound checks of the bounded kernels: 512 bytes of
// a float row, 256 bytes of a code row (a check costs a horizontal sum).
inline constexpr size_t kBoundStride = 128;
inline constexpr size_t kBoundStrideU8 = 256;

// Rows per call of the batched kernels.
inline constexpr size_t kBatch = 4;

namespace internal {
// Each returns its level's table, or nullptr when the file was compiled
// without that instruction set (e.g. a non-x86 build).
const KernelTable* ScalarKernels();
const KernelTable* Avx2Kernels();
const KernelTable* Avx512Kernels();
}  // namespace internal

}  // namespace proximadb::index::simd
