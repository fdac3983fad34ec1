// Recovery: replays a collection's WAL files in sequence order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/wal/wal_batch.h"

namespace proximadb::wal {

struct WalReplayInfo {
  uint64_t last_seq = 0;  // highest seq in the log (including skipped ones)
  uint64_t records = 0;   // records passed to fn
  uint64_t files = 0;     // wal files read
  bool truncated_tail = false;
  std::string truncation_message;
};

// Reads every wal-*.log of `dir` in sequence order and calls fn for each
// record with seq > after_seq (earlier ones are covered by segments; the
// caller's apply must be idempotent anyway). Seqs must strictly increase.
//
// A torn tail of the LAST file, the signature of a crash mid-append, is cut
// off (TruncateFile + Sync, with a warning) and reported in info: an
// incomplete header; a record running past EOF; a final record whose payload
// CRC fails and that ends exactly at EOF; or only zero bytes from the bad
// record to EOF. Anything else that fails a check is kCorruption
// ("wal file <path>: bad record at offset <n>: <reason>") and the caller must
// refuse to open. A missing dir is an empty log. fn's errors are returned
// as they are.
Status ReplayWal(Env* env, const std::string& dir, WalFormat fmt,
                 uint64_t after_seq,
                 const std::function<Status(const WalBatch&)>& fn,
                 WalReplayInfo* info);

}  // namespace proximadb::wal
