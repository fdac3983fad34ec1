// Which segments the background compaction merges next: a pure function of
// the segments' sizes, so the policy is tested on synthetic facts (and a
// simulated workload) without building a collection.
//
// Segments are ordered oldest first and a pick is always a contiguous run,
// so the output can take the run's place in that order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace proximadb {

struct SegmentSize {
  uint64_t rows = 0;  // rows in the file
  uint64_t live = 0;  // rows not deleted or overwritten since
};

struct CompactionPick {
  size_t begin = 0, end = 0;  // [begin, end); empty: nothing to do
  const char* reason = "";    // "dead" | "tiered"
  bool empty() const { return end <= begin; }
};

// 1. "dead": the segment with the largest share of dead rows, if above
//    dead_ratio (an empty segment counts as all dead). It is merged with
//    its neighbours while the smaller neighbour holds fewer than twice the
//    run's live rows, so rewriting a mostly-dead segment never leaves a
//    small segment behind among large ones. (Rewriting it alone did: under
//    overwrites of a fixed set of ids every flushed segment soon became
//    mostly dead, each rewrite left a small segment that the size rule
//    never reached, and the count grew without bound.)
// 2. "tiered": the newest run, anywhere in the list, of at least
//    max(min_segments, 2) adjacent segments of similar live size (each
//    within a factor of two of the others'), so total rewrite work stays
//    O(N log N) and the count O(log N).
// `max_live` > 0 (the memory budget's cap, the rows whose graph build fits
// a share of it): no pick holds more live rows than that; a "dead" pick
// stops growing there, a "tiered" run is cut to its newest segments that
// fit (a single segment past the cap is rewritten alone only for its dead
// rows).
CompactionPick PickCompaction(std::span<const SegmentSize> segments,
                              uint32_t min_segments, double dead_ratio,
                              uint64_t max_live = 0);

}  // namespace proximadb
