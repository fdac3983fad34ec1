// The native WAL payload (WalFormat::kNative), compact little-endian:
//   version u8 = 1 | seq varint64 | op_count varint32 | ops
//   op: type u8 | id (varint length + bytes)
//       kUpsert (1), kUpdateMetadata (4):
//                        dim varint32 | dim x float32 | metadata (len+bytes)
//       either with kSparseFlag (0x80) set in the type byte: the same, then
//                        sparse vectors (len+bytes, index/sparse.h's blob)
//       either with kExpiryFlag (0x40) set: then (after any sparse vectors)
//                        expires_at varint64 (unix microseconds, non-zero)
//       kDelete (2):     nothing more
//       kUpdateMetadataNoVector (3, read only): metadata (len+bytes)
#include <bit>
#include <cstring>

#include "index/sparse.h"
#include "storage/wal/record_codec.h"
#include "util/coding.h"

namespace proximadb::wal {
namespace {

constexpr uint8_t kVersion = 1;
// Set in an upsert's type byte when sparse vectors follow its metadata, so
// records without them keep the original bytes, and a build that does not
// know the flag refuses the record instead of dropping the vectors.
constexpr uint8_t kSparseFlag = 0x80;
// Likewise when the op's expiry time follows.
constexpr uint8_t kExpiryFlag = 0x40;

void PutFloats(std::string* dst, const std::vector<float>& v) {
  if constexpr (std::endian::native == std::endian::little) {
    dst->append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  } else {
    for (float f : v) PutFixed32(dst, std::bit_cast<uint32_t>(f));
  }
}

void GetFloats(const char* p, size_t n, std::vector<float>* out) {
  out->resize(n);
  if constexpr (std::endian::native == std::endian::little) {
    if (n != 0) std::memcpy(out->data(), p, n * 4);  // data() may be null
  } else {
    for (size_t i = 0; i < n; ++i) {
      (*out)[i] = std::bit_cast<float>(DecodeFixed32(p + 4 * i));
    }
  }
}

bool ValidType(WalOp::Type t) {
  return t == WalOp::Type::kUpsert || t == WalOp::Type::kDelete ||
         t == WalOp::Type::kUpdateMetadataNoVector ||
         t == WalOp::Type::kUpdateMetadata;
}

Status Bad(const char* what) {
  return Status::Corruption(std::string("native wal payload: ") + what);
}

class NativeCodec final : public RecordCodec {
 public:
  WalFormat format() const override { return WalFormat::kNative; }

  void AppendSeqPrefix(uint64_t seq, std::string* dst) const override {
    dst->push_back(static_cast<char>(kVersion));
    PutVarint64(dst, seq);
  }

  Status EncodeBody(const WalBatch& batch, std::string* body) const override {
    size_t estimate = 5;
    for (const WalOp& op : batch.ops) {
      estimate += 16 + op.id.size() + op.vector.size() * 4 +
                  op.metadata_json.size() + op.sparse.size();
    }
    std::string& out = *body;
    // + the record trailer, so the WAL writer's in-place framing does not
    // reallocate the buffer for its last 4 bytes.
    out.reserve(out.size() + estimate + 4);
    PutVarint32(&out, static_cast<uint32_t>(batch.ops.size()));
    for (const WalOp& op : batch.ops) {
      if (!ValidType(op.type)) return Status::InvalidArgument("bad op type");
      const bool sparse = !op.sparse.empty();
      const bool expiry = op.expires_at != 0;
      if ((sparse || expiry) && !WalOp::HasVector(op.type)) {
        return Status::InvalidArgument(
            "sparse vectors or an expiry on an op without vector");
      }
      out.push_back(static_cast<char>(static_cast<uint8_t>(op.type) |
                                      (sparse ? kSparseFlag : 0) |
                                      (expiry ? kExpiryFlag : 0)));
      PutLengthPrefixed(&out, op.id);
      if (WalOp::HasVector(op.type)) {
        PutVarint32(&out, static_cast<uint32_t>(op.vector.size()));
        PutFloats(&out, op.vector);
      }
      if (op.type != WalOp::Type::kDelete) {
        PutLengthPrefixed(&out, op.metadata_json);
      }
      if (sparse) PutLengthPrefixed(&out, op.sparse);
      if (expiry) PutVarint64(&out, op.expires_at);
    }
    return Status::OK();
  }

  Status Decode(std::string_view in, WalBatch* out) const override {
    if (in.empty() || static_cast<uint8_t>(in[0]) != kVersion) {
      return Bad("unknown version");
    }
    in.remove_prefix(1);
    WalBatch batch;
    uint32_t count;
    if (!GetVarint64(&in, &batch.seq) || !GetVarint32(&in, &count)) {
      return Bad("truncated header");
    }
    // Every op takes at least 2 bytes: bound the reservation by the input.
    if (count > in.size() / 2) return Bad("op count exceeds payload");
    batch.ops.resize(count);
    for (WalOp& op : batch.ops) {
      if (in.empty()) return Bad("truncated op");
      uint8_t type = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      const bool sparse = (type & kSparseFlag) != 0;
      const bool expiry = (type & kExpiryFlag) != 0;
      type &= static_cast<uint8_t>(~(kSparseFlag | kExpiryFlag));
      if (!ValidType(static_cast<WalOp::Type>(type))) {
        return Bad("unknown op type");
      }
      op.type = static_cast<WalOp::Type>(type);
      std::string_view id;
      if (!GetLengthPrefixed(&in, &id)) return Bad("truncated id");
      op.id.assign(id);
      if (WalOp::HasVector(op.type)) {
        uint32_t dim;
        if (!GetVarint32(&in, &dim) || dim > in.size() / 4) {
          return Bad("truncated vector");
        }
        GetFloats(in.data(), dim, &op.vector);
        in.remove_prefix(size_t{dim} * 4);
      }
      if (op.type != WalOp::Type::kDelete) {
        std::string_view meta;
        if (!GetLengthPrefixed(&in, &meta)) return Bad("truncated metadata");
        op.metadata_json.assign(meta);
      }
      if (sparse) {
        std::string_view blob;
        if (!WalOp::HasVector(op.type) || !GetLengthPrefixed(&in, &blob) ||
            blob.empty() || !index::ValidPointVectorsBlob(blob)) {
          return Bad("bad sparse vectors");
        }
        op.sparse.assign(blob);
      }
      if (expiry && (!WalOp::HasVector(op.type) ||
                     !GetVarint64(&in, &op.expires_at) || op.expires_at == 0)) {
        return Bad("bad expiry");
      }
    }
    if (!in.empty()) return Bad("trailing bytes");
    *out = std::move(batch);
    return Status::OK();
  }
};

}  // namespace

std::unique_ptr<RecordCodec> NewNativeCodec() {
  return std::make_unique<NativeCodec>();
}

}  // namespace proximadb::wal
