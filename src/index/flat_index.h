// Exact brute-force index over a VectorView: the reference every graph index
// is measured against, and what small sources use.
#pragma once

#include "index/simd/kernels.h"
#include "index/vector_index.h"

namespace proximadb::index {

class FlatIndex final : public VectorIndex {
 public:
  FlatIndex(VectorView view, Metric metric) : view_(view), metric_(metric) {}
  void Search(const SearchParams& params, const RowFilter& accept,
              std::vector<Candidate>* out,
              SearchCounters* counters) const override;

 private:
  VectorView view_;
  Metric metric_;
};

// The scan behind FlatIndex::Search with the kernel table passed in, so tests
// can run it at every SIMD level. Short rows (<= 1 KiB) go through the
// batched kernels (kBatch rows per call, prefetching ahead), longer ones
// through the single-row kernel in memory order (flat_index.cc says why);
// only rows that beat the current k-th distance reach `accept` and the
// heap. Appends up to k
// accepted rows, best first, ties by row: the same rows and distances as
// computing InternalDistance row by row with that level's kernels.
void FlatScan(const simd::KernelTable& kernels, VectorView view, Metric metric,
              const SearchParams& params, const RowFilter& accept,
              std::vector<Candidate>* out);

}  // namespace proximadb::index
