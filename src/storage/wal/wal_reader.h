// Recovery: replays a collection's WAL files in sequence order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/wal/wal_batch.h"

namespace proximadb::wal {

// The end of the last WAL file that failed a check in the way a crash
// mid-append leaves it: bytes [offset, file_size) of `path`.
struct TornTail {
  std::string path;
  uint64_t offset = 0;
  uint64_t file_size = 0;
  std::string why;
  std::string Describe() const;  // "wal file <path>: torn tail at offset..."
};

struct WalReplayInfo {
  uint64_t last_seq = 0;  // highest seq in the log (including skipped ones)
  uint64_t records = 0;   // records passed to fn
  uint64_t files = 0;     // wal files read
  bool truncated_tail = false;  // the torn tail was cut off
  std::string truncation_message;
  std::optional<TornTail> torn;  // set when the last file has a torn tail
};

struct WalReplayOptions {
  WalFormat format = WalFormat::kNative;
  // Records with seq <= after_seq (covered by segments) are checked but not
  // passed to fn.
  uint64_t after_seq = 0;
  // Every sequence number after `after_seq` must be there, from the first
  // to the last record of the log: wal-<after_seq + 1>.log must exist, each
  // file from it on must start with the record its name says, hold
  // consecutive sequence numbers, and end one before the next file's name.
  // A missing file, a file that ends early or a gap is kCorruption naming
  // the files and the missing range. (Only the end of the last file cannot
  // be checked: see docs/RELIABILITY.md.)
  bool require_continuity = false;
  // Cut a torn tail off now, or only report it in info->torn and leave the
  // file as it is (the caller cuts it with CutTornTail once it decided to).
  bool cut_torn_tail = true;
};

// Reads the wal-*.log files of `dir` in sequence order and calls fn for each
// record with seq > options.after_seq (earlier ones are covered by segments;
// the caller's apply must be idempotent anyway). Seqs must strictly increase.
// A file whose records all are <= after_seq (the next file starts at or
// before after_seq + 1) is not read at all.
//
// A torn tail of the LAST file, the signature of a crash mid-append, is
// reported in info->torn (and cut off when options.cut_torn_tail): an
// incomplete header; a record running past EOF; a final record whose payload
// CRC fails and that ends exactly at EOF; or only zero bytes from the bad
// record to EOF. Anything else that fails a check is kCorruption
// ("wal file <path>: bad record at offset <n>: <reason>") and the caller must
// refuse to open. A missing dir is an empty log (kCorruption instead with
// require_continuity). fn's errors are returned as they are.
Status ReplayWal(Env* env, const std::string& dir,
                 const WalReplayOptions& options,
                 const std::function<Status(const WalBatch&)>& fn,
                 WalReplayInfo* info);

// The same with require_continuity off and the torn tail cut.
Status ReplayWal(Env* env, const std::string& dir, WalFormat fmt,
                 uint64_t after_seq,
                 const std::function<Status(const WalBatch&)>& fn,
                 WalReplayInfo* info);

// One WAL file read up to the first record `keep` refuses (ScanWalFile).
struct WalFilePrefix {
  uint64_t bytes = 0;     // the file's header and the records kept
  uint64_t records = 0;   // records kept
  uint64_t last_seq = 0;  // of the last kept record (0: none)
  uint64_t last_time_micros = 0;
  bool whole = false;  // every record was kept (and the file ends cleanly)
};

// Reads one WAL file whose name says its first sequence `first_seq`,
// checking every record (checksums, order, consecutive sequences from
// first_seq) and calling keep(seq, time) for each until it returns false.
// Records before the one refused are the prefix. A torn or damaged record
// is kCorruption. Used to archive sealed files and to cut an archived file
// at a point in time (docs/OPERATIONS.md, "Point-in-time restore").
Result<WalFilePrefix> ScanWalFile(
    Env* env, const std::string& path, WalFormat fmt, uint64_t first_seq,
    const std::function<bool(uint64_t seq, uint64_t time_micros)>& keep);

// Truncates `path` to `size` bytes and fsyncs it.
Status TruncateDurably(Env* env, const std::string& path, uint64_t size);

// Cuts the torn tail off (TruncateDurably), logging a warning.
Status CutTornTail(Env* env, const TornTail& tail);

}  // namespace proximadb::wal
