// Reusable per-search scratch: an epoch-tagged visited set (clearing it is
// one increment, not a memset of n entries) plus the two heaps' buffers, so
// a search allocates nothing once the pool is warm.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::index::hnsw {

struct Neighbor {
  float dist;
  uint32_t id;
};

// Nearer first, ties by the lower row: the order of neighbour lists and of
// every search's answer.
inline bool NearerThenLower(const Neighbor& a, const Neighbor& b) {
  return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
}

class SearchScratch {
 public:
  explicit SearchScratch(uint32_t n) : tags_(n, 0) {}

  // Starts a new search: every node becomes unvisited.
  void NewEpoch() {
    if (++epoch_ == 0) {  // wrapped: stale tags could alias, clear them
      std::fill(tags_.begin(), tags_.end(), 0);
      epoch_ = 1;
    }
  }
  // True if id was already visited in this epoch; marks it visited.
  bool TestAndSet(uint32_t id) {
    if (tags_[id] == epoch_) return true;
    tags_[id] = epoch_;
    return false;
  }
  const uint16_t* tag_ptr(uint32_t id) const { return &tags_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(tags_.size()); }

  std::vector<Neighbor> candidates;  // min-heap
  std::vector<Neighbor> results;     // max-heap

 private:
  std::vector<uint16_t> tags_;
  uint16_t epoch_ = 0;
};

// Thread-safe pool of scratch objects sized for n nodes.
class ScratchPool {
 public:
  explicit ScratchPool(uint32_t n) : n_(n) {}

  std::unique_ptr<SearchScratch> Get() {
    {
      MutexLock l(&mu_);
      if (!free_.empty()) {
        auto s = std::move(free_.back());
        free_.pop_back();
        return s;
      }
    }
    return std::make_unique<SearchScratch>(n_);
  }
  void Put(std::unique_ptr<SearchScratch> s) {
    MutexLock l(&mu_);
    free_.push_back(std::move(s));
  }

 private:
  const uint32_t n_;
  Mutex mu_;
  std::vector<std::unique_ptr<SearchScratch>> free_ GUARDED_BY(mu_);
};

}  // namespace proximadb::index::hnsw
