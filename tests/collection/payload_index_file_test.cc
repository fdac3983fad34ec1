// The payload index file (seg-<id>.pidx): Load refuses every damaged or
// hostile file with kCorruption, and never trusts a count before the bytes
// it needs are there (regressions found by tests/fuzz/payload_index_fuzz).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collection/payload_index.h"
#include "proximadb/env.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb {
namespace {

class PayloadIndexFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = NewMemEnv();
    ASSERT_TRUE(env_->CreateDirIfMissing("/s").ok());
    const float v = 1;
    const std::vector<std::string> meta = {R"({"k":"a"})", R"({"k":"b"})"};
    ASSERT_TRUE(segment::WriteSegment(
                    env_.get(), "/s/a.pdb", {1, 1, Metric::kEuclidean}, 2,
                    [&](size_t i) {
                      return segment::SegmentRow{i ? "y" : "x", &v, meta[i], 1};
                    },
                    [](size_t) { return false; })
                    .ok());
    seg_ = segment::Segment::Open(env_.get(), "/s/a.pdb").value();
  }

  // A saved index with one keyword field "k" (keys "a" and "b").
  std::string Saved() {
    auto idx =
        SegmentPayloadIndex::Build(*seg_, {{"k", PayloadIndexType::kKeyword}});
    EXPECT_TRUE(idx->Save(env_.get(), "/s/a.pidx").ok());
    return env_->ReadFileToString("/s/a.pidx").value();
  }

  // Recomputes the trailing CRC, as a buggy or hostile writer would.
  static void Reseal(std::string* f) {
    const size_t body = f->size() - 4;
    EncodeFixed32(f->data() + body,
                  crc32c::Mask(crc32c::Value(f->data(), body)));
  }

  Status Load(const std::string& bytes) {
    EXPECT_TRUE(env_->WriteFileAtomically("/s/bad.pidx", bytes).ok());
    return SegmentPayloadIndex::Load(env_.get(), "/s/bad.pidx", 2).status();
  }

  std::unique_ptr<Env> env_;
  std::shared_ptr<segment::Segment> seg_;
};

TEST_F(PayloadIndexFileTest, RoundTrip) {
  const std::string bytes = Saved();
  auto idx = SegmentPayloadIndex::Load(env_.get(), "/s/a.pidx", 2);
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ((*idx)->CountEq("k", filter::Value::String("b")), 1u);
}

// A key count far beyond the file's size used to be trusted for a
// vector<string> resize: 2^32 - 1 keys asked for ~128 GiB before the first
// key was read (std::bad_alloc, or an ASan abort).
TEST_F(PayloadIndexFileTest, HugeKeyCountIsCorruptionNotAnAllocation) {
  std::string bytes = Saved();
  // magic 8 | version 4 | field count 4 | rows 8 | type 4 | name len 4 |
  // "k" | key count 4
  const size_t key_count_at = 8 + 4 + 4 + 8 + 4 + 4 + 1;
  ASSERT_EQ(DecodeFixed32(bytes.data() + key_count_at), 2u);
  EncodeFixed32(bytes.data() + key_count_at, 0xFFFFFFFFu);
  Reseal(&bytes);
  Status s = Load(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(PayloadIndexFileTest, EveryTruncationAndFlipIsRefused) {
  const std::string good = Saved();
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_TRUE(Load(good.substr(0, n)).IsCorruption()) << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x20;
    EXPECT_TRUE(Load(bad).IsCorruption()) << i;
  }
}

}  // namespace
}  // namespace proximadb
