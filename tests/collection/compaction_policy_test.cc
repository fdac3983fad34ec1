// The background compaction policy on synthetic segment sizes, and on a
// simulated workload: overwrites of a fixed set of ids (the mixed-load soak's
// pattern, under which the earlier policy let the segment count grow without
// bound) and pure appends.
#include "collection/compaction_policy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace proximadb {
namespace {

constexpr uint32_t kMinSegments = 4;
constexpr double kDeadRatio = 0.3;

CompactionPick Pick(const std::vector<SegmentSize>& s) {
  return PickCompaction(s, kMinSegments, kDeadRatio);
}

TEST(CompactionPolicyTest, NothingToDo) {
  EXPECT_TRUE(Pick({}).empty());
  EXPECT_TRUE(Pick({{100, 100}}).empty());
  // Three similar segments: fewer than min_segments.
  EXPECT_TRUE(Pick({{100, 100}, {100, 100}, {100, 100}}).empty());
  // Sizes that halve: no run of similar ones.
  EXPECT_TRUE(
      Pick({{800, 800}, {400, 400}, {200, 200}, {100, 100}, {50, 50}}).empty());
}

TEST(CompactionPolicyTest, EmptySegmentIsRemoved) {
  auto p = Pick({{1000, 1000}, {0, 0}, {1000, 1000}});
  EXPECT_EQ(p.begin, 1u);
  EXPECT_EQ(p.end, 2u);
  EXPECT_STREQ(p.reason, "dead");
  // Even with a ratio that nothing else reaches.
  auto q = PickCompaction(std::vector<SegmentSize>{{10, 10}, {0, 0}}, 4, 1.0);
  EXPECT_EQ(q.begin, 1u);
  EXPECT_EQ(q.end, 2u);
}

// The memory budget's cap: no pick holds more live rows than it allows.
TEST(CompactionPolicyTest, AMaximumOfLiveRowsCutsPicks) {
  const std::vector<SegmentSize> similar(6, SegmentSize{100, 100});
  auto all = PickCompaction(similar, kMinSegments, kDeadRatio);
  EXPECT_EQ(all.end - all.begin, 6u);
  // 450 rows: the newest four (min_segments) fit, a fifth would not.
  auto cut = PickCompaction(similar, kMinSegments, kDeadRatio, 450);
  EXPECT_STREQ(cut.reason, "tiered");
  EXPECT_EQ(cut.end, 6u);
  EXPECT_EQ(cut.end - cut.begin, 4u);
  // Too small for min_segments of them: nothing.
  EXPECT_TRUE(PickCompaction(similar, kMinSegments, kDeadRatio, 350).empty());
  // A dead pick stops growing at the cap (alone it may exceed it: it only
  // shrinks).
  auto dead = PickCompaction(
      std::vector<SegmentSize>{{1000, 1000}, {1000, 300}, {200, 200}},
      kMinSegments, kDeadRatio, 400);
  EXPECT_STREQ(dead.reason, "dead");
  EXPECT_EQ(dead.begin, 1u);
  EXPECT_EQ(dead.end, 2u);
}

TEST(CompactionPolicyTest,
     MostlyDeadSegmentAlongsideLargeOnesIsRewrittenAlone) {
  auto p = Pick({{1000, 1000}, {1000, 200}, {1000, 1000}});
  EXPECT_EQ(p.begin, 1u);
  EXPECT_EQ(p.end, 2u);
  EXPECT_STREQ(p.reason, "dead");
}

TEST(CompactionPolicyTest, MostlyDeadSegmentTakesItsSmallNeighboursAlong) {
  // Live: 1000 | 300 (dead 70%) | 200 | 100 | 5000. The run grows towards
  // its smaller neighbour while that one holds less than twice the run:
  // 300 takes 200 (< 600), then 100 (< 1000), then 1000 (< 1200), and stops
  // at 5000 (>= 3200).
  auto p =
      Pick({{1000, 1000}, {1000, 300}, {200, 200}, {100, 100}, {5000, 5000}});
  EXPECT_EQ(p.begin, 0u);
  EXPECT_EQ(p.end, 4u);
  // With a large left neighbour it stops after the small ones.
  auto q =
      Pick({{9000, 9000}, {1000, 300}, {200, 200}, {100, 100}, {5000, 5000}});
  EXPECT_EQ(q.begin, 1u);
  EXPECT_EQ(q.end, 4u);
}

TEST(CompactionPolicyTest, TheWorstDeadShareGoesFirst) {
  auto p = Pick({{1000, 600}, {10000, 10000}, {1000, 100}, {10000, 10000}});
  EXPECT_EQ(p.begin, 2u);
  EXPECT_EQ(p.end, 3u);
}

TEST(CompactionPolicyTest, TieredRunAnywhereNotOnlyAtTheNewestEnd) {
  // Four similar small segments between two large ones.
  auto p = Pick({{10000, 10000},
                 {100, 100},
                 {120, 120},
                 {90, 90},
                 {110, 110},
                 {10000, 10000}});
  EXPECT_EQ(p.begin, 1u);
  EXPECT_EQ(p.end, 5u);
  EXPECT_STREQ(p.reason, "tiered");
  // The newest qualifying run wins.
  auto q = Pick({{100, 100},
                 {100, 100},
                 {100, 100},
                 {100, 100},
                 {5000, 5000},
                 {10, 10},
                 {10, 10},
                 {10, 10},
                 {10, 10}});
  EXPECT_EQ(q.begin, 5u);
  EXPECT_EQ(q.end, 9u);
}

// Ids 0..universe-1; each flush writes `per_flush` random ids (an overwrite
// kills the older copy wherever it is); after each flush the background
// cycle runs `cycles` times. Returns the largest segment count seen after
// the first `warmup` flushes.
struct SimResult {
  size_t max_segments = 0;
  double rewrite_per_write = 0;
};

SimResult Simulate(uint32_t universe, uint32_t per_flush, int flushes,
                   int cycles, int warmup) {
  struct Seg {
    uint64_t rows = 0;
    std::vector<uint32_t> ids;  // rows; live if owner[id] is this segment
    int tag;
  };
  std::vector<Seg> segs;
  std::vector<int> owner(universe, -1);  // tag of the live copy
  int next_tag = 0;
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> pick_id(0, universe - 1);
  auto live = [&](const Seg& s) {
    uint64_t n = 0;
    for (uint32_t id : s.ids) n += owner[id] == s.tag;
    return n;
  };
  SimResult out;
  uint64_t rewritten = 0, written = 0;
  for (int f = 0; f < flushes; ++f) {
    Seg s;
    s.tag = next_tag++;
    std::vector<bool> seen(universe, false);
    for (uint32_t i = 0; i < per_flush; ++i) {
      uint32_t id = pick_id(rng);
      if (seen[id]) continue;
      seen[id] = true;
      s.ids.push_back(id);
      owner[id] = s.tag;
    }
    s.rows = s.ids.size();
    written += s.rows;
    segs.push_back(std::move(s));
    for (int c = 0; c < cycles; ++c) {
      std::vector<SegmentSize> sizes;
      for (const Seg& g : segs) sizes.push_back({g.rows, live(g)});
      CompactionPick p = Pick(sizes);
      if (p.empty()) break;
      Seg merged;
      merged.tag = next_tag++;
      for (size_t i = p.begin; i < p.end; ++i) {
        for (uint32_t id : segs[i].ids) {
          if (owner[id] != segs[i].tag) continue;
          merged.ids.push_back(id);
          owner[id] = merged.tag;
        }
      }
      merged.rows = merged.ids.size();
      rewritten += merged.rows;
      segs.erase(segs.begin() + p.begin, segs.begin() + p.end);
      segs.insert(segs.begin() + p.begin, std::move(merged));
    }
    if (f >= warmup) out.max_segments = std::max(out.max_segments, segs.size());
  }
  out.rewrite_per_write = static_cast<double>(rewritten) / written;
  return out;
}

TEST(CompactionPolicyTest, OverwritesOfAFixedSetKeepTheSegmentCountBounded) {
  // The soak's shape: each flush rewrites about a fifth of the ids. The
  // earlier policy (a mostly-dead segment rewritten alone, size tiers only
  // at the newest end) ended this run with about one segment per flush.
  SimResult r = Simulate(20000, 4500, 150, 2, 20);
  EXPECT_LE(r.max_segments, 6u);
  EXPECT_LT(r.rewrite_per_write, 4.0);
  // Small flushes against a large set.
  SimResult s = Simulate(50000, 500, 300, 2, 50);
  EXPECT_LE(s.max_segments, 12u);
  EXPECT_LT(s.rewrite_per_write, 6.0);
}

TEST(CompactionPolicyTest, AppendsKeepTheSegmentCountLogarithmic) {
  // Ids never repeat (a universe far larger than what is written).
  SimResult r = Simulate(4000000, 1000, 200, 2, 0);
  EXPECT_LE(r.max_segments, 16u);
  EXPECT_LT(r.rewrite_per_write, 5.0);
}

}  // namespace
}  // namespace proximadb
