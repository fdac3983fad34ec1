// Cold packs (storage/segment/cold_pack.h): segments written by the real
// writer packed and decoded back byte for byte; every damaged pack refused.
#include "storage/segment/cold_pack.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

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

  void Resize(size_t count) {
    meta.assign(count, "");
    versions.assign(count, 0);
    deleted.assign(count, false);
  }
};

// Ids "p<n>" (sorted bytewise), versions increasing, one row in seven dead.
Data MakeIds(size_t count, uint32_t dim, uint32_t seed) {
  std::set<std::string> ids;
  for (size_t i = 0; i < count; ++i)
    ids.insert(std::string("p").append(std::to_string(i)));
  Data d;
  d.dim = dim;
  d.ids.assign(ids.begin(), ids.end());
  d.Resize(count);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < count; ++i) {
    d.meta[i] = R"({"label":)" + std::to_string(rng() % 10) + "}";
    d.versions[i] = 1000 + i * 3 + rng() % 3;
    d.deleted[i] = rng() % 7 == 0;
  }
  return d;
}

Data RandomData(size_t count, uint32_t dim, uint32_t seed) {
  Data d = MakeIds(count, dim, seed);
  std::mt19937 rng(seed + 1);
  std::normal_distribution<float> gauss;
  for (size_t i = 0; i < count * dim; ++i) d.vectors.push_back(gauss(rng));
  return d;
}

// Fashion-MNIST-like: integer pixel values 0..255 as floats, mostly 0.
Data QuantizableData(size_t count, uint32_t dim, uint32_t seed) {
  Data d = MakeIds(count, dim, seed);
  std::mt19937 rng(seed + 2);
  for (size_t i = 0; i < count * dim; ++i) {
    d.vectors.push_back(rng() % 2 ? 0.0f : float(rng() % 256));
  }
  return d;
}

std::string WriteAndRead(Env* env, const std::string& path, const Data& d) {
  Status s = WriteSegment(
      env, path, {42, d.dim, Metric::kCosine}, d.ids.size(),
      [&](size_t i) {
        return SegmentRow{d.ids[i], d.vectors.data() + i * d.dim, d.meta[i],
                          d.versions[i]};
      },
      [&](size_t i) { return bool(d.deleted[i]); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto f = env->MapFile(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return "";
  return std::string((*f)->data(), (*f)->size());
}

class ColdPackTest : public ::testing::Test {
 protected:
  std::unique_ptr<Env> env_ = NewMemEnv();

  // Packs `file`, checks the decode is byte-identical and opens with
  // Segment::Open (checksums verified) through both decoders; returns the
  // pack.
  std::string RoundTrip(const std::string& file,
                        const ColdPackOptions& options = {}) {
    auto pack = EncodeColdPack(file, options);
    EXPECT_TRUE(pack.ok()) << pack.status().ToString();
    if (!pack.ok()) return "";
    auto back = DecodeColdPack(*pack);
    EXPECT_TRUE(back.ok()) << back.status().ToString();
    if (!back.ok()) return "";
    EXPECT_TRUE(*back == file) << "decoded file differs";

    Status s = DecodeColdPackToFile(env_.get(), *pack, "/d/decoded.pdb");
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(env_->FileExists("/d/decoded.pdb.tmp"));
    auto f = env_->MapFile("/d/decoded.pdb");
    EXPECT_TRUE(f.ok());
    if (f.ok()) {
      EXPECT_TRUE(std::string_view((*f)->data(), (*f)->size()) == file);
    }
    auto seg = Segment::Open(env_.get(), "/d/decoded.pdb", true);
    EXPECT_TRUE(seg.ok()) << seg.status().ToString();

    auto chunks = ListColdPack(*pack);
    EXPECT_TRUE(chunks.ok());
    if (chunks.ok()) {
      uint64_t raw = 0, packed = 0;
      for (const auto& c : *chunks) {
        raw += c.raw_bytes;
        packed += c.packed_bytes;
      }
      EXPECT_EQ(raw, file.size());
      EXPECT_LE(packed, pack->size());
    }
    return *pack;
  }

  void SetUp() override { ASSERT_TRUE(env_->CreateDirIfMissing("/d").ok()); }
};

std::map<uint32_t, ColdPackChunk> ByKind(const std::string& pack) {
  std::map<uint32_t, ColdPackChunk> m;
  auto chunks = ListColdPack(pack);
  EXPECT_TRUE(chunks.ok());
  if (!chunks.ok()) return m;
  for (const auto& c : *chunks) {
    if (c.kind != 0) m[c.kind] = c;
  }
  return m;
}

TEST_F(ColdPackTest, RandomVectorsRoundTrip) {
  Data d = RandomData(700, 24, 1);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  std::string pack = RoundTrip(file);
  EXPECT_LT(pack.size(), file.size());
  auto kinds = ByKind(pack);
  ASSERT_EQ(kinds.count(kIdBytes), 1u);
  EXPECT_EQ(kinds[kIdBytes].codec, ColdPackCodec::kZstd);
  EXPECT_EQ(kinds[kMetaBytes].codec, ColdPackCodec::kZstd);
  // Gaussian floats: only the exponent byte plane is redundant; some gain.
  EXPECT_LT(kinds[kVectors].packed_bytes, kinds[kVectors].raw_bytes);

  // Without the shuffle, and at other levels: still byte-identical.
  RoundTrip(file, {.zstd_level = 1, .shuffle_floats = false});
  RoundTrip(file, {.zstd_level = 19});
  RoundTrip(file, {.zstd_level = 3, .shuffle_floats = true, .zstd_workers = 2});
}

TEST_F(ColdPackTest, QuantizableVectorsShuffleWins) {
  Data d = QuantizableData(300, 784, 2);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  std::string pack = RoundTrip(file);
  auto kinds = ByKind(pack);
  EXPECT_EQ(kinds[kVectors].codec, ColdPackCodec::kShuffle4Zstd);
  // Integer-valued floats in 0..255: two of four bytes are constant.
  EXPECT_LT(kinds[kVectors].packed_bytes * 3, kinds[kVectors].raw_bytes);
  EXPECT_LT(pack.size() * 3, file.size());
}

TEST_F(ColdPackTest, EmptySegment) {
  Data d;
  d.dim = 8;
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  ASSERT_FALSE(file.empty());
  std::string pack = RoundTrip(file);
  EXPECT_LT(pack.size(), file.size() + 1024);
}

TEST_F(ColdPackTest, BigMetadata) {
  Data d = RandomData(60, 4, 3);
  std::mt19937 rng(9);
  for (size_t i = 0; i < d.meta.size(); ++i) {
    std::string text;
    for (int k = 0; k < 3000; ++k)
      text += "word" + std::to_string(rng() % 50) + " ";
    d.meta[i] =
        R"({"label":)" + std::to_string(i % 10) + R"(,"text":")" + text + "\"}";
  }
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  ASSERT_GT(file.size(), 1u << 20);
  std::string pack = RoundTrip(file);
  auto kinds = ByKind(pack);
  EXPECT_EQ(kinds[kMetaBytes].codec, ColdPackCodec::kZstd);
  EXPECT_LT(kinds[kMetaBytes].packed_bytes * 3, kinds[kMetaBytes].raw_bytes);
}

TEST_F(ColdPackTest, EveryByteFlipAndTruncationIsCorruption) {
  Data d = QuantizableData(20, 8, 4);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  std::string pack = RoundTrip(file);
  ASSERT_FALSE(pack.empty());
  ASSERT_LT(pack.size(), 4096u);
  for (size_t i = 0; i < pack.size(); ++i) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string bad = pack;
      bad[i] = static_cast<char>(bad[i] ^ x);
      auto r = DecodeColdPack(bad);
      ASSERT_FALSE(r.ok()) << "flip at " << i;
      ASSERT_TRUE(r.status().IsCorruption())
          << "flip at " << i << ": " << r.status().ToString();
      ASSERT_EQ(r.status().message().rfind("cold pack: ", 0), 0u);
    }
  }
  for (size_t n = 0; n < pack.size(); ++n) {
    auto r = DecodeColdPack(std::string_view(pack).substr(0, n));
    ASSERT_FALSE(r.ok()) << "truncated to " << n;
    ASSERT_TRUE(r.status().IsCorruption()) << "truncated to " << n;
  }
  auto longer = DecodeColdPack(pack + std::string(1, '\0'));
  EXPECT_TRUE(longer.status().IsCorruption());

  // The file decoder leaves neither the file nor its temporary behind.
  std::string bad = pack;
  bad[bad.size() - 1] ^= 0x10;
  Status s = DecodeColdPackToFile(env_.get(), bad, "/d/out.pdb");
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_FALSE(env_->FileExists("/d/out.pdb"));
  EXPECT_FALSE(env_->FileExists("/d/out.pdb.tmp"));
}

// Rewrites the table CRC after a deliberate edit of the header, so only the
// structural checks stand between the edit and the decoder.
void ResealPack(std::string* pack) {
  uint32_t count = DecodeFixed32(pack->data() + 12);
  size_t table_end = kColdPackFixedSize + count * kColdPackChunkEntrySize;
  EncodeFixed32(pack->data() + table_end,
                crc32c::Mask(crc32c::Value(pack->data(), table_end)));
}

TEST_F(ColdPackTest, SizeLimitsCheckedBeforeAllocating) {
  Data d = RandomData(50, 16, 5);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  std::string pack = RoundTrip(file);

  // A declared size above 64 GiB.
  std::string big = pack;
  EncodeFixed64(big.data() + 16, (64ull << 30) + 1);
  ResealPack(&big);
  auto r = DecodeColdPack(big);
  ASSERT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("64 GiB"), std::string::npos);

  // A declared size the chunks do not add up to (1 TiB would be allocated
  // by a trusting decoder; 60 GiB here is under the cap).
  big = pack;
  EncodeFixed64(big.data() + 16, 60ull << 30);
  ResealPack(&big);
  r = DecodeColdPack(big);
  ASSERT_TRUE(r.status().IsCorruption());

  // A zstd chunk claiming one more raw byte (and the total adjusted): the
  // frame's content size disagrees, nothing is decompressed.
  auto chunks = ListColdPack(pack);
  ASSERT_TRUE(chunks.ok());
  size_t zi = chunks->size();
  for (size_t i = 0; i < chunks->size(); ++i) {
    if ((*chunks)[i].codec == ColdPackCodec::kZstd) zi = i;
  }
  ASSERT_LT(zi, chunks->size());
  big = pack;
  char* entry = big.data() + kColdPackFixedSize + zi * kColdPackChunkEntrySize;
  EncodeFixed64(entry + 8, DecodeFixed64(entry + 8) + 1);
  EncodeFixed64(big.data() + 16, DecodeFixed64(big.data() + 16) + 1);
  ResealPack(&big);
  r = DecodeColdPack(big);
  ASSERT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("content size"), std::string::npos)
      << r.status().ToString();
}

TEST_F(ColdPackTest, EncodeRefusesDamagedOrForeignInput) {
  Data d = RandomData(50, 16, 6);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  // A flipped byte in the last section (a section CRC catches it) and in
  // the header (the header CRC).
  std::string bad = file;
  bad[bad.size() - 1] ^= 0x01;
  EXPECT_TRUE(EncodeColdPack(bad).status().IsCorruption());
  bad = file;
  bad[kOffSegmentId] ^= 0x01;
  EXPECT_TRUE(EncodeColdPack(bad).status().IsCorruption());
  EXPECT_EQ(EncodeColdPack("not a segment").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeColdPack(file.substr(0, file.size() - 1)).status().code(),
            StatusCode::kInvalidArgument);

  auto packed = EncodeColdPackFile(env_.get(), "/d/seg.pdb");
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  auto back = DecodeColdPack(*packed);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == file);
  EXPECT_TRUE(
      EncodeColdPackFile(env_.get(), "/d/missing.pdb").status().code() !=
      StatusCode::kOk);
}

TEST_F(ColdPackTest, PackIsDeterministic) {
  Data d = RandomData(100, 8, 7);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  auto a = EncodeColdPack(file);
  auto b = EncodeColdPack(file);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
  EXPECT_EQ(a->substr(0, 8), "PDBCPK01");
}

TEST_F(ColdPackTest, RandomDamageNeverDecodes) {
  Data d = RandomData(40, 8, 8);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  std::string pack = RoundTrip(file);
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = pack;
    int edits = 1 + rng() % 8;
    for (int e = 0; e < edits; ++e) bad[rng() % bad.size()] = char(rng());
    if (bad == pack) continue;
    auto r = DecodeColdPack(bad);
    ASSERT_TRUE(r.status().IsCorruption()) << "round " << round;
  }
  // Garbage of every small length, with and without the magic in front.
  for (size_t n = 0; n < 300; ++n) {
    std::string g(n, '\0');
    for (char& c : g) c = char(rng());
    EXPECT_TRUE(DecodeColdPack(g).status().IsCorruption());
    std::string m = std::string(kColdPackMagic) + g;
    EXPECT_TRUE(DecodeColdPack(m).status().IsCorruption());
  }
}

TEST_F(ColdPackTest, ChunkTablesAndTimings) {
  Data d = QuantizableData(200, 32, 9);
  std::string file = WriteAndRead(env_.get(), "/d/seg.pdb", d);
  std::vector<ColdPackChunk> enc, dec;
  auto pack = EncodeColdPack(file, {}, &enc);
  ASSERT_TRUE(pack.ok());
  auto back = DecodeColdPack(*pack, &dec);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == file);
  auto listed = ListColdPack(*pack);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(enc.size(), listed->size());
  ASSERT_EQ(dec.size(), listed->size());
  uint64_t raw = 0;
  for (size_t i = 0; i < enc.size(); ++i) {
    EXPECT_EQ(enc[i].kind, (*listed)[i].kind);
    EXPECT_EQ(enc[i].codec, (*listed)[i].codec);
    EXPECT_EQ(enc[i].raw_bytes, (*listed)[i].raw_bytes);
    EXPECT_EQ(enc[i].packed_bytes, (*listed)[i].packed_bytes);
    EXPECT_EQ(dec[i].packed_bytes, (*listed)[i].packed_bytes);
    raw += enc[i].raw_bytes;
  }
  EXPECT_EQ(raw, file.size());
  // Chunk 0 is the header; every section of the segment has its chunk.
  EXPECT_EQ((*listed)[0].kind, 0u);
  std::set<uint32_t> kinds;
  for (const auto& c : *listed) kinds.insert(c.kind);
  for (uint32_t k = kVectors; k <= kLastRequired; ++k) {
    EXPECT_EQ(kinds.count(k), 1u) << "section type " << k;
  }
}

TEST(ColdPackPosixTest, DecodeToFileOnDisk) {
  Env* env = Env::Default();
  char tmpl[] = "/tmp/cold_pack_test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  Data d = RandomData(300, 16, 10);
  std::string file = WriteAndRead(env, dir + "/seg.pdb", d);
  auto pack = EncodeColdPackFile(env, dir + "/seg.pdb");
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  ASSERT_TRUE(DecodeColdPackToFile(env, *pack, dir + "/back.pdb").ok());
  auto seg = Segment::Open(env, dir + "/back.pdb", true);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ((*seg)->size(), 300u);
  EXPECT_EQ((*seg)->id(0), d.ids[0]);
  EXPECT_EQ((*seg)->file_bytes(), file.size());
  // A damaged pack leaves the existing file as it was.
  std::string bad = *pack;
  bad[bad.size() / 2] ^= 0x40;
  EXPECT_TRUE(DecodeColdPackToFile(env, bad, dir + "/back.pdb").IsCorruption());
  EXPECT_FALSE(env->FileExists(dir + "/back.pdb.tmp"));
  ASSERT_TRUE(Segment::Open(env, dir + "/back.pdb", true).ok());
  ASSERT_TRUE(env->RemoveDirRecursively(dir).ok());
}

}  // namespace
}  // namespace proximadb::segment
