// Exact brute-force index over a VectorView: the reference every graph index
// is measured against, and what small sources use.
#pragma once

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

}  // namespace proximadb::index
