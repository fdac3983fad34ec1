// The two graph walks shared by insertion (hnsw_index.cc) and search
// (hnsw_search.cc), as templates over the distance computer so the hot loop
// inlines it. Included only by those two files.
#pragma once

#include <algorithm>
#include <limits>

#include "index/hnsw/hnsw_index.h"

namespace proximadb::index {

inline uint32_t LoadWord(const uint32_t* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

inline const uint32_t* HnswIndex::List(uint32_t row, int level) const {
  if (level == 0) return level0_ + size_t(row) * stride0_;
  const uint32_t* base =
      upper_data_ != nullptr
          ? upper_data_ + upper_off_[row]
          : __atomic_load_n(&upper_ptr_[row], __ATOMIC_ACQUIRE);
  return base + size_t(level - 1) * strideU_;
}

// Greedy descent (beam 1) through levels top..bottom.
template <typename Dist>
uint32_t HnswIndex::Greedy(const Dist& dist, uint32_t cur, float* cur_dist,
                           int top, int bottom,
                           SearchCounters* counters) const {
  uint64_t visited = 0, computed = 0;
  for (int level = top; level >= bottom; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      const uint32_t* list = List(cur, level);
      const uint32_t n = std::min(LoadWord(list), params_.m);
      ++visited;
      for (uint32_t j = 1; j <= n; ++j) {
        const uint32_t id = LoadWord(list + j);
        const float d = dist.Bounded(id, *cur_dist);
        ++computed;
        if (d < *cur_dist) {
          *cur_dist = d;
          cur = id;
          changed = true;
        }
      }
    }
  }
  if (counters) {
    counters->nodes_visited += visited;
    counters->distances_computed += computed;
  }
  return cur;
}

// Beam search on one level. Leaves up to ef accepted nodes in
// scratch->results (a max-heap). Rejected nodes still steer the walk, and
// while fewer than ef nodes were accepted nothing is pruned, so a selective
// filter widens the search by itself (up to the whole reachable graph).
template <typename Dist>
void HnswIndex::SearchLevel(const Dist& dist, uint32_t entry, float entry_dist,
                            uint32_t ef, int level, const RowFilter* accept,
                            hnsw::SearchScratch* s,
                            SearchCounters* counters) const {
  using hnsw::Neighbor;
  auto min_first = [](const Neighbor& a, const Neighbor& b) {
    return a.dist > b.dist;
  };
  auto max_first = [](const Neighbor& a, const Neighbor& b) {
    return a.dist < b.dist;
  };
  auto& cand = s->candidates;
  auto& res = s->results;
  cand.clear();
  res.clear();
  const uint32_t cap = Cap(level);
  float bound = std::numeric_limits<float>::infinity();
  auto offer = [&](uint32_t id, float d) {
    if (accept != nullptr && !(*accept)(id)) return;
    res.push_back({d, id});
    std::push_heap(res.begin(), res.end(), max_first);
    if (res.size() > ef) {
      std::pop_heap(res.begin(), res.end(), max_first);
      res.pop_back();
    }
    if (res.size() >= ef) bound = res.front().dist;
  };

  s->TestAndSet(entry);
  cand.push_back({entry_dist, entry});
  offer(entry, entry_dist);
  uint64_t visited = 0, computed = 0;
  while (!cand.empty()) {
    const Neighbor cur = cand.front();
    if (cur.dist > bound) break;
    std::pop_heap(cand.begin(), cand.end(), min_first);
    cand.pop_back();
    const uint32_t* list = List(cur.id, level);
    const uint32_t n = std::min(LoadWord(list), cap);
    ++visited;
    if (n > 0) {
      const uint32_t first = LoadWord(list + 1);
      __builtin_prefetch(s->tag_ptr(first));
      dist.Prefetch(first);
    }
    for (uint32_t j = 1; j <= n; ++j) {
      const uint32_t id = LoadWord(list + j);
      if (j < n) {
        const uint32_t next = LoadWord(list + j + 1);
        __builtin_prefetch(s->tag_ptr(next));
        dist.Prefetch(next);
      }
      if (s->TestAndSet(id)) continue;
      // Only a distance below the bound is used: the kernel may stop early.
      const float d = dist.Bounded(id, bound);
      ++computed;
      if (d < bound) {
        // Its list is read when it is expanded, usually a few iterations
        // later: fetch it now. (hnswlib gets this for free by storing the
        // vector beside the list; we keep vectors in the segment instead.)
        if (level == 0) __builtin_prefetch(level0_ + size_t(id) * stride0_);
        cand.push_back({d, id});
        std::push_heap(cand.begin(), cand.end(), min_first);
        offer(id, d);
      }
    }
  }
  if (counters) {
    counters->nodes_visited += visited;
    counters->distances_computed += computed;
  }
}

}  // namespace proximadb::index
