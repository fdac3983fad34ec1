// The one top-k implementation: the k best items seen so far under a
// ranking, in a bounded max-heap. FlatIndex's scan (FlatScan), the HNSW
// result set, the collection's index-scan executor and its final
// cross-source merge (collection_read.cc, MergeHits) all keep their best k
// with it, so ranking and tie-breaking cannot drift apart between them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace proximadb::index {

// `Before(a, b)` is true when a ranks ahead of b: a strict weak order, total
// on the items pushed if the result is to be deterministic (callers break
// distance ties by row or id).
template <typename T, typename Before>
class BestK {
 public:
  explicit BestK(size_t k, Before before = Before())
      : k_(k), before_(std::move(before)) {
    heap_.reserve(k + 1);
  }

  size_t k() const { return k_; }
  size_t size() const { return heap_.size(); }
  bool full() const { return heap_.size() >= k_; }
  // The worst item kept, the one a newcomer must beat once full(); the heap
  // must not be empty.
  const T& worst() const { return heap_.front(); }

  // Keeps `item` while fewer than k are kept, or when it ranks ahead of the
  // worst one kept (which then goes). An item tied with the worst stays out.
  void Push(T item) {
    if (k_ == 0) return;
    if (!full()) {
      heap_.push_back(std::move(item));
      std::push_heap(heap_.begin(), heap_.end(), before_);
    } else if (before_(item, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), before_);
      heap_.back() = std::move(item);
      std::push_heap(heap_.begin(), heap_.end(), before_);
    }
  }

  // The items kept, best first; empties the set.
  std::vector<T> Take() {
    std::sort_heap(heap_.begin(), heap_.end(), before_);
    return std::move(heap_);
  }

 private:
  size_t k_;
  Before before_;
  std::vector<T> heap_;  // a max-heap under before_: the worst at the front
};

}  // namespace proximadb::index
