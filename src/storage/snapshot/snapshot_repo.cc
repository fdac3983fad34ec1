#include "storage/snapshot/snapshot_repo.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "util/crc32c.h"

namespace proximadb::snapshot {

namespace {
constexpr std::string_view kManifestsDir = "manifests/";
constexpr std::string_view kPendingDir = "pending/";
constexpr std::string_view kObjectsDir = "objects/";
constexpr std::string_view kManifestSuffix = ".snapshot";
constexpr std::string_view kWalDir = "wal/";

// "<first>-<last>-<time>.<size>.<crc hex>.wal", numbers 20 digits.
std::string WalObjectName(uint64_t first, uint64_t last, uint64_t time,
                          uint64_t size, uint32_t crc) {
  char buf[128];
  std::snprintf(buf, sizeof(buf),
                "%020" PRIu64 "-%020" PRIu64 "-%020" PRIu64 ".%" PRIu64
                ".%08x.wal",
                first, last, time, size, crc);
  return buf;
}

std::optional<ArchivedWal> ParseWalObjectName(std::string_view name) {
  ArchivedWal w;
  char tail[8] = {0};
  int used = 0;
  const std::string n(name);
  if (std::sscanf(n.c_str(),
                  "%20" SCNu64 "-%20" SCNu64 "-%20" SCNu64 ".%20" SCNu64
                  ".%8x%4s%n",
                  &w.first_seq, &w.last_seq, &w.last_time_micros, &w.size,
                  &w.crc32c, tail, &used) != 6 ||
      static_cast<size_t>(used) != n.size() ||
      std::string_view(tail) != ".wal" || w.first_seq == 0 ||
      w.last_seq < w.first_seq ||
      n != WalObjectName(w.first_seq, w.last_seq, w.last_time_micros, w.size,
                         w.crc32c)) {
    return std::nullopt;
  }
  return w;
}
}  // namespace

Result<std::pair<uint64_t, uint32_t>> FileChecksum(Env* env,
                                                   const std::string& path) {
  PDB_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  const uint64_t size = file->Size();
  std::string buf(1 << 20, '\0');
  uint32_t crc = 0;
  uint64_t off = 0;
  while (off < size) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    std::string_view got;
    PDB_RETURN_IF_ERROR(file->Read(off, n, buf.data(), &got));
    if (got.size() != n) {
      return Status::IOError("short read of " + path);
    }
    crc = crc32c::Extend(crc, got.data(), got.size());
    off += n;
  }
  return std::make_pair(size, crc);
}

Repository::Repository(Env* env, std::shared_ptr<object::ObjectStore> store,
                       std::string prefix, std::string target)
    : env_(env),
      store_(std::move(store)),
      prefix_(std::move(prefix)),
      target_(std::move(target)) {}

std::string Repository::Describe() const {
  return target_ + " (" + store_->Describe() +
         (prefix_.empty() ? "" : " under " + prefix_) + ")";
}

std::string Repository::ManifestKey(const std::string& id) const {
  return prefix_ + std::string(kManifestsDir) + id +
         std::string(kManifestSuffix);
}

std::string Repository::ObjectKey(const std::string& scope,
                                  const std::string& name, uint64_t size,
                                  uint32_t crc) const {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc);
  std::string base = name.substr(name.rfind('/') + 1);
  return prefix_ + std::string(kObjectsDir) + scope + "/" + base + "." +
         std::to_string(size) + "." + hex;
}

bool Repository::Holds(const std::string& key, uint64_t size, uint32_t crc) {
  auto info = store_->Head(key);
  return info.ok() && info->size == size && info->crc32c == crc;
}

Result<FileEntry> Repository::PutBytes(const std::string& scope,
                                       const std::string& name,
                                       std::string_view role,
                                       std::string_view data,
                                       uint64_t* uploaded) {
  FileEntry f;
  f.name = name;
  f.role = std::string(role);
  f.size = data.size();
  f.crc32c = crc32c::Value(data.data(), data.size());
  f.key = ObjectKey(scope, name, f.size, f.crc32c);
  *uploaded = 0;
  if (!Holds(f.key, f.size, f.crc32c)) {
    PDB_RETURN_IF_ERROR(store_->Put(f.key, data));
    *uploaded = f.size;
  }
  f.key = f.key.substr(prefix_.size());
  return f;
}

Result<FileEntry> Repository::PutFile(const std::string& scope,
                                      const std::string& name,
                                      std::string_view role,
                                      const std::string& path,
                                      uint64_t* uploaded) {
  PDB_ASSIGN_OR_RETURN(auto sum, FileChecksum(env_, path));
  FileEntry f;
  f.name = name;
  f.role = std::string(role);
  f.size = sum.first;
  f.crc32c = sum.second;
  f.key = ObjectKey(scope, name, f.size, f.crc32c);
  PDB_ASSIGN_OR_RETURN(
      *uploaded, UploadUnlessHeld(f.key, path, f.size, f.crc32c, "snapshot"));
  f.key = f.key.substr(prefix_.size());
  return f;
}

Result<uint64_t> Repository::UploadUnlessHeld(const std::string& key,
                                              const std::string& path,
                                              uint64_t size, uint32_t crc,
                                              std::string_view what) {
  if (Holds(key, size, crc)) return uint64_t{0};
  PDB_RETURN_IF_ERROR(store_->PutFile(key, path));
  // The store checksummed what it read; it must be what we summed.
  PDB_ASSIGN_OR_RETURN(object::ObjectInfo info, store_->Head(key));
  if (info.size != size || info.crc32c != crc) {
    return Status::IOError(std::string(what) + ": " + path +
                           " changed while it was uploaded to " +
                           store_->Describe());
  }
  return size;
}

Status Repository::MarkPending(const std::string& id) {
  return store_->Put(prefix_ + std::string(kPendingDir) + id, id);
}

Status Repository::Commit(const Manifest& m) {
  PDB_RETURN_IF_ERROR(store_->Put(ManifestKey(m.id), EncodeManifest(m)));
  Status s = store_->Delete(prefix_ + std::string(kPendingDir) + m.id);
  if (!s.ok()) {
    // Committed all the same; the mark is dropped by CollectIncomplete.
    spdlog::warn("snapshot {}: removing its pending mark: {}", m.id,
                 s.ToString());
  }
  return Status::OK();
}

Result<std::vector<Manifest>> Repository::List() {
  PDB_ASSIGN_OR_RETURN(auto infos,
                       store_->ListAll(prefix_ + std::string(kManifestsDir)));
  std::vector<Manifest> out;
  for (const object::ObjectInfo& info : infos) {
    std::string key = info.key;
    if (key.size() < kManifestSuffix.size() ||
        key.compare(key.size() - kManifestSuffix.size(), kManifestSuffix.size(),
                    kManifestSuffix) != 0) {
      continue;
    }
    PDB_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
    PDB_ASSIGN_OR_RETURN(Manifest m,
                         DecodeManifest(bytes, store_->Describe() + "/" + key));
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const Manifest& a, const Manifest& b) {
    return a.id < b.id;  // the id starts with the time
  });
  return out;
}

Result<Manifest> Repository::Read(const std::string& id) {
  PDB_RETURN_IF_ERROR(ValidateSnapshotId(id));
  const std::string key = ManifestKey(id);
  auto bytes = store_->Get(key);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) {
      return Status::NotFound("no snapshot '" + id + "' in " + Describe());
    }
    return bytes.status();
  }
  return DecodeManifest(*bytes, store_->Describe() + "/" + key);
}

Status Repository::DeleteUnreferenced(const std::vector<std::string>& keys) {
  PDB_ASSIGN_OR_RETURN(std::vector<Manifest> all, List());
  std::set<std::string> used;
  for (const Manifest& m : all) {
    for (const CollectionEntry& c : m.collections) {
      for (const FileEntry& f : c.files) used.insert(f.key);
    }
  }
  Status first;
  for (const std::string& k : keys) {
    if (used.count(k)) continue;
    Status s = store_->Delete(prefix_ + k);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Repository::Delete(const std::string& id) {
  PDB_ASSIGN_OR_RETURN(Manifest m, Read(id));
  PDB_RETURN_IF_ERROR(store_->Delete(ManifestKey(id)));
  std::vector<std::string> keys;
  for (const CollectionEntry& c : m.collections) {
    for (const FileEntry& f : c.files) keys.push_back(f.key);
  }
  Status s = DeleteUnreferenced(keys);
  if (!s.ok()) {
    // The snapshot is gone; what is left is collected with the next
    // incomplete one.
    spdlog::warn("snapshot {}: deleting its objects: {}", id, s.ToString());
  }
  return Status::OK();
}

Result<uint64_t> Repository::CollectIncomplete() {
  PDB_ASSIGN_OR_RETURN(auto pending,
                       store_->ListAll(prefix_ + std::string(kPendingDir)));
  if (pending.empty()) return uint64_t{0};
  PDB_ASSIGN_OR_RETURN(auto objects,
                       store_->ListAll(prefix_ + std::string(kObjectsDir)));
  std::vector<std::string> keys;
  for (const object::ObjectInfo& o : objects) {
    keys.push_back(o.key.substr(prefix_.size()));
  }
  PDB_RETURN_IF_ERROR(DeleteUnreferenced(keys));
  uint64_t n = 0;
  for (const object::ObjectInfo& p : pending) {
    const std::string id = p.key.substr(p.key.rfind('/') + 1);
    if (store_->Head(ManifestKey(id)).ok()) {
      (void)store_->Delete(p.key);  // committed: only the mark was left
      continue;
    }
    spdlog::warn("snapshot {} in {} never completed: its objects are removed",
                 id, Describe());
    PDB_RETURN_IF_ERROR(store_->Delete(p.key));
    ++n;
  }
  return n;
}

Status Repository::Fetch(const FileEntry& f, const std::string& path) {
  return FetchVerified(f.key, f.size, f.crc32c, "snapshot file " + f.name,
                       "the snapshot manifest's", path);
}

Status Repository::FetchVerified(const std::string& key, uint64_t size,
                                 uint32_t crc, const std::string& what,
                                 const std::string& recorded,
                                 const std::string& path) {
  auto info = store_->GetToFile(prefix_ + key, path);
  if (!info.ok()) {
    if (info.status().IsNotFound()) {
      return Status::Corruption(what + ": object " + key + " is missing from " +
                                Describe());
    }
    return Status(info.status().code(), what + ": " + info.status().message());
  }
  PDB_ASSIGN_OR_RETURN(auto sum, FileChecksum(env_, path));
  if (sum.first != size || sum.second != crc) {
    return Status::Corruption(what + " (object " + key + " in " + Describe() +
                              "): size or CRC32C differs from " + recorded);
  }
  return Status::OK();
}

std::string Repository::WalScope(const std::string& scope) const {
  return prefix_ + std::string(kWalDir) + scope + "/";
}

Result<ArchivedWal> Repository::ArchiveWal(const std::string& scope,
                                           uint64_t first, uint64_t last,
                                           uint64_t last_time,
                                           const std::string& path,
                                           uint64_t* uploaded) {
  PDB_ASSIGN_OR_RETURN(auto sum, FileChecksum(env_, path));
  ArchivedWal w;
  w.first_seq = first;
  w.last_seq = last;
  w.last_time_micros = last_time;
  w.size = sum.first;
  w.crc32c = sum.second;
  const std::string key =
      WalScope(scope) + WalObjectName(first, last, last_time, w.size, w.crc32c);
  PDB_ASSIGN_OR_RETURN(
      *uploaded, UploadUnlessHeld(key, path, w.size, w.crc32c, "wal archive"));
  w.key = key.substr(prefix_.size());
  return w;
}

Result<std::vector<ArchivedWal>> Repository::ListWal(const std::string& scope) {
  const std::string dir = WalScope(scope);
  PDB_ASSIGN_OR_RETURN(auto infos, store_->ListAll(dir));
  std::vector<ArchivedWal> out;
  for (const object::ObjectInfo& info : infos) {
    std::optional<ArchivedWal> w =
        ParseWalObjectName(std::string_view(info.key).substr(dir.size()));
    if (!w) {
      spdlog::warn(
          "wal archive in {}: {} is not an archived WAL file; left "
          "alone",
          Describe(), info.key);
      continue;
    }
    w->key = info.key.substr(prefix_.size());
    out.push_back(std::move(*w));
  }
  std::sort(out.begin(), out.end(),
            [](const ArchivedWal& a, const ArchivedWal& b) {
              return a.first_seq < b.first_seq;
            });
  return out;
}

Status Repository::DeleteWal(const ArchivedWal& w) {
  return store_->Delete(prefix_ + w.key);
}

Status Repository::FetchWal(const ArchivedWal& w, const std::string& path) {
  return FetchVerified(w.key, w.size, w.crc32c,
                       "archived WAL file " + std::to_string(w.first_seq) +
                           ".." + std::to_string(w.last_seq),
                       "its name's", path);
}

}  // namespace proximadb::snapshot
