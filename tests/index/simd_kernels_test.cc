// Every SIMD level this CPU supports against the scalar reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "index/distance.h"
#include "index/simd/dispatch.h"

namespace proximadb::index::simd {
namespace {

const size_t kDims[] = {1, 3, 17, 100, 768, 1536};

class SimdLevelTest : public ::testing::TestWithParam<SimdLevel> {
 protected:
  const KernelTable* Table() {
    const KernelTable* t = KernelsFor(GetParam());
    return t;
  }
};

TEST_P(SimdLevelTest, FloatKernelsMatchScalar) {
  const KernelTable* t = Table();
  if (t == nullptr) {
    GTEST_SKIP() << "SIMD level " << SimdLevelName(GetParam())
                 << " is not supported on this CPU/build";
  }
  const KernelTable* ref = KernelsFor(SimdLevel::kScalar);
  std::mt19937 rng(7);
  std::normal_distribution<float> n;
  for (size_t dim : kDims) {
    // One extra element so the second vector starts misaligned.
    std::vector<float> a(dim), b(dim + 1);
    for (auto& x : a) x = n(rng);
    for (auto& x : b) x = n(rng);
    const float* bb = b.data() + 1;
    double l2 = 0, dot = 0;
    for (size_t i = 0; i < dim; ++i) {
      l2 += (double(a[i]) - bb[i]) * (double(a[i]) - bb[i]);
      dot += double(a[i]) * bb[i];
    }
    SCOPED_TRACE("dim " + std::to_string(dim));
    EXPECT_NEAR(t->l2(a.data(), bb, dim), ref->l2(a.data(), bb, dim),
                1e-5 * (1 + l2));
    EXPECT_NEAR(t->l2(a.data(), bb, dim), l2, 1e-5 * (1 + l2));
    EXPECT_NEAR(t->dot(a.data(), bb, dim), ref->dot(a.data(), bb, dim),
                1e-5 * (1 + std::sqrt(double(dim))));
    EXPECT_EQ(t->l2(a.data(), a.data(), dim), 0.0f);
  }
}

TEST_P(SimdLevelTest, PqDotsMatchDoubleSums) {
  const KernelTable* t = Table();
  if (t == nullptr) {
    GTEST_SKIP() << "SIMD level " << SimdLevelName(GetParam())
                 << " is not supported on this CPU/build";
  }
  std::mt19937 rng(8);
  std::normal_distribution<float> n;
  for (size_t w : {1, 3, 4, 8, 17}) {
    // One extra float so the codebook starts misaligned.
    std::vector<float> ct(w * kPqCentroids + 1), y(w), out(kPqCentroids);
    for (auto& x : ct) x = n(rng);
    for (auto& x : y) x = n(rng);
    t->pq_dots(ct.data() + 1, y.data(), w, out.data());
    for (size_t k = 0; k < kPqCentroids; ++k) {
      double want = 0;
      for (size_t d = 0; d < w; ++d) {
        want += double(y[d]) * ct[1 + d * kPqCentroids + k];
      }
      EXPECT_NEAR(out[k], want, 1e-5 * (1 + std::sqrt(double(w))))
          << "w " << w << " k " << k;
    }
  }
}

TEST_P(SimdLevelTest, Uint8KernelsAreExact) {
  const KernelTable* t = Table();
  if (t == nullptr) {
    GTEST_SKIP() << "SIMD level " << SimdLevelName(GetParam())
                 << " is not supported on this CPU/build";
  }
  const KernelTable* ref = KernelsFor(SimdLevel::kScalar);
  std::mt19937 rng(8);
  for (size_t dim : kDims) {
    std::vector<uint8_t> a(dim), b(dim + 1);
    for (auto& x : a) x = uint8_t(rng());
    for (auto& x : b) x = uint8_t(rng());
    const uint8_t* bb = b.data() + 1;
    uint64_t l2 = 0, dot = 0;
    for (size_t i = 0; i < dim; ++i) {
      int d = int(a[i]) - int(bb[i]);
      l2 += uint64_t(d * d);
      dot += uint64_t(a[i]) * bb[i];
    }
    SCOPED_TRACE("dim " + std::to_string(dim));
    EXPECT_EQ(t->l2_u8(a.data(), bb, dim), l2);
    EXPECT_EQ(t->dot_u8(a.data(), bb, dim), dot);
    EXPECT_EQ(ref->l2_u8(a.data(), bb, dim), l2);
  }
  // Extremes: 0 vs 255 everywhere, the largest per-lane sums.
  std::vector<uint8_t> zero(1536, 0), full(1536, 255);
  EXPECT_EQ(t->l2_u8(zero.data(), full.data(), 1536), 1536u * 255 * 255);
  EXPECT_EQ(t->dot_u8(full.data(), full.data(), 1536), 1536u * 255 * 255);
}

TEST_P(SimdLevelTest, BinaryKernelIsExact) {
  const KernelTable* t = Table();
  if (t == nullptr) {
    GTEST_SKIP() << "SIMD level " << SimdLevelName(GetParam())
                 << " is not supported on this CPU/build";
  }
  std::mt19937_64 rng(9);
  for (size_t words : {size_t(1), size_t(2), size_t(12), size_t(13)}) {
    std::vector<uint64_t> planes(4 * words), code(words);
    for (auto& x : planes) x = rng();
    for (auto& x : code) x = rng();
    // Bit by bit: the 4-bit weight of each dimension times its code bit.
    uint32_t want = 0, want_ones = 0;
    for (size_t d = 0; d < 64 * words; ++d) {
      const uint64_t bit = (code[d / 64] >> (d % 64)) & 1;
      uint32_t u = 0;
      for (size_t k = 0; k < 4; ++k) {
        u |= uint32_t((planes[k * words + d / 64] >> (d % 64)) & 1) << k;
      }
      want += bit * u;
      want_ones += bit;
    }
    uint32_t ones = 0;
    SCOPED_TRACE("words " + std::to_string(words));
    EXPECT_EQ(t->bq_dot(planes.data(), code.data(), words, &ones), want);
    EXPECT_EQ(ones, want_ones);
  }
  // Every bit set: 15 per dimension.
  std::vector<uint64_t> all(4 * 16, ~uint64_t{0});
  uint32_t ones = 0;
  EXPECT_EQ(t->bq_dot(all.data(), all.data(), 16, &ones), 15u * 1024);
  EXPECT_EQ(ones, 1024u);
}

// The batched kernels must give every row exactly what the single-row kernel
// of the same level gives (the flat scan's results depend on it), and so
// match scalar within rounding like the single-row kernels do.
TEST_P(SimdLevelTest, BatchKernelsEqualSingleRowBitForBit) {
  const KernelTable* t = Table();
  if (t == nullptr) {
    GTEST_SKIP() << "SIMD level " << SimdLevelName(GetParam())
                 << " is not supported on this CPU/build";
  }
  const KernelTable* ref = KernelsFor(SimdLevel::kScalar);
  std::mt19937 rng(9);
  std::normal_distribution<float> n;
  for (size_t dim : kDims) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    std::vector<float> q(dim + 1);
    for (auto& x : q) x = n(rng);
    // Rows at odd offsets (misaligned) and not adjacent in memory.
    std::vector<float> pool(kBatch * (dim + 3) + 1);
    for (auto& x : pool) x = n(rng);
    const float* rows[kBatch];
    for (size_t r = 0; r < kBatch; ++r)
      rows[r] = pool.data() + 1 + r * (dim + 3);
    const float* qq = q.data() + 1;
    float l2[kBatch], dot[kBatch];
    t->l2_x4(qq, rows, dim, l2);
    t->dot_x4(qq, rows, dim, dot);
    for (size_t r = 0; r < kBatch; ++r) {
      SCOPED_TRACE("row " + std::to_string(r));
      EXPECT_EQ(l2[r], t->l2(qq, rows[r], dim));
      EXPECT_EQ(dot[r], t->dot(qq, rows[r], dim));
      float rl2 = ref->l2(qq, rows[r], dim);
      EXPECT_NEAR(l2[r], rl2, 1e-5 * (1 + rl2));
      EXPECT_NEAR(dot[r], ref->dot(qq, rows[r], dim),
                  1e-5 * (1 + std::sqrt(double(dim))));
    }
    // A row equal to the query is at distance exactly 0.
    const float* same[kBatch] = {rows[0], qq, rows[2], qq};
    t->l2_x4(qq, same, dim, l2);
    EXPECT_EQ(l2[1], 0.0f);
    EXPECT_EQ(l2[3], 0.0f);
    EXPECT_EQ(l2[0], t->l2(qq, rows[0], dim));
  }
}

// The early-abandoning kernels the graph walks use: below the bound the
// answer is the full kernel's bit for bit; at or above it, some value at
// or above the bound (and never above the full distance); and a walk that
// compares with the bound decides exactly as with the full kernel.
TEST_P(SimdLevelTest, BoundedKernelsDecideLikeTheFullOnes) {
  const KernelTable* t = Table();
  if (t == nullptr) {
    GTEST_SKIP() << "SIMD level " << SimdLevelName(GetParam())
                 << " is not supported on this CPU/build";
  }
  std::mt19937 rng(11);
  std::normal_distribution<float> n;
  std::uniform_int_distribution<int> byte(0, 255);
  const size_t dims[] = {1, 3, 17, 100, 128, 129, 256, 300, 768, 784, 1536};
  for (size_t dim : dims) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    std::vector<float> a(dim), b(dim + 1);
    std::vector<uint8_t> ca(dim), cb(dim + 1);
    for (int trial = 0; trial < 20; ++trial) {
      for (auto& x : a) x = n(rng);
      for (auto& x : b) x = n(rng);
      for (auto& x : ca) x = uint8_t(byte(rng));
      for (auto& x : cb) x = uint8_t(byte(rng));
      const float* bb = b.data() + 1;  // misaligned
      const uint8_t* cbb = cb.data() + 1;
      const float full = t->l2(a.data(), bb, dim);
      const uint32_t cfull = t->l2_u8(ca.data(), cbb, dim);
      // Bounds below, at and above the distance, and the extremes.
      const float fractions[] = {0.0f, 0.01f, 0.3f, 0.9f, 1.0f, 1.1f, 10.0f};
      for (float f : fractions) {
        const float bound = full * f;
        const float got = t->l2_bounded(a.data(), bb, dim, bound);
        EXPECT_EQ(got < bound, full < bound) << "bound " << bound;
        if (full < bound) {
          EXPECT_EQ(got, full);
        }
        EXPECT_LE(got, full);
        const uint32_t cbound = uint32_t(double(cfull) * f);
        const uint32_t cgot = t->l2_u8_bounded(ca.data(), cbb, dim, cbound);
        EXPECT_EQ(cgot < cbound, cfull < cbound) << "bound " << cbound;
        if (cfull < cbound) {
          EXPECT_EQ(cgot, cfull);
        }
        EXPECT_LE(cgot, cfull);
      }
      EXPECT_EQ(t->l2_bounded(a.data(), bb, dim, INFINITY), full);
      EXPECT_EQ(t->l2_u8_bounded(ca.data(), cbb, dim, 0xFFFFFFFFu), cfull);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllLevels, SimdLevelTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const auto& info) {
                           return std::string(SimdLevelName(info.param));
                         });

TEST(SimdDispatchTest, ActiveLevelIsSupportedAndHonoursEnv) {
  auto levels = SupportedSimdLevels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), SimdLevel::kScalar);
  SimdLevel active = ActiveSimdLevel();
  EXPECT_NE(std::find(levels.begin(), levels.end(), active), levels.end());
  const char* env = std::getenv("PDB_SIMD");
  if (env != nullptr) {
    bool supported = false;
    for (SimdLevel l : levels) supported |= SimdLevelName(l) == env;
    if (supported) {
      EXPECT_EQ(SimdLevelName(active), env);
    }
  } else {
    EXPECT_EQ(active, levels.back());
  }
  // The public entry points go through the active table.
  float a[5] = {1, 2, 3, 4, 5}, b[5] = {5, 4, 3, 2, 1};
  EXPECT_FLOAT_EQ(L2Sqr(a, b, 5), 40.0f);
  EXPECT_FLOAT_EQ(Dot(a, b, 5), 35.0f);
}

}  // namespace
}  // namespace proximadb::index::simd
