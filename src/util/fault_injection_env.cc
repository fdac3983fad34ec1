#include "util/fault_injection_env.h"

#include <cerrno>
#include <cstring>

namespace proximadb {
namespace {

std::string InjectedError(const char* op, const std::string& path, int err) {
  std::string name = err == ENOSPC ? "ENOSPC" : err == EIO ? "EIO" : "errno";
  return std::string(op) + " " + path + ": " + std::strerror(err) + " (" +
         name + ", injected)";
}

}  // namespace

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string path,
                    std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    if (env_->InjectIo("write", path_)) {
      return FaultInjectionEnv::SteppedError("write", path_);
    }
    int err = 0;
    bool partial = false;
    if (env_->ShouldFailAppend(&err, &partial)) {
      if (partial && data.size() > 1) {
        (void)base_->Append(data.substr(0, data.size() / 2));
      }
      return Status::IOError(InjectedError("write", path_, err));
    }
    return base_->Append(data);
  }

  Status Sync() override {
    if (env_->InjectIo("fdatasync", path_)) {
      return FaultInjectionEnv::SteppedError("fdatasync", path_);
    }
    if (env_->ShouldFailSync()) {
      return Status::IOError(InjectedError("fdatasync", path_, EIO));
    }
    PDB_RETURN_IF_ERROR(base_->Sync());
    env_->RecordSync(path_, base_->Size());
    return Status::OK();
  }

  Status Close() override {
    if (env_->InjectIo("close", path_)) {
      (void)base_->Close();  // the descriptor is released either way
      return FaultInjectionEnv::SteppedError("close", path_);
    }
    return base_->Close();
  }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
};

Status FaultInjectionEnv::SteppedError(const char* op,
                                       const std::string& path) {
  return Status::IOError(InjectedError(op, path, EIO));
}

void FaultInjectionEnv::FailIoCall(uint64_t n, bool sticky) {
  MutexLock l(&mu_);
  io_calls_.store(0);
  fail_io_call_ = n;
  fail_io_sticky_ = sticky;
  injected_call_.clear();
}

bool FaultInjectionEnv::InjectIo(const char* op, const std::string& path) {
  const uint64_t n = io_calls_.fetch_add(1) + 1;
  MutexLock l(&mu_);
  if (fail_io_call_ == 0) return false;
  if (n == fail_io_call_) {
    injected_call_ = std::string(op) + " " + path;
    return true;
  }
  return fail_io_sticky_ && n > fail_io_call_;
}

std::string FaultInjectionEnv::injected_call() const {
  MutexLock l(&mu_);
  return injected_call_;
}

bool FaultInjectionEnv::Take(int* remaining) {
  if (*remaining == 0) return false;
  if (*remaining > 0) --*remaining;
  return true;
}

void FaultInjectionEnv::FailAppends(int errno_value, int count) {
  MutexLock l(&mu_);
  append_errno_ = errno_value;
  append_failures_ = count;
}

void FaultInjectionEnv::SetPartialAppend(bool partial) {
  MutexLock l(&mu_);
  partial_append_ = partial;
}

void FaultInjectionEnv::FailSyncs(int count) {
  MutexLock l(&mu_);
  sync_failures_ = count;
}

void FaultInjectionEnv::FailRenames(int count) {
  MutexLock l(&mu_);
  rename_failures_ = count;
}

void FaultInjectionEnv::ClearFaults() {
  MutexLock l(&mu_);
  append_failures_ = sync_failures_ = rename_failures_ = 0;
  partial_append_ = false;
  fail_io_call_ = 0;
  fail_io_sticky_ = false;
}

bool FaultInjectionEnv::ShouldFailAppend(int* err, bool* partial) {
  MutexLock l(&mu_);
  if (!Take(&append_failures_)) return false;
  *err = append_errno_;
  *partial = partial_append_;
  return true;
}

bool FaultInjectionEnv::ShouldFailSync() {
  MutexLock l(&mu_);
  return Take(&sync_failures_);
}

void FaultInjectionEnv::RecordSync(const std::string& path, uint64_t size) {
  sync_count_.fetch_add(1);
  MutexLock l(&mu_);
  synced_size_[path] = size;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::Wrap(
    const std::string& path, Result<std::unique_ptr<WritableFile>> base) {
  if (!base.ok()) return base.status();
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultWritableFile>(this, path, std::move(base).value()));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  if (InjectIo("create", path)) return SteppedError("create", path);
  auto file = Wrap(path, target()->NewWritableFile(path));
  if (file.ok()) {
    MutexLock l(&mu_);
    synced_size_[path] = 0;  // O_TRUNC: nothing of it is durable yet
  }
  return file;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  if (InjectIo("open-append", path)) return SteppedError("open-append", path);
  auto file = Wrap(path, target()->NewAppendableFile(path));
  if (file.ok()) {
    MutexLock l(&mu_);
    // Bytes that predate this env are assumed durable.
    synced_size_.try_emplace(path, (*file)->Size());
  }
  return file;
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (InjectIo("unlink", path)) return SteppedError("unlink", path);
  PDB_RETURN_IF_ERROR(target()->RemoveFile(path));
  MutexLock l(&mu_);
  synced_size_.erase(path);
  return Status::OK();
}

Status FaultInjectionEnv::RemoveDirRecursively(const std::string& dir) {
  if (InjectIo("rmdir", dir)) return SteppedError("rmdir", dir);
  PDB_RETURN_IF_ERROR(target()->RemoveDirRecursively(dir));
  MutexLock l(&mu_);
  const std::string prefix = dir + "/";
  std::erase_if(synced_size_, [&](const auto& kv) {
    return kv.first.compare(0, prefix.size(), prefix) == 0;
  });
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& from,
                                     const std::string& to) {
  if (InjectIo("rename", from)) return SteppedError("rename", from);
  {
    MutexLock l(&mu_);
    if (Take(&rename_failures_)) {
      return Status::IOError(InjectedError("rename", from, EIO));
    }
  }
  PDB_RETURN_IF_ERROR(target()->RenameFile(from, to));
  MutexLock l(&mu_);
  // A renamed directory takes the files below it along.
  const std::string prefix = from + "/";
  std::map<std::string, uint64_t> moved;
  std::erase_if(synced_size_, [&](const auto& kv) {
    if (kv.first.compare(0, prefix.size(), prefix) != 0) return false;
    moved[to + kv.first.substr(from.size())] = kv.second;
    return true;
  });
  synced_size_.merge(moved);
  auto it = synced_size_.find(from);
  if (it == synced_size_.end()) {
    synced_size_.erase(to);
  } else {
    synced_size_[to] = it->second;
    synced_size_.erase(from);
  }
  return Status::OK();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  if (InjectIo("truncate", path)) return SteppedError("truncate", path);
  PDB_RETURN_IF_ERROR(target()->TruncateFile(path, size));
  MutexLock l(&mu_);
  auto it = synced_size_.find(path);
  if (it != synced_size_.end() && it->second > size) it->second = size;
  return Status::OK();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::map<std::string, uint64_t> snapshot;
  {
    MutexLock l(&mu_);
    snapshot = synced_size_;
  }
  for (const auto& [path, synced] : snapshot) {
    if (!target()->FileExists(path)) continue;
    PDB_ASSIGN_OR_RETURN(uint64_t size, target()->GetFileSize(path));
    if (size > synced)
      PDB_RETURN_IF_ERROR(target()->TruncateFile(path, synced));
  }
  return Status::OK();
}

}  // namespace proximadb
