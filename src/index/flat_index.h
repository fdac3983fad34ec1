// Exact brute-force index over a VectorView: the reference every graph index
// is measured against, and what small sources use.
#pragma once

#include <span>

#include "index/simd/kernels.h"
#include "index/vector_index.h"

namespace proximadb::index {

// One query of a batched scan: what FlatScan takes, plus where its work is
// counted (may be null).
struct ScanQuery {
  SearchParams params;
  const RowFilter* accept = nullptr;  // null or empty: accept every row
  std::vector<Candidate>* out = nullptr;
  SearchCounters* counters = nullptr;
};

class FlatIndex final : public VectorIndex {
 public:
  FlatIndex(VectorView view, Metric metric) : view_(view), metric_(metric) {}
  void Search(const SearchParams& params, const RowFilter& accept,
              std::vector<Candidate>* out,
              SearchCounters* counters) const override;
  // Several queries in one pass over the rows (FlatScanMany); each query's
  // hits and counters are exactly those of Search.
  void SearchMany(std::span<const ScanQuery> queries) const;

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

// FlatScan for several queries in one pass over memory: the rows are read
// in tiles of about kScanTileBytes, and every query scores a tile while it
// is still in cache, so a batch of Q queries reads the vectors from memory
// once instead of Q times (a long-row scan is bound by memory bandwidth).
// Each query still sees the rows in order and each distance comes from the
// same kernels, so every query's hits are exactly FlatScan's.
void FlatScanMany(const simd::KernelTable& kernels, VectorView view,
                  Metric metric, std::span<const ScanQuery> queries);

}  // namespace proximadb::index
