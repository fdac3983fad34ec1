// Product quantization: subspace split, nearest-centroid codes, the ADC
// table against the reconstruction it stands for, validation of saved
// parts, and that the estimate ranks well enough to re-score.
#include "index/quant/product_quantizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "hnsw_test_util.h"

namespace proximadb::index::quant {
namespace {

using testing::ClusteredData;
using testing::Dataset;
using testing::RandomData;

constexpr uint32_t K = ProductQuantizer::kCentroids;

ProductQuantizer TrainOrDie(const Dataset& d, uint32_t m) {
  auto q = ProductQuantizer::Train(d.view(), m);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return std::move(q).value();
}

// The float reconstruction of a code.
std::vector<float> Decode(const ProductQuantizer& pq, const uint8_t* code) {
  std::vector<float> x(pq.dim());
  for (uint32_t s = 0; s < pq.subspaces(); ++s) {
    const uint32_t b = pq.Begin(s), w = pq.Begin(s + 1) - b;
    const float* c =
        pq.codebooks().data() + size_t(K) * b + size_t(code[s]) * w;
    std::copy(c, c + w, x.begin() + b);
  }
  return x;
}

double L2(const float* a, const float* b, uint32_t n) {
  double s = 0;
  for (uint32_t i = 0; i < n; ++i) s += (double(a[i]) - b[i]) * (a[i] - b[i]);
  return s;
}

TEST(ProductQuantizerTest, SubspacesCoverTheDimensionsEvenly) {
  const Dataset d = RandomData(300, 10, 1);
  const ProductQuantizer pq = TrainOrDie(d, 3);
  EXPECT_EQ(pq.subspaces(), 3u);
  EXPECT_EQ(pq.Begin(0), 0u);
  EXPECT_EQ(pq.Begin(3), 10u);
  for (uint32_t s = 0; s < 3; ++s) {
    const uint32_t w = pq.Begin(s + 1) - pq.Begin(s);
    EXPECT_TRUE(w == 3 || w == 4) << s;
  }
  EXPECT_EQ(pq.codebooks().size(), size_t(K) * 10);
  // The default is one byte per 4 dimensions, rounded up.
  EXPECT_EQ(TrainOrDie(d, 0).subspaces(), 3u);
  EXPECT_EQ(ProductQuantizer::DefaultSubspaces(784), 196u);
  EXPECT_EQ(ProductQuantizer::DefaultSubspaces(1), 1u);
}

TEST(ProductQuantizerTest, CodesAreTheNearestCentroids) {
  const Dataset d = ClusteredData(2000, 24, 20, 2);
  const ProductQuantizer pq = TrainOrDie(d, 6);
  std::vector<uint8_t> code(pq.subspaces());
  for (uint32_t r = 0; r < d.rows; r += 37) {
    pq.Encode(d.row(r), code.data());
    for (uint32_t s = 0; s < pq.subspaces(); ++s) {
      const uint32_t b = pq.Begin(s), w = pq.Begin(s + 1) - b;
      const float* books = pq.codebooks().data() + size_t(K) * b;
      double best = std::numeric_limits<double>::infinity();
      for (uint32_t k = 0; k < K; ++k) {
        best = std::min(best, L2(d.row(r) + b, books + size_t(k) * w, w));
      }
      const double got = L2(d.row(r) + b, books + size_t(code[s]) * w, w);
      EXPECT_LE(got, best + 1e-4 * (1 + best)) << r << " " << s;
    }
  }
}

TEST(ProductQuantizerTest, FewRowsAreCodedExactly) {
  // Fewer rows than centroids: every row is a centroid of every subspace.
  const Dataset d = RandomData(40, 16, 3);
  const ProductQuantizer pq = TrainOrDie(d, 4);
  std::vector<uint8_t> code(pq.subspaces());
  for (uint32_t r = 0; r < d.rows; ++r) {
    pq.Encode(d.row(r), code.data());
    const auto x = Decode(pq, code.data());
    EXPECT_LT(L2(x.data(), d.row(r), d.dim), 1e-8) << r;
  }
}

TEST(ProductQuantizerTest, AdcIsTheDistanceToTheReconstruction) {
  const Dataset d = ClusteredData(3000, 40, 30, 4);
  const Dataset q = ClusteredData(20, 40, 30, 5);
  for (uint32_t m : {5u, 10u, 13u, 40u}) {
    const ProductQuantizer pq = TrainOrDie(d, m);
    std::vector<uint8_t> code(pq.subspaces());
    std::vector<float> t_l2, t_dot;
    for (uint32_t i = 0; i < q.rows; ++i) {
      pq.Prepare(q.row(i), Metric::kEuclidean, &t_l2);
      pq.Prepare(q.row(i), Metric::kDotProduct, &t_dot);
      ASSERT_EQ(t_l2.size(), size_t(K) * m);
      for (uint32_t r = 0; r < d.rows; r += 101) {
        pq.Encode(d.row(r), code.data());
        const auto x = Decode(pq, code.data());
        const double l2 = L2(q.row(i), x.data(), d.dim);
        double dot = 0;
        for (uint32_t j = 0; j < d.dim; ++j) dot += double(q.row(i)[j]) * x[j];
        EXPECT_NEAR(ProductQuantizer::Adc(t_l2.data(), code.data(), m), l2,
                    1e-3 * (1 + l2));
        EXPECT_NEAR(ProductQuantizer::Adc(t_dot.data(), code.data(), m), dot,
                    1e-3 * (1 + std::abs(dot)));
      }
    }
  }
}

TEST(ProductQuantizerTest, RanksWellEnoughToRescore) {
  // The true 10 nearest rows are found among the best 5% by ADC: the walk
  // re-scores its beam, so this is what recall after re-scoring rests on.
  const Dataset d = ClusteredData(4000, 64, 40, 6);
  const Dataset q = ClusteredData(30, 64, 40, 7);
  const ProductQuantizer pq = TrainOrDie(d, 0);  // 16 bytes per row
  std::vector<uint8_t> codes(size_t(d.rows) * pq.subspaces());
  for (uint32_t r = 0; r < d.rows; ++r) {
    pq.Encode(d.row(r), codes.data() + size_t(r) * pq.subspaces());
  }
  std::vector<float> table;
  size_t hit = 0, total = 0;
  for (uint32_t i = 0; i < q.rows; ++i) {
    std::vector<uint32_t> rows(d.rows);
    std::iota(rows.begin(), rows.end(), 0u);
    auto exact = rows;
    std::partial_sort(exact.begin(), exact.begin() + 10, exact.end(),
                      [&](uint32_t a, uint32_t b) {
                        return L2(q.row(i), d.row(a), d.dim) <
                               L2(q.row(i), d.row(b), d.dim);
                      });
    pq.Prepare(q.row(i), Metric::kEuclidean, &table);
    std::vector<float> est(d.rows);
    for (uint32_t r = 0; r < d.rows; ++r) {
      est[r] = ProductQuantizer::Adc(table.data(),
                                     codes.data() + size_t(r) * pq.subspaces(),
                                     pq.subspaces());
    }
    const size_t keep = d.rows / 20;
    std::partial_sort(rows.begin(), rows.begin() + keep, rows.end(),
                      [&](uint32_t a, uint32_t b) { return est[a] < est[b]; });
    for (int j = 0; j < 10; ++j) {
      hit += std::count(rows.begin(), rows.begin() + keep, exact[j]);
      ++total;
    }
  }
  EXPECT_GE(double(hit) / total, 0.95);
}

TEST(ProductQuantizerTest, TrainingIsDeterministic) {
  const Dataset d = ClusteredData(1500, 32, 10, 8);
  EXPECT_EQ(TrainOrDie(d, 8).codebooks(), TrainOrDie(d, 8).codebooks());
}

TEST(ProductQuantizerTest, BadInputsAreRefused) {
  Dataset d = RandomData(50, 8, 9);
  EXPECT_FALSE(ProductQuantizer::Train(d.view(), 9).ok());  // M > dim
  VectorView empty = d.view();
  empty.rows = 0;
  EXPECT_FALSE(ProductQuantizer::Train(empty, 2).ok());
  d.data[13] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(ProductQuantizer::Train(d.view(), 2).ok());

  std::vector<float> books(size_t(K) * 8, 0.5f);
  EXPECT_TRUE(ProductQuantizer::FromParts(8, 2, books).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 0, books).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 9, books).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(9, 2, books).ok());  // size
  books[77] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 2, books).ok());
}

TEST(ProductQuantizerTest, FromPartsServesLikeTheTrainedOne) {
  const Dataset d = ClusteredData(1000, 20, 8, 10);
  const ProductQuantizer a = TrainOrDie(d, 5);
  auto b = ProductQuantizer::FromParts(20, 5, a.codebooks());
  ASSERT_TRUE(b.ok());
  std::vector<uint8_t> ca(5), cb(5);
  std::vector<float> ta, tb;
  for (uint32_t r = 0; r < d.rows; r += 50) {
    a.Encode(d.row(r), ca.data());
    b->Encode(d.row(r), cb.data());
    EXPECT_EQ(ca, cb);
  }
  a.Prepare(d.row(3), Metric::kCosine, &ta);
  b->Prepare(d.row(3), Metric::kCosine, &tb);
  EXPECT_EQ(ta, tb);
}

}  // namespace
}  // namespace proximadb::index::quant
