#include "index/flat_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "index/distance.h"
#include "index/simd/dispatch.h"

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

// The scan FlatIndex used before blocked scanning: one InternalDistance per
// row (with the given level's single-row kernels), the filter only for rows
// that would enter, a TopK. The blocked scan must return exactly this.
std::vector<Candidate> PerRowScan(const simd::KernelTable& k, VectorView v,
                                  Metric m, const SearchParams& p,
                                  const RowFilter& accept) {
  TopK top(p.k);
  if (p.k == 0) return {};
  for (uint32_t row = 0; row < v.rows; ++row) {
    const float* x = v.data + size_t(row) * v.dim;
    float d = 0;
    if (m == Metric::kEuclidean) {
      d = k.l2(p.query, x, v.dim);
    } else {
      float dot = k.dot(p.query, x, v.dim);
      float denom = p.query_norm * (v.norms ? v.norms[row] : 0.0f);
      d = m == Metric::kDotProduct ? -dot
          : denom > 0              ? 1.0f - dot / denom
                                   : 1.0f;
    }
    if (top.full() && !(d < top.threshold())) continue;
    if (accept && !accept(row)) continue;
    top.Push({row, d});
  }
  return top.Take();
}

// Random rows with exact duplicates (so ties, equal distances, are
// exercised: the lower row must win), their norms, deleted rows (a dead set)
// and the filters the scan tests run with: none, liveness, liveness plus a
// metadata-like condition, and one that refuses everything.
struct ScanData {
  ScanData(uint32_t rows, uint32_t dim, std::mt19937& rng)
      : data(size_t(rows) * dim), norms(rows), dead(rows) {
    std::normal_distribution<float> n;
    for (auto& x : data) x = n(rng);
    for (uint32_t r = 5; r + 10 < rows; r += 11) {
      std::copy_n(&data[size_t(r) * dim], dim, &data[size_t(r + 10) * dim]);
    }
    for (uint32_t r = 0; r < rows; ++r) {
      norms[r] = Norm(&data[size_t(r) * dim], dim);
    }
    view = {data.data(), norms.data(), rows, dim};
    for (uint32_t r = 0; r < rows; ++r) dead[r] = rng() % 5 == 0;
    filters = {
        {},
        [this](uint32_t r) { return !dead[r]; },
        [this](uint32_t r) { return !dead[r] && r % 3 != 1; },
        [](uint32_t) { return false; },
    };
  }
  ScanData(const ScanData&) = delete;
  ScanData& operator=(const ScanData&) = delete;

  std::vector<float> data, norms;
  std::vector<bool> dead;
  VectorView view;
  std::vector<RowFilter> filters;
};

TEST(FlatIndexTest, BlockedScanEqualsPerRowScanAtEveryLevel) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n;
  for (simd::SimdLevel level : simd::SupportedSimdLevels()) {
    const simd::KernelTable& k = *simd::KernelsFor(level);
    // Row counts around the batch size (tails of 0..3 rows) and odd dims.
    for (uint32_t rows : {0u, 1u, 3u, 4u, 5u, 7u, 103u, 1000u}) {
      for (uint32_t dim : {1u, 3u, 17u, 100u, 768u}) {
        ScanData d(rows, dim, rng);
        const VectorView& view = d.view;
        const std::vector<RowFilter>& filters = d.filters;
        std::vector<float> q(dim);
        for (auto& x : q) x = n(rng);
        for (Metric m :
             {Metric::kEuclidean, Metric::kDotProduct, Metric::kCosine}) {
          for (uint32_t kk : {0u, 1u, 10u, rows + 5}) {  // k > n included
            for (size_t f = 0; f < filters.size(); ++f) {
              SCOPED_TRACE(std::string(simd::SimdLevelName(level)) + " rows " +
                           std::to_string(rows) + " dim " +
                           std::to_string(dim) + " metric " +
                           std::to_string(int(m)) + " k " + std::to_string(kk) +
                           " filter " + std::to_string(f));
              SearchParams p;
              p.query = q.data();
              p.query_norm = Norm(q.data(), dim);
              p.k = kk;
              // Every row `accept` sees: the blocked scan must ask about
              // the same rows, in the same order, as the per-row scan.
              std::vector<uint32_t> asked_blocked, asked_ref;
              auto spy = [&](std::vector<uint32_t>* log) -> RowFilter {
                if (!filters[f]) return {};
                return [&, log](uint32_t r) {
                  log->push_back(r);
                  return filters[f](r);
                };
              };
              std::vector<Candidate> got;
              FlatScan(k, view, m, p, spy(&asked_blocked), &got);
              auto want = PerRowScan(k, view, m, p, spy(&asked_ref));
              ASSERT_EQ(got.size(), want.size());
              for (size_t i = 0; i < got.size(); ++i) {
                EXPECT_EQ(got[i].row, want[i].row) << "rank " << i;
                EXPECT_EQ(got[i].distance, want[i].distance) << "rank " << i;
              }
              EXPECT_EQ(asked_blocked, asked_ref);
              if (filters[f]) {
                for (const Candidate& c : got) EXPECT_TRUE(filters[f](c.row));
              }
              // k > n: every accepted row comes back.
              if (kk > rows && f == 0) {
                EXPECT_EQ(got.size(), rows);
              }
            }
          }
        }
      }
    }
  }
}

TEST(FlatIndexTest, ScanManyEqualsOneScanPerQueryAtEveryLevel) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n;
  for (simd::SimdLevel level : simd::SupportedSimdLevels()) {
    const simd::KernelTable& k = *simd::KernelsFor(level);
    // Row counts below, at and past a tile (32 KiB of rows), dims with
    // several rows per tile, one row per tile (9000 floats = 36 KiB) and
    // short rows scanned with prefetching by FlatScan.
    for (uint32_t rows : {0u, 1u, 5u, 103u, 1000u}) {
      for (uint32_t dim : {3u, 100u, 784u, 9000u}) {
        if (size_t(rows) * dim > 2'000'000) continue;
        ScanData d(rows, dim, rng);
        const VectorView& view = d.view;
        const std::vector<RowFilter>& filters = d.filters;
        // A batch of queries, each with its own k and filter; one is a
        // stored row (distance 0, and its tie partner).
        const size_t nq = 9;
        std::vector<std::vector<float>> qs(nq, std::vector<float>(dim));
        for (auto& q : qs) {
          for (auto& x : q) x = n(rng);
        }
        if (rows > 5) std::copy_n(&d.data[size_t(5) * dim], dim, qs[0].begin());
        const uint32_t ks[] = {10, 1, 0, rows + 5, 10, 3, 10, 7, 1};
        for (Metric m :
             {Metric::kEuclidean, Metric::kDotProduct, Metric::kCosine}) {
          SCOPED_TRACE(std::string(simd::SimdLevelName(level)) + " rows " +
                       std::to_string(rows) + " dim " + std::to_string(dim) +
                       " metric " + std::to_string(int(m)));
          std::vector<std::vector<uint32_t>> asked_many(nq), asked_one(nq);
          auto spy = [&](size_t f, std::vector<uint32_t>* log) -> RowFilter {
            if (!filters[f]) return {};
            return [&, f, log](uint32_t r) {
              log->push_back(r);
              return filters[f](r);
            };
          };
          std::vector<RowFilter> accepts;
          for (size_t i = 0; i < nq; ++i) {
            accepts.push_back(spy(i % filters.size(), &asked_many[i]));
          }
          std::vector<std::vector<Candidate>> got(nq);
          std::vector<SearchCounters> counters(nq);
          std::vector<ScanQuery> batch(nq);
          for (size_t i = 0; i < nq; ++i) {
            batch[i].params.query = qs[i].data();
            batch[i].params.query_norm = Norm(qs[i].data(), dim);
            batch[i].params.k = ks[i];
            batch[i].accept = &accepts[i];
            batch[i].out = &got[i];
            batch[i].counters = &counters[i];
          }
          FlatScanMany(k, view, m, batch);
          for (size_t i = 0; i < nq; ++i) {
            SCOPED_TRACE("query " + std::to_string(i));
            std::vector<Candidate> want;
            FlatScan(k, view, m, batch[i].params,
                     spy(i % filters.size(), &asked_one[i]), &want);
            ASSERT_EQ(got[i].size(), want.size());
            for (size_t j = 0; j < want.size(); ++j) {
              EXPECT_EQ(got[i][j].row, want[j].row) << "rank " << j;
              EXPECT_EQ(got[i][j].distance, want[j].distance) << "rank " << j;
            }
            EXPECT_EQ(asked_many[i], asked_one[i]);
            EXPECT_EQ(counters[i].distances_computed, rows);
            EXPECT_EQ(counters[i].points_scanned, rows);
          }
          if (rows > 5 && m == Metric::kEuclidean) {
            ASSERT_FALSE(got[0].empty());
            EXPECT_EQ(got[0][0].row, 5u);  // the stored row, tie broken low
            EXPECT_EQ(got[0][0].distance, 0.0f);
          }
        }
      }
    }
  }
}

TEST(FlatIndexTest, SearchUsesTheActiveLevelAndCountsEveryRow) {
  std::mt19937 rng(4);
  std::normal_distribution<float> n;
  const uint32_t dim = 33, rows = 257;  // 257 = 64 blocks of 4 + 1 tail row
  std::vector<float> data(size_t(rows) * dim), norms(rows);
  for (auto& x : data) x = n(rng);
  for (uint32_t r = 0; r < rows; ++r) norms[r] = Norm(&data[r * dim], dim);
  VectorView view{data.data(), norms.data(), rows, dim};
  FlatIndex flat(view, Metric::kEuclidean);
  std::vector<float> q(data.begin() + 256 * dim, data.end());  // = last row
  SearchParams p;
  p.query = q.data();
  p.k = 300;
  std::vector<Candidate> out;
  SearchCounters counters;
  flat.Search(p, {}, &out, &counters);
  ASSERT_EQ(out.size(), rows);
  EXPECT_EQ(out[0].row, 256u);  // the tail row, scored by the single kernel
  EXPECT_EQ(out[0].distance, 0.0f);
  auto want =
      PerRowScan(simd::ActiveKernels(), view, Metric::kEuclidean, p, {});
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].row, want[i].row);
    EXPECT_EQ(out[i].distance, want[i].distance);
  }
  EXPECT_EQ(counters.distances_computed, rows);
  EXPECT_EQ(counters.points_scanned, rows);
}

}  // namespace
}  // namespace proximadb::index
