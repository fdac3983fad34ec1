// FaultInjectionEnv wraps another Env and makes chosen operations fail, to
// test how storage code reacts to EIO, ENOSPC, failed fsyncs and power loss.
//
// It remembers, per file written through it, the size at its last successful
// Sync(); DropUnsyncedData() truncates each such file back to that size, which
// is what a crash would leave behind (it does not model lost directory
// entries: a file that was never synced keeps existing, with 0 bytes).
//
// Thread-safe. Call DropUnsyncedData() only after closing the files it
// affects (an open POSIX WritableFile would keep appending at its old offset).
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "proximadb/env.h"
#include "util/env_wrapper.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

// Reads, listings and locks are not fault points: EnvWrapper forwards them.
class FaultInjectionEnv final : public EnvWrapper {
 public:
  explicit FaultInjectionEnv(Env* base) : EnvWrapper(base) {}

  // The next `count` appends (-1: all of them) fail with `errno_value`
  // (EIO or ENOSPC) without writing, or after writing the first half of the
  // data when SetPartialAppend(true) (a torn write).
  void FailAppends(int errno_value, int count = -1);
  void SetPartialAppend(bool partial);
  // The next `count` WritableFile::Sync calls (-1: all) fail with EIO, having
  // made nothing durable. SyncDir is not affected.
  void FailSyncs(int count = -1);
  // The next `count` RenameFile calls (-1: all) fail with EIO.
  void FailRenames(int count = -1);
  void ClearFaults();

  // Fault stepping. Every mutating I/O call made through this env is
  // counted (creating, appending to, syncing, closing, renaming, truncating,
  // removing files; creating and syncing directories), and so is every call
  // other code reports through InjectIo (the catalog's SQLite VFS hook).
  // Call number `n` (1-based, counted from now) fails with EIO; with
  // `sticky`, every later call fails too, which is what a crash at call n
  // looks like to the disk: nothing after it lands. n = 0 disarms.
  void FailIoCall(uint64_t n, bool sticky);
  // Counts one I/O call named `op` on `path`; true when it must fail.
  bool InjectIo(const char* op, const std::string& path);
  // Calls counted since the last FailIoCall (or construction).
  uint64_t io_calls() const { return io_calls_.load(); }
  // "<op> <path>" of the first call that failed by stepping, or "".
  std::string injected_call() const;

  // Simulates power loss: every file written through this env is truncated
  // to the size it had at its last successful Sync.
  Status DropUnsyncedData();

  // Successful WritableFile::Sync calls made through this env.
  uint64_t sync_count() const { return sync_count_.load(); }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  // GetFreeSpace of any path starting with `dir_prefix` answers `bytes`
  // (a full disk, for placement tests); the others ask the base env.
  void SetFreeSpace(const std::string& dir_prefix, uint64_t bytes)
      EXCLUDES(free_mu_) {
    MutexLock lock(&free_mu_);
    free_space_.emplace_back(dir_prefix, bytes);
  }
  Result<uint64_t> GetFreeSpace(const std::string& dir) override
      EXCLUDES(free_mu_) {
    {
      MutexLock lock(&free_mu_);
      for (auto it = free_space_.rbegin(); it != free_space_.rend(); ++it) {
        if (dir.compare(0, it->first.size(), it->first) == 0) {
          return it->second;
        }
      }
    }
    return target()->GetFreeSpace(dir);
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    if (InjectIo("mkdir", dir)) return SteppedError("mkdir", dir);
    return target()->CreateDirIfMissing(dir);
  }
  Status RemoveFile(const std::string& path) override;
  Status RemoveDirRecursively(const std::string& dir) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override {
    if (InjectIo("fsync-dir", dir)) return SteppedError("fsync-dir", dir);
    return target()->SyncDir(dir);
  }

 private:
  friend class FaultWritableFile;

  // Consumes one unit of an armed fault; returns true when the call fails.
  static bool Take(int* remaining);
  static Status SteppedError(const char* op, const std::string& path);
  bool ShouldFailAppend(int* err, bool* partial);
  bool ShouldFailSync();
  void RecordSync(const std::string& path, uint64_t size);
  Result<std::unique_ptr<WritableFile>> Wrap(
      const std::string& path, Result<std::unique_ptr<WritableFile>> base);

  std::atomic<uint64_t> sync_count_{0};

  Mutex free_mu_;
  std::vector<std::pair<std::string, uint64_t>> free_space_
      GUARDED_BY(free_mu_);
  mutable Mutex mu_;
  int append_failures_ GUARDED_BY(mu_) = 0;  // remaining; -1 forever
  int append_errno_ GUARDED_BY(mu_) = 0;
  bool partial_append_ GUARDED_BY(mu_) = false;
  int sync_failures_ GUARDED_BY(mu_) = 0;
  int rename_failures_ GUARDED_BY(mu_) = 0;
  // path -> durable bytes
  std::map<std::string, uint64_t> synced_size_ GUARDED_BY(mu_);
  std::atomic<uint64_t> io_calls_{0};
  uint64_t fail_io_call_ = 0;  // 0: none
  bool fail_io_sticky_ = false;
  std::string injected_call_;
};

}  // namespace proximadb
