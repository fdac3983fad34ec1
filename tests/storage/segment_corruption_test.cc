// A damaged segment file must be refused with kCorruption, never crash the
// reader. Every byte of a small file is flipped, and every truncation tried.
#include <gtest/gtest.h>

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

class SegmentCorruptionTest : public ::testing::Test {
 protected:
  // Writes `count` rows of dimension `dim` and returns the file's bytes.
  std::string WriteSample(size_t count, uint32_t dim) {
    ids_.clear();
    vecs_.assign(count * dim, 0);
    for (size_t i = 0; i < count; ++i) {
      char buf[16];
      snprintf(buf, sizeof buf, "id-%05zu", i);
      ids_.push_back(buf);
      for (uint32_t j = 0; j < dim; ++j) vecs_[i * dim + j] = float(i) - j;
    }
    Status s = WriteSegment(
        env_.get(), "/good.seg", {3, dim, Metric::kCosine}, count,
        [&](size_t i) {
          return SegmentRow{ids_[i], vecs_.data() + i * dim,
                            i % 2 ? R"({"k":1})" : "", 100 + i};
        },
        [](size_t i) { return i % 3 == 0; });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return env_->ReadFileToString("/good.seg").value();
  }

  Result<std::shared_ptr<Segment>> OpenBytes(const std::string& bytes,
                                             bool verify = true) {
    EXPECT_TRUE(env_->WriteFileAtomically("/bad.seg", bytes).ok());
    return Segment::Open(env_.get(), "/bad.seg", verify);
  }

  // Reads every row, so a reader that trusted a bad field would fault (the
  // ASan build turns that into a failure).
  static void TouchAll(const Segment& seg) {
    size_t sum = 0;
    for (size_t i = 0; i < seg.size(); ++i) {
      sum += seg.id(i).size() + seg.metadata_json(i).size() +
             seg.deleted_at_write(i) + seg.version(i);
      sum += static_cast<size_t>(seg.vector(i)[seg.dimension() - 1] != 0);
      sum += seg.Find(seg.id(i)).has_value();
    }
    EXPECT_GE(sum, 0u);
  }

  // Recomputes the header CRC after a deliberate header edit, so the check
  // under test is the structural one behind it.
  // The CRC stays where the writer put it (8 sections), whatever the edit.
  static void Resign(std::string* f) {
    size_t at = HeaderLength(kLastRequired) - kHeaderCrcSize;
    EncodeFixed32(f->data() + at, crc32c::Mask(crc32c::Value(f->data(), at)));
  }

  // Offset of the table entry of section `type` in an unmodified file.
  static size_t EntryOf(const std::string& f, uint32_t type) {
    uint32_t n = DecodeFixed32(f.data() + kOffSectionCount);
    for (uint32_t i = 0; i < n; ++i) {
      size_t e = kFixedHeaderSize + i * kSectionEntrySize;
      if (DecodeFixed32(f.data() + e) == type) return e;
    }
    ADD_FAILURE() << "no section " << type;
    return 0;
  }

  void ExpectCorrupt(const std::string& bytes, const std::string& what,
                     bool verify = true) {
    auto seg = OpenBytes(bytes, verify);
    ASSERT_FALSE(seg.ok()) << what;
    EXPECT_TRUE(seg.status().IsCorruption())
        << what << ": " << seg.status().ToString();
    EXPECT_NE(seg.status().message().find("segment /bad.seg: "),
              std::string::npos);
  }

  std::unique_ptr<Env> env_ = NewMemEnv();
  std::vector<std::string> ids_;
  std::vector<float> vecs_;
};

TEST_F(SegmentCorruptionTest, EveryFlippedByteIsDetected) {
  const std::string good = WriteSample(70, 3);  // 2 DELETED words
  ASSERT_TRUE(OpenBytes(good).ok());
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = good;
      bad[pos] = static_cast<char>(bad[pos] ^ mask);
      ExpectCorrupt(bad, "flip at " + std::to_string(pos));
      // Without section CRCs the damage may go unseen, but must be harmless.
      auto seg = OpenBytes(bad, /*verify=*/false);
      ASSERT_TRUE(seg.ok() || seg.status().IsCorruption());
      if (seg.ok()) TouchAll(**seg);
    }
  }
}

TEST_F(SegmentCorruptionTest, SampledFlipsInALargerFile) {
  const std::string good = WriteSample(1000, 32);
  for (size_t pos = 0; pos < good.size(); pos += 1 + pos / 50) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    ExpectCorrupt(bad, "flip at " + std::to_string(pos));
  }
}

TEST_F(SegmentCorruptionTest, EveryTruncationIsDetected) {
  const std::string good = WriteSample(70, 3);
  for (size_t len = 0; len < good.size(); ++len) {
    for (bool verify : {true, false}) {
      ExpectCorrupt(good.substr(0, len), "truncated to " + std::to_string(len),
                    verify);
    }
  }
  ExpectCorrupt(good + std::string(1, '\0'), "trailing byte");
}

TEST_F(SegmentCorruptionTest, EmptySegmentFlipsAndTruncations) {
  const std::string good = WriteSample(0, 5);
  ASSERT_TRUE(OpenBytes(good).ok());
  for (size_t pos = 0; pos < good.size(); ++pos) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x04);
    ExpectCorrupt(bad, "flip at " + std::to_string(pos));
    ExpectCorrupt(good.substr(0, pos), "truncated to " + std::to_string(pos));
  }
}

// Structural checks that stand behind the header CRC.
TEST_F(SegmentCorruptionTest, StructuralChecksBehindTheHeaderCrc) {
  const std::string good = WriteSample(70, 3);
  struct Edit {
    const char* what;
    size_t at;
    uint64_t value;
    int width;
  };
  const size_t vec = EntryOf(good, kVectors);
  const size_t ids = EntryOf(good, kIdBytes);
  const std::vector<Edit> edits = {
      {"version 3", kOffVersion, 3, 4},
      {"header length", kOffHeaderLength, 400, 4},
      {"dimension 0", kOffDimension, 0, 4},
      {"dimension 4", kOffDimension, 4, 4},
      {"metric 9", kOffMetric, 9, 4},
      {"count +1", kOffPointCount, 71, 8},
      {"huge count", kOffPointCount, uint64_t{1} << 62, 8},
      {"min > max", kOffMinSeq, 1000, 8},
      {"max too small", kOffMaxSeq, 150, 8},
      {"section count 0", kOffSectionCount, 0, 4},
      {"huge section count", kOffSectionCount, 1u << 30, 4},
      {"type 0", vec, 0, 4},
      {"duplicate VECTORS", ids, kVectors, 4},
      {"misaligned", vec + 8, 320 + 8, 8},
      {"offset past end", vec + 8, uint64_t{1} << 63, 8},
      {"length past end", vec + 16, ~uint64_t{0} - 10, 8},
      {"overlap", ids + 8, 320, 8},
  };
  for (const Edit& e : edits) {
    std::string bad = good;
    if (e.width == 4) {
      EncodeFixed32(bad.data() + e.at, static_cast<uint32_t>(e.value));
    } else {
      EncodeFixed64(bad.data() + e.at, e.value);
    }
    Resign(&bad);
    ExpectCorrupt(bad, e.what);
    ExpectCorrupt(bad, e.what, /*verify=*/false);
  }
}

// With section CRCs off, the reader still refuses content that would make
// lookups wrong or out of bounds.
TEST_F(SegmentCorruptionTest, ContentChecksWithoutSectionCrcs) {
  const std::string good = WriteSample(70, 3);
  auto section = [&](uint32_t type) {
    return DecodeFixed64(good.data() + EntryOf(good, type) + 8);
  };
  {
    std::string bad = good;  // "id-00001" -> "id-00009": out of order
    bad[section(kIdBytes) + 8 + 7] = '9';
    ExpectCorrupt(bad, "unsorted ids", false);
  }
  {
    std::string bad = good;  // id offset beyond ID_BYTES
    EncodeFixed64(bad.data() + section(kIdOffsets) + 8 * 70, 1 << 20);
    ExpectCorrupt(bad, "offset out of range", false);
  }
  {
    std::string bad = good;  // offsets going backwards
    EncodeFixed64(bad.data() + section(kMetaOffsets) + 8 * 5, 0);
    ExpectCorrupt(bad, "decreasing offsets", false);
  }
  {
    std::string bad = good;  // version outside [min_seq, max_seq]
    EncodeFixed64(bad.data() + section(kVersions), 5);
    ExpectCorrupt(bad, "version range", false);
  }
  {
    std::string bad = good;  // a DELETED bit past row 69
    bad[section(kDeleted) + 15] = '\x80';
    ExpectCorrupt(bad, "deleted padding", false);
  }
}

// A section type this build does not know is skipped and exposed raw.
TEST_F(SegmentCorruptionTest, UnknownSectionIsSkipped) {
  const std::string good = WriteSample(10, 3);
  const uint32_t n = DecodeFixed32(good.data() + kOffSectionCount);
  const size_t old_first = AlignUp(HeaderLength(n));
  const size_t new_first = AlignUp(HeaderLength(n + 1));
  const uint64_t shift = new_first - old_first;
  const std::string extra = "graph bytes";

  std::string f = good.substr(0, kFixedHeaderSize);
  EncodeFixed32(f.data() + kOffHeaderLength,
                static_cast<uint32_t>(HeaderLength(n + 1)));
  EncodeFixed32(f.data() + kOffSectionCount, n + 1);
  for (uint32_t i = 0; i < n; ++i) {
    std::string e = good.substr(kFixedHeaderSize + i * kSectionEntrySize,
                                kSectionEntrySize);
    EncodeFixed64(e.data() + 8, DecodeFixed64(e.data() + 8) + shift);
    f += e;
  }
  const uint64_t extra_at = AlignUp(good.size() + shift);
  PutFixed32(&f, kHnswFirst);
  PutFixed32(&f, 0);
  PutFixed64(&f, extra_at);
  PutFixed64(&f, extra.size());
  PutFixed32(&f, crc32c::Mask(crc32c::Value(extra.data(), extra.size())));
  PutFixed32(&f, 0);
  PutFixed32(&f, crc32c::Mask(crc32c::Value(f.data(), f.size())));
  f.resize(new_first, '\0');
  f += good.substr(old_first);
  f.resize(extra_at, '\0');
  f += extra;

  auto seg = OpenBytes(f);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ((*seg)->Section(kHnswFirst), extra);
  EXPECT_EQ((*seg)->size(), 10u);
  EXPECT_EQ((*seg)->id(9), "id-00009");
  TouchAll(**seg);
}

}  // namespace
}  // namespace proximadb::segment
