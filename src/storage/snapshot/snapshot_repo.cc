#include "storage/snapshot/snapshot_repo.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include <spdlog/spdlog.h>

#include "util/crc32c.h"

namespace proximadb::snapshot {

namespace {
constexpr std::string_view kManifestsDir = "manifests/";
constexpr std::string_view kPendingDir = "pending/";
constexpr std::string_view kObjectsDir = "objects/";
constexpr std::string_view kManifestSuffix = ".snapshot";
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
  *uploaded = 0;
  if (!Holds(f.key, f.size, f.crc32c)) {
    PDB_RETURN_IF_ERROR(store_->PutFile(f.key, path));
    // The store checksummed what it read; it must be what we summed.
    PDB_ASSIGN_OR_RETURN(object::ObjectInfo info, store_->Head(f.key));
    if (info.size != f.size || info.crc32c != f.crc32c) {
      return Status::IOError("snapshot: " + path +
                             " changed while it was uploaded to " +
                             store_->Describe());
    }
    *uploaded = f.size;
  }
  f.key = f.key.substr(prefix_.size());
  return f;
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
  auto info = store_->GetToFile(prefix_ + f.key, path);
  if (!info.ok()) {
    if (info.status().IsNotFound()) {
      return Status::Corruption("snapshot file " + f.name + ": object " +
                                f.key + " is missing from " + Describe());
    }
    return Status(info.status().code(),
                  "snapshot file " + f.name + ": " + info.status().message());
  }
  PDB_ASSIGN_OR_RETURN(auto sum, FileChecksum(env_, path));
  if (sum.first != f.size || sum.second != f.crc32c) {
    return Status::Corruption(
        "snapshot file " + f.name + " (object " + f.key + " in " + Describe() +
        "): size or CRC32C differs from the snapshot manifest's");
  }
  return Status::OK();
}

}  // namespace proximadb::snapshot
