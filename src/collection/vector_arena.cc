#include "collection/vector_arena.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace proximadb {
namespace {

// The first mapping: small, so that many tiny collections stay cheap.
constexpr size_t kMinBytes = 64u << 10;

}  // namespace

VectorArena::~VectorArena() {
  if (data_ == nullptr) return;
#if defined(__linux__)
  ::munmap(data_, capacity_ * sizeof(float));
#else
  std::free(data_);
#endif
}

void VectorArena::Append(const float* v, size_t n) {
  if (n == 0) return;
  if (capacity_ - size_ < n) Grow(size_ + n);
  std::memcpy(data_ + size_, v, n * sizeof(float));
  size_ += n;
}

void VectorArena::Grow(size_t min_floats) {
  const size_t old_bytes = capacity_ * sizeof(float);
  const size_t bytes =
      std::max({kMinBytes, old_bytes * 2, min_floats * sizeof(float)});
#if defined(__linux__)
  // No MADV_HUGEPAGE: measured on the benchmark VM, huge-page faults made
  // 768-d ingest slower (5 vs 8-10 us of CPU per vector), the 2 MB zeroing
  // landing in the write path all at once.
  void* p = data_ == nullptr
                ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                : ::mremap(data_, old_bytes, bytes, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc();
#else
  void* p = std::realloc(data_, bytes);
  if (p == nullptr) throw std::bad_alloc();
#endif
  data_ = static_cast<float*>(p);
  capacity_ = bytes / sizeof(float);
}

}  // namespace proximadb
