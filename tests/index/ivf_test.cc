// IvfIndex: recall against exact search for every metric and every code
// kind (none, int8, binary, pq), nprobe, filters, exact mode, and its file
// (round trip, damage).
#include "index/ivf/ivf_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "hnsw_test_util.h"
#include "proximadb/env.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::index {
namespace {

using testing::ClusteredData;
using testing::Dataset;
using testing::NoisyQueries;
using testing::Recall;
using testing::Rows;

std::unique_ptr<IvfIndex> BuildIvf(const Dataset& d, Metric m, Quantization q,
                                   uint32_t nlist = 0, uint32_t nprobe = 0) {
  IvfParams p;
  p.quantization = q;
  p.nlist = nlist;
  p.nprobe = nprobe;
  auto ix = IvfIndex::Build(d.view(), m, p, 2);
  EXPECT_TRUE(ix.ok()) << ix.status().ToString();
  return ix.ok() ? std::move(ix).value() : nullptr;
}

// Recall at a given nprobe (SearchParams::nprobe), exact search as truth.
double IvfRecall(const IvfIndex& ix, const Dataset& data, const Dataset& q,
                 Metric m, uint32_t nprobe, const RowFilter& accept = {},
                 bool cheap = false) {
  FlatIndex flat(data.view(), m);
  double hit = 0, total = 0;
  for (uint32_t i = 0; i < q.rows; ++i) {
    SearchParams p;
    p.query = q.row(i);
    p.query_norm = q.norms[i];
    p.k = 10;
    p.nprobe = nprobe;
    p.accept_cheap = cheap;
    std::vector<Candidate> truth, got;
    flat.Search(p, accept, &truth, nullptr);
    ix.Search(p, accept, &got, nullptr);
    std::set<uint32_t> t;
    for (const auto& c : truth) t.insert(c.row);
    for (const auto& c : got) hit += t.count(c.row);
    total += truth.size();
  }
  return total > 0 ? hit / total : 1.0;
}

class IvfTest
    : public ::testing::TestWithParam<std::tuple<Metric, Quantization>> {
 protected:
  void SetUp() override {
    const Quantization quant = std::get<1>(GetParam());
    const uint32_t dim = DimFor(quant);
    data_ = ClusteredData(6000, dim, 24, 71);
    // Binary: queries near the rows, as real queries are near real data
    // (the other kinds also pass queries from the rows' own distribution,
    // whose ten nearest are near-ties that 1-bit codes cannot order).
    queries_ = quant == Quantization::kBinary
                   ? NoisyQueries(data_, 60, 0.5f, 72)
                   : ClusteredData(60, dim, 24, 72);
  }
  // 1 bit per dimension tells 32-d rows apart too poorly for any shortlist
  // (recall@10 0.65 re-scoring 160 of 6000): binary codes are for wider
  // embeddings, tested at 128-d.
  static uint32_t DimFor(Quantization q) {
    return q == Quantization::kBinary ? 128 : 32;
  }
  Dataset data_, queries_;
};

TEST_P(IvfTest, RecallGrowsWithNprobeAndAllPartitionsIsExactOrNearly) {
  const auto [metric, quant] = GetParam();
  auto ix = BuildIvf(data_, metric, quant);
  ASSERT_NE(ix, nullptr);
  EXPECT_EQ(ix->nlist(), IvfIndex::DefaultNlist(6000));  // 77
  EXPECT_EQ(ix->nprobe(), IvfIndex::DefaultNprobe(ix->nlist()));
  uint32_t total = 0;
  for (uint32_t p = 0; p < ix->nlist(); ++p) total += ix->list_size(p);
  EXPECT_EQ(total, 6000u);
  const double one = IvfRecall(*ix, data_, queries_, metric, 1);
  const double dflt = IvfRecall(*ix, data_, queries_, metric, 0);
  const double all = IvfRecall(*ix, data_, queries_, metric, ix->nlist());
  EXPECT_LE(one, dflt + 1e-9);
  EXPECT_LE(dflt, all + 1e-9);
  EXPECT_GE(dflt, 0.95) << "default nprobe " << ix->nprobe();
  // Every partition on floats is a full scan; on codes, the re-scored
  // shortlist may still miss a few.
  EXPECT_GE(all, quant != Quantization::kNone ? 0.97 : 0.999);
  // exact = a full float scan whatever the codes.
  FlatIndex flat(data_.view(), metric);
  for (uint32_t i = 0; i < 10; ++i) {
    SearchParams p;
    p.query = queries_.row(i);
    p.query_norm = queries_.norms[i];
    p.k = 10;
    p.exact = true;
    std::vector<Candidate> a, b;
    flat.Search(p, {}, &a, nullptr);
    ix->Search(p, {}, &b, nullptr);
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].row, b[j].row);
  }
}

TEST_P(IvfTest, FilterIsAppliedAndCountersAreFilled) {
  const auto [metric, quant] = GetParam();
  auto ix = BuildIvf(data_, metric, quant);
  ASSERT_NE(ix, nullptr);
  RowFilter even = [](uint32_t row) { return row % 2 == 0; };
  SearchParams p;
  p.query = queries_.row(0);
  p.query_norm = queries_.norms[0];
  p.k = 20;
  std::vector<Candidate> got;
  SearchCounters c;
  ix->Search(p, even, &got, &c);
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].row % 2, 0u);
    if (i > 0) {
      EXPECT_LE(got[i - 1].distance, got[i].distance);
    }
  }
  EXPECT_GT(c.points_scanned, 0u);
  EXPECT_LT(c.points_scanned, 6000u);  // only the probed partitions
  EXPECT_GE(IvfRecall(*ix, data_, queries_, metric, 0, even), 0.9);
}

// A filter away from the query: the query comes from one cluster and only
// the rows of another are accepted, so the partitions nearest the query
// hold none ("other class" in docs/BENCHMARKS.md). Probing nprobe
// partitions, then widening until k rows are accepted, stops in the first
// partition of the other cluster; a cheap filter is tested on every probed
// row, and the probe goes on until it has scored AcceptedRowsToScore
// accepted rows, which reaches further into the cluster.
TEST_P(IvfTest, ACheapFilterAwayFromTheQueryScoresEnoughAcceptedRows) {
  const auto [metric, quant] = GetParam();
  constexpr uint32_t kClusters = 12, kRows = 6000;
  const uint32_t kDim = DimFor(quant);
  std::mt19937 rng(17);
  std::normal_distribution<float> n;
  std::vector<float> centres(kClusters * kDim);
  for (auto& x : centres) x = 3 * n(rng);
  Dataset data;
  data.dim = kDim;
  data.rows = kRows;
  std::vector<uint32_t> label(kRows);
  for (uint32_t r = 0; r < kRows; ++r) {
    label[r] = r % kClusters;
    for (uint32_t j = 0; j < kDim; ++j) {
      data.data.push_back(centres[label[r] * kDim + j] + n(rng));
    }
  }
  testing::FillNorms(&data);
  auto ix = BuildIvf(data, metric, quant);
  ASSERT_NE(ix, nullptr);
  double plain = 0, cheap = 0;
  uint64_t scanned_plain = 0, scanned_cheap = 0;
  constexpr uint32_t kQueries = 24;
  for (uint32_t i = 0; i < kQueries; ++i) {
    const uint32_t own = i % kClusters, other = (own + 5) % kClusters;
    Dataset q;
    q.dim = kDim;
    q.rows = 1;
    for (uint32_t j = 0; j < kDim; ++j) {
      q.data.push_back(centres[own * kDim + j] + n(rng));
    }
    testing::FillNorms(&q);
    const RowFilter accept = [&](uint32_t r) { return label[r] == other; };
    plain += IvfRecall(*ix, data, q, metric, 0, accept, false);
    cheap += IvfRecall(*ix, data, q, metric, 0, accept, true);
    SearchParams p;
    p.query = q.row(0);
    p.query_norm = q.norms[0];
    std::vector<Candidate> got;
    SearchCounters c1, c2;
    ix->Search(p, accept, &got, &c1);
    p.accept_cheap = true;
    got.clear();
    ix->Search(p, accept, &got, &c2);
    ASSERT_EQ(got.size(), 10u);
    for (const Candidate& c : got) EXPECT_EQ(label[c.row], other);
    scanned_plain += c1.points_scanned;
    scanned_cheap += c2.points_scanned;
    // Counting, only accepted rows are scored.
    EXPECT_LT(c2.distances_computed, c2.points_scanned);
  }
  plain /= kQueries;
  cheap /= kQueries;
  EXPECT_GE(cheap, 0.95) << "plain " << plain;
  EXPECT_GT(cheap, plain);
  EXPECT_GT(scanned_cheap, scanned_plain);
  // Accepting everything, counting probes at least as much as not.
  const RowFilter yes = [](uint32_t) { return true; };
  EXPECT_GE(IvfRecall(*ix, data_, queries_, metric, 0, yes, true),
            IvfRecall(*ix, data_, queries_, metric, 0, yes, false));
}

// A selective filter independent of the vectors (one row in 30): the
// nearest nprobe partitions hold accepted rows about as densely as the
// rest, so the counting probe stops after kMaxProbeFactor * nprobe
// partitions instead of looking for a quarter of the unfiltered probe's
// rows among accepted ones (all 77 partitions here), and still finds the
// filtered top 10.
TEST_P(IvfTest, ASelectiveFilterIndependentOfTheVectorsProbesABoundedWidth) {
  const auto [metric, quant] = GetParam();
  auto ix = BuildIvf(data_, metric, quant);
  ASSERT_NE(ix, nullptr);
  const RowFilter rare = [](uint32_t r) { return r % 30 == 0; };
  std::vector<uint32_t> sizes;
  for (uint32_t p = 0; p < ix->nlist(); ++p) sizes.push_back(ix->list_size(p));
  std::sort(sizes.rbegin(), sizes.rend());
  uint64_t bound = 0;
  for (uint32_t i = 0; i < IvfIndex::kMaxProbeFactor * ix->nprobe(); ++i) {
    bound += sizes[i];
  }
  ASSERT_LT(bound, 6000u);
  // Most queries: the nearest partitions of a few (by chance, one in 30
  // here) hold the accepted rows sparsely, and those keep the wider rule.
  uint32_t within = 0;
  for (uint32_t i = 0; i < queries_.rows; ++i) {
    SearchParams p;
    p.query = queries_.row(i);
    p.query_norm = queries_.norms[i];
    p.accept_cheap = true;
    std::vector<Candidate> got;
    SearchCounters c;
    ix->Search(p, rare, &got, &c);
    ASSERT_EQ(got.size(), 10u);
    within += c.points_scanned <= bound;
  }
  EXPECT_GE(within, queries_.rows * 9 / 10);
  EXPECT_GE(IvfRecall(*ix, data_, queries_, metric, 0, rare, true), 0.95);
}

INSTANTIATE_TEST_SUITE_P(
    MetricsAndCodes, IvfTest,
    ::testing::Combine(::testing::Values(Metric::kEuclidean, Metric::kCosine,
                                         Metric::kDotProduct),
                       ::testing::Values(Quantization::kNone,
                                         Quantization::kInt8,
                                         Quantization::kBinary,
                                         Quantization::kPq)));

TEST(IvfParamsTest, NlistIsClampedAndDefaultsAreSane) {
  EXPECT_EQ(IvfIndex::DefaultNlist(1), 1u);
  EXPECT_EQ(IvfIndex::DefaultNlist(10000), 100u);
  EXPECT_EQ(IvfIndex::DefaultNprobe(1), 1u);
  EXPECT_EQ(IvfIndex::DefaultNprobe(100), 8u);
  EXPECT_EQ(IvfIndex::DefaultNprobe(1000), 63u);
  Dataset tiny = ClusteredData(5, 8, 2, 3);
  auto ix = BuildIvf(tiny, Metric::kEuclidean, Quantization::kNone,
                     /*nlist=*/50,
                     /*nprobe=*/70);
  ASSERT_NE(ix, nullptr);
  EXPECT_EQ(ix->nlist(), 5u);
  EXPECT_EQ(ix->nprobe(), 5u);
  Dataset empty;
  empty.dim = 8;
  EXPECT_FALSE(IvfIndex::Build(empty.view(), Metric::kEuclidean, {}, 1).ok());
}

class IvfFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = NewMemEnv();
    ASSERT_TRUE(env_->CreateDirIfMissing("/db").ok());
    data_ = ClusteredData(2000, 16, 10, 5);
    queries_ = ClusteredData(20, 16, 10, 6);
  }
  std::string SaveOne(Metric m, Quantization q) {
    built_ = BuildIvf(data_, m, q);
    EXPECT_TRUE(built_->Save(env_.get(), "/db/seg-1.hnsw").ok());
    auto bytes = env_->ReadFileToString("/db/seg-1.hnsw");
    EXPECT_TRUE(bytes.ok());
    return *bytes;
  }
  Result<std::unique_ptr<IvfIndex>> LoadBytes(const std::string& b,
                                              Metric m = Metric::kEuclidean) {
    EXPECT_TRUE(env_->WriteFileAtomically("/db/x.hnsw", b).ok());
    return IvfIndex::Load(env_.get(), "/db/x.hnsw", data_.view(), m);
  }
  std::unique_ptr<Env> env_;
  Dataset data_, queries_;
  std::unique_ptr<IvfIndex> built_;
};

// The build is deterministic whatever its threads: the k-means assignment
// pass runs split, its sums in row order.
TEST_F(IvfFileTest, ThreadsDoNotChangeTheIndex) {
  std::string bytes[2];
  int i = 0;
  for (uint32_t threads : {1u, 3u}) {
    IvfParams p;
    p.quantization = Quantization::kInt8;
    auto ix = IvfIndex::Build(data_.view(), Metric::kEuclidean, p, threads);
    ASSERT_TRUE(ix.ok()) << ix.status().ToString();
    ASSERT_TRUE((*ix)->Save(env_.get(), "/db/t.hnsw").ok());
    bytes[i++] = env_->ReadFileToString("/db/t.hnsw").value();
  }
  EXPECT_EQ(bytes[0], bytes[1]);
}

TEST_F(IvfFileTest, RoundTripGivesIdenticalResults) {
  for (Metric m : {Metric::kEuclidean, Metric::kCosine}) {
    for (Quantization q : {Quantization::kNone, Quantization::kInt8,
                           Quantization::kBinary, Quantization::kPq}) {
      const std::string bytes = SaveOne(m, q);
      auto l = LoadBytes(bytes, m);
      ASSERT_TRUE(l.ok()) << l.status().ToString();
      EXPECT_EQ((*l)->nlist(), built_->nlist());
      EXPECT_EQ((*l)->nprobe(), built_->nprobe());
      EXPECT_EQ((*l)->quantization(), q);
      EXPECT_EQ((*l)->rerank_factor(), IvfIndex::DefaultRerankFactor(q));
      EXPECT_EQ((*l)->MemoryUsage(), built_->MemoryUsage());
      for (uint32_t i = 0; i < queries_.rows; ++i) {
        SearchParams p;
        p.query = queries_.row(i);
        p.query_norm = queries_.norms[i];
        p.k = 10;
        std::vector<Candidate> a, b;
        built_->Search(p, {}, &a, nullptr);
        (*l)->Search(p, {}, &b, nullptr);
        ASSERT_EQ(a.size(), b.size());
        for (size_t j = 0; j < a.size(); ++j) {
          EXPECT_EQ(a[j].row, b[j].row);
          EXPECT_EQ(a[j].distance, b[j].distance);
        }
      }
    }
  }
}

TEST_F(IvfFileTest, DamagedOrMismatchedFilesAreCorruption) {
  const std::string bytes = SaveOne(Metric::kEuclidean, Quantization::kInt8);
  for (size_t len :
       {size_t(0), size_t(7), size_t(40), bytes.size() / 2, bytes.size() - 1}) {
    auto l = LoadBytes(bytes.substr(0, len));
    EXPECT_TRUE(l.status().IsCorruption()) << len;
  }
  std::mt19937 rng(9);
  for (int i = 0; i < 40; ++i) {
    std::string bad = bytes;
    bad[rng() % bad.size()] ^= char(1 + rng() % 255);
    EXPECT_TRUE(LoadBytes(bad).status().IsCorruption());
  }
  // Another metric than the segment's.
  EXPECT_TRUE(LoadBytes(bytes, Metric::kCosine).status().IsCorruption());
  // Right checksum, wrong contents: a row listed twice.
  std::string twice = bytes;
  const size_t order_at =
      44 + size_t(built_->nlist()) * 16 * 4 + (size_t(built_->nlist()) + 1) * 4;
  std::memcpy(&twice[order_at + 4], &twice[order_at], 4);
  twice.resize(twice.size() - 4);
  PutFixed32(&twice, crc32c::Mask(crc32c::Value(twice.data(), twice.size())));
  auto l = LoadBytes(twice);
  EXPECT_TRUE(l.status().IsCorruption());
  EXPECT_NE(l.status().ToString().find("row list"), std::string::npos)
      << l.status().ToString();
}

// The binary and pq files: cut, flipped, or with a right checksum over
// wrong contents (a centroid number past the quantizer's, bytes past the
// end), each is Corruption.
TEST_F(IvfFileTest, DamagedCodeFilesAreCorruption) {
  auto reseal = [](std::string b) {
    b.resize(b.size() - 4);
    PutFixed32(&b, crc32c::Mask(crc32c::Value(b.data(), b.size())));
    return b;
  };
  for (Quantization q : {Quantization::kBinary, Quantization::kPq}) {
    SCOPED_TRACE(static_cast<int>(q));
    const std::string bytes = SaveOne(Metric::kEuclidean, q);
    ASSERT_TRUE(LoadBytes(bytes).ok());
    for (size_t len : {size_t(48), bytes.size() / 2, bytes.size() - 5}) {
      EXPECT_TRUE(
          LoadBytes(reseal(bytes.substr(0, len)) + "").status().IsCorruption())
          << len;
    }
    std::mt19937 rng(11);
    for (int i = 0; i < 40; ++i) {
      std::string bad = bytes;
      bad[rng() % bad.size()] ^= char(1 + rng() % 255);
      EXPECT_TRUE(LoadBytes(bad).status().IsCorruption());
    }
    // Bytes past the end of the arrays.
    std::string longer = bytes;
    longer.insert(longer.size() - 4, "xxxx");
    auto l = LoadBytes(reseal(longer));
    EXPECT_TRUE(l.status().IsCorruption());
    EXPECT_NE(l.status().ToString().find("wrong size"), std::string::npos)
        << l.status().ToString();
    // The first row's centroid number, past the quantizer's centroids.
    const size_t nlist = built_->nlist(), dim = 16, rows = 2000;
    const size_t codes_at = 44 + nlist * dim * 4 + (nlist + 1) * 4 + rows * 4;
    size_t centroid_at;
    if (q == Quantization::kBinary) {
      const size_t k = DecodeFixed32(bytes.data() + codes_at);
      centroid_at = codes_at + 4 + dim * 4 * (3 + k) + rows * 8;
    } else {
      const size_t m = DecodeFixed32(bytes.data() + codes_at);
      const size_t coarse = DecodeFixed32(bytes.data() + codes_at + 4);
      centroid_at = codes_at + 8 + (256 + coarse) * dim * 4 + rows * m;
    }
    std::string far = bytes;
    far[centroid_at] = char(255);
    l = LoadBytes(reseal(far));
    EXPECT_TRUE(l.status().IsCorruption());
    EXPECT_NE(l.status().ToString().find("centroid number"), std::string::npos)
        << l.status().ToString();
  }
}

// Codes cost less RAM the coarser they are: per row 16 int8 bytes, 8 bytes
// of bits (16 dimensions round up to one word), 4 pq bytes.
TEST_F(IvfFileTest, CoarserCodesHoldLessMemory) {
  size_t bytes[4];
  int i = 0;
  for (Quantization q :
       {Quantization::kInt8, Quantization::kBinary, Quantization::kPq}) {
    bytes[i++] = BuildIvf(data_, Metric::kEuclidean, q)->MemoryUsage();
  }
  EXPECT_LT(bytes[1], bytes[0]);
  EXPECT_LT(bytes[2], bytes[0]);
}

// The build polls its stop between phases: asked at once, it builds
// nothing; never asked, it builds the index it would have.
TEST(IvfTest, ABuildStopsWhenAsked) {
  const Dataset d = ClusteredData(2000, 16, 20, 7);
  IvfParams p;
  p.quantization = Quantization::kInt8;
  auto stopped =
      IvfIndex::Build(d.view(), Metric::kEuclidean, p, 2, [] { return true; });
  EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable);
  int polls = 0;
  auto built = IvfIndex::Build(d.view(), Metric::kEuclidean, p, 2, [&] {
    ++polls;
    return false;
  });
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(polls, 2);
  EXPECT_EQ((*built)->nlist(),
            BuildIvf(d, Metric::kEuclidean, Quantization::kInt8)->nlist());
}

}  // namespace
}  // namespace proximadb::index
