// Segment files written and read back on the in-memory and POSIX Envs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "index/distance.h"
#include "index/sparse.h"
#include "proximadb/env.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_format.h"
#include "storage/segment/segment_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::segment {
namespace {

struct Data {
  uint32_t dim = 0;
  std::vector<std::string> ids;  // sorted, unique
  std::vector<float> vectors;
  std::vector<std::string> meta;
  std::vector<uint64_t> versions;
  std::vector<bool> deleted;

  SegmentRow Row(size_t i) const {
    return {ids[i], vectors.data() + i * dim, meta[i], versions[i]};
  }
  Status Write(Env* env, const std::string& path, uint64_t seg_id = 7,
               bool compress = false) const {
    return WriteSegment(
        env, path, {seg_id, dim, Metric::kEuclidean, compress}, ids.size(),
        [this](size_t i) { return Row(i); },
        [this](size_t i) { return bool(deleted[i]); });
  }
};

// Ids mix ASCII, multi-byte UTF-8 and one empty-metadata row in ten.
Data MakeData(size_t count, uint32_t dim, uint32_t seed) {
  static const std::vector<std::string> kPieces = {
      "a", "Z", "0", "-", "é", "日本", "🙂", "ß", "x_y", "Ω"};
  std::mt19937 rng(seed);
  std::set<std::string> ids;
  while (ids.size() < count) {
    std::string id;
    int n = 1 + rng() % 6;
    for (int k = 0; k < n; ++k) id += kPieces[rng() % kPieces.size()];
    ids.insert(id);
  }
  Data d;
  d.dim = dim;
  d.ids.assign(ids.begin(), ids.end());
  std::normal_distribution<float> gauss;
  for (size_t i = 0; i < count * dim; ++i) d.vectors.push_back(gauss(rng));
  for (size_t i = 0; i < count; ++i) {
    d.meta.push_back(i % 10 == 3 ? ""
                                 : R"({"n":)" + std::to_string(i) +
                                       R"(,"tag":"ü)" + d.ids[i] + "\"}");
    d.versions.push_back(1000 + rng() % 100000);
    d.deleted.push_back(rng() % 5 == 0);
  }
  return d;
}

void ExpectMatches(const Segment& seg, const Data& d) {
  ASSERT_EQ(seg.size(), d.ids.size());
  ASSERT_EQ(seg.dimension(), d.dim);
  EXPECT_EQ(seg.metric(), Metric::kEuclidean);
  EXPECT_EQ(seg.segment_id(), 7u);
  if (!d.ids.empty()) {
    EXPECT_EQ(seg.min_seq(),
              *std::min_element(d.versions.begin(), d.versions.end()));
    EXPECT_EQ(seg.max_seq(),
              *std::max_element(d.versions.begin(), d.versions.end()));
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(seg.vectors()) % alignof(float), 0u);
  for (size_t i = 0; i < d.ids.size(); ++i) {
    ASSERT_EQ(seg.id(i), d.ids[i]) << i;
    EXPECT_EQ(seg.metadata_json(i), d.meta[i].empty() ? "{}" : d.meta[i]);
    EXPECT_EQ(seg.version(i), d.versions[i]);
    EXPECT_EQ(seg.deleted_at_write(i), d.deleted[i]);
    EXPECT_EQ(0, std::memcmp(seg.vector(i), d.vectors.data() + i * d.dim,
                             d.dim * sizeof(float)));
    EXPECT_EQ(seg.vector(i), seg.vectors() + i * d.dim);
    EXPECT_EQ(seg.norm(i), index::Norm(seg.vector(i), d.dim));
    EXPECT_EQ(seg.norms()[i], seg.norm(i));
    ASSERT_EQ(seg.Find(d.ids[i]), i);
    EXPECT_EQ(seg.LowerBound(d.ids[i]), i);
    // A key just above id i sorts before id i+1 (if any).
    EXPECT_EQ(seg.LowerBound(d.ids[i] + '\0'), i + 1);
    EXPECT_FALSE(seg.Find(d.ids[i] + '\0').has_value());
  }
  EXPECT_EQ(seg.LowerBound(""), 0u);
  EXPECT_EQ(seg.LowerBound("\xff\xff\xff\xff\xff"), d.ids.size());
  EXPECT_FALSE(seg.Find("no such id").has_value());
  EXPECT_TRUE(seg.Section(kHnswFirst).empty());
  EXPECT_EQ(seg.Section(kVectors).size(), d.ids.size() * d.dim * sizeof(float));
}

enum class EnvKind { kMem, kPosix };

class SegmentRoundTripTest
    : public ::testing::TestWithParam<std::tuple<EnvKind, uint32_t, size_t>> {
 protected:
  void SetUp() override {
    if (std::get<0>(GetParam()) == EnvKind::kMem) {
      mem_ = NewMemEnv();
      env_ = mem_.get();
      dir_ = "/seg";
    } else {
      env_ = Env::Default();
      std::string tmpl = ::testing::TempDir() + "pdb_segment_XXXXXX";
      ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
      dir_ = tmpl;
    }
    ASSERT_TRUE(env_->CreateDirIfMissing(dir_).ok());
  }
  void TearDown() override {
    if (env_) (void)env_->RemoveDirRecursively(dir_);
  }

  std::unique_ptr<Env> mem_;
  Env* env_ = nullptr;
  std::string dir_;
};

TEST_P(SegmentRoundTripTest, WritesAndReadsBack) {
  const auto [kind, dim, count] = GetParam();
  Data d = MakeData(count, dim, dim * 31 + count);
  const std::string path = dir_ + "/000001.seg";
  ASSERT_TRUE(d.Write(env_, path).ok());
  EXPECT_FALSE(env_->FileExists(path + ".tmp"));

  for (bool verify : {true, false}) {
    auto seg = Segment::Open(env_, path, verify);
    ASSERT_TRUE(seg.ok()) << seg.status().ToString();
    ExpectMatches(**seg, d);
    EXPECT_EQ((*seg)->path(), path);
    EXPECT_EQ((*seg)->file_bytes(), env_->GetFileSize(path).value());
  }
}

std::string ParamName(
    const ::testing::TestParamInfo<SegmentRoundTripTest::ParamType>& info) {
  return std::string(std::get<0>(info.param) == EnvKind::kMem ? "Mem"
                                                              : "Posix") +
         "_dim" + std::to_string(std::get<1>(info.param)) + "_rows" +
         std::to_string(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    DimsAndCounts, SegmentRoundTripTest,
    ::testing::Combine(::testing::Values(EnvKind::kMem, EnvKind::kPosix),
                       ::testing::Values(1u, 3u, 128u, 768u),
                       ::testing::Values(size_t{0}, size_t{1}, size_t{1000})),
    ParamName);

class SegmentWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Env> env_ = NewMemEnv();
};

TEST_F(SegmentWriterTest, RefusesUnsortedIds) {
  Data d = MakeData(10, 4, 1);
  std::swap(d.ids[3], d.ids[4]);
  Status s = d.Write(env_.get(), "/unsorted.seg");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(env_->FileExists("/unsorted.seg"));
  EXPECT_FALSE(env_->FileExists("/unsorted.seg.tmp"));
}

TEST_F(SegmentWriterTest, RefusesDuplicateIds) {
  Data d = MakeData(10, 4, 2);
  d.ids[5] = d.ids[4];
  Status s = d.Write(env_.get(), "/dup.seg");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(env_->FileExists("/dup.seg"));
}

TEST_F(SegmentWriterTest, RefusesMissingVectorAndZeroDimension) {
  Data d = MakeData(3, 4, 3);
  Status s = WriteSegment(
      env_.get(), "/null.seg", {1, 4, Metric::kCosine}, 3,
      [&](size_t i) {
        SegmentRow r = d.Row(i);
        if (i == 2) r.vector = nullptr;
        return r;
      },
      [](size_t) { return false; });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = WriteSegment(
      env_.get(), "/zero.seg", {1, 0, Metric::kCosine}, 0,
      [&](size_t i) { return d.Row(i); }, [](size_t) { return false; });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

// A row_at that returns different data on the second pass must not produce a
// file whose CRCs lie.
TEST_F(SegmentWriterTest, RefusesRowsThatChangeBetweenPasses) {
  Data d = MakeData(50, 4, 4);
  int calls = 0;
  Status s = WriteSegment(
      env_.get(), "/flaky.seg", {1, 4, Metric::kCosine}, 50,
      [&](size_t i) {
        SegmentRow r = d.Row(i);
        if (i == 0 && ++calls > 8) r.version += 1;  // 2nd pass differs
        return r;
      },
      [](size_t) { return false; });
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_FALSE(env_->FileExists("/flaky.seg"));
  EXPECT_FALSE(env_->FileExists("/flaky.seg.tmp"));
}

TEST_F(SegmentWriterTest, ReplacesExistingFile) {
  Data a = MakeData(5, 2, 5), b = MakeData(9, 2, 6);
  ASSERT_TRUE(a.Write(env_.get(), "/s.seg").ok());
  ASSERT_TRUE(b.Write(env_.get(), "/s.seg").ok());
  auto seg = Segment::Open(env_.get(), "/s.seg");
  ASSERT_TRUE(seg.ok());
  ExpectMatches(**seg, b);
}

TEST_F(SegmentWriterTest, SectionsAreAligned) {
  Data d = MakeData(37, 3, 7);
  ASSERT_TRUE(d.Write(env_.get(), "/a.seg").ok());
  auto seg = Segment::Open(env_.get(), "/a.seg");
  ASSERT_TRUE(seg.ok());
  const char* base = (*seg)->Section(kVectors).data();
  for (uint32_t t = kVectors; t <= kLastRequired; ++t) {
    std::string_view s = (*seg)->Section(t);
    EXPECT_EQ((s.data() - base) % kSectionAlignment, 0u) << t;
  }
}

// Sparse vectors: the three optional sections only when some row has
// them; blobs and the inverted index read back; damage to either refused.
TEST_F(SegmentWriterTest, SparseSectionsOnlyWhenRowsHaveThem) {
  Data d = MakeData(40, 3, 11);
  ASSERT_TRUE(d.Write(env_.get(), "/plain.seg").ok());
  auto plain = Segment::Open(env_.get(), "/plain.seg");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)->Section(kSparseOffsets).empty());
  EXPECT_TRUE((*plain)->Section(kSparseIndex).empty());
  EXPECT_EQ((*plain)->sparse(0), "");

  std::vector<std::string> blobs(d.ids.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (i % 4 == 1) continue;
    SparseVectors v;
    v["kw"] = SparseVector{{uint32_t(i % 5), 100}, {1.0f, float(i)}};
    blobs[i] = index::EncodeSparseVectors(v);
  }
  auto write = [&](const std::string& path) {
    return WriteSegment(
        env_.get(), path, {7, d.dim, Metric::kEuclidean}, d.ids.size(),
        [&](size_t i) {
          SegmentRow r = d.Row(i);
          r.sparse = blobs[i];
          return r;
        },
        [&](size_t i) { return bool(d.deleted[i]); });
  };
  ASSERT_TRUE(write("/sparse.seg").ok());
  auto seg = Segment::Open(env_.get(), "/sparse.seg");
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  for (size_t i = 0; i < blobs.size(); ++i) {
    EXPECT_EQ((*seg)->sparse(i), blobs[i]) << i;
  }
  std::vector<std::pair<uint32_t, double>> hits;
  (*seg)->sparse_index().Score("kw", SparseVector{{100}, {2.0f}}, &hits);
  ASSERT_EQ(hits.size(), 30u);  // every row but i % 4 == 1
  for (const auto& [row, score] : hits) {
    EXPECT_NE(row % 4, 1u);
    EXPECT_EQ(score, 2.0 * row);
  }
  // A flipped byte in a blob or in the index: refused even without CRCs.
  auto bytes = env_->ReadFileToString("/sparse.seg");
  ASSERT_TRUE(bytes.ok());
  for (uint32_t type : {uint32_t{kSparseIndex}, uint32_t{kSparseBytes}}) {
    // The section's offset in the file: where its bytes are.
    const size_t at = bytes->find(std::string((*seg)->Section(type)));
    ASSERT_NE(at, std::string::npos);
    std::string bad = *bytes;
    bad[at + 4] = static_cast<char>(0x7f);  // a count or a name length
    ASSERT_TRUE(env_->WriteFileAtomically("/bad.seg", bad).ok());
    EXPECT_EQ(Segment::Open(env_.get(), "/bad.seg").status().code(),
              StatusCode::kCorruption);
    EXPECT_EQ(Segment::Open(env_.get(), "/bad.seg", /*verify_checksums=*/false)
                  .status()
                  .code(),
              StatusCode::kCorruption);
  }
}

TEST_F(SegmentWriterTest, ExpirySectionOnlyWhenARowExpires) {
  Data d = MakeData(40, 3, 12);
  ASSERT_TRUE(d.Write(env_.get(), "/plain.seg").ok());
  auto plain = Segment::Open(env_.get(), "/plain.seg");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)->Section(kExpiry).empty());
  EXPECT_EQ((*plain)->expires_at(0), 0u);

  auto at = [](size_t i) -> uint64_t {
    return i % 3 == 0 ? 0 : 1'800'000'000'000'000ull + i;
  };
  ASSERT_TRUE(WriteSegment(
                  env_.get(), "/expiry.seg", {7, d.dim, Metric::kEuclidean},
                  d.ids.size(),
                  [&](size_t i) {
                    SegmentRow r = d.Row(i);
                    r.expires_at = at(i);
                    return r;
                  },
                  [&](size_t i) { return bool(d.deleted[i]); })
                  .ok());
  auto seg = Segment::Open(env_.get(), "/expiry.seg");
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ((*seg)->Section(kExpiry).size(), d.ids.size() * 8);
  for (size_t i = 0; i < d.ids.size(); ++i) {
    EXPECT_EQ((*seg)->expires_at(i), at(i)) << i;
  }
}

// Compressed ids and metadata (format version 2): the same rows read back,
// the file smaller than the plain one by most of those bytes, and the
// plain sections empty.
TEST_F(SegmentWriterTest, CompressedIdsAndMetadataRoundTrip) {
  Data d = MakeData(3000, 4, 21);
  ASSERT_TRUE(d.Write(env_.get(), "/plain.seg").ok());
  ASSERT_TRUE(d.Write(env_.get(), "/zstd.seg", 7, /*compress=*/true).ok());
  auto plain = Segment::Open(env_.get(), "/plain.seg");
  auto packed = Segment::Open(env_.get(), "/zstd.seg");
  ASSERT_TRUE(plain.ok() && packed.ok()) << packed.status().ToString();
  ExpectMatches(**packed, d);
  EXPECT_FALSE((*plain)->compressed());
  EXPECT_EQ((*plain)->unpacked_bytes(), 0u);
  EXPECT_TRUE((*packed)->compressed());
  EXPECT_EQ((*packed)->Section(kMetaBytes).size(), 0u);
  EXPECT_EQ((*packed)->Section(kIdBytes).size(), 0u);
  const uint64_t raw =
      (*plain)->Section(kMetaBytes).size() + (*plain)->Section(kIdBytes).size();
  EXPECT_EQ((*packed)->unpacked_bytes(), raw);
  EXPECT_LT((*packed)->file_bytes() + raw / 2, (*plain)->file_bytes())
      << (*packed)->file_bytes() << " vs " << (*plain)->file_bytes();
  auto version = [&](const char* path) {
    std::string f = env_->ReadFileToString(path).value();
    uint32_t v;
    std::memcpy(&v, f.data() + kOffVersion, 4);
    return v;
  };
  EXPECT_EQ(version("/plain.seg"), kFormatVersion);
  EXPECT_EQ(version("/zstd.seg"), kFormatVersionCompressed);
  // Without checksum verification the frame's own checksum still guards
  // the unpacked bytes: every flipped byte of a compressed section is
  // refused either way.
  std::string f = env_->ReadFileToString("/zstd.seg").value();
  const std::string_view meta = (*packed)->Section(kMetaBytesZstd);
  const size_t at = f.find(std::string(meta));
  ASSERT_NE(at, std::string::npos);
  for (size_t i = 0; i < meta.size(); i += 97) {
    std::string bad = f;
    bad[at + i] = static_cast<char>(bad[at + i] ^ 0x10);
    ASSERT_TRUE(env_->WriteFileAtomically("/bad.seg", bad).ok());
    for (bool verify : {true, false}) {
      auto seg = Segment::Open(env_.get(), "/bad.seg", verify);
      if (seg.ok()) {  // a flip zstd tolerates must not change a row
        for (size_t r = 0; r < d.ids.size(); ++r) {
          ASSERT_EQ((*seg)->metadata_json(r),
                    d.meta[r].empty() ? "{}" : d.meta[r]);
        }
        EXPECT_FALSE(verify) << "flip at " << i;
      } else {
        EXPECT_EQ(seg.status().code(), StatusCode::kCorruption) << i;
      }
    }
  }
}

// A compressed section in a file that says version 1, or beside a non-empty
// plain section, is corruption even with a good header CRC.
TEST_F(SegmentWriterTest, CompressedSectionsNeedVersion2AndEmptyPlainBytes) {
  Data d = MakeData(50, 3, 22);
  ASSERT_TRUE(d.Write(env_.get(), "/z.seg", 7, /*compress=*/true).ok());
  const std::string good = env_->ReadFileToString("/z.seg").value();
  auto reseal = [](std::string f) {  // recomputes the header CRC
    const uint32_t n = DecodeFixed32(f.data() + kOffSectionCount);
    const size_t at = HeaderLength(n) - kHeaderCrcSize;
    const uint32_t crc = crc32c::Mask(crc32c::Value(f.data(), at));
    std::memcpy(f.data() + at, &crc, 4);
    return f;
  };
  std::string v1 = good;
  const uint32_t one = kFormatVersion;
  std::memcpy(v1.data() + kOffVersion, &one, 4);
  ASSERT_TRUE(env_->WriteFileAtomically("/v1.seg", reseal(v1)).ok());
  auto seg = Segment::Open(env_.get(), "/v1.seg");
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kCorruption);
  EXPECT_NE(seg.status().message().find("in a version 1 file"),
            std::string::npos)
      << seg.status().ToString();
  // A plain file that says version 2 is still read.
  ASSERT_TRUE(d.Write(env_.get(), "/p.seg").ok());
  std::string p2 = env_->ReadFileToString("/p.seg").value();
  const uint32_t two = kFormatVersionCompressed;
  std::memcpy(p2.data() + kOffVersion, &two, 4);
  ASSERT_TRUE(env_->WriteFileAtomically("/p2.seg", reseal(p2)).ok());
  auto plain = Segment::Open(env_.get(), "/p2.seg");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ExpectMatches(**plain, d);
}

// Bytes that do not shrink are compressed all the same (a compressed
// layout's segments are always recognisably compressed), and so is a
// segment without rows.
TEST_F(SegmentWriterTest, TinySegmentsAreCompressedToo) {
  Data d;
  d.dim = 2;
  for (int i = 0; i < 3; ++i) {
    d.ids.push_back(std::string(1, char('a' + i)));
    d.vectors.insert(d.vectors.end(), {1.0f, float(i)});
    d.meta.push_back("");
    d.versions.push_back(5);
    d.deleted.push_back(false);
  }
  ASSERT_TRUE(d.Write(env_.get(), "/tiny.seg", 7, /*compress=*/true).ok());
  auto seg = Segment::Open(env_.get(), "/tiny.seg");
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  ExpectMatches(**seg, d);
  EXPECT_TRUE((*seg)->compressed());
  Data none;
  none.dim = 2;
  ASSERT_TRUE(none.Write(env_.get(), "/none.seg", 7, /*compress=*/true).ok());
  auto empty = Segment::Open(env_.get(), "/none.seg");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)->size(), 0u);
  EXPECT_TRUE((*empty)->compressed());
}

TEST(SegmentOpenTest, MissingFileIsNotCorruption) {
  auto env = NewMemEnv();
  auto seg = Segment::Open(env.get(), "/nope.seg");
  ASSERT_FALSE(seg.ok());
  EXPECT_FALSE(seg.status().IsCorruption());
}

}  // namespace
}  // namespace proximadb::segment
