#include "collection/compaction_policy.h"

#include <algorithm>

namespace proximadb {
namespace {

double DeadShare(const SegmentSize& s) {
  if (s.rows == 0) return 1.0;
  return static_cast<double>(s.rows - std::min(s.live, s.rows)) /
         static_cast<double>(s.rows);
}

CompactionPick GrowAroundDead(std::span<const SegmentSize> segs, size_t i,
                              uint64_t max_live) {
  size_t b = i, e = i + 1;
  uint64_t live = segs[i].live;
  for (;;) {
    const bool has_left = b > 0, has_right = e < segs.size();
    if (!has_left && !has_right) break;
    bool left;
    if (has_left && has_right) {
      left = segs[b - 1].live <= segs[e].live;
    } else {
      left = has_left;
    }
    const uint64_t next = left ? segs[b - 1].live : segs[e].live;
    if (next >= 2 * std::max<uint64_t>(live, 1)) break;
    if (max_live > 0 && live + next > max_live) break;
    if (left) {
      --b;
    } else {
      ++e;
    }
    live += next;
  }
  return {b, e, "dead"};
}

}  // namespace

CompactionPick PickCompaction(std::span<const SegmentSize> segs,
                              uint32_t min_segments, double dead_ratio,
                              uint64_t max_live) {
  const size_t n = segs.size();
  size_t worst = n;
  double worst_share = dead_ratio;
  for (size_t i = 0; i < n; ++i) {
    const double share = DeadShare(segs[i]);
    if (share > worst_share || (segs[i].rows == 0 && worst == n)) {
      worst = i;
      worst_share = share;
    }
  }
  if (worst < n) return GrowAroundDead(segs, worst, max_live);

  const size_t want = std::max<uint32_t>(min_segments, 2);
  for (size_t e = n; e >= want; --e) {
    size_t b = e - 1;
    uint64_t largest = segs[b].live, smallest = segs[b].live;
    uint64_t total = segs[b].live;
    while (b > 0) {
      const uint64_t prev = segs[b - 1].live;
      if (prev >= 2 * std::max<uint64_t>(largest, 1) ||
          2 * std::max<uint64_t>(prev, 1) <= smallest) {
        break;
      }
      if (max_live > 0 && total + prev > max_live) break;
      total += prev;
      --b;
      largest = std::max(largest, prev);
      smallest = std::min(smallest, prev);
    }
    if (e - b >= want) return {b, e, "tiered"};
  }
  return {};
}

}  // namespace proximadb
