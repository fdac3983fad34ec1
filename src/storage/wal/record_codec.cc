#include "storage/wal/record_codec.h"

#include <string>

#include "storage/wal/wal_format.h"
#include "util/coding.h"

namespace proximadb::wal {

std::unique_ptr<RecordCodec> NewRecordCodec(WalFormat format) {
  switch (format) {
    case WalFormat::kNative:
      return NewNativeCodec();
    case WalFormat::kAvro:
      return NewAvroCodec();
  }
  return NewNativeCodec();  // unreachable for valid enum values
}

Status DecodeRecordPayload(const RecordCodec& codec, uint8_t type, uint64_t seq,
                           std::string_view payload, WalBatch* out) {
  uint64_t time = 0;
  if (type == static_cast<uint8_t>(RecordType::kTimedBatch)) {
    if (payload.size() < kRecordTimeSize) {
      return Status::Corruption("timed record shorter than its time");
    }
    time = DecodeFixed64(payload.data());
    payload.remove_prefix(kRecordTimeSize);
  } else if (type != static_cast<uint8_t>(RecordType::kBatch)) {
    return Status::Corruption("unknown record type " + std::to_string(type));
  }
  PDB_RETURN_IF_ERROR(codec.Decode(payload, out));
  out->time_unix_micros = time;
  if (out->seq != seq) {
    return Status::Corruption("payload and header seq differ");
  }
  return Status::OK();
}

}  // namespace proximadb::wal
