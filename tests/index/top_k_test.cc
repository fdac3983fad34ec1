// The one top-k implementation (index/top_k.h) and the candidate ranking
// built on it (index::TopK).
#include "index/top_k.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

#include "index/vector_index.h"

namespace proximadb::index {
namespace {

TEST(BestKTest, KeepsTheKBestSortedBestFirst) {
  BestK<int, std::less<int>> best(3);
  for (int v : {5, 1, 9, 3, 7, 2, 8}) best.Push(v);
  EXPECT_TRUE(best.full());
  EXPECT_EQ(best.worst(), 3);
  EXPECT_EQ(best.Take(), (std::vector<int>{1, 2, 3}));
}

TEST(BestKTest, FewerThanKAndZero) {
  BestK<int, std::less<int>> best(5);
  best.Push(4);
  best.Push(2);
  EXPECT_FALSE(best.full());
  EXPECT_EQ(best.Take(), (std::vector<int>{2, 4}));
  BestK<int, std::less<int>> none(0);
  none.Push(1);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_TRUE(none.Take().empty());
}

TEST(BestKTest, MatchesSortingOnRandomInput) {
  std::mt19937 rng(3);
  for (int round = 0; round < 200; ++round) {
    const size_t k = rng() % 20;
    std::vector<int> all(rng() % 100);
    for (int& v : all) v = static_cast<int>(rng() % 50);  // many ties
    BestK<int, std::greater<int>> best(k);
    for (int v : all) best.Push(v);
    std::sort(all.begin(), all.end(), std::greater<int>());
    all.resize(std::min(k, all.size()));
    EXPECT_EQ(best.Take(), all);
  }
}

TEST(TopKTest, TiesBrokenByRowAndThreshold) {
  TopK top(2);
  EXPECT_EQ(top.threshold(), std::numeric_limits<float>::infinity());
  top.Push({7, 1.0f});
  top.Push({3, 1.0f});
  EXPECT_EQ(top.threshold(), 1.0f);
  top.Push({5, 1.0f});  // ties the worst (row 7) but ranks ahead of it
  top.Push({9, 1.0f});  // ranks behind both: stays out
  auto got = top.Take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].row, 3u);
  EXPECT_EQ(got[1].row, 5u);
  TopK none(0);
  EXPECT_EQ(none.threshold(), std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace proximadb::index
