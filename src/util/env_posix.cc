// Env::Default(): the POSIX file system. Appends use pwrite at a tracked
// offset (never O_APPEND, whose pwrite semantics differ on Linux), syncs use
// fdatasync, reads use pread or a read-only mmap. Every syscall is retried on
// EINTR and every failure names the path and errno.
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "proximadb/env.h"

namespace proximadb {
namespace {

std::string ErrnoName(int err) {
  switch (err) {
    case ENOSPC:
      return "ENOSPC";
    case EIO:
      return "EIO";
    case EDQUOT:
      return "EDQUOT";
    case EACCES:
      return "EACCES";
    case EROFS:
      return "EROFS";
    case EMFILE:
      return "EMFILE";
    default:
      return "errno " + std::to_string(err);
  }
}

// "write /data/c/wal-1.log: No space left on device (ENOSPC)". A missing file
// is kNotFound so callers can tell "absent" from "broken".
Status PosixError(const char* op, const std::string& path, int err) {
  std::string msg = std::string(op) + " " + path + ": " + std::strerror(err) +
                    " (" + ErrnoName(err) + ")";
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

template <typename F>
auto RetryOnEintr(F f) {
  decltype(f()) r;
  do {
    r = f();
  } while (r == -1 && errno == EINTR);
  return r;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::FailedPrecondition("append to closed " + path_);
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = RetryOnEintr([&] { return ::pwrite(fd_, p, left, size_); });
      if (n < 0) return PosixError("write", path_, errno);
      // Short writes advance the offset so size_ matches the file exactly.
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::FailedPrecondition("sync of closed " + path_);
    if (RetryOnEintr([&] { return ::fdatasync(fd_); }) != 0) {
      return PosixError("fdatasync", path_, errno);
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    // close() is never retried: on Linux the fd is released even on EINTR.
    int r = ::close(fd_);
    fd_ = -1;
    if (r != 0 && errno != EINTR) return PosixError("close", path_, errno);
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, char* scratch,
              std::string_view* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = RetryOnEintr([&] {
        return ::pread(fd_, scratch + done, n - done, offset + done);
      });
      if (r < 0) return PosixError("read", path_, errno);
      if (r == 0) break;  // end of file
      done += static_cast<size_t>(r);
    }
    *out = std::string_view(scratch, done);
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  const int fd_;
  const uint64_t size_;
};

class PosixMappedFile final : public MappedFile {
 public:
  PosixMappedFile(void* base, uint64_t size) : base_(base), size_(size) {}
  ~PosixMappedFile() override {
    if (size_ > 0) ::munmap(base_, size_);
  }
  // mmap of length 0 is an error, so an empty file maps to a static empty
  // buffer: callers never need a special case.
  const char* data() const override {
    return size_ > 0 ? static_cast<const char*>(base_) : "";
  }
  uint64_t size() const override { return size_; }

 private:
  void* const base_;
  const uint64_t size_;
};

Result<int> OpenFd(const std::string& path, int flags, mode_t mode = 0644) {
  int fd = RetryOnEintr([&] { return ::open(path.c_str(), flags, mode); });
  if (fd < 0) return PosixError("open", path, errno);
  return fd;
}

Result<uint64_t> FdSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return PosixError("fstat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  return type == FTW_DP ? ::rmdir(path) : ::unlink(path);
}

// Closing the descriptor releases the flock.
class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(
        int fd, OpenFd(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC));
    return std::unique_ptr<WritableFile>(
        std::make_unique<PosixWritableFile>(path, fd, 0));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_WRONLY | O_CREAT | O_CLOEXEC));
    Result<uint64_t> size = FdSize(fd, path);
    if (!size.ok()) {
      ::close(fd);
      return size.status();
    }
    return std::unique_ptr<WritableFile>(
        std::make_unique<PosixWritableFile>(path, fd, *size));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDONLY | O_CLOEXEC));
    Result<uint64_t> size = FdSize(fd, path);
    if (!size.ok()) {
      ::close(fd);
      return size.status();
    }
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<PosixRandomAccessFile>(path, fd, *size));
  }

  Result<std::unique_ptr<MappedFile>> MapFile(
      const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDONLY | O_CLOEXEC));
    Result<uint64_t> size = FdSize(fd, path);
    if (!size.ok()) {
      ::close(fd);
      return size.status();
    }
    void* base = nullptr;
    if (*size > 0) {
      base = ::mmap(nullptr, *size, PROT_READ, MAP_SHARED, fd, 0);
      if (base == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return PosixError("mmap", path, err);
      }
    }
    ::close(fd);  // the mapping keeps its own reference to the file
    return std::unique_ptr<MappedFile>(
        std::make_unique<PosixMappedFile>(base, *size));
  }

  bool FileExists(const std::string& path) override {
    return ::access(path.c_str(), F_OK) == 0;
  }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<uint64_t> GetModificationTimeMicros(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000u +
           static_cast<uint64_t>(st.st_mtim.tv_nsec) / 1000u;
  }

  Result<uint64_t> GetFreeSpace(const std::string& dir) override {
    struct statvfs st;
    if (::statvfs(dir.c_str(), &st) != 0) {
      return PosixError("statvfs", dir, errno);
    }
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  Result<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError("readdir", dir, err);
    return names;
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    // mkdir -p: create each missing component in turn.
    for (size_t pos = 1; pos <= dir.size(); ++pos) {
      if (pos != dir.size() && dir[pos] != '/') continue;
      std::string prefix = dir.substr(0, pos);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return PosixError("mkdir", prefix, errno);
      }
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return PosixError("stat", dir, errno);
    if (!S_ISDIR(st.st_mode)) {
      return Status::IOError("mkdir " + dir +
                             ": exists and is not a directory");
    }
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::OK();
  }

  // A missing directory is not an error: dropping twice is harmless.
  Status RemoveDirRecursively(const std::string& dir) override {
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::OK();
      return PosixError("stat", dir, errno);
    }
    if (::nftw(dir.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
      return PosixError("remove", dir, errno);
    }
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", from + " -> " + to, errno);
    }
    return Status::OK();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (RetryOnEintr([&] {
          return ::truncate(path.c_str(), static_cast<off_t>(size));
        }) != 0) {
      return PosixError("truncate", path, errno);
    }
    return Status::OK();
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    PDB_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDWR | O_CREAT | O_CLOEXEC));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err != EWOULDBLOCK) return PosixError("flock", path, err);
      return Status::FailedPrecondition(path + " is locked (`fuser " + path +
                                        "` names the process holding it)");
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
  }

  Status SyncDir(const std::string& dir) override {
    PDB_ASSIGN_OR_RETURN(int fd,
                         OpenFd(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    int r = RetryOnEintr([&] { return ::fsync(fd); });
    int err = errno;
    ::close(fd);
    if (r != 0) return PosixError("fsync dir", dir, err);
    return Status::OK();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;  // never deleted: outlives static dtors
  return env;
}

}  // namespace proximadb
