// RecordCodec turns a WalBatch into a record payload and back, in one of the
// per-collection WalFormats. Decode never trusts lengths in its input: any
// malformed payload is kCorruption, never a crash or a huge allocation.
//
// Encoding is split in two so that group commit can encode a batch before its
// sequence number is known (in the writer's own thread, outside the WAL
// lock) and stamp the sequence in afterwards:
//   Encode(b) == AppendSeqPrefix(b.seq) + EncodeBody(b)
// Both codecs lay the payload out with the sequence number first, so this is
// exact, not an approximation.
//
// Thread-safe: one codec may be used by many threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/wal/wal_batch.h"

namespace proximadb::wal {

// The longest AppendSeqPrefix of any codec: native is a version byte plus a
// varint64 (1 + 10), Avro a zigzag varint64 (10).
inline constexpr size_t kMaxSeqPrefixSize = 11;

class RecordCodec {
 public:
  RecordCodec() = default;
  RecordCodec(const RecordCodec&) = delete;
  RecordCodec& operator=(const RecordCodec&) = delete;
  virtual ~RecordCodec() = default;

  virtual WalFormat format() const = 0;

  // Appends everything of the payload after the sequence number to *out
  // (appends, so the WAL writer can encode straight into a buffer that
  // already has room for the record header in front). Fails only when a
  // third-party encoder does (kInternal); *out's contents are then
  // unspecified.
  virtual Status EncodeBody(const WalBatch& batch, std::string* out) const = 0;
  // Appends the payload bytes that precede the body for sequence `seq`: at
  // most kMaxSeqPrefixSize of them.
  virtual void AppendSeqPrefix(uint64_t seq, std::string* dst) const = 0;
  virtual Status Decode(std::string_view payload, WalBatch* out) const = 0;

  Result<std::string> Encode(const WalBatch& batch) const {
    std::string body;
    PDB_RETURN_IF_ERROR(EncodeBody(batch, &body));
    std::string out;
    AppendSeqPrefix(batch.seq, &out);
    out += body;
    return out;
  }
};

std::unique_ptr<RecordCodec> NewRecordCodec(WalFormat format);

// Decodes the payload of a WAL record of `type` (wal_format.h RecordType:
// a kTimedBatch payload starts with the batch's time) into *out. Checks the
// payload's sequence against `seq` from the record header. kCorruption
// (with the reason only; callers add where) for anything malformed.
Status DecodeRecordPayload(const RecordCodec& codec, uint8_t type, uint64_t seq,
                           std::string_view payload, WalBatch* out);

// Implementations (native_codec.cc, avro_codec.cc).
std::unique_ptr<RecordCodec> NewNativeCodec();
std::unique_ptr<RecordCodec> NewAvroCodec();

}  // namespace proximadb::wal
