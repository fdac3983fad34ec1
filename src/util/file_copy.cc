#include "util/file_copy.h"

#include <string_view>

namespace proximadb {

Status CopyFileDurably(Env* env, const std::string& from,
                       const std::string& to) {
  PDB_ASSIGN_OR_RETURN(auto in, env->NewRandomAccessFile(from));
  PDB_ASSIGN_OR_RETURN(auto out, env->NewWritableFile(to));
  std::string buf(1 << 20, '\0');
  const uint64_t size = in->Size();
  for (uint64_t off = 0; off < size;) {
    std::string_view got;
    PDB_RETURN_IF_ERROR(in->Read(off, buf.size(), buf.data(), &got));
    if (got.empty()) {
      return Status::IOError("short read of " + from + " at byte " +
                             std::to_string(off) + " of " +
                             std::to_string(size));
    }
    PDB_RETURN_IF_ERROR(out->Append(got));
    off += got.size();
  }
  PDB_RETURN_IF_ERROR(out->Sync());
  return out->Close();
}

}  // namespace proximadb
