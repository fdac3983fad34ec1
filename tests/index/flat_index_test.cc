#include "index/flat_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "index/distance.h"

namespace proximadb::index {
namespace {

TEST(DistanceTest, MatchesDoublePrecisionOnOddDimensions) {
  std::mt19937 rng(1);
  std::normal_distribution<float> n;
  for (size_t dim : {1, 3, 17, 100, 768, 1536}) {
    std::vector<float> a(dim), b(dim);
    for (auto& x : a) x = n(rng);
    for (auto& x : b) x = n(rng);
    double l2 = 0, dot = 0;
    for (size_t i = 0; i < dim; ++i) {
      l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      dot += double(a[i]) * b[i];
    }
    EXPECT_NEAR(L2Sqr(a.data(), b.data(), dim), l2, 1e-4 * (1 + l2));
    EXPECT_NEAR(Dot(a.data(), b.data(), dim), dot,
                1e-4 * (1 + std::abs(dot)) + 1e-3);
  }
}

TEST(FlatIndexTest, TopKWithFilterIsExact) {
  std::mt19937 rng(2);
  std::normal_distribution<float> n;
  const uint32_t dim = 8, rows = 500;
  std::vector<float> data(dim * rows), norms(rows);
  for (auto& x : data) x = n(rng);
  for (uint32_t r = 0; r < rows; ++r) norms[r] = Norm(&data[r * dim], dim);
  for (Metric m : {Metric::kCosine, Metric::kEuclidean, Metric::kDotProduct}) {
    FlatIndex flat({data.data(), norms.data(), rows, dim}, m);
    std::vector<float> q(dim);
    for (auto& x : q) x = n(rng);
    SearchParams p;
    p.query = q.data();
    p.query_norm = Norm(q.data(), dim);
    p.k = 7;
    std::vector<Candidate> out;
    SearchCounters counters;
    flat.Search(
        p, [](uint32_t row) { return row % 3 == 0; }, &out, &counters);
    std::vector<std::pair<float, uint32_t>> ref;
    for (uint32_t r = 0; r < rows; r += 3) {
      ref.push_back({InternalDistance(m, q.data(), p.query_norm, &data[r * dim],
                                      norms[r], dim),
                     r});
    }
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(out.size(), 7u);
    for (size_t i = 0; i < out.size(); ++i)
      EXPECT_EQ(out[i].row, ref[i].second);
    EXPECT_EQ(counters.distances_computed, rows);
  }
}

}  // namespace
}  // namespace proximadb::index
