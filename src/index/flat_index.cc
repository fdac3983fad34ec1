#include "index/flat_index.h"

#include <algorithm>
#include <limits>

#include "index/distance.h"

namespace proximadb::index {

float TopK::threshold() const {
  return full() ? heap_.front().distance
                : std::numeric_limits<float>::infinity();
}

static bool HeapLess(const Candidate& a, const Candidate& b) {
  // Ties broken by row so results are deterministic.
  return a.distance < b.distance || (a.distance == b.distance && a.row < b.row);
}

void TopK::Push(Candidate c) {
  if (k_ == 0) return;
  if (!full()) {
    heap_.push_back(c);
    std::push_heap(heap_.begin(), heap_.end(), HeapLess);
  } else if (HeapLess(c, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), HeapLess);
    heap_.back() = c;
    std::push_heap(heap_.begin(), heap_.end(), HeapLess);
  }
}

std::vector<Candidate> TopK::Take() {
  std::sort_heap(heap_.begin(), heap_.end(), HeapLess);
  return std::move(heap_);
}

void FlatIndex::Search(const SearchParams& p, const RowFilter& accept,
                       std::vector<Candidate>* out,
                       SearchCounters* counters) const {
  TopK top(p.k);
  const size_t dim = view_.dim;
  for (uint32_t row = 0; row < view_.rows; ++row) {
    const float* x = view_.data + static_cast<size_t>(row) * dim;
    float d = InternalDistance(metric_, p.query, p.query_norm, x,
                               view_.norms ? view_.norms[row] : 0.0f, dim);
    if (top.full() && !(d < top.threshold())) continue;
    if (accept && !accept(row)) continue;
    top.Push({row, d});
  }
  if (counters) {
    counters->distances_computed += view_.rows;
    counters->points_scanned += view_.rows;
  }
  auto best = top.Take();
  out->insert(out->end(), best.begin(), best.end());
}

}  // namespace proximadb::index
