// Vectors at the accepted bound (squared norm kMaxSquaredNorm, util/limits.h)
// never give an infinite or NaN distance: every kernel of every SIMD level,
// the batched kernels, all three metrics, and the int8 code distances.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "index/distance.h"
#include "index/quant/scalar_quantizer.h"
#include "index/simd/dispatch.h"
#include "util/limits.h"

namespace proximadb::index {
namespace {

using simd::KernelTable;
using simd::SimdLevel;

double SquaredNorm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return s;
}

// Scales `v` so that its squared norm (summed in double, as the engine's
// check does) is as close to the bound as float rounding allows, not over.
void ScaleToBound(std::vector<float>* v) {
  double f = std::sqrt(kMaxSquaredNorm / SquaredNorm(*v));
  for (int tries = 0; tries < 100; ++tries) {
    std::vector<float> w = *v;
    for (float& x : w) x = static_cast<float>(x * f);
    if (SquaredNorm(w) <= kMaxSquaredNorm) {
      *v = std::move(w);
      return;
    }
    f *= 1 - 1e-7;
  }
  FAIL() << "could not scale to the bound";
}

// The pairs that stress each kernel most: a and -a (largest L2), a and a
// (largest dot), all mass in one coordinate, and unrelated vectors.
std::vector<std::vector<float>> Vectors(size_t dim, std::mt19937* rng) {
  std::normal_distribution<float> n;
  std::vector<std::vector<float>> out;
  for (int i = 0; i < 3; ++i) {
    std::vector<float> v(dim);
    for (float& x : v) x = n(*rng);
    out.push_back(v);
  }
  std::vector<float> spike(dim, 0.0f);
  spike[dim / 2] = 1;
  out.push_back(spike);
  std::vector<float> flat(dim, 1.0f);  // equal coordinates: no cancellation
  out.push_back(flat);
  for (auto& v : out) ScaleToBound(&v);
  const size_t m = out.size();
  for (size_t i = 0; i < m; ++i) {
    std::vector<float> neg = out[i];
    for (float& x : neg) x = -x;
    out.push_back(neg);
  }
  return out;
}

const size_t kDims[] = {1, 3, 17, 100, 768, 1536, 65536};

class FiniteScoresTest : public ::testing::TestWithParam<SimdLevel> {};

TEST_P(FiniteScoresTest, KernelsStayFiniteAtTheBound) {
  const KernelTable* t = simd::KernelsFor(GetParam());
  if (t == nullptr) GTEST_SKIP() << "SIMD level not supported here";
  std::mt19937 rng(11);
  for (size_t dim : kDims) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const auto vs = Vectors(dim, &rng);
    for (const auto& a : vs) {
      const float na = std::sqrt(t->dot(a.data(), a.data(), dim));
      ASSERT_TRUE(std::isfinite(na));
      ASSERT_GT(na, 0);
      for (const auto& b : vs) {
        const float nb = std::sqrt(t->dot(b.data(), b.data(), dim));
        const float l2 = t->l2(a.data(), b.data(), dim);
        const float dot = t->dot(a.data(), b.data(), dim);
        ASSERT_TRUE(std::isfinite(l2)) << l2;
        ASSERT_TRUE(std::isfinite(dot)) << dot;
        const float cos_dist = 1.0f - dot / (na * nb);
        ASSERT_TRUE(std::isfinite(cos_dist)) << cos_dist;
        EXPECT_TRUE(std::isfinite(ScoreFromDistance(Metric::kEuclidean, l2)));
        EXPECT_TRUE(
            std::isfinite(ScoreFromDistance(Metric::kDotProduct, -dot)));
        EXPECT_TRUE(
            std::isfinite(ScoreFromDistance(Metric::kCosine, cos_dist)));
      }
      // The batched kernels, four rows at a time.
      const float* rows[simd::kBatch];
      for (size_t r = 0; r < simd::kBatch; ++r) {
        rows[r] = vs[(r * 3 + 1) % vs.size()].data();
      }
      float l2s[simd::kBatch], dots[simd::kBatch];
      t->l2_x4(a.data(), rows, dim, l2s);
      t->dot_x4(a.data(), rows, dim, dots);
      for (size_t r = 0; r < simd::kBatch; ++r) {
        ASSERT_TRUE(std::isfinite(l2s[r]));
        ASSERT_TRUE(std::isfinite(dots[r]));
      }
    }
  }
}

// The int8 path ranks with code distances whose terms, near the bound, can
// each exceed the float range; they must clamp rather than give inf or NaN.
TEST_P(FiniteScoresTest, Int8CodeDistancesStayFinite) {
  const KernelTable* t = simd::KernelsFor(GetParam());
  if (t == nullptr) GTEST_SKIP() << "SIMD level not supported here";
  std::mt19937 rng(12);
  for (size_t dim : {size_t{3}, size_t{768}, size_t{65536}}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    auto vs = Vectors(dim, &rng);
    // Rows that each put the whole bound on another coordinate make every
    // per-dimension minimum large: the query term then overflows float.
    for (size_t d = 0; d < std::min<size_t>(dim, 64); ++d) {
      std::vector<float> v(dim, 0.0f);
      v[d] = -1;
      ScaleToBound(&v);
      vs.push_back(v);
    }
    std::vector<float> data;
    for (const auto& v : vs) data.insert(data.end(), v.begin(), v.end());
    VectorView view{data.data(), nullptr, static_cast<uint32_t>(vs.size()),
                    static_cast<uint32_t>(dim)};
    auto sq = quant::ScalarQuantizer::Train(view);
    ASSERT_TRUE(sq.ok()) << sq.status().ToString();
    std::vector<std::vector<uint8_t>> codes(vs.size(),
                                            std::vector<uint8_t>(dim));
    for (size_t i = 0; i < vs.size(); ++i)
      sq->Encode(vs[i].data(), codes[i].data());
    for (size_t q = 0; q < vs.size(); ++q) {
      const double qterm = sq->QueryTerm(vs[q].data());
      for (size_t r = 0; r < vs.size(); ++r) {
        const float l2 =
            sq->L2(t->l2_u8(codes[q].data(), codes[r].data(), dim));
        const float dot =
            sq->Dot(t->dot_u8(codes[q].data(), codes[r].data(), dim),
                    sq->RowTerm(codes[r].data()), qterm);
        ASSERT_TRUE(std::isfinite(l2)) << q << " " << r;
        ASSERT_TRUE(std::isfinite(dot)) << q << " " << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllLevels, FiniteScoresTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const auto& info) {
                           return std::string(simd::SimdLevelName(info.param));
                         });

}  // namespace
// The early-abandoning int8 walk stops at L2CodeBound(bound): every code
// sum from there on must map to a distance at or above the bound, at every
// scale (tiny steps, huge steps, bounds near the float range).
TEST(QuantizerBoundTest, CodeBoundMapsToDistancesAtOrAboveTheBound) {
  std::mt19937 rng(3);
  for (float scale : {1e-6f, 1.0f, 255.0f, 1e6f, 1e15f}) {
    std::vector<float> data(2 * 16);
    for (size_t i = 0; i < 16; ++i) data[16 + i] = scale;  // row 1: max
    VectorView view{data.data(), nullptr, 2, 16};
    auto sq = quant::ScalarQuantizer::Train(view);
    ASSERT_TRUE(sq.ok()) << sq.status().ToString();
    std::uniform_int_distribution<uint32_t> raw(0, 255u * 255u * 16u);
    for (int i = 0; i < 2000; ++i) {
      const float bound = sq->L2(raw(rng));
      const double limit = sq->L2CodeBound(bound);
      ASSERT_GE(limit, 0.0);
      if (limit >= 4294967295.0) continue;
      for (uint32_t c :
           {uint32_t(limit), uint32_t(limit) + 1, uint32_t(limit) + 1000}) {
        ASSERT_GE(sq->L2(c), bound) << "scale " << scale << " sum " << c;
      }
    }
    EXPECT_GE(sq->L2CodeBound(INFINITY), 4294967295.0);
  }
}

}  // namespace proximadb::index
