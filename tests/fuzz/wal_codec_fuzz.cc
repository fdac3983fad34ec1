// Fuzz target: the WAL record codecs (native and Avro) on their own.
//
// Input: one flags byte, then the rest.
//   flags bit 0 = 0: the rest is a record payload, decoded by the codec of
//     bit 1 (0 native, 1 Avro). Decoding must never crash or over-allocate;
//     a payload that decodes must survive re-encoding by both codecs:
//     decode(encode(decode(x))) == decode(x), floats bit for bit; a batch
//     with sparse/named vectors or an expiry (native only) must be refused
//     by the Avro encoder, never silently dropped.
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
#include "index/sparse.h"
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

// Whether `b` uses what only the native format holds.
bool NativeOnly(const WalBatch& b) {
  for (const WalOp& op : b.ops) {
    if (!op.sparse.empty() || op.expires_at != 0) return true;
  }
  return false;
}

// Encodes with `fmt` and decodes again; `b` must come back unchanged.
void CheckRoundTrip(const WalBatch& b, WalFormat fmt) {
  const RecordCodec& c = Codec(fmt);
  if (fmt == WalFormat::kAvro && NativeOnly(b)) {
    Result<std::string> enc = c.Encode(b);
    FUZZ_CHECK(!enc.ok() && enc.status().code() == StatusCode::kInvalidArgument,
               "Avro accepted sparse/named vectors or an expiry");
    return;
  }
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
    if (WalOp::HasVector(op.type) && in->ConsumeBool()) {
      // A well-formed point vectors blob: one sparse and one dense entry.
      SparseVectors sparse;
      NamedVectors dense;
      SparseVector& sv = sparse["s"];
      for (uint32_t i = 0, n = in->ConsumeIntegralInRange(0, 8); i < n; ++i) {
        sv.indices.push_back(i * 3 + in->ConsumeIntegralInRange(0, 2));
        sv.values.push_back(in->ConsumeFloatingPoint<float>());
      }
      NamedVector& nv = dense["v"];
      nv.rows = in->ConsumeIntegralInRange(1, 3);
      nv.matrix = nv.rows > 1 || in->ConsumeBool();
      nv.values.resize(nv.rows * in->ConsumeIntegralInRange(1, 4),
                       in->ConsumeFloatingPoint<float>());
      op.sparse = index::EncodePointVectors(sparse, dense);
    }
    if (WalOp::HasVector(op.type) && in->ConsumeBool()) {
      op.expires_at = in->ConsumeIntegralInRange<uint64_t>(1, UINT64_MAX);
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
