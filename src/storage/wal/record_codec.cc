#include "storage/wal/record_codec.h"

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

}  // namespace proximadb::wal
