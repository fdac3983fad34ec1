// Save/Load of the graph file: identical answers after a round trip, and
// every kind of damage reported as Corruption (never a crash: this suite
// also runs under ASan).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "hnsw_test_util.h"
#include "index/hnsw/hnsw_format.h"
#include "index/hnsw/hnsw_index.h"
#include "proximadb/env.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::index {
namespace {

using testing::ClusteredData;
using testing::Dataset;

std::vector<std::vector<Candidate>> Answers(const HnswIndex& idx,
                                            const Dataset& q) {
  std::vector<std::vector<Candidate>> all;
  for (uint32_t i = 0; i < q.rows; ++i) {
    SearchParams p;
    p.query = q.row(i);
    p.query_norm = q.norms[i];
    p.k = 10;
    p.ef_search = 48;
    all.emplace_back();
    idx.Search(p, {}, &all.back(), nullptr);
  }
  return all;
}

class HnswFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = NewMemEnv();
    ASSERT_TRUE(env_->CreateDirIfMissing("/db").ok());
    data_ = ClusteredData(3000, 24, 15, 21);
    queries_ = ClusteredData(40, 24, 15, 22);
  }
  std::string SaveOne(Metric m, Quantization qz, uint32_t links = 16) {
    HnswParams p;
    p.ef_construction = 80;
    p.quantization = qz;
    p.m = links;
    auto idx = HnswIndex::Build(data_.view(), m, p, 2);
    EXPECT_TRUE(idx.ok());
    EXPECT_TRUE((*idx)->Save(env_.get(), "/db/seg-1.hnsw").ok());
    auto bytes = env_->ReadFileToString("/db/seg-1.hnsw");
    EXPECT_TRUE(bytes.ok());
    built_ = std::move(idx).value();
    return *bytes;
  }
  // `bytes` with the word at offset `at` of every section of `type`
  // replaced, and the checksums made right again.
  static std::string Patch(std::string b, uint32_t type, size_t at,
                           uint32_t value) {
    const uint32_t count = DecodeFixed32(b.data() + 56);
    for (uint32_t i = 0; i < count; ++i) {
      char* t = b.data() + 128 + 32 * i;
      if (DecodeFixed32(t) != type) continue;
      uint64_t off = DecodeFixed64(t + 8), len = DecodeFixed64(t + 16);
      EncodeFixed32(b.data() + off + at, value);
      EncodeFixed32(t + 24, crc32c::Mask(crc32c::Value(b.data() + off, len)));
    }
    EncodeFixed32(b.data() + 128 + 32 * count,
                  crc32c::Mask(crc32c::Value(b.data() + 128, 32 * count)));
    return b;
  }
  // `bytes` with header word `at` replaced and the header checksum redone.
  static std::string PatchHeader(std::string b, size_t at, uint32_t value) {
    EncodeFixed32(b.data() + at, value);
    EncodeFixed32(b.data() + 124, crc32c::Mask(crc32c::Value(b.data(), 124)));
    return b;
  }
  Status LoadBytes(const std::string& bytes, Metric m = Metric::kEuclidean) {
    Status s = env_->WriteFileAtomically("/db/bad.hnsw", bytes);
    if (!s.ok()) return s;
    return HnswIndex::Load(env_.get(), "/db/bad.hnsw", data_.view(), m)
        .status();
  }

  std::unique_ptr<Env> env_;
  Dataset data_, queries_;
  std::unique_ptr<HnswIndex> built_;
};

TEST_F(HnswFileTest, RoundTripGivesIdenticalResults) {
  for (Metric m : {Metric::kEuclidean, Metric::kCosine, Metric::kDotProduct}) {
    for (Quantization qz : {Quantization::kNone, Quantization::kInt8,
                            Quantization::kBinary, Quantization::kPq}) {
      SaveOne(m, qz);
      EXPECT_FALSE(env_->FileExists("/db/seg-1.hnsw.tmp"));
      auto loaded =
          HnswIndex::Load(env_.get(), "/db/seg-1.hnsw", data_.view(), m);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      const HnswIndex& l = **loaded;
      EXPECT_EQ(l.size(), built_->size());
      EXPECT_EQ(l.max_level(), built_->max_level());
      EXPECT_EQ(l.params().quantization, qz);
      auto a = Answers(*built_, queries_), b = Answers(l, queries_);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].size(), b[i].size());
        for (size_t j = 0; j < a[i].size(); ++j) {
          EXPECT_EQ(a[i][j].row, b[i][j].row);
          EXPECT_EQ(a[i][j].distance, b[i][j].distance);
        }
      }
      // A mapped graph is read-only.
      EXPECT_EQ((*loaded)->Add(0).code(), StatusCode::kFailedPrecondition);
      // Saving the loaded graph reproduces the file byte for byte.
      auto first = env_->ReadFileToString("/db/seg-1.hnsw");
      ASSERT_TRUE(l.Save(env_.get(), "/db/again.hnsw").ok());
      EXPECT_EQ(*env_->ReadFileToString("/db/again.hnsw"), *first);
    }
  }
}

TEST_F(HnswFileTest, RoundTripThroughPosixMmap) {
  std::string dir =
      ::testing::TempDir() + "hnsw_io_test_" + std::to_string(::getpid());
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDirIfMissing(dir).ok());
  auto idx = HnswIndex::Build(data_.view(), Metric::kEuclidean, {}, 2);
  ASSERT_TRUE(idx.ok());
  ASSERT_TRUE((*idx)->Save(env, dir + "/seg-7.hnsw").ok());
  auto loaded = HnswIndex::Load(env, dir + "/seg-7.hnsw", data_.view(),
                                Metric::kEuclidean);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto a = Answers(**idx, queries_), b = Answers(**loaded, queries_);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(testing::Rows(a[i]), testing::Rows(b[i]));
  }
  loaded->reset();
  EXPECT_TRUE(env->RemoveDirRecursively(dir).ok());
}

TEST_F(HnswFileTest, EmptyGraphRoundTrips) {
  auto idx = HnswIndex::Create(data_.view(), Metric::kEuclidean, {}, 10);
  ASSERT_TRUE(idx.ok());
  ASSERT_TRUE((*idx)->Save(env_.get(), "/db/empty.hnsw").ok());
  auto l = HnswIndex::Load(env_.get(), "/db/empty.hnsw", data_.view(),
                           Metric::kEuclidean);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ((*l)->size(), 0u);
}

TEST_F(HnswFileTest, TruncatedFilesAreCorruption) {
  for (Quantization qz :
       {Quantization::kInt8, Quantization::kBinary, Quantization::kPq}) {
    std::string bytes = SaveOne(Metric::kEuclidean, qz);
    for (size_t len : {size_t(0), size_t(7), size_t(100), size_t(128),
                       size_t(200), bytes.size() / 2, bytes.size() - 1}) {
      Status s = LoadBytes(bytes.substr(0, len));
      EXPECT_TRUE(s.IsCorruption()) << len << ": " << s.ToString();
    }
  }
}

TEST_F(HnswFileTest, FlippedBytesAreCorruption) {
  for (Quantization qz :
       {Quantization::kInt8, Quantization::kBinary, Quantization::kPq}) {
    std::string bytes = SaveOne(Metric::kEuclidean, qz);
    std::mt19937 rng(5);
    for (int i = 0; i < 60; ++i) {
      std::string bad = bytes;
      size_t pos = i < 20 ? i * 13 % 400 : rng() % bad.size();
      bad[pos] ^= char(1 + rng() % 255);
      Status s = LoadBytes(bad);
      // Padding between sections is not covered by any checksum.
      if (s.ok()) continue;
      EXPECT_TRUE(s.IsCorruption()) << pos << ": " << s.ToString();
    }
    // Bad magic.
    std::string bad = bytes;
    bad[0] = 'X';
    EXPECT_TRUE(LoadBytes(bad).IsCorruption());
  }
}

// A file whose checksums are right but whose graph is not (a bug in a
// writer, or a crafted file) is still refused, not walked.
TEST_F(HnswFileTest, ValidChecksumsButBadGraphIsCorruption) {
  std::string bytes = SaveOne(Metric::kEuclidean, Quantization::kNone);
  auto patch = [&](uint32_t type, size_t at, uint32_t value) {
    return Patch(bytes, type, at, value);
  };
  // A level-0 neighbour beyond the last row.
  std::string b1 = patch(hnsw_format::kLevel0, 4, 1u << 30);
  EXPECT_TRUE(LoadBytes(b1).IsCorruption());
  // A list longer than its capacity.
  std::string b2 = patch(hnsw_format::kLevel0, 0, 1000);
  EXPECT_TRUE(LoadBytes(b2).IsCorruption());
  // An upper-level offset past the end of the upper lists.
  const int8_t* levels = nullptr;
  (void)levels;
  std::string b3 = bytes;
  for (uint32_t r = 0; r < data_.rows; ++r) {
    // Patch the offset of every row; rows with level >= 1 must fail.
    b3 = patch(hnsw_format::kUpperOffsets, 4 * size_t(r), 0x7fffffff);
    if (!LoadBytes(b3).ok()) break;
  }
  EXPECT_TRUE(LoadBytes(b3).IsCorruption());
  // Mismatched view or metric: the caller's mistake, not corruption.
  EXPECT_EQ(LoadBytes(bytes, Metric::kCosine).code(),
            StatusCode::kInvalidArgument);
  Dataset small = ClusteredData(10, 24, 2, 1);
  ASSERT_TRUE(env_->WriteFileAtomically("/db/x.hnsw", bytes).ok());
  EXPECT_EQ(HnswIndex::Load(env_.get(), "/db/x.hnsw", small.view(),
                            Metric::kEuclidean)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(HnswIndex::Load(env_.get(), "/db/missing.hnsw", data_.view(),
                              Metric::kEuclidean)
                  .status()
                  .IsNotFound());
}

TEST_F(HnswFileTest, ValidChecksumsButBadPqPartsAreCorruption) {
  const std::string bytes = SaveOne(Metric::kEuclidean, Quantization::kPq);
  ASSERT_TRUE(LoadBytes(bytes).ok());
  // A coarse centroid number past the centroids (the walk indexes the
  // query's centroid table with it).
  EXPECT_TRUE(LoadBytes(Patch(bytes, hnsw_format::kPqAssign, 0, 0xFFFFFFFFu))
                  .IsCorruption());
  // A codebook value that is not finite.
  EXPECT_TRUE(LoadBytes(Patch(bytes, hnsw_format::kPqCodebooks, 8, 0x7F800000u))
                  .IsCorruption());
  // M out of range, or M without pq.
  EXPECT_TRUE(LoadBytes(PatchHeader(bytes, 76, 0)).IsCorruption());
  EXPECT_TRUE(LoadBytes(PatchHeader(bytes, 76, 25)).IsCorruption());  // > dim
  const std::string plain = SaveOne(Metric::kEuclidean, Quantization::kNone);
  EXPECT_TRUE(LoadBytes(PatchHeader(plain, 76, 6)).IsCorruption());
}

// Codes only (m 0, a flat collection's sidecar): the same round trip.
TEST_F(HnswFileTest, CodesOnlyRoundTrip) {
  for (Metric m : {Metric::kEuclidean, Metric::kCosine}) {
    for (Quantization qz :
         {Quantization::kInt8, Quantization::kBinary, Quantization::kPq}) {
      const std::string bytes = SaveOne(m, qz, 0);
      ASSERT_TRUE(built_->codes_only());
      auto loaded =
          HnswIndex::Load(env_.get(), "/db/seg-1.hnsw", data_.view(), m);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      const HnswIndex& l = **loaded;
      EXPECT_TRUE(l.codes_only());
      EXPECT_EQ(l.size(), data_.rows);
      EXPECT_EQ(l.max_level(), -1);
      auto a = Answers(*built_, queries_), b = Answers(l, queries_);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].size(), 10u);
        ASSERT_EQ(a[i].size(), b[i].size());
        for (size_t j = 0; j < a[i].size(); ++j) {
          EXPECT_EQ(a[i][j].row, b[i][j].row);
          EXPECT_EQ(a[i][j].distance, b[i][j].distance);
        }
      }
      ASSERT_TRUE(l.Save(env_.get(), "/db/again.hnsw").ok());
      EXPECT_EQ(*env_->ReadFileToString("/db/again.hnsw"), bytes);
    }
  }
}

TEST_F(HnswFileTest, ValidChecksumsButBadCodesOnlyPartsAreCorruption) {
  const std::string bytes = SaveOne(Metric::kEuclidean, Quantization::kInt8, 0);
  ASSERT_TRUE(LoadBytes(bytes).ok());
  // Codes only without a quantization.
  EXPECT_TRUE(LoadBytes(PatchHeader(bytes, 40, 0)).IsCorruption());
  // A top level, a row above level 0, a link.
  EXPECT_TRUE(LoadBytes(PatchHeader(bytes, 52, 0)).IsCorruption());
  EXPECT_TRUE(
      LoadBytes(Patch(bytes, hnsw_format::kLevels, 0, 1)).IsCorruption());
  EXPECT_TRUE(
      LoadBytes(Patch(bytes, hnsw_format::kLevel0, 0, 1)).IsCorruption());
  // A graph's file claiming m 0 (its lists no longer fit the header).
  const std::string graph = SaveOne(Metric::kEuclidean, Quantization::kInt8);
  EXPECT_TRUE(LoadBytes(PatchHeader(graph, 28, 0)).IsCorruption());
}

}  // namespace
}  // namespace proximadb::index
