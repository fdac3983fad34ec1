// Env: every file and directory operation ProximaDB performs goes through this
// interface, so tests can swap in an in-memory file system or one that injects
// faults (EIO, ENOSPC, failed fsync, lost unsynced data).
//
// Thread-safety: Env implementations are safe for concurrent use. A single
// WritableFile / RandomAccessFile object is not; callers serialise its use
// (RandomAccessFile::Read and MappedFile are safe for concurrent readers).
//
// Exception: the SQLite catalog does its own I/O through SQLite's VFS (which
// fsyncs its journal itself); it therefore needs a real directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb {

class WritableFile {
 public:
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;
  virtual ~WritableFile() = default;

  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync on POSIX).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes in the file (including appended but unsynced data).
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;
  virtual ~RandomAccessFile() = default;

  // Reads up to n bytes at offset into scratch; *out is set to the bytes
  // read (may be shorter than n at the end of the file).
  virtual Status Read(uint64_t offset, size_t n, char* scratch,
                      std::string_view* out) const = 0;
  virtual uint64_t Size() const = 0;
};

// A read-only view of a whole file; on POSIX it is an mmap, so segment data is
// served zero-copy from the page cache.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  virtual ~MappedFile() = default;

  virtual const char* data() const = 0;
  virtual uint64_t size() const = 0;
};

// An exclusive lock on one file, held for as long as this object lives
// (Env::LockFile).
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The process-wide POSIX environment (never deleted).
  static Env* Default();

  // Creates or truncates `path` for writing.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens `path` for appending, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  virtual Result<std::unique_ptr<MappedFile>> MapFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Whether `path` exists and is a directory. The default asks GetChildren.
  virtual bool IsDirectory(const std::string& path) {
    return GetChildren(path).ok();
  }
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Bytes an unprivileged writer can still add to the file system holding
  // `dir` (statvfs f_bavail on POSIX). The default (in-memory envs) is
  // unlimited.
  virtual Result<uint64_t> GetFreeSpace(const std::string& dir) {
    (void)dir;
    return UINT64_MAX;
  }
  // When the file's contents last changed, in microseconds since the Unix
  // epoch (st_mtim on POSIX). The default (in-memory envs) is kNotFound:
  // callers treat the time as unknown.
  virtual Result<uint64_t> GetModificationTimeMicros(const std::string& path) {
    return Status::NotFound("no modification time for " + path);
  }
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(
      const std::string& dir) = 0;

  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Removes `dir` and everything below it.
  virtual Status RemoveDirRecursively(const std::string& dir) = 0;
  // Atomically replaces `to` with `from` (rename(2)); `from` may be a
  // directory (then `to` must not exist).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // fsyncs a directory so that creations, renames and removals in it are
  // durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on `path` (created if missing; its directory
  // must exist), held until the returned FileLock is destroyed.
  // kFailedPrecondition while another holder has it: another process, or
  // another FileLock of this process. POSIX: flock(2), which the kernel
  // releases however the process ends (the file stays empty). The default
  // (in-memory envs): a table in this process.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path);

  // Convenience: whole-file read.
  Result<std::string> ReadFileToString(const std::string& path);
  // Convenience: write to path.tmp, fsync, rename over path, fsync the dir.
  Status WriteFileAtomically(const std::string& path, std::string_view data);
};

// An Env whose files live in memory. Unsynced data is kept (there is no crash
// to simulate here: use FaultInjectionEnv for that).
std::unique_ptr<Env> NewMemEnv();

}  // namespace proximadb
