// Product quantization of residuals: subspace split, nearest-centroid
// codes, the estimate against the reconstruction it stands for, validation
// of saved parts, and that the estimate ranks well enough to re-score.
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

// A row's code, and the float reconstruction c + r^ it stands for.
struct PqCoded {
  std::vector<uint8_t> code;
  uint8_t centroid = 0;
  float term = 0;
};

PqCoded PqEncode(const ProductQuantizer& pq, const float* x) {
  PqCoded c;
  c.code.resize(pq.subspaces());
  c.term = pq.Encode(x, c.code.data(), &c.centroid);
  return c;
}

std::vector<float> PqDecode(const ProductQuantizer& pq, const PqCoded& c) {
  std::vector<float> x(pq.coarse().begin() + size_t(c.centroid) * pq.dim(),
                       pq.coarse().begin() + size_t(c.centroid + 1) * pq.dim());
  for (uint32_t s = 0; s < pq.subspaces(); ++s) {
    const uint32_t b = pq.Begin(s), w = pq.Begin(s + 1) - b;
    const float* word =
        pq.codebooks().data() + size_t(K) * b + size_t(c.code[s]) * w;
    for (uint32_t d = 0; d < w; ++d) x[b + d] += word[d];
  }
  return x;
}

float PqEstimate(const ProductQuantizer& pq, const PqQuery& q, Metric m,
                 const PqCoded& c) {
  return ProductQuantizer::Estimate(
      q, m, c.centroid,
      ProductQuantizer::Adc(q.table.data(), c.code.data(), pq.subspaces()),
      c.term);
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
  EXPECT_EQ(pq.coarse_count(), 2000u / 32);
  for (uint32_t r = 0; r < d.rows; r += 37) {
    const PqCoded c = PqEncode(pq, d.row(r));
    // The coarse centroid is the nearest one...
    double best = std::numeric_limits<double>::infinity();
    for (uint32_t j = 0; j < pq.coarse_count(); ++j) {
      best = std::min(best, L2(d.row(r), pq.coarse().data() + j * 24, 24));
    }
    const float* cc = pq.coarse().data() + size_t(c.centroid) * 24;
    EXPECT_LE(L2(d.row(r), cc, 24), best + 1e-4 * (1 + best)) << r;
    // ...and every codeword the nearest to the residual's sub-vector.
    std::vector<float> res(24);
    for (uint32_t j = 0; j < 24; ++j) res[j] = d.row(r)[j] - cc[j];
    for (uint32_t s = 0; s < pq.subspaces(); ++s) {
      const uint32_t b = pq.Begin(s), w = pq.Begin(s + 1) - b;
      const float* books = pq.codebooks().data() + size_t(K) * b;
      double bw = std::numeric_limits<double>::infinity();
      for (uint32_t k = 0; k < K; ++k) {
        bw = std::min(bw, L2(res.data() + b, books + size_t(k) * w, w));
      }
      const double got = L2(res.data() + b, books + size_t(c.code[s]) * w, w);
      EXPECT_LE(got, bw + 1e-4 * (1 + bw)) << r << " " << s;
    }
  }
}

TEST(ProductQuantizerTest, FewRowsAreCodedExactly) {
  // Fewer rows than codewords: every residual is a codeword of every
  // subspace.
  const Dataset d = RandomData(40, 16, 3);
  const ProductQuantizer pq = TrainOrDie(d, 4);
  EXPECT_EQ(pq.coarse_count(), 1u);
  for (uint32_t r = 0; r < d.rows; ++r) {
    const auto x = PqDecode(pq, PqEncode(pq, d.row(r)));
    EXPECT_LT(L2(x.data(), d.row(r), d.dim), 1e-8) << r;
  }
}

TEST(ProductQuantizerTest, EstimateIsTheDistanceToTheReconstruction) {
  const Dataset d = ClusteredData(3000, 40, 30, 4);
  const Dataset q = ClusteredData(20, 40, 30, 5);
  for (uint32_t m : {5u, 10u, 13u, 40u}) {
    const ProductQuantizer pq = TrainOrDie(d, m);
    PqQuery t_l2, t_dot;
    for (uint32_t i = 0; i < q.rows; ++i) {
      pq.Prepare(q.row(i), Metric::kEuclidean, &t_l2);
      pq.Prepare(q.row(i), Metric::kDotProduct, &t_dot);
      ASSERT_EQ(t_l2.table.size(), size_t(K) * m);
      ASSERT_EQ(t_l2.centroid_terms.size(), pq.coarse_count());
      for (uint32_t r = 0; r < d.rows; r += 101) {
        const PqCoded c = PqEncode(pq, d.row(r));
        const auto x = PqDecode(pq, c);
        const double l2 = L2(q.row(i), x.data(), d.dim);
        double dot = 0;
        for (uint32_t j = 0; j < d.dim; ++j) dot += double(q.row(i)[j]) * x[j];
        EXPECT_NEAR(PqEstimate(pq, t_l2, Metric::kEuclidean, c), l2,
                    1e-3 * (1 + l2));
        EXPECT_NEAR(PqEstimate(pq, t_dot, Metric::kDotProduct, c), dot,
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
  std::vector<PqCoded> codes;
  for (uint32_t r = 0; r < d.rows; ++r) codes.push_back(PqEncode(pq, d.row(r)));
  PqQuery table;
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
      est[r] = PqEstimate(pq, table, Metric::kEuclidean, codes[r]);
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
  EXPECT_EQ(TrainOrDie(d, 8).coarse(), TrainOrDie(d, 8).coarse());
}

TEST(ProductQuantizerTest, BadInputsAreRefused) {
  Dataset d = RandomData(50, 8, 9);
  EXPECT_FALSE(ProductQuantizer::Train(d.view(), 9).ok());  // M > dim
  VectorView empty = d.view();
  empty.rows = 0;
  EXPECT_FALSE(ProductQuantizer::Train(empty, 2).ok());
  d.data[13] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(ProductQuantizer::Train(d.view(), 2).ok());

  std::vector<float> books(size_t(K) * 8, 0.5f), coarse(16, 0.25f);
  EXPECT_TRUE(ProductQuantizer::FromParts(8, 2, books, coarse).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 0, books, coarse).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 9, books, coarse).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(9, 2, books, coarse).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 2, books, {}).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 2, books, {1, 2, 3}).ok());
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 2, books,
                                           std::vector<float>(8 * 257, 0.0f))
                   .ok());  // more than 256 coarse centroids
  coarse[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 2, books, coarse).ok());
  coarse[3] = 0;
  books[77] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(ProductQuantizer::FromParts(8, 2, books, coarse).ok());
}

TEST(ProductQuantizerTest, FromPartsServesLikeTheTrainedOne) {
  const Dataset d = ClusteredData(1000, 20, 8, 10);
  const ProductQuantizer a = TrainOrDie(d, 5);
  auto b = ProductQuantizer::FromParts(20, 5, a.codebooks(), a.coarse());
  ASSERT_TRUE(b.ok());
  for (uint32_t r = 0; r < d.rows; r += 50) {
    const PqCoded ca = PqEncode(a, d.row(r)), cb = PqEncode(*b, d.row(r));
    EXPECT_EQ(ca.code, cb.code);
    EXPECT_EQ(ca.centroid, cb.centroid);
    EXPECT_EQ(ca.term, cb.term);
  }
  PqQuery ta, tb;
  a.Prepare(d.row(3), Metric::kCosine, &ta);
  b->Prepare(d.row(3), Metric::kCosine, &tb);
  EXPECT_EQ(ta.table, tb.table);
  EXPECT_EQ(ta.centroid_terms, tb.centroid_terms);
}

}  // namespace
}  // namespace proximadb::index::quant
