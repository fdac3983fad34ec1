// EnvWrapper: an Env that forwards every call to another one. Envs that
// change a few operations (fault injection, the background I/O budget)
// derive from it and override only those.
//
// Thread-safety: as the target's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proximadb/env.h"

namespace proximadb {

class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}

  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return target_->NewWritableFile(path);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return target_->NewAppendableFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return target_->NewRandomAccessFile(path);
  }
  Result<std::unique_ptr<MappedFile>> MapFile(
      const std::string& path) override {
    return target_->MapFile(path);
  }
  bool FileExists(const std::string& path) override {
    return target_->FileExists(path);
  }
  bool IsDirectory(const std::string& path) override {
    return target_->IsDirectory(path);
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return target_->GetFileSize(path);
  }
  Result<uint64_t> GetFreeSpace(const std::string& dir) override {
    return target_->GetFreeSpace(dir);
  }
  Result<uint64_t> GetModificationTimeMicros(const std::string& path) override {
    return target_->GetModificationTimeMicros(path);
  }
  Result<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    return target_->GetChildren(dir);
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    return target_->CreateDirIfMissing(dir);
  }
  Status RemoveFile(const std::string& path) override {
    return target_->RemoveFile(path);
  }
  Status RemoveDirRecursively(const std::string& dir) override {
    return target_->RemoveDirRecursively(dir);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return target_->TruncateFile(path, size);
  }
  Status SyncDir(const std::string& dir) override {
    return target_->SyncDir(dir);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_->LockFile(path);
  }

 private:
  Env* const target_;
};

}  // namespace proximadb
