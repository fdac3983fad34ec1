#include "cluster/shard_entry.h"

#include <cstring>

#include "storage/wal/record_codec.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::cluster {

namespace {

constexpr std::string_view kEntryMagic("PDBSHRD1", 8);
constexpr size_t kHeader = 8 + 8 + 1;

const wal::RecordCodec& Codec() {
  static const auto codec = wal::NewNativeCodec();
  return *codec;
}

}  // namespace

Result<std::string> EncodeShardEntry(const ShardEntry& entry) {
  if (entry.batch.ops.empty()) {
    return Status::InvalidArgument("a shard entry holds at least one op");
  }
  const wal::WalOp::Type type = entry.batch.ops.front().type;
  for (const wal::WalOp& op : entry.batch.ops) {
    if (op.type != type) {
      return Status::InvalidArgument("a shard entry holds ops of one type");
    }
  }
  wal::WalBatch batch;
  batch.ops = entry.batch.ops;  // seq and time 0
  std::string out(kEntryMagic);
  PutFixed64(&out, entry.fencing_token);
  out.push_back(static_cast<char>(type));
  PDB_ASSIGN_OR_RETURN(std::string body, Codec().Encode(batch));
  out += body;
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Result<ShardEntry> DecodeShardEntry(std::string_view bytes) {
  if (bytes.size() < kHeader + 4 || bytes.substr(0, 8) != kEntryMagic) {
    return Status::Corruption("shard entry: bad magic or too short");
  }
  const size_t n = bytes.size() - 4;
  if (crc32c::Unmask(DecodeFixed32(bytes.data() + n)) !=
      crc32c::Value(bytes.data(), n)) {
    return Status::Corruption("shard entry: checksum mismatch");
  }
  ShardEntry e;
  e.fencing_token = DecodeFixed64(bytes.data() + 8);
  const auto type = static_cast<wal::WalOp::Type>(bytes[16]);
  Status s = Codec().Decode(bytes.substr(kHeader, n - kHeader), &e.batch);
  if (!s.ok()) return Status::Corruption("shard entry: " + s.message());
  if (e.batch.ops.empty()) return Status::Corruption("shard entry: no op");
  for (const wal::WalOp& op : e.batch.ops) {
    if (op.type != type ||
        op.type == wal::WalOp::Type::kUpdateMetadataNoVector) {
      return Status::Corruption("shard entry: unexpected op type");
    }
  }
  return e;
}

}  // namespace proximadb::cluster
