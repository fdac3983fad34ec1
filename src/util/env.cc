// The Env convenience methods, written once on top of the virtual interface
// so every Env (POSIX, memory, fault injection) shares them.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "proximadb/env.h"
#include "util/mutex.h"

namespace proximadb {
namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The default LockFile's table: the (env, path) pairs held in this process.
struct HeldLocks {
  Mutex mu;
  std::set<std::pair<const Env*, std::string>> held GUARDED_BY(mu);
};
HeldLocks& Locks() {
  static auto* locks = new HeldLocks;  // never deleted: outlives static dtors
  return *locks;
}

class TableLock final : public FileLock {
 public:
  TableLock(const Env* env, std::string path) : key_(env, std::move(path)) {}
  ~TableLock() override {
    HeldLocks& locks = Locks();
    MutexLock l(&locks.mu);
    locks.held.erase(key_);
  }

 private:
  const std::pair<const Env*, std::string> key_;
};

}  // namespace

Result<std::unique_ptr<FileLock>> Env::LockFile(const std::string& path) {
  if (!FileExists(path)) {
    PDB_ASSIGN_OR_RETURN(auto file, NewAppendableFile(path));
    PDB_RETURN_IF_ERROR(file->Close());
  }
  HeldLocks& locks = Locks();
  MutexLock l(&locks.mu);
  if (!locks.held.emplace(this, path).second) {
    return Status::FailedPrecondition(path + " is locked by this process");
  }
  return std::unique_ptr<FileLock>(std::make_unique<TableLock>(this, path));
}

Result<std::string> Env::ReadFileToString(const std::string& path) {
  PDB_ASSIGN_OR_RETURN(auto file, NewRandomAccessFile(path));
  const uint64_t size = file->Size();
  std::string data(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    std::string_view chunk;
    PDB_RETURN_IF_ERROR(
        file->Read(done, size - done, data.data() + done, &chunk));
    if (chunk.empty()) break;  // the file shrank under us
    if (chunk.data() != data.data() + done) {
      std::copy(chunk.begin(), chunk.end(), data.begin() + done);
    }
    done += chunk.size();
  }
  data.resize(done);
  return data;
}

Status Env::WriteFileAtomically(const std::string& path,
                                std::string_view data) {
  const std::string tmp = path + ".tmp";
  {
    PDB_ASSIGN_OR_RETURN(auto file, NewWritableFile(tmp));
    Status s = file->Append(data);
    if (s.ok()) s = file->Sync();
    Status c = file->Close();
    if (s.ok()) s = c;
    if (!s.ok()) {
      (void)RemoveFile(tmp);  // best effort: the error below is what matters
      return s;
    }
  }
  PDB_RETURN_IF_ERROR(RenameFile(tmp, path));
  return SyncDir(ParentDir(path));
}

}  // namespace proximadb
