// hnswlib (header-only) behind a small interface, in a translation unit of
// its own: bench/CMakeLists.txt compiles hnswlib_peer.cc with the machine's
// ISA flags (-march=native), as `pip install hnswlib` builds it, while the
// rest of the bench (our code) is compiled as the product is (portable, its
// kernels dispatched at run time). hnswlib picks its SSE / AVX / AVX-512
// distance at compile time from __SSE__ / __AVX__ / __AVX512F__, so without
// the flags it would run its SSE path: a crippled peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace proximadb::bench {

class HnswlibPeer {
 public:
  // The compiler flags hnswlib_peer.cc was built with and the distance path
  // they select ("AVX-512", "AVX", "SSE" or "scalar").
  static std::string BuildFlags();
  static std::string SimdPath();

  // An L2 index of `n` rows of `dim` floats at `data`, m / ef_construction
  // as given, built by `threads` threads (addPoint from each).
  static std::unique_ptr<HnswlibPeer> Build(const float* data, uint32_t n,
                                            uint32_t dim, uint32_t m,
                                            uint32_t ef_construction,
                                            uint32_t threads);
  static std::unique_ptr<HnswlibPeer> Load(const std::string& path,
                                           uint32_t dim);
  ~HnswlibPeer();

  void Save(const std::string& path);
  // Bytes of its own layout: level 0 with the inline vectors, upper lists.
  size_t MemoryBytes() const;
  // The k nearest rows of `q`, nearest first.
  void Search(const float* q, uint32_t ef, uint32_t k,
              std::vector<uint32_t>* ids);

 private:
  struct Impl;
  explicit HnswlibPeer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proximadb::bench
