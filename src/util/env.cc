// The Env convenience methods, written once on top of the virtual interface
// so every Env (POSIX, memory, fault injection) shares them.
#include <algorithm>
#include <string>

#include "proximadb/env.h"

namespace proximadb {
namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

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
