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
};

namespace internal {
// Each returns its level's table, or nullptr when the file was compiled
// without that instruction set (e.g. a non-x86 build).
const KernelTable* ScalarKernels();
const KernelTable* Avx2Kernels();
const KernelTable* Avx512Kernels();
}  // namespace internal

}  // namespace proximadb::index::simd
