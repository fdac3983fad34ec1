// WalCursor reads a live collection's WAL in sequence order from a given
// sequence number, for the change feed: it follows the files while the
// writer appends, rotates and (after flushes) removes them.
//
// It never reads past a bound the caller passes, which must be the writer's
// durable last sequence (WalWriter::last_seq()): every record up to it is
// synced and can no longer change, while bytes after it may belong to an
// append in flight or be cut off again (WalWriter::UndoAppend). Files are
// read with pread, never mapped, so a concurrent truncation of the current
// file cannot fault the reader. A file removed after the cursor opened it
// stays readable through its descriptor.
//
// Not thread-safe: one cursor per reader.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/wal/record_codec.h"
#include "storage/wal/wal_batch.h"

namespace proximadb::wal {

class WalCursor {
 public:
  // Positions at `next_seq` (>= 1); nothing is read until Read.
  WalCursor(Env* env, std::string dir, WalFormat format, uint64_t next_seq);
  WalCursor(const WalCursor&) = delete;
  WalCursor& operator=(const WalCursor&) = delete;

  // Calls fn for the records with seq in [next_seq(), upto], in order,
  // until fn returns false or `max_records` were delivered; next_seq()
  // moves past each delivered record. Returns the number delivered.
  // kOutOfRange when next_seq() is older than the oldest file on disk (the
  // message names the oldest sequence still there); kCorruption for a
  // record that fails its checks or a gap between files.
  Result<uint64_t> Read(uint64_t upto, uint64_t max_records,
                        const std::function<bool(const WalBatch&)>& fn);

  uint64_t next_seq() const { return next_seq_; }

 private:
  // Opens the file holding next_seq_ (the newest whose first <= it).
  Status OpenFileFor();
  // Switches to wal-<next_seq_>.log when the current file ends; false
  // when there is none (yet).
  Result<bool> NextFile();
  Status Corrupt(const std::string& why) const;
  // The wal-*.log files' first sequences, sorted.
  Result<std::vector<uint64_t>> ListFiles() const;
  // kOutOfRange for next_seq_, naming the oldest of `firsts`.
  Status TooOld(const std::vector<uint64_t>& firsts) const;
  // kOutOfRange when every file left starts after next_seq_.
  Status CheckRetained() const;

  Env* const env_;
  const std::string dir_;
  const WalFormat format_;
  const std::unique_ptr<RecordCodec> codec_;
  uint64_t next_seq_;
  std::unique_ptr<RandomAccessFile> file_;
  std::string path_;
  uint64_t offset_ = 0;  // of the next record in file_
  std::string buf_;
};

}  // namespace proximadb::wal
