// One entry of a shard's log (cluster mode, docs/CLUSTER.md; FORMATS.md
// "Shard log entry"): one client write (an upsert batch, a delete batch or
// a metadata update logged as the whole resulting point), stamped with the
// fencing token of the primary that published it.
//
//   magic "PDBSHRD1" (8) | fencing token u64 LE | kind u8 |
//   native WAL record payload of the batch (storage/wal/record_codec.h,
//   sequence 0) | CRC32C (masked) of every byte before it, u32 LE
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/status.h"
#include "storage/wal/wal_batch.h"

namespace proximadb::cluster {

struct ShardEntry {
  // The create revision of the primary's election key (election.h): it
  // grows from one primary to the next; replicas skip an entry whose token
  // is lower than one they already applied.
  uint64_t fencing_token = 0;
  // Every op of one type: kUpsert, kDelete or kUpdateMetadata (the whole
  // point). batch.seq and batch.time are not stored: the log's sequence
  // and time are the entry's.
  wal::WalBatch batch;
};

// kInvalidArgument for an empty batch or one mixing op types.
Result<std::string> EncodeShardEntry(const ShardEntry& entry);
// kCorruption for anything malformed (bad magic, checksum, codec).
Result<ShardEntry> DecodeShardEntry(std::string_view bytes);

}  // namespace proximadb::cluster
