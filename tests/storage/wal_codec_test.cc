#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "index/sparse.h"
#include "storage/wal/record_codec.h"
#include "storage/wal/wal_format.h"
#include "storage/wal_test_util.h"

namespace proximadb::wal {
namespace {

using testing::FormatName;
using testing::MakeBatch;

class CodecTest : public ::testing::TestWithParam<WalFormat> {
 protected:
  std::unique_ptr<RecordCodec> codec_ = NewRecordCodec(GetParam());

  WalBatch RoundTrip(const WalBatch& in) {
    auto payload = codec_->Encode(in);
    EXPECT_TRUE(payload.ok());
    WalBatch out;
    Status s = codec_->Decode(*payload, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
};

TEST_P(CodecTest, RoundTripsManyBatches) {
  EXPECT_EQ(codec_->format(), GetParam());
  for (uint32_t i = 0; i < 300; ++i) {
    WalBatch b = MakeBatch(i, i % 40);
    b.seq = uint64_t{i} * 7919 + 1;
    EXPECT_EQ(RoundTrip(b), b) << i;
  }
}

TEST_P(CodecTest, EdgeCases) {
  WalBatch empty;
  empty.seq = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(RoundTrip(empty), empty);

  WalBatch b;
  b.seq = 1;
  std::vector<float> big(65536);
  for (size_t i = 0; i < big.size(); ++i) big[i] = std::sin(float(i)) * 1e6f;
  big[1] = -0.0f;
  big[2] = std::numeric_limits<float>::infinity();
  big[3] = std::numeric_limits<float>::denorm_min();
  b.ops.push_back({WalOp::Type::kUpsert, "ünïcødé-🚀-点", big, ""});
  b.ops.push_back({WalOp::Type::kUpsert, std::string("nul\0id", 6), {}, "{}"});
  b.ops.push_back({WalOp::Type::kUpsert, "", {1.0f}, ""});
  b.ops.push_back({WalOp::Type::kDelete, "x", {}, ""});
  b.ops.push_back({WalOp::Type::kUpdateMetadata, "y", {}, R"({"k":"välue"})"});
  b.ops.push_back({WalOp::Type::kUpdateMetadata, "z", big, R"({"k":1})"});
  b.ops.push_back(
      {WalOp::Type::kUpdateMetadataNoVector, "w", {}, R"({"k":"old"})"});
  for (int i = 0; i < 1000; ++i) {
    b.ops.push_back({WalOp::Type::kDelete, "d" + std::to_string(i), {}, ""});
  }
  WalBatch out = RoundTrip(b);
  EXPECT_EQ(out, b);
  EXPECT_TRUE(std::signbit(out.ops[0].vector[1]));
}

TEST_P(CodecTest, NonApplicableFieldsAreDropped) {
  WalBatch b;
  b.ops.push_back({WalOp::Type::kDelete, "x", {1, 2}, "meta"});
  b.ops.push_back({WalOp::Type::kUpdateMetadataNoVector, "y", {3}, "m"});
  b.ops.push_back({WalOp::Type::kUpdateMetadata, "z", {4, 5}, "n"});
  WalBatch out = RoundTrip(b);
  ASSERT_EQ(out.ops.size(), 3u);
  EXPECT_TRUE(out.ops[0].vector.empty());
  EXPECT_TRUE(out.ops[0].metadata_json.empty());
  EXPECT_TRUE(out.ops[1].vector.empty());
  EXPECT_EQ(out.ops[1].metadata_json, "m");
  // A metadata update is logged as the whole point: its vector is kept.
  EXPECT_EQ(out.ops[2].vector, (std::vector<float>{4, 5}));
  EXPECT_EQ(out.ops[2].metadata_json, "n");
}

TEST_P(CodecTest, PrefixPlusBodyIsTheWholePayload) {
  WalBatch b = MakeBatch(15);
  std::string body;
  ASSERT_TRUE(codec_->EncodeBody(b, &body).ok());
  for (uint64_t seq :
       {uint64_t{0}, uint64_t{1}, uint64_t{300}, uint64_t{1} << 40}) {
    b.seq = seq;
    std::string payload;
    codec_->AppendSeqPrefix(seq, &payload);
    payload += body;
    EXPECT_EQ(payload, *codec_->Encode(b));
    WalBatch out;
    ASSERT_TRUE(codec_->Decode(payload, &out).ok());
    EXPECT_EQ(out.seq, seq);
  }
}

TEST_P(CodecTest, EncodeBodyAppends) {
  WalBatch b = MakeBatch(10, 33);
  std::string body;
  ASSERT_TRUE(codec_->EncodeBody(b, &body).ok());
  std::string out = "existing";
  ASSERT_TRUE(codec_->EncodeBody(b, &out).ok());
  EXPECT_EQ(out, "existing" + body);
}

// The writer frames records in place around the encoded body; the bytes
// must be exactly those of the plain AppendRecord framing, for short and
// long sequence prefixes and any spare room in front.
TEST_P(CodecTest, InPlaceFramingMatchesAppendRecord) {
  WalBatch b = MakeBatch(12, 50);
  std::string body;
  ASSERT_TRUE(codec_->EncodeBody(b, &body).ok());
  for (uint64_t seq :
       {uint64_t{1}, uint64_t{300}, ~uint64_t{0} >> 1, ~uint64_t{0}}) {
    std::string prefix;
    codec_->AppendSeqPrefix(seq, &prefix);
    ASSERT_LE(prefix.size(), kMaxSeqPrefixSize);
    std::string expect;
    AppendRecord(&expect, seq, prefix, body);
    for (size_t slack : {kRecordHeaderSize + prefix.size(),
                         kRecordHeaderSize + kMaxSeqPrefixSize}) {
      std::string buf(slack, '\x5a');  // junk the framing must not keep
      buf += body;
      std::string_view rec = FrameRecordInPlace(&buf, slack, seq, prefix);
      EXPECT_EQ(rec, expect) << seq << " " << slack;
      EXPECT_EQ(rec.data() + rec.size(), buf.data() + buf.size());
    }
  }
}

TEST_P(CodecTest, MalformedPayloadsAreCorruption) {
  WalBatch b = MakeBatch(30, 16);
  b.seq = 99;
  std::string payload = *codec_->Encode(b);
  // Every truncation.
  for (size_t len = 0; len < payload.size(); ++len) {
    WalBatch out;
    Status s = codec_->Decode(std::string_view(payload.data(), len), &out);
    EXPECT_TRUE(s.IsCorruption()) << len << " " << s.ToString();
  }
  // Trailing garbage.
  WalBatch out;
  EXPECT_TRUE(codec_->Decode(payload + "x", &out).IsCorruption());
  // Random bytes and random corruptions: never a crash or a huge allocation.
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk = payload;
    for (int k = 0; k < 3; ++k) junk[rng() % junk.size()] = char(rng());
    (void)codec_->Decode(junk, &out);
    std::string noise(rng() % 64, '\0');
    for (char& c : noise) c = char(rng());
    (void)codec_->Decode(noise, &out);
  }
  // Huge declared lengths.
  std::string huge;
  codec_->AppendSeqPrefix(1, &huge);
  huge += std::string(9, '\xff') + std::string("\x01", 1);
  EXPECT_TRUE(codec_->Decode(huge, &out).IsCorruption());
}

TEST_P(CodecTest, ConcurrentUse) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < 300; ++i) {
        WalBatch b = MakeBatch(i + t * 1000);
        b.seq = i + 1;
        auto p = codec_->Encode(b);
        WalBatch out;
        if (!p.ok() || !codec_->Decode(*p, &out).ok() || !(out == b)) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(AvroCodecTest, PayloadIsPlainAvroOfTheDocumentedSchema) {
  // seq 1 with one DELETE op of id "a": long 1 (zigzag 2), array block of 1
  // item, enum 1, string "a", empty array, empty string, end of array.
  WalBatch b;
  b.seq = 1;
  b.ops.push_back({WalOp::Type::kDelete, "a", {}, ""});
  auto p = NewRecordCodec(WalFormat::kAvro)->Encode(b);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, std::string("\x02\x02\x02\x02"
                            "a"
                            "\x00\x00\x00",
                            8));
}

TEST(NativeCodecTest, SparseVectorsRoundTripBehindTheTypeFlag) {
  auto codec = NewRecordCodec(WalFormat::kNative);
  SparseVectors sv;
  sv["kw"] = SparseVector{{2, 9}, {0.5f, -1.0f}};
  WalBatch b;
  b.seq = 3;
  b.ops.push_back({WalOp::Type::kUpsert,
                   "a",
                   {1.0f},
                   "{}",
                   index::EncodeSparseVectors(sv)});
  b.ops.push_back({WalOp::Type::kUpdateMetadata,
                   "b",
                   {2.0f},
                   R"({"k":1})",
                   index::EncodeSparseVectors(sv)});
  b.ops.push_back({WalOp::Type::kUpsert, "c", {3.0f}, "{}", ""});
  b.ops.push_back({WalOp::Type::kDelete, "d", {}, "", ""});
  auto payload = codec->Encode(b);
  ASSERT_TRUE(payload.ok());
  WalBatch out;
  ASSERT_TRUE(codec->Decode(*payload, &out).ok());
  EXPECT_EQ(out, b);

  // Without sparse vectors the bytes are those of earlier builds: the op
  // type byte carries no flag.
  WalBatch plain;
  plain.seq = 3;
  plain.ops.push_back({WalOp::Type::kUpsert, "c", {3.0f}, "{}", ""});
  auto p = codec->Encode(plain);
  ASSERT_TRUE(p.ok());
  // version, seq, op count, then the type byte.
  EXPECT_EQ(static_cast<uint8_t>((*p)[3]), 1);
  EXPECT_EQ(static_cast<uint8_t>((*payload)[3]), 0x81);

  // A delete cannot carry them, and a malformed blob is refused.
  WalBatch bad;
  bad.ops.push_back({WalOp::Type::kDelete, "d", {}, "", "x"});
  EXPECT_EQ(codec->Encode(bad).status().code(), StatusCode::kInvalidArgument);
  std::string damaged = *payload;
  // The first op's blob ends its op; shorten its name length field.
  const std::string blob = index::EncodeSparseVectors(sv);
  const size_t at = damaged.find(blob);
  ASSERT_NE(at, std::string::npos);
  damaged[at + 4] = 9;  // name length 9 > the bytes left for it
  EXPECT_EQ(codec->Decode(damaged, &out).code(), StatusCode::kCorruption);

  // The Avro format has none.
  EXPECT_EQ(NewRecordCodec(WalFormat::kAvro)->Encode(b).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NativeCodecTest, ExpiryRoundTripsBehindItsOwnFlag) {
  auto codec = NewRecordCodec(WalFormat::kNative);
  SparseVectors sv;
  sv["kw"] = SparseVector{{4}, {2.0f}};
  WalBatch b;
  b.seq = 8;
  b.ops.push_back({WalOp::Type::kUpsert, "a", {1.0f}, "{}", "", 1});
  b.ops.push_back({WalOp::Type::kUpdateMetadata,
                   "b",
                   {2.0f},
                   "{}",
                   index::EncodeSparseVectors(sv),
                   1'800'000'000'000'000ull});
  b.ops.push_back({WalOp::Type::kUpsert, "c", {3.0f}, "{}", "", 0});
  auto payload = codec->Encode(b);
  ASSERT_TRUE(payload.ok());
  WalBatch out;
  ASSERT_TRUE(codec->Decode(*payload, &out).ok());
  EXPECT_EQ(out, b);
  // version, seq, op count, then the first op's type byte: 0x40 alone.
  EXPECT_EQ(static_cast<uint8_t>((*payload)[3]), 0x41);

  // A delete cannot carry one; a record cut inside the time is refused.
  WalBatch bad;
  bad.ops.push_back({WalOp::Type::kDelete, "d", {}, "", "", 5});
  EXPECT_EQ(codec->Encode(bad).status().code(), StatusCode::kInvalidArgument);
  WalBatch one;
  one.seq = 8;
  one.ops.push_back({WalOp::Type::kUpsert, "a", {1.0f}, "{}", "", 1u << 20});
  auto p = codec->Encode(one);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(codec->Decode(p->substr(0, p->size() - 1), &out).code(),
            StatusCode::kCorruption);
  // A zero time behind the flag is not what the encoder writes.
  std::string zero = *p;
  zero.resize(zero.size() - 3);  // 2^20 is three varint bytes
  zero.push_back('\0');
  EXPECT_EQ(codec->Decode(zero, &out).code(), StatusCode::kCorruption);

  // The Avro format has no expiry.
  EXPECT_EQ(NewRecordCodec(WalFormat::kAvro)->Encode(one).status().code(),
            StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, CodecTest, ::testing::Values(WalFormat::kNative, WalFormat::kAvro),
    [](const auto& info) { return FormatName(info.param); });

}  // namespace
}  // namespace proximadb::wal
