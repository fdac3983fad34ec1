// NewMemEnv(): files as shared, reference-counted buffers in a map, so an
// open WritableFile keeps writing to the same "inode" after a rename or
// unlink, as on POSIX. Paths are absolute ("/" always exists). Directories are
// tracked explicitly so that creating a file in a missing directory fails like
// it would on disk.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "proximadb/env.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {
namespace {

struct MemFile {
  mutable Mutex mu;
  std::string data GUARDED_BY(mu);
};

std::string Normalize(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class MemWritableFile final : public WritableFile {
 public:
  explicit MemWritableFile(std::shared_ptr<MemFile> f) : f_(std::move(f)) {}
  Status Append(std::string_view data) override {
    MutexLock l(&f_->mu);
    f_->data.append(data);
    return Status::OK();
  }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override {
    MutexLock l(&f_->mu);
    return f_->data.size();
  }

 private:
  std::shared_ptr<MemFile> f_;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<MemFile> f) : f_(std::move(f)) {}
  Status Read(uint64_t offset, size_t n, char* scratch,
              std::string_view* out) const override {
    MutexLock l(&f_->mu);
    if (offset >= f_->data.size()) {
      *out = std::string_view(scratch, 0);
      return Status::OK();
    }
    size_t len = std::min<uint64_t>(n, f_->data.size() - offset);
    std::memcpy(scratch, f_->data.data() + offset, len);
    *out = std::string_view(scratch, len);
    return Status::OK();
  }
  uint64_t Size() const override {
    MutexLock l(&f_->mu);
    return f_->data.size();
  }

 private:
  std::shared_ptr<MemFile> f_;
};

// A snapshot: later writes to the file are not visible through the mapping
// (unlike a MAP_SHARED mmap), which is fine for the immutable files we map.
class MemMappedFile final : public MappedFile {
 public:
  explicit MemMappedFile(std::string data) : data_(std::move(data)) {}
  const char* data() const override { return data_.data(); }
  uint64_t size() const override { return data_.size(); }

 private:
  const std::string data_;
};

class MemEnv final : public Env {
 public:
  MemEnv() { dirs_.insert("/"); }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return OpenForWrite(Normalize(path), /*truncate=*/true);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return OpenForWrite(Normalize(path), /*truncate=*/false);
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(auto f, Find(Normalize(path)));
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<MemRandomAccessFile>(std::move(f)));
  }

  Result<std::unique_ptr<MappedFile>> MapFile(
      const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(auto f, Find(Normalize(path)));
    MutexLock l(&f->mu);
    return std::unique_ptr<MappedFile>(
        std::make_unique<MemMappedFile>(f->data));
  }

  bool FileExists(const std::string& path) override {
    std::string p = Normalize(path);
    MutexLock l(&mu_);
    return files_.count(p) > 0 || dirs_.count(p) > 0;
  }

  bool IsDirectory(const std::string& path) override {
    MutexLock l(&mu_);
    return dirs_.count(Normalize(path)) > 0;
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(auto f, Find(Normalize(path)));
    MutexLock l(&f->mu);
    return static_cast<uint64_t>(f->data.size());
  }

  Result<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    std::string d = Normalize(dir);
    MutexLock l(&mu_);
    if (dirs_.count(d) == 0) return Status::NotFound("opendir " + d);
    std::vector<std::string> names;
    auto add = [&](const std::string& p) {
      if (p != d && Parent(p) == d) {
        names.push_back(p.substr(p.find_last_of('/') + 1));
      }
    };
    for (const auto& [p, f] : files_) add(p);
    for (const auto& p : dirs_) add(p);
    return names;
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    std::string d = Normalize(dir);
    MutexLock l(&mu_);
    for (std::string p = d; !p.empty() && dirs_.count(p) == 0; p = Parent(p)) {
      if (files_.count(p) > 0) {
        return Status::IOError("mkdir " + p +
                               ": exists and is not a directory");
      }
      dirs_.insert(p);
    }
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    MutexLock l(&mu_);
    if (files_.erase(Normalize(path)) == 0) {
      return Status::NotFound("unlink " + path + ": no such file");
    }
    return Status::OK();
  }

  Status RemoveDirRecursively(const std::string& dir) override {
    std::string d = Normalize(dir);
    std::string prefix = d == "/" ? d : d + "/";
    MutexLock l(&mu_);
    auto under = [&](const std::string& p) {
      return p == d || p.compare(0, prefix.size(), prefix) == 0;
    };
    std::erase_if(files_, [&](const auto& kv) { return under(kv.first); });
    std::erase_if(dirs_, [&](const auto& p) { return under(p); });
    dirs_.insert("/");
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    std::string f = Normalize(from), t = Normalize(to);
    MutexLock l(&mu_);
    if (dirs_.count(Parent(t)) == 0) {
      return Status::NotFound("rename " + f + " -> " + t + ": no such dir");
    }
    if (dirs_.count(f) > 0) return RenameDirLocked(f, t);
    auto it = files_.find(f);
    if (it == files_.end()) return Status::NotFound("rename " + f);
    auto file = it->second;
    files_.erase(it);
    files_[t] = std::move(file);
    return Status::OK();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    PDB_ASSIGN_OR_RETURN(auto f, Find(Normalize(path)));
    MutexLock l(&f->mu);
    f->data.resize(size, '\0');
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    MutexLock l(&mu_);
    if (dirs_.count(Normalize(dir)) == 0)
      return Status::NotFound("fsync " + dir);
    return Status::OK();
  }

 private:
  Result<std::shared_ptr<MemFile>> Find(const std::string& path) {
    MutexLock l(&mu_);
    auto it = files_.find(path);
    if (it == files_.end()) {
      return Status::NotFound("open " + path + ": no such file");
    }
    return it->second;
  }

  // rename(2) of a directory: `to` must not exist; everything below moves.
  Status RenameDirLocked(const std::string& from, const std::string& to)
      REQUIRES(mu_) {
    if (dirs_.count(to) > 0 || files_.count(to) > 0) {
      return Status::IOError("rename " + from + " -> " + to + ": exists");
    }
    const std::string prefix = from + "/";
    if (to.compare(0, prefix.size(), prefix) == 0) {
      return Status::InvalidArgument("rename " + from + " into itself");
    }
    auto moved = [&](const std::string& p) {
      return p == from ? to : to + p.substr(from.size());
    };
    auto under = [&](const std::string& p) {
      return p == from || p.compare(0, prefix.size(), prefix) == 0;
    };
    std::map<std::string, std::shared_ptr<MemFile>> files;
    for (auto& [p, f] : files_) files[under(p) ? moved(p) : p] = f;
    std::set<std::string> dirs;
    for (const auto& p : dirs_) dirs.insert(under(p) ? moved(p) : p);
    files_ = std::move(files);
    dirs_ = std::move(dirs);
    return Status::OK();
  }

  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool truncate) {
    MutexLock l(&mu_);
    if (dirs_.count(Parent(path)) == 0) {
      return Status::NotFound("open " + path + ": no such directory");
    }
    if (dirs_.count(path) > 0) {
      return Status::IOError("open " + path + ": is a directory");
    }
    auto& f = files_[path];
    if (f == nullptr) {
      f = std::make_shared<MemFile>();
    } else if (truncate) {
      // O_TRUNC keeps the inode: handles already open see the truncation.
      MutexLock fl(&f->mu);
      f->data.clear();
    }
    return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(f));
  }

  Mutex mu_;
  std::map<std::string, std::shared_ptr<MemFile>> files_ GUARDED_BY(mu_);
  std::set<std::string> dirs_ GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

}  // namespace proximadb
