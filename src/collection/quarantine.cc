#include "collection/quarantine.h"

#include <algorithm>
#include <ctime>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "util/file_copy.h"

namespace proximadb {

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "20240131T235959Z"
std::string UtcStamp(uint64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool ValidId(const std::string& id) {
  return !id.empty() && id != "." && id != ".." &&
         id.find('/') == std::string::npos;
}

}  // namespace

Quarantine::Quarantine(Env* env, Clock* clock, std::string data_dir)
    : env_(env),
      clock_(clock),
      data_dir_(std::move(data_dir)),
      dir_(data_dir_ + "/" + std::string(kDirName)) {}

Result<std::string> Quarantine::Relative(const std::string& path) const {
  const std::string prefix = data_dir_ + "/";
  // Never the data directory, anything holding it, or a path that climbs.
  if (path.empty() || path.find("/../") != std::string::npos ||
      path.find("..") == 0 || path == data_dir_ || path + "/" == prefix ||
      prefix.compare(0, path.size() + 1, path + "/") == 0) {
    return Status::InvalidArgument("cannot quarantine " + path);
  }
  if (path.compare(0, prefix.size(), prefix) == 0) {
    return path.substr(prefix.size());
  }
  // Another data directory or the WAL directory: kept under external/ with
  // its whole path (relative paths are anchored at the working directory).
  if (path[0] == '/') return std::string(kExternalDir) + path;
  return std::string(kExternalDir) + "/" + path;
}

Status Quarantine::CopyThenRemove(const std::string& from,
                                  const std::string& to) {
  if (env_->IsDirectory(from)) {
    PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(to));
    PDB_ASSIGN_OR_RETURN(auto children, env_->GetChildren(from));
    for (const std::string& c : children) {
      PDB_RETURN_IF_ERROR(CopyThenRemove(from + "/" + c, to + "/" + c));
    }
    PDB_RETURN_IF_ERROR(env_->SyncDir(to));
    return env_->RemoveDirRecursively(from);
  }
  PDB_RETURN_IF_ERROR(CopyFileDurably(env_, from, to));
  return env_->RemoveFile(from);
}

Result<uint64_t> Quarantine::SizeOf(const std::string& path) {
  if (!env_->IsDirectory(path)) return env_->GetFileSize(path);
  PDB_ASSIGN_OR_RETURN(auto children, env_->GetChildren(path));
  uint64_t total = 0;
  for (const std::string& c : children) {
    PDB_ASSIGN_OR_RETURN(uint64_t n, SizeOf(path + "/" + c));
    total += n;
  }
  return total;
}

Result<std::string> Quarantine::NewEntry(uint64_t now_ms) {
  const bool had_dir = env_->IsDirectory(dir_);
  PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(dir_));
  if (!had_dir) PDB_RETURN_IF_ERROR(env_->SyncDir(data_dir_));
  const std::string stamp = UtcStamp(now_ms);
  for (int n = 1;; ++n) {
    std::string id = stamp + "-" + std::to_string(n);
    if (env_->FileExists(dir_ + "/" + id)) continue;
    PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(dir_ + "/" + id));
    PDB_RETURN_IF_ERROR(env_->SyncDir(dir_));
    return id;
  }
}

Status Quarantine::Describe(const std::string& id, const std::string& relative,
                            const std::string& reason, uint64_t now_ms,
                            uint64_t bytes, const std::string& extra_key,
                            uint64_t extra_value) {
  nlohmann::json j = {{"id", id},
                      {"original_path", relative},
                      {"reason", reason},
                      {"time_unix_ms", now_ms},
                      {"bytes", bytes}};
  if (!extra_key.empty()) j[extra_key] = extra_value;
  return env_->WriteFileAtomically(
      dir_ + "/" + id + "/" + std::string(kDescriptionFile),
      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Result<std::string> Quarantine::PrepareDestination(
    const std::string& id, const std::string& relative) {
  const std::string entry = dir_ + "/" + id;
  // Create each missing directory of the path in turn, fsyncing its parent
  // so that the entry's layout survives a crash along with the data.
  std::string at = entry;
  size_t pos = 0;
  while (true) {
    size_t slash = relative.find('/', pos);
    if (slash == std::string::npos) break;
    const std::string next = at + "/" + relative.substr(pos, slash - pos);
    if (!env_->IsDirectory(next)) {
      PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(next));
      PDB_RETURN_IF_ERROR(env_->SyncDir(at));
    }
    at = next;
    pos = slash + 1;
  }
  return entry + "/" + relative;
}

Status Quarantine::Move(const std::string& path, const std::string& reason) {
  MutexLock lock(&mu_);
  PDB_ASSIGN_OR_RETURN(std::string relative, Relative(path));
  PDB_ASSIGN_OR_RETURN(uint64_t bytes, SizeOf(path));
  const uint64_t now = clock_->NowMicros() / 1000;
  PDB_ASSIGN_OR_RETURN(std::string id, NewEntry(now));
  // The description first: a crash before the rename leaves an entry that
  // says what was about to move (and the file still in its place).
  PDB_RETURN_IF_ERROR(Describe(id, relative, reason, now, bytes, "", 0));
  PDB_ASSIGN_OR_RETURN(std::string dest, PrepareDestination(id, relative));
  Status renamed = env_->RenameFile(path, dest);
  if (!renamed.ok() && relative.rfind(kExternalDir, 0) == 0) {
    // Another file system (rename(2) gives EXDEV): copy, make the copy
    // durable, only then remove the original.
    PDB_RETURN_IF_ERROR(CopyThenRemove(path, dest));
  } else {
    PDB_RETURN_IF_ERROR(renamed);
  }
  PDB_RETURN_IF_ERROR(env_->SyncDir(Parent(path)));
  PDB_RETURN_IF_ERROR(env_->SyncDir(Parent(dest)));
  spdlog::error("quarantined {} ({} bytes) as {}/{}: {}", relative, bytes,
                kDirName, id, reason);
  return Status::OK();
}

Status Quarantine::SaveCopy(const std::string& path, uint64_t offset,
                            std::string_view bytes, const std::string& reason) {
  MutexLock lock(&mu_);
  PDB_ASSIGN_OR_RETURN(std::string relative, Relative(path));
  const uint64_t now = clock_->NowMicros() / 1000;
  PDB_ASSIGN_OR_RETURN(std::string id, NewEntry(now));
  PDB_RETURN_IF_ERROR(
      Describe(id, relative, reason, now, bytes.size(), "offset", offset));
  PDB_ASSIGN_OR_RETURN(std::string dest, PrepareDestination(id, relative));
  PDB_RETURN_IF_ERROR(env_->WriteFileAtomically(dest, bytes));
  spdlog::error(
      "quarantined a copy of {} bytes of {} from offset {} as {}/{}: "
      "{}",
      bytes.size(), relative, offset, kDirName, id, reason);
  return Status::OK();
}

Result<std::vector<QuarantineEntry>> Quarantine::List() {
  MutexLock lock(&mu_);
  std::vector<QuarantineEntry> out;
  if (!env_->IsDirectory(dir_)) return out;
  PDB_ASSIGN_OR_RETURN(auto ids, env_->GetChildren(dir_));
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    const std::string entry = dir_ + "/" + id;
    if (!env_->IsDirectory(entry)) continue;
    QuarantineEntry e;
    e.id = id;
    auto text =
        env_->ReadFileToString(entry + "/" + std::string(kDescriptionFile));
    nlohmann::json j = text.ok() ? nlohmann::json::parse(*text, nullptr, false)
                                 : nlohmann::json();
    if (j.is_object()) {
      e.original_path = j.value("original_path", std::string());
      e.reason = j.value("reason", std::string());
      e.time_unix_ms = j.value("time_unix_ms", uint64_t{0});
    } else {
      e.reason = "(no readable " + std::string(kDescriptionFile) + ")";
    }
    // What the entry holds now, whatever the description says.
    auto size = SizeOf(entry);
    auto desc = env_->GetFileSize(entry + "/" + std::string(kDescriptionFile));
    e.bytes = (size.ok() ? *size : 0) - (desc.ok() ? *desc : 0);
    out.push_back(std::move(e));
  }
  return out;
}

Result<uint64_t> Quarantine::Count() {
  MutexLock lock(&mu_);
  if (!env_->IsDirectory(dir_)) return uint64_t{0};
  PDB_ASSIGN_OR_RETURN(auto ids, env_->GetChildren(dir_));
  return static_cast<uint64_t>(
      std::count_if(ids.begin(), ids.end(), [&](const std::string& id) {
        return env_->IsDirectory(dir_ + "/" + id);
      }));
}

Status Quarantine::Remove(const std::string& id) {
  MutexLock lock(&mu_);
  const std::string entry = dir_ + "/" + id;
  if (!ValidId(id) || !env_->IsDirectory(entry)) {
    return Status::NotFound("no quarantine entry '" + id + "'");
  }
  PDB_RETURN_IF_ERROR(env_->RemoveDirRecursively(entry));
  PDB_RETURN_IF_ERROR(env_->SyncDir(dir_));
  spdlog::info("quarantine entry {} deleted", id);
  return Status::OK();
}

Result<uint64_t> Quarantine::RemoveAll() {
  MutexLock lock(&mu_);
  if (!env_->IsDirectory(dir_)) return uint64_t{0};
  PDB_ASSIGN_OR_RETURN(auto ids, env_->GetChildren(dir_));
  uint64_t n = 0;
  for (const std::string& id : ids) {
    if (!env_->IsDirectory(dir_ + "/" + id)) continue;
    PDB_RETURN_IF_ERROR(env_->RemoveDirRecursively(dir_ + "/" + id));
    ++n;
  }
  if (n > 0) PDB_RETURN_IF_ERROR(env_->SyncDir(dir_));
  spdlog::info("quarantine cleared ({} entries deleted)", n);
  return n;
}

}  // namespace proximadb
