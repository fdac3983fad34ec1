// Fuzz target: the WAL record codecs (native and Avro) on their own.
//
// Input: one flags byte, then the rest.
//   flags bit 0 = 0: the rest is a record payload, decoded by the codec of
//     bit 1 (0 native, 1 Avro). Decoding must never crash or over-allocate;
//     a payload that decodes must survive re-encoding by both codecs:
//     decode(encode(decode(x))) == decode(x), floats bit for bit.
//   flags bit 0 = 1: the rest describes a WalBatch (FuzzedDataProvider).
//     Both codecs must give it back exactly: decode(encode(b)) == b; the
//     encoding must equal AppendSeqPrefix(seq) + EncodeBody(b), as group
//     commit relies on; and FrameRecordInPlace must frame it byte for byte
//     as AppendRecord does.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "storage/wal/record_codec.h"
#include "storage/wal/wal_format.h"
#include "wal_fuzz_util.h"

namespace proximadb::fuzz {
namespace {

using wal::RecordCodec;
using wal::WalBatch;
using wal::WalOp;

const RecordCodec& Codec(WalFormat f) {
  static const auto native = wal::NewNativeCodec();
  static const auto avro = wal::NewAvroCodec();
  return f == WalFormat::kNative ? *native : *avro;
}

// Encodes with `fmt` and decodes again; `b` must come back unchanged.
void CheckRoundTrip(const WalBatch& b, WalFormat fmt) {
  const RecordCodec& c = Codec(fmt);
  Result<std::string> enc = c.Encode(b);
  FUZZ_CHECK(enc.ok(), enc.status());
  std::string split;
  c.AppendSeqPrefix(b.seq, &split);
  FUZZ_CHECK(split.size() <= wal::kMaxSeqPrefixSize);
  Status s = c.EncodeBody(b, &split);
  FUZZ_CHECK(s.ok(), s);
  FUZZ_CHECK(split == *enc, "Encode != AppendSeqPrefix + EncodeBody");
  WalBatch back;
  s = c.Decode(*enc, &back);
  FUZZ_CHECK(s.ok(), s, Describe(b));
  FUZZ_CHECK(SameBatch(back, Normalized(b)), Describe(b), Describe(back));
}

// The WAL writer frames records in place; it must agree with AppendRecord.
void CheckFraming(const WalBatch& b) {
  const RecordCodec& c = Codec(WalFormat::kNative);
  std::string prefix;
  c.AppendSeqPrefix(b.seq, &prefix);
  std::string body;
  Status s = c.EncodeBody(b, &body);
  FUZZ_CHECK(s.ok(), s);
  std::string expected;
  wal::AppendRecord(&expected, b.seq, prefix, body);
  const size_t slack = wal::kRecordHeaderSize + wal::kMaxSeqPrefixSize;
  std::string buf(slack, '\0');
  buf += body;
  std::string_view framed = wal::FrameRecordInPlace(&buf, slack, b.seq, prefix);
  FUZZ_CHECK(framed == expected, "FrameRecordInPlace != AppendRecord");
}

WalBatch BatchFrom(FuzzedDataProvider* in) {
  WalBatch b;
  b.seq = in->ConsumeIntegral<uint64_t>();
  // Avro longs are signed; the WAL never gets near 2^63 records.
  b.seq &= INT64_MAX;
  const size_t ops = in->ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < ops && in->remaining_bytes() > 0; ++i) {
    WalOp op;
    op.type = static_cast<WalOp::Type>(in->ConsumeIntegralInRange(1, 4));
    op.id = in->ConsumeRandomLengthString(300);
    if (WalOp::HasVector(op.type)) {
      const size_t dim = in->ConsumeIntegralInRange<size_t>(0, 64);
      for (size_t d = 0; d < dim; ++d) {
        uint32_t bits = in->ConsumeIntegral<uint32_t>();
        float f;
        std::memcpy(&f, &bits, 4);
        op.vector.push_back(f);
      }
    }
    if (op.type != WalOp::Type::kDelete) {
      op.metadata_json = in->ConsumeRandomLengthString(512);
    }
    b.ops.push_back(std::move(op));
  }
  return b;
}

void DecodeArbitrary(std::string_view payload, WalFormat fmt) {
  WalBatch b;
  Status s = Codec(fmt).Decode(payload, &b);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption(), s);
    return;
  }
  CheckRoundTrip(b, WalFormat::kNative);
  if (b.seq <= INT64_MAX) CheckRoundTrip(b, WalFormat::kAvro);
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  std::string_view in = fuzz::AsView(data, size);
  const uint8_t flags = fuzz::TakeFlags(&in);
  if ((flags & 1) == 0) {
    fuzz::DecodeArbitrary(in,
                          flags & 2 ? WalFormat::kAvro : WalFormat::kNative);
    return 0;
  }
  FuzzedDataProvider provider(reinterpret_cast<const uint8_t*>(in.data()),
                              in.size());
  wal::WalBatch b = fuzz::BatchFrom(&provider);
  fuzz::CheckRoundTrip(b, WalFormat::kNative);
  fuzz::CheckRoundTrip(b, WalFormat::kAvro);
  fuzz::CheckFraming(b);
  return 0;
}
