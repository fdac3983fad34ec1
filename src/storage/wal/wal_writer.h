// WalWriter appends WalBatches to a collection's WAL with group commit: every
// writer queued while a sync is in flight shares the next one (LevelDB's
// leader/follower scheme). A write is acknowledged only once durable.
//
// Thread-safe. Writes, Rotate and Close are serialised through one queue;
// only the thread at its front touches the current file.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/wal/record_codec.h"
#include "storage/wal/wal_batch.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::wal {

// How long WAL files stay after a flush made them redundant, for the change
// feed and point-in-time restore. A sealed file whose records are all at or
// below the fence is kept while it is younger than max_age_micros (by the
// time of its last record) and it, with every newer kept file, fits in
// max_bytes; older files go first. Either limit 0: nothing is kept.
struct WalRetention {
  uint64_t max_age_micros = 0;
  uint64_t max_bytes = 0;
  bool enabled() const { return max_age_micros > 0 && max_bytes > 0; }
};

struct WalWriterOptions {
  // The clock records are stamped with (microseconds since the Unix
  // epoch); empty: the system clock.
  std::function<uint64_t()> now_micros;
  // The time of the last record already in the log (from replay): times
  // never go back, even if the clock does.
  uint64_t last_time_micros = 0;
  // Files already in the log are aged by their modification time (the
  // time of their last append), or from Open when the Env has none.
  WalRetention retention;
  // Whether sealed files are held for the WAL archive from the start: no
  // file is removed until SetArchiveFloor says what was archived.
  bool hold_for_archive = false;
};

// A sealed WAL file: every record of it is durable and it never changes.
struct SealedWalFile {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string path;
};

// No archive floor: files are removed by fence and retention alone.
inline constexpr uint64_t kNoArchiveFloor = ~uint64_t{0};

class WalWriter {
 public:
  using ApplyFn = std::function<void(const WalBatch&)>;

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  ~WalWriter();  // Close()s, ignoring errors

  // Creates (or reuses when it holds no records) wal-<next_seq>.log in `dir`
  // (created if missing) and fsyncs the dir. next_seq is one past the last
  // sequence number of the log (from ReplayWal) or of the fence, whichever is
  // larger. Fails with kFailedPrecondition if that file already has records.
  static Result<std::unique_ptr<WalWriter>> Open(Env* env, std::string dir,
                                                 WalFormat fmt,
                                                 uint64_t next_seq,
                                                 WalWriterOptions options = {});

  // Assigns batch->seq and batch->time_unix_micros (the clock's time, or
  // the previous record's if the clock went back), appends the record (type
  // kTimedBatch) and returns once it is durable.
  // After the group's sync succeeds the leader calls every grouped writer's
  // `apply` in sequence order before any of them returns, so in-memory state
  // changes in WAL order. On failure nothing of the group is acknowledged,
  // `apply` is not called and batch->seq is reset to 0. A failed append is
  // undone (the file is truncated back) and later writes may succeed; a
  // failed sync makes the writer read-only for good (the page cache state is
  // unknown after an fsync error).
  Status Write(WalBatch* batch, const ApplyFn& apply);

  // Waits for the in-flight group, calls at_switch(last_seq) with no write in
  // progress, and continues in a fresh wal-<last_seq+1>.log (unless the
  // current file has no records yet). The new file is created before
  // at_switch runs, so a failed Rotate has no effect.
  Status Rotate(const std::function<void(uint64_t last_seq)>& at_switch);

  // Deletes the WAL files (never the current one) whose records all have
  // seq <= fence_seq and that the retention does not keep, oldest first,
  // then fsyncs the dir.
  Status RemoveObsoleteFiles(uint64_t fence_seq);

  // The WAL archive (collection_archive.cc) has every record <= `seq`:
  // RemoveObsoleteFiles keeps the files holding later ones whatever the
  // fence and the retention say. kNoArchiveFloor: no archive.
  void SetArchiveFloor(uint64_t seq) { archive_floor_.store(seq); }
  // The sealed files (not the current one), oldest first.
  std::vector<SealedWalFile> SealedFiles();
  // Whether the current file holds records (a Rotate would seal it).
  bool current_file_has_records() const {
    return last_seq_.load() >= file_first_seq_.load();
  }

  // The last durable (acknowledged) sequence number.
  uint64_t last_seq() const { return last_seq_.load(); }
  // The time of record last_seq() (0 when unknown: no record since Open and
  // none replayed). Consistent with last_seq() inside Rotate's at_switch.
  uint64_t last_time_micros() const { return last_time_pub_.load(); }
  // Waits until last_seq() > seq or `timeout_ms` passes or the writer is
  // closed; returns last_seq(). For readers following the log.
  uint64_t WaitForSeqAfter(uint64_t seq, uint64_t timeout_ms);
  // The first sequence number the files on disk may hold: the first of the
  // oldest file (records before it were removed).
  uint64_t first_retained_seq();
  uint64_t live_bytes() const { return live_bytes_.load(); }  // all wal files
  // Bytes of the files holding records after `fence_seq`: what a replay
  // after a crash would read (the flush policy's WAL size counts these).
  uint64_t BytesAfter(uint64_t fence_seq);
  uint64_t sync_count() const { return sync_count_.load(); }

  // Waits for queued writes; later calls fail with kFailedPrecondition.
  Status Close();

 private:
  struct Waiter;

  WalWriter(Env* env, std::string dir, WalFormat fmt);

  // Blocks until `w` is at the front of the queue or done.
  void EnqueueLocked(Waiter* w) REQUIRES(mu_);
  // Pops the group from the queue, hands out `s`, wakes the next leader.
  void FinishLocked(Waiter* last, const Status& s) REQUIRES(mu_);
  Status CheckWritableLocked() const REQUIRES(mu_);

  // Front-of-queue only (no lock needed: the queue serialises them).
  // Appends the group's framed records (undoing a partial append) and
  // syncs; sets *poison when the writer must turn read-only.
  Status WriteGroup(const std::vector<std::string_view>& records,
                    Status* poison);
  Status UndoAppend();
  // Creates wal-<first_seq>.log with its header, durably, and makes it the
  // current file.
  Status StartFile(uint64_t first_seq);

  Env* const env_;
  const std::string dir_;
  const std::unique_ptr<RecordCodec> codec_;

  // Owned by the thread at the front of the queue.
  std::unique_ptr<WritableFile> file_;
  std::string file_path_;
  uint64_t good_size_ = 0;  // bytes of file_ holding acknowledged records

  Mutex mu_;
  std::deque<Waiter*> queue_ GUARDED_BY(mu_);
  Status poisoned_ GUARDED_BY(mu_);  // set after a failed fsync
  bool closed_ GUARDED_BY(mu_) = false;

  // Serialises RemoveObsoleteFiles and guards the table of sealed files.
  Mutex files_mu_;
  struct SealedFile {
    uint64_t size = 0;
    uint64_t last_time_micros = 0;
  };
  std::map<uint64_t, SealedFile> sealed_ GUARDED_BY(files_mu_);  // by first
  // The last sequence sealed file `it` holds: one before the next file's
  // first (the current file's, `current`, after the newest).
  uint64_t LastSeqLocked(std::map<uint64_t, SealedFile>::const_iterator it,
                         uint64_t current) const REQUIRES(files_mu_);
  WalRetention retention_;
  // Written by the front of the queue, read by RemoveObsoleteFiles.
  std::atomic<uint64_t> file_first_seq_{0};
  // Time of the current file's newest record (0: none yet).
  std::atomic<uint64_t> file_last_time_{0};
  // Readers waiting in WaitForSeqAfter.
  Mutex seq_mu_;
  CondVar seq_cv_;
  std::atomic<int> seq_waiters_{0};
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> last_time_pub_{0};  // of last_seq_
  std::atomic<uint64_t> archive_floor_{kNoArchiveFloor};
  std::function<uint64_t()> now_micros_;
  uint64_t last_time_ GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> live_bytes_{0};
  std::atomic<uint64_t> sync_count_{0};
};

}  // namespace proximadb::wal
