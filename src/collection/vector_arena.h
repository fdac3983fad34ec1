// VectorArena: the memtable's contiguous float storage. Search scans a
// memtable as one VectorView, so the rows must stay contiguous; but growing a
// std::vector copies every vector on each doubling and page-faults a fresh
// buffer twice the size (at 768 dimensions, 3 KB a row, that showed up as a
// large share of ingest CPU). On Linux the arena is an anonymous mapping that
// grows with mremap, which moves page mappings instead of bytes, and only
// the pages written so far are ever touched (resident memory follows size(),
// not capacity()). Elsewhere it falls back to realloc-style copying.
//
// Not thread-safe: the owner serialises Append against readers (growth may
// move data()).
#pragma once

#include <cstddef>

namespace proximadb {

class VectorArena {
 public:
  VectorArena() = default;
  VectorArena(const VectorArena&) = delete;
  VectorArena& operator=(const VectorArena&) = delete;
  ~VectorArena();

  // Appends n floats; throws std::bad_alloc when memory runs out (as the
  // std::vector it replaces did).
  void Append(const float* v, size_t n);

  const float* data() const { return data_; }
  size_t size() const { return size_; }          // floats
  size_t capacity() const { return capacity_; }  // floats

 private:
  void Grow(size_t min_floats);

  float* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace proximadb
